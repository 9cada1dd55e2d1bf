//! What a decision may look at, and how the projector knows what to load for it.

use chrono::{DateTime, Utc};
use schema::agent::{AgentConfig, AgentStatus};
use schema::command::Command;
use schema::event::AgentSnapshot;
use schema::{AgentId, ApiKeyId};

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
}

impl AgentState {
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
}

/// What to load into a [`DecisionState`] before deciding a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub agent: Option<AgentId>,
    pub agent_name: Option<String>,
    pub api_key: Option<ApiKeyId>,
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
    }
}
