use reqwest::{Method, StatusCode};
use testkit::TestApp;

/// The API port also serves /healthz, /readyz and Prometheus /metrics, without a key.
#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics_are_served_on_the_api_port() {
    let app = TestApp::spawn().await;
    app.request(Method::GET, "/v1/agents").send().await.unwrap();
    for path in ["/healthz", "/readyz"] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    assert!(
        text.lines().any(
            |line| line.starts_with("agenfleet_http_request_duration_seconds_count")
                && line.contains("route=\"/v1/agents\"")
                && line.contains("status=\"200\"")
        ),
        "{text}"
    );
    // What runs, from which build, on which log; and since when.
    let info = format!(
        "agenfleet_build_info{{process=\"api\",version=\"{}\",commit=\"{}\",event_log=\"postgres\"}} 1",
        ops::metrics::VERSION,
        ops::metrics::GIT_COMMIT
    );
    assert!(text.lines().any(|line| line == info), "{text}");
    assert!(
        text.lines()
            .any(|line| line.starts_with("process_start_time_seconds ")),
        "{text}"
    );
}
