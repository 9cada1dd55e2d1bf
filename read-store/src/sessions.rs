//! Reads of the `sessions` and `messages` read models.

use deadpool_postgres::GenericClient;
use postgres_types::Json;
use schema::session::{
    MessageRole, MessageSnapshot, SessionOrigin, SessionSnapshot, SessionStatus, ToolCall, Usage,
};
use schema::{AgentId, SessionId, TenantId};
use tokio_postgres::Row;

use crate::batch::{fetch_rows, Lookup};
use crate::{parse_column, Listed, Page, Store, StoreError};

pub(crate) const COLUMNS: &str =
    "s.tenant_id, s.id, s.agent_id, s.name, s.status, s.origin, s.cron_job_id,
     s.message_count, s.token_count, s.created_at, s.last_activity_at, s.archived_at";

/// Sessions by `(tenant, id)` (the projector's prefetch).
pub(crate) static BY_IDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM sessions s
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, id) ON s.tenant_id = w.tenant_id AND s.id = w.id"
    )
});

/// Active sessions matching any of several filters `(tenant, agent?, idle before?)` (the
/// projector's prefetch for prunes and agent deletions).
pub(crate) static ACTIVE_MATCHING: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT DISTINCT {COLUMNS} FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS w(tenant_id, agent_id, before)
         JOIN sessions s ON s.tenant_id = w.tenant_id AND s.status = 'active'
          AND (w.agent_id IS NULL OR s.agent_id = w.agent_id)
          AND (w.before IS NULL OR s.last_activity_at < w.before)"
    )
});

pub(crate) fn session_from_row(row: &Row) -> Result<SessionSnapshot, StoreError> {
    let status: String = row.get("status");
    let origin: String = row.get("origin");
    let cron_job_id: Option<String> = row.get("cron_job_id");
    Ok(SessionSnapshot {
        id: parse_column(row.get("id"))?,
        agent_id: parse_column(row.get("agent_id"))?,
        name: row.get("name"),
        status: SessionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status}")))?,
        origin: SessionOrigin::parse(&origin)
            .ok_or_else(|| StoreError::Corrupt(format!("session origin {origin}")))?,
        cron_job_id: cron_job_id.as_deref().map(parse_column).transpose()?,
        message_count: row.get("message_count"),
        token_count: row.get("token_count"),
        created_at: row.get("created_at"),
        last_activity_at: row.get("last_activity_at"),
        archived_at: row.get("archived_at"),
    })
}

/// Sessions by key, many in one query (see [`crate::batch`]): a lookup by primary key for each.
pub(crate) static GET_MANY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS}, w.n FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(tenant_id, id, n)
         JOIN sessions s ON s.tenant_id = w.tenant_id AND s.id = w.id"
    )
});

/// Sessions by tenant and id, looked up together (see [`find`]).
pub struct ByKey;

impl Lookup for ByKey {
    type Key = (TenantId, SessionId);
    type Row = SessionSnapshot;

    async fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[Self::Key],
    ) -> Result<Vec<(usize, SessionSnapshot)>, StoreError> {
        let (tenants, ids) = crate::batch::key_arrays(keys);
        fetch_rows(client, &GET_MANY, &[&tenants, &ids], session_from_row).await
    }
}

/// The session `id` of `tenant`, looked up in one query with the others asked for at the same
/// moment ([`crate::batch`]).
pub async fn find(
    store: &Store,
    tenant: TenantId,
    id: SessionId,
) -> Result<Option<SessionSnapshot>, StoreError> {
    store.batchers().sessions.get((tenant, id)).await
}

/// Filters of `GET /v1/sessions`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionFilter {
    pub agent: Option<AgentId>,
    pub status: Option<SessionStatus>,
    pub origin: Option<SessionOrigin>,
}

pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    filter: SessionFilter,
    page: Page,
) -> Result<Listed<SessionSnapshot>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, count(*) OVER () AS total FROM sessions s
             WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.agent_id = $2)
               AND ($3::text IS NULL OR s.status = $3) AND ($4::text IS NULL OR s.origin = $4)
             ORDER BY s.created_at {order}, s.id {order} LIMIT $5 OFFSET $6"
        ))
        .await?;
    let params = (
        tenant.to_string(),
        filter.agent.map(|id| id.to_string()),
        filter.status.map(SessionStatus::as_str),
        filter.origin.map(SessionOrigin::as_str),
    );
    let rows = client
        .query(
            &statement,
            &[
                &params.0,
                &params.1,
                &params.2,
                &params.3,
                &page.limit,
                &page.offset,
            ],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => {
            let row = client
                .query_one(
                    "SELECT count(*) FROM sessions s
                     WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.agent_id = $2)
                       AND ($3::text IS NULL OR s.status = $3) AND ($4::text IS NULL OR s.origin = $4)",
                    &[&params.0, &params.1, &params.2, &params.3],
                )
                .await?;
            row.get(0)
        }
    };
    Ok(Listed {
        rows: rows
            .iter()
            .map(session_from_row)
            .collect::<Result<_, _>>()?,
        total,
    })
}

fn message_from_row(row: &Row) -> Result<MessageSnapshot, StoreError> {
    let role: String = row.get("role");
    let usage: Option<Json<Usage>> = row
        .try_get("usage")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let Json(tool_calls): Json<Vec<ToolCall>> = row
        .try_get("tool_calls")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(MessageSnapshot {
        id: parse_column(row.get("id"))?,
        session_id: parse_column(row.get("session_id"))?,
        agent_id: parse_column(row.get("agent_id"))?,
        sequence: row.get("sequence"),
        role: MessageRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("message role {role}")))?,
        content: row.get("content"),
        usage: usage.map(|Json(usage)| usage),
        tool_calls,
        created_at: row.get("created_at"),
    })
}

/// A session's messages by sequence (oldest first by default); the total is the session's
/// message count.
pub async fn messages(
    client: &impl GenericClient,
    tenant: TenantId,
    session: &SessionSnapshot,
    page: Page,
) -> Result<Listed<MessageSnapshot>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT id, session_id, agent_id, sequence, role, content, usage, tool_calls, created_at
             FROM messages WHERE tenant_id = $1 AND session_id = $2
             ORDER BY sequence {order} LIMIT $3 OFFSET $4"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &tenant.to_string(),
                &session.id.to_string(),
                &page.limit,
                &page.offset,
            ],
        )
        .await?;
    Ok(Listed {
        rows: rows
            .iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()?,
        total: session.message_count,
    })
}

/// Messages by key, many in one query (see [`crate::batch`]): a lookup by primary key for each.
pub(crate) const MESSAGE_MANY: &str =
    "SELECT m.id, m.session_id, m.agent_id, m.sequence, m.role, m.content, m.usage, m.tool_calls,
            m.created_at, w.n
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(tenant_id, id, n)
     JOIN messages m ON m.tenant_id = w.tenant_id AND m.id = w.id";

/// Messages by tenant and id, looked up together (see [`find_message`]).
pub struct MessageByKey;

impl Lookup for MessageByKey {
    type Key = (TenantId, schema::MessageId);
    type Row = MessageSnapshot;

    async fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[Self::Key],
    ) -> Result<Vec<(usize, MessageSnapshot)>, StoreError> {
        let (tenants, ids) = crate::batch::key_arrays(keys);
        fetch_rows(client, MESSAGE_MANY, &[&tenants, &ids], message_from_row).await
    }
}

/// The message `id` of `tenant`, looked up in one query with the others asked for at the same
/// moment ([`crate::batch`]).
pub async fn find_message(
    store: &Store,
    tenant: TenantId,
    id: schema::MessageId,
) -> Result<Option<MessageSnapshot>, StoreError> {
    store.batchers().messages.get((tenant, id)).await
}

/// How many sessions a prune archived: the events its command produced.
pub async fn archived_by(
    client: &impl GenericClient,
    command: schema::CommandId,
) -> Result<i64, StoreError> {
    let row = client
        .query_opt(
            "SELECT event_count FROM command_outcomes WHERE command_id = $1",
            &[&command.to_string()],
        )
        .await?;
    Ok(row.map_or(0, |row| i64::from(row.get::<_, i32>(0))))
}
