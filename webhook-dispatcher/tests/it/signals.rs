//! What `/metrics` shows of the delivery queue: a backlog that grows while no dispatcher runs,
//! and drains when one does; attempts by outcome and status class.

use std::time::Duration;

use serde_json::json;
use testkit::dispatcher::test_settings;
use testkit::receiver::Receiver;
use testkit::scrape::Scrape;
use testkit::{eventually, TestApp, TestDispatcher};

use crate::support::register;

async fn scrape(metrics: &ops::Metrics) -> Scrape {
    metrics.collect().await;
    Scrape::parse(&metrics.render())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_dispatcher_shows_the_backlog_age_rising_and_a_running_one_drains_it() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    register(&app, &receiver.url(), &["agent.created"]).await;
    let metrics = ops::Metrics::new();
    // Started and stopped: its gauges stay registered, with no dispatcher running.
    TestDispatcher::start_counting(&app, test_settings(), &metrics)
        .stop()
        .await;
    let empty = scrape(&metrics).await;
    assert_eq!(
        empty.family("agenfleet_dispatch_queue_depth"),
        Some("gauge")
    );
    assert_eq!(
        empty.sum("agenfleet_dispatch_queue_depth", &[("state", "due")]),
        Some(0.0)
    );
    for name in ["Ada", "Brin", "Cato"] {
        app.create_agent(json!({ "name": name })).await;
    }
    let due = eventually(Duration::from_secs(10), "3 deliveries due", || async {
        let scrape = scrape(&metrics).await;
        (scrape.sum("agenfleet_dispatch_queue_depth", &[("state", "due")]) == Some(3.0))
            .then_some(scrape)
    })
    .await;
    assert_eq!(
        due.sum("agenfleet_dispatch_queue_depth", &[("state", "scheduled")]),
        Some(0.0)
    );
    let age = |scrape: &Scrape| {
        scrape
            .sum("agenfleet_dispatch_oldest_due_age_seconds", &[])
            .unwrap()
    };
    let first_age = age(&due);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let later = scrape(&metrics).await;
    assert!(
        age(&later) >= first_age + 2.0,
        "the oldest due delivery ages: {first_age} then {}",
        age(&later)
    );

    let dispatcher = TestDispatcher::start_counting(&app, test_settings(), &metrics);
    receiver.wait_for(3, Duration::from_secs(10)).await;
    let attempts = |scrape: &Scrape, outcome: &str, class: &str| {
        scrape.sum(
            "agenfleet_webhook_attempts_total",
            &[("outcome", outcome), ("status_class", class)],
        )
    };
    let drained = eventually(Duration::from_secs(10), "the queue drained", || async {
        let scrape = scrape(&metrics).await;
        let done = scrape.sum("agenfleet_dispatch_queue_depth", &[]) == Some(0.0)
            && attempts(&scrape, "succeeded", "2xx") == Some(3.0);
        done.then_some(scrape)
    })
    .await;
    assert_eq!(age(&drained), 0.0);
    assert_eq!(attempts(&drained, "retrying", "none"), Some(0.0));
    dispatcher.stop().await;
}
