//! Counting requests per tenant in fixed UTC windows, shared by all API processes.
//!
//! An API process takes *leases*: a number of request slots of the current minute and hour,
//! granted atomically against the tenant's counters (one row per tenant), and spends them
//! locally. Leases never exceed what is left in either window, so all processes together never
//! let more than the limit through; a lease of one is exact.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::TenantId;

use crate::StoreError;

/// The outcome of asking for a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// Slots granted now (0: a window is exhausted, the request is refused).
    pub granted: i32,
    /// The windows' counts after the grant.
    pub minute_count: i32,
    pub hour_count: i32,
    /// The windows the grant counts in, by Postgres's clock.
    pub minute_start: DateTime<Utc>,
    pub hour_start: DateTime<Utc>,
    /// Postgres's clock when it granted (the start of the grant's transaction).
    pub now: DateTime<Utc>,
}

/// Grants up to `wanted` slots of the current minute and hour, no more than either window has
/// left (`limits`: per minute, per hour). Two pipelined statements, one round trip.
///
/// The windows are Postgres's: the minute and the hour its clock is in, never one before the
/// windows the tenant's row already counts in. API processes on hosts whose clocks disagree,
/// or a request that waited across a minute's end, therefore count in the same windows, and
/// none can set a tenant's counters back to a window that has ended (which would start the
/// current one again from zero).
///
/// The grant commits without waiting for its WAL flush (`synchronous_commit` off for its own
/// transaction): a crash of Postgres within the WAL writer's delay may forget the last grants,
/// which lets that many more requests through in the windows (docs/ARCHITECTURE.md); other
/// processes see a grant as soon as it commits, so the limit holds while Postgres runs.
pub async fn lease(
    client: &impl GenericClient,
    tenant: TenantId,
    limits: (i32, i32),
    wanted: i32,
) -> Result<Lease, StoreError> {
    let ensure = client
        .prepare_cached(
            "INSERT INTO apistate.rate_limits (tenant_id, minute_start, minute_count, hour_start, hour_count)
             VALUES ($1, date_trunc('minute', now(), 'UTC'), 0, date_trunc('hour', now(), 'UTC'), 0)
             ON CONFLICT (tenant_id) DO NOTHING",
        )
        .await?;
    // `old` reads and locks the row before the update, so RETURNING sees both the counts
    // before (to tell what was granted) and after.
    let grant = client
        .prepare_cached(
            "WITH windows AS (
                 SELECT date_trunc('minute', now(), 'UTC') AS minute,
                        date_trunc('hour', now(), 'UTC') AS hour
             ), old AS (
                 SELECT r.tenant_id,
                        GREATEST(r.minute_start, w.minute) AS minute_start,
                        GREATEST(r.hour_start, w.hour) AS hour_start,
                        CASE WHEN r.minute_start >= w.minute THEN r.minute_count ELSE 0 END AS minute_count,
                        CASE WHEN r.hour_start >= w.hour THEN r.hour_count ELSE 0 END AS hour_count
                 FROM apistate.rate_limits r CROSS JOIN windows w
                 WHERE r.tenant_id = $1 FOR UPDATE OF r
             ), granted AS (
                 SELECT old.*,
                        GREATEST(0, LEAST($4::int, $2::int - minute_count, $3::int - hour_count)) AS slots
                 FROM old
             )
             UPDATE apistate.rate_limits r
             SET minute_start = g.minute_start, hour_start = g.hour_start,
                 minute_count = g.minute_count + g.slots, hour_count = g.hour_count + g.slots
             FROM granted g WHERE r.tenant_id = g.tenant_id
             RETURNING g.slots, r.minute_count, r.hour_count, r.minute_start, r.hour_start, now(),
                       set_config('synchronous_commit', 'off', true)",
        )
        .await?;
    let tenant = tenant.to_string();
    let (per_minute, per_hour) = limits;
    let ensure_params: [&(dyn postgres_types::ToSql + Sync); 1] = [&tenant];
    let grant_params: [&(dyn postgres_types::ToSql + Sync); 4] =
        [&tenant, &per_minute, &per_hour, &wanted];
    let (_, row) = futures::try_join!(
        client.execute(&ensure, &ensure_params),
        client.query_one(&grant, &grant_params)
    )?;
    Ok(Lease {
        granted: row.get(0),
        minute_count: row.get(1),
        hour_count: row.get(2),
        minute_start: row.get(3),
        hour_start: row.get(4),
        now: row.get(5),
    })
}
