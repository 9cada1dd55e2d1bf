//! The state a batch decides against: what the read models held before the batch (loaded in
//! one round trip for every record of the batch), with the batch's own changes on top.

use std::collections::{HashMap, HashSet};

use domain::{
    ActiveSessions, AgentState, ApiKeyState, CronJobState, DecisionState, Needs, WebhookState,
};
use schema::cron::CronRunSnapshot;
use schema::session::SessionSnapshot;
use schema::{AgentId, ApiKeyId, CommandId, CronJobId, CronRunId, SessionId, TenantId};

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
    /// `None`: the job does not exist.
    pub cron_jobs: HashMap<(TenantId, CronJobId), Option<CronJobState>>,
    pub cron_runs: HashMap<(TenantId, CronRunId), CronRunSnapshot>,
    /// The run of a cron session.
    pub run_of_session: HashMap<(TenantId, SessionId), CronRunId>,
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
    pub cron_jobs: HashSet<(TenantId, CronJobId)>,
    /// Runs to load with their jobs and sessions.
    pub cron_runs: HashSet<(TenantId, CronRunId)>,
    /// Sessions whose run (and its job) to load.
    pub cron_sessions: HashSet<(TenantId, SessionId)>,
    /// Agents whose every job to load.
    pub cron_agents: HashSet<(TenantId, AgentId)>,
}

impl Wanted {
    /// What `records` need, together.
    pub fn of(records: &[&schema::CommandRecord]) -> Self {
        let mut wanted = Self::default();
        for record in records {
            wanted.add(
                record.command_id,
                record.tenant_id,
                &domain::needs(&record.command),
            );
        }
        wanted
    }

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
        if let Some(job) = needs.cron_job {
            self.cron_jobs.insert((tenant, job));
        }
        if let Some(run) = needs.cron_run {
            self.cron_runs.insert((tenant, run));
        }
        if let Some(session) = needs.cron_run_of_session {
            self.cron_sessions.insert((tenant, session));
        }
        if let Some(agent) = needs.cron_jobs_of_agent {
            self.cron_agents.insert((tenant, agent));
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
        let cron_run = needs
            .cron_run
            .or_else(|| {
                let session = needs.cron_run_of_session?;
                self.run_of_session.get(&(tenant, session)).copied()
            })
            .and_then(|id| self.cron_runs.get(&(tenant, id)).cloned());
        let cron_job = needs
            .cron_job
            .or(cron_run.as_ref().map(|run| run.cron_job_id))
            .and_then(|id| self.cron_jobs.get(&(tenant, id)).cloned().flatten());
        // A run's session, for a command that names only the run.
        let session = needs
            .session
            .or(cron_run.as_ref().and_then(|run| run.session_id))
            .and_then(|id| self.sessions.get(&(tenant, id)).cloned().flatten());
        Some(DecisionState {
            cron_run,
            cron_job,
            agent_cron_jobs: needs
                .cron_jobs_of_agent
                .map(|agent| self.agent_cron_jobs(tenant, agent))
                .unwrap_or_default(),
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
            session,
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

    /// Every job of an agent, oldest first (complete: the prefetch loaded every stored one).
    fn agent_cron_jobs(
        &self,
        tenant: TenantId,
        agent: AgentId,
    ) -> Vec<schema::cron::CronJobSnapshot> {
        let mut jobs: Vec<_> = self
            .cron_jobs
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .filter_map(|(_, job)| job.as_ref())
            .filter(|job| job.job.agent_id == agent)
            .map(|job| job.job.clone())
            .collect();
        jobs.sort_by_key(|job| job.id);
        jobs
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
