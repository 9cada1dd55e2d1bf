//! Counting requests per tenant in fixed UTC windows, shared by all API processes.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::TenantId;

use crate::StoreError;

/// The counts after a request, and whether it was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub allowed: bool,
    pub minute_count: i32,
    pub hour_count: i32,
}

/// Counts one request against both windows if both are under their limit, atomically (one row
/// per tenant, one statement): N processes together never let more than the limit through.
/// A refused request is not counted.
pub async fn count_request(
    client: &impl GenericClient,
    tenant: TenantId,
    minute_start: DateTime<Utc>,
    hour_start: DateTime<Utc>,
    per_minute: i32,
    per_hour: i32,
) -> Result<Counted, StoreError> {
    let count = client
        .prepare_cached(
            "INSERT INTO apistate.rate_limits AS r (tenant_id, minute_start, minute_count, hour_start, hour_count)
             VALUES ($1, $2, 1, $3, 1)
             ON CONFLICT (tenant_id) DO UPDATE SET
                 minute_start = $2,
                 hour_start = $3,
                 minute_count = CASE WHEN r.minute_start = $2 THEN r.minute_count ELSE 0 END + 1,
                 hour_count = CASE WHEN r.hour_start = $3 THEN r.hour_count ELSE 0 END + 1
             WHERE (CASE WHEN r.minute_start = $2 THEN r.minute_count ELSE 0 END) < $4
               AND (CASE WHEN r.hour_start = $3 THEN r.hour_count ELSE 0 END) < $5
             RETURNING minute_count, hour_count",
        )
        .await?;
    let tenant = tenant.to_string();
    if let Some(row) = client
        .query_opt(
            &count,
            &[&tenant, &minute_start, &hour_start, &per_minute, &per_hour],
        )
        .await?
    {
        return Ok(Counted {
            allowed: true,
            minute_count: row.get(0),
            hour_count: row.get(1),
        });
    }
    // Refused: read the counts for the headers (only on this path).
    let row = client
        .query_one(
            "SELECT CASE WHEN minute_start = $2 THEN minute_count ELSE 0 END,
                    CASE WHEN hour_start = $3 THEN hour_count ELSE 0 END
             FROM apistate.rate_limits WHERE tenant_id = $1",
            &[&tenant, &minute_start, &hour_start],
        )
        .await?;
    Ok(Counted {
        allowed: false,
        minute_count: row.get(0),
        hour_count: row.get(1),
    })
}
