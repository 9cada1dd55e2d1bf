use chrono::{TimeZone, Utc};
use schema::agent::{AgentConfig, AgentPatch, AgentStatus, HeartbeatState};
use schema::command::*;
use schema::event::EventKind;
use schema::{Actor, AgentId, CommandRecord, ErrorCode, TenantId};

use crate::decide;
use crate::state::{AgentState, DecisionState};

fn record(command: Command) -> CommandRecord {
    let mut record = CommandRecord::new(TenantId::new(), Actor::system("test"), command);
    record.issued_at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    record
}

fn agent(status: AgentStatus) -> AgentState {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap();
    AgentState {
        id: AgentId::new(),
        name: "Nova".into(),
        role: None,
        description: None,
        status,
        config: AgentConfig::default(),
        soul_sha256: None,
        created_at: at,
        updated_at: at,
        last_heartbeat_at: Some(at),
        last_active_at: None,
        usage: Default::default(),
    }
}

fn with_agent(agent: &AgentState) -> DecisionState {
    DecisionState {
        tenant_exists: true,
        agent: Some(agent.clone()),
        ..DecisionState::default()
    }
}

fn create(name: &str) -> Command {
    Command::CreateAgent(CreateAgent {
        agent_id: AgentId::new(),
        name: name.into(),
        role: None,
        description: None,
        soul: Some("# Nova".into()),
        config: AgentConfig::default(),
        gateway_secret: None,
    })
}

#[test]
fn creating_an_agent_whose_name_is_taken_is_a_conflict() {
    let state = DecisionState {
        tenant_exists: true,
        name_holder: Some(AgentId::new()),
        ..DecisionState::default()
    };
    let rejection = decide(&state, &record(create("nova"))).unwrap_err();
    assert_eq!(rejection.code, ErrorCode::Conflict);
}

#[test]
fn a_new_agent_is_provisioning_with_its_soul_hash_and_the_record_time() {
    let state = DecisionState {
        tenant_exists: true,
        ..DecisionState::default()
    };
    let record = record(create("Nova"));
    let events = decide(&state, &record).unwrap();
    let [event] = events.as_slice() else {
        panic!("one event expected: {events:?}")
    };
    let EventKind::AgentCreated { agent, .. } = &event.kind else {
        panic!("{event:?}")
    };
    assert_eq!(agent.status, AgentStatus::Provisioning);
    assert_eq!(agent.created_at, record.issued_at);
    assert_eq!(
        agent.soul_sha256.as_deref(),
        Some(crate::sha256_hex("# Nova").as_str())
    );
}

#[test]
fn renaming_an_agent_to_its_own_name_in_another_case_is_allowed() {
    let current = agent(AgentStatus::Online);
    let mut state = with_agent(&current);
    state.name_holder = Some(current.id);
    let patch = AgentPatch {
        name: Some("NOVA".into()),
        ..AgentPatch::default()
    };
    let events = decide(
        &state,
        &record(Command::UpdateAgent(UpdateAgent {
            agent_id: current.id,
            patch,
            gateway_secret: None,
        })),
    )
    .unwrap();
    assert!(
        matches!(&events[0].kind, EventKind::AgentUpdated { agent, .. } if agent.name == "NOVA")
    );
}

#[test]
fn commands_on_a_missing_agent_are_rejected_with_agent_not_found() {
    let state = DecisionState {
        tenant_exists: true,
        ..DecisionState::default()
    };
    let command = Command::DeleteAgent(DeleteAgent {
        agent_id: AgentId::new(),
    });
    assert_eq!(
        decide(&state, &record(command)).unwrap_err().code,
        ErrorCode::AgentNotFound
    );
}

#[test]
fn the_first_heartbeat_brings_an_agent_online_and_degraded_is_reported() {
    let current = agent(AgentStatus::Provisioning);
    let beat = |state| {
        Command::RecordHeartbeat(RecordHeartbeat {
            agent_id: current.id,
            state,
            latency_ms: None,
            detail: None,
        })
    };
    let events = decide(&with_agent(&current), &record(beat(HeartbeatState::Ok))).unwrap();
    assert!(matches!(
        events[1].kind,
        EventKind::AgentStatusChanged {
            from: AgentStatus::Provisioning,
            to: AgentStatus::Online,
            ..
        }
    ));
    let online = AgentState {
        status: AgentStatus::Online,
        ..current.clone()
    };
    assert_eq!(
        decide(&with_agent(&online), &record(beat(HeartbeatState::Ok)))
            .unwrap()
            .len(),
        1
    );
    let events = decide(
        &with_agent(&online),
        &record(beat(HeartbeatState::Degraded)),
    )
    .unwrap();
    assert!(matches!(
        events[1].kind,
        EventKind::AgentStatusChanged {
            to: AgentStatus::Degraded,
            ..
        }
    ));
}

#[test]
fn a_stale_offline_mark_loses_to_a_newer_heartbeat() {
    let current = agent(AgentStatus::Online);
    let stale = Command::MarkAgentOffline(MarkAgentOffline {
        agent_id: current.id,
        last_heartbeat_at: Some(Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()),
    });
    assert_eq!(
        decide(&with_agent(&current), &record(stale)).unwrap(),
        vec![]
    );
    let fresh = Command::MarkAgentOffline(MarkAgentOffline {
        agent_id: current.id,
        last_heartbeat_at: current.last_heartbeat_at,
    });
    let events = decide(&with_agent(&current), &record(fresh)).unwrap();
    assert!(matches!(
        events[1].kind,
        EventKind::AgentStatusChanged {
            to: AgentStatus::Offline,
            ..
        }
    ));
}

#[test]
fn deciding_the_same_record_twice_gives_the_same_events() {
    let state = DecisionState {
        tenant_exists: true,
        ..DecisionState::default()
    };
    let record = record(create("Nova"));
    assert_eq!(
        decide(&state, &record).unwrap(),
        decide(&state, &record).unwrap()
    );
}

mod sessions {
    use schema::session::{
        MessageRole, SessionOrigin, SessionSnapshot, SessionStatus, ToolCall, ToolCallStatus, Usage,
    };
    use schema::{MessageId, SessionId};

    use super::*;

    fn session(agent: &AgentState, status: SessionStatus, messages: i64) -> SessionSnapshot {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 11, 30, 0).unwrap();
        SessionSnapshot {
            id: SessionId::new(),
            agent_id: agent.id,
            name: None,
            status,
            origin: SessionOrigin::Api,
            cron_job_id: None,
            message_count: messages,
            token_count: 0,
            created_at: at,
            last_activity_at: at,
            archived_at: None,
        }
    }

    fn post(session: &SessionSnapshot, role: MessageRole, tokens: Option<u64>) -> Command {
        Command::PostMessage(PostMessage {
            message_id: MessageId::new(),
            session_id: session.id,
            agent_id: session.agent_id,
            role,
            content: "hello".into(),
            usage: tokens.map(|tokens| Usage {
                model: "gpt-4o".into(),
                provider: "openai".into(),
                input_tokens: tokens,
                output_tokens: 0,
                latency_ms: None,
                cost_micro_usd: 1,
            }),
            tool_calls: vec![ToolCall {
                name: "search".into(),
                status: ToolCallStatus::Failure,
                duration_ms: None,
            }],
            cron_session: false,
        })
    }

    fn state(agent: &AgentState, session: &SessionSnapshot) -> DecisionState {
        DecisionState {
            session: Some(session.clone()),
            ..with_agent(agent)
        }
    }

    #[test]
    fn a_message_takes_the_next_sequence_and_reports_each_tool_call() {
        let agent = agent(AgentStatus::Online);
        let open = session(&agent, SessionStatus::Active, 4);
        let events = decide(
            &state(&agent, &open),
            &record(post(&open, MessageRole::Assistant, None)),
        )
        .unwrap();
        let EventKind::MessageCreated { message } = &events[0].kind else {
            panic!("{events:?}");
        };
        assert_eq!(message.sequence, 5);
        assert!(matches!(
            events[1].kind,
            EventKind::ToolCalled {
                status: ToolCallStatus::Failure,
                ..
            }
        ));
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn an_archived_session_takes_no_message_and_archiving_it_again_changes_nothing() {
        let agent = agent(AgentStatus::Online);
        let archived = session(&agent, SessionStatus::Archived, 1);
        let rejection = decide(
            &state(&agent, &archived),
            &record(post(&archived, MessageRole::User, None)),
        )
        .unwrap_err();
        assert_eq!(rejection.code, ErrorCode::SessionArchived);
        let again = Command::ArchiveSession(ArchiveSession {
            session_id: archived.id,
        });
        assert_eq!(
            decide(&state(&agent, &archived), &record(again)).unwrap(),
            vec![]
        );
    }

    #[test]
    fn an_exhausted_budget_refuses_user_messages_until_the_reset_but_takes_replies() {
        let mut agent = agent(AgentStatus::Online);
        agent.config.limits.daily_token_budget = Some(100);
        let open = session(&agent, SessionStatus::Active, 0);
        let events = decide(
            &state(&agent, &open),
            &record(post(&open, MessageRole::Assistant, Some(100))),
        )
        .unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.event_type()).collect();
        assert_eq!(
            kinds,
            [
                "message.created",
                "agent.tool_called",
                "agent.budget_alert",
                "agent.budget_exhausted"
            ]
        );

        let at = record(post(&open, MessageRole::User, None)).issued_at;
        agent.usage.record(at, 100, 0);
        let rejection = decide(
            &state(&agent, &open),
            &record(post(&open, MessageRole::User, None)),
        )
        .unwrap_err();
        assert_eq!(rejection.code, ErrorCode::BudgetExhausted);
        assert_eq!(
            rejection.retry_at,
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap())
        );
        assert!(decide(
            &state(&agent, &open),
            &record(post(&open, MessageRole::Assistant, Some(1)))
        )
        .is_ok());
    }

    #[test]
    fn deleting_an_agent_archives_its_active_sessions_first() {
        let agent = agent(AgentStatus::Online);
        let sessions = vec![
            session(&agent, SessionStatus::Active, 0),
            session(&agent, SessionStatus::Active, 3),
        ];
        let state = DecisionState {
            active_sessions: sessions.clone(),
            ..with_agent(&agent)
        };
        let events = decide(
            &state,
            &record(Command::DeleteAgent(DeleteAgent { agent_id: agent.id })),
        )
        .unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.event_type()).collect();
        assert_eq!(
            kinds,
            ["session.archived", "session.archived", "agent.deleted"]
        );
        let EventKind::SessionArchived { session } = &events[1].kind else {
            panic!()
        };
        assert_eq!(session.status, SessionStatus::Archived);
        assert_eq!(session.message_count, 3);
        assert!(session.archived_at.is_some());
    }
}
