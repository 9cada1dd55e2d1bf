//! A month of work for the demo fleet, planned in memory from a seed and the current time:
//! agents, their sessions and replies, their heartbeats and the odd incident. Nothing here
//! touches the log; `timeline` orders it and `seed` appends it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use domain::catalog::Catalog;
use schema::agent::{HeartbeatState, LimitsConfig, DEFAULT_ALERT_THRESHOLD};
use schema::session::{ToolCall, ToolCallStatus};
use schema::{AgentId, SessionId};

use super::dice::Dice;
use super::fleet::{AgentSpec, Liveness, FLAP_DETAIL, FLEET};

/// How far back the history goes.
pub const DAYS: i64 = 30;
/// Planned work stops this long before now, so every reply is in the past when it is
/// appended (and a budget burst has the last minutes to itself, see `budgets`).
pub const QUIET_BEFORE_NOW: Duration = Duration::minutes(3);
/// The offline agent's last heartbeat, before now.
const OFFLINE_SINCE: Duration = Duration::minutes(312);
/// A model change during the month: the agent, how many days ago, the new default and
/// fallbacks. It shows as a shift in the cost by model.
pub const MODEL_SWITCH: (&str, i64, &str, &[&str]) =
    ("Quill", 12, "claude-sonnet-4-20250514", &["gpt-4o"]);
/// A SOUL file amended during the month: the agent and how many days ago.
pub const SOUL_AMENDMENT: (&str, i64) = ("Iris", 9);
/// A short outage of an online agent: the agent and how many days ago.
const OUTAGE: (&str, i64) = ("Atlas", 6);

pub struct Plan {
    pub now: DateTime<Utc>,
    /// When the demo's API keys were made, before everything else.
    pub keys_at: DateTime<Utc>,
    pub agents: Vec<PlannedAgent>,
    pub sessions: Vec<PlannedSession>,
    pub heartbeats: Vec<PlannedHeartbeat>,
    /// The scheduler marking an agent offline: `(agent, at, its last heartbeat)`.
    pub offline_marks: Vec<(usize, DateTime<Utc>, DateTime<Utc>)>,
    pub model_switch: Option<(usize, DateTime<Utc>)>,
    pub soul_amendment: Option<(usize, DateTime<Utc>)>,
    pub webhook_at: DateTime<Utc>,
    /// The nightly housekeeping: archive every session idle for a day
    /// (`POST /v1/sessions/prune`).
    pub prunes: Vec<DateTime<Utc>>,
}

/// How long a session stays open without activity before the nightly prune archives it.
pub const PRUNE_IDLE: Duration = Duration::hours(24);

pub struct PlannedAgent {
    pub spec: &'static AgentSpec,
    pub id: AgentId,
    pub created_at: DateTime<Utc>,
    /// The model ids the catalog knows (a custom catalog may lack the usual ones).
    pub model: String,
    pub fallbacks: Vec<String>,
    /// Its budgets, chosen by `budgets` once its work is planned.
    pub limits: LimitsConfig,
    /// When planned work may no longer happen (its runtime goes silent, or now).
    pub active_until: DateTime<Utc>,
}

pub struct PlannedSession {
    pub agent: usize,
    pub id: SessionId,
    pub name: String,
    pub opened_at: DateTime<Utc>,
    pub exchanges: Vec<Exchange>,
    pub archived_at: Option<DateTime<Utc>>,
}

pub struct Exchange {
    pub asked_at: DateTime<Utc>,
    pub question: String,
    pub replied_at: DateTime<Utc>,
    pub reply: Reply,
}

#[derive(Clone)]
pub struct Reply {
    pub content: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub latency_ms: u64,
    pub tool_calls: Vec<ToolCall>,
}

impl Reply {
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

pub struct PlannedHeartbeat {
    pub agent: usize,
    pub at: DateTime<Utc>,
    pub state: HeartbeatState,
    pub detail: Option<&'static str>,
}

/// Share of sessions per hour of the day, in the agent's zone.
const OFFICE_HOURS: [f64; 24] = [
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.25, 0.7, 1.0, 1.0, 0.95, 0.6, 0.8, 0.95, 0.9, 0.8,
    0.55, 0.3, 0.15, 0.1, 0.08, 0.05, 0.03,
];
const ALL_HOURS: [f64; 24] = [
    0.5, 0.45, 0.45, 0.4, 0.4, 0.45, 0.55, 0.7, 0.85, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 1.0, 0.95,
    0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55,
];

/// A model id of the catalog: `wanted` if it is there, else the catalog's first (an operator's
/// catalog may lack the usual models).
fn known(catalog: &Catalog, wanted: &str) -> String {
    match catalog.get(wanted) {
        Some(model) => model.id.clone(),
        None => catalog.models()[0].id.clone(),
    }
}

/// The models of `wanted` the catalog knows.
pub fn known_only(catalog: &Catalog, wanted: &[&str]) -> Vec<String> {
    wanted
        .iter()
        .filter(|model| catalog.get(model).is_some())
        .map(|model| (*model).to_owned())
        .collect()
}

/// A ULID-based id whose time part is `at`, so ids sort like the history.
pub fn id_at<T: schema::ids::PrefixedId>(at: DateTime<Utc>) -> T {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    T::from_ulid(ulid::Ulid::from_parts(millis, rand::random()))
}

/// Plans the month before `now` (sessions and heartbeats; cron runs and budgets come after).
/// Every time planned is `now` plus whole milliseconds, as the log keeps times.
pub fn plan(now: DateTime<Utc>, dice: &mut Dice, catalog: &Catalog) -> Plan {
    let now = chrono::SubsecRound::trunc_subsecs(now, 3);
    let start = now - Duration::days(DAYS);
    let keys_at = start - Duration::minutes(50);
    let mut plan = Plan {
        now,
        keys_at,
        agents: Vec::new(),
        sessions: Vec::new(),
        heartbeats: Vec::new(),
        offline_marks: Vec::new(),
        model_switch: None,
        soul_amendment: None,
        webhook_at: now - Duration::days(3) - Duration::minutes(17),
        prunes: Vec::new(),
    };
    for date in (start + Duration::days(1)).date_naive().iter_days() {
        let Some(at) = date.and_hms_opt(2, 30, 0).map(|at| at.and_utc()) else {
            continue;
        };
        if at >= now - QUIET_BEFORE_NOW {
            break;
        }
        plan.prunes.push(at);
    }
    for (index, spec) in FLEET.iter().enumerate() {
        // Rolled out one after the other over the first hour.
        let created_at = start + Duration::seconds(index as i64 * 290 + 40);
        let active_until = match spec.liveness {
            Liveness::Offline => now - OFFLINE_SINCE,
            _ => now - QUIET_BEFORE_NOW,
        };
        plan.agents.push(PlannedAgent {
            spec,
            id: id_at(created_at),
            created_at,
            model: known(catalog, spec.model),
            fallbacks: known_only(catalog, spec.fallbacks),
            limits: LimitsConfig {
                daily_token_budget: None,
                monthly_token_budget: None,
                alert_threshold: DEFAULT_ALERT_THRESHOLD,
            },
            active_until,
        });
    }
    plan.model_switch = moment(&plan, MODEL_SWITCH.0, MODEL_SWITCH.1, 10);
    plan.soul_amendment = moment(&plan, SOUL_AMENDMENT.0, SOUL_AMENDMENT.1, 14);
    for agent in 0..plan.agents.len() {
        plan_sessions(&mut plan, agent, dice, catalog);
        plan_heartbeats(&mut plan, agent, dice);
    }
    plan
}

/// `days` ago at `hour` UTC, for the agent named `name` (if the fleet has it).
fn moment(plan: &Plan, name: &str, days: i64, hour: u32) -> Option<(usize, DateTime<Utc>)> {
    let agent = plan.agents.iter().position(|a| a.spec.name == name)?;
    let date = (plan.now - Duration::days(days)).date_naive();
    Some((agent, date.and_hms_opt(hour, 12, 0)?.and_utc()))
}

fn plan_sessions(plan: &mut Plan, agent: usize, dice: &mut Dice, catalog: &Catalog) {
    let PlannedAgent {
        spec,
        created_at,
        active_until,
        ..
    } = plan.agents[agent];
    let activity = spec.activity;
    let tz: Tz = activity.timezone.parse().unwrap_or(Tz::UTC);
    let first = created_at.with_timezone(&tz).date_naive();
    let last = active_until.with_timezone(&tz).date_naive();
    let hours = if activity.around_the_clock {
        &ALL_HOURS
    } else {
        &OFFICE_HOURS
    };
    for date in first.iter_days().take_while(|date| *date <= last) {
        let age = (date - first).num_days() as f64 / DAYS as f64;
        let mut rate = activity.sessions_per_weekday * (0.75 + 0.4 * age);
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            rate *= activity.weekend;
        }
        if activity.month_end && near_month_end(date) {
            rate *= 3.0;
        }
        rate *= dice.lognormal(1.0, 0.25);
        for _ in 0..dice.poisson(rate) {
            let hour = dice.weighted(hours) as u32;
            let minute = dice.between((0, 59)) as u32;
            let second = dice.between((0, 59)) as u32;
            let Some(local) = date.and_hms_opt(hour, minute, second) else {
                continue;
            };
            let Some(opened_at) = tz.from_local_datetime(&local).earliest() else {
                continue;
            };
            let opened_at = opened_at.with_timezone(&Utc);
            if opened_at < created_at + Duration::minutes(30) || opened_at >= active_until {
                continue;
            }
            let count = dice.between((
                u64::from(activity.exchanges.0),
                u64::from(activity.exchanges.1),
            ));
            let session = session(plan, agent, opened_at, count, active_until, dice, catalog);
            if !session.exchanges.is_empty() {
                plan.sessions.push(session);
            }
        }
    }
}

/// One session of `count` exchanges from `opened_at`, cut at `until`.
fn session(
    plan: &Plan,
    agent: usize,
    opened_at: DateTime<Utc>,
    count: u64,
    until: DateTime<Utc>,
    dice: &mut Dice,
    catalog: &Catalog,
) -> PlannedSession {
    let spec = plan.agents[agent].spec;
    let mut at = opened_at + Duration::seconds(dice.between((5, 40)) as i64);
    let mut exchanges = Vec::new();
    for _ in 0..count {
        let (question, answer) = *dice.pick(spec.exchanges);
        let reply = plan.reply(agent, at, answer, dice, catalog);
        let replied_at = at + Duration::milliseconds(reply.latency_ms as i64);
        if replied_at >= until {
            break;
        }
        exchanges.push(Exchange {
            asked_at: at,
            question: dice.fill(question),
            replied_at,
            reply,
        });
        // The person reads the answer and asks the next question.
        at = replied_at + Duration::seconds(dice.between((20, 360)) as i64);
    }
    // Some are archived by hand when done; the nightly prune archives the rest.
    let last = exchanges.last().map_or(opened_at, |e| e.replied_at);
    let archived_at = dice
        .chance(0.3)
        .then(|| last + Duration::minutes(dice.between((10, 180)) as i64))
        .filter(|at| *at < plan.now - QUIET_BEFORE_NOW);
    PlannedSession {
        agent,
        id: id_at(opened_at),
        name: {
            let template = *dice.pick(spec.sessions);
            dice.fill(template)
        },
        opened_at,
        exchanges,
        archived_at,
    }
}

impl Plan {
    /// Whether the agent's model was switched by `at`.
    fn switched(&self, agent: usize, at: DateTime<Utc>) -> bool {
        matches!(self.model_switch, Some((switched, when)) if switched == agent && at >= when)
    }

    /// The model the agent answers with at `at`.
    pub fn model_at(&self, agent: usize, at: DateTime<Utc>, catalog: &Catalog) -> String {
        if self.switched(agent, at) {
            known(catalog, MODEL_SWITCH.2)
        } else {
            self.agents[agent].model.clone()
        }
    }

    /// A reply of the agent at `at`, with the model it had then.
    pub fn reply(
        &self,
        agent: usize,
        at: DateTime<Utc>,
        answer: &str,
        dice: &mut Dice,
        catalog: &Catalog,
    ) -> Reply {
        let planned = &self.agents[agent];
        let model = self.model_at(agent, at, catalog);
        let fallbacks = if self.switched(agent, at) {
            known_only(catalog, MODEL_SWITCH.3)
        } else {
            planned.fallbacks.clone()
        };
        reply(planned.spec, model, fallbacks.first(), answer, dice)
    }
}

/// A reply of `spec`'s agent with `model` (now and then its `fallback`): tokens, tool calls,
/// latency.
pub fn reply(
    spec: &AgentSpec,
    model: String,
    fallback: Option<&String>,
    answer: &str,
    dice: &mut Dice,
) -> Reply {
    let mut model = model;
    if dice.chance(0.04) {
        if let Some(fallback) = fallback {
            model = fallback.clone();
        }
    }
    let calls = dice.weighted(&[0.3, 0.4, 0.2, 0.1]).min(spec.tools.len());
    let first_tool = dice.between((0, spec.tools.len().max(1) as u64 - 1)) as usize;
    let tool_calls: Vec<ToolCall> = (0..calls)
        .map(|i| ToolCall {
            name: spec.tools[(first_tool + i) % spec.tools.len()].to_owned(),
            status: if dice.chance(spec.tool_failure) {
                ToolCallStatus::Failure
            } else {
                ToolCallStatus::Success
            },
            duration_ms: Some(dice.lognormal(450.0, 0.8).clamp(30.0, 20_000.0) as u64),
        })
        .collect();
    let tools_ms: u64 = tool_calls.iter().filter_map(|c| c.duration_ms).sum();
    let thinking = dice.lognormal(median_latency_ms(&model), 0.45);
    Reply {
        content: dice.fill(answer),
        input_tokens: dice.between(spec.tokens.input),
        output_tokens: dice.between(spec.tokens.output),
        latency_ms: (thinking as u64 + tools_ms).clamp(150, 120_000),
        model,
        tool_calls,
    }
}

/// Typical time to a full reply, by model family.
fn median_latency_ms(model: &str) -> f64 {
    const BY_FAMILY: &[(&str, f64)] = &[
        ("opus", 9_000.0),
        ("sonnet", 3_500.0),
        ("haiku", 1_100.0),
        ("gpt-4o-mini", 1_000.0),
        ("gpt-4o", 2_600.0),
        ("o3-mini", 6_000.0),
        ("o1", 14_000.0),
        ("flash", 800.0),
        ("gemini", 4_200.0),
        ("codestral", 1_300.0),
        ("mistral", 3_000.0),
    ];
    BY_FAMILY
        .iter()
        .find(|(family, _)| model.contains(family))
        .map_or(2_500.0, |(_, ms)| *ms)
}

fn near_month_end(date: NaiveDate) -> bool {
    let next_month = if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    };
    let days_left = next_month.map_or(31, |first| (first - date).num_days());
    date.day() <= 3 || days_left <= 3
}

/// The first heartbeat after roll-out, a few incidents, and where each runtime stands before
/// the live demo takes over (`motion` heartbeats the live ones at once).
fn plan_heartbeats(plan: &mut Plan, agent: usize, dice: &mut Dice) {
    let PlannedAgent {
        spec,
        created_at,
        active_until,
        ..
    } = plan.agents[agent];
    let now = plan.now;
    let mut beat = |at: DateTime<Utc>, state: HeartbeatState, detail: Option<&'static str>| {
        plan.heartbeats.push(PlannedHeartbeat {
            agent,
            at,
            state,
            detail,
        });
    };
    beat(
        created_at + Duration::seconds(dice.between((120, 540)) as i64),
        HeartbeatState::Ok,
        None,
    );
    match spec.liveness {
        Liveness::Online => {}
        Liveness::Flapping => {
            for days in [19, 11, 3] {
                let at =
                    now - Duration::days(days) - Duration::minutes(dice.between((0, 600)) as i64);
                beat(at, HeartbeatState::Degraded, Some(FLAP_DETAIL));
                let back = at + Duration::minutes(dice.between((15, 45)) as i64);
                beat(back, HeartbeatState::Ok, None);
            }
        }
        Liveness::Degraded(detail) => {
            beat(
                now - Duration::minutes(47),
                HeartbeatState::Degraded,
                Some(detail),
            );
        }
        Liveness::Offline => {
            let last = active_until;
            beat(last, HeartbeatState::Ok, None);
            plan.offline_marks
                .push((agent, last + Duration::seconds(91), last));
        }
    }
    if spec.name == OUTAGE.0 {
        let last = now - Duration::days(OUTAGE.1) - Duration::minutes(200);
        plan.heartbeats.push(PlannedHeartbeat {
            agent,
            at: last,
            state: HeartbeatState::Ok,
            detail: None,
        });
        plan.offline_marks
            .push((agent, last + Duration::seconds(92), last));
        plan.heartbeats.push(PlannedHeartbeat {
            agent,
            at: last + Duration::minutes(23),
            state: HeartbeatState::Ok,
            detail: None,
        });
    }
}
