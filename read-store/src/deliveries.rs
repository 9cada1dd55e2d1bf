//! Deliveries as the API shows them (`/v1/webhooks/{id}/deliveries`), and the two requests
//! that put deliveries back in the queue: a manual retry and a replay since a time. These act
//! on the dispatcher's queue (schema `dispatch`), not on domain state, so they do not go
//! through the event log.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::{DeliveryId, TenantId, WebhookId};
use tokio_postgres::Row;

use crate::{parse_column, Listed, Page, StoreError};

/// The channel the dispatchers listen on: new or re-queued deliveries are due.
pub const DELIVERIES_CHANNEL: &str = "agenfleet_deliveries";

/// A replay schedules at most this many events (ask again with a later `since` for more).
pub const MAX_REPLAY: i64 = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub webhook_id: Option<WebhookId>,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
}

const COLUMNS: &str = "d.id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts,
     d.next_attempt_at, d.last_status_code, d.created_at";

fn delivery_from_row(row: &Row) -> Result<Delivery, StoreError> {
    let webhook_id: Option<String> = row.get("webhook_id");
    Ok(Delivery {
        id: parse_column(row.get("id"))?,
        webhook_id: webhook_id.as_deref().map(parse_column).transpose()?,
        event_id: row.get("event_id"),
        event_type: row.get("event_type"),
        status: row.get("status"),
        attempts: row.get("attempts"),
        next_attempt_at: row.get("next_attempt_at"),
        last_status_code: row.get("last_status_code"),
        created_at: row.get("created_at"),
    })
}

/// An endpoint's deliveries, newest first unless `order=asc`, optionally of one status.
pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    webhook: WebhookId,
    status: Option<&str>,
    page: Page,
) -> Result<Listed<Delivery>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, count(*) OVER () AS total FROM dispatch.deliveries d
             WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND ($3::text IS NULL OR d.status = $3)
             ORDER BY d.created_at {order}, d.id {order} LIMIT $4 OFFSET $5"
        ))
        .await?;
    let (tenant, webhook) = (tenant.to_string(), webhook.to_string());
    let rows = client
        .query(
            &statement,
            &[&tenant, &webhook, &status, &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => {
            client
                .query_one(
                    "SELECT count(*) FROM dispatch.deliveries d
                     WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND ($3::text IS NULL OR d.status = $3)",
                    &[&tenant, &webhook, &status],
                )
                .await?
                .get(0)
        }
    };
    let rows = rows
        .iter()
        .map(delivery_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Listed { rows, total })
}

/// One delivery of an endpoint with its attempts, oldest first.
pub async fn get(
    client: &impl GenericClient,
    tenant: TenantId,
    webhook: WebhookId,
    id: DeliveryId,
) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM dispatch.deliveries d
             WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.id = $3"
        ))
        .await?;
    let id = id.to_string();
    let Some(row) = client
        .query_opt(
            &statement,
            &[&tenant.to_string(), &webhook.to_string(), &id],
        )
        .await?
    else {
        return Ok(None);
    };
    let attempts = client
        .query(
            "SELECT at, status_code, duration_ms, error FROM dispatch.delivery_attempts
             WHERE delivery_id = $1 ORDER BY number",
            &[&id],
        )
        .await?
        .iter()
        .map(|row| Attempt {
            at: row.get("at"),
            status_code: row.get("status_code"),
            duration_ms: row.get("duration_ms"),
            error: row.get("error"),
        })
        .collect();
    Ok(Some((delivery_from_row(&row)?, attempts)))
}

/// Puts a delivery back in the queue for an attempt now, whatever its state. An attempt in
/// flight loses its lease (its result is not recorded). False if there is no such delivery.
pub async fn retry(
    client: &impl GenericClient,
    tenant: TenantId,
    webhook: WebhookId,
    id: DeliveryId,
) -> Result<bool, StoreError> {
    let updated = client
        .execute(
            "WITH requeued AS (
                 UPDATE dispatch.deliveries SET status = 'pending', next_attempt_at = now(),
                        lease_token = NULL, updated_at = now()
                 WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3 RETURNING id)
             SELECT pg_notify($4, '') FROM requeued",
            &[
                &tenant.to_string(),
                &webhook.to_string(),
                &id.to_string(),
                &DELIVERIES_CHANNEL,
            ],
        )
        .await?;
    Ok(updated > 0)
}

/// Queues a new delivery to `webhook` of every event of `types` since `since` (oldest first,
/// at most [`MAX_REPLAY`]); returns how many. Each keeps its event id, so receivers that
/// already have an event recognise it by its `webhook-id`.
pub async fn replay(
    client: &mut deadpool_postgres::Object,
    tenant: TenantId,
    webhook: WebhookId,
    since: DateTime<Utc>,
    types: &[&str],
) -> Result<i64, StoreError> {
    let tx = client.transaction().await?;
    let events = tx
        .query(
            "SELECT id, type FROM activity
             WHERE tenant_id = $1 AND timestamp >= $2 AND type = ANY($3)
             ORDER BY sequence LIMIT $4",
            &[&tenant.to_string(), &since, &types, &MAX_REPLAY],
        )
        .await?;
    let (ids, event_ids, event_types): (Vec<String>, Vec<String>, Vec<String>) = events
        .iter()
        .map(|row| {
            (
                DeliveryId::new().to_string(),
                row.get::<_, String>(0),
                row.get::<_, String>(1),
            )
        })
        .fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut a, mut b, mut c), (x, y, z)| {
                a.push(x);
                b.push(y);
                c.push(z);
                (a, b, c)
            },
        );
    if !ids.is_empty() {
        tx.execute(
            "INSERT INTO dispatch.deliveries (id, tenant_id, webhook_id, event_id, event_type,
                                              next_attempt_at, created_at, updated_at)
             SELECT d.id, $4, $5, d.event_id, d.event_type, now(), now(), now()
             FROM unnest($1::text[], $2::text[], $3::text[]) AS d(id, event_id, event_type)",
            &[
                &ids,
                &event_ids,
                &event_types,
                &tenant.to_string(),
                &webhook.to_string(),
            ],
        )
        .await?;
        tx.execute("SELECT pg_notify($1, '')", &[&DELIVERIES_CHANNEL])
            .await?;
    }
    tx.commit().await?;
    Ok(ids.len() as i64)
}
