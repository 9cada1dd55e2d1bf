//! The planned month, checked without a database: the same seed plans the same month, every
//! command passes the API's checks, budgets land where the console should show them, and the
//! money is believable.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Utc, Weekday};
use domain::catalog::Catalog;
use schema::{Actor, TenantId};

use super::history::Plan;
use super::jobs::{PlannedJob, RunOutcome};
use super::records::{Messages, Recorder};
use super::timeline::{Step, What};
use super::{month, SEED};

/// A few moments that stress the plan: just after UTC midnight, the first and last days of a
/// month, a Monday morning, a Sunday night.
fn moments() -> Vec<DateTime<Utc>> {
    vec![
        Utc.with_ymd_and_hms(2026, 12, 3, 23, 41, 49).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 4, 0, 2, 10).unwrap(),
        Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 6, 30, 14, 5, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 8, 21, 0, 0).unwrap(),
    ]
}

/// Tokens and cost (micro-dollars) of every reply kept, per agent and UTC day.
fn usage(
    plan: &Plan,
    jobs: &[PlannedJob],
    steps: &[Step],
    catalog: &Catalog,
) -> BTreeMap<(usize, chrono::NaiveDate), (u64, u64)> {
    let mut usage = BTreeMap::new();
    for step in steps {
        let (agent, reply) = match step.what {
            What::Reply(session, exchange) => (
                plan.sessions[session].agent,
                &plan.sessions[session].exchanges[exchange].reply,
            ),
            What::AnswerRun(job, fire) => match &jobs[job].fires[fire].outcome {
                RunOutcome::Answered(_, reply) => (jobs[job].agent, reply),
                _ => continue,
            },
            _ => continue,
        };
        let cost = catalog
            .get(&reply.model)
            .unwrap()
            .cost_micro_usd(reply.input_tokens, reply.output_tokens);
        let entry = usage.entry((agent, step.at.date_naive())).or_insert((0, 0));
        entry.0 += reply.tokens();
        entry.1 += cost;
    }
    usage
}

fn agent(plan: &Plan, name: &str) -> usize {
    plan.agents
        .iter()
        .position(|a| a.spec.name == name)
        .unwrap()
}

#[test]
fn the_same_seed_plans_the_same_month() {
    let catalog = Catalog::built_in();
    let now = moments()[0];
    let (a, _, a_steps) = month(now, SEED, &catalog);
    let (b, _, b_steps) = month(now, SEED, &catalog);
    assert_eq!(a_steps.len(), b_steps.len());
    let shape = |plan: &Plan| -> Vec<(String, u64)> {
        plan.sessions
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.exchanges.iter().map(|e| e.reply.tokens()).sum(),
                )
            })
            .collect()
    };
    assert_eq!(shape(&a), shape(&b));
    let (c, _, _) = month(now, SEED + 1, &catalog);
    assert_ne!(shape(&a), shape(&c), "another seed plans another month");
}

#[test]
fn every_planned_command_passes_the_api_checks_in_time_order_and_in_the_past() {
    let catalog = Catalog::built_in();
    for now in moments() {
        let (plan, jobs, steps) = month(now, SEED, &catalog);
        let actor = Actor::system("test");
        let recorder = Recorder {
            tenant: TenantId::new(),
            plan: &plan,
            jobs: &jobs,
            catalog: &catalog,
            messages: Messages {
                tenant: TenantId::new(),
                catalog: &catalog,
                people: actor.clone(),
                runtime: actor.clone(),
            },
            scheduler: actor,
        };
        for pair in steps.windows(2) {
            assert!(pair[0].at <= pair[1].at, "{pair:?}");
        }
        assert!(steps.iter().all(|step| step.at < now), "{now}");
        for step in &steps {
            let checked = match step.what {
                What::CreateAgent(agent) => recorder.create_agent(agent).map(drop),
                What::OpenSession(session) => recorder.open_session(session).map(drop),
                What::Ask(session, exchange) => recorder.ask(session, exchange).map(drop),
                What::Reply(session, exchange) => recorder.reply(session, exchange).map(drop),
                What::CreateJob(job) => recorder.create_job(job).map(drop),
                _ => Ok(()),
            };
            checked.unwrap_or_else(|error| panic!("{step:?} at {now}: {error:#}"));
        }
        // A few thousand commands: seeding stays well under 15 s in a debug build.
        assert!(
            (2_000..5_000).contains(&steps.len()),
            "{} steps at {now}",
            steps.len()
        );
    }
}

#[test]
fn today_some_agents_are_near_their_daily_budget_and_one_is_over_it() {
    let catalog = Catalog::built_in();
    for now in moments() {
        let (plan, jobs, steps) = month(now, SEED, &catalog);
        let usage = usage(&plan, &jobs, &steps, &catalog);
        let share = |name: &str| {
            let index = agent(&plan, name);
            let budget = plan.agents[index].limits.daily_token_budget.unwrap();
            let (tokens, _) = usage
                .get(&(index, now.date_naive()))
                .copied()
                .unwrap_or_default();
            tokens as f64 / budget as f64
        };
        assert!(share("Lintel") >= 1.0, "over: {} at {now}", share("Lintel"));
        for near in ["Scout", "Quill"] {
            assert!(
                (0.8..1.0).contains(&share(near)),
                "{near} near: {} at {now}",
                share(near)
            );
        }
    }
}

#[test]
fn a_month_costs_dollars_a_day_every_day() {
    let catalog = Catalog::built_in();
    for now in moments() {
        let (plan, jobs, steps) = month(now, SEED, &catalog);
        let usage = usage(&plan, &jobs, &steps, &catalog);
        let mut per_day: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
        for ((agent, day), (_, cost)) in &usage {
            assert!(
                *cost < 25_000_000,
                "{} spent ${} on {day}",
                plan.agents[*agent].spec.name,
                *cost as f64 / 1e6
            );
            *per_day.entry(*day).or_default() += cost;
        }
        assert!(per_day.len() >= 30, "{} days with replies", per_day.len());
        for (day, cost) in per_day.iter().skip(1) {
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let least = if weekend { 1 } else { 1_000_000 };
            assert!(
                (least..80_000_000).contains(cost),
                "the fleet spent ${} on {day}",
                *cost as f64 / 1e6
            );
        }
        let agents: BTreeSet<usize> = usage.keys().map(|(agent, _)| *agent).collect();
        assert_eq!(agents.len(), plan.agents.len(), "every agent worked");
    }
}

#[test]
fn the_webhook_endpoint_is_one_the_api_would_accept() {
    let events: Vec<String> = super::seed::WEBHOOK_EVENTS
        .iter()
        .map(|e| (*e).to_owned())
        .collect();
    assert!(domain::webhooks::events(&events).is_empty());
    assert!(domain::webhooks::description(Some(super::seed::WEBHOOK_DESCRIPTION)).is_empty());
    let policy = webhooks::target::TargetPolicy {
        allow_private: true,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = runtime
        .block_on(webhooks::target::check_url(super::WEBHOOK_URL, policy))
        .unwrap();
    assert_eq!(
        url.to_string(),
        super::WEBHOOK_URL,
        "stored in its normal form"
    );
}
