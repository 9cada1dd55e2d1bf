//! A cron run's output delivered to each channel (signed webhook, Slack, Telegram, email)
//! against a local server of that protocol, ending in `cron.delivered`, or `cron.failed` with a
//! reason once the retries are used up.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use testkit::dispatcher::test_settings;
use testkit::receiver::{Receiver, Reply};
use testkit::smtp::SmtpSink;
use testkit::standard_webhooks::verify_with_python;
use testkit::{TestApp, TestDispatcher};

/// Creates a job delivering to `delivery`, runs it now, and has the agent reply; returns the
/// job (with `deliverySecret` when issued) and the run id.
async fn run_with_reply(app: &TestApp, delivery: Value, reply: &str) -> (Value, String) {
    let agent = app.create_agent(json!({"name": "Reporter"})).await;
    let (status, job) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(
                json!({"agentId": agent, "name": "Morning brief", "prompt": "Brief me",
                        "schedule": "0 8 * * *", "timezone": "Europe/Berlin",
                        "delivery": delivery}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap();
    let (status, run) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{id}/run"), None)
        .await;
    assert_eq!(status, 202, "{run}");
    let session = run["sessionId"].as_str().unwrap();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(json!({"role": "assistant", "content": reply,
                        "usage": {"model": "claude-haiku-3.5", "inputTokens": 50, "outputTokens": 9}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (job, run["id"].as_str().unwrap().to_owned())
}

async fn run_when(app: &TestApp, job: &Value, run: &str, status: &str) -> Value {
    let path = format!("/v1/cron-jobs/{}/runs/{run}", job["id"].as_str().unwrap());
    testkit::eventually(Duration::from_secs(20), status, || async {
        let (_, run) = app.call(Method::GET, &path, None).await;
        (run["deliveryStatus"] == status).then_some(run)
    })
    .await
}

async fn activity(app: &TestApp, event_type: &str) -> Vec<Value> {
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/activity?type={event_type}"),
            None,
        )
        .await;
    page["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_output_goes_to_a_signed_webhook() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let dispatcher = TestDispatcher::start(&app, test_settings());
    let (job, run) = run_with_reply(
        &app,
        json!({"type": "webhook", "url": receiver.url()}),
        "Three meetings today.",
    )
    .await;
    let secret = job["deliverySecret"].as_str().unwrap();
    let received = receiver.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(verify_with_python(secret, &received)[0], Ok(()));
    let body = received[0].json();
    assert_eq!(body["event"], "cron.completed");
    assert_eq!(body["data"]["id"], run.as_str());
    assert_eq!(body["data"]["output"], "Three meetings today.");
    assert_eq!(body["data"]["cronJobName"], "Morning brief");
    assert_eq!(body["data"]["outputTokens"], 9);
    run_when(&app, &job, &run, "delivered").await;
    let delivered = activity(&app, "cron.delivered").await;
    assert_eq!(delivered[0]["subject"]["id"], run.as_str());
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_output_goes_to_slack() {
    let app = TestApp::spawn().await;
    let slack = Receiver::start().await;
    let dispatcher = TestDispatcher::start(&app, test_settings());
    let (job, run) = run_with_reply(
        &app,
        json!({"type": "slack", "webhookUrl": format!("{}/services/T0/B0/XYZ", slack.base())}),
        "All green.",
    )
    .await;
    let received = slack.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(received[0].path, "/services/T0/B0/XYZ");
    assert_eq!(
        received[0].json(),
        json!({"text": "Morning brief\n\nAll green."})
    );
    run_when(&app, &job, &run, "delivered").await;
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_output_goes_to_a_telegram_chat() {
    let app = TestApp::spawn().await;
    let telegram = Receiver::start().await;
    let mut settings = test_settings();
    settings.channels.telegram_api_base = telegram.base();
    settings.channels.telegram_bot_token = Some("123:ABC".to_owned());
    let dispatcher = TestDispatcher::start(&app, settings);
    let (job, run) = run_with_reply(
        &app,
        json!({"type": "telegram", "chatId": -1001234}),
        "Report ready.",
    )
    .await;
    let received = telegram.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(received[0].path, "/bot123:ABC/sendMessage");
    assert_eq!(
        received[0].json(),
        json!({"chat_id": "-1001234", "text": "Morning brief\n\nReport ready."})
    );
    run_when(&app, &job, &run, "delivered").await;
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_output_goes_by_email() {
    let app = TestApp::spawn().await;
    let smtp = SmtpSink::start().await;
    let mut settings = test_settings();
    settings.channels.smtp_url = Some(smtp.url());
    settings.channels.smtp_from = "AgenFleet <fleet@example.com>".to_owned();
    let dispatcher = TestDispatcher::start(&app, settings);
    let (job, run) = run_with_reply(
        &app,
        json!({"type": "email", "to": "ops@example.com"}),
        "Nothing to report.",
    )
    .await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails[0].from, "fleet@example.com");
    assert_eq!(mails[0].to, ["ops@example.com"]);
    assert!(
        mails[0].data.contains("Subject: AgenFleet: Morning brief"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("Nothing to report."),
        "{}",
        mails[0].data
    );
    run_when(&app, &job, &run, "delivered").await;
    dispatcher.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_cannot_be_delivered_fails_the_run_with_a_reason() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::Status(500));
    let dispatcher = TestDispatcher::start(&app, test_settings());
    let (job, run) = run_with_reply(
        &app,
        json!({"type": "webhook", "url": receiver.url()}),
        "Lost words.",
    )
    .await;
    let failed = run_when(&app, &job, &run, "failed").await;
    assert_eq!(failed["status"], "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("3 attempts") && error.contains("HTTP 500"),
        "{error}"
    );
    assert_eq!(receiver.count(), 3);
    let entries = activity(&app, "cron.failed").await;
    assert_eq!(entries[0]["data"]["reason"], error);
    dispatcher.stop().await;
}
