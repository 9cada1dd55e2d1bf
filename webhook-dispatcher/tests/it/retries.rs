//! The retry policy against a receiver that fails first: the same `webhook-id` on every
//! attempt, at the scheduled gaps, an attempt log; giving up after the schedule (a
//! `webhook.delivery_failed` entry), and `410 Gone` disabling the endpoint.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::{Receiver, Reply};
use testkit::{TestApp, TestDispatcher};

use crate::support::{delivery, ping, register};

/// Whether `gap` is the scheduled delay within its ±20 % jitter (plus claim and send slack).
fn within_jitter(gap: Duration, scheduled: Duration) -> bool {
    let (low, high) = (scheduled.mul_f64(0.8), scheduled.mul_f64(1.2));
    gap >= low && gap <= high + Duration::from_millis(400)
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_retried_at_the_scheduled_gaps_with_the_same_id() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.script(vec![Reply::Status(500), Reply::Status(503)]);
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let mut settings = test_settings();
    settings.retry_schedule = vec![Duration::from_millis(600), Duration::from_millis(1200)];
    let dispatcher = TestDispatcher::start(&app, settings.clone());
    app.create_agent(json!({"name": "Flaky"})).await;

    let received = receiver.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 3);
    let id = received[0].header("webhook-id").unwrap();
    assert!(received.iter().all(|r| r.header("webhook-id") == Some(id)));
    assert!(received.iter().all(|r| r.body == received[0].body));
    let first_gap = received[1].at - received[0].at;
    let second_gap = received[2].at - received[1].at;
    assert!(
        within_jitter(first_gap, settings.retry_schedule[0]),
        "{first_gap:?}"
    );
    assert!(
        within_jitter(second_gap, settings.retry_schedule[1]),
        "{second_gap:?}"
    );

    let listed = testkit::eventually(Duration::from_secs(10), "the success recorded", || async {
        let all = crate::support::deliveries(&app, &webhook).await;
        (all.len() == 1 && all[0]["status"] == "succeeded").then(|| all[0].clone())
    })
    .await;
    assert_eq!(listed["attempts"], 3);
    assert_eq!(listed["eventId"], id);
    let detail = delivery(&app, &webhook, listed["id"].as_str().unwrap()).await;
    let log = detail["attemptLog"].as_array().unwrap();
    let codes: Vec<i64> = log
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);
    assert_eq!(log[0]["error"], "HTTP 500");
    assert_eq!(log[2]["error"], serde_json::Value::Null);
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_fails_for_good_after_the_schedule_and_says_so_in_the_activity_log() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::Status(500));
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let dispatcher = TestDispatcher::start(&app, test_settings());
    let (_, delivery_id) = ping(&app, &webhook).await;

    // 1 attempt + 2 retries (the test schedule has two delays).
    let failed = testkit::eventually(Duration::from_secs(20), "the delivery to fail", || async {
        let detail = delivery(&app, &webhook, &delivery_id).await;
        (detail["status"] == "failed").then_some(detail)
    })
    .await;
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["attemptLog"].as_array().unwrap().len(), 3);
    assert_eq!(receiver.count(), 3);

    let entry = testkit::eventually(Duration::from_secs(10), "the failure entry", || async {
        let (_, page) = app
            .call(
                Method::GET,
                "/v1/activity?type=webhook.delivery_failed",
                None,
            )
            .await;
        page["data"].as_array().and_then(|d| d.first().cloned())
    })
    .await;
    assert_eq!(entry["subject"]["id"], delivery_id.as_str());
    assert_eq!(entry["actor"]["type"], "system");
    assert_eq!(entry["data"]["attempts"], 3);
    assert_eq!(entry["data"]["lastStatusCode"], 500);
    // One endpoint failing is not disabled before the window (5 days in these settings).
    let (_, endpoint) = app
        .call(Method::GET, &format!("/v1/webhooks/{webhook}"), None)
        .await;
    assert_eq!(endpoint["enabled"], true);
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gone_disables_the_endpoint_at_once() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::Status(410));
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let dispatcher = TestDispatcher::start(&app, test_settings());
    let (_, delivery_id) = ping(&app, &webhook).await;

    let endpoint =
        testkit::eventually(Duration::from_secs(20), "the endpoint disabled", || async {
            let (_, endpoint) = app
                .call(Method::GET, &format!("/v1/webhooks/{webhook}"), None)
                .await;
            (endpoint["enabled"] == false).then_some(endpoint)
        })
        .await;
    assert!(endpoint["disabledReason"]
        .as_str()
        .unwrap()
        .contains("410 Gone"));
    let detail = delivery(&app, &webhook, &delivery_id).await;
    assert_eq!(detail["status"], "failed");
    assert_eq!(detail["attempts"], 1);
    let (_, page) = app
        .call(Method::GET, "/v1/activity?type=webhook.disabled", None)
        .await;
    assert_eq!(page["data"][0]["subject"]["id"], webhook.as_str());

    // Events of a disabled endpoint are not queued.
    app.create_agent(json!({"name": "After"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(crate::support::deliveries(&app, &webhook).await.len(), 1);
    assert_eq!(receiver.count(), 1);
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_failing_for_the_whole_window_is_disabled() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::Status(502));
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let mut settings = test_settings();
    settings.disable_after = Duration::from_millis(500);
    settings.retry_schedule = vec![Duration::from_millis(400); 6];
    let dispatcher = TestDispatcher::start(&app, settings);
    ping(&app, &webhook).await;

    let endpoint =
        testkit::eventually(Duration::from_secs(20), "the endpoint disabled", || async {
            let (_, endpoint) = app
                .call(Method::GET, &format!("/v1/webhooks/{webhook}"), None)
                .await;
            (endpoint["enabled"] == false).then_some(endpoint)
        })
        .await;
    assert!(
        endpoint["disabledReason"]
            .as_str()
            .unwrap()
            .contains("Every delivery has failed since"),
        "{endpoint}"
    );
    dispatcher.stop().await;
}
