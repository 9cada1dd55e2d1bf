//! The contract every backend keeps, written once. Each backend module instantiates it with
//! `contract_tests!(fixture)`, where `fixture()` opens a fresh, empty log.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use event_log::{partition_of, ConsumerEvent, EventLog, Position};
use schema::{CommandId, CommandRecord};
use tokio::time::Instant;

use crate::support::{all_partitions, deadline, record, summary, tenants, Member};

/// A fresh log, and whatever must live as long as it (a database, a broker).
pub struct Fixture {
    pub log: Arc<dyn EventLog>,
    _keep: Box<dyn Any + Send>,
}

impl Fixture {
    pub fn new(log: Arc<dyn EventLog>, keep: impl Any + Send) -> Self {
        Self {
            log,
            _keep: Box::new(keep),
        }
    }
}

/// One `#[tokio::test]` per contract clause, for the backend whose fixture is given.
macro_rules! contract_tests {
    ($fixture:path) => {
        $crate::contract::contract_tests!(@each $fixture,
            appends_get_gap_free_offsets_and_read_returns_the_same_records,
            records_come_back_with_every_character_and_number_they_were_appended_with,
            all_records_of_a_tenant_go_to_its_partition,
            read_starts_at_the_offset_given_and_stops_at_the_end,
            reading_page_after_page_returns_every_record_once_in_order,
            a_consumer_is_told_its_partitions_before_their_records,
            seek_moves_a_partition_forwards_and_backwards,
            concurrent_appends_never_show_an_offset_before_a_lower_one,
            two_consumers_split_the_partitions_and_one_takes_all_when_the_other_closes,
            a_cancelled_poll_loses_nothing,
            records_come_out_once_and_in_order_through_cancelled_polls,
            ping_answers_when_the_log_is_up,
        );
    };
    (@each $fixture:path, $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::contract::$name($fixture().await).await;
            }
        )+
    };
}
pub(crate) use contract_tests;

pub async fn appends_get_gap_free_offsets_and_read_returns_the_same_records(fx: Fixture) {
    let log = fx.log;
    let tenants = tenants(&*log, 5);
    let mut appended: BTreeMap<u32, Vec<(i64, CommandRecord)>> = BTreeMap::new();
    for n in 0..20 {
        let record = record(tenants[n % tenants.len()], n);
        let position = log.append(&record).await.expect("append");
        appended
            .entry(position.partition)
            .or_default()
            .push((position.offset, record));
    }
    let ends = log.end_offsets().await.expect("end offsets");
    assert_eq!(ends.len(), log.partitions() as usize);
    for partition in 0..log.partitions() {
        let count = appended.get(&partition).map_or(0, Vec::len) as i64;
        assert_eq!(
            ends[partition as usize], count,
            "end of partition {partition}"
        );
    }
    for (partition, records) in appended {
        let offsets: Vec<i64> = records.iter().map(|(offset, _)| *offset).collect();
        let expected: Vec<i64> = (0..records.len() as i64).collect();
        assert_eq!(
            offsets, expected,
            "offsets of partition {partition} are not 0, 1, 2…"
        );
        let read = log.read(partition, 0, 100).await.expect("read");
        let read: Vec<(i64, CommandRecord)> = read
            .into_iter()
            .map(|e| (e.position.offset, e.record.expect("a readable record")))
            .collect();
        assert_eq!(read, records, "partition {partition} read back differently");
    }
}

pub async fn records_come_back_with_every_character_and_number_they_were_appended_with(
    fx: Fixture,
) {
    let log = fx.log;
    let tenant = tenants(&*log, 1)[0];
    // Everything a record's text can hold but U+0000, which the API refuses before a command
    // is made (Postgres's jsonb cannot store it).
    let texts = [
        "plain".to_owned(),
        r#"quote " backslash \ slash / {"not": "a field"} 1e400"#.to_owned(),
        "tab\t newline\n cr\r \u{1} \u{1f} \u{7f} \u{85}".to_owned(),
        "é 漢字 🦀 \u{202e}rtl\u{202c} \u{feff}bom \u{fffd} \u{10ffff}".to_owned(),
        "\\u0041 is not A".to_owned(),
        "x".repeat(200_000),
    ];
    let mut appended = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        let mut record = record(tenant, n);
        if let schema::Command::CreateTenant(create) = &mut record.command {
            create.name = text.clone();
            create.limits.per_minute = Some(u32::MAX - n as u32);
        }
        // Nanoseconds, as the API's clock gives them.
        record.issued_at += chrono::Duration::nanoseconds(123_456_789 + n as i64);
        let position = log.append(&record).await.expect("append");
        appended.push((position.offset, record));
    }
    let partition = log.partition_for(tenant);
    let read: Vec<(i64, CommandRecord)> = log
        .read(partition, 0, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|e| (e.position.offset, e.record.expect("a readable record")))
        .collect();
    assert_eq!(read, appended, "read back differently");
    let mut member = Member::join(&*log, "odd-text").await;
    let consumed = member
        .collect(partition, 0, texts.len(), deadline(30))
        .await;
    let consumed: Vec<(i64, CommandRecord)> = consumed
        .into_iter()
        .map(|e| (e.position.offset, e.record.expect("a readable record")))
        .collect();
    assert_eq!(consumed, appended, "consumed differently");
}

pub async fn all_records_of_a_tenant_go_to_its_partition(fx: Fixture) {
    let log = fx.log;
    for tenant in tenants(&*log, 4) {
        let partition = log.partition_for(tenant);
        assert_eq!(partition, partition_of(tenant, log.partitions()));
        assert!(partition < log.partitions());
        for n in 0..3 {
            let position = log.append(&record(tenant, n)).await.expect("append");
            assert_eq!(position.partition, partition);
        }
    }
}

pub async fn read_starts_at_the_offset_given_and_stops_at_the_end(fx: Fixture) {
    let log = fx.log;
    let tenant = tenants(&*log, 1)[0];
    let partition = log.partition_for(tenant);
    let mut records = Vec::new();
    for n in 0..6 {
        let record = record(tenant, n);
        log.append(&record).await.expect("append");
        records.push(record);
    }
    let offsets = |entries: &[event_log::LogEntry]| {
        entries
            .iter()
            .map(|e| e.position.offset)
            .collect::<Vec<_>>()
    };
    let middle = log.read(partition, 2, 3).await.expect("read");
    assert_eq!(offsets(&middle), vec![2, 3, 4]);
    assert_eq!(
        middle
            .iter()
            .filter_map(|e| e.command())
            .collect::<Vec<_>>(),
        records[2..5].iter().collect::<Vec<_>>()
    );
    assert_eq!(
        offsets(&log.read(partition, 4, 100).await.expect("read")),
        vec![4, 5]
    );
    assert!(log
        .read(partition, 6, 100)
        .await
        .expect("read at the end")
        .is_empty());
    let other = (partition + 1) % log.partitions();
    if other != partition {
        assert!(log
            .read(other, 0, 100)
            .await
            .expect("read an empty partition")
            .is_empty());
    }
}

/// A replay reads one partition page after page (the Kafka reader keeps its assignment between
/// such reads): every record once, in order, the end seen, and records appended later found.
pub async fn reading_page_after_page_returns_every_record_once_in_order(fx: Fixture) {
    let log = fx.log;
    let tenant = tenants(&*log, 1)[0];
    let partition = log.partition_for(tenant);
    for n in 0..25 {
        log.append(&record(tenant, n)).await.expect("append");
    }
    let mut offsets = Vec::new();
    let mut next = 0;
    loop {
        let page = log.read(partition, next, 10).await.expect("read");
        let Some(last) = page.last() else { break };
        next = last.position.offset + 1;
        offsets.extend(page.iter().map(|e| e.position.offset));
    }
    assert_eq!(offsets, (0..25).collect::<Vec<i64>>());
    // Reading again from the start, or from the middle, starts there.
    let again = log.read(partition, 0, 3).await.expect("read");
    assert_eq!(
        again.iter().map(|e| e.position.offset).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let middle = log.read(partition, 12, 2).await.expect("read");
    assert_eq!(
        middle.iter().map(|e| e.position.offset).collect::<Vec<_>>(),
        vec![12, 13]
    );
    // Appended after the end was seen: found by the next read.
    for n in 25..28 {
        log.append(&record(tenant, n)).await.expect("append");
    }
    let tail = log.read(partition, 25, 10).await.expect("read");
    assert_eq!(
        tail.iter().map(|e| e.position.offset).collect::<Vec<_>>(),
        vec![25, 26, 27]
    );
    assert!(log.read(partition, 28, 10).await.expect("read").is_empty());
}

pub async fn a_consumer_is_told_its_partitions_before_their_records(fx: Fixture) {
    let log = fx.log;
    let tenant = tenants(&*log, 1)[0];
    let partition = log.partition_for(tenant);
    let mut records = Vec::new();
    for n in 0..3 {
        let record = record(tenant, n);
        log.append(&record).await.expect("append");
        records.push(record);
    }
    let mut member = Member::join(&*log, "assignment").await;
    // `Member::poll` fails on any record of a partition not assigned first.
    let entries = member.collect(partition, 0, 3, deadline(30)).await;
    let got: Vec<&CommandRecord> = entries.iter().filter_map(|e| e.command()).collect();
    assert_eq!(got, records.iter().collect::<Vec<_>>());
    let first_assigned = member
        .seen
        .iter()
        .position(|e| matches!(e, ConsumerEvent::Assigned(ps) if ps.contains(&partition)));
    let first_records = member
        .seen
        .iter()
        .position(|e| matches!(e, ConsumerEvent::Records(_)));
    assert!(
        first_assigned < first_records,
        "events: {:?}",
        summary(&member.seen)
    );
    member.consumer.close().await;
}

pub async fn seek_moves_a_partition_forwards_and_backwards(fx: Fixture) {
    let log = fx.log;
    let tenant = tenants(&*log, 1)[0];
    let partition = log.partition_for(tenant);
    for n in 0..10 {
        log.append(&record(tenant, n)).await.expect("append");
    }
    let mut member = Member::join(&*log, "seek").await;
    // Forwards, right after the assignment (before any record was fetched).
    let entries = member.collect(partition, 4, 6, deadline(30)).await;
    let offsets: Vec<i64> = entries.iter().map(|e| e.position.offset).collect();
    assert_eq!(offsets, (4..10).collect::<Vec<_>>());
    // Backwards, over records already handed out.
    member.consumer.seek(partition, 1).await.expect("seek");
    let entries = member.collect(partition, 1, 9, deadline(30)).await;
    let offsets: Vec<i64> = entries.iter().map(|e| e.position.offset).collect();
    assert_eq!(offsets, (1..10).collect::<Vec<_>>());
    member.consumer.close().await;
}

pub async fn concurrent_appends_never_show_an_offset_before_a_lower_one(fx: Fixture) {
    const TASKS: usize = 8;
    const TOTAL: usize = 500;
    let log = fx.log;
    let all = all_partitions(&*log);
    let mut member = Member::join(&*log, "concurrent").await;
    member
        .poll_until(deadline(30), "the only member owns every partition", |m| {
            m.owned == all
        })
        .await;
    // Few tenants, so that many appends race for the same partition.
    let tenants = tenants(&*log, 3);
    let appenders: Vec<_> = (0..TASKS)
        .map(|task| {
            let log = log.clone();
            let tenants = tenants.clone();
            tokio::spawn(async move {
                let mut appended = Vec::new();
                for n in (task..TOTAL).step_by(TASKS) {
                    let record = record(tenants[n % tenants.len()], n);
                    let position = log.append(&record).await.expect("append");
                    appended.push((position, record.command_id));
                }
                appended
            })
        })
        .collect();
    // Read while they append: each partition must come out gap-free, 0, 1, 2…
    let mut next: BTreeMap<u32, i64> = BTreeMap::new();
    let mut received: BTreeMap<Position, CommandId> = BTreeMap::new();
    let until = deadline(60);
    while received.len() < TOTAL {
        assert!(
            Instant::now() < until,
            "timed out with {} of {TOTAL} records",
            received.len()
        );
        match member.poll(Duration::from_millis(200)).await {
            ConsumerEvent::Records(entries) => {
                for entry in entries {
                    let expected = next.entry(entry.position.partition).or_insert(0);
                    assert_eq!(
                        entry.position.offset, *expected,
                        "partition {} skipped or repeated an offset",
                        entry.position.partition
                    );
                    *expected += 1;
                    received.insert(
                        entry.position,
                        entry.command().expect("a readable record").command_id,
                    );
                }
            }
            // Continue where we were if the partitions come back after a rebalance.
            ConsumerEvent::Assigned(partitions) => {
                for partition in partitions {
                    let from = next.get(&partition).copied().unwrap_or(0);
                    member.consumer.seek(partition, from).await.expect("seek");
                }
            }
            _ => {}
        }
    }
    let mut appended = BTreeMap::new();
    for task in appenders {
        appended.extend(task.await.expect("appender"));
    }
    assert_eq!(appended.len(), TOTAL, "two appends got the same position");
    assert_eq!(
        received, appended,
        "the consumer saw other records, or at other positions"
    );
    member.consumer.close().await;
}

pub async fn two_consumers_split_the_partitions_and_one_takes_all_when_the_other_closes(
    fx: Fixture,
) {
    let log = fx.log;
    let all = all_partitions(&*log);
    let mut first = Member::join(&*log, "split").await;
    first
        .poll_until(deadline(30), "the first member owns every partition", |m| {
            m.owned == all
        })
        .await;

    let mut second = Member::join(&*log, "split").await;
    until_split(&mut first, &mut second, &all, deadline(30)).await;
    let fair = all.len().div_ceil(2);
    assert!(
        first.owned.len() <= fair && second.owned.len() <= fair,
        "unfair split {:?} / {:?}",
        first.owned,
        second.owned
    );

    second.consumer.close().await;
    first
        .poll_until(
            deadline(30),
            "the remaining member owns every partition",
            |m| m.owned == all,
        )
        .await;
    first.consumer.close().await;
}

pub async fn a_cancelled_poll_loses_nothing(fx: Fixture) {
    let log = fx.log;
    let all = all_partitions(&*log);
    let mut first = Member::join(&*log, "cancel").await;
    let mut second = Member::join(&*log, "cancel").await;
    // As in a `select!` with a shutdown signal: polls dropped at every stage of their work,
    // while the two members share the partitions out.
    let cancelling = Instant::now() + Duration::from_secs(3);
    let mut round: u64 = 0;
    while Instant::now() < cancelling {
        round += 1;
        let wait = Duration::from_micros(round * 397 % 3000);
        let _ = tokio::time::timeout(wait, first.poll(Duration::from_millis(100))).await;
        let _ = tokio::time::timeout(wait, second.poll(Duration::from_millis(100))).await;
    }
    // What each member was told still adds up to the truth: they end split, then one closes
    // and the other gets everything.
    until_split(&mut first, &mut second, &all, deadline(30)).await;
    second.consumer.close().await;
    first
        .poll_until(
            deadline(30),
            "the remaining member owns every partition",
            |m| m.owned == all,
        )
        .await;
    first.consumer.close().await;
}

/// Polls dropped at every stage of their work — while partitions are being assigned and sought
/// (as a projector seeks each to its checkpoint) and records fetched — hand out every record of
/// every partition once, in order.
pub async fn records_come_out_once_and_in_order_through_cancelled_polls(fx: Fixture) {
    const RECORDS: usize = 120;
    let log = fx.log;
    let tenants = tenants(&*log, 6);
    let mut appended: BTreeMap<u32, i64> = BTreeMap::new();
    for n in 0..RECORDS {
        let position = log
            .append(&record(tenants[n % tenants.len()], n))
            .await
            .expect("append");
        *appended.entry(position.partition).or_default() += 1;
    }
    let mut member = Member::join(&*log, "cancelled-records").await;
    let mut handed_out: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    let until = deadline(60);
    let mut round: u64 = 0;
    while handed_out.values().map(Vec::len).sum::<usize>() < RECORDS {
        assert!(
            Instant::now() < until,
            "records handed out: {handed_out:?}, appended: {appended:?}"
        );
        round += 1;
        let wait = Duration::from_micros(round * 397 % 20_000);
        let polled = tokio::time::timeout(wait, member.poll(Duration::from_millis(50))).await;
        match polled {
            Ok(ConsumerEvent::Assigned(partitions)) => {
                for partition in partitions {
                    member.consumer.seek(partition, 0).await.expect("seek");
                }
            }
            Ok(ConsumerEvent::Records(entries)) => {
                for entry in entries {
                    let position = entry.position;
                    handed_out
                        .entry(position.partition)
                        .or_default()
                        .push(position.offset);
                }
            }
            _ => {}
        }
    }
    for (partition, offsets) in &handed_out {
        assert_eq!(
            *offsets,
            (0..appended[partition]).collect::<Vec<_>>(),
            "partition {partition}"
        );
    }
    member.consumer.close().await;
}

/// Polls both (a group moves partitions only as its members answer) until they own disjoint,
/// non-empty shares of all partitions.
async fn until_split(first: &mut Member, second: &mut Member, all: &BTreeSet<u32>, until: Instant) {
    loop {
        let split = !first.owned.is_empty()
            && !second.owned.is_empty()
            && first.owned.is_disjoint(&second.owned)
            && first
                .owned
                .union(&second.owned)
                .copied()
                .collect::<BTreeSet<_>>()
                == *all;
        if split {
            return;
        }
        assert!(
            Instant::now() < until,
            "no split: first {:?} ({:?}), second {:?} ({:?})",
            first.owned,
            summary(&first.seen),
            second.owned,
            summary(&second.seen)
        );
        first.poll(Duration::from_millis(100)).await;
        second.poll(Duration::from_millis(100)).await;
    }
}

pub async fn ping_answers_when_the_log_is_up(fx: Fixture) {
    fx.log.ping().await.expect("ping");
}
