//! What the dispatcher tests share.

use reqwest::Method;
use serde_json::{json, Value};
use testkit::TestApp;

/// Registers an endpoint for `events` at `url`; returns `(id, secret)`.
pub async fn register(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({ "url": url, "events": events })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// The delivery with its attempt log.
pub async fn delivery(app: &TestApp, webhook: &str, id: &str) -> Value {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{webhook}/deliveries/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every delivery of an endpoint, oldest first.
pub async fn deliveries(app: &TestApp, webhook: &str) -> Vec<Value> {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{webhook}/deliveries?limit=100&order=asc"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Queues a test ping; returns `(event id, delivery id)`.
pub async fn ping(app: &TestApp, webhook: &str) -> (String, String) {
    let (status, body) = app
        .call(Method::POST, &format!("/v1/webhooks/{webhook}/test"), None)
        .await;
    assert_eq!(status, 202, "{body}");
    (
        body["eventId"].as_str().unwrap().to_owned(),
        body["deliveryId"].as_str().unwrap().to_owned(),
    )
}
