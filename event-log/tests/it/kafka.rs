//! The contract on `kafka://`, against a real Kafka-protocol broker (tansu) per test, its
//! consumers sharing the partitions in a fresh Postgres database (the read models' in
//! production).

use event_log::{connect, connect_beside, LogError};
use testkit::kafka::Broker;
use testkit::postgres::TestDatabase;

use crate::contract::{contract_tests, Fixture};

const TOPIC: &str = "agenfleet.commands";

async fn fixture() -> Fixture {
    let broker = Broker::start().await;
    let members = TestDatabase::create().await;
    let log = connect_beside(&broker.url(TOPIC, 4), &members.url)
        .await
        .expect("connect to the broker");
    Fixture::new(log, (broker, members))
}

contract_tests!(fixture);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_creates_the_topic_once_and_refuses_another_partition_count() {
    let broker = Broker::start().await;
    assert_eq!(
        connect(&broker.url(TOPIC, 3))
            .await
            .expect("create")
            .partitions(),
        3
    );
    assert_eq!(
        connect(&broker.url(TOPIC, 3))
            .await
            .expect("reuse")
            .partitions(),
        3
    );
    let refused = connect(&broker.url(TOPIC, 5))
        .await
        .err()
        .expect("another count");
    assert!(matches!(refused, LogError::InvalidUrl(_)), "{refused}");
    assert!(refused.to_string().contains("partitions=3"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_fails_once_the_broker_is_gone() {
    let broker = Broker::start().await;
    let log = connect(&broker.url(TOPIC, 2)).await.expect("connect");
    log.ping().await.expect("ping while the broker runs");
    drop(broker);
    let started = std::time::Instant::now();
    let failed = log.ping().await.expect_err("ping without a broker");
    assert!(matches!(failed, LogError::Unavailable(_)), "{failed}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "ping took {:?}",
        started.elapsed()
    );
}
