//! Decisions about cron jobs and their runs, and the checks of their fields.
//!
//! A run: a fire (scheduled, or `run now`) opens a `cron` session and posts the prompt as its
//! first user message; the first assistant message in that session completes the run and
//! archives the session; the output is then delivered (`cron.delivered` / `cron.failed`). A run
//! the agent does not answer in time fails (`cron.time_out`, appended by a scheduler).

use chrono::{DateTime, Utc};
use schema::command::Command;
use schema::cron::{
    CronDelivery, CronJobSnapshot, CronRunSnapshot, OverlapPolicy, RunDeliveryStatus, RunStatus,
};
use schema::event::EventKind;
use schema::session::{
    MessageRole, MessageSnapshot, SessionOrigin, SessionSnapshot, SessionStatus,
};
use schema::{CommandRecord, CronJobId, CronRunId, ErrorCode, FieldError, Rejection};

use crate::schedule::Schedule;
use crate::state::{CronJobState, DecisionState};

pub use schema::limits::{MAX_JOB_NAME_CHARS, MAX_PROMPT_CHARS};

/// Salts of the ids a fire derives from its command id.
const RUN_ID: u32 = 1;
const SESSION_ID: u32 = 2;
const MESSAGE_ID: u32 = 3;

/// Checks a job's name and prompt (the schedule is checked by [`Schedule::parse`]).
pub fn name_and_prompt(name: Option<&str>, prompt: Option<&str>) -> Vec<FieldError> {
    use crate::validate::{check_text, CRON_JOB_NAME, CRON_PROMPT};
    let mut errors = Vec::new();
    if let Some(name) = name {
        check_text("name", name, CRON_JOB_NAME, &mut errors);
    }
    if let Some(prompt) = prompt {
        check_text("prompt", prompt, CRON_PROMPT, &mut errors);
    }
    errors
}

/// The job's next fire after `after`, when enabled and its schedule still parses.
pub fn next_run(job: &CronJobSnapshot, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !job.enabled {
        return None;
    }
    Schedule::parse(&job.schedule, &job.timezone)
        .ok()?
        .next_after(after)
}

fn invalid(errors: Vec<FieldError>) -> Rejection {
    Rejection::validation(errors)
}

pub(crate) fn decide(
    state: &DecisionState,
    record: &CommandRecord,
) -> Result<Vec<EventKind>, Rejection> {
    let now = record.issued_at;
    match &record.command {
        Command::CreateCronJob(c) => {
            let agent = crate::decide::existing_agent(state, c.agent_id)?;
            if state.cron_job.is_some() {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("Cron job {} already exists", c.cron_job_id),
                ));
            }
            Schedule::parse(&c.schedule, &c.timezone).map_err(invalid)?;
            let mut job = CronJobSnapshot {
                id: c.cron_job_id,
                agent_id: agent.id,
                name: c.name.clone(),
                prompt: c.prompt.clone(),
                schedule: c.schedule.clone(),
                timezone: c.timezone.clone(),
                enabled: c.enabled,
                overlap_policy: c.overlap_policy,
                delivery: c.delivery.clone(),
                next_run_at: None,
                last_run_at: None,
                last_run_status: None,
                created_at: now,
                updated_at: now,
            };
            job.next_run_at = next_run(&job, now);
            Ok(vec![EventKind::CronCreated {
                job,
                delivery_secret: c.delivery_secret.clone(),
            }])
        }
        Command::UpdateCronJob(c) => {
            let mut job = existing_job(state, c.cron_job_id)?.job.clone();
            let patch = c.patch.clone();
            let reschedule =
                patch.schedule.is_some() || patch.timezone.is_some() || patch.enabled.is_some();
            if let Some(name) = patch.name {
                job.name = name;
            }
            if let Some(prompt) = patch.prompt {
                job.prompt = prompt;
            }
            if let Some(schedule) = patch.schedule {
                job.schedule = schedule;
            }
            if let Some(timezone) = patch.timezone {
                job.timezone = timezone;
            }
            if let Some(enabled) = patch.enabled {
                job.enabled = enabled;
            }
            if let Some(policy) = patch.overlap_policy {
                job.overlap_policy = policy;
            }
            if let Some(delivery) = patch.delivery {
                job.delivery = delivery;
            }
            Schedule::parse(&job.schedule, &job.timezone).map_err(invalid)?;
            if reschedule {
                job.next_run_at = next_run(&job, now);
            }
            job.updated_at = now;
            Ok(vec![EventKind::CronUpdated {
                job,
                delivery_secret: c.delivery_secret.clone(),
            }])
        }
        Command::DeleteCronJob(c) => {
            let job = &existing_job(state, c.cron_job_id)?.job;
            Ok(vec![deleted(job)])
        }
        Command::RunCronJob(c) => {
            let job = existing_job(state, c.cron_job_id)?;
            Ok(start_run(state, record, &job.job, c.run_id, now, false))
        }
        Command::FireCronJob(c) => {
            // A second fire of the same time (another scheduler) finds the job moved on.
            let Some(job) = state.cron_job.as_ref().filter(|job| {
                job.job.id == c.cron_job_id
                    && job.job.enabled
                    && job.job.next_run_at == Some(c.scheduled_for)
            }) else {
                return Ok(Vec::new());
            };
            let run_id = schema::ids::derived(record.command_id, RUN_ID);
            Ok(start_run(
                state,
                record,
                &job.job,
                run_id,
                c.scheduled_for,
                true,
            ))
        }
        Command::SkipMissedFires(c) => {
            let Some(job) = state
                .cron_job
                .as_ref()
                .filter(|job| job.job.id == c.cron_job_id && job.job.next_run_at == Some(c.from))
            else {
                return Ok(Vec::new());
            };
            let mut job = job.job.clone();
            let run = CronRunSnapshot {
                id: schema::ids::derived(record.command_id, RUN_ID),
                cron_job_id: job.id,
                agent_id: job.agent_id,
                scheduled_for: c.from,
                started_at: None,
                finished_at: Some(now),
                status: RunStatus::Skipped,
                session_id: None,
                input_tokens: 0,
                output_tokens: 0,
                delivery_status: RunDeliveryStatus::None,
                error: Some(c.reason.clone()),
            };
            job.next_run_at = next_run(&job, c.to);
            Ok(vec![
                EventKind::CronRunSkipped { run },
                EventKind::CronScheduled { job },
            ])
        }
        Command::TimeOutCronRun(c) => {
            let Some(run) = running(state, c.run_id) else {
                return Ok(Vec::new());
            };
            let mut events = Vec::new();
            if let Some(session) = state
                .session
                .as_ref()
                .filter(|s| Some(s.id) == run.session_id && s.status == SessionStatus::Active)
            {
                events.push(crate::decide::archived(session, now));
            }
            events.extend(finish(state, run, now, RunStatus::Failed, c.reason.clone()));
            Ok(events)
        }
        Command::RecordCronDelivery(c) => {
            let Some(run) = state.cron_run.as_ref().filter(|run| {
                run.id == c.run_id && run.delivery_status == RunDeliveryStatus::Pending
            }) else {
                return Ok(Vec::new());
            };
            let mut run = run.clone();
            if c.delivered {
                run.delivery_status = RunDeliveryStatus::Delivered;
                Ok(vec![EventKind::CronDelivered { run }])
            } else {
                run.delivery_status = RunDeliveryStatus::Failed;
                let reason = c
                    .reason
                    .clone()
                    .unwrap_or_else(|| "the output could not be delivered".to_owned());
                Ok(finish(state, &run, now, RunStatus::Failed, reason))
            }
        }
        other => unreachable!("{} is not a cron command", other.kind()),
    }
}

/// `cron.deleted` for a job (also when its agent is deleted).
pub(crate) fn deleted(job: &CronJobSnapshot) -> EventKind {
    EventKind::CronDeleted {
        cron_job_id: job.id,
        agent_id: job.agent_id,
        name: job.name.clone(),
    }
}

/// A fire at `scheduled_for`: skipped (overlap), failed (no budget), or a run that opens its
/// session with the prompt. `advance`: a scheduled fire, which moves the job to its next time.
fn start_run(
    state: &DecisionState,
    record: &CommandRecord,
    job: &CronJobSnapshot,
    run_id: CronRunId,
    scheduled_for: DateTime<Utc>,
    advance: bool,
) -> Vec<EventKind> {
    let now = record.issued_at;
    let mut next = job.clone();
    if advance {
        next.next_run_at = next_run(job, scheduled_for);
    }
    let mut run = CronRunSnapshot {
        id: run_id,
        cron_job_id: job.id,
        agent_id: job.agent_id,
        scheduled_for,
        started_at: None,
        finished_at: None,
        status: RunStatus::Running,
        session_id: None,
        input_tokens: 0,
        output_tokens: 0,
        delivery_status: RunDeliveryStatus::None,
        error: None,
    };
    if job.overlap_policy == OverlapPolicy::Skip && job.last_run_status == Some(RunStatus::Running)
    {
        run.status = RunStatus::Skipped;
        run.finished_at = Some(now);
        run.error = Some("the previous run is still running (overlapPolicy: skip)".to_owned());
        // The running run stays the job's last run.
        return vec![
            EventKind::CronRunSkipped { run },
            EventKind::CronScheduled { job: next },
        ];
    }
    let agent = state
        .agent
        .as_ref()
        .filter(|agent| agent.id == job.agent_id);
    let exhausted = agent.and_then(|agent| agent.usage.exhausted_until(&agent.config.limits, now));
    if agent.is_none() || exhausted.is_some() {
        let reason = match exhausted {
            Some(reset) => format!(
                "the agent's token budget is used up until {}",
                reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => "the agent no longer exists".to_owned(),
        };
        run.status = RunStatus::Failed;
        run.finished_at = Some(now);
        run.error = Some(reason.clone());
        next.last_run_at = Some(scheduled_for);
        next.last_run_status = Some(RunStatus::Failed);
        return vec![
            EventKind::CronFailed { run, reason },
            EventKind::CronScheduled { job: next },
        ];
    }
    let session_id = schema::ids::derived(record.command_id, SESSION_ID);
    run.started_at = Some(now);
    run.session_id = Some(session_id);
    next.last_run_at = Some(scheduled_for);
    next.last_run_status = Some(RunStatus::Running);
    vec![
        EventKind::CronRunStarted { run },
        EventKind::SessionCreated {
            session: SessionSnapshot {
                id: session_id,
                agent_id: job.agent_id,
                name: Some(job.name.clone()),
                status: SessionStatus::Active,
                origin: SessionOrigin::Cron,
                cron_job_id: Some(job.id),
                message_count: 1,
                token_count: 0,
                created_at: now,
                last_activity_at: now,
                archived_at: None,
            },
        },
        EventKind::MessageCreated {
            message: MessageSnapshot {
                id: schema::ids::derived(record.command_id, MESSAGE_ID),
                session_id,
                agent_id: job.agent_id,
                sequence: 1,
                role: MessageRole::User,
                content: job.prompt.clone(),
                usage: None,
                tool_calls: Vec::new(),
                created_at: now,
            },
        },
        EventKind::CronScheduled { job: next },
    ]
}

/// The events of the first assistant reply in a run's session: the run completes (its output
/// to be delivered, if the job delivers), the session is archived.
pub(crate) fn completion(
    state: &DecisionState,
    session: &SessionSnapshot,
    message: &MessageSnapshot,
    now: DateTime<Utc>,
) -> Vec<EventKind> {
    let Some(run) = state
        .cron_run
        .as_ref()
        .filter(|run| run.session_id == Some(session.id) && run.status == RunStatus::Running)
    else {
        return Vec::new();
    };
    let delivers = state
        .cron_job
        .as_ref()
        .is_some_and(|job| job.job.id == run.cron_job_id && job.job.delivery != CronDelivery::None);
    let mut done = run.clone();
    done.status = RunStatus::Succeeded;
    done.finished_at = Some(now);
    if let Some(usage) = &message.usage {
        done.input_tokens = usage.input_tokens;
        done.output_tokens = usage.output_tokens;
    }
    done.delivery_status = if delivers {
        RunDeliveryStatus::Pending
    } else {
        RunDeliveryStatus::None
    };
    let mut archived = session.clone();
    archived.message_count = message.sequence;
    archived.token_count = crate::usage::add_to_count(
        archived.token_count,
        message.usage.as_ref().map_or(0, |u| u.tokens()),
    );
    archived.last_activity_at = now;
    let mut events = vec![
        EventKind::CronCompleted { run: done },
        crate::decide::archived(&archived, now),
    ];
    events.extend(latest_status(state, run, RunStatus::Succeeded));
    events
}

/// A run that ends in failure, with the job's last status when it is the job's latest run.
fn finish(
    state: &DecisionState,
    run: &CronRunSnapshot,
    now: DateTime<Utc>,
    status: RunStatus,
    reason: String,
) -> Vec<EventKind> {
    let mut failed = run.clone();
    failed.status = status;
    failed.finished_at.get_or_insert(now);
    failed.error = Some(reason.clone());
    let mut events = vec![EventKind::CronFailed {
        run: failed,
        reason,
    }];
    events.extend(latest_status(state, run, status));
    events
}

/// `cron.scheduled` with the job's `lastRunStatus`, if `run` is its latest run.
fn latest_status(
    state: &DecisionState,
    run: &CronRunSnapshot,
    status: RunStatus,
) -> Option<EventKind> {
    let job = state.cron_job.as_ref().filter(|job| {
        job.job.id == run.cron_job_id && job.job.last_run_at == Some(run.scheduled_for)
    })?;
    let mut job = job.job.clone();
    job.last_run_status = Some(status);
    Some(EventKind::CronScheduled { job })
}

fn running(state: &DecisionState, id: CronRunId) -> Option<&CronRunSnapshot> {
    state
        .cron_run
        .as_ref()
        .filter(|run| run.id == id && run.status == RunStatus::Running)
}

fn existing_job(state: &DecisionState, id: CronJobId) -> Result<&CronJobState, Rejection> {
    state
        .cron_job
        .as_ref()
        .filter(|job| job.job.id == id)
        .ok_or_else(|| {
            Rejection::new(
                ErrorCode::CronJobNotFound,
                format!("No cron job found with id {id}"),
            )
        })
}
