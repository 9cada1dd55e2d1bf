//! The JSON shapes of resources, exactly as the contract names their fields.

use chrono::{DateTime, Utc};
use read_store::agents::AgentRow;
use schema::agent::AgentConfig;
use schema::session::{
    micro_usd_to_usd, BudgetPeriod, MessageRole, MessageSnapshot, SessionOrigin, SessionSnapshot,
    SessionStatus, ToolCall,
};
use serde::Serialize;

/// An agent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Agent)]
pub struct AgentView<'a> {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: String,
    pub name: &'a str,
    #[schema(required = true)]
    pub role: Option<&'a str>,
    #[schema(required = true)]
    pub description: Option<&'a str>,
    #[schema(value_type = schema::agent::AgentStatus)]
    pub status: &'static str,
    pub model: &'a str,
    pub config: &'a AgentConfig,
    #[schema(required = true)]
    pub soul_sha256: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub last_active_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub tokens_today_input: i64,
    pub tokens_today_output: i64,
    pub open_session_count: i64,
    /// The gateway's signing secret (`whsec_…`): only in the response of the request that set
    /// `config.gateway.url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_secret: Option<String>,
}

impl<'a> From<&'a AgentRow> for AgentView<'a> {
    fn from(row: &'a AgentRow) -> Self {
        let agent = &row.state;
        // The counters of a day that is over read as zero.
        let today = agent.usage.at(BudgetPeriod::Daily, Utc::now());
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
            last_active_at: agent.last_active_at,
            last_heartbeat_at: agent.last_heartbeat_at,
            tokens_today_input: today.input_tokens as i64,
            tokens_today_output: today.output_tokens as i64,
            open_session_count: row.open_session_count,
            gateway_secret: None,
        }
    }
}

/// A session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Session)]
pub struct SessionView<'a> {
    #[schema(example = "sess_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: String,
    pub agent_id: String,
    #[schema(required = true)]
    pub name: Option<&'a str>,
    pub status: SessionStatus,
    pub origin: SessionOrigin,
    #[schema(required = true)]
    pub cron_job_id: Option<String>,
    pub message_count: i64,
    pub token_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    #[schema(required = true)]
    pub archived_at: Option<DateTime<Utc>>,
}

impl<'a> From<&'a SessionSnapshot> for SessionView<'a> {
    fn from(session: &'a SessionSnapshot) -> Self {
        Self {
            id: session.id.to_string(),
            agent_id: session.agent_id.to_string(),
            name: session.name.as_deref(),
            status: session.status,
            origin: session.origin,
            cron_job_id: session.cron_job_id.map(|id| id.to_string()),
            message_count: session.message_count,
            token_count: session.token_count,
            created_at: session.created_at,
            last_activity_at: session.last_activity_at,
            archived_at: session.archived_at,
        }
    }
}

/// What a reply cost.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MessageUsage)]
pub struct UsageView<'a> {
    pub model: &'a str,
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[schema(required = true)]
    pub latency_ms: Option<u64>,
    /// USD, exact to the micro-dollar.
    #[schema(example = 0.488718)]
    pub cost_usd: f64,
}

/// A message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Message)]
pub struct MessageView<'a> {
    #[schema(example = "msg_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: String,
    pub session_id: String,
    pub agent_id: String,
    /// 1, 2, 3… per session, without gaps.
    pub sequence: i64,
    pub role: MessageRole,
    pub content: &'a str,
    #[schema(required = true)]
    pub usage: Option<UsageView<'a>>,
    pub tool_calls: &'a [ToolCall],
    pub created_at: DateTime<Utc>,
}

impl<'a> From<&'a MessageSnapshot> for MessageView<'a> {
    fn from(message: &'a MessageSnapshot) -> Self {
        Self {
            id: message.id.to_string(),
            session_id: message.session_id.to_string(),
            agent_id: message.agent_id.to_string(),
            sequence: message.sequence,
            role: message.role,
            content: &message.content,
            usage: message.usage.as_ref().map(|usage| UsageView {
                model: &usage.model,
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                latency_ms: usage.latency_ms,
                cost_usd: micro_usd_to_usd(usage.cost_micro_usd as i64),
            }),
            tool_calls: &message.tool_calls,
            created_at: message.created_at,
        }
    }
}
