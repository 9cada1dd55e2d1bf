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
        })),
    )
    .unwrap();
    assert!(matches!(&events[0].kind, EventKind::AgentUpdated { agent } if agent.name == "NOVA"));
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
