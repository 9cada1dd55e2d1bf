//! A dispatcher killed mid-send loses nothing (the delivery is sent again once its lease runs
//! out), and two dispatchers sharing the queue never send the same attempt twice.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::{Receiver, Reply};
use testkit::{TestApp, TestDispatcher};

use crate::support::{deliveries, ping, register};

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_in_flight_when_the_dispatcher_dies_is_sent_again() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.script(vec![Reply::Hang]);
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let mut settings = test_settings();
    settings.timeout = Duration::from_secs(1);
    let first = TestDispatcher::start(&app, settings.clone());
    let (event_id, delivery_id) = ping(&app, &webhook).await;
    receiver.wait_for(1, Duration::from_secs(20)).await;
    first.kill().await;

    // The lease (timeout + margin) runs out, then another dispatcher sends it.
    let second = TestDispatcher::start(&app, settings);
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert!(received
        .iter()
        .all(|r| r.header("webhook-id") == Some(event_id.as_str())));
    let done = testkit::eventually(Duration::from_secs(10), "the success recorded", || async {
        let detail = crate::support::delivery(&app, &webhook, &delivery_id).await;
        (detail["status"] == "succeeded").then_some(detail)
    })
    .await;
    // The killed attempt was never recorded; the one that succeeded was.
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["attemptLog"][0]["statusCode"], 200);
    assert_eq!(receiver.count(), 2);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_dispatchers_never_send_the_same_attempt_twice() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::Delay(Duration::from_millis(20), 200));
    let (webhook, _) = register(&app, &receiver.url(), &["agent.created"]).await;
    let first = TestDispatcher::start(&app, test_settings());
    let second = TestDispatcher::start(&app, test_settings());

    let creations = (0..60).map(|n| app.create_agent(json!({ "name": format!("Agent {n}") })));
    futures::future::join_all(creations).await;
    for _ in 0..20 {
        ping(&app, &webhook).await;
    }

    let received = receiver.wait_for(80, Duration::from_secs(30)).await;
    testkit::eventually(Duration::from_secs(10), "all recorded", || async {
        let all = deliveries(&app, &webhook).await;
        (all.len() == 80 && all.iter().all(|d| d["status"] == "succeeded")).then_some(())
    })
    .await;
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.count(), 80);
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for request in &received {
        *per_id
            .entry(request.header("webhook-id").unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 80);
    assert!(per_id.values().all(|n| *n == 1));
    for delivery in deliveries(&app, &webhook).await {
        assert_eq!(delivery["attempts"], 1);
    }
    first.stop().await;
    second.stop().await;
}
