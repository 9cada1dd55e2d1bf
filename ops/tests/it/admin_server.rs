use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ops::{serve_admin, Metrics, Readiness};
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Admin {
    base: String,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(metrics: Metrics, readiness: Readiness) -> Admin {
    let shutdown = CancellationToken::new();
    let (addr, task): (SocketAddr, _) =
        serve_admin("127.0.0.1:0", metrics, readiness, shutdown.clone())
            .await
            .expect("admin server starts");
    assert_ne!(addr.port(), 0);
    Admin {
        base: format!("http://{addr}"),
        shutdown,
        task,
    }
}

async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

#[tokio::test]
async fn healthz_answers_ok() {
    let admin = start(Metrics::new(), Readiness::always()).await;
    let (status, body) = get_json(&format!("{}/healthz", admin.base)).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "status": "ok" }));
}

#[tokio::test]
async fn readyz_follows_the_readiness_check() {
    let ready = Arc::new(AtomicBool::new(true));
    let flag = ready.clone();
    let readiness = Readiness::new(move || {
        let ready = flag.load(Ordering::SeqCst);
        async move {
            if ready {
                Ok(())
            } else {
                Err("database unreachable".to_owned())
            }
        }
    });
    let admin = start(Metrics::new(), readiness).await;
    let url = format!("{}/readyz", admin.base);

    let (status, body) = get_json(&url).await;
    assert_eq!((status, body), (200, json!({ "status": "ready" })));

    ready.store(false, Ordering::SeqCst);
    let (status, body) = get_json(&url).await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        json!({ "status": "unavailable", "reason": "database unreachable" })
    );
}

#[tokio::test]
async fn metrics_are_served_in_the_prometheus_text_format() {
    let metrics = Metrics::new();
    metrics
        .counter_with("deliveries_total", "Deliveries made.", &[("outcome", "ok")])
        .inc_by(5);
    let admin = start(metrics.clone(), Readiness::always()).await;
    // Recorded after start: the route renders the live registry, not a copy.
    metrics.gauge("queue_depth", "Items waiting.").set(2);

    let response = reqwest::get(format!("{}/metrics", admin.base))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE deliveries_total counter\n"), "{text}");
    assert!(
        text.contains("deliveries_total{outcome=\"ok\"} 5\n"),
        "{text}"
    );
    assert!(text.contains("queue_depth 2\n"), "{text}");
}

#[tokio::test]
async fn the_server_stops_when_the_shutdown_token_fires() {
    let admin = start(Metrics::new(), Readiness::always()).await;
    admin.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(10), admin.task)
        .await
        .expect("server stops within its grace period")
        .expect("task did not panic");
    result.expect("server stopped cleanly");
    assert!(
        reqwest::get(format!("{}/healthz", admin.base))
            .await
            .is_err(),
        "the port no longer answers"
    );
}

#[tokio::test]
async fn binding_a_bad_address_names_it() {
    let err = serve_admin(
        "not-an-address",
        Metrics::new(),
        Readiness::always(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("not-an-address"), "{err:#}");
}

async fn scrape(admin: &Admin) -> String {
    reqwest::get(format!("{}/metrics", admin.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scrape_reports_readiness_as_agenfleet_ready() {
    let ready = Arc::new(AtomicBool::new(true));
    let flag = ready.clone();
    let readiness = Readiness::new(move || {
        let ready = flag.load(Ordering::SeqCst);
        async move { ready.then_some(()).ok_or_else(|| "down".to_owned()) }
    });
    let admin = start(Metrics::new(), readiness).await;
    assert!(scrape(&admin).await.contains("\nagenfleet_ready 1\n"));
    ready.store(false, Ordering::SeqCst);
    assert!(scrape(&admin).await.contains("\nagenfleet_ready 0\n"));
}

#[tokio::test]
async fn collectors_run_at_each_scrape_and_a_failing_one_keeps_its_last_value() {
    let metrics = Metrics::new();
    let depth = metrics.gauge("queue_depth", "Items waiting.");
    let reads = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let counter = reads.clone();
    metrics.add_collector("queue", move || {
        let (depth, n) = (depth.clone(), counter.fetch_add(1, Ordering::SeqCst) + 1);
        async move {
            if n == 3 {
                return Err("the database is away".to_owned());
            }
            depth.set(n * 10);
            Ok(())
        }
    });
    let admin = start(metrics, Readiness::always()).await;
    assert!(scrape(&admin).await.contains("\nqueue_depth 10\n"));
    let text = scrape(&admin).await;
    assert!(text.contains("\nqueue_depth 20\n"), "{text}");
    assert!(text.contains("\nagenfleet_metrics_collect_failures_total 0\n"));
    let text = scrape(&admin).await;
    assert!(text.contains("\nqueue_depth 20\n"), "{text}");
    assert!(text.contains("\nagenfleet_metrics_collect_failures_total 1\n"));
}

#[tokio::test]
async fn a_declared_family_is_named_before_its_first_series() {
    let metrics = Metrics::new();
    metrics.declare_counter("rejections_total", "Rejections by code.");
    let admin = start(metrics.clone(), Readiness::always()).await;
    let text = scrape(&admin).await;
    assert!(text.contains("# TYPE rejections_total counter\n"), "{text}");
    assert!(!text.contains("\nrejections_total"), "{text}");
    metrics
        .counter_with(
            "rejections_total",
            "Rejections by code.",
            &[("code", "CONFLICT")],
        )
        .inc();
    assert!(scrape(&admin)
        .await
        .contains("rejections_total{code=\"CONFLICT\"} 1\n"));
}
