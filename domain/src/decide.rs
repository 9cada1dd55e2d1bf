//! `decide`: accept a command (and say which events it produces) or reject it.

use chrono::{DateTime, Utc};
use schema::agent::{AgentStatus, HeartbeatState};
use schema::command::{Command, CreateAgent};
use schema::event::{AgentSnapshot, Event, EventKind};
use schema::session::{
    MessageRole, MessageSnapshot, SessionOrigin, SessionSnapshot, SessionStatus,
};
use schema::{CommandRecord, ErrorCode, EventId, Rejection};

use crate::state::{AgentState, DecisionState};

/// The agent `create` makes when it is accepted, issued at `now`: what `agent.created` carries
/// and the read models hold (the API answers the create with it).
pub fn created_agent(create: &CreateAgent, now: DateTime<Utc>) -> AgentSnapshot {
    AgentSnapshot {
        id: create.agent_id,
        name: create.name.clone(),
        role: create.role.clone(),
        description: create.description.clone(),
        status: AgentStatus::Provisioning,
        config: create.config.clone(),
        soul_sha256: create.soul.as_deref().map(crate::sha256_hex),
        created_at: now,
        updated_at: now,
    }
}

/// Decides one record against the state it needs (see [`crate::needs`]). Events get ids
/// derived from the command id, and times from `issuedAt`, so a replay decides identically.
pub fn decide(state: &DecisionState, record: &CommandRecord) -> Result<Vec<Event>, Rejection> {
    let kinds = decide_kinds(state, record)?;
    Ok(kinds
        .into_iter()
        .enumerate()
        .map(|(index, kind)| Event {
            id: EventId::derived(record.command_id, index as u32),
            kind,
        })
        .collect())
}

fn decide_kinds(
    state: &DecisionState,
    record: &CommandRecord,
) -> Result<Vec<EventKind>, Rejection> {
    let now = record.issued_at;
    let require_tenant = || {
        if state.tenant_exists {
            Ok(())
        } else {
            Err(Rejection::new(
                ErrorCode::TenantNotFound,
                format!("No tenant found with id {}", record.tenant_id),
            ))
        }
    };
    match &record.command {
        Command::CreateTenant(c) => {
            if state.tenant_exists {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("Tenant {} already exists", record.tenant_id),
                ));
            }
            Ok(vec![EventKind::TenantCreated {
                name: c.name.clone(),
                plan: c.plan,
                per_minute: c.limits.per_minute,
                per_hour: c.limits.per_hour,
            }])
        }
        Command::CreateApiKey(c) => {
            require_tenant()?;
            if state.api_key.is_some() {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("API key {} already exists", c.key_id),
                ));
            }
            Ok(vec![EventKind::ApiKeyCreated {
                key_id: c.key_id,
                name: c.name.clone(),
                scope: c.scope,
                key_hash: c.key_hash.clone(),
                prefix: c.prefix.clone(),
                expires_at: c.expires_at,
            }])
        }
        Command::RevokeApiKey(c) => match &state.api_key {
            None => Err(Rejection::new(
                ErrorCode::ApiKeyNotFound,
                format!("No API key found with id {}", c.key_id),
            )),
            // A revoked key is gone for its tenant: revoking it again finds nothing.
            Some(key) if key.revoked => Err(Rejection::new(
                ErrorCode::ApiKeyNotFound,
                format!("No API key found with id {}", c.key_id),
            )),
            Some(_) => Ok(vec![EventKind::ApiKeyRevoked { key_id: c.key_id }]),
        },
        Command::CreateAgent(c) => {
            require_tenant()?;
            if state.agent.is_some() {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("Agent {} already exists", c.agent_id),
                ));
            }
            if state.name_holder.is_some() {
                return Err(name_taken(&c.name));
            }
            Ok(vec![EventKind::AgentCreated {
                agent: created_agent(c, now),
                soul: c.soul.clone(),
                gateway_secret: c.gateway_secret.clone(),
            }])
        }
        Command::UpdateAgent(c) => {
            let current = existing_agent(state, c.agent_id)?;
            if let Some(name) = &c.patch.name {
                if state.name_holder.is_some_and(|holder| holder != c.agent_id) {
                    return Err(name_taken(name));
                }
            }
            let patch = c.patch.clone();
            let mut agent = current.snapshot();
            if let Some(name) = patch.name {
                agent.name = name;
            }
            agent.role = patch.role.apply(agent.role);
            agent.description = patch.description.apply(agent.description);
            if let Some(config) = patch.config {
                agent.config = agent.config.merged(config);
            }
            agent.updated_at = now;
            Ok(vec![EventKind::AgentUpdated {
                agent,
                gateway_secret: c.gateway_secret.clone(),
            }])
        }
        Command::DeleteAgent(c) => {
            let current = existing_agent(state, c.agent_id)?;
            // Its sessions are archived and its cron jobs deleted in the same decision, before
            // the agent goes.
            let mut events: Vec<EventKind> = state
                .active_sessions
                .iter()
                .map(|session| archived(session, now))
                .collect();
            events.extend(state.agent_cron_jobs.iter().map(crate::cron::deleted));
            events.push(EventKind::AgentDeleted {
                agent_id: c.agent_id,
                name: current.name.clone(),
            });
            Ok(events)
        }
        Command::SetAgentSoul(c) => {
            let current = existing_agent(state, c.agent_id)?;
            Ok(vec![EventKind::AgentSoulUpdated {
                agent_id: c.agent_id,
                soul: c.soul.clone(),
                before: current.soul_sha256.clone(),
                after: crate::sha256_hex(&c.soul),
            }])
        }
        Command::RecordHeartbeat(c) => {
            let current = existing_agent(state, c.agent_id)?;
            let to = match c.state {
                HeartbeatState::Ok => AgentStatus::Online,
                HeartbeatState::Degraded => AgentStatus::Degraded,
            };
            let mut events = vec![EventKind::HeartbeatRecorded {
                agent_id: c.agent_id,
                state: c.state,
                latency_ms: c.latency_ms,
            }];
            if current.status != to {
                events.push(EventKind::AgentStatusChanged {
                    agent_id: c.agent_id,
                    from: current.status,
                    to,
                });
            }
            Ok(events)
        }
        Command::MarkAgentOffline(c) => {
            let current = existing_agent(state, c.agent_id)?;
            // A heartbeat that reached the log after the scheduler looked wins: the command is
            // stale and changes nothing. Agents never heard from stay `provisioning`.
            let stale = current.last_heartbeat_at != c.last_heartbeat_at;
            if stale
                || matches!(
                    current.status,
                    AgentStatus::Offline | AgentStatus::Provisioning
                )
            {
                return Ok(Vec::new());
            }
            Ok(vec![
                EventKind::AgentHeartbeatMissed {
                    agent_id: c.agent_id,
                    last_heartbeat_at: c.last_heartbeat_at,
                },
                EventKind::AgentStatusChanged {
                    agent_id: c.agent_id,
                    from: current.status,
                    to: AgentStatus::Offline,
                },
            ])
        }
        Command::CreateSession(c) => {
            require_tenant()?;
            existing_agent(state, c.agent_id)?;
            if state.session.is_some() {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("Session {} already exists", c.session_id),
                ));
            }
            Ok(vec![EventKind::SessionCreated {
                session: SessionSnapshot {
                    id: c.session_id,
                    agent_id: c.agent_id,
                    name: c.name.clone(),
                    status: SessionStatus::Active,
                    origin: SessionOrigin::Api,
                    cron_job_id: None,
                    message_count: 0,
                    token_count: 0,
                    created_at: now,
                    last_activity_at: now,
                    archived_at: None,
                },
            }])
        }
        Command::ArchiveSession(c) => {
            let session = existing_session(state, c.session_id)?;
            if session.status == SessionStatus::Archived {
                return Ok(Vec::new());
            }
            Ok(vec![archived(session, now)])
        }
        Command::PruneSessions(_) => {
            require_tenant()?;
            Ok(state
                .active_sessions
                .iter()
                .map(|session| archived(session, now))
                .collect())
        }
        Command::PostMessage(c) => post_message(state, record, c),
        Command::RecordSkip(c) => {
            require_tenant()?;
            Ok(vec![EventKind::RecordSkipped {
                partition: c.partition,
                offset: c.offset,
                command_id: c.command_id,
                skipped_kind: c.skipped_kind.clone(),
                reason: c.reason.clone(),
            }])
        }
        Command::CreateWebhook(_)
        | Command::UpdateWebhook(_)
        | Command::DeleteWebhook(_)
        | Command::RotateWebhookSecret(_)
        | Command::TestWebhook(_)
        | Command::DisableWebhook(_)
        | Command::RecordDeliveryFailure(_) => {
            require_tenant()?;
            crate::webhooks::decide(state, record)
        }
        Command::CreateCronJob(_)
        | Command::UpdateCronJob(_)
        | Command::DeleteCronJob(_)
        | Command::RunCronJob(_)
        | Command::FireCronJob(_)
        | Command::SkipMissedFires(_)
        | Command::TimeOutCronRun(_)
        | Command::RecordCronDelivery(_) => {
            require_tenant()?;
            crate::cron::decide(state, record)
        }
    }
}

/// The message `post` stores when it is accepted as its session's `sequence`-th, issued at
/// `now`: what `message.created` carries and the read models hold (the API answers the post
/// with it).
pub fn posted_message(
    post: &schema::command::PostMessage,
    sequence: i64,
    now: DateTime<Utc>,
) -> MessageSnapshot {
    MessageSnapshot {
        id: post.message_id,
        session_id: post.session_id,
        agent_id: post.agent_id,
        sequence,
        role: post.role,
        content: post.content.clone(),
        usage: post.usage.clone(),
        tool_calls: post.tool_calls.clone(),
        created_at: now,
    }
}

/// A message takes the next sequence of its session; a reply adds its tokens to the agent's
/// budgets, and the first reply to reach a threshold in a period fires its event.
fn post_message(
    state: &DecisionState,
    record: &CommandRecord,
    c: &schema::command::PostMessage,
) -> Result<Vec<EventKind>, Rejection> {
    let now = record.issued_at;
    let session = existing_session(state, c.session_id)?;
    if session.agent_id != c.agent_id {
        return Err(Rejection::new(
            ErrorCode::SessionNotFound,
            format!("No session found with id {}", c.session_id),
        ));
    }
    if session.status == SessionStatus::Archived {
        return Err(Rejection::new(
            ErrorCode::SessionArchived,
            format!(
                "Session {} is archived and takes no more messages; open a new session",
                c.session_id
            ),
        ));
    }
    let agent = existing_agent(state, c.agent_id)?;
    let limits = &agent.config.limits;
    if c.role == MessageRole::User {
        if let Some(reset) = agent.usage.exhausted_until(limits, now) {
            let mut rejection = Rejection::new(
                ErrorCode::BudgetExhausted,
                format!(
                    "Agent {} has used up its token budget; it resets at {}",
                    c.agent_id,
                    reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            );
            rejection.retry_at = Some(reset);
            return Err(rejection);
        }
    }
    let message = posted_message(c, session.message_count + 1, now);
    // The first reply in a cron run's session completes the run.
    let completion = match c.role {
        MessageRole::Assistant => crate::cron::completion(state, session, &message, now),
        MessageRole::User => Vec::new(),
    };
    let mut events = vec![EventKind::MessageCreated { message }];
    events.extend(c.tool_calls.iter().map(|call| EventKind::ToolCalled {
        agent_id: c.agent_id,
        session_id: c.session_id,
        message_id: c.message_id,
        name: call.name.clone(),
        status: call.status,
        duration_ms: call.duration_ms,
    }));
    if let Some(usage) = &c.usage {
        for crossing in agent
            .usage
            .crossings(limits, now, usage.input_tokens, usage.output_tokens)
        {
            if crossing.alert {
                events.push(EventKind::BudgetAlert {
                    agent_id: c.agent_id,
                    period: crossing.period,
                    used: crossing.used,
                    budget: crossing.budget,
                    threshold: limits.alert_threshold,
                });
            }
            if crossing.exhausted {
                events.push(EventKind::BudgetExhausted {
                    agent_id: c.agent_id,
                    period: crossing.period,
                    used: crossing.used,
                    budget: crossing.budget,
                });
            }
        }
    }
    events.extend(completion);
    Ok(events)
}

pub(crate) fn archived(session: &SessionSnapshot, now: chrono::DateTime<chrono::Utc>) -> EventKind {
    let mut session = session.clone();
    session.status = SessionStatus::Archived;
    session.archived_at = Some(now);
    EventKind::SessionArchived { session }
}

fn existing_session(
    state: &DecisionState,
    id: schema::SessionId,
) -> Result<&SessionSnapshot, Rejection> {
    state
        .session
        .as_ref()
        .filter(|session| session.id == id)
        .ok_or_else(|| {
            Rejection::new(
                ErrorCode::SessionNotFound,
                format!("No session found with id {id}"),
            )
        })
}

pub(crate) fn existing_agent(
    state: &DecisionState,
    id: schema::AgentId,
) -> Result<&AgentState, Rejection> {
    state
        .agent
        .as_ref()
        .filter(|agent| agent.id == id)
        .ok_or_else(|| {
            Rejection::new(
                ErrorCode::AgentNotFound,
                format!("No agent found with id {id}"),
            )
        })
}

fn name_taken(name: &str) -> Rejection {
    Rejection::new(
        ErrorCode::Conflict,
        format!("An agent named '{name}' already exists in this tenant"),
    )
}

#[cfg(test)]
mod tests;
