//! Property tests of the pure core: over random histories of agent commands, decisions are
//! deterministic and names stay unique ignoring case.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use domain::{AgentState, DecisionState};
use proptest::prelude::*;
use schema::agent::{AgentConfig, AgentPatch, HeartbeatState};
use schema::command::*;
use schema::event::EventKind;
use schema::{Actor, AgentId, Command, CommandRecord, TenantId};

/// A tiny in-memory read model, applying events the way the projector does.
#[derive(Default, Clone, PartialEq, Debug)]
struct Model {
    agents: HashMap<AgentId, AgentState>,
}

impl Model {
    fn state(&self, command: &Command) -> DecisionState {
        let needs = domain::needs(command);
        DecisionState {
            tenant_exists: true,
            agent: needs.agent.and_then(|id| self.agents.get(&id).cloned()),
            name_holder: needs.agent_name.and_then(|name| {
                let key = domain::name_key(&name);
                self.agents
                    .values()
                    .find(|a| domain::name_key(&a.name) == key)
                    .map(|a| a.id)
            }),
            ..DecisionState::default()
        }
    }

    fn apply(&mut self, record: &CommandRecord, kind: &EventKind) {
        match kind {
            EventKind::AgentCreated { agent, .. } => {
                self.agents.insert(agent.id, AgentState::created(agent));
            }
            EventKind::AgentUpdated { agent, .. } => {
                let current = self
                    .agents
                    .get_mut(&agent.id)
                    .expect("updated agent exists");
                current.name = agent.name.clone();
                current.updated_at = agent.updated_at;
            }
            EventKind::AgentDeleted { agent_id, .. } => {
                self.agents.remove(agent_id);
            }
            EventKind::AgentStatusChanged { agent_id, to, .. } => {
                self.agents.get_mut(agent_id).expect("agent exists").status = *to;
            }
            EventKind::HeartbeatRecorded { agent_id, .. } => {
                self.agents
                    .get_mut(agent_id)
                    .expect("agent exists")
                    .last_heartbeat_at = Some(record.issued_at);
            }
            _ => {}
        }
    }
}

const NAMES: [&str; 4] = ["nova", "NOVA", "Orion", "orion"];

fn command(ids: &[AgentId], op: u8, agent: usize, name: usize) -> Command {
    let agent_id = ids[agent % ids.len()];
    let name = NAMES[name % NAMES.len()].to_owned();
    match op % 4 {
        0 => Command::CreateAgent(CreateAgent {
            agent_id,
            name,
            role: None,
            description: None,
            soul: None,
            config: AgentConfig::default(),
            gateway_secret: None,
        }),
        1 => Command::UpdateAgent(UpdateAgent {
            agent_id,
            patch: AgentPatch {
                name: Some(name),
                ..AgentPatch::default()
            },
            gateway_secret: None,
        }),
        2 => Command::DeleteAgent(DeleteAgent { agent_id }),
        _ => Command::RecordHeartbeat(RecordHeartbeat {
            agent_id,
            state: HeartbeatState::Ok,
            latency_ms: None,
            detail: None,
        }),
    }
}

fn run(records: &[CommandRecord]) -> (Model, Vec<Result<Vec<schema::Event>, schema::Rejection>>) {
    let mut model = Model::default();
    let mut decisions = Vec::new();
    for record in records {
        let decision = domain::decide(&model.state(&record.command), record);
        if let Ok(events) = &decision {
            for event in events {
                model.apply(record, &event.kind);
            }
        }
        let keys: Vec<String> = model
            .agents
            .values()
            .map(|a| domain::name_key(&a.name))
            .collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            keys.len(),
            "two agents share a name ignoring case: {keys:?}"
        );
        decisions.push(decision);
    }
    (model, decisions)
}

proptest! {
    #[test]
    fn replaying_a_history_twice_gives_the_same_decisions_and_names_stay_unique(
        ops in proptest::collection::vec((any::<u8>(), 0usize..6, 0usize..4), 1..60)
    ) {
        let tenant = TenantId::new();
        let ids: Vec<AgentId> = (0..6).map(|_| AgentId::new()).collect();
        let records: Vec<CommandRecord> = ops
            .iter()
            .enumerate()
            .map(|(i, (op, agent, name))| {
                let mut record = CommandRecord::new(tenant, Actor::system("prop"), command(&ids, *op, *agent, *name));
                record.issued_at = Utc.timestamp_opt(1_767_225_600 + i as i64, 0).unwrap();
                record
            })
            .collect();
        let first = run(&records);
        let second = run(&records);
        prop_assert_eq!(first, second);
    }
}
