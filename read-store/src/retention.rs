//! Deleting what is kept only for a while, in small batches that each hold their row locks for
//! a moment: finished deliveries with their attempts, command outcomes, cron fire claims. The
//! activity log and the event log are history and are never pruned here.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::StoreError;

/// How much earlier than the oldest live idempotency key an outcome must have been decided to
/// be deleted: covers clocks of API hosts running ahead of the database's.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// Deletes up to `batch` deliveries that ended (succeeded or failed) before `before`, with their
/// attempts. A pending delivery is never deleted. Returns how many went.
pub async fn prune_deliveries(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<u64, StoreError> {
    Ok(client
        .execute(
            "DELETE FROM dispatch.deliveries WHERE id IN (
                 SELECT id FROM dispatch.deliveries
                 WHERE status <> 'pending' AND updated_at < $1
                 ORDER BY updated_at LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            &[&before, &batch],
        )
        .await?)
}

/// Deletes up to `batch` command outcomes decided before `before` — and before every
/// idempotency key still kept (less a margin for clocks), so a retry with a live key always
/// finds the outcome of the command it repeats. Returns how many went.
pub async fn prune_outcomes(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<u64, StoreError> {
    let margin = CLOCK_MARGIN.num_seconds() as f64;
    Ok(client
        .execute(
            "DELETE FROM command_outcomes WHERE command_id IN (
                 SELECT command_id FROM command_outcomes
                 WHERE decided_at < LEAST($1, coalesce(
                     (SELECT min(created_at) FROM apistate.idempotency_keys)
                         - make_interval(secs => $3),
                     $1))
                 ORDER BY decided_at LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            &[&before, &batch, &margin],
        )
        .await?)
}

/// Deletes up to `batch` cron fire claims made before `before` (a claim matters for
/// seconds, until its fire is applied). Returns how many went.
pub async fn prune_fire_claims(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<u64, StoreError> {
    Ok(client
        .execute(
            "DELETE FROM scheduling.fire_claims WHERE (cron_job_id, scheduled_for) IN (
                 SELECT cron_job_id, scheduled_for FROM scheduling.fire_claims
                 WHERE claimed_at < $1
                 ORDER BY claimed_at LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            &[&before, &batch],
        )
        .await?)
}
