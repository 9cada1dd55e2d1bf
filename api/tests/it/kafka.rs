use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

/// The same write path on the Kafka log: conflicts decided in log order, read-your-writes.
#[tokio::test(flavor = "multi_thread")]
async fn on_the_kafka_log_writes_are_decided_in_order_and_read_back_at_once() {
    let broker = testkit::kafka::Broker::start().await;
    let app = TestApp::spawn_on(broker.log_kind()).await;
    let attempts = ["Kappa", "kappa", "KAPPA"].map(|name| {
        let request = app
            .request(Method::POST, "/v1/agents")
            .json(&json!({"name": name}));
        async move { request.send().await.unwrap().status() }
    });
    let mut statuses = futures::future::join_all(attempts).await;
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT
        ]
    );
    let (_, list) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(list["pagination"]["total"], 1);
    let id = list["data"][0]["id"].as_str().unwrap();
    let patched = app
        .request(Method::PATCH, &format!("/v1/agents/{id}"))
        .json(&json!({"role": "r"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let (_, got) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(got["role"], "r");
}

/// With the broker gone, a write is refused with 503 and Retry-After once the producer gives
/// up (its message timeout, 15 s), and nothing is half-applied.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_while_the_kafka_log_is_down_is_a_503() {
    let broker = testkit::kafka::Broker::start().await;
    let app = TestApp::spawn_on(broker.log_kind()).await;
    drop(broker);
    let response = app
        .request(Method::POST, "/v1/agents")
        .json(&json!({"name": "Lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
    let (_, list) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(list["pagination"]["total"], 0);
}
