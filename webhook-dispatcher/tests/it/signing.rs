//! Every delivery verifies with an independent Standard Webhooks implementation (Python's
//! `standardwebhooks`); a tampered body or a wrong secret does not. Bodies are the contract's
//! `{id, event, timestamp, data}` with the activity entry's id.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::Receiver;
use testkit::standard_webhooks::verify_with_python;
use testkit::{TestApp, TestDispatcher};

use crate::support::{deliveries, ping, register};

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_verify_with_the_standard_webhooks_library() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (webhook, secret) = register(&app, &receiver.url(), &["*"]).await;
    let dispatcher = TestDispatcher::start(&app, test_settings());

    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(json!({"content": "Hello, Nova"})),
        )
        .await;
    assert_eq!(status, 201);
    let (test_event, test_delivery) = ping(&app, &webhook).await;

    // agent.created, session.created, message.created, webhook.test.
    let received = receiver.wait_for(4, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 4);
    for result in verify_with_python(&secret, &received) {
        assert_eq!(result, Ok(()));
    }

    let mut events: Vec<String> = received
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_owned())
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            "agent.created",
            "message.created",
            "session.created",
            "webhook.test"
        ]
    );
    for request in &received {
        let body = request.json();
        assert_eq!(request.header("webhook-id"), body["id"].as_str());
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("user-agent"), Some("AgenFleet-Webhooks/1"));
        // The event id is the activity entry's id, with the same timestamp.
        let (status, entry) = app
            .call(
                Method::GET,
                &format!("/v1/activity/{}", body["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, 200, "{entry}");
        assert_eq!(entry["type"], body["event"]);
        assert_eq!(entry["timestamp"], body["timestamp"]);
    }
    let message = received
        .iter()
        .map(|r| r.json())
        .find(|body| body["event"] == "message.created")
        .unwrap();
    assert_eq!(message["data"]["content"], "Hello, Nova");
    assert_eq!(message["data"]["sessionId"], session.as_str());
    let test = received
        .iter()
        .map(|r| r.json())
        .find(|body| body["event"] == "webhook.test")
        .unwrap();
    assert_eq!(test["id"], test_event.as_str());
    assert_eq!(test["data"]["webhookId"], webhook.as_str());

    // Tampering with the body, or another secret, fails verification.
    let mut tampered = received[0].clone();
    tampered.body = serde_json::to_vec(&json!({"id": "evt_forged"})).unwrap();
    assert!(verify_with_python(&secret, &[tampered])[0].is_err());
    let (_, other_secret) = register(&app, &format!("{}/other", receiver.url()), &["*"]).await;
    for result in verify_with_python(&other_secret, &received) {
        assert!(result.is_err());
    }

    // The API shows them delivered at the first attempt.
    testkit::eventually(Duration::from_secs(10), "deliveries recorded", || async {
        let all = deliveries(&app, &webhook).await;
        (all.len() == 4 && all.iter().all(|d| d["status"] == "succeeded")).then_some(())
    })
    .await;
    let all = deliveries(&app, &webhook).await;
    assert!(all.iter().any(|d| d["id"] == test_delivery.as_str()));
    for delivery in &all {
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["lastStatusCode"], 200);
        assert_eq!(delivery["nextAttemptAt"], serde_json::Value::Null);
    }
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_rotation_both_secrets_sign_for_a_day() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (webhook, old_secret) = register(&app, &receiver.url(), &["agent.created"]).await;
    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{webhook}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(new_secret.starts_with("whsec_"));

    let dispatcher = TestDispatcher::start(&app, test_settings());
    app.create_agent(json!({"name": "Rotated"})).await;
    let received = receiver.wait_for(1, Duration::from_secs(20)).await;
    let signatures = received[0].header("webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert_eq!(verify_with_python(&new_secret, &received)[0], Ok(()));
    assert_eq!(verify_with_python(&old_secret, &received)[0], Ok(()));
    dispatcher.stop().await;
}
