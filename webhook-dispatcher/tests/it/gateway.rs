//! User messages reach the agent's gateway as signed `message.created` events, with the
//! message text; the agent's own replies do not.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::Receiver;
use testkit::standard_webhooks::verify_with_python;
use testkit::{TestApp, TestDispatcher};

#[tokio::test(flavor = "multi_thread")]
async fn user_messages_are_delivered_to_the_gateway_signed_with_its_secret() {
    let app = TestApp::spawn().await;
    let gateway = Receiver::start().await;
    let (status, agent) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(json!({"name": "Gated", "config": {"gateway": {"url": gateway.url()}}})),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let secret = agent["gatewaySecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    // Shown once: a read does not carry it.
    let (_, read) = app
        .call(Method::GET, &format!("/v1/agents/{agent_id}"), None)
        .await;
    assert!(read.get("gatewaySecret").is_none());
    assert_eq!(read["config"]["gateway"]["url"], gateway.url());

    let dispatcher = TestDispatcher::start(&app, test_settings());
    let session = app.open_session(&agent_id).await;
    let post = |role: &'static str, content: &'static str| {
        let path = format!("/v1/sessions/{session}/messages");
        let app = &app;
        async move {
            let (status, body) = app
                .call(
                    Method::POST,
                    &path,
                    Some(json!({"role": role, "content": content})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
    };
    post("user", "What is on my calendar?").await;
    post("assistant", "Two meetings.").await;
    post("user", "Thanks").await;

    let received = gateway.wait_for(2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gateway.count(), 2, "only user messages go to the gateway");
    for result in verify_with_python(&secret, &received) {
        assert_eq!(result, Ok(()));
    }
    let contents: Vec<String> = received
        .iter()
        .map(|r| r.json())
        .inspect(|body| {
            assert_eq!(body["event"], "message.created");
            assert_eq!(body["data"]["agentId"], agent_id.as_str());
            assert_eq!(body["data"]["role"], "user");
        })
        .map(|body| body["data"]["content"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = contents.clone();
    sorted.sort();
    assert_eq!(sorted, ["Thanks", "What is on my calendar?"]);

    // Setting a new gateway URL issues a new secret; removing the gateway stops deliveries.
    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/v1/agents/{agent_id}"),
            Some(json!({"config": {"gateway": null}})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched.get("gatewaySecret").is_none());
    post("user", "Anyone there?").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(gateway.count(), 2);
    dispatcher.stop().await;
}
