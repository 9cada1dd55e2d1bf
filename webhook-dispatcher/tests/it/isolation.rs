//! A dead endpoint holds at most its own share of the dispatcher: deliveries to a healthy
//! endpoint go out while every attempt to the dead one is still hanging.

use std::time::Duration;

use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::{Receiver, Reply};
use testkit::{TestApp, TestDispatcher};

use crate::support::register;

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_never_answers_does_not_delay_another() {
    let app = TestApp::spawn().await;
    let dead = Receiver::start().await;
    dead.set_default(Reply::Hang);
    let healthy = Receiver::start().await;
    register(&app, &dead.url(), &["agent.created"]).await;
    register(&app, &healthy.url(), &["session.created"]).await;

    let mut settings = test_settings();
    settings.timeout = Duration::from_secs(60);
    settings.concurrency = 8;
    settings.concurrency_per_target = 4;
    // 30 deliveries to the dead endpoint are queued first.
    let creations = (0..30).map(|n| app.create_agent(json!({ "name": format!("Agent {n}") })));
    let agents = futures::future::join_all(creations).await;
    let dispatcher = TestDispatcher::start(&app, settings);
    dead.wait_for(4, Duration::from_secs(20)).await;

    app.open_session(&agents[0]).await;
    let received = healthy.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received[0].json()["event"], "session.created");
    // The dead endpoint holds its 4 slots and no more; none of its attempts has ended.
    assert_eq!(dead.count(), 4);
    dispatcher.kill().await;
}
