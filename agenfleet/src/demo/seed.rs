//! Seeding a tenant with the demo: the planned month appended through the log in time order,
//! each record waited for until the projector accepted it (the `Submitter` fails on a
//! rejection, so a seeded demo is one the projector's rules allow).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::catalog::Catalog;
use read_store::{Order, Page, Store};
use schema::command::{CreateWebhook, TimeOutCronRun};
use schema::cron::{CronRunSnapshot, RunStatus};
use schema::tenant::Scope;
use schema::{Actor, Command, CommandRecord, TenantId, WebhookId};
use tokio_util::sync::CancellationToken;

use super::history::{id_at, Plan};
use super::jobs::{PlannedJob, RunOutcome, TIMEOUT_REASON};
use super::records::{issued_at, Messages, Recorder};
use super::timeline::What;
use crate::submit::Submitter;

/// Where the demo's webhook endpoint points: the receiver the README starts on this machine.
/// Until one listens there, its deliveries fail and are retried on the dispatcher's schedule.
pub const WEBHOOK_URL: &str = "http://127.0.0.1:9000/agenfleet";
pub const WEBHOOK_EVENTS: &[&str] = &[
    "agent.status_changed",
    "agent.budget_alert",
    "agent.budget_exhausted",
    "cron.failed",
];
pub const WEBHOOK_DESCRIPTION: &str =
    "Ops alerts. Points at the README's local receiver (port 9000): start it to see deliveries succeed.";
/// The demo's API keys (their secrets are not kept): the one people and integrations act
/// through, and the one the agent runtimes report through.
pub const PEOPLE_KEY: &str = "Platform team";
pub const RUNTIME_KEY: &str = "Agent runtime";
/// Records appended before waiting for their outcomes.
const BATCH: usize = 250;

pub struct Settings {
    /// The same seed plans the same month (relative to the time of seeding).
    pub seed: u64,
    /// The catalog the API prices with.
    pub catalog: Catalog,
    /// The operator key (AGENFLEET_SECRET_KEY) that seals the webhook's signing secret;
    /// without one the demo has no webhook.
    pub secret_key: Option<String>,
    /// Whether the API accepts webhook URLs on this machine (dev does, by default).
    pub allow_private_targets: bool,
}

pub enum Seeding {
    Seeded(Summary),
    /// The tenant already has agents; nothing was added.
    AlreadySeeded {
        agents: i64,
    },
    /// Shutdown came first: the tenant holds part of the demo.
    Interrupted,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub agents: usize,
    pub sessions: usize,
    pub messages: usize,
    pub cron_runs: usize,
    pub commands: usize,
    /// The webhook endpoint's URL, when there is one.
    pub webhook: Option<String>,
    pub elapsed: Duration,
}

/// Fills `tenant` with the demo unless it has agents already.
pub async fn seed(
    submitter: &Submitter,
    store: &Store,
    tenant: TenantId,
    settings: &Settings,
    now: DateTime<Utc>,
    stop: &CancellationToken,
) -> anyhow::Result<Seeding> {
    let started = Instant::now();
    let agents = {
        let client = store.client().await?;
        let page = Page {
            limit: 1,
            offset: 0,
            order: Order::Desc,
        };
        read_store::agents::list(&client, tenant, None, page)
            .await?
            .total
    };
    if agents > 0 {
        return Ok(Seeding::AlreadySeeded { agents });
    }
    let catalog = &settings.catalog;
    let (plan, jobs, steps) = super::month(now, settings.seed, catalog);

    let mut out = Outbox {
        submitter,
        pending: Vec::new(),
        appended: 0,
        stop,
    };
    let people = crate::admin::key_command(tenant, PEOPLE_KEY, Scope::ReadWrite);
    let runtime = crate::admin::key_command(tenant, RUNTIME_KEY, Scope::ReadWrite);
    let recorder = Recorder {
        tenant,
        plan: &plan,
        jobs: &jobs,
        catalog,
        messages: Messages {
            tenant,
            catalog,
            people: Actor::api_key(people.1.key_id),
            runtime: Actor::api_key(runtime.1.key_id),
        },
        scheduler: Actor::system("scheduler"),
    };
    let webhook = webhook(settings, tenant, &plan);
    let mut runs: Vec<Vec<Option<CronRunSnapshot>>> =
        jobs.iter().map(|job| vec![None; job.fires.len()]).collect();
    let mut summary = Summary {
        agents: plan.agents.len(),
        sessions: 0,
        messages: 0,
        cron_runs: 0,
        commands: 0,
        webhook: webhook.as_ref().map(|(url, _)| url.clone()),
        elapsed: Duration::ZERO,
    };
    for step in steps {
        let record = match step.what {
            What::CreateKeys => {
                let operator = Actor::system("agenfleet-cli");
                for (offset, (record, _)) in [&people, &runtime].into_iter().enumerate() {
                    let at = step.at + chrono::Duration::seconds(offset as i64);
                    out.push(issued_at(tenant, &operator, at, record.command.clone()));
                }
                None
            }
            What::CreateAgent(agent) => Some(recorder.create_agent(agent)?),
            What::Heartbeat(index) => Some(recorder.heartbeat(index)),
            What::MarkOffline(index) => Some(recorder.mark_offline(index)),
            What::SwitchModel => recorder.switch_model(),
            What::AmendSoul => recorder.amend_soul(),
            What::CreateWebhook => webhook.as_ref().map(|(_, command)| {
                issued_at(tenant, &recorder.messages.people, step.at, command.clone())
            }),
            What::OpenSession(session) => {
                summary.sessions += 1;
                Some(recorder.open_session(session)?)
            }
            What::Ask(session, exchange) => {
                summary.messages += 1;
                Some(recorder.ask(session, exchange)?)
            }
            What::Reply(session, exchange) => {
                summary.messages += 1;
                Some(recorder.reply(session, exchange)?)
            }
            What::Archive(session) => recorder.archive(session),
            What::Prune(index) => Some(recorder.prune(index)),
            What::CreateJob(job) => Some(recorder.create_job(job)?),
            What::Fire(job, fire) => {
                // The run's session and id are the projector's to choose: read them back.
                out.push(recorder.fire(job, fire));
                if !out.flush().await? {
                    return Ok(Seeding::Interrupted);
                }
                runs[job][fire] = run_of(store, tenant, &jobs[job], fire).await?;
                summary.cron_runs += 1;
                summary.messages += usize::from(runs[job][fire].is_some());
                None
            }
            What::AnswerRun(job, fire) => {
                let (Some(run), RunOutcome::Answered(at, reply)) =
                    (&runs[job][fire], &jobs[job].fires[fire].outcome)
                else {
                    continue;
                };
                let Some(session) = run.session_id else {
                    continue;
                };
                summary.messages += 1;
                let agent = plan.agents[jobs[job].agent].id;
                Some(recorder.messages.message(
                    (session, agent, true),
                    *at,
                    &reply.content,
                    Some(reply),
                )?)
            }
            What::TimeOutRun(job, fire) => runs[job][fire].as_ref().map(|run| {
                let command = Command::TimeOutCronRun(TimeOutCronRun {
                    run_id: run.id,
                    reason: TIMEOUT_REASON.to_owned(),
                });
                issued_at(tenant, &recorder.scheduler, step.at, command)
            }),
        };
        if let Some(record) = record {
            out.push(record);
        }
        if out.pending.len() >= BATCH && !out.flush().await? {
            return Ok(Seeding::Interrupted);
        }
    }
    if !out.flush().await? {
        return Ok(Seeding::Interrupted);
    }
    summary.commands = out.appended;
    summary.elapsed = started.elapsed();
    Ok(Seeding::Seeded(summary))
}

/// The run a fire started, if it started one (a fire finding the budget used up fails).
async fn run_of(
    store: &Store,
    tenant: TenantId,
    job: &PlannedJob,
    fire: usize,
) -> anyhow::Result<Option<CronRunSnapshot>> {
    let client = store.client().await?;
    let page = Page {
        limit: 1,
        offset: 0,
        order: Order::Desc,
    };
    let listed = read_store::cron::runs(&client, tenant, job.id, page).await?;
    Ok(listed.rows.into_iter().next().filter(|run| {
        run.scheduled_for == job.fires[fire].scheduled_for && run.status == RunStatus::Running
    }))
}

/// The webhook endpoint's URL and its command, when the operator key can seal its secret
/// and the URL is allowed. The secret itself is not kept: rotate it to get one.
fn webhook(settings: &Settings, tenant: TenantId, plan: &Plan) -> Option<(String, Command)> {
    let keyring = webhooks::keyring::Keyring::parse(settings.secret_key.as_deref()?).ok()?;
    if !settings.allow_private_targets {
        return None;
    }
    let id: WebhookId = id_at(plan.webhook_at);
    let secret = webhooks::signing::generate_secret();
    let sealed = keyring.encrypt(secret.as_bytes(), &format!("{tenant}/{id}"));
    let command = Command::CreateWebhook(CreateWebhook {
        webhook_id: id,
        url: WEBHOOK_URL.to_owned(),
        events: WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
        description: Some(WEBHOOK_DESCRIPTION.to_owned()),
        enabled: true,
        secret: sealed,
    });
    Some((WEBHOOK_URL.to_owned(), command))
}

/// Records waiting to be appended.
struct Outbox<'a> {
    submitter: &'a Submitter,
    pending: Vec<CommandRecord>,
    appended: usize,
    stop: &'a CancellationToken,
}

impl Outbox<'_> {
    fn push(&mut self, record: CommandRecord) {
        self.pending.push(record);
    }

    /// Appends what is pending and waits until it is accepted; `false` when shutdown came.
    async fn flush(&mut self) -> anyhow::Result<bool> {
        if self.stop.is_cancelled() {
            return Ok(false);
        }
        let records = std::mem::take(&mut self.pending);
        self.submitter.submit(&records).await?;
        self.appended += records.len();
        Ok(true)
    }
}
