use std::time::Duration;

use schema::agent::{AgentConfig, AgentPatch};
use schema::command::{CreateAgent, DeleteAgent, UpdateAgent};
use schema::{Actor, AgentId, Command, CommandRecord};
use testkit::TestApp;

use crate::workload::wait_until_decided;

pub(crate) fn create(agent_id: AgentId, name: &str) -> Command {
    Command::CreateAgent(CreateAgent {
        agent_id,
        name: name.to_owned(),
        role: None,
        description: None,
        soul: Some(format!("# {name}")),
        config: AgentConfig::default(),
        gateway_secret: None,
    })
}

pub(crate) fn rename(agent_id: AgentId, name: &str) -> Command {
    let patch = AgentPatch {
        name: Some(name.to_owned()),
        ..AgentPatch::default()
    };
    Command::UpdateAgent(UpdateAgent {
        agent_id,
        patch,
        gateway_secret: None,
    })
}

/// Decisions inside one batch see the ones before them: a name freed by a rename or a delete
/// earlier in the batch can be taken later in it, and two agents can swap names.
#[tokio::test(flavor = "multi_thread")]
async fn decisions_in_one_batch_see_each_other_and_names_can_be_swapped() {
    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    let (a, b, c, d) = (
        AgentId::new(),
        AgentId::new(),
        AgentId::new(),
        AgentId::new(),
    );
    let commands = vec![
        create(a, "Alpha"),
        create(b, "Beta"),
        create(c, "ALPHA"), // rejected: taken, ignoring case
        rename(a, "tmp"),
        rename(b, "alpha"),
        rename(a, "Beta"),
        create(d, "Gamma"),
        Command::DeleteAgent(DeleteAgent { agent_id: d }),
        create(c, "gamma"), // accepted: Gamma was deleted earlier in the batch
    ];
    let count = commands.len() as i64;
    for command in commands {
        app.log
            .append(&CommandRecord::new(
                app.tenant,
                Actor::system("test"),
                command,
            ))
            .await
            .unwrap();
    }
    app.start_projector();
    wait_until_decided(&app, app.tenant, count, Duration::from_secs(20)).await;

    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT id, name FROM agents WHERE tenant_id = $1 ORDER BY name",
            &[&app.tenant.to_string()],
        )
        .await
        .unwrap();
    let agents: Vec<(String, String)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(
        agents,
        vec![
            (a.to_string(), "Beta".to_owned()),
            (b.to_string(), "alpha".to_owned()),
            (c.to_string(), "gamma".to_owned())
        ]
    );
    let rejected: i64 = sql
        .query_one(
            "SELECT count(*) FROM command_outcomes WHERE tenant_id = $1 AND NOT accepted",
            &[&app.tenant.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rejected, 1);
    let soul: Option<String> = sql
        .query_one("SELECT soul FROM agents WHERE id = $1", &[&c.to_string()])
        .await
        .unwrap()
        .get(0);
    assert_eq!(soul.as_deref(), Some("# gamma"));
}
