//! `agenfleet dev --demo`'s fleet, seeded into a fresh database through the log and the live
//! projector, then read back through the HTTP API as the console reads it.

use std::collections::BTreeSet;
use std::time::Duration;

use agenfleet::demo::{self, Motion, Seeding, Settings};
use agenfleet::submit::Submitter;
use chrono::Utc;
use read_store::{Store, READ_MODEL_SCHEMA};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use testkit::{eventually, TestApp};
use tokio_util::sync::CancellationToken;

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn settings() -> Settings {
    Settings {
        seed: demo::SEED,
        catalog: domain::catalog::Catalog::built_in(),
        secret_key: Some(testkit::app::SECRET_KEY.to_owned()),
        allow_private_targets: true,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_seeds_a_month_of_work_once_and_keeps_its_agents_alive() {
    let app = TestApp::spawn().await;
    let submitter = Submitter::new(&app.db.url, app.log.clone()).unwrap();
    let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 2).unwrap();
    let stop = CancellationToken::new();
    let now = Utc::now();
    let seeded = demo::seed(&submitter, &store, app.tenant, &settings(), now, &stop)
        .await
        .unwrap();
    let Seeding::Seeded(summary) = seeded else {
        panic!("a tenant without agents is seeded")
    };
    eprintln!("{}", summary.describe("test tenant"));
    assert!(summary.elapsed < Duration::from_secs(60), "{summary:?}");

    // The agents, each with its SOUL file, most online, one degraded, one offline.
    let agents = get(&app, "/v1/agents?limit=100").await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(agents.len(), summary.agents);
    assert!(agents.len() >= 10, "{}", agents.len());
    let status = |wanted: &str| agents.iter().filter(|a| a["status"] == wanted).count();
    assert!(status("online") >= 7, "{agents:#?}");
    assert_eq!(status("degraded"), 1);
    assert_eq!(status("offline"), 1);
    for agent in &agents {
        let path = format!("/v1/agents/{}/soul", agent["id"].as_str().unwrap());
        let soul = app.request(Method::GET, &path).send().await.unwrap();
        assert_eq!(soul.status(), StatusCode::OK);
        let text = soul.text().await.unwrap();
        let name = agent["name"].as_str().unwrap();
        assert!(text.starts_with(&format!("# {name} — ")), "{text}");
        assert!(text.contains("\n## ") && text.contains("\n- "), "{text}");
        assert!(agent["soulSha256"].is_string());
    }

    // 30 days of priced replies: every agent cost something, on at least 25 distinct days.
    let from =
        (now - chrono::Duration::days(31)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (now + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut days = BTreeSet::new();
    let (mut tool_calls, mut tool_failures) = (0, 0);
    for agent in &agents {
        let path = format!(
            "/v1/agents/{}/metrics?granularity=day&from={from}&to={to}",
            agent["id"].as_str().unwrap()
        );
        for bucket in get(&app, &path).await["series"].as_array().unwrap() {
            if bucket["messages"].as_i64().unwrap() > 0 && bucket["costUsd"].as_f64().unwrap() > 0.0
            {
                days.insert(bucket["start"].as_str().unwrap().to_owned());
            }
            tool_calls += bucket["toolCalls"].as_i64().unwrap();
            tool_failures += bucket["toolFailures"].as_i64().unwrap();
        }
    }
    assert!(days.len() >= 25, "priced replies on {} days", days.len());
    assert!(
        tool_failures > 0 && tool_failures * 5 < tool_calls,
        "{tool_failures} of {tool_calls}"
    );
    let by_agent = get(
        &app,
        &format!("/v1/metrics/agents?from={from}&to={to}&limit=100"),
    )
    .await;
    for row in by_agent["data"].as_array().unwrap() {
        assert!(row["costUsd"].as_f64().unwrap() > 0.0, "{row}");
    }
    let summary_30d = get(&app, &format!("/v1/metrics/summary?from={from}&to={to}")).await;
    let cost = summary_30d["costUsd"].as_f64().unwrap();
    assert!((30.0..3_000.0).contains(&cost), "a month costs ${cost}");
    assert!(
        summary_30d["byModel"].as_array().unwrap().len() >= 5,
        "{summary_30d}"
    );
    let latency = &summary_30d["latencyMs"];
    assert!(latency["p95"].as_f64().unwrap() > latency["p50"].as_f64().unwrap());

    // Budgets: one agent over its daily budget today, others near it.
    let today = get(&app, "/v1/metrics/agents?limit=100").await;
    let utilization: Vec<f64> = today["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["dailyBudgetUtilization"].as_f64())
        .collect();
    assert!(utilization.iter().any(|u| *u >= 1.0), "{utilization:?}");
    assert!(
        utilization
            .iter()
            .filter(|u| (0.8..1.0).contains(*u))
            .count()
            >= 2,
        "{utilization:?}"
    );

    // Cron jobs with their past runs, one of which timed out; the webhook endpoint.
    let jobs = get(&app, "/v1/cron-jobs").await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert!(jobs.len() >= 2);
    let mut runs = Vec::new();
    for job in &jobs {
        let path = format!(
            "/v1/cron-jobs/{}/runs?limit=100",
            job["id"].as_str().unwrap()
        );
        runs.extend(get(&app, &path).await["data"].as_array().unwrap().clone());
    }
    assert!(runs.len() >= 40, "{} runs", runs.len());
    assert!(runs.iter().filter(|r| r["status"] == "succeeded").count() >= 35);
    assert!(runs.iter().any(|r| r["status"] == "failed"));
    let webhooks = get(&app, "/v1/webhooks").await;
    assert_eq!(webhooks["data"][0]["url"], demo::WEBHOOK_URL);

    // The activity log holds the history and its hash chain verifies.
    let activity = get(&app, "/v1/activity?limit=1").await;
    let entries = activity["pagination"]["total"].as_i64().unwrap();
    assert!(entries > 2_000, "{entries}");
    assert_eq!(get(&app, "/v1/activity/verify").await["valid"], true);

    // Seeding again adds nothing.
    let again = demo::seed(
        &submitter,
        &store,
        app.tenant,
        &settings(),
        Utc::now(),
        &stop,
    )
    .await
    .unwrap();
    assert!(matches!(again, Seeding::AlreadySeeded { agents } if agents == summary.agents as i64));
    let activity = get(&app, "/v1/activity?limit=1").await;
    assert_eq!(activity["pagination"]["total"].as_i64().unwrap(), entries);

    // The motion: live agents heartbeat again and again; the offline one stays silent.
    let mut motion = Motion::new(
        Submitter::new(&app.db.url, app.log.clone()).unwrap(),
        store.clone(),
        app.tenant,
        domain::catalog::Catalog::built_in(),
        Duration::from_secs(3),
    )
    .with_tick(Duration::from_millis(100));
    let woken = motion.wake().await.unwrap();
    assert_eq!(woken, agents.len() - 1, "every agent but the offline one");
    let woke_at = Utc::now();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(motion.run(shutdown.clone()));
    let offline_heartbeat =
        agents.iter().find(|a| a["status"] == "offline").unwrap()["lastHeartbeatAt"].clone();
    let app_ref = &app;
    eventually(
        Duration::from_secs(20),
        "every live agent heartbeats after waking",
        move || async move {
            let agents = get(app_ref, "/v1/agents?limit=100").await;
            let agents = agents["data"].as_array()?;
            let beating = agents.iter().filter(|a| a["status"] != "offline").all(|a| {
                a["lastHeartbeatAt"]
                    .as_str()
                    .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                    .is_some_and(|at| at > woke_at)
            });
            beating.then_some(())
        },
    )
    .await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the motion stops on shutdown")
        .unwrap();
    let agents = get(&app, "/v1/agents?limit=100").await;
    let offline = agents["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "offline")
        .expect("the offline agent stays offline");
    assert_eq!(offline["lastHeartbeatAt"], offline_heartbeat);
}
