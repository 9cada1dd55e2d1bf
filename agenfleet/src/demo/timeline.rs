//! The planned month as one list of steps in time order, with what the projector will refuse
//! taken out: a question to an agent whose budget is used up is refused (429 for a caller),
//! so the demo does not ask it, and drops the rest of that conversation; a fire finding the
//! budget used up fails, so nobody answers it. Budgets are followed with the projector's own
//! counters (`domain::usage`), so the two agree.

use chrono::{DateTime, Utc};
use domain::usage::AgentUsage;

use super::history::Plan;
use super::jobs::{PlannedJob, RunOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    CreateKeys,
    CreateAgent(usize),
    /// `plan.heartbeats[i]`.
    Heartbeat(usize),
    /// `plan.offline_marks[i]`.
    MarkOffline(usize),
    SwitchModel,
    AmendSoul,
    CreateWebhook,
    OpenSession(usize),
    /// Session, exchange.
    Ask(usize, usize),
    Reply(usize, usize),
    Archive(usize),
    /// `plan.prunes[i]`.
    Prune(usize),
    CreateJob(usize),
    /// Job, fire.
    Fire(usize, usize),
    AnswerRun(usize, usize),
    TimeOutRun(usize, usize),
}

#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub what: What,
}

/// Every step of the plan, oldest first (ties keep the order they are listed in here).
pub fn steps(plan: &Plan, jobs: &[PlannedJob]) -> Vec<Step> {
    let mut steps = vec![Step {
        at: plan.keys_at,
        what: What::CreateKeys,
    }];
    let mut add = |at, what| steps.push(Step { at, what });
    for (index, agent) in plan.agents.iter().enumerate() {
        add(agent.created_at, What::CreateAgent(index));
    }
    if let Some((_, at)) = plan.model_switch {
        add(at, What::SwitchModel);
    }
    if let Some((_, at)) = plan.soul_amendment {
        add(at, What::AmendSoul);
    }
    add(plan.webhook_at, What::CreateWebhook);
    for (index, beat) in plan.heartbeats.iter().enumerate() {
        add(beat.at, What::Heartbeat(index));
    }
    for (index, (_, at, _)) in plan.offline_marks.iter().enumerate() {
        add(*at, What::MarkOffline(index));
    }
    for (index, session) in plan.sessions.iter().enumerate() {
        add(session.opened_at, What::OpenSession(index));
        for (exchange, planned) in session.exchanges.iter().enumerate() {
            add(planned.asked_at, What::Ask(index, exchange));
            add(planned.replied_at, What::Reply(index, exchange));
        }
        if let Some(at) = session.archived_at {
            add(at, What::Archive(index));
        }
    }
    for (index, at) in plan.prunes.iter().enumerate() {
        add(*at, What::Prune(index));
    }
    for (index, job) in jobs.iter().enumerate() {
        add(job.created_at, What::CreateJob(index));
        for (fire, planned) in job.fires.iter().enumerate() {
            add(planned.issued_at, What::Fire(index, fire));
            match &planned.outcome {
                RunOutcome::Answered(at, _) => add(*at, What::AnswerRun(index, fire)),
                RunOutcome::TimedOut(at) => add(*at, What::TimeOutRun(index, fire)),
                RunOutcome::Running => {}
            }
        }
    }
    steps.sort_by_key(|step| step.at);
    within_budgets(plan, jobs, steps)
}

/// Drops the steps the projector would refuse or that follow from a refusal.
fn within_budgets(plan: &Plan, jobs: &[PlannedJob], steps: Vec<Step>) -> Vec<Step> {
    let mut usage = vec![AgentUsage::default(); plan.agents.len()];
    let mut refused_sessions = vec![false; plan.sessions.len()];
    let mut failed_fires: Vec<Vec<bool>> =
        jobs.iter().map(|j| vec![false; j.fires.len()]).collect();
    let exhausted = |usage: &[AgentUsage], agent: usize, at| {
        usage[agent]
            .exhausted_until(&plan.agents[agent].limits, at)
            .is_some()
    };
    let mut kept = Vec::with_capacity(steps.len());
    for step in steps {
        match step.what {
            What::Ask(session, _) => {
                let agent = plan.sessions[session].agent;
                if refused_sessions[session] || exhausted(&usage, agent, step.at) {
                    refused_sessions[session] = true;
                    continue;
                }
            }
            What::Reply(session, exchange) => {
                if refused_sessions[session] {
                    continue;
                }
                let planned = &plan.sessions[session];
                let reply = &planned.exchanges[exchange].reply;
                usage[planned.agent].record(step.at, reply.input_tokens, reply.output_tokens);
            }
            What::Fire(job, fire) => {
                failed_fires[job][fire] = exhausted(&usage, jobs[job].agent, step.at);
            }
            What::AnswerRun(job, fire) => {
                if failed_fires[job][fire] {
                    continue;
                }
                if let RunOutcome::Answered(_, reply) = &jobs[job].fires[fire].outcome {
                    usage[jobs[job].agent].record(step.at, reply.input_tokens, reply.output_tokens);
                }
            }
            What::TimeOutRun(job, fire) if failed_fires[job][fire] => continue,
            _ => {}
        }
        kept.push(step);
    }
    kept
}
