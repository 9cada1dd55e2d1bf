//! The JSON shapes of resources, exactly as the contract names their fields.

use chrono::{DateTime, Utc};
use read_store::agents::AgentRow;
use schema::agent::AgentConfig;
use serde::Serialize;

/// An agent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Agent)]
pub struct AgentView<'a> {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: String,
    pub name: &'a str,
    pub role: Option<&'a str>,
    pub description: Option<&'a str>,
    #[schema(value_type = schema::agent::AgentStatus)]
    pub status: &'static str,
    pub model: &'a str,
    pub config: &'a AgentConfig,
    pub soul_sha256: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub tokens_today_input: i64,
    pub tokens_today_output: i64,
    pub open_session_count: i32,
}

impl<'a> From<&'a AgentRow> for AgentView<'a> {
    fn from(row: &'a AgentRow) -> Self {
        let agent = &row.state;
        Self {
            id: agent.id.to_string(),
            name: &agent.name,
            role: agent.role.as_deref(),
            description: agent.description.as_deref(),
            status: agent.status.as_str(),
            model: &agent.config.model.default,
            config: &agent.config,
            soul_sha256: agent.soul_sha256.as_deref(),
            created_at: agent.created_at,
            updated_at: agent.updated_at,
            last_active_at: row.last_active_at,
            last_heartbeat_at: agent.last_heartbeat_at,
            tokens_today_input: row.tokens_today_input,
            tokens_today_output: row.tokens_today_output,
            open_session_count: row.open_session_count,
        }
    }
}
