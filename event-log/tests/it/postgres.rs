//! The contract on `postgres://`, a fresh database per test, and what only Postgres does:
//! migrations, the stored partition count, members that die without closing.

use std::time::Duration;

use event_log::{connect, migrate_postgres_log, ConsumerEvent, LogError};
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

/// A member is live as long as its connection: killed, it no longer counts once its connection
/// is gone (its heartbeat row stays, fresh), so the member started in its place — under the same
/// instance name or a new one — takes every partition at its first look.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_member_no_longer_counts_once_its_connection_is_gone() {
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    let all = all_partitions(&*log);
    let (admin, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);

    for restarted_as in [None, Some("alpha")] {
        let group = format!("restart-{}", restarted_as.unwrap_or("anonymous"));
        let mut first = Member::join_as(&*log, &group, Some("alpha")).await;
        first
            .poll_until(deadline(30), "the member owns every partition", |m| {
                m.owned == all
            })
            .await;
        // Killed: the connection goes with its locks; its heartbeat row stays, fresh.
        drop(first);
        let until = deadline(30);
        while admin
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
                &[],
            )
            .await
            .expect("count locks")
            .get::<_, i64>(0)
            > 0
        {
            assert!(tokio::time::Instant::now() < until, "the locks stayed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut second = Member::join_as(&*log, &group, restarted_as).await;
        let until = deadline(30);
        let first_assignment = loop {
            assert!(tokio::time::Instant::now() < until, "nothing assigned");
            if let ConsumerEvent::Assigned(partitions) =
                second.poll(Duration::from_millis(200)).await
            {
                break partitions;
            }
        };
        assert_eq!(
            first_assignment.len(),
            all.len(),
            "restarted as {restarted_as:?}: first assignment {first_assignment:?}"
        );
    }
}

/// A pooled connection made on a runtime that then stopped (an actix worker's, when `agenfleet
/// dev` stops) is closed; the next user gets a new one and nothing above debug is logged (CI
/// once failed on the pool's own warning at dev's stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_whose_runtime_stopped_are_replaced_without_a_warning() {
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    let read_twice = || async {
        let (a, b) = futures::join!(log.end_offsets(), log.end_offsets());
        a.and(b).expect("read");
    };
    // Two at once: besides the connection the test's runtime made, one made on a runtime of its
    // own, which then stops.
    testkit::runtime::on_a_runtime_that_stops(read_twice);

    let logs = testkit::logs::CapturedLogs::start();
    tokio::time::timeout(Duration::from_secs(10), read_twice())
        .await
        .expect("reads on new connections");
    let logged = logs.text();
    assert!(
        logged.contains("closed") && !logged.contains("WARN") && !logged.contains("ERROR"),
        "the closed connection is dropped quietly:\n{logged}"
    );
}

/// A consumer's fetch runs on a plan made once per connection: it must read the records'
/// primary key whatever the log holds — empty or grown, analysed or not — never scan the log.
#[tokio::test]
async fn the_consumers_fetch_reads_the_records_key_on_a_log_empty_or_grown() {
    use event_log::postgres::{FETCH, FETCH_SETTINGS};

    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let (sql, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    for (name, value) in FETCH_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}"))
            .await
            .unwrap();
    }
    sql.batch_execute(&format!("PREPARE next_records AS {FETCH}"))
        .await
        .unwrap();
    let plan = || async {
        let rows = sql
            .query(
                "EXPLAIN EXECUTE next_records('{0,1,2}', '{0,10,5000}', 100)",
                &[],
            )
            .await
            .unwrap();
        let lines: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
        lines.join("\n")
    };
    let reads_the_key = |plan: &str, when: &str| {
        assert!(
            plan.contains("Index Scan using records_pkey") && !plan.contains("Seq Scan"),
            "{when}:\n{plan}"
        );
    };
    reads_the_key(&plan().await, "empty, not analysed");
    sql.batch_execute("ANALYZE eventlog.records").await.unwrap();
    reads_the_key(&plan().await, "empty, analysed");
    // One partition's long history (an index led by the partition is no shortcut), not analysed.
    sql.batch_execute(
        "INSERT INTO eventlog.records (partition, \"offset\", command_id, tenant_id, record)
         SELECT 0, g, 'cmd_' || g, 'ten_x', '{}' FROM generate_series(0, 49999) g",
    )
    .await
    .unwrap();
    reads_the_key(&plan().await, "grown, not analysed");
    sql.batch_execute("ANALYZE eventlog.records").await.unwrap();
    reads_the_key(&plan().await, "grown, analysed");
    // Each was the generic plan, the one the connection keeps.
    let row = sql
        .query_one(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements
             WHERE name = 'next_records'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (4, 0));
}

/// Two processes' appenders (two logs on one database) append at once for tenants spread over
/// every partition, so that their statements each take several partitions' head rows: every
/// append succeeds — no deadlock between two statements that share partitions — and each
/// partition holds exactly the records appended to it, at the offsets their appends returned,
/// one after another from 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_appenders_sharing_partitions_give_each_record_its_own_offset() {
    use std::collections::BTreeMap;

    use crate::support::{record, tenants};
    use event_log::Position;

    const TASKS_PER_LOG: usize = 8;
    const PER_TASK: usize = 60;
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let logs = [
        connect(&database.url).await.expect("connect"),
        connect(&database.url).await.expect("connect"),
    ];
    let tenants = tenants(&*logs[0], 24);
    let spread: std::collections::BTreeSet<u32> =
        tenants.iter().map(|t| logs[0].partition_for(*t)).collect();
    assert!(spread.len() > 4, "the tenants cover several partitions");
    let tasks: Vec<_> = logs
        .iter()
        .flat_map(|log| std::iter::repeat_n(log.clone(), TASKS_PER_LOG))
        .enumerate()
        .map(|(n, log)| {
            let tenants = tenants.clone();
            tokio::spawn(async move {
                let mut appended = Vec::new();
                for i in 0..PER_TASK {
                    let record = record(tenants[(n + i) % tenants.len()], n * PER_TASK + i);
                    let position = log.append(&record).await.expect("every append succeeds");
                    appended.push((position, record.command_id));
                }
                appended
            })
        })
        .collect();
    let mut appended: BTreeMap<Position, _> = BTreeMap::new();
    for task in tasks {
        for (position, command_id) in task.await.expect("task") {
            assert!(
                appended.insert(position, command_id).is_none(),
                "two appends were given {position:?}"
            );
        }
    }
    let mut stored = BTreeMap::new();
    for partition in 0..logs[0].partitions() {
        let entries = logs[0].read(partition, 0, 10_000).await.expect("read");
        for (expected, entry) in entries.into_iter().enumerate() {
            assert_eq!(
                entry.position.offset, expected as i64,
                "partition {partition}"
            );
            stored.insert(
                entry.position,
                entry.command().expect("readable").command_id,
            );
        }
    }
    assert_eq!(stored.len(), 2 * TASKS_PER_LOG * PER_TASK);
    assert_eq!(
        stored, appended,
        "a record is not at the offset its append returned"
    );
}

/// A record the database refuses — `jsonb` cannot store U+0000, which the API refuses before a
/// command is made, but the log does not count on that — fails its own append alone: the
/// appends that went into the same statement, of other tenants and of its own, are written at
/// the offsets they were given, densely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_database_refuses_fails_its_own_append_only() {
    use crate::support::{record, tenants};

    const RECORDS: usize = 64;
    const REFUSED: usize = 21;
    let database = TestDatabase::create().await;
    migrate_postgres_log(&database.url).await.expect("migrate");
    let log = connect(&database.url).await.expect("connect");
    let tenants = tenants(&*log, 8);
    // Sent at once, so that they reach the appender together and share statements.
    let appends: Vec<_> = (0..RECORDS)
        .map(|n| {
            let mut record = record(tenants[n % tenants.len()], n);
            if n == REFUSED {
                if let schema::Command::CreateTenant(create) = &mut record.command {
                    create.name = "a NUL \u{0} inside".to_owned();
                }
            }
            let log = log.clone();
            tokio::spawn(async move { (record.command_id, log.append(&record).await) })
        })
        .collect();
    let mut appended = std::collections::BTreeMap::new();
    for (n, task) in appends.into_iter().enumerate() {
        let (command_id, result) = task.await.expect("task");
        match result {
            Ok(position) => {
                assert_ne!(n, REFUSED, "the record with U+0000 was stored");
                appended.insert(position, command_id);
            }
            Err(error) => {
                assert_eq!(n, REFUSED, "append {n} failed: {error}");
                assert!(matches!(error, LogError::Other(_)), "{error}");
            }
        }
    }
    assert_eq!(appended.len(), RECORDS - 1);
    let mut stored = std::collections::BTreeMap::new();
    for partition in 0..log.partitions() {
        let entries = log.read(partition, 0, 1_000).await.expect("read");
        for (expected, entry) in entries.into_iter().enumerate() {
            assert_eq!(
                entry.position.offset, expected as i64,
                "partition {partition}"
            );
            stored.insert(
                entry.position,
                entry.command().expect("readable").command_id,
            );
        }
    }
    assert_eq!(
        stored, appended,
        "a record is not at the offset its append returned"
    );
}

/// A consumer that has handed out everything its partitions hold does not query the log again
/// until an append is notified — polls in between cost the server nothing — then reads only the
/// partition the append went to, and still finds, within its fallback poll, a record whose
/// notification never came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caught_up_consumer_reads_the_log_again_only_where_an_append_is_notified() {
    const PARTITIONS: i64 = 4;
    let database = TestDatabase::create().await;
    let url = with_partitions(&database.url, PARTITIONS as u32);
    migrate_postgres_log(&url).await.expect("migrate");
    let log = connect(&url).await.expect("connect");
    let (admin, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let tenant = crate::support::tenants(&*log, 1)[0];
    let partition = log.partition_for(tenant);
    let mut member = Member::join(&*log, "quiet").await;
    member
        .poll_until(deadline(30), "the member owns every partition", |m| {
            m.owned.len() == PARTITIONS as usize
        })
        .await;
    log.append(&crate::support::record(tenant, 0))
        .await
        .expect("append");
    assert_eq!(member.collect(partition, 0, 1, deadline(30)).await.len(), 1);

    // Partitions read by the member's fetches (one probe of the records' key each), once its
    // statistics are flushed (a backend reports them at most once a second, when idle).
    let reads = || async {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        admin
            .batch_execute("SELECT pg_stat_clear_snapshot()")
            .await
            .unwrap();
        admin
            .query_one(
                "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'records_pkey'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let before = reads().await;
    // Ten polls, nothing appended: each used to fetch every partition at least once (twice when
    // it waited out its time). Now only the fallback poll reads — due at the first, after the
    // pause above, and again only if the ten take longer than its half second (a loaded
    // machine).
    for _ in 0..10 {
        let event = member.poll(Duration::from_millis(30)).await;
        assert!(matches!(event, ConsumerEvent::Idle), "{event:?}");
    }
    let idle_reads = reads().await - before;
    assert!(
        idle_reads <= 2 * PARTITIONS,
        "ten idle polls read {idle_reads} partitions"
    );

    // Notified appends are handed out at once, each read from its partition alone.
    let before = reads().await;
    let event = member.poll(Duration::from_millis(30)).await; // the fallback poll, due again
    assert!(matches!(event, ConsumerEvent::Idle), "{event:?}");
    for n in 1..=5 {
        log.append(&crate::support::record(tenant, n))
            .await
            .expect("append");
        match member.poll(Duration::from_millis(200)).await {
            ConsumerEvent::Records(entries) => {
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].position.offset, n as i64);
            }
            other => panic!("expected the appended record, got {other:?}"),
        }
    }
    let notified_reads = reads().await - before;
    // The fallback poll's full read, five of one partition, and room for two more full reads
    // on a loaded machine; reading every partition each time would be 24.
    assert!(
        notified_reads <= PARTITIONS + 5 + 2 * (PARTITIONS - 1),
        "five notified appends read {notified_reads} partitions"
    );

    // A record whose notification never came (written without one) is found by the fallback
    // poll, within a poll of a second.
    admin
        .execute(
            "WITH head AS (
                 UPDATE eventlog.partitions SET next_offset = 7 WHERE partition = $1
             )
             INSERT INTO eventlog.records (partition, \"offset\", command_id, tenant_id, record)
             SELECT partition, 6, command_id || '-copy', tenant_id, record FROM eventlog.records
             WHERE partition = $1 AND \"offset\" = 5",
            &[&(partition as i32)],
        )
        .await
        .expect("write a record without a notification");
    let until = deadline(5);
    loop {
        match member.poll(Duration::from_secs(1)).await {
            ConsumerEvent::Records(entries) => {
                assert_eq!(entries[0].position.offset, 6);
                break;
            }
            _ => assert!(tokio::time::Instant::now() < until, "never found"),
        }
    }
}
