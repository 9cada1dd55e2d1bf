//! Cron jobs and their runs as they travel in commands and events (contract section 10).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{AgentId, CronJobId, CronRunId, SessionId};

wire_enum!(
    /// What a fire does while the job's previous run is still running.
    OverlapPolicy { Skip = "skip", Allow = "allow" }
);
wire_enum!(
    /// Where a run is.
    RunStatus {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Skipped = "skipped",
    }
);
wire_enum!(
    /// Where the delivery of a run's output is.
    RunDeliveryStatus {
        None = "none",
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
);

/// Where a run's output goes. Bot tokens, API bases and the SMTP server are operator config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum CronDelivery {
    #[serde(rename = "none")]
    None,
    /// Signed like webhooks, with the job's delivery secret.
    #[serde(rename = "webhook")]
    Webhook { url: String },
    /// A Slack incoming webhook.
    #[serde(rename = "slack", rename_all = "camelCase")]
    Slack { webhook_url: String },
    #[serde(rename = "telegram", rename_all = "camelCase")]
    Telegram {
        /// A chat id (numbers are accepted and kept as text) or `@channelname`.
        #[serde(deserialize_with = "text_or_number")]
        chat_id: String,
    },
    #[serde(rename = "email")]
    Email { to: String },
}

impl CronDelivery {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Telegram { .. } => "telegram",
            Self::Email { .. } => "email",
        }
    }
}

fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
    }
    Ok(match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    })
}

/// A job as stored after a change (the cron job object of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CronJob)]
pub struct CronJobSnapshot {
    #[schema(value_type = String, example = "cron_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: CronJobId,
    #[schema(value_type = String)]
    pub agent_id: AgentId,
    pub name: String,
    pub prompt: String,
    pub schedule: String,
    pub timezone: String,
    pub enabled: bool,
    pub overlap_policy: OverlapPolicy,
    pub delivery: CronDelivery,
    /// `None` when disabled, or when the schedule has no future time.
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_status: Option<RunStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A run as stored after a change (the run object of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CronRun)]
pub struct CronRunSnapshot {
    #[schema(value_type = String, example = "run_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: CronRunId,
    #[schema(value_type = String)]
    pub cron_job_id: CronJobId,
    #[schema(value_type = String)]
    pub agent_id: AgentId,
    pub scheduled_for: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    #[schema(value_type = Option<String>)]
    pub session_id: Option<SessionId>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub delivery_status: RunDeliveryStatus,
    pub error: Option<String>,
}

/// A merge patch of a job. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronJobPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_policy: Option<OverlapPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<CronDelivery>,
}
