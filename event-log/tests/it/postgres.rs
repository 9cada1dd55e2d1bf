//! The contract on `postgres://`, a fresh database per test, and what only Postgres does:
//! migrations, the stored partition count, members that die without closing.

use std::time::Duration;

use event_log::{connect, migrate_postgres_log, LogError};
use testkit::postgres::TestDatabase;

use crate::contract::{contract_tests, Fixture};
use crate::support::{all_partitions, deadline, Member};

async fn fixture() -> Fixture {
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    Fixture::new(log, database)
}

contract_tests!(fixture);

fn with_partitions(url: &str, partitions: u32) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}partitions={partitions}")
}

#[tokio::test]
async fn migrate_is_idempotent_and_the_partition_count_cannot_change() {
    let database = TestDatabase::create().await;
    let url = with_partitions(&database.url, 3);
    migrate_postgres_log(&url).await.expect("migrate");
    migrate_postgres_log(&url).await.expect("migrate again");
    assert_eq!(connect(&url).await.expect("connect").partitions(), 3);

    let other = with_partitions(&database.url, 5);
    let refused = migrate_postgres_log(&other)
        .await
        .expect_err("migrate with another count");
    assert!(refused.to_string().contains("partitions=3"), "{refused}");
    let refused = connect(&other)
        .await
        .err()
        .expect("connect with another count");
    assert!(matches!(refused, LogError::InvalidUrl(_)), "{refused}");
}

#[tokio::test]
async fn connect_refuses_a_database_that_was_not_migrated() {
    let database = TestDatabase::create().await;
    let refused = connect(&database.url)
        .await
        .err()
        .expect("connect before migrate");
    assert!(refused.to_string().contains("migrate"), "{refused}");
}

#[tokio::test]
async fn an_unreachable_database_is_reported_unavailable() {
    // Nothing listens on port 1.
    let log = event_log::PostgresLog::connect("postgres://postgres@127.0.0.1:1/none")
        .expect("a valid URL");
    assert!(matches!(
        event_log::EventLog::ping(&log).await,
        Err(LogError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partitions_of_a_member_that_died_move_to_the_others() {
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    let all = all_partitions(&*log);
    let mut survivor = Member::join(&*log, "crash").await;
    survivor
        .poll_until(deadline(30), "the first member owns every partition", |m| {
            m.owned == all
        })
        .await;
    let mut doomed = Member::join(&*log, "crash").await;
    let until = deadline(30);
    while doomed.owned.is_empty() || survivor.owned.len() == all.len() {
        assert!(
            tokio::time::Instant::now() < until,
            "the second member never got a share"
        );
        survivor.poll(Duration::from_millis(100)).await;
        doomed.poll(Duration::from_millis(100)).await;
    }
    // Dropped without `close`, as when its process is killed: the connection goes, and with
    // it the locks; its heartbeat row ages out.
    drop(doomed);
    survivor
        .poll_until(deadline(30), "the survivor owns every partition", |m| {
            m.owned == all
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_busy_partition_gets_the_whole_batch_and_busy_ones_share_it() {
    use crate::support::{record, tenants};
    use event_log::ConsumerEvent;

    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    let all = all_partitions(&*log);
    // 250 records of one tenant: one partition busy, the others empty.
    let busy = tenants(&*log, 2);
    for n in 0..250 {
        log.append(&record(busy[0], n)).await.expect("append");
    }
    let mut member = Member::join(&*log, "share").await;
    member
        .poll_until(deadline(30), "owning every partition", |m| m.owned == all)
        .await;
    let sizes = |event: &ConsumerEvent| match event {
        ConsumerEvent::Records(entries) => entries.len(),
        _ => 0,
    };
    let mut first = 0;
    while first == 0 {
        first = sizes(&member.poll(Duration::from_secs(5)).await);
    }
    // The member's batch is 100: all of it for the busy partition, not 100 / 8.
    assert_eq!(first, 100);
    // Two busy partitions share a batch.
    for n in 0..100 {
        log.append(&record(busy[1], n)).await.expect("append");
    }
    let mut by_partition = std::collections::BTreeMap::<u32, usize>::new();
    let mut taken = 0;
    while taken < 100 {
        if let ConsumerEvent::Records(entries) = member.poll(Duration::from_secs(5)).await {
            for entry in &entries {
                *by_partition.entry(entry.position.partition).or_default() += 1;
            }
            taken += entries.len();
            assert!(entries.len() <= 100);
            break;
        }
    }
    assert_eq!(by_partition.len(), 2, "{by_partition:?}");
    assert!(by_partition.values().all(|n| *n == 50), "{by_partition:?}");
}
