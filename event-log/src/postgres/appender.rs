//! Group commit for appends. Concurrent appends would each take their partition's head-row
//! lock for a transaction of their own, one after the other. Instead, one task per log keeps at
//! most [`IN_FLIGHT`] statements in flight and writes everything that queued up meanwhile — for
//! every partition not already in a statement in flight — as a single statement: the same
//! guarantees (offsets assigned under each partition's head-row lock, visible in order), a
//! fraction of the transactions under load, whether the appends are one tenant's or spread
//! over many tenants' partitions.

use std::collections::{BTreeMap, BTreeSet};

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::json_text::JsonText;
use super::{db_error, pool_error};
use crate::LogError;

/// Statements in flight at most. One would gather the most appends per statement, but then a
/// statement that is slow (a large record, a head row locked by another process's append)
/// would hold back every partition's appends; with two, the others go on beside it.
pub(super) const IN_FLIGHT: usize = 2;

/// Reserves offsets under the head-row lock of each partition of `$1` (`$2` records each),
/// inserts the records (`$3` partition, `$4` place among its partition's records, `$5`…`$7`) at
/// them in order, and signals each partition once; `$extra` adds to what the statement
/// selects. The head rows are locked in partition order, so two statements of two processes
/// that share partitions cannot deadlock; a partition without a head row is left out of the
/// answer (and its records out of the log).
macro_rules! append_many {
    ($extra:literal) => {
        concat!(
            r#"
WITH locked AS MATERIALIZED (
    SELECT partition FROM eventlog.partitions
    WHERE partition = ANY($1::int[])
    ORDER BY partition
    FOR UPDATE
), head AS (
    UPDATE eventlog.partitions p SET next_offset = p.next_offset + n.count
    FROM locked JOIN unnest($1::int[], $2::int[]) AS n(partition, count) USING (partition)
    WHERE p.partition = locked.partition
    RETURNING p.partition, p.next_offset - n.count AS base
), appended AS (
    INSERT INTO eventlog.records (partition, "offset", command_id, tenant_id, record)
    SELECT r.partition, head.base + r.place, r.command_id, r.tenant_id, r.record
    FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::jsonb[])
             AS r(partition, place, command_id, tenant_id, record)
    JOIN head USING (partition)
)
SELECT partition, base, pg_notify('agenfleet_log', partition::text)"#,
            $extra,
            " FROM head"
        )
    };
}

const APPEND_MANY: &str = append_many!("");

/// `APPEND_MANY` committed without waiting for its WAL flush (`synchronous_commit` off for this
/// transaction alone), used when the read models are in the log's database. Nothing is
/// acknowledged on the strength of the append: a command is answered once the projector's
/// transaction that applied it has committed, and that commit waits for the WAL to be flushed
/// up to its own position, which lies after the append's, so one flush covers both. The
/// scheduler's fires are claimed durably and appended again when a claim goes stale; a
/// dispatcher's follow-up command (after a recorded attempt) is lost by a crash of Postgres
/// within the WAL writer's ~0.6 s, as by a crash of the dispatcher between the two steps. See
/// docs/ARCHITECTURE.md.
const APPEND_MANY_UNFLUSHED: &str = append_many!(", set_config('synchronous_commit', 'off', true)");

pub(super) struct Pending {
    pub partition: u32,
    pub command_id: String,
    pub tenant_id: String,
    /// The record as encoded (JSON text).
    pub record: Vec<u8>,
    pub done: oneshot::Sender<Result<i64, LogError>>,
}

/// The handle appends go through; the task ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Appender {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Appender {
    /// `unflushed`: commit appends without waiting for their flush (`APPEND_MANY_UNFLUSHED`).
    pub fn start(pool: Pool, unflushed: bool) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let statement = if unflushed {
            APPEND_MANY_UNFLUSHED
        } else {
            APPEND_MANY
        };
        tokio::spawn(run(pool, statement, incoming));
        Self { queue }
    }

    /// Appends one record and returns its offset once it is committed.
    pub async fn append(&self, pending: Pending) -> Result<(), LogError> {
        self.queue
            .send(pending)
            .map_err(|_| LogError::Other("the appender task has stopped".to_owned()))
    }
}

/// Wakes on: a new append (queued), or a statement finishing (its partitions are free again).
/// Then, while fewer than [`IN_FLIGHT`] statements are in flight, writes everything queued for
/// partitions that are in none as one more. Ends when every handle is gone and nothing is
/// queued or in flight.
async fn run(pool: Pool, statement: &'static str, mut incoming: mpsc::UnboundedReceiver<Pending>) {
    let (finished_tx, mut finished) = mpsc::unbounded_channel::<Vec<u32>>();
    let mut queued: BTreeMap<u32, Vec<Pending>> = BTreeMap::new();
    // Partitions in a statement in flight: a partition's next appends wait for it, so that its
    // offsets follow the order the appends came in.
    let mut busy: BTreeSet<u32> = BTreeSet::new();
    let mut in_flight = 0;
    let mut open = true;
    loop {
        tokio::select! {
            pending = incoming.recv(), if open => match pending {
                Some(pending) => queued.entry(pending.partition).or_default().push(pending),
                None => open = false,
            },
            Some(partitions) = finished.recv() => {
                in_flight -= 1;
                for partition in partitions {
                    busy.remove(&partition);
                }
            }
        }
        // Whatever else has come in goes into the same statement.
        while let Ok(pending) = incoming.try_recv() {
            queued.entry(pending.partition).or_default().push(pending);
        }
        while in_flight < IN_FLIGHT {
            let ready: Vec<u32> = queued
                .keys()
                .filter(|partition| !busy.contains(partition))
                .copied()
                .collect();
            if ready.is_empty() {
                break;
            }
            let groups: Vec<(u32, Vec<Pending>)> = ready
                .into_iter()
                .filter_map(|partition| Some((partition, queued.remove(&partition)?)))
                .collect();
            busy.extend(groups.iter().map(|(partition, _)| *partition));
            in_flight += 1;
            let (pool, finished) = (pool.clone(), finished_tx.clone());
            tokio::spawn(async move {
                let partitions = groups.iter().map(|(partition, _)| *partition).collect();
                write(&pool, statement, groups).await;
                let _ = finished.send(partitions);
            });
        }
        if !open && in_flight == 0 && queued.is_empty() {
            return;
        }
    }
}

/// Writes `groups` (each a partition and its appends in order, partitions ascending) in one
/// statement and answers each append with its offset or the error. A statement the database
/// refuses (not one it could not run: those are `Unavailable` for every append in it) may be
/// refusing one append's record — a record `jsonb` cannot store — so its appends are written
/// again one by one, in their order, and only the refused ones fail: one tenant's bad record
/// never fails the appends of others that shared its statement.
async fn write(pool: &Pool, statement: &str, groups: Vec<(u32, Vec<Pending>)>) {
    let result = attempt(pool, statement, &groups).await;
    let appends: usize = groups.iter().map(|(_, group)| group.len()).sum();
    if appends > 1 && matches!(result, Err(LogError::Other(_))) {
        for (partition, group) in groups {
            for pending in group {
                let alone = vec![(partition, vec![pending])];
                let result = attempt(pool, statement, &alone).await;
                answer(alone, &result);
            }
        }
        return;
    }
    answer(groups, &result);
}

/// Runs the statement for `groups`: the first offset given to each partition.
async fn attempt(
    pool: &Pool,
    statement: &str,
    groups: &[(u32, Vec<Pending>)],
) -> Result<BTreeMap<u32, i64>, LogError> {
    let client = pool.get().await.map_err(pool_error)?;
    let statement = client.prepare_cached(statement).await.map_err(db_error)?;
    let partitions: Vec<i32> = groups.iter().map(|(p, _)| *p as i32).collect();
    let counts: Vec<i32> = groups.iter().map(|(_, g)| g.len() as i32).collect();
    let appends = || {
        groups
            .iter()
            .flat_map(|(p, g)| g.iter().map(move |a| (*p, a)))
    };
    let record_partitions: Vec<i32> = appends().map(|(p, _)| p as i32).collect();
    let places: Vec<i32> = groups.iter().flat_map(|(_, g)| 0..g.len() as i32).collect();
    let command_ids: Vec<&str> = appends().map(|(_, a)| a.command_id.as_str()).collect();
    let tenant_ids: Vec<&str> = appends().map(|(_, a)| a.tenant_id.as_str()).collect();
    let records: Vec<JsonText> = appends().map(|(_, a)| JsonText(&a.record)).collect();
    let rows = client
        .query(
            &statement,
            &[
                &partitions,
                &counts,
                &record_partitions,
                &places,
                &command_ids,
                &tenant_ids,
                &records,
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| (row.get::<_, i32>(0) as u32, row.get::<_, i64>(1)))
        .collect())
}

/// Answers each append of `groups` from the statement's `result`.
fn answer(groups: Vec<(u32, Vec<Pending>)>, result: &Result<BTreeMap<u32, i64>, LogError>) {
    for (partition, group) in groups {
        for (place, pending) in group.into_iter().enumerate() {
            let outcome = match result {
                Ok(bases) => match bases.get(&partition) {
                    Some(base) => Ok(base + place as i64),
                    None => Err(LogError::Other(format!(
                        "partition {partition} has no row in eventlog.partitions: run migrate"
                    ))),
                },
                Err(LogError::Unavailable(message)) => Err(LogError::Unavailable(message.clone())),
                Err(other) => Err(LogError::Other(other.to_string())),
            };
            let _ = pending.done.send(outcome);
        }
    }
}
