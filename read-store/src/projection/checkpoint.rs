//! The projector's position per partition, committed with the writes it covers.

use deadpool_postgres::GenericClient;

use super::pipeline::Statement;
use super::transaction::PipelinedTransaction;

use crate::StoreError;

/// The channel on which the projector announces "partition:offset applied".
pub const APPLIED_CHANNEL: &str = "agenfleet_applied";

/// An upsert that always returns the row and holds its lock until the end of the transaction.
const LOCK: &str = "INSERT INTO checkpoints (partition, \"offset\") VALUES ($1, -1)
     ON CONFLICT (partition) DO UPDATE SET \"offset\" = checkpoints.\"offset\"
     RETURNING \"offset\"";

/// The last applied offset of a partition, locked until the transaction ends, so that two
/// projectors that both believe they own a partition cannot both advance it.
pub async fn lock_checkpoint(
    tx: &PipelinedTransaction,
    partition: u32,
) -> Result<Option<i64>, StoreError> {
    lock_checkpoint_then(tx, partition, async { Ok(()) })
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
) -> Result<(Option<i64>, T), StoreError> {
    // Prepared first (cached after the first batch), so the lock's execute is sent before
    // anything of `then`: tokio-postgres sends a request when its future is first polled, and
    // `try_join!` polls in order.
    let statement = tx.prepare_cached(LOCK).await?;
    let lock = async {
        let rows = tx.query(&statement, &[&(partition as i32)]).await?;
        let offset: i64 = rows.first().map(|row| row.get(0)).unwrap_or(-1);
        Ok::<_, StoreError>((offset >= 0).then_some(offset))
    };
    futures::try_join!(lock, then)
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

/// The checkpoint's advance with its `partition:offset` notification.
const ADVANCE: &str = "WITH moved AS (UPDATE checkpoints SET \"offset\" = $2 WHERE partition = $1)
     SELECT pg_notify($3, $1::text || ':' || $2::text)";
/// The same, with the batch's decisions sent first on their channel (a `FROM` on its row makes
/// the server send it before the other).
const ADVANCE_WITH_DECIDED: &str =
    "WITH moved AS (UPDATE checkpoints SET \"offset\" = $2 WHERE partition = $1),
          decided AS (SELECT pg_notify($4, current_schema() || ' ' || $5))
     SELECT pg_notify($3, $1::text || ':' || $2::text) FROM decided";

/// The advances, run on generic plans ([`super::pipeline::execute_all`]): each updates one row
/// of a table that holds one per partition, by its key, so no plan of it can scan anything
/// large; planning one afresh cost the server more than running it (49 µs against 16 µs per
/// batch).
pub(crate) const ADVANCES: [&str; 2] = [ADVANCE, ADVANCE_WITH_DECIDED];

/// Advances the checkpoint and tells API processes (the notifications are delivered on
/// commit): the last statement of a batch. `decided`, from [`super::decided_payload`], goes
/// first on [`super::DECIDED_CHANNEL`].
pub fn advance(partition: u32, offset: i64, decided: Option<String>) -> Statement {
    let mut params: Vec<super::pipeline::Param> = vec![
        Box::new(partition as i32),
        Box::new(offset),
        Box::new(APPLIED_CHANNEL),
    ];
    let sql = match decided {
        None => ADVANCE,
        Some(decided) => {
            params.push(Box::new(super::DECIDED_CHANNEL));
            params.push(Box::new(decided));
            ADVANCE_WITH_DECIDED
        }
    };
    Statement::new(sql, params)
}
