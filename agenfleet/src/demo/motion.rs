//! The live demo: while `dev` runs, the demo agents heartbeat, answer questions in their open
//! sessions, answer their cron runs, and one of them is degraded now and then. Each command is
//! issued now and goes through the log like any other; one the projector refuses (a session
//! archived meanwhile, an agent deleted by hand) is logged at debug and the demo goes on.

use std::collections::HashMap;
use std::time::Duration;

use domain::catalog::Catalog;
use read_store::sessions::SessionFilter;
use read_store::{Order, Page, Store};
use schema::agent::HeartbeatState;
use schema::command::{ArchiveSession, CreateSession, RecordHeartbeat};
use schema::cron::RunStatus;
use schema::session::{SessionOrigin, SessionStatus};
use schema::{Actor, AgentId, Command, CommandRecord, TenantId};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::dice::Dice;
use super::fleet::{AgentSpec, Liveness, FLAP_DETAIL, FLEET};
use super::history::{reply, Reply};
use super::jobs::JOBS;
use super::records::Messages;
use super::seed::{PEOPLE_KEY, RUNTIME_KEY};
use crate::submit::Submitter;

/// Who acts when the tenant lacks the demo's keys.
const ACTOR: &str = "agenfleet-dev";
/// A session with this many messages is archived and a new one opened.
const SESSION_LENGTH: i64 = 16;

pub struct Motion {
    submitter: Submitter,
    store: Store,
    tenant: TenantId,
    catalog: Catalog,
    /// How often each live agent heartbeats (well within the offline threshold).
    heartbeat_every: Duration,
    /// How often the demo wakes.
    tick: Duration,
    dice: Dice,
    agents: Vec<Live>,
    /// Who acts: the demo's keys when the tenant has them (see `seed`), else the demo itself.
    people: Actor,
    runtime: Actor,
    /// A question asked and the reply due for it.
    reply_due: Option<(Instant, AgentId, schema::SessionId, Reply)>,
    next_question: Instant,
    next_flap: Instant,
    flapping_until: Option<Instant>,
}

struct Live {
    spec: &'static AgentSpec,
    id: AgentId,
    model: String,
    fallbacks: Vec<String>,
    last_heartbeat: Option<Instant>,
}

impl Motion {
    /// Agents stay online while heartbeats come more often than every `offline_after`.
    pub fn new(
        submitter: Submitter,
        store: Store,
        tenant: TenantId,
        catalog: Catalog,
        offline_after: Duration,
    ) -> Self {
        let now = Instant::now();
        let heartbeat_every =
            (offline_after / 3).clamp(Duration::from_millis(200), Duration::from_secs(25));
        Self {
            submitter,
            store,
            tenant,
            catalog,
            heartbeat_every,
            // A heartbeat is at most a tick late: still well within `offline_after`.
            tick: Duration::from_secs(3).min(heartbeat_every / 2),
            dice: Dice::new(rand::random()),
            agents: Vec::new(),
            people: Actor::system(ACTOR),
            runtime: Actor::system(ACTOR),
            reply_due: None,
            next_question: now + Duration::from_secs(5),
            next_flap: now + Duration::from_secs(90),
            flapping_until: None,
        }
    }

    /// Wakes every `tick` at most (tests).
    pub fn with_tick(mut self, tick: Duration) -> Self {
        self.tick = self.tick.min(tick);
        self
    }

    /// Heartbeats every live agent now and waits until they are applied (says how many were):
    /// run before the heartbeat monitor starts, so the fleet does not look silent after a
    /// restart.
    pub async fn wake(&mut self) -> anyhow::Result<usize> {
        self.refresh().await?;
        let mut applied = 0;
        for index in 0..self.agents.len() {
            let record = self.heartbeat(index);
            applied += usize::from(self.submit(record).await);
        }
        // Spread the next heartbeats over the interval: a few agents at a time.
        let (now, count) = (Instant::now(), self.agents.len().max(1) as u32);
        for (index, agent) in self.agents.iter_mut().enumerate() {
            let ago = self.heartbeat_every * index as u32 / count;
            agent.last_heartbeat = Some(now.checked_sub(ago).unwrap_or(now));
        }
        Ok(applied)
    }

    /// Until `shutdown`: wakes every tick; a failed step is logged at debug and retried on
    /// the next. Nothing is left half-done at shutdown: a command in flight is either applied
    /// or not, and the next start goes on from the read models.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut next_refresh = Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.tick) => {}
            }
            let step = async {
                if Instant::now() >= next_refresh {
                    self.refresh().await?;
                    next_refresh = Instant::now() + Duration::from_secs(30);
                }
                self.step().await
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                result = step => if let Err(error) = result {
                    tracing::debug!(error = %format!("{error:#}"), "demo step");
                },
            }
        }
    }

    /// The tenant's agents that are demo agents with a running runtime.
    async fn refresh(&mut self) -> anyhow::Result<()> {
        let client = self.store.client().await?;
        let page = Page {
            limit: 100,
            offset: 0,
            order: Order::Asc,
        };
        let keys = read_store::api_keys::list(&client, self.tenant, page)
            .await?
            .rows;
        let actor = |name: &str| {
            keys.iter()
                .find(|key| key.name == name)
                .map_or_else(|| Actor::system(ACTOR), |key| Actor::api_key(key.id))
        };
        self.people = actor(PEOPLE_KEY);
        self.runtime = actor(RUNTIME_KEY);
        let listed = read_store::agents::list(&client, self.tenant, None, page).await?;
        let before: HashMap<AgentId, Option<Instant>> = self
            .agents
            .iter()
            .map(|agent| (agent.id, agent.last_heartbeat))
            .collect();
        self.agents = listed
            .rows
            .into_iter()
            .filter_map(|row| {
                let spec = FLEET.iter().find(|spec| spec.name == row.state.name)?;
                (spec.liveness != Liveness::Offline).then(|| Live {
                    spec,
                    id: row.state.id,
                    model: row.state.config.model.default.clone(),
                    fallbacks: row.state.config.model.fallbacks.clone(),
                    last_heartbeat: before.get(&row.state.id).copied().flatten(),
                })
            })
            .collect();
        Ok(())
    }

    async fn step(&mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        self.flap(now).await;
        for index in 0..self.agents.len() {
            let due = self.agents[index]
                .last_heartbeat
                .is_none_or(|at| now >= at + self.heartbeat_every);
            if due {
                let record = self.heartbeat(index);
                self.submit(record).await;
            }
        }
        if let Some((at, agent, session, reply)) = self.reply_due.take() {
            if now >= at {
                self.post_reply(agent, session, &reply, false).await?;
            } else {
                self.reply_due = Some((at, agent, session, reply));
            }
        } else if now >= self.next_question {
            self.next_question = now + Duration::from_secs(self.dice.between((20, 60)));
            self.ask().await?;
        }
        self.answer_cron_runs().await
    }

    /// The flapping agent goes degraded for a minute or two every few minutes.
    async fn flap(&mut self, now: Instant) {
        let Some(index) = self
            .agents
            .iter()
            .position(|agent| agent.spec.liveness == Liveness::Flapping)
        else {
            return;
        };
        let change = match self.flapping_until {
            Some(until) if now >= until => {
                self.flapping_until = None;
                self.next_flap = now + Duration::from_secs(self.dice.between((240, 540)));
                true
            }
            None if now >= self.next_flap => {
                self.flapping_until = Some(now + Duration::from_secs(self.dice.between((45, 120))));
                true
            }
            _ => false,
        };
        if change {
            let record = self.heartbeat(index);
            self.submit(record).await;
        }
    }

    fn heartbeat(&mut self, index: usize) -> CommandRecord {
        let flapping = self.flapping_until.is_some();
        let agent = &mut self.agents[index];
        agent.last_heartbeat = Some(Instant::now());
        let (state, detail) = match agent.spec.liveness {
            Liveness::Degraded(detail) => (HeartbeatState::Degraded, Some(detail)),
            Liveness::Flapping if flapping => (HeartbeatState::Degraded, Some(FLAP_DETAIL)),
            _ => (HeartbeatState::Ok, None),
        };
        let latency = match state {
            HeartbeatState::Ok => self.dice.between((40, 220)),
            HeartbeatState::Degraded => self.dice.between((1_500, 6_500)),
        };
        let command = Command::RecordHeartbeat(RecordHeartbeat {
            agent_id: agent.id,
            state,
            latency_ms: Some(latency),
            detail: detail.map(str::to_owned),
        });
        self.record(command)
    }

    /// A question to one of the agents that may talk, in its open session (a new one when
    /// there is none or it is long); the reply follows after its latency.
    async fn ask(&mut self) -> anyhow::Result<()> {
        let talkers: Vec<usize> = (0..self.agents.len())
            .filter(|index| self.agents[*index].spec.talks_live())
            .collect();
        if talkers.is_empty() {
            return Ok(());
        }
        let index = *self.dice.pick(&talkers);
        let (spec, agent) = (self.agents[index].spec, self.agents[index].id);
        let open = {
            let client = self.store.client().await?;
            let filter = SessionFilter {
                agent: Some(agent),
                status: Some(SessionStatus::Active),
                origin: Some(SessionOrigin::Api),
            };
            let page = Page {
                limit: 1,
                offset: 0,
                order: Order::Desc,
            };
            read_store::sessions::list(&client, self.tenant, filter, page)
                .await?
                .rows
                .into_iter()
                .next()
        };
        let session = match open {
            Some(session) if session.message_count < SESSION_LENGTH => session.id,
            old => {
                if let Some(old) = old {
                    let command = Command::ArchiveSession(ArchiveSession { session_id: old.id });
                    let record = self.record(command);
                    self.submit(record).await;
                }
                let session_id = super::history::id_at(chrono::Utc::now());
                let template = *self.dice.pick(spec.sessions);
                let name = self.dice.fill(template);
                let command = Command::CreateSession(CreateSession {
                    session_id,
                    agent_id: agent,
                    name: Some(name),
                });
                let record = self.record(command);
                if !self.submit(record).await {
                    return Ok(());
                }
                session_id
            }
        };
        let (question, answer) = *self.dice.pick(spec.exchanges);
        let question = self.dice.fill(question);
        let live = &self.agents[index];
        let reply = reply(
            spec,
            live.model.clone(),
            live.fallbacks.first(),
            answer,
            &mut self.dice,
        );
        let asked = self.message(agent, session, &question, None, false)?;
        if self.submit(asked).await {
            let due = Instant::now() + Duration::from_millis(reply.latency_ms.min(10_000));
            self.reply_due = Some((due, agent, session, reply));
        }
        Ok(())
    }

    /// Replies to every cron run of a demo agent that waits for its answer.
    async fn answer_cron_runs(&mut self) -> anyhow::Result<()> {
        let waiting = {
            let client = self.store.client().await?;
            let page = Page {
                limit: 100,
                offset: 0,
                order: Order::Asc,
            };
            let jobs = read_store::cron::jobs(&client, self.tenant, Default::default(), page)
                .await?
                .rows;
            let mut waiting = Vec::new();
            for job in jobs
                .into_iter()
                .filter(|job| job.last_run_status == Some(RunStatus::Running))
            {
                let page = Page {
                    limit: 1,
                    offset: 0,
                    order: Order::Desc,
                };
                let runs = read_store::cron::runs(&client, self.tenant, job.id, page).await?;
                if let Some(run) = runs.rows.into_iter().next() {
                    let answered_by_now = run
                        .started_at
                        .is_some_and(|at| chrono::Utc::now() - at > chrono::Duration::seconds(4));
                    if let (RunStatus::Running, Some(session), true) =
                        (run.status, run.session_id, answered_by_now)
                    {
                        waiting.push((job.name, run.agent_id, session));
                    }
                }
            }
            waiting
        };
        for (name, agent_id, session) in waiting {
            let Some(live) = self.agents.iter().find(|agent| agent.id == agent_id) else {
                continue;
            };
            let answer = JOBS
                .iter()
                .find(|job| job.name == name)
                .map_or("Done: nothing unusual to report.", |job| job.answer);
            let reply = reply(
                live.spec,
                live.model.clone(),
                live.fallbacks.first(),
                answer,
                &mut self.dice,
            );
            self.post_reply(agent_id, session, &reply, true).await?;
        }
        Ok(())
    }

    async fn post_reply(
        &mut self,
        agent: AgentId,
        session: schema::SessionId,
        reply: &Reply,
        cron_session: bool,
    ) -> anyhow::Result<()> {
        let record = self.message(agent, session, &reply.content, Some(reply), cron_session)?;
        self.submit(record).await;
        Ok(())
    }

    fn message(
        &self,
        agent: AgentId,
        session: schema::SessionId,
        content: &str,
        reply: Option<&Reply>,
        cron_session: bool,
    ) -> anyhow::Result<CommandRecord> {
        let messages = Messages {
            tenant: self.tenant,
            catalog: &self.catalog,
            people: self.people.clone(),
            runtime: self.runtime.clone(),
        };
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
        messages.message((session, agent, cron_session), now, content, reply)
    }

    /// A record of people's (session changes) or the runtime's (heartbeats) doing.
    fn record(&self, command: Command) -> CommandRecord {
        let actor = match command {
            Command::RecordHeartbeat(_) => &self.runtime,
            _ => &self.people,
        };
        CommandRecord::new(self.tenant, actor.clone(), command)
    }

    /// Appends and waits; a refusal or an error is logged at debug. `true` when accepted.
    async fn submit(&self, record: CommandRecord) -> bool {
        let kind = record.command.kind();
        match self.submitter.submit(&[record]).await {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!(kind, error = %format!("{error:#}"), "demo command not applied");
                false
            }
        }
    }
}
