//! Every series the Grafana dashboard and the Prometheus alert rules name is exported by a
//! running `agenfleet dev` (which plays every role): a rename breaks this test, not the pager.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use testkit::scrape::Scrape;

use crate::dev::start_dev;

/// The series deploy/grafana/agenfleet.json and deploy/prometheus/alerts.yml use, as
/// `deploy/check_dashboard.py --list-metrics` reads them out of their queries.
fn series_named_by_the_monitoring_files() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = std::process::Command::new("python3")
        .arg(root.join("deploy/check_dashboard.py"))
        .arg("--list-metrics")
        .output()
        .expect("python3 runs deploy/check_dashboard.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The family a series belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own.
fn family_of<'a>(scrape: &Scrape, series: &'a str) -> Option<(&'a str, String)> {
    if let Some(kind) = scrape.family(series) {
        return Some((series, kind.to_owned()));
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let family = series.strip_suffix(suffix)?;
        (scrape.family(family)? == "histogram").then(|| (family, "histogram".to_owned()))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_series_the_dashboard_and_the_alerts_use_is_exported() {
    let named = series_named_by_the_monitoring_files();
    assert!(named.len() > 30, "the list is read: {named:?}");
    let data_dir = tempfile::tempdir().unwrap();
    let mut dev = start_dev(data_dir.path()).await;
    let origin = dev.base.trim_end_matches("/v1").to_owned();
    // One request, so the request histogram has a series.
    let created = reqwest::Client::new()
        .post(format!("{}/agents", dev.base))
        .bearer_auth(dev.key.as_deref().unwrap())
        .json(&json!({ "name": "Nova" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let scrape = Scrape::get(&origin).await;
    let missing: Vec<&String> = named
        .iter()
        .filter(|series| series.as_str() != "up") // Prometheus' own
        .filter(|series| family_of(&scrape, series).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "not exported by agenfleet dev: {missing:?}"
    );

    // Every role is there, ready, with its signals moving.
    for role in ["api", "projector", "scheduler", "webhook-dispatcher"] {
        assert_eq!(
            scrape.sum("agenfleet_build_info", &[("process", role)]),
            Some(1.0),
            "{role}"
        );
    }
    assert_eq!(scrape.sum("agenfleet_ready", &[]), Some(1.0));
    assert!(scrape.sum("agenfleet_projector_records_total", &[]) >= Some(2.0));
    assert_eq!(
        scrape.sum("agenfleet_projector_partitions_owned", &[]),
        Some(8.0)
    );
    assert_eq!(
        scrape.sum("agenfleet_api_commands_total", &[("outcome", "accepted")]),
        Some(1.0)
    );
    let later = testkit::eventually(Duration::from_secs(5), "lag 0", || async {
        let scrape = Scrape::get(&origin).await;
        (scrape.sum("agenfleet_projector_lag_records", &[]) == Some(0.0)).then_some(scrape)
    })
    .await;
    assert!(
        later.sum("agenfleet_db_pool_connections", &[("pool", "api")]) > Some(0.0),
        "the API's pool is counted"
    );
    // Each role reads and writes through a pool of its own, counted under its name: a busy
    // projector cannot starve the scheduler or the dispatcher of connections, nor they it.
    assert!(
        later.sum("agenfleet_db_pool_connections", &[("pool", "projector")]) > Some(0.0),
        "the projector's pool is counted"
    );
    for role in ["scheduler", "webhook-dispatcher"] {
        assert!(
            later
                .sum("agenfleet_db_pool_connections", &[("pool", role)])
                .is_some(),
            "{role}'s pool is counted"
        );
    }
    assert_eq!(
        later.sum("agenfleet_db_pool_connections", &[("pool", "workers")]),
        None,
        "no pool is shared by the roles"
    );
    dev.stop().await;
}
