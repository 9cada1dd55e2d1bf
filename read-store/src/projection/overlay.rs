//! The state a batch decides against: what the read models held before the batch (loaded in
//! one round trip for every record of the batch), with the batch's own changes on top.

use std::collections::{HashMap, HashSet};

use domain::{ActiveSessions, AgentState, ApiKeyState, DecisionState, Needs, WebhookState};
use schema::session::SessionSnapshot;
use schema::{AgentId, ApiKeyId, CommandId, SessionId, TenantId};

/// Known facts, each loaded once per batch and then kept current in memory.
#[derive(Default)]
pub struct Overlay {
    /// Commands with an outcome (stored before, or decided in this batch).
    pub decided: HashSet<CommandId>,
    pub tenants: HashMap<TenantId, bool>,
    /// `None`: the agent does not exist (never did, or deleted).
    pub agents: HashMap<(TenantId, AgentId), Option<AgentState>>,
    /// Who holds a name key; `None`: nobody.
    pub names: HashMap<(TenantId, String), Option<AgentId>>,
    /// `Some(revoked)` for an existing key.
    pub keys: HashMap<(TenantId, ApiKeyId), Option<bool>>,
    /// `None`: the session does not exist.
    pub sessions: HashMap<(TenantId, SessionId), Option<SessionSnapshot>>,
    /// The last activity sequence and hash of each tenant.
    pub heads: HashMap<TenantId, (i64, String)>,
    /// Every webhook endpoint of each tenant of the batch, oldest first.
    pub webhooks: HashMap<TenantId, Vec<WebhookState>>,
}

/// What a batch must load before deciding.
#[derive(Default)]
pub struct Wanted {
    pub commands: Vec<CommandId>,
    pub tenants: HashSet<TenantId>,
    pub agents: HashSet<(TenantId, AgentId)>,
    pub names: HashSet<(TenantId, String)>,
    pub keys: HashSet<(TenantId, ApiKeyId)>,
    pub sessions: HashSet<(TenantId, SessionId)>,
    /// Active sessions to load (every stored one that matches; the batch's own are in memory).
    pub active_sessions: Vec<(TenantId, ActiveSessions)>,
}

impl Wanted {
    pub fn add(&mut self, command: CommandId, tenant: TenantId, needs: &Needs) {
        self.commands.push(command);
        self.tenants.insert(tenant);
        if let Some(agent) = needs.agent {
            self.agents.insert((tenant, agent));
        }
        if let Some(name) = &needs.agent_name {
            self.names.insert((tenant, domain::name_key(name)));
        }
        if let Some(key) = needs.api_key {
            self.keys.insert((tenant, key));
        }
        if let Some(session) = needs.session {
            self.sessions.insert((tenant, session));
        }
        if let Some(filter) = needs.active_sessions {
            self.active_sessions.push((tenant, filter));
        }
    }
}

impl Overlay {
    /// The decision state of a command, from what is loaded. `None` if it was already decided.
    pub fn state(
        &self,
        command: CommandId,
        tenant: TenantId,
        needs: &Needs,
    ) -> Option<DecisionState> {
        if self.decided.contains(&command) {
            return None;
        }
        Some(DecisionState {
            tenant_exists: self.tenants.get(&tenant).copied().unwrap_or(false),
            agent: needs
                .agent
                .and_then(|id| self.agents.get(&(tenant, id)).cloned().flatten()),
            name_holder: needs.agent_name.as_ref().and_then(|name| {
                self.names
                    .get(&(tenant, domain::name_key(name)))
                    .copied()
                    .flatten()
            }),
            api_key: needs.api_key.and_then(|id| {
                let revoked = self.keys.get(&(tenant, id)).copied().flatten()?;
                Some(ApiKeyState { id, revoked })
            }),
            session: needs
                .session
                .and_then(|id| self.sessions.get(&(tenant, id)).cloned().flatten()),
            active_sessions: needs
                .active_sessions
                .map(|filter| self.active_sessions(tenant, &filter))
                .unwrap_or_default(),
            webhooks: if needs.webhooks {
                self.webhooks.get(&tenant).cloned().unwrap_or_default()
            } else {
                Vec::new()
            },
        })
    }

    /// Every known session of `tenant` that `filter` matches, oldest first. Complete because
    /// the prefetch loaded every stored match and the batch's own sessions are all here.
    fn active_sessions(&self, tenant: TenantId, filter: &ActiveSessions) -> Vec<SessionSnapshot> {
        let mut matching: Vec<SessionSnapshot> = self
            .sessions
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .filter_map(|(_, session)| session.as_ref())
            .filter(|session| filter.matches(session))
            .cloned()
            .collect();
        matching.sort_by_key(|session| session.id);
        matching
    }
}
