//! Reads of the `webhooks` read model (endpoints and their sealed secrets).

use deadpool_postgres::GenericClient;
use domain::WebhookState;
use schema::webhook::{WebhookSecrets, WebhookSnapshot};
use schema::{TenantId, WebhookId};
use tokio_postgres::Row;

use crate::{parse_column, Listed, Page, StoreError};

pub(crate) const COLUMNS: &str = "w.tenant_id, w.id, w.url, w.events, w.description, w.enabled,
     w.disabled_reason, w.secret, w.previous_secret, w.previous_secret_expires_at, w.created_at,
     w.updated_at";

/// Every endpoint of several tenants, oldest first (the projector's prefetch).
pub(crate) static BY_TENANTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM webhooks w WHERE w.tenant_id = ANY($1) ORDER BY w.created_at, w.id"
    )
});

pub(crate) fn webhook_from_row(row: &Row) -> Result<WebhookState, StoreError> {
    Ok(WebhookState {
        webhook: WebhookSnapshot {
            id: parse_column(row.get("id"))?,
            url: row.get("url"),
            events: row.get("events"),
            description: row.get("description"),
            enabled: row.get("enabled"),
            disabled_reason: row.get("disabled_reason"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        },
        secrets: WebhookSecrets {
            current: row.get("secret"),
            previous: row.get("previous_secret"),
            previous_expires_at: row.get("previous_secret_expires_at"),
        },
    })
}

pub async fn get(
    client: &impl GenericClient,
    tenant: TenantId,
    id: WebhookId,
) -> Result<Option<WebhookState>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhooks w WHERE w.tenant_id = $1 AND w.id = $2"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&tenant.to_string(), &id.to_string()])
        .await?;
    row.as_ref().map(webhook_from_row).transpose()
}

/// `GET /v1/webhooks`: newest first unless `order=asc`.
pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    page: Page,
) -> Result<Listed<WebhookSnapshot>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, count(*) OVER () AS total FROM webhooks w WHERE w.tenant_id = $1
             ORDER BY w.created_at {order}, w.id {order} LIMIT $2 OFFSET $3"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[&tenant.to_string(), &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => client
            .query_one(
                "SELECT count(*) FROM webhooks WHERE tenant_id = $1",
                &[&tenant.to_string()],
            )
            .await?
            .get(0),
    };
    let rows = rows
        .iter()
        .map(|row| webhook_from_row(row).map(|state| state.webhook))
        .collect::<Result<_, _>>()?;
    Ok(Listed { rows, total })
}
