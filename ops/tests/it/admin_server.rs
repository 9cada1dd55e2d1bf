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
