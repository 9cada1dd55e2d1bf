//! Domain events: the facts an accepted command produced. The projector applies them to the
//! read models and copies the public ones into the tenant's activity log.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::agent::{AgentConfig, AgentStatus, HeartbeatState};
use crate::cron::{CronJobSnapshot, CronRunSnapshot};
use crate::session::{BudgetPeriod, MessageSnapshot, SessionSnapshot, ToolCallStatus};
use crate::tenant::{Plan, Scope};
use crate::webhook::WebhookSnapshot;
use crate::{AgentId, ApiKeyId, CronJobId, DeliveryId, EventId, MessageId, SessionId, WebhookId};

/// Every type an activity entry can have: the contract's event types (sections 9 and 11),
/// including those of features still to come, and `tenant.created`.
pub const ACTIVITY_TYPES: &[&str] = &[
    "tenant.created",
    "api_key.created",
    "api_key.revoked",
    "agent.created",
    "agent.updated",
    "agent.deleted",
    "agent.soul_updated",
    "agent.status_changed",
    "agent.heartbeat_missed",
    "agent.budget_alert",
    "agent.budget_exhausted",
    "agent.tool_called",
    "session.created",
    "session.archived",
    "message.created",
    "cron.created",
    "cron.updated",
    "cron.deleted",
    "cron.run_started",
    "cron.run_skipped",
    "cron.completed",
    "cron.delivered",
    "cron.failed",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.disabled",
    "webhook.test",
    "webhook.delivery_failed",
    "log.record_skipped",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: EventId,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The agent as stored after a change (without the SOUL text, which has its own route).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSnapshot {
    pub id: AgentId,
    pub name: String,
    pub role: Option<String>,
    pub description: Option<String>,
    pub status: AgentStatus,
    pub config: AgentConfig,
    pub soul_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum EventKind {
    #[serde(rename = "tenant.created", rename_all = "camelCase")]
    TenantCreated {
        name: String,
        plan: Plan,
        per_minute: Option<u32>,
        per_hour: Option<u32>,
    },
    #[serde(rename = "api_key.created", rename_all = "camelCase")]
    ApiKeyCreated {
        key_id: ApiKeyId,
        name: String,
        scope: Scope,
        #[serde(skip)]
        key_hash: String,
        prefix: String,
        expires_at: Option<DateTime<Utc>>,
    },
    #[serde(rename = "api_key.revoked", rename_all = "camelCase")]
    ApiKeyRevoked { key_id: ApiKeyId },
    #[serde(rename = "agent.created")]
    AgentCreated {
        #[serde(flatten)]
        agent: AgentSnapshot,
        #[serde(skip)]
        soul: Option<String>,
        /// Sealed; never shown.
        #[serde(skip)]
        gateway_secret: Option<String>,
    },
    #[serde(rename = "agent.updated")]
    AgentUpdated {
        #[serde(flatten)]
        agent: AgentSnapshot,
        /// A new gateway signing secret, sealed; never shown.
        #[serde(skip)]
        gateway_secret: Option<String>,
    },
    #[serde(rename = "agent.deleted", rename_all = "camelCase")]
    AgentDeleted { agent_id: AgentId, name: String },
    #[serde(rename = "agent.soul_updated", rename_all = "camelCase")]
    AgentSoulUpdated {
        agent_id: AgentId,
        #[serde(skip)]
        soul: String,
        before: Option<String>,
        after: String,
    },
    #[serde(rename = "agent.status_changed", rename_all = "camelCase")]
    AgentStatusChanged {
        agent_id: AgentId,
        from: AgentStatus,
        to: AgentStatus,
    },
    /// Internal bookkeeping: not an activity entry, only `lastHeartbeatAt`.
    #[serde(rename = "agent.heartbeat_recorded", rename_all = "camelCase")]
    HeartbeatRecorded {
        agent_id: AgentId,
        state: HeartbeatState,
        latency_ms: Option<u64>,
    },
    #[serde(rename = "agent.heartbeat_missed", rename_all = "camelCase")]
    AgentHeartbeatMissed {
        agent_id: AgentId,
        last_heartbeat_at: Option<DateTime<Utc>>,
    },
    #[serde(rename = "agent.budget_alert", rename_all = "camelCase")]
    BudgetAlert {
        agent_id: AgentId,
        period: BudgetPeriod,
        used: u64,
        budget: u64,
        threshold: f64,
    },
    #[serde(rename = "agent.budget_exhausted", rename_all = "camelCase")]
    BudgetExhausted {
        agent_id: AgentId,
        period: BudgetPeriod,
        used: u64,
        budget: u64,
    },
    #[serde(rename = "agent.tool_called", rename_all = "camelCase")]
    ToolCalled {
        agent_id: AgentId,
        session_id: SessionId,
        message_id: MessageId,
        name: String,
        status: ToolCallStatus,
        duration_ms: Option<u64>,
    },
    #[serde(rename = "session.created")]
    SessionCreated {
        #[serde(flatten)]
        session: SessionSnapshot,
    },
    #[serde(rename = "session.archived")]
    SessionArchived {
        #[serde(flatten)]
        session: SessionSnapshot,
    },
    /// `data` is the message without its content (see [`MessageSnapshot`]).
    #[serde(rename = "message.created")]
    MessageCreated {
        #[serde(flatten)]
        message: MessageSnapshot,
    },
    /// `secret` is sealed with the operator key and never shown.
    #[serde(rename = "webhook.created")]
    WebhookCreated {
        #[serde(flatten)]
        webhook: WebhookSnapshot,
        #[serde(skip)]
        secret: String,
    },
    /// A change of the endpoint, or of its secret (`secretRotated: true` in the entry).
    #[serde(rename = "webhook.updated", rename_all = "camelCase")]
    WebhookUpdated {
        #[serde(flatten)]
        webhook: WebhookSnapshot,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        secret_rotated: bool,
        #[serde(skip)]
        new_secret: Option<String>,
    },
    #[serde(rename = "webhook.deleted", rename_all = "camelCase")]
    WebhookDeleted { webhook_id: WebhookId, url: String },
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled {
        #[serde(flatten)]
        webhook: WebhookSnapshot,
    },
    #[serde(rename = "webhook.test", rename_all = "camelCase")]
    WebhookTest { webhook_id: WebhookId },
    #[serde(rename = "cron.created")]
    CronCreated {
        #[serde(flatten)]
        job: CronJobSnapshot,
        /// Sealed; never shown.
        #[serde(skip)]
        delivery_secret: Option<String>,
    },
    #[serde(rename = "cron.updated")]
    CronUpdated {
        #[serde(flatten)]
        job: CronJobSnapshot,
        /// A new sealed delivery secret, when the delivery became a webhook.
        #[serde(skip)]
        delivery_secret: Option<String>,
    },
    #[serde(rename = "cron.deleted", rename_all = "camelCase")]
    CronDeleted {
        cron_job_id: CronJobId,
        agent_id: AgentId,
        name: String,
    },
    /// Internal bookkeeping: the job's `nextRunAt`, `lastRunAt`, `lastRunStatus` after a fire,
    /// a skip or the end of a run. Not an activity entry.
    #[serde(rename = "cron.scheduled")]
    CronScheduled {
        #[serde(flatten)]
        job: CronJobSnapshot,
    },
    #[serde(rename = "cron.run_started")]
    CronRunStarted {
        #[serde(flatten)]
        run: CronRunSnapshot,
    },
    #[serde(rename = "cron.run_skipped")]
    CronRunSkipped {
        #[serde(flatten)]
        run: CronRunSnapshot,
    },
    #[serde(rename = "cron.completed")]
    CronCompleted {
        #[serde(flatten)]
        run: CronRunSnapshot,
    },
    #[serde(rename = "cron.delivered")]
    CronDelivered {
        #[serde(flatten)]
        run: CronRunSnapshot,
    },
    #[serde(rename = "cron.failed")]
    CronFailed {
        #[serde(flatten)]
        run: CronRunSnapshot,
        reason: String,
    },
    /// An operator passed over a record of the tenant that could not be applied (an activity
    /// entry, not a webhook event).
    #[serde(rename = "log.record_skipped", rename_all = "camelCase")]
    RecordSkipped {
        partition: u32,
        offset: i64,
        command_id: Option<crate::CommandId>,
        skipped_kind: String,
        reason: String,
    },
    /// A delivery that used all its attempts (an activity entry, not a webhook event).
    #[serde(rename = "webhook.delivery_failed", rename_all = "camelCase")]
    WebhookDeliveryFailed {
        delivery_id: DeliveryId,
        webhook_id: Option<WebhookId>,
        agent_id: Option<AgentId>,
        event_id: EventId,
        event_type: String,
        attempts: u32,
        last_status_code: Option<u16>,
        last_error: Option<String>,
    },
}

impl EventKind {
    /// The contract's event type name.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::TenantCreated { .. } => "tenant.created",
            Self::ApiKeyCreated { .. } => "api_key.created",
            Self::ApiKeyRevoked { .. } => "api_key.revoked",
            Self::AgentCreated { .. } => "agent.created",
            Self::AgentUpdated { .. } => "agent.updated",
            Self::AgentDeleted { .. } => "agent.deleted",
            Self::AgentSoulUpdated { .. } => "agent.soul_updated",
            Self::AgentStatusChanged { .. } => "agent.status_changed",
            Self::HeartbeatRecorded { .. } => "agent.heartbeat_recorded",
            Self::AgentHeartbeatMissed { .. } => "agent.heartbeat_missed",
            Self::BudgetAlert { .. } => "agent.budget_alert",
            Self::BudgetExhausted { .. } => "agent.budget_exhausted",
            Self::ToolCalled { .. } => "agent.tool_called",
            Self::SessionCreated { .. } => "session.created",
            Self::SessionArchived { .. } => "session.archived",
            Self::MessageCreated { .. } => "message.created",
            Self::WebhookCreated { .. } => "webhook.created",
            Self::WebhookUpdated { .. } => "webhook.updated",
            Self::WebhookDeleted { .. } => "webhook.deleted",
            Self::WebhookDisabled { .. } => "webhook.disabled",
            Self::WebhookTest { .. } => "webhook.test",
            Self::WebhookDeliveryFailed { .. } => "webhook.delivery_failed",
            Self::RecordSkipped { .. } => "log.record_skipped",
            Self::CronCreated { .. } => "cron.created",
            Self::CronUpdated { .. } => "cron.updated",
            Self::CronDeleted { .. } => "cron.deleted",
            Self::CronScheduled { .. } => "cron.scheduled",
            Self::CronRunStarted { .. } => "cron.run_started",
            Self::CronRunSkipped { .. } => "cron.run_skipped",
            Self::CronCompleted { .. } => "cron.completed",
            Self::CronDelivered { .. } => "cron.delivered",
            Self::CronFailed { .. } => "cron.failed",
        }
    }

    /// Whether the event is shown in the tenant's activity log.
    pub fn is_public(&self) -> bool {
        !matches!(
            self,
            Self::HeartbeatRecorded { .. } | Self::CronScheduled { .. }
        )
    }

    /// The agent the event concerns, if any.
    pub fn agent_id(&self) -> Option<AgentId> {
        match self {
            Self::AgentCreated { agent, .. } | Self::AgentUpdated { agent, .. } => Some(agent.id),
            Self::AgentDeleted { agent_id, .. }
            | Self::AgentSoulUpdated { agent_id, .. }
            | Self::AgentStatusChanged { agent_id, .. }
            | Self::HeartbeatRecorded { agent_id, .. }
            | Self::AgentHeartbeatMissed { agent_id, .. }
            | Self::BudgetAlert { agent_id, .. }
            | Self::BudgetExhausted { agent_id, .. }
            | Self::ToolCalled { agent_id, .. } => Some(*agent_id),
            Self::SessionCreated { session } | Self::SessionArchived { session } => {
                Some(session.agent_id)
            }
            Self::MessageCreated { message } => Some(message.agent_id),
            Self::WebhookDeliveryFailed { agent_id, .. } => *agent_id,
            Self::CronCreated { job, .. }
            | Self::CronUpdated { job, .. }
            | Self::CronScheduled { job } => Some(job.agent_id),
            Self::CronDeleted { agent_id, .. } => Some(*agent_id),
            Self::CronRunStarted { run }
            | Self::CronRunSkipped { run }
            | Self::CronCompleted { run }
            | Self::CronDelivered { run }
            | Self::CronFailed { run, .. } => Some(run.agent_id),
            Self::TenantCreated { .. }
            | Self::ApiKeyCreated { .. }
            | Self::ApiKeyRevoked { .. }
            | Self::WebhookCreated { .. }
            | Self::WebhookUpdated { .. }
            | Self::WebhookDeleted { .. }
            | Self::WebhookDisabled { .. }
            | Self::WebhookTest { .. }
            | Self::RecordSkipped { .. } => None,
        }
    }

    /// `(subject type, subject id)` of the activity entry.
    pub fn subject(&self, tenant: crate::TenantId) -> (&'static str, String) {
        match self {
            Self::TenantCreated { .. } => ("tenant", tenant.to_string()),
            Self::ApiKeyCreated { key_id, .. } | Self::ApiKeyRevoked { key_id } => {
                ("api_key", key_id.to_string())
            }
            Self::SessionCreated { session } | Self::SessionArchived { session } => {
                ("session", session.id.to_string())
            }
            Self::MessageCreated { message } => ("message", message.id.to_string()),
            Self::WebhookCreated { webhook, .. }
            | Self::WebhookUpdated { webhook, .. }
            | Self::WebhookDisabled { webhook } => ("webhook", webhook.id.to_string()),
            Self::WebhookDeleted { webhook_id, .. } | Self::WebhookTest { webhook_id } => {
                ("webhook", webhook_id.to_string())
            }
            Self::WebhookDeliveryFailed { delivery_id, .. } => {
                ("delivery", delivery_id.to_string())
            }
            Self::RecordSkipped {
                partition, offset, ..
            } => ("log_record", format!("{partition}:{offset}")),
            Self::CronCreated { job, .. }
            | Self::CronUpdated { job, .. }
            | Self::CronScheduled { job } => ("cron_job", job.id.to_string()),
            Self::CronDeleted { cron_job_id, .. } => ("cron_job", cron_job_id.to_string()),
            Self::CronRunStarted { run }
            | Self::CronRunSkipped { run }
            | Self::CronCompleted { run }
            | Self::CronDelivered { run }
            | Self::CronFailed { run, .. } => ("cron_run", run.id.to_string()),
            _ => (
                "agent",
                self.agent_id().map(|id| id.to_string()).unwrap_or_default(),
            ),
        }
    }

    /// The entry's `data`: the event payload without secrets or content.
    pub fn activity_data(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("events always serialize");
        value
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null)
    }
}
