//! The state a batch decides against: what the read models held before the batch (loaded in
//! one round trip for every record of the batch), with the batch's own changes on top.

use std::collections::{HashMap, HashSet};

use domain::{AgentState, ApiKeyState, DecisionState, Needs};
use schema::{AgentId, ApiKeyId, CommandId, TenantId};

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
    /// The last activity sequence of each tenant.
    pub heads: HashMap<TenantId, i64>,
}

/// What a batch must load before deciding.
#[derive(Default)]
pub struct Wanted {
    pub commands: Vec<CommandId>,
    pub tenants: HashSet<TenantId>,
    pub agents: HashSet<(TenantId, AgentId)>,
    pub names: HashSet<(TenantId, String)>,
    pub keys: HashSet<(TenantId, ApiKeyId)>,
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
        })
    }
}
