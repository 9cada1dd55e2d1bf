//! A history of commands appended straight to the log, and a way to check it was applied
//! exactly once.

use std::time::Duration;

use event_log::EventLog;
use schema::agent::AgentConfig;
use schema::command::{CreateAgent, RecordHeartbeat, UpdateAgent};
use schema::{Actor, AgentId, Command, CommandRecord, TenantId};
use testkit::TestApp;

/// What a workload expects once applied.
pub struct Expected {
    pub commands: i64,
    pub agents: i64,
    pub rejections: i64,
}

/// `count` agent creations for `tenant` (every tenth reuses a name, so it is rejected), each
/// followed by a patch and a heartbeat.
pub async fn append_agents(log: &dyn EventLog, tenant: TenantId, count: usize) -> Expected {
    let actor = Actor::system("test");
    let mut expected = Expected {
        commands: 0,
        agents: 0,
        rejections: 0,
    };
    for i in 0..count {
        let agent_id = AgentId::new();
        let duplicate = i % 10 == 9;
        let name = if duplicate {
            format!("agent-{}", i - 1)
        } else {
            format!("agent-{i}")
        };
        let create = Command::CreateAgent(CreateAgent {
            agent_id,
            name,
            role: None,
            description: None,
            soul: None,
            config: AgentConfig::default(),
            gateway_secret: None,
        });
        log.append(&CommandRecord::new(tenant, actor.clone(), create))
            .await
            .expect("append");
        let patch =
            serde_json::from_value(serde_json::json!({"description": format!("n{i}")})).unwrap();
        log.append(&CommandRecord::new(
            tenant,
            actor.clone(),
            Command::UpdateAgent(UpdateAgent {
                agent_id,
                patch,
                gateway_secret: None,
            }),
        ))
        .await
        .expect("append");
        let beat = Command::RecordHeartbeat(RecordHeartbeat {
            agent_id,
            state: Default::default(),
            latency_ms: None,
            detail: None,
        });
        log.append(&CommandRecord::new(tenant, actor.clone(), beat))
            .await
            .expect("append");
        expected.commands += 3;
        if duplicate {
            expected.rejections += 3;
        } else {
            expected.agents += 1;
        }
    }
    expected
}

/// Number of decided commands of the tenant.
pub async fn decided(app: &TestApp, tenant: TenantId) -> i64 {
    let sql = app.sql().await;
    sql.query_one(
        "SELECT count(*) FROM command_outcomes WHERE tenant_id = $1 AND kind LIKE 'agent.%'",
        &[&tenant.to_string()],
    )
    .await
    .unwrap()
    .get(0)
}

pub async fn wait_until_decided(app: &TestApp, tenant: TenantId, commands: i64, timeout: Duration) {
    testkit::eventually(timeout, "every command to be decided", || async {
        (decided(app, tenant).await >= commands).then_some(())
    })
    .await;
}

/// Checks the read models hold exactly what `expected` says: nothing lost, nothing doubled.
pub async fn assert_applied_exactly_once(app: &TestApp, tenant: TenantId, expected: &Expected) {
    let sql = app.sql().await;
    let tenant = tenant.to_string();
    let count = |query: &'static str| {
        let sql = &sql;
        let tenant = tenant.clone();
        async move {
            sql.query_one(query, &[&tenant])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM command_outcomes WHERE tenant_id = $1 AND kind LIKE 'agent.%'")
            .await,
        expected.commands
    );
    assert_eq!(
        count("SELECT count(*) FROM command_outcomes WHERE tenant_id = $1 AND kind LIKE 'agent.%' AND NOT accepted").await,
        expected.rejections
    );
    assert_eq!(
        count("SELECT count(*) FROM agents WHERE tenant_id = $1").await,
        expected.agents
    );
    assert_eq!(
        count("SELECT count(*) FROM agents WHERE tenant_id = $1 AND status = 'online' AND description IS NOT NULL").await,
        expected.agents
    );
    // Per agent: one created, one updated, one status change; the sequence has no gap.
    assert_eq!(
        count("SELECT count(*) FROM activity WHERE tenant_id = $1 AND type LIKE 'agent.%'").await,
        expected.agents * 3
    );
    let (entries, max): (i64, i64) = {
        let row = sql
            .query_one(
                "SELECT count(*), coalesce(max(sequence), 0) FROM activity WHERE tenant_id = $1",
                &[&tenant],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(entries, max, "the activity sequence has gaps or doubles");
}
