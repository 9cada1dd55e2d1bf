//! The command records of the planned steps, each issued at its place in time and checked
//! with the API's own validation first (the projector trusts the API to have done it).

use chrono::{DateTime, Utc};
use domain::catalog::Catalog;
use schema::agent::{AgentConfig, AgentConfigPatch, AgentPatch, HeartbeatState, ModelPatch, Patch};
use schema::command::{
    ArchiveSession, CreateAgent, CreateCronJob, CreateSession, FireCronJob, MarkAgentOffline,
    PostMessage, PruneSessions, RecordHeartbeat, SetAgentSoul, UpdateAgent,
};
use schema::cron::{CronDelivery, OverlapPolicy};
use schema::session::{MessageRole, UsageReport};
use schema::{Actor, AgentId, Command, CommandRecord, FieldError, SessionId, TenantId};

use super::history::{id_at, known_only, Plan, Reply, MODEL_SWITCH, PRUNE_IDLE};
use super::jobs::PlannedJob;
use super::souls;

/// Messages of a tenant, priced with the catalog and checked as the API checks them. Who
/// issues them: people and integrations through one key, agent runtimes through another.
pub struct Messages<'a> {
    pub tenant: TenantId,
    pub catalog: &'a Catalog,
    pub people: Actor,
    pub runtime: Actor,
}

pub struct Recorder<'a> {
    pub tenant: TenantId,
    pub plan: &'a Plan,
    pub jobs: &'a [PlannedJob],
    pub catalog: &'a Catalog,
    pub messages: Messages<'a>,
    pub scheduler: Actor,
}

/// A record of `command` issued at `at` by `actor`, with a command id of that time.
pub fn issued_at(
    tenant: TenantId,
    actor: &Actor,
    at: DateTime<Utc>,
    command: Command,
) -> CommandRecord {
    let mut record = CommandRecord::new(tenant, actor.clone(), command);
    record.command_id = id_at(at);
    record.issued_at = at;
    record
}

fn budget(tokens: Option<u64>) -> Patch<u64> {
    tokens.map_or(Patch::Keep, Patch::Set)
}

fn valid(what: &str, errors: Vec<FieldError>) -> anyhow::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    anyhow::bail!("the demo's {what} is invalid: {}", listed.join("; "))
}

impl Messages<'_> {
    /// A question (`reply` None) or a priced reply in `(session, agent, is a cron run's)`.
    pub fn message(
        &self,
        (session_id, agent_id, cron_session): (SessionId, AgentId, bool),
        at: DateTime<Utc>,
        content: &str,
        reply: Option<&Reply>,
    ) -> anyhow::Result<CommandRecord> {
        let role = match reply {
            Some(_) => MessageRole::Assistant,
            None => MessageRole::User,
        };
        let report = reply.map(|reply| UsageReport {
            model: reply.model.clone(),
            input_tokens: reply.input_tokens,
            output_tokens: reply.output_tokens,
            latency_ms: Some(reply.latency_ms),
        });
        let tool_calls = reply.map(|r| r.tool_calls.clone()).unwrap_or_default();
        valid(
            "message",
            domain::validate::message(role, content, report.as_ref(), &tool_calls, self.catalog),
        )?;
        let usage = report.as_ref().and_then(|report| {
            self.catalog
                .get(&report.model)
                .map(|model| model.price(report))
        });
        let command = Command::PostMessage(PostMessage {
            message_id: id_at(at),
            session_id,
            agent_id,
            role,
            content: content.to_owned(),
            usage,
            tool_calls,
            cron_session,
        });
        let actor = match role {
            MessageRole::User => &self.people,
            MessageRole::Assistant => &self.runtime,
        };
        Ok(issued_at(self.tenant, actor, at, command))
    }
}

impl Recorder<'_> {
    fn record(&self, actor: &Actor, at: DateTime<Utc>, command: Command) -> CommandRecord {
        issued_at(self.tenant, actor, at, command)
    }

    pub fn create_agent(&self, index: usize) -> anyhow::Result<CommandRecord> {
        let agent = &self.plan.agents[index];
        let spec = agent.spec;
        let patch = AgentConfigPatch {
            model: Some(ModelPatch {
                default: Some(agent.model.clone()),
                fallbacks: Some(agent.fallbacks.clone()),
            }),
            tools: Some(schema::agent::ToolsPatch {
                allowed: Some(spec.tools.iter().map(|t| (*t).to_owned()).collect()),
            }),
            limits: Some(schema::agent::LimitsPatch {
                daily_token_budget: budget(agent.limits.daily_token_budget),
                monthly_token_budget: budget(agent.limits.monthly_token_budget),
                alert_threshold: Some(agent.limits.alert_threshold),
            }),
            ..AgentConfigPatch::default()
        };
        let soul = souls::soul(spec);
        valid(
            "agent",
            domain::validate::new_agent(
                spec.name,
                Some(spec.role),
                Some(spec.description),
                Some(&soul),
                &patch,
                self.catalog,
            ),
        )?;
        let command = Command::CreateAgent(CreateAgent {
            agent_id: agent.id,
            name: spec.name.to_owned(),
            role: Some(spec.role.to_owned()),
            description: Some(spec.description.to_owned()),
            soul: Some(soul),
            config: AgentConfig::default().merged(patch),
            gateway_secret: None,
        });
        Ok(self.record(&self.messages.people, agent.created_at, command))
    }

    pub fn heartbeat(&self, index: usize) -> CommandRecord {
        let beat = &self.plan.heartbeats[index];
        let command = Command::RecordHeartbeat(RecordHeartbeat {
            agent_id: self.plan.agents[beat.agent].id,
            state: beat.state,
            latency_ms: Some(match beat.state {
                HeartbeatState::Ok => 60 + (index as u64 * 37) % 140,
                HeartbeatState::Degraded => 1_800 + (index as u64 * 211) % 2_500,
            }),
            detail: beat.detail.map(str::to_owned),
        });
        self.record(&self.messages.runtime, beat.at, command)
    }

    pub fn mark_offline(&self, index: usize) -> CommandRecord {
        let (agent, at, last) = self.plan.offline_marks[index];
        let command = Command::MarkAgentOffline(MarkAgentOffline {
            agent_id: self.plan.agents[agent].id,
            last_heartbeat_at: Some(last),
        });
        self.record(&self.scheduler, at, command)
    }

    pub fn switch_model(&self) -> Option<CommandRecord> {
        let (agent, at) = self.plan.model_switch?;
        let patch = AgentPatch {
            config: Some(AgentConfigPatch {
                model: Some(ModelPatch {
                    default: Some(self.plan.model_at(agent, at, self.catalog)),
                    fallbacks: Some(known_only(self.catalog, MODEL_SWITCH.3)),
                }),
                ..AgentConfigPatch::default()
            }),
            ..AgentPatch::default()
        };
        let command = Command::UpdateAgent(UpdateAgent {
            agent_id: self.plan.agents[agent].id,
            patch,
            gateway_secret: None,
        });
        Some(self.record(&self.messages.people, at, command))
    }

    pub fn amend_soul(&self) -> Option<CommandRecord> {
        let (agent, at) = self.plan.soul_amendment?;
        let command = Command::SetAgentSoul(SetAgentSoul {
            agent_id: self.plan.agents[agent].id,
            soul: souls::amended(self.plan.agents[agent].spec),
        });
        Some(self.record(&self.messages.people, at, command))
    }

    pub fn open_session(&self, index: usize) -> anyhow::Result<CommandRecord> {
        let session = &self.plan.sessions[index];
        valid(
            "session",
            domain::validate::session_name(Some(&session.name)),
        )?;
        let command = Command::CreateSession(CreateSession {
            session_id: session.id,
            agent_id: self.plan.agents[session.agent].id,
            name: Some(session.name.clone()),
        });
        Ok(self.record(&self.messages.people, session.opened_at, command))
    }

    pub fn ask(&self, index: usize, exchange: usize) -> anyhow::Result<CommandRecord> {
        let session = &self.plan.sessions[index];
        let planned = &session.exchanges[exchange];
        let agent = self.plan.agents[session.agent].id;
        self.messages.message(
            (session.id, agent, false),
            planned.asked_at,
            &planned.question,
            None,
        )
    }

    pub fn reply(&self, index: usize, exchange: usize) -> anyhow::Result<CommandRecord> {
        let session = &self.plan.sessions[index];
        let planned = &session.exchanges[exchange];
        let agent = self.plan.agents[session.agent].id;
        self.messages.message(
            (session.id, agent, false),
            planned.replied_at,
            &planned.reply.content,
            Some(&planned.reply),
        )
    }

    pub fn archive(&self, index: usize) -> Option<CommandRecord> {
        let session = &self.plan.sessions[index];
        let command = Command::ArchiveSession(ArchiveSession {
            session_id: session.id,
        });
        Some(self.record(&self.messages.people, session.archived_at?, command))
    }

    pub fn prune(&self, index: usize) -> CommandRecord {
        let at = self.plan.prunes[index];
        let command = Command::PruneSessions(PruneSessions {
            before: at - PRUNE_IDLE,
            agent_id: None,
        });
        self.record(&self.messages.people, at, command)
    }

    pub fn create_job(&self, index: usize) -> anyhow::Result<CommandRecord> {
        let job = &self.jobs[index];
        let spec = job.spec;
        valid(
            "cron job",
            domain::cron::name_and_prompt(Some(spec.name), Some(spec.prompt)),
        )?;
        if let Err(errors) = domain::schedule::Schedule::parse(spec.schedule, spec.timezone) {
            valid("cron schedule", errors)?;
        }
        let command = Command::CreateCronJob(CreateCronJob {
            cron_job_id: job.id,
            agent_id: self.plan.agents[job.agent].id,
            name: spec.name.to_owned(),
            prompt: spec.prompt.to_owned(),
            schedule: spec.schedule.to_owned(),
            timezone: spec.timezone.to_owned(),
            enabled: true,
            overlap_policy: OverlapPolicy::Skip,
            delivery: CronDelivery::None,
            delivery_secret: None,
        });
        Ok(self.record(&self.messages.people, job.created_at, command))
    }

    pub fn fire(&self, job: usize, fire: usize) -> CommandRecord {
        let planned = &self.jobs[job];
        let fired = &planned.fires[fire];
        let command = Command::FireCronJob(FireCronJob {
            cron_job_id: planned.id,
            agent_id: self.plan.agents[planned.agent].id,
            scheduled_for: fired.scheduled_for,
        });
        self.record(&self.scheduler, fired.issued_at, command)
    }
}
