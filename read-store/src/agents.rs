//! Reads of the `agents` read model.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use domain::usage::{AgentUsage, PeriodUsage};
use domain::AgentState;
use postgres_types::Json;
use schema::agent::{AgentConfig, AgentStatus};
use schema::{AgentId, TenantId};
use tokio_postgres::Row;

use crate::batch::{fetch_rows, Lookup};
use crate::{Listed, Page, Store, StoreError};

/// Every column of an agent (except its SOUL text).
pub(crate) const COLUMNS: &str =
    "a.tenant_id, a.id, a.name, a.role, a.description, a.status, a.config,
     a.soul_sha256, a.created_at, a.updated_at, a.last_heartbeat_at, a.last_active_at,
     a.usage_day, a.tokens_today_input, a.tokens_today_output,
     a.budget_day_alerted, a.budget_day_exhausted, a.usage_month, a.tokens_month_input,
     a.tokens_month_output, a.budget_month_alerted, a.budget_month_exhausted";

/// An agent as the API shows it: its state and its count of active sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRow {
    pub state: AgentState,
    pub open_session_count: i64,
}

impl AgentRow {
    /// The row an accepted `agent.created` makes (the projector stores
    /// [`AgentState::created`], with no session yet).
    pub fn created(agent: &schema::event::AgentSnapshot) -> Self {
        Self {
            state: AgentState::created(agent),
            open_session_count: 0,
        }
    }
}

fn agent_row(row: &Row) -> Result<AgentRow, StoreError> {
    Ok(AgentRow {
        state: agent_state_from_row(row)?,
        open_session_count: i64::from(row.get::<_, i32>("open_session_count")),
    })
}

/// The state of agents by id, with their tenant (used by the projector's prefetch). Joined on
/// the primary key `(tenant_id, id)`, so it is an index lookup per agent.
pub(crate) static STATE_BY_IDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM agents a
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, id) ON a.tenant_id = w.tenant_id AND a.id = w.id"
    )
});

fn period(row: &Row, prefix: &str, start: &str) -> PeriodUsage {
    let (input, output): (i64, i64) = if prefix == "day" {
        (
            row.get("tokens_today_input"),
            row.get("tokens_today_output"),
        )
    } else {
        (
            row.get("tokens_month_input"),
            row.get("tokens_month_output"),
        )
    };
    PeriodUsage {
        start: row.get(start),
        input_tokens: input.max(0) as u64,
        output_tokens: output.max(0) as u64,
        alerted: row.get(format!("budget_{prefix}_alerted").as_str()),
        exhausted: row.get(format!("budget_{prefix}_exhausted").as_str()),
    }
}

pub(crate) fn agent_state_from_row(row: &Row) -> Result<AgentState, StoreError> {
    let id: String = row.get("id");
    let status: String = row.get("status");
    let Json(config): Json<AgentConfig> = row
        .try_get("config")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(AgentState {
        id: id
            .parse()
            .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))?,
        name: row.get("name"),
        role: row.get("role"),
        description: row.get("description"),
        status: AgentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("agent status {status}")))?,
        config,
        soul_sha256: row.get("soul_sha256"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        last_heartbeat_at: row.get("last_heartbeat_at"),
        last_active_at: row.get("last_active_at"),
        usage: AgentUsage {
            day: period(row, "day", "usage_day"),
            month: period(row, "month", "usage_month"),
        },
    })
}

/// Agents by key, many in one query (see [`crate::batch`]): a lookup by primary key for each.
pub(crate) static GET_MANY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS}, a.open_session_count, w.n
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(tenant_id, id, n)
         JOIN agents a ON a.tenant_id = w.tenant_id AND a.id = w.id"
    )
});

/// Agents by tenant and id, looked up together (see [`find`]).
pub struct ByKey;

impl Lookup for ByKey {
    type Key = (TenantId, AgentId);
    type Row = AgentRow;

    async fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[Self::Key],
    ) -> Result<Vec<(usize, AgentRow)>, StoreError> {
        let (tenants, ids) = crate::batch::key_arrays(keys);
        fetch_rows(client, &GET_MANY, &[&tenants, &ids], agent_row).await
    }
}

/// The agent `id` of `tenant`, looked up in one query with the others asked for at the same
/// moment ([`crate::batch`]).
pub async fn find(
    store: &Store,
    tenant: TenantId,
    id: AgentId,
) -> Result<Option<AgentRow>, StoreError> {
    store.batchers().agents.get((tenant, id)).await
}

pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    status: Option<AgentStatus>,
    page: Page,
) -> Result<Listed<AgentRow>, StoreError> {
    let order = page.order.sql();
    let status = status.map(AgentStatus::as_str);
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, a.open_session_count, count(*) OVER () AS total FROM agents a
             WHERE a.tenant_id = $1 AND ($2::text IS NULL OR a.status = $2)
             ORDER BY created_at {order}, id {order} LIMIT $3 OFFSET $4"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[&tenant.to_string(), &status, &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        // No agent at all as of the page's read: counted afresh, an agent created since would
        // make a first page say `total: 1` with no data.
        None if page.offset == 0 && page.limit > 0 => 0,
        // A page past the end: how many there are (read a moment later).
        None => count(client, tenant, status).await?,
    };
    Ok(Listed {
        rows: rows.iter().map(agent_row).collect::<Result<_, _>>()?,
        total,
    })
}

async fn count(
    client: &impl GenericClient,
    tenant: TenantId,
    status: Option<&str>,
) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM agents WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)",
            &[&tenant.to_string(), &status],
        )
        .await?;
    Ok(row.get(0))
}

/// The SOUL text: `None` when the agent does not exist, `Some(None)` when it has none.
pub async fn soul(
    client: &impl GenericClient,
    tenant: TenantId,
    id: AgentId,
) -> Result<Option<Option<String>>, StoreError> {
    let row = client
        .query_opt(
            "SELECT soul FROM agents WHERE tenant_id = $1 AND id = $2",
            &[&tenant.to_string(), &id.to_string()],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// An agent that has not sent a heartbeat since a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentAgent {
    pub tenant_id: TenantId,
    pub agent_id: AgentId,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
}

/// Online or degraded agents whose last heartbeat is older than `before`, oldest first.
pub async fn silent_since(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<SilentAgent>, StoreError> {
    let rows = client
        .query(
            "SELECT tenant_id, id, last_heartbeat_at FROM agents
             WHERE status IN ('online', 'degraded') AND last_heartbeat_at < $1
             ORDER BY last_heartbeat_at LIMIT $2",
            &[&before, &limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let tenant: String = row.get(0);
            let agent: String = row.get(1);
            Ok(SilentAgent {
                tenant_id: tenant
                    .parse()
                    .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))?,
                agent_id: agent
                    .parse()
                    .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))?,
                last_heartbeat_at: row.get(2),
            })
        })
        .collect()
}

/// The oldest heartbeat among online and degraded agents.
pub async fn oldest_heartbeat(
    client: &impl GenericClient,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = client
        .query_one(
            "SELECT min(last_heartbeat_at) FROM agents WHERE status IN ('online', 'degraded')",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
