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
}

/// Grants up to `wanted` slots in the windows starting at `minute_start` and `hour_start`,
/// no more than either window has left. Two pipelined statements, one round trip. The grant
/// commits without waiting for its WAL flush (`synchronous_commit` off for its own
/// transaction): a crash of Postgres within the WAL writer's delay may forget the last grants,
/// which lets that many more requests through in the windows (docs/ARCHITECTURE.md); other
/// processes see a grant as soon as it commits, so the limit holds while Postgres runs.
pub async fn lease(
    client: &impl GenericClient,
    tenant: TenantId,
    minute_start: DateTime<Utc>,
    hour_start: DateTime<Utc>,
    limits: (i32, i32),
    wanted: i32,
) -> Result<Lease, StoreError> {
    let ensure = client
        .prepare_cached(
            "INSERT INTO apistate.rate_limits (tenant_id, minute_start, minute_count, hour_start, hour_count)
             VALUES ($1, $2, 0, $3, 0) ON CONFLICT (tenant_id) DO NOTHING",
        )
        .await?;
    // `old` reads and locks the row before the update, so RETURNING sees both the counts
    // before (to tell what was granted) and after.
    let grant = client
        .prepare_cached(
            "WITH old AS (
                 SELECT tenant_id,
                        CASE WHEN minute_start = $2 THEN minute_count ELSE 0 END AS minute_count,
                        CASE WHEN hour_start = $3 THEN hour_count ELSE 0 END AS hour_count
                 FROM apistate.rate_limits WHERE tenant_id = $1 FOR UPDATE
             ), granted AS (
                 SELECT tenant_id, minute_count, hour_count,
                        GREATEST(0, LEAST($6::int, $4::int - minute_count, $5::int - hour_count)) AS slots
                 FROM old
             )
             UPDATE apistate.rate_limits r
             SET minute_start = $2, hour_start = $3,
                 minute_count = g.minute_count + g.slots, hour_count = g.hour_count + g.slots
             FROM granted g WHERE r.tenant_id = g.tenant_id
             RETURNING g.slots, r.minute_count, r.hour_count, set_config('synchronous_commit', 'off', true)",
        )
        .await?;
    let tenant = tenant.to_string();
    let (per_minute, per_hour) = limits;
    let ensure_params: [&(dyn postgres_types::ToSql + Sync); 3] =
        [&tenant, &minute_start, &hour_start];
    let grant_params: [&(dyn postgres_types::ToSql + Sync); 6] = [
        &tenant,
        &minute_start,
        &hour_start,
        &per_minute,
        &per_hour,
        &wanted,
    ];
    let (_, row) = futures::try_join!(
        client.execute(&ensure, &ensure_params),
        client.query_one(&grant, &grant_params)
    )?;
    Ok(Lease {
        granted: row.get(0),
        minute_count: row.get(1),
        hour_count: row.get(2),
    })
}
