//! Commands: the requests for change that the event log carries. A command is a wish, not a
//! fact; the projector decides whether it is accepted (and which events it produces) or
//! rejected, in log order.
//!
//! Wire format: `"kind": "<name>", "payload": {…}` inside the record. The names below are the
//! contract with every record ever written: never rename one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agent::{AgentConfig, AgentPatch, HeartbeatState};
use crate::cron::{CronDelivery, CronJobPatch, OverlapPolicy};
use crate::session::{MessageRole, ToolCall, Usage};
use crate::tenant::{LimitOverrides, Plan, Scope};
use crate::webhook::WebhookPatch;
use crate::{
    AgentId, ApiKeyId, CronJobId, CronRunId, DeliveryId, EventId, MessageId, SessionId, WebhookId,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Command {
    #[serde(rename = "tenant.create")]
    CreateTenant(CreateTenant),
    #[serde(rename = "api_key.create")]
    CreateApiKey(CreateApiKey),
    #[serde(rename = "api_key.revoke")]
    RevokeApiKey(RevokeApiKey),
    #[serde(rename = "agent.create")]
    CreateAgent(CreateAgent),
    #[serde(rename = "agent.update")]
    UpdateAgent(UpdateAgent),
    #[serde(rename = "agent.delete")]
    DeleteAgent(DeleteAgent),
    #[serde(rename = "agent.set_soul")]
    SetAgentSoul(SetAgentSoul),
    #[serde(rename = "agent.heartbeat")]
    RecordHeartbeat(RecordHeartbeat),
    #[serde(rename = "agent.mark_offline")]
    MarkAgentOffline(MarkAgentOffline),
    #[serde(rename = "session.create")]
    CreateSession(CreateSession),
    #[serde(rename = "session.archive")]
    ArchiveSession(ArchiveSession),
    #[serde(rename = "session.prune")]
    PruneSessions(PruneSessions),
    #[serde(rename = "message.post")]
    PostMessage(PostMessage),
    #[serde(rename = "webhook.create")]
    CreateWebhook(CreateWebhook),
    #[serde(rename = "webhook.update")]
    UpdateWebhook(UpdateWebhook),
    #[serde(rename = "webhook.delete")]
    DeleteWebhook(DeleteWebhook),
    #[serde(rename = "webhook.rotate_secret")]
    RotateWebhookSecret(RotateWebhookSecret),
    #[serde(rename = "webhook.test")]
    TestWebhook(TestWebhook),
    #[serde(rename = "webhook.disable")]
    DisableWebhook(DisableWebhook),
    #[serde(rename = "webhook.record_delivery_failure")]
    RecordDeliveryFailure(RecordDeliveryFailure),
    #[serde(rename = "log.record_skip")]
    RecordSkip(RecordSkip),
    #[serde(rename = "cron.create")]
    CreateCronJob(CreateCronJob),
    #[serde(rename = "cron.update")]
    UpdateCronJob(UpdateCronJob),
    #[serde(rename = "cron.delete")]
    DeleteCronJob(DeleteCronJob),
    #[serde(rename = "cron.run")]
    RunCronJob(RunCronJob),
    #[serde(rename = "cron.fire")]
    FireCronJob(FireCronJob),
    #[serde(rename = "cron.skip_missed")]
    SkipMissedFires(SkipMissedFires),
    #[serde(rename = "cron.time_out")]
    TimeOutCronRun(TimeOutCronRun),
    #[serde(rename = "cron.record_delivery")]
    RecordCronDelivery(RecordCronDelivery),
}

impl Command {
    /// The wire name, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateTenant(_) => "tenant.create",
            Self::CreateApiKey(_) => "api_key.create",
            Self::RevokeApiKey(_) => "api_key.revoke",
            Self::CreateAgent(_) => "agent.create",
            Self::UpdateAgent(_) => "agent.update",
            Self::DeleteAgent(_) => "agent.delete",
            Self::SetAgentSoul(_) => "agent.set_soul",
            Self::RecordHeartbeat(_) => "agent.heartbeat",
            Self::MarkAgentOffline(_) => "agent.mark_offline",
            Self::CreateSession(_) => "session.create",
            Self::ArchiveSession(_) => "session.archive",
            Self::PruneSessions(_) => "session.prune",
            Self::PostMessage(_) => "message.post",
            Self::CreateWebhook(_) => "webhook.create",
            Self::UpdateWebhook(_) => "webhook.update",
            Self::DeleteWebhook(_) => "webhook.delete",
            Self::RotateWebhookSecret(_) => "webhook.rotate_secret",
            Self::TestWebhook(_) => "webhook.test",
            Self::DisableWebhook(_) => "webhook.disable",
            Self::RecordDeliveryFailure(_) => "webhook.record_delivery_failure",
            Self::RecordSkip(_) => "log.record_skip",
            Self::CreateCronJob(_) => "cron.create",
            Self::UpdateCronJob(_) => "cron.update",
            Self::DeleteCronJob(_) => "cron.delete",
            Self::RunCronJob(_) => "cron.run",
            Self::FireCronJob(_) => "cron.fire",
            Self::SkipMissedFires(_) => "cron.skip_missed",
            Self::TimeOutCronRun(_) => "cron.time_out",
            Self::RecordCronDelivery(_) => "cron.record_delivery",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTenant {
    pub name: String,
    pub plan: Plan,
    /// Since schema version 2; version 1 had `perMinute` and `perHour` beside `plan`.
    pub limits: LimitOverrides,
}

/// The key's secret never enters the log: only its SHA-256 hash and its display prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    pub key_id: ApiKeyId,
    pub name: String,
    pub scope: Scope,
    pub key_hash: String,
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeApiKey {
    pub key_id: ApiKeyId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgent {
    pub agent_id: AgentId,
    pub name: String,
    pub role: Option<String>,
    pub description: Option<String>,
    pub soul: Option<String>,
    pub config: AgentConfig,
    /// The signing secret of `config.gateway`, sealed with the operator key; set when the
    /// request sets a gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAgent {
    pub agent_id: AgentId,
    pub patch: AgentPatch,
    /// A new gateway signing secret (sealed), when the patch sets `config.gateway.url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAgent {
    pub agent_id: AgentId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetAgentSoul {
    pub agent_id: AgentId,
    pub soul: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordHeartbeat {
    pub agent_id: AgentId,
    pub state: HeartbeatState,
    pub latency_ms: Option<u64>,
    pub detail: Option<String>,
}

/// Appended by the scheduler when an agent has been silent too long. It names the heartbeat
/// the scheduler saw last, so a heartbeat that arrives first in the log wins the race.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkAgentOffline {
    pub agent_id: AgentId,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSession {
    pub session_id: SessionId,
    pub agent_id: AgentId,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveSession {
    pub session_id: SessionId,
}

/// Archives every active session (of one agent, or all) whose last activity is before `before`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneSessions {
    pub before: DateTime<Utc>,
    pub agent_id: Option<AgentId>,
}

/// A message for a session. `agentId` is the session's agent as the API read it (a session
/// never changes agent); the decision checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostMessage {
    pub message_id: MessageId,
    pub session_id: SessionId,
    pub agent_id: AgentId,
    pub role: MessageRole,
    pub content: String,
    pub usage: Option<Usage>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// Whether the session is a cron run's (as the API read it; a session never changes
    /// origin): only then does a reply need the run loaded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cron_session: bool,
}

/// A new endpoint. `secret` is the signing secret sealed with the operator key
/// (`AGENFLEET_SECRET_KEY`): the plaintext never enters the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhook {
    pub webhook_id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhook {
    pub webhook_id: WebhookId,
    pub patch: WebhookPatch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteWebhook {
    pub webhook_id: WebhookId,
}

/// A new signing secret, sealed like [`CreateWebhook::secret`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateWebhookSecret {
    pub webhook_id: WebhookId,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestWebhook {
    pub webhook_id: WebhookId,
}

/// Appended by the dispatcher: the endpoint answered 410 Gone, or failed without a success
/// for the configured window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisableWebhook {
    pub webhook_id: WebhookId,
    pub reason: String,
}

/// Appended by `agenfleet partitions skip` after an operator told the projector to pass over a
/// record of the tenant that stopped its partition, so the tenant's activity log says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSkip {
    pub partition: u32,
    pub offset: i64,
    /// The skipped record's command, when it could be read.
    pub command_id: Option<crate::CommandId>,
    /// The skipped record's kind (`agent.create`), or `unreadable`.
    pub skipped_kind: String,
    pub reason: String,
}

/// Appended by the dispatcher when a delivery has used all its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordDeliveryFailure {
    pub delivery_id: DeliveryId,
    /// The endpoint, or `None` for a delivery to an agent's gateway.
    pub webhook_id: Option<WebhookId>,
    pub agent_id: Option<AgentId>,
    pub event_id: EventId,
    pub event_type: String,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
}

/// A new cron job. `deliverySecret` signs `webhook` deliveries of its output, sealed like
/// webhook secrets; set when the request sets a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCronJob {
    pub cron_job_id: CronJobId,
    pub agent_id: AgentId,
    pub name: String,
    pub prompt: String,
    pub schedule: String,
    pub timezone: String,
    pub enabled: bool,
    pub overlap_policy: OverlapPolicy,
    pub delivery: CronDelivery,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCronJob {
    pub cron_job_id: CronJobId,
    pub patch: CronJobPatch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteCronJob {
    pub cron_job_id: CronJobId,
}

/// `POST /v1/cron-jobs/{id}/run`: a run now, outside the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCronJob {
    pub cron_job_id: CronJobId,
    /// The job's agent as the API read it (a job never changes agent).
    pub agent_id: AgentId,
    pub run_id: CronRunId,
}

/// Appended by a scheduler when a job's `nextRunAt` has come. Accepted once per
/// `(cronJobId, scheduledFor)`: only while `scheduledFor` is the job's `nextRunAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FireCronJob {
    pub cron_job_id: CronJobId,
    /// The job's agent as the scheduler read it (a job never changes agent).
    pub agent_id: AgentId,
    pub scheduled_for: DateTime<Utc>,
}

/// Appended by a scheduler for fires missed by more than the catch-up window: `count` fires
/// from `from` (the job's `nextRunAt`) to `to` are skipped, and the job moves past `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkipMissedFires {
    pub cron_job_id: CronJobId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub count: u32,
    pub reason: String,
}

/// Appended by a scheduler when a run has waited for the agent's reply too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeOutCronRun {
    pub run_id: CronRunId,
    pub reason: String,
}

/// Appended by the dispatcher when a run's output was delivered, or failed for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordCronDelivery {
    pub run_id: CronRunId,
    pub delivered: bool,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, CommandRecord, TenantId};

    #[test]
    fn records_use_the_documented_wire_layout_and_round_trip() {
        let record = CommandRecord::new(
            TenantId::new(),
            Actor::system("test"),
            Command::DeleteAgent(DeleteAgent {
                agent_id: AgentId::new(),
            }),
        );
        let json: serde_json::Value = serde_json::from_slice(&record.encode()).unwrap();
        for key in [
            "commandId",
            "tenantId",
            "actor",
            "issuedAt",
            "kind",
            "payload",
            "schemaVersion",
        ] {
            assert!(json.get(key).is_some(), "missing {key} in {json}");
        }
        assert_eq!(json["kind"], "agent.delete");
        assert_eq!(CommandRecord::decode(&record.encode()).unwrap(), record);
    }

    #[test]
    fn records_from_a_newer_schema_are_refused() {
        let record = CommandRecord::new(
            TenantId::new(),
            Actor::system("test"),
            Command::DeleteAgent(DeleteAgent {
                agent_id: AgentId::new(),
            }),
        );
        let mut json: serde_json::Value = serde_json::from_slice(&record.encode()).unwrap();
        json["schemaVersion"] = 99.into();
        let bytes = serde_json::to_vec(&json).unwrap();
        assert!(matches!(
            CommandRecord::decode(&bytes),
            Err(crate::record::DecodeError::TooNew { found: 99 })
        ));
    }
}
