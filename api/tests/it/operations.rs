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

/// With the projector stopped, the API's /metrics shows records piling up unapplied (lag and
/// the oldest one's age); once it runs again, lag is back to 0 and the commands that waited
/// are counted with their outcome and wait.
#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_projector_shows_lag_climbing_and_a_restarted_one_brings_it_to_zero() {
    use std::time::Duration;
    use testkit::scrape::Scrape;

    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    let lag = |scrape: &Scrape| scrape.sum("agenfleet_projector_lag_records", &[]).unwrap();
    let caught_up = Scrape::get(&app.base).await;
    assert_eq!(lag(&caught_up), 0.0);
    assert_eq!(
        caught_up.samples("agenfleet_projector_lag_records").len(),
        4,
        "one series per partition"
    );
    let mut waiting = Vec::new();
    for name in ["Ada", "Brin", "Cato"] {
        let request = app
            .request(Method::POST, "/v1/agents")
            .json(&serde_json::json!({ "name": name }));
        waiting.push(tokio::spawn(request.send()));
    }
    testkit::eventually(Duration::from_secs(5), "lag of 3", || async {
        (lag(&Scrape::get(&app.base).await) == 3.0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let behind = Scrape::get(&app.base).await;
    let age = behind
        .samples("agenfleet_projector_oldest_unapplied_age_seconds")
        .iter()
        .map(|(_, value)| *value)
        .fold(0.0, f64::max);
    assert!(age >= 1.0, "the oldest unapplied record's age: {age}");

    app.start_projector();
    for request in waiting {
        assert_eq!(
            request.await.unwrap().unwrap().status(),
            StatusCode::CREATED
        );
    }
    let after = testkit::eventually(Duration::from_secs(5), "lag back to 0", || async {
        let scrape = Scrape::get(&app.base).await;
        (lag(&scrape) == 0.0).then_some(scrape)
    })
    .await;
    assert_eq!(
        after.sum("agenfleet_projector_oldest_unapplied_age_seconds", &[]),
        Some(0.0)
    );
    assert!(after.sum("agenfleet_api_commands_total", &[("outcome", "accepted")]) >= Some(3.0));
    let waited = after
        .sum("agenfleet_api_command_wait_seconds_sum", &[])
        .unwrap();
    assert!(
        waited >= 3.0,
        "three commands waited over a second each: {waited}"
    );
}
