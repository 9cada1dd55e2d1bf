//! What a decision may look at, and how the projector knows what to load for it.

use chrono::{DateTime, Utc};
use schema::agent::{AgentConfig, AgentStatus};
use schema::command::Command;
use schema::cron::{CronJobSnapshot, CronRunSnapshot};
use schema::event::AgentSnapshot;
use schema::session::SessionSnapshot;
use schema::webhook::{WebhookSecrets, WebhookSnapshot};
use schema::{AgentId, ApiKeyId, CronJobId, CronRunId, SessionId};

use crate::usage::AgentUsage;

/// The current agent, as the read model holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentState {
    pub id: AgentId,
    pub name: String,
    pub role: Option<String>,
    pub description: Option<String>,
    pub status: AgentStatus,
    pub config: AgentConfig,
    pub soul_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// When a message was last posted in one of its sessions.
    pub last_active_at: Option<DateTime<Utc>>,
    pub usage: AgentUsage,
}

impl AgentState {
    /// A new agent as `agent.created` describes it.
    pub fn created(agent: &AgentSnapshot) -> Self {
        Self {
            id: agent.id,
            name: agent.name.clone(),
            role: agent.role.clone(),
            description: agent.description.clone(),
            status: agent.status,
            config: agent.config.clone(),
            soul_sha256: agent.soul_sha256.clone(),
            created_at: agent.created_at,
            updated_at: agent.updated_at,
            last_heartbeat_at: None,
            last_active_at: None,
            usage: AgentUsage::default(),
        }
    }

    pub fn snapshot(&self) -> AgentSnapshot {
        AgentSnapshot {
            id: self.id,
            name: self.name.clone(),
            role: self.role.clone(),
            description: self.description.clone(),
            status: self.status,
            config: self.config.clone(),
            soul_sha256: self.soul_sha256.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyState {
    pub id: ApiKeyId,
    pub revoked: bool,
}

/// A cron job with the sealed secret of its webhook delivery, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronJobState {
    pub job: CronJobSnapshot,
    pub delivery_secret: Option<String>,
}

/// A webhook endpoint with its sealed secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookState {
    pub webhook: WebhookSnapshot,
    pub secrets: WebhookSecrets,
}

/// The slice of the tenant's state one command needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionState {
    pub tenant_exists: bool,
    /// The agent the command names, if it exists.
    pub agent: Option<AgentState>,
    /// The agent that holds the name the command wants (compared ignoring case).
    pub name_holder: Option<AgentId>,
    /// The API key the command names, if it exists.
    pub api_key: Option<ApiKeyState>,
    /// The session the command names, if it exists.
    pub session: Option<SessionSnapshot>,
    /// The active sessions matching [`Needs::active_sessions`], oldest first.
    pub active_sessions: Vec<SessionSnapshot>,
    /// Every webhook endpoint of the tenant (when [`Needs::webhooks`]), oldest first.
    pub webhooks: Vec<WebhookState>,
    /// The cron job the command names (or the job of the cron run it needs).
    pub cron_job: Option<CronJobState>,
    /// The cron run the command names, or the run of the session it needs.
    pub cron_run: Option<CronRunSnapshot>,
    /// The cron jobs of [`Needs::cron_jobs_of_agent`].
    pub agent_cron_jobs: Vec<CronJobSnapshot>,
}

/// Which active sessions a command needs to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveSessions {
    /// Only this agent's.
    pub agent: Option<AgentId>,
    /// Only those whose last activity is before this moment.
    pub idle_before: Option<DateTime<Utc>>,
}

impl ActiveSessions {
    pub fn matches(&self, session: &SessionSnapshot) -> bool {
        session.status == schema::session::SessionStatus::Active
            && self.agent.is_none_or(|agent| session.agent_id == agent)
            && self
                .idle_before
                .is_none_or(|before| session.last_activity_at < before)
    }
}

/// What to load into a [`DecisionState`] before deciding a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub agent: Option<AgentId>,
    pub agent_name: Option<String>,
    pub api_key: Option<ApiKeyId>,
    pub session: Option<SessionId>,
    pub active_sessions: Option<ActiveSessions>,
    /// The tenant's webhook endpoints.
    pub webhooks: bool,
    pub cron_job: Option<CronJobId>,
    /// A run, with its job and its session.
    pub cron_run: Option<CronRunId>,
    /// The run whose session this is (with its job), if any.
    pub cron_run_of_session: Option<SessionId>,
    pub cron_jobs_of_agent: Option<AgentId>,
}

pub fn needs(command: &Command) -> Needs {
    match command {
        Command::CreateTenant(_) => Needs::default(),
        Command::CreateApiKey(c) => Needs {
            api_key: Some(c.key_id),
            ..Needs::default()
        },
        Command::RevokeApiKey(c) => Needs {
            api_key: Some(c.key_id),
            ..Needs::default()
        },
        Command::CreateAgent(c) => Needs {
            agent: Some(c.agent_id),
            agent_name: Some(c.name.clone()),
            ..Needs::default()
        },
        Command::UpdateAgent(c) => Needs {
            agent: Some(c.agent_id),
            agent_name: c.patch.name.clone(),
            ..Needs::default()
        },
        Command::DeleteAgent(c) => Needs {
            agent: Some(c.agent_id),
            active_sessions: Some(ActiveSessions {
                agent: Some(c.agent_id),
                idle_before: None,
            }),
            cron_jobs_of_agent: Some(c.agent_id),
            ..Needs::default()
        },
        Command::SetAgentSoul(c) => Needs {
            agent: Some(c.agent_id),
            ..Needs::default()
        },
        Command::RecordHeartbeat(c) => Needs {
            agent: Some(c.agent_id),
            ..Needs::default()
        },
        Command::MarkAgentOffline(c) => Needs {
            agent: Some(c.agent_id),
            ..Needs::default()
        },
        Command::CreateSession(c) => Needs {
            agent: Some(c.agent_id),
            session: Some(c.session_id),
            ..Needs::default()
        },
        Command::ArchiveSession(c) => Needs {
            session: Some(c.session_id),
            ..Needs::default()
        },
        Command::PruneSessions(c) => Needs {
            active_sessions: Some(ActiveSessions {
                agent: c.agent_id,
                idle_before: Some(c.before),
            }),
            ..Needs::default()
        },
        Command::PostMessage(c) => Needs {
            agent: Some(c.agent_id),
            session: Some(c.session_id),
            cron_run_of_session: (c.role == schema::session::MessageRole::Assistant
                && c.cron_session)
                .then_some(c.session_id),
            ..Needs::default()
        },
        Command::CreateCronJob(c) => Needs {
            agent: Some(c.agent_id),
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::UpdateCronJob(c) => Needs {
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::DeleteCronJob(c) => Needs {
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::RunCronJob(c) => Needs {
            agent: Some(c.agent_id),
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::FireCronJob(c) => Needs {
            agent: Some(c.agent_id),
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::SkipMissedFires(c) => Needs {
            cron_job: Some(c.cron_job_id),
            ..Needs::default()
        },
        Command::TimeOutCronRun(c) => Needs {
            cron_run: Some(c.run_id),
            ..Needs::default()
        },
        Command::RecordCronDelivery(c) => Needs {
            cron_run: Some(c.run_id),
            ..Needs::default()
        },
        Command::CreateWebhook(_)
        | Command::UpdateWebhook(_)
        | Command::DeleteWebhook(_)
        | Command::RotateWebhookSecret(_)
        | Command::TestWebhook(_)
        | Command::DisableWebhook(_) => Needs {
            webhooks: true,
            ..Needs::default()
        },
        Command::RecordDeliveryFailure(_) | Command::RecordSkip(_) => Needs::default(),
    }
}
