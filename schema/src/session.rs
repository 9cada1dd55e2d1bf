//! Sessions, messages and the usage an agent runtime reports, as they travel in commands and
//! events.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{AgentId, CronJobId, MessageId, SessionId};

wire_enum!(
    /// Whether a session still takes messages.
    SessionStatus { Active = "active", Archived = "archived" }
);
wire_enum!(
    /// Who opened a session: a caller of the API, or a cron run.
    SessionOrigin { Api = "api", Cron = "cron" }
);
wire_enum!(
    /// Who wrote a message: the person (or system) talking to the agent, or the agent.
    MessageRole { User = "user", Assistant = "assistant" }
);
wire_enum!(
    /// How a reported tool call ended.
    ToolCallStatus { Success = "success", Failure = "failure" }
);
wire_enum!(
    /// The period of a token budget.
    BudgetPeriod { Daily = "daily", Monthly = "monthly" }
);

/// A session as stored after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSnapshot {
    pub id: SessionId,
    pub agent_id: AgentId,
    pub name: Option<String>,
    pub status: SessionStatus,
    pub origin: SessionOrigin,
    pub cron_job_id: Option<CronJobId>,
    pub message_count: i64,
    pub token_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// What an assistant reply cost, as the runtime reports it. The API prices it from the model
/// catalog before the command enters the log (`costMicroUsd`, `provider`), so a replay never
/// depends on the catalog of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub model: String,
    pub provider: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub latency_ms: Option<u64>,
    pub cost_micro_usd: u64,
}

impl Usage {
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// What an agent runtime reports with its reply (`usage` of a message request).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageReport {
    #[schema(schema_with = crate::limits::schemas::model_id)]
    pub model: String,
    /// At most 10⁹ (`domain::validate::MAX_TOKENS_PER_MESSAGE`).
    #[schema(maximum = 1_000_000_000)]
    #[serde(deserialize_with = "crate::whole::u64")]
    pub input_tokens: u64,
    /// At most 10⁹.
    #[schema(maximum = 1_000_000_000)]
    #[serde(deserialize_with = "crate::whole::u64")]
    pub output_tokens: u64,
    /// At most 86,400,000 (24 h; `domain::validate::MAX_DURATION_MS`).
    #[serde(default)]
    #[schema(maximum = 86_400_000)]
    #[serde(deserialize_with = "crate::whole::option_u64")]
    pub latency_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolCall {
    #[schema(schema_with = crate::limits::schemas::tool_name)]
    pub name: String,
    pub status: ToolCallStatus,
    /// At most 86,400,000 (24 h).
    #[serde(default)]
    #[schema(maximum = 86_400_000)]
    #[serde(deserialize_with = "crate::whole::option_u64")]
    pub duration_ms: Option<u64>,
}

/// A message as stored. `content` stays out of activity entries (and so out of the activity
/// log's `data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSnapshot {
    pub id: MessageId,
    pub session_id: SessionId,
    pub agent_id: AgentId,
    pub sequence: i64,
    pub role: MessageRole,
    #[serde(skip)]
    pub content: String,
    pub usage: Option<Usage>,
    pub tool_calls: Vec<ToolCall>,
    pub created_at: DateTime<Utc>,
}

/// The first day of `at`'s UTC month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists in every month")
}

/// Micro-dollars as the API shows them: USD with 6 decimals.
pub fn micro_usd_to_usd(micro: i64) -> f64 {
    micro as f64 / 1_000_000.0
}
