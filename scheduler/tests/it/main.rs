//! The scheduler against a real Postgres and the Postgres log: heartbeat timeouts here, cron
//! fires in `cron`.

mod cron;
mod retention;

use std::time::Duration;

use read_store::{Store, READ_MODEL_SCHEMA};
use reqwest::Method;
use scheduler::HeartbeatMonitor;
use serde_json::{json, Value};
use testkit::TestApp;

async fn agent_status(app: &TestApp, id: &str) -> String {
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    agent["status"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_agent_goes_offline_once_even_with_two_schedulers() {
    let app = TestApp::spawn().await;
    let create = |name: &str| {
        app.request(Method::POST, "/v1/agents")
            .json(&json!({"name": name}))
            .send()
    };
    let silent: Value = create("Silent").await.unwrap().json().await.unwrap();
    let never: Value = create("Never").await.unwrap().json().await.unwrap();
    let silent_id = silent["id"].as_str().unwrap().to_owned();
    let beat = app
        .request(Method::POST, &format!("/v1/agents/{silent_id}/heartbeat"))
        .send()
        .await
        .unwrap();
    assert_eq!(beat.status(), 204);
    assert_eq!(agent_status(&app, &silent_id).await, "online");

    let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 2).unwrap();
    let offline_after = Duration::from_millis(300);
    let first = HeartbeatMonitor::new(store.clone(), app.log.clone(), offline_after);
    let second = HeartbeatMonitor::new(store, app.log.clone(), offline_after);
    // Not yet silent long enough.
    assert_eq!(first.run_once().await.unwrap(), 0);

    testkit::eventually(
        Duration::from_secs(10),
        "the agent to go offline",
        || async {
            let (a, b) = tokio::join!(first.run_once(), second.run_once());
            a.unwrap();
            b.unwrap();
            (agent_status(&app, &silent_id).await == "offline").then_some(())
        },
    )
    .await;
    // More scans change nothing.
    first.run_once().await.unwrap();
    second.run_once().await.unwrap();

    let sql = app.sql().await;
    let rows = sql
        .query("SELECT type, data FROM activity WHERE agent_id = $1 AND type <> 'agent.created' ORDER BY sequence", &[&silent_id])
        .await
        .unwrap();
    let entries: Vec<(String, Value)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let types: Vec<&str> = entries.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "agent.status_changed",
            "agent.heartbeat_missed",
            "agent.status_changed"
        ]
    );
    assert_eq!(entries[2].1["from"], "online");
    assert_eq!(entries[2].1["to"], "offline");
    // An agent never heard from stays provisioning.
    assert_eq!(
        agent_status(&app, never["id"].as_str().unwrap()).await,
        "provisioning"
    );

    // A heartbeat brings it back.
    app.request(Method::POST, &format!("/v1/agents/{silent_id}/heartbeat"))
        .send()
        .await
        .unwrap();
    assert_eq!(agent_status(&app, &silent_id).await, "online");
}
