//! A batch's unit of work: decisions are applied to an in-memory overlay as they are made, and
//! the read models are written once, set-based, at the end of the batch.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{AgentState, Needs};
use schema::event::{Event, EventKind};
use schema::session::MessageSnapshot;
use schema::{webhook, WebhookId};
use schema::{AgentId, CommandRecord, CronJobId, CronRunId, Rejection, SessionId, TenantId};

use super::carried::Carried;
use super::checkpoint::Announcement;
use super::flush::Writes;
use super::overlay::{Overlay, Wanted};
use super::pipeline::{End, Statement};
use super::rollups::Rollups;
use super::transaction::PipelinedTransaction;
use crate::StoreError;

pub(super) struct NewTenant {
    pub id: TenantId,
    pub name: String,
    pub plan: &'static str,
    pub per_minute: Option<i32>,
    pub per_hour: Option<i32>,
    pub created_at: DateTime<Utc>,
}

pub(super) struct NewKey {
    pub id: String,
    pub tenant_id: TenantId,
    pub name: String,
    pub scope: &'static str,
    pub key_hash: String,
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub(super) struct ActivityRow {
    pub tenant_id: TenantId,
    pub entry: domain::activity::ActivityEntry,
    pub timestamp: DateTime<Utc>,
    pub command_id: String,
}

pub(super) struct OutcomeRow {
    pub command_id: String,
    pub tenant_id: TenantId,
    pub partition: i32,
    pub offset: i64,
    pub kind: &'static str,
    pub accepted: bool,
    pub error_code: Option<&'static str>,
    pub error_message: Option<String>,
    pub error_details: Option<serde_json::Value>,
    pub retry_at: Option<DateTime<Utc>>,
    pub event_count: i32,
    pub decided_at: DateTime<Utc>,
}

/// Everything a batch changes, written by `flush`.
#[derive(Default)]
pub(super) struct Changes {
    pub tenants: Vec<NewTenant>,
    pub keys: Vec<NewKey>,
    pub revoked_keys: Vec<(TenantId, String, DateTime<Utc>)>,
    /// Agents whose final state (in the overlay) must be written: upserted, or deleted.
    pub agents: HashSet<(TenantId, AgentId)>,
    /// SOUL texts set in this batch (the last one wins).
    pub souls: HashMap<(TenantId, AgentId), Option<String>>,
    /// Sessions whose final state (in the overlay) must be written.
    pub sessions: HashSet<(TenantId, SessionId)>,
    pub messages: Vec<(TenantId, MessageSnapshot)>,
    /// Changes of agents' active session counts (added to the stored counts).
    pub open_sessions: HashMap<(TenantId, AgentId), i32>,
    pub rollups: Rollups,
    /// Agents' gateway signing secrets set (or, `None`, removed) in this batch.
    pub gateway_secrets: HashMap<(TenantId, AgentId), Option<String>>,
    /// Cron jobs whose final state (in the overlay) must be written: upserted, or deleted.
    pub cron_jobs: HashSet<(TenantId, CronJobId)>,
    /// Cron runs whose final state (in the overlay) must be written.
    pub cron_runs: HashSet<(TenantId, CronRunId)>,
    /// Endpoints whose final state (in the overlay) must be written: upserted, or deleted.
    pub webhooks: HashSet<(TenantId, WebhookId)>,
    /// Empty when the projection rebuilds (nothing is sent again).
    pub deliveries: Vec<super::endpoints::NewDelivery>,
    pub activity: Vec<ActivityRow>,
    pub outcomes: Vec<OutcomeRow>,
}

pub struct UnitOfWork {
    pub(super) overlay: Overlay,
    pub(super) changes: Changes,
    /// Whether accepted events are queued for delivery (not while rebuilding).
    pub(super) outbox: bool,
    /// The sequence each accepted message got, by the position of the record that posted it.
    sequences: HashMap<(u32, i64), i64>,
}

impl UnitOfWork {
    /// Loads, in one round trip, everything the records of a batch need to be decided.
    /// `outbox`: queue deliveries of the accepted events (false while rebuilding).
    pub async fn load(
        tx: &PipelinedTransaction,
        records: &[&CommandRecord],
        outbox: bool,
    ) -> Result<Self, StoreError> {
        let wanted = Wanted::of(records);
        let overlay = super::prefetch::load(tx, &wanted).await?;
        Ok(Self {
            overlay,
            changes: Changes::default(),
            outbox,
            sequences: HashMap::new(),
        })
    }

    /// A unit of work for `records` on the state `carried` from their partition's previous
    /// batch, without reading anything (see [`super::carried`]); or `carried` back if it does
    /// not hold every fact they need.
    pub fn on_carried(
        carried: Carried,
        records: &[&CommandRecord],
        outbox: bool,
    ) -> Result<Self, Carried> {
        Ok(Self {
            overlay: carried.overlay_for(records)?,
            changes: Changes::default(),
            outbox,
            sequences: HashMap::new(),
        })
    }

    /// The state this unit leaves for its partition's next batch once committed up to `after`
    /// (writing `token` beside it: `None` but for a batch decided on a carried state), on top of
    /// `earlier` (the state carried as of the checkpoint this unit started from), if
    /// not too large to keep.
    pub fn carry(
        self,
        after: i64,
        token: Option<i64>,
        earlier: Option<Carried>,
    ) -> Option<Carried> {
        // A large batch (a backlog's, a rebuild's) is followed by another large one, which
        // reads much more than any carried state could hold: nothing is kept for it.
        if self.changes.outcomes.len() > super::carried::CARRY_BATCHES_OF_AT_MOST {
            return None;
        }
        Carried::left(after, token, self.overlay, earlier)
    }

    /// Decides one record against the state so far and stages what the decision changes.
    /// Returns false for a duplicate of a record already decided.
    pub fn decide(&mut self, record: &CommandRecord, position: (u32, i64)) -> bool {
        let needs: Needs = domain::needs(&record.command);
        let Some(state) = self
            .overlay
            .state(record.command_id, record.tenant_id, &needs)
        else {
            return false;
        };
        let decision = domain::decide(&state, record);
        if let Ok(events) = &decision {
            for event in events {
                if let EventKind::MessageCreated { message } = &event.kind {
                    self.sequences.insert(position, message.sequence);
                }
                self.apply(record, event);
            }
        }
        self.overlay.decided.insert(record.command_id);
        self.changes
            .outcomes
            .push(outcome(record, position, &decision));
        true
    }

    /// `partition`'s records decided as accepted so far, with the sequences of the messages
    /// they posted.
    pub fn accepted(&self, partition: u32) -> Vec<super::Accepted> {
        self.changes
            .outcomes
            .iter()
            .filter(|outcome| outcome.accepted && outcome.partition == partition as i32)
            .map(|outcome| super::Accepted {
                offset: outcome.offset,
                sequence: self.sequences.get(&(partition, outcome.offset)).copied(),
            })
            .collect()
    }

    /// The error codes of the commands decided as rejected so far (for `/metrics`).
    pub fn rejection_codes(&self) -> Vec<&'static str> {
        self.changes
            .outcomes
            .iter()
            .filter_map(|outcome| outcome.error_code)
            .collect()
    }

    /// The agent to change, if the batch loaded it (and it still exists); marks it for writing.
    fn agent_mut(&mut self, tenant: TenantId, id: AgentId) -> Option<&mut AgentState> {
        let agent = self
            .overlay
            .agents
            .get_mut(&(tenant, id))
            .and_then(Option::as_mut)?;
        self.changes.agents.insert((tenant, id));
        Some(agent)
    }

    fn apply(&mut self, record: &CommandRecord, event: &Event) {
        let tenant = record.tenant_id;
        let at = record.issued_at;
        match &event.kind {
            EventKind::TenantCreated {
                name,
                plan,
                per_minute,
                per_hour,
            } => {
                self.overlay.tenants.insert(tenant, true);
                self.changes.tenants.push(NewTenant {
                    id: tenant,
                    name: name.clone(),
                    plan: plan.as_str(),
                    per_minute: per_minute.map(|n| n as i32),
                    per_hour: per_hour.map(|n| n as i32),
                    created_at: at,
                });
            }
            EventKind::ApiKeyCreated {
                key_id,
                name,
                scope,
                key_hash,
                prefix,
                expires_at,
            } => {
                self.overlay.keys.insert((tenant, *key_id), Some(false));
                self.changes.keys.push(NewKey {
                    id: key_id.to_string(),
                    tenant_id: tenant,
                    name: name.clone(),
                    scope: scope.as_str(),
                    key_hash: key_hash.clone(),
                    prefix: prefix.clone(),
                    expires_at: *expires_at,
                    created_at: at,
                });
            }
            EventKind::ApiKeyRevoked { key_id } => {
                self.overlay.keys.insert((tenant, *key_id), Some(true));
                self.changes
                    .revoked_keys
                    .push((tenant, key_id.to_string(), at));
            }
            EventKind::AgentCreated {
                agent,
                soul,
                gateway_secret,
            } => {
                if let Some(secret) = gateway_secret {
                    self.changes
                        .gateway_secrets
                        .insert((tenant, agent.id), Some(secret.clone()));
                }
                let state = AgentState::created(agent);
                self.overlay
                    .names
                    .insert((tenant, domain::name_key(&agent.name)), Some(agent.id));
                self.overlay.agents.insert((tenant, agent.id), Some(state));
                self.changes.agents.insert((tenant, agent.id));
                self.changes.souls.insert((tenant, agent.id), soul.clone());
            }
            EventKind::AgentUpdated {
                agent,
                gateway_secret,
            } => {
                if agent.config.gateway.is_none() {
                    self.changes
                        .gateway_secrets
                        .insert((tenant, agent.id), None);
                } else if let Some(secret) = gateway_secret {
                    self.changes
                        .gateway_secrets
                        .insert((tenant, agent.id), Some(secret.clone()));
                }
                let renamed = self.agent_mut(tenant, agent.id).map(|current| {
                    let old_key = domain::name_key(&current.name);
                    current.name = agent.name.clone();
                    current.role = agent.role.clone();
                    current.description = agent.description.clone();
                    current.config = agent.config.clone();
                    current.updated_at = agent.updated_at;
                    old_key
                });
                if let Some(old_key) = renamed {
                    let new_key = domain::name_key(&agent.name);
                    if old_key != new_key {
                        self.overlay.names.insert((tenant, old_key), None);
                        self.overlay.names.insert((tenant, new_key), Some(agent.id));
                    }
                }
            }
            EventKind::AgentDeleted { agent_id, name } => {
                self.overlay
                    .names
                    .insert((tenant, domain::name_key(name)), None);
                self.overlay.agents.insert((tenant, *agent_id), None);
                self.changes.agents.insert((tenant, *agent_id));
                self.changes.souls.remove(&(tenant, *agent_id));
                self.changes
                    .gateway_secrets
                    .insert((tenant, *agent_id), None);
            }
            EventKind::AgentSoulUpdated {
                agent_id,
                soul,
                after,
                ..
            } => {
                if let Some(agent) = self.agent_mut(tenant, *agent_id) {
                    agent.soul_sha256 = Some(after.clone());
                    agent.updated_at = at;
                }
                self.changes
                    .souls
                    .insert((tenant, *agent_id), Some(soul.clone()));
            }
            EventKind::AgentStatusChanged { agent_id, to, .. } => {
                if let Some(agent) = self.agent_mut(tenant, *agent_id) {
                    agent.status = *to;
                }
            }
            EventKind::HeartbeatRecorded { agent_id, .. } => {
                if let Some(agent) = self.agent_mut(tenant, *agent_id) {
                    agent.last_heartbeat_at = Some(at);
                }
            }
            EventKind::AgentHeartbeatMissed { .. } => {}
            EventKind::SessionCreated { session } => {
                *self
                    .changes
                    .open_sessions
                    .entry((tenant, session.agent_id))
                    .or_default() += 1;
                self.changes
                    .rollups
                    .session_created(tenant, session.agent_id, at);
                self.put_session(tenant, session.clone());
            }
            EventKind::SessionArchived { session } => {
                *self
                    .changes
                    .open_sessions
                    .entry((tenant, session.agent_id))
                    .or_default() -= 1;
                self.put_session(tenant, session.clone());
            }
            EventKind::MessageCreated { message } => {
                let tokens = message.usage.as_ref().map_or(0, |usage| usage.tokens());
                if let Some(Some(session)) =
                    self.overlay.sessions.get_mut(&(tenant, message.session_id))
                {
                    session.message_count = message.sequence;
                    session.token_count = domain::usage::add_to_count(session.token_count, tokens);
                    session.last_activity_at = at;
                    self.changes.sessions.insert((tenant, message.session_id));
                }
                if let Some(agent) = self.agent_mut(tenant, message.agent_id) {
                    agent.last_active_at = Some(at);
                    if let Some(usage) = &message.usage {
                        agent
                            .usage
                            .record(at, usage.input_tokens, usage.output_tokens);
                    }
                }
                self.changes.rollups.message(tenant, message);
                self.changes.messages.push((tenant, message.clone()));
            }
            EventKind::ToolCalled {
                agent_id, status, ..
            } => self
                .changes
                .rollups
                .tool_call(tenant, *agent_id, at, *status),
            EventKind::BudgetAlert {
                agent_id, period, ..
            } => {
                if let Some(agent) = self.agent_mut(tenant, *agent_id) {
                    agent.usage.mark(*period, at, false);
                }
            }
            EventKind::BudgetExhausted {
                agent_id, period, ..
            } => {
                if let Some(agent) = self.agent_mut(tenant, *agent_id) {
                    agent.usage.mark(*period, at, true);
                }
            }
            EventKind::WebhookCreated { webhook, secret } => {
                self.put_webhook(
                    tenant,
                    domain::WebhookState {
                        webhook: webhook.clone(),
                        secrets: webhook::WebhookSecrets::new(secret.clone()),
                    },
                );
            }
            EventKind::WebhookUpdated {
                webhook,
                new_secret,
                ..
            } => self.change_webhook(tenant, webhook, new_secret.as_ref(), at),
            EventKind::WebhookDisabled { webhook } => {
                self.change_webhook(tenant, webhook, None, at)
            }
            EventKind::WebhookDeleted { webhook_id, .. } => {
                if let Some(list) = self.overlay.webhooks.get_mut(&tenant) {
                    list.retain(|w| w.webhook.id != *webhook_id);
                }
                self.changes.webhooks.insert((tenant, *webhook_id));
            }
            EventKind::WebhookTest { .. }
            | EventKind::WebhookDeliveryFailed { .. }
            | EventKind::RecordSkipped { .. } => {}
            EventKind::CronCreated {
                job,
                delivery_secret,
            } => self.put_cron_job(tenant, job, delivery_secret.clone()),
            EventKind::CronUpdated {
                job,
                delivery_secret,
            } => {
                let secret = delivery_secret
                    .clone()
                    .or_else(|| self.cron_secret(tenant, job.id));
                self.put_cron_job(tenant, job, secret);
            }
            EventKind::CronScheduled { job } => {
                let secret = self.cron_secret(tenant, job.id);
                self.put_cron_job(tenant, job, secret);
            }
            EventKind::CronDeleted { cron_job_id, .. } => {
                self.overlay.cron_jobs.insert((tenant, *cron_job_id), None);
                self.changes.cron_jobs.insert((tenant, *cron_job_id));
            }
            EventKind::CronRunStarted { run }
            | EventKind::CronRunSkipped { run }
            | EventKind::CronCompleted { run }
            | EventKind::CronDelivered { run }
            | EventKind::CronFailed { run, .. } => {
                if let Some(session) = run.session_id {
                    self.overlay
                        .run_of_session
                        .insert((tenant, session), run.id);
                }
                self.overlay.cron_runs.insert((tenant, run.id), run.clone());
                self.changes.cron_runs.insert((tenant, run.id));
            }
        }
        if self.outbox {
            self.queue_deliveries(record, event);
        }
        if event.kind.is_public() {
            let head = self
                .overlay
                .heads
                .entry(tenant)
                .or_insert_with(|| (0, domain::activity::GENESIS_HASH.to_owned()));
            let (subject_type, subject_id) = event.kind.subject(tenant);
            let entry = domain::activity::ActivityEntry {
                id: event.id.to_string(),
                sequence: head.0 + 1,
                event_type: event.kind.event_type().to_owned(),
                timestamp: domain::activity::entry_timestamp(at),
                actor: domain::activity::TypedRef {
                    kind: record.actor.actor_type.as_str().to_owned(),
                    id: record.actor.id.clone(),
                },
                agent_id: event.kind.agent_id().map(|id| id.to_string()),
                subject: domain::activity::TypedRef {
                    kind: subject_type.to_owned(),
                    id: subject_id,
                },
                data: event.kind.activity_data(),
                hash: None,
                prev_hash: head.1.clone(),
            }
            .sealed();
            *head = (entry.sequence, entry.hash.clone().unwrap_or_default());
            self.changes.activity.push(ActivityRow {
                tenant_id: tenant,
                entry,
                timestamp: at,
                command_id: record.command_id.to_string(),
            });
        }
    }

    fn put_session(&mut self, tenant: TenantId, session: schema::session::SessionSnapshot) {
        self.changes.sessions.insert((tenant, session.id));
        self.overlay
            .sessions
            .insert((tenant, session.id), Some(session));
    }

    /// Writes `before` (a conditional advance of the checkpoint), every staged change (see the
    /// `flush` module), then `after` (the checkpoint's advance), then ends the transaction as
    /// `end` says, with `announce` after a commit, in one round trip. Returns the time of the
    /// end alone (a commit's disk flush).
    pub async fn flush(
        &self,
        tx: &PipelinedTransaction,
        before: Vec<Statement>,
        after: Vec<Statement>,
        announce: Vec<Announcement>,
        end: End,
    ) -> Result<std::time::Duration, StoreError> {
        super::flush::writes(&self.overlay, &self.changes, before, after, announce)
            .send(tx, end)
            .await
    }

    /// The writes [`Self::flush`] would send, built now, and the state this unit leaves for its
    /// partition's next batch once they are committed, putting the checkpoint at `after` with
    /// `token` (see [`Self::carry`]): for a batch sent before the previous one's `COMMIT` is
    /// answered, decided on the state it leaves.
    pub fn into_writes(
        self,
        before: Vec<Statement>,
        announce: Vec<Announcement>,
        after: i64,
        token: i64,
    ) -> (Writes, Option<Carried>) {
        let writes =
            super::flush::writes(&self.overlay, &self.changes, before, Vec::new(), announce);
        (writes, self.carry(after, Some(token), None))
    }
}

fn outcome(
    record: &CommandRecord,
    position: (u32, i64),
    decision: &Result<Vec<Event>, Rejection>,
) -> OutcomeRow {
    let rejection = decision.as_ref().err();
    OutcomeRow {
        command_id: record.command_id.to_string(),
        tenant_id: record.tenant_id,
        partition: position.0 as i32,
        offset: position.1,
        kind: record.command.kind(),
        accepted: rejection.is_none(),
        error_code: rejection.map(|r| r.code.as_str()),
        error_message: rejection.map(|r| r.message.clone()),
        error_details: rejection
            .filter(|r| !r.details.is_empty())
            .map(|r| serde_json::to_value(&r.details).unwrap_or_default()),
        retry_at: rejection.and_then(|r| r.retry_at),
        event_count: decision.as_ref().map_or(0, |events| events.len() as i32),
        decided_at: record.issued_at,
    }
}
