//! Group commit for appends. Concurrent appends to one partition would each take the
//! partition's head-row lock for a transaction of their own, one after the other. Instead, one
//! task per log keeps at most one write in flight per partition and writes everything that
//! queued up meanwhile as a single statement: the same guarantees (offsets assigned under the
//! head-row lock, visible in order), a fraction of the transactions under load.

use std::collections::HashMap;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::json_text::JsonText;
use super::{db_error, pool_error};
use crate::LogError;

/// Reserves `n` offsets under the head-row lock, inserts the records at them in order, and
/// signals the partition once; `$extra` adds to what the statement selects.
macro_rules! append_many {
    ($extra:literal) => {
        concat!(
            r#"
WITH head AS (
    UPDATE eventlog.partitions SET next_offset = next_offset + cardinality($2::text[])
    WHERE partition = $1
    RETURNING next_offset - cardinality($2::text[]) AS base
), appended AS (
    INSERT INTO eventlog.records (partition, "offset", command_id, tenant_id, record)
    SELECT $1, head.base + r.ordinality - 1, r.command_id, r.tenant_id, r.record
    FROM head, unnest($2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS r(command_id, tenant_id, record)
)
SELECT base, pg_notify('agenfleet_log', $1::text)"#,
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

/// Wakes on: a new append (queued, and written at once if its partition is idle), or a write
/// finishing (the partition's queue, if any, is written next). Ends when every handle is gone
/// and no write is in flight.
async fn run(pool: Pool, statement: &'static str, mut incoming: mpsc::UnboundedReceiver<Pending>) {
    let (finished_tx, mut finished) = mpsc::unbounded_channel::<u32>();
    let mut queued: HashMap<u32, Vec<Pending>> = HashMap::new();
    let mut in_flight: HashMap<u32, bool> = HashMap::new();
    let mut open = true;
    loop {
        tokio::select! {
            pending = incoming.recv(), if open => match pending {
                Some(pending) => {
                    let partition = pending.partition;
                    queued.entry(partition).or_default().push(pending);
                    if !in_flight.get(&partition).copied().unwrap_or(false) {
                        start(&pool, statement, partition, &mut queued, &mut in_flight, &finished_tx);
                    }
                }
                None => open = false,
            },
            Some(partition) = finished.recv() => {
                in_flight.insert(partition, false);
                if queued.get(&partition).is_some_and(|queue| !queue.is_empty()) {
                    start(&pool, statement, partition, &mut queued, &mut in_flight, &finished_tx);
                }
            }
        }
        if !open && in_flight.values().all(|busy| !busy) {
            return;
        }
    }
}

fn start(
    pool: &Pool,
    statement: &'static str,
    partition: u32,
    queued: &mut HashMap<u32, Vec<Pending>>,
    in_flight: &mut HashMap<u32, bool>,
    finished: &mpsc::UnboundedSender<u32>,
) {
    let group = queued.remove(&partition).unwrap_or_default();
    in_flight.insert(partition, true);
    let (pool, finished) = (pool.clone(), finished.clone());
    tokio::spawn(async move {
        write(&pool, statement, partition, group).await;
        let _ = finished.send(partition);
    });
}

async fn write(pool: &Pool, statement: &str, partition: u32, group: Vec<Pending>) {
    let result = async {
        let client = pool.get().await.map_err(pool_error)?;
        let statement = client.prepare_cached(statement).await.map_err(db_error)?;
        let command_ids: Vec<&str> = group.iter().map(|p| p.command_id.as_str()).collect();
        let tenant_ids: Vec<&str> = group.iter().map(|p| p.tenant_id.as_str()).collect();
        let records: Vec<JsonText> = group.iter().map(|p| JsonText(&p.record)).collect();
        let row = client
            .query_opt(
                &statement,
                &[&(partition as i32), &command_ids, &tenant_ids, &records],
            )
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                LogError::Other(format!(
                    "partition {partition} has no row in eventlog.partitions: run migrate"
                ))
            })?;
        Ok::<i64, LogError>(row.get(0))
    }
    .await;
    for (index, pending) in group.into_iter().enumerate() {
        let outcome = match &result {
            Ok(base) => Ok(base + index as i64),
            Err(LogError::Unavailable(message)) => Err(LogError::Unavailable(message.clone())),
            Err(other) => Err(LogError::Other(other.to_string())),
        };
        let _ = pending.done.send(outcome);
    }
}
