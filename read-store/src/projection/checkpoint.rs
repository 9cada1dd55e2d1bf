//! The projector's position per partition, committed with the writes it covers.

use deadpool_postgres::GenericClient;

use super::in_send_order::InSendOrder;
use super::pipeline::Statement;
use super::transaction::PipelinedTransaction;

use crate::StoreError;

/// The channel on which the projector announces "partition:offset applied".
pub const APPLIED_CHANNEL: &str = "agenfleet_applied";

/// An upsert that always returns the row (its offset and token) and holds its lock until the
/// end of the transaction.
const LOCK: &str = "INSERT INTO checkpoints (partition, \"offset\") VALUES ($1, -1)
     ON CONFLICT (partition) DO UPDATE SET \"offset\" = checkpoints.\"offset\"
     RETURNING \"offset\", token";

/// Sent before a checkpoint's lock: the lock (a row of a table that holds one per partition,
/// by its key) is planned once per connection; planned afresh it cost the server about as
/// much as running it, first thing in every batch. A batch's prefetch after it sets the plans
/// it wants; after [`lock_checkpoint`] alone, [`DEFAULT_PLANS`] follows.
const LOCK_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";
const DEFAULT_PLANS: &str = "SET LOCAL plan_cache_mode TO DEFAULT";

/// The last applied offset of a partition, locked until the transaction ends, so that two
/// projectors that both believe they own a partition cannot both advance it.
pub async fn lock_checkpoint(
    tx: &PipelinedTransaction,
    partition: u32,
) -> Result<Checkpoint, StoreError> {
    // What follows in the transaction plans as the connection does.
    let plan_as_before = async {
        tx.batch_execute(DEFAULT_PLANS)
            .await
            .map_err(StoreError::from)
    };
    lock_checkpoint_then(tx, partition, plan_as_before)
        .await
        .map(|(offset, ())| offset)
}

/// Like [`lock_checkpoint`], with the statements of `then` sent in the same round trip: the
/// server runs them after the lock is granted, so they read what the previous holder committed.
/// (`then` must not send anything before it is first polled, as an `async` block or function
/// does not.)
pub async fn lock_checkpoint_then<T>(
    tx: &PipelinedTransaction,
    partition: u32,
    then: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<(Checkpoint, T), StoreError> {
    // Prepared first (cached after the first batch), so the lock's execute is sent before
    // anything of `then`: tokio-postgres sends a request when its future is first polled, and
    // `join!` polls in order.
    let statement = tx.prepare_cached(LOCK).await?;
    let partition = partition as i32;
    let lock = async {
        let params: [&(dyn postgres_types::ToSql + Sync); 1] = [&partition];
        let (_, rows) = futures::join!(tx.batch_execute(LOCK_PLANS), tx.query(&statement, &params))
            .in_send_order()?;
        let (offset, token) = rows
            .first()
            .map_or((-1, None), |row| (row.get::<_, i64>(0), row.get(1)));
        Ok::<_, StoreError>(Checkpoint {
            offset: (offset >= 0).then_some(offset),
            token,
        })
    };
    futures::join!(lock, then).in_send_order()
}

/// The checkpoints of several partitions, locked in partition order, without waiting: one held
/// by another transaction fails this one at once (SQLSTATE 55P03).
const LOCK_SEVERAL: &str = "SELECT partition, \"offset\" FROM checkpoints WHERE partition = ANY($1)
     ORDER BY partition FOR UPDATE NOWAIT";

/// How long a batch that spans partitions waits for any lock before it gives up (its
/// partitions are then applied one by one, where one that is stuck holds back no other).
/// (And the lock planned once per connection, as [`LOCK_PLANS`] says.)
const LOCK_WAIT_TOGETHER: &str =
    "SET LOCAL lock_timeout = '100ms'; SET LOCAL plan_cache_mode = force_generic_plan";

/// Like [`lock_checkpoint_then`] for several partitions (a batch that spans them), with the
/// statements of `then` in the same round trip. Returns the checkpoint of each partition that
/// has a row. The transaction waits for no lock longer than 100 ms — a checkpoint held by
/// another transaction fails it at once — so that one partition stuck behind a lock (a write
/// waiting on a row someone else holds) does not hold back the others: the caller then
/// applies each partition on its own.
pub async fn lock_checkpoints_then<T>(
    tx: &PipelinedTransaction,
    partitions: &[u32],
    then: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<(Vec<(u32, i64)>, T), StoreError> {
    let statement = tx.prepare_cached(LOCK_SEVERAL).await?;
    let wanted: Vec<i32> = partitions.iter().map(|p| *p as i32).collect();
    let lock = async {
        // Sent first (each request is sent when first polled, in this order).
        let params: [&(dyn postgres_types::ToSql + Sync); 1] = [&wanted];
        let (_, rows) = futures::join!(
            tx.batch_execute(LOCK_WAIT_TOGETHER),
            tx.query(&statement, &params)
        )
        .in_send_order()?;
        Ok::<_, StoreError>(
            rows.iter()
                .map(|row| (row.get::<_, i32>(0) as u32, row.get::<_, i64>(1)))
                .collect(),
        )
    };
    futures::join!(lock, then).in_send_order()
}

/// The last applied offset of each partition (no lock), for seeking after an assignment.
pub async fn checkpoints(
    client: &impl GenericClient,
    partitions: &[u32],
) -> Result<Vec<(u32, Option<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(partitions.len());
    for &partition in partitions {
        let row = client
            .query_opt(
                "SELECT \"offset\" FROM checkpoints WHERE partition = $1",
                &[&(partition as i32)],
            )
            .await?;
        out.push((
            partition,
            row.map(|row| row.get::<_, i64>(0))
                .filter(|offset| *offset >= 0),
        ));
    }
    Ok(out)
}

/// The checkpoints' advance: `$1` partitions, `$2` their new offsets. Leaves no token: the
/// next batch's decisions are read afresh or carried from this one's ([`Checkpoint::token`]).
const ADVANCE: &str = "UPDATE checkpoints c SET \"offset\" = n.to_offset, token = NULL
     FROM unnest($1::int[], $2::bigint[]) AS n(partition, to_offset)
     WHERE c.partition = n.partition";

/// A checkpoint's advance from the offset and token the batch's decisions were based on (`$2`,
/// `$3`), failing the transaction if it is elsewhere (migrations `0009_advance_checkpoint_from`,
/// `0010_checkpoint_tokens`): `$1` partition, `$4` its new offset, `$5` its new token.
const ADVANCE_FROM: &str = "SELECT advance_checkpoint_from($1, $2, $3, $4, $5)";

/// The statements here, all run on generic plans (the advance by
/// [`super::pipeline::execute_all`]): each reads or writes rows of a table that holds one per
/// partition, by its key, so no plan of theirs can scan anything large; planning one afresh
/// cost the server as much as running it or more, on the path of every batch.
pub(crate) const ON_GENERIC_PLANS: [&str; 5] =
    [LOCK, LOCK_SEVERAL, ADVANCE, ADVANCE_FROM, ANNOUNCE];

/// Advances the checkpoints of `(partition, offset)`: the last write of a batch, before its
/// [`Announcement`]s.
pub fn advance(to: &[(u32, i64)]) -> Statement {
    let partitions: Vec<i32> = to.iter().map(|(partition, _)| *partition as i32).collect();
    let offsets: Vec<i64> = to.iter().map(|(_, offset)| *offset).collect();
    Statement::new(ADVANCE, vec![Box::new(partitions), Box::new(offsets)])
}

/// Advances `partition`'s checkpoint from `expected` to `to` (with the token `token`), failing
/// the transaction if it is not at `expected`: the first statement of a batch decided on the
/// state its partition's previous batch left ([`super::Carried`]), which takes the
/// checkpoint's lock as [`lock_checkpoint`] does, and in its place.
pub fn advance_from(partition: u32, expected: Checkpoint, to: i64, token: i64) -> Statement {
    Statement::new(
        ADVANCE_FROM,
        vec![
            Box::new(partition as i32),
            Box::new(expected.offset.unwrap_or(-1)),
            Box::new(expected.token),
            Box::new(to),
            Box::new(token),
        ],
    )
}

/// Where a partition's checkpoint is: the last applied offset (`None`: none yet), and the token
/// the batch that put it there wrote if that batch was decided on a carried state (see
/// migration `0010_checkpoint_tokens`): the same offset reached by other decisions (a carried
/// batch that failed, applied again the usual way) has another token, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub offset: Option<i64>,
    pub token: Option<i64>,
}

impl Checkpoint {
    /// A fresh token for a batch decided on a carried state: random, so that no other batch,
    /// of this process or another, writes the same.
    pub fn fresh_token() -> i64 {
        // The random 80 bits of a ULID; the low 64 are random.
        ulid::Ulid::new().0 as i64
    }
}

/// The notifications of a batch, in order (`$3` channels, `$4` payloads, `$5` whether the
/// payload follows the schema's name), sent only if the checkpoint shows the batch (`$1`
/// partition, `$2` its last offset) committed. After the batch's `COMMIT`, in the same round
/// trip, it runs in a transaction of its own ([`ANNOUNCE_BEGIN`]).
///
/// Why not in the batch's transaction: Postgres serializes the commits of every transaction
/// that notifies, cluster-wide, from just before the commit until after it, WAL flush
/// included (a lock on "database 0", so that notifications queue in commit order). A batch that
/// notified held that lock through its flush (about 0.5 ms here), and every append — which
/// notifies — and every other partition's batch queued behind it: partitions applied side by
/// side got slower than one (docs/BENCHMARKS.md).
const ANNOUNCE: &str = "SELECT pg_notify(n.channel,
                  CASE WHEN n.schema_first THEN current_schema() || ' ' || n.payload
                       ELSE n.payload END)
     FROM (SELECT channel, payload, schema_first
           FROM unnest($3::text[], $4::text[], $5::bool[]) WITH ORDINALITY
                AS n(channel, payload, schema_first, position)
           WHERE EXISTS (SELECT 1 FROM checkpoints WHERE partition = $1 AND \"offset\" >= $2)
           ORDER BY position) n";

/// Opens the transaction of an [`ANNOUNCE`] after a batch's `COMMIT` (`COMMIT` closes it): its
/// commit does not wait for its WAL flush (it writes nothing but its transaction id), and the
/// statement runs on a generic plan — planned afresh, as a statement of its own, it cost the
/// server 76 µs per batch against 25 µs of running it, on the path of the partition's next
/// batch.
pub(crate) const ANNOUNCE_BEGIN: &str =
    "BEGIN; SET LOCAL synchronous_commit = off; SET LOCAL plan_cache_mode = force_generic_plan";

/// What a batch tells once it has committed: API processes the records it decided
/// ([`super::DECIDED_CHANNEL`], from [`super::decided_payload`], first) and `partition:offset`
/// on [`APPLIED_CHANNEL`] (last); before that, the services its writes concern (`wake`).
#[derive(Debug, Clone)]
pub struct Announcement {
    pub partition: u32,
    pub offset: i64,
    pub decided: Option<String>,
    pub wake: Vec<&'static str>,
}

impl Announcement {
    pub fn new(partition: u32, offset: i64, decided: Option<String>) -> Self {
        Self {
            partition,
            offset,
            decided,
            wake: Vec::new(),
        }
    }

    /// The statement that sends `announcements` (a batch's, one per partition it applied), in
    /// their order, unless the first one's checkpoint does not show the batch committed: run
    /// after the batch's `COMMIT` between [`ANNOUNCE_BEGIN`] and `COMMIT`, or inside the batch's
    /// transaction (delivered at its commit). One statement for all: each transaction that
    /// notifies wakes every listening backend.
    pub(crate) fn statement(announcements: &[Announcement]) -> Option<Statement> {
        let first = announcements.first()?;
        let mut channels = Vec::new();
        let mut payloads = Vec::new();
        let mut schema_first = Vec::new();
        for announcement in announcements {
            if let Some(decided) = &announcement.decided {
                channels.push(super::DECIDED_CHANNEL.to_owned());
                payloads.push(decided.clone());
                schema_first.push(true);
            }
            for channel in &announcement.wake {
                channels.push((*channel).to_owned());
                payloads.push(String::new());
                schema_first.push(false);
            }
            channels.push(APPLIED_CHANNEL.to_owned());
            payloads.push(format!(
                "{}:{}",
                announcement.partition, announcement.offset
            ));
            schema_first.push(false);
        }
        Some(Statement::new(
            ANNOUNCE,
            vec![
                Box::new(first.partition as i32),
                Box::new(first.offset),
                Box::new(channels),
                Box::new(payloads),
                Box::new(schema_first),
            ],
        ))
    }
}
