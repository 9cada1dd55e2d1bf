//! Budgets chosen from the planned work, so the console shows agents near their budget and one
//! over it today, whatever the date. A budget is set when the agent is created (a month ago)
//! but chosen now, from what the month will hold; where today's planned work falls short of
//! the wanted share, a last session in the final minutes makes up the difference.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use domain::catalog::Catalog;

use super::dice::Dice;
use super::fleet::{Budget, Liveness};
use super::history::{id_at, Exchange, Plan, PlannedSession, QUIET_BEFORE_NOW};
use super::jobs::{PlannedJob, RunOutcome};

/// Tokens per UTC day of each agent, as planned (before any budget refuses a question).
fn tokens_by_day(plan: &Plan, jobs: &[PlannedJob]) -> Vec<BTreeMap<NaiveDate, u64>> {
    let mut days = vec![BTreeMap::new(); plan.agents.len()];
    let mut add = |agent: usize, at: DateTime<Utc>, tokens: u64| {
        *days[agent].entry(at.date_naive()).or_insert(0) += tokens;
    };
    for session in &plan.sessions {
        for exchange in &session.exchanges {
            add(session.agent, exchange.replied_at, exchange.reply.tokens());
        }
    }
    for job in jobs {
        for fire in &job.fires {
            if let RunOutcome::Answered(at, reply) = &fire.outcome {
                add(job.agent, *at, reply.tokens());
            }
        }
    }
    days
}

/// Rounded up to two significant digits: budgets people set look like 1,300,000.
fn round_up(tokens: f64) -> u64 {
    let step = step_of(tokens);
    ((tokens / step).ceil() * step).max(1_000.0) as u64
}

fn round_down(tokens: f64) -> u64 {
    let step = step_of(tokens);
    ((tokens / step).floor() * step).max(1_000.0) as u64
}

fn step_of(tokens: f64) -> f64 {
    10f64.powi((tokens.max(1_000.0).log10().floor() as i32) - 1)
}

fn percentile(values: &mut [u64], share: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let index = ((values.len() - 1) as f64 * share).round() as usize;
    values[index]
}

fn month_of(date: NaiveDate) -> (i32, u32) {
    (date.year(), date.month())
}

/// Sets every agent's budgets and adds the sessions that bring today's usage to its target.
pub fn choose(plan: &mut Plan, jobs: &[PlannedJob], dice: &mut Dice, catalog: &Catalog) {
    let days = tokens_by_day(plan, jobs);
    let today = plan.now.date_naive();
    for (agent, days) in days.iter().enumerate() {
        let spec = plan.agents[agent].spec;
        let today_tokens = days.get(&today).copied().unwrap_or(0);
        let busiest = days.values().copied().max().unwrap_or(0);
        let mut past: Vec<u64> = days
            .iter()
            .filter(|(date, _)| **date < today)
            .map(|(_, tokens)| *tokens)
            .collect();
        let typical = percentile(&mut past, 0.9).max(busiest / 2);
        let daily = match spec.daily_budget {
            Budget::None | Budget::ThisMonth(_) => None,
            Budget::Headroom(factor) => Some(round_up(busiest as f64 * factor)),
            Budget::Today(share) => {
                let budget = round_up(typical as f64 * 1.1);
                let budget = if today_tokens as f64 > share * budget as f64 {
                    // Today is already busier than the target: a budget that today fills.
                    if share >= 1.0 {
                        round_down(today_tokens as f64 / share)
                    } else {
                        round_up(today_tokens as f64 / share)
                    }
                } else {
                    budget
                };
                let wanted = (share * budget as f64).ceil() as u64;
                if wanted > today_tokens {
                    add_final_session(plan, agent, wanted - today_tokens, budget, dice, catalog);
                }
                Some(budget)
            }
        };
        let month_total = |month: (i32, u32)| -> u64 {
            days.iter()
                .filter(|(date, _)| month_of(**date) == month)
                .map(|(_, tokens)| *tokens)
                .sum()
        };
        let all: u64 = days.values().sum();
        let monthly = match spec.monthly_budget {
            Budget::None | Budget::Today(_) => None,
            Budget::Headroom(factor) => Some(round_up(all as f64 * factor)),
            Budget::ThisMonth(share) => {
                let this_month = month_total(month_of(today));
                let before = days
                    .keys()
                    .map(|date| month_of(*date))
                    .filter(|month| *month != month_of(today))
                    .map(month_total)
                    .max()
                    .unwrap_or(0);
                Some(round_up(this_month as f64 / share).max(round_up(before as f64 * 1.1)))
            }
        };
        let limits = &mut plan.agents[agent].limits;
        limits.daily_token_budget = daily;
        limits.monthly_token_budget = monthly;
    }
}

/// A last session in the final minutes before now whose replies add `tokens` to today. Each
/// reply carries more than 3 % of the budget, so a question is only refused once the budget
/// is really used up.
fn add_final_session(
    plan: &mut Plan,
    agent: usize,
    tokens: u64,
    budget: u64,
    dice: &mut Dice,
    catalog: &Catalog,
) {
    let spec = plan.agents[agent].spec;
    if matches!(spec.liveness, Liveness::Offline) {
        return;
    }
    let per_reply = (spec.tokens.input.1 + spec.tokens.output.1).max(1);
    let mut count = tokens.div_ceil(per_reply).clamp(1, 6);
    while count > 1 && tokens / count <= budget * 31 / 1_000 {
        count -= 1;
    }
    let midnight = plan
        .now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let from = (plan.now - QUIET_BEFORE_NOW + Duration::seconds(10))
        .max(midnight.unwrap_or(plan.now) + Duration::seconds(1));
    let until = plan.now - Duration::seconds(5);
    if until <= from {
        // The day is seconds old: nothing to fill.
        return;
    }
    let slot = (until - from) / (count as i32 * 2 + 1);
    let input_share =
        spec.tokens.input.1 as f64 / (spec.tokens.input.1 + spec.tokens.output.1) as f64;
    let mut exchanges = Vec::new();
    for index in 0..count {
        let asked_at = from + slot * (index as i32 * 2 + 1);
        let (question, answer) = *dice.pick(spec.exchanges);
        let mut reply = plan.reply(agent, asked_at, answer, dice, catalog);
        let share = tokens / count + u64::from(index == 0) * (tokens % count);
        reply.input_tokens = (share as f64 * input_share) as u64;
        reply.output_tokens = share - reply.input_tokens;
        reply.latency_ms = reply.latency_ms.min(slot.num_milliseconds().max(1) as u64);
        exchanges.push(Exchange {
            asked_at,
            question: dice.fill(question),
            replied_at: asked_at + Duration::milliseconds(reply.latency_ms as i64),
            reply,
        });
    }
    let opened_at = from;
    plan.sessions.push(PlannedSession {
        agent,
        id: id_at(opened_at),
        name: {
            let template = *dice.pick(spec.sessions);
            dice.fill(template)
        },
        opened_at,
        exchanges,
        archived_at: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_round_numbers_around_the_usage() {
        assert_eq!(round_up(1_234_567.0), 1_300_000);
        assert_eq!(round_down(1_234_567.0), 1_200_000);
        assert_eq!(round_up(99_001.0), 100_000);
        assert_eq!(round_up(0.0), 1_000);
    }
}
