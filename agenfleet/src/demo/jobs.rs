//! The demo's cron jobs and their past runs. A past run is what the scheduler and the agent
//! would have appended at the time: the fire (`cron.fire`, as the scheduler, at the scheduled
//! time), the agent's reply in the run's session, or, once, no reply and the scheduler's
//! `cron.time_out` ten minutes later. Every job delivers to `none`: a delivery is made by the
//! dispatcher when it happens, and cannot be put in the past.

use chrono::{DateTime, Duration, Utc};
use domain::catalog::Catalog;
use domain::schedule::Schedule;
use schema::CronJobId;

use super::dice::Dice;
use super::history::{id_at, Plan, Reply, DAYS};

pub struct JobSpec {
    pub agent: &'static str,
    pub name: &'static str,
    pub prompt: &'static str,
    pub schedule: &'static str,
    pub timezone: &'static str,
    /// Hours after the agent was created, or `None`: this many hours before now.
    pub created_hours_ago: Option<i64>,
    /// The run this many days ago gets no reply and times out.
    pub unanswered_days_ago: Option<i64>,
    pub answer: &'static str,
}

/// The run timeout of `dev` (AGENFLEET_CRON_RUN_TIMEOUT's default) and the scheduler's words.
pub const RUN_TIMEOUT: Duration = Duration::minutes(10);
pub const TIMEOUT_REASON: &str = "the agent did not reply within 10m";

pub const JOBS: &[JobSpec] = &[
    JobSpec {
        agent: "Brief",
        name: "Weekday morning briefing",
        prompt: "Prepare the leadership briefing: overnight incidents, pipeline changes since yesterday and today's key meetings. At most ten bullets, most important first.",
        schedule: "0 8 * * MON-FRI",
        timezone: "Europe/Berlin",
        created_hours_ago: None,
        unanswered_days_ago: None,
        answer: "Good morning. 1) No customer-facing incidents overnight. 2) {co} moved to proposal stage (84k ARR). 3) Churn alert: two SMB accounts asked to downgrade. 4) Board pack draft is due Thursday. 5) Today: {co} QBR at 11:00, hiring committee at 15:00.",
    },
    JobSpec {
        agent: "Pager",
        name: "Nightly incident digest",
        prompt: "Summarise every incident and page of the last 24 hours: impact, cause, status, follow-ups. Flag anything still open.",
        schedule: "0 6 * * *",
        timezone: "UTC",
        created_hours_ago: None,
        unanswered_days_ago: Some(9),
        answer: "Last 24 h: 2 incidents, both resolved. INC-{n}: elevated 5xx on checkout (27 min, config rollback). INC-{n}: queue lag in eu-west (12 min, two workers restarted). 5 pages, 3 of them noise from the disk alert; a ticket to tune it is open.",
    },
    JobSpec {
        agent: "Iris",
        name: "Support queue pulse",
        prompt: "Check the support queue: new tickets in the last 30 minutes, anything close to breaching its SLA, anything that needs a person now.",
        schedule: "*/30 * * * *",
        timezone: "UTC",
        created_hours_ago: Some(5),
        unanswered_days_ago: None,
        answer: "Queue: 6 new tickets in 30 min, all triaged. None near SLA breach (oldest waits 41 min of 4 h). Needs a person: ticket #{n}, a refund over 500 EUR.",
    },
];

pub struct PlannedJob {
    pub spec: &'static JobSpec,
    pub agent: usize,
    pub id: CronJobId,
    pub created_at: DateTime<Utc>,
    pub fires: Vec<PlannedFire>,
}

pub struct PlannedFire {
    pub scheduled_for: DateTime<Utc>,
    /// When the scheduler's fire reached the log.
    pub issued_at: DateTime<Utc>,
    pub outcome: RunOutcome,
}

pub enum RunOutcome {
    /// The agent's reply, and when it came.
    Answered(DateTime<Utc>, Reply),
    /// No reply: the scheduler times the run out at this time.
    TimedOut(DateTime<Utc>),
    /// Still waiting for the reply when the history ends.
    Running,
}

/// Every job of the fleet and its fires up to now. A fire whose reply would come after now is
/// left running: the live demo answers it (or the scheduler times it out).
pub fn plan_jobs(plan: &Plan, dice: &mut Dice, catalog: &Catalog) -> Vec<PlannedJob> {
    let mut jobs = Vec::new();
    for spec in JOBS {
        let Some(agent) = plan.agents.iter().position(|a| a.spec.name == spec.agent) else {
            continue;
        };
        let created_at = match spec.created_hours_ago {
            Some(hours) => plan.now - Duration::hours(hours) - Duration::minutes(7),
            None => plan.agents[agent].created_at + Duration::minutes(65),
        };
        let Ok(schedule) = Schedule::parse(spec.schedule, spec.timezone) else {
            continue;
        };
        let unanswered = spec
            .unanswered_days_ago
            .map(|days| (plan.now - Duration::days(days)).date_naive());
        let mut fires = Vec::new();
        let mut next = schedule.next_after(created_at);
        while let Some(scheduled_for) = next.filter(|at| *at < plan.now - Duration::seconds(5)) {
            let issued_at = scheduled_for + Duration::milliseconds(dice.between((60, 900)) as i64);
            let outcome = if Some(scheduled_for.date_naive()) == unanswered {
                let at = issued_at + RUN_TIMEOUT + Duration::milliseconds(350);
                if at < plan.now {
                    RunOutcome::TimedOut(at)
                } else {
                    RunOutcome::Running
                }
            } else {
                let reply = plan.reply(agent, issued_at, spec.answer, dice, catalog);
                let at = issued_at + Duration::milliseconds(reply.latency_ms as i64);
                if at < plan.now {
                    RunOutcome::Answered(at, reply)
                } else {
                    RunOutcome::Running
                }
            };
            fires.push(PlannedFire {
                scheduled_for,
                issued_at,
                outcome,
            });
            next = schedule.next_after(scheduled_for);
        }
        debug_assert!(fires.len() as i64 <= DAYS * 48 + 48);
        jobs.push(PlannedJob {
            spec,
            agent,
            id: id_at(created_at),
            created_at,
            fires,
        });
    }
    jobs
}
