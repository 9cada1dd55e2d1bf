//! A partition stopped by a record the projector cannot get past (here: one written by a newer
//! build) stops alone; `agenfleet partitions status` shows what it fails on, and `partitions
//! skip` passes over it: the records behind it apply, the tenant's activity log says so, and a
//! rebuild passes over the same record.

use std::time::Duration;

use reqwest::Method;
use schema::{CommandId, TenantId};
use serde_json::json;
use testkit::{LogKind, TestApp};

fn agenfleet(app: &TestApp, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agenfleet"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("EVENT_LOG_URL", &app.log_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run agenfleet");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// A record of `tenant` as a newer build would write it.
fn record_from_a_newer_build(tenant: TenantId) -> (CommandId, Vec<u8>) {
    let command = CommandId::new();
    let record = json!({
        "commandId": command, "tenantId": tenant, "actor": {"type": "system", "id": "future"},
        "issuedAt": "2026-12-03T10:00:00.000Z", "schemaVersion": 999,
        "kind": "agent.teleport", "payload": {},
    });
    (command, serde_json::to_vec(&record).unwrap())
}

async fn agent_names(app: &TestApp, key: &str) -> Vec<String> {
    let (_, body) = app
        .call_to(&app.base, key, Method::GET, "/v1/agents", None)
        .await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| agent["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_stopped_partition_is_passed_over_by_the_operator(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    let partition = app.log.partition_for(app.tenant);
    let (other, other_key) = app.create_tenant_placed(partition, false).await;
    let model = app.create_agent(json!({"name": "Model"})).await;
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{model}"), None)
        .await;

    let (future, bytes) = record_from_a_newer_build(app.tenant);
    let stopped_at = app
        .log
        .append_encoded(app.tenant, &bytes)
        .await
        .unwrap()
        .offset;
    // Behind it, a command of the tenant, appended straight to the log.
    let behind = CommandId::new();
    let record = json!({
        "commandId": behind, "tenantId": app.tenant, "actor": {"type": "system", "id": "test"},
        "issuedAt": "2026-12-03T10:00:01.000Z", "schemaVersion": schema::SCHEMA_VERSION,
        "kind": "agent.create",
        "payload": {"agentId": schema::AgentId::new(), "name": "Behind", "role": null,
                    "description": null, "soul": null, "config": agent["config"]},
    });
    app.log
        .append_encoded(app.tenant, &serde_json::to_vec(&record).unwrap())
        .await
        .unwrap();

    // Another partition goes on meanwhile.
    let (status, _) = app
        .call_to(
            &app.base,
            &other_key,
            Method::POST,
            "/v1/agents",
            Some(json!({"name": "Elsewhere"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "tenant {other}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(agent_names(&app, &app.key).await, vec!["Model"]);

    let (ok, status) = agenfleet(&app, &["partitions", "status"]);
    assert!(ok, "{status}");
    let line = format!(
        "partition {partition}: applied through offset {}",
        stopped_at - 1
    );
    assert!(status.contains(&line), "{status}");
    assert!(status.contains("2 behind"), "{status}");
    assert!(
        status.contains(&format!("next record, offset {stopped_at}: unreadable"))
            && status.contains("newer than this build"),
        "{status}"
    );

    // Only the record the partition stops at can be passed over.
    let (ok, refused) = agenfleet(
        &app,
        &[
            "partitions",
            "skip",
            "--partition",
            &partition.to_string(),
            "--offset",
            &(stopped_at + 1).to_string(),
            "--reason",
            "wrong one",
            "--yes",
        ],
    );
    assert!(!ok && refused.contains("not the next record"), "{refused}");
    let (ok, skipped) = agenfleet(
        &app,
        &[
            "partitions",
            "skip",
            "--partition",
            &partition.to_string(),
            "--offset",
            &stopped_at.to_string(),
            "--reason",
            "written by a canary build",
            "--yes",
        ],
    );
    assert!(ok, "{skipped}");
    assert!(skipped.contains("noted in the activity log"), "{skipped}");

    let names = testkit::eventually(Duration::from_secs(20), "the record behind", || async {
        let names = agent_names(&app, &app.key).await;
        (names.len() == 2).then_some(names)
    })
    .await;
    assert!(names.contains(&"Behind".to_owned()), "{names:?}");
    let sql = app.sql().await;
    let row = sql
        .query_one(
            "SELECT accepted, error_code, error_message FROM command_outcomes WHERE command_id = $1",
            &[&future.to_string()],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0));
    assert_eq!(row.get::<_, String>(1), "INTERNAL_ERROR");
    assert!(row
        .get::<_, String>(2)
        .contains("an operator passed over it"));
    let (_, activity) = app
        .call(Method::GET, "/v1/activity?type=log.record_skipped", None)
        .await;
    let entry = &activity["data"][0];
    assert_eq!(entry["data"]["offset"], stopped_at, "{activity}");
    assert_eq!(entry["data"]["commandId"], future.to_string());
    assert_eq!(entry["data"]["reason"], "written by a canary build");
    assert_eq!(entry["actor"]["id"], "operator");

    // A rebuild passes over the same record (it would stop at it otherwise).
    let before: Vec<String> = agent_names(&app, &app.key).await;
    projector::replay::rebuild(&app.db.url, app.log.clone(), |_| {})
        .await
        .expect("the rebuild passes over the skipped record");
    assert_eq!(agent_names(&app, &app.key).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_postgres_log_partition_is_passed_over_by_the_operator() {
    a_stopped_partition_is_passed_over_by_the_operator(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_kafka_log_partition_is_passed_over_by_the_operator() {
    let broker = testkit::kafka::Broker::start().await;
    a_stopped_partition_is_passed_over_by_the_operator(broker.log_kind()).await;
}
