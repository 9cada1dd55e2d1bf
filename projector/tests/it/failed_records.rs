//! Records that can never apply — the data fails in Postgres, or the bytes do not decode — are
//! stored as failed and passed over: the commands after them in their partition, and every
//! other partition, go on; a rebuild reaches the same tables. A transient failure is retried
//! and rejects nothing.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use schema::{CommandId, TenantId};
use serde_json::{json, Value};
use testkit::{LogKind, TestApp};

use crate::replay::snapshot;

/// An `agent.create` record of `tenant` as the API would write it, with `name` as given.
fn create_agent_record(tenant: TenantId, name: &str, config: &Value) -> (CommandId, Vec<u8>) {
    let command = CommandId::new();
    let record = json!({
        "commandId": command, "tenantId": tenant, "actor": {"type": "system", "id": "test"},
        "issuedAt": "2026-12-03T10:00:00.000Z", "schemaVersion": schema::record::SCHEMA_VERSION,
        "kind": "agent.create",
        "payload": {"agentId": schema::AgentId::new(), "name": name, "role": null,
                    "description": null, "soul": null, "config": config},
    });
    (command, serde_json::to_vec(&record).unwrap())
}

/// A name whose lowercase form is too large for a btree index entry (SQLSTATE 54000), however
/// Postgres compresses it: the insert of the agent fails every time.
fn name_too_large_to_index() -> String {
    let alphabet: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..12_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize]
        })
        .collect()
}

async fn outcome(app: &TestApp, command: CommandId) -> Option<(bool, Option<String>, String)> {
    app.sql()
        .await
        .query_opt(
            "SELECT accepted, error_code, kind FROM command_outcomes WHERE command_id = $1",
            &[&command.to_string()],
        )
        .await
        .unwrap()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
}

async fn create_agent_as(app: &TestApp, key: &str, name: &str) -> StatusCode {
    let (status, body) = app
        .call_to(
            &app.base,
            key,
            Method::POST,
            "/v1/agents",
            Some(json!({"name": name})),
        )
        .await;
    assert!(status == StatusCode::CREATED, "{status}: {body}");
    status
}

async fn failed_records_are_passed_over(kind: LogKind, kafka: bool) {
    let app = TestApp::spawn_on(kind).await;
    let partition = app.log.partition_for(app.tenant);
    let (_, neighbour_key) = app.create_tenant_placed(partition, true).await;
    let (_, other_key) = app.create_tenant_placed(partition, false).await;
    let model = app.create_agent(json!({"name": "Model"})).await;
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{model}"), None)
        .await;
    let config = &agent["config"];

    // Poisoned records, then a valid one among them, all in the tenant's partition.
    let mut poisoned = Vec::new();
    let (too_large, bytes) = create_agent_record(app.tenant, &name_too_large_to_index(), config);
    app.log.append_encoded(app.tenant, &bytes).await.unwrap();
    poisoned.push((too_large, "agent.create"));
    let (fine, bytes) = create_agent_record(app.tenant, "Fine between the failures", config);
    app.log.append_encoded(app.tenant, &bytes).await.unwrap();
    let unknown = CommandId::new();
    let undecodable = json!({
        "commandId": unknown, "tenantId": app.tenant, "actor": {"type": "system", "id": "test"},
        "issuedAt": "2026-12-03T10:00:00.000Z", "schemaVersion": schema::record::SCHEMA_VERSION,
        "kind": "no.such_command", "payload": {},
    });
    app.log
        .append_encoded(app.tenant, &serde_json::to_vec(&undecodable).unwrap())
        .await
        .unwrap();
    poisoned.push((unknown, "unreadable"));
    if kafka {
        // What the Postgres log cannot even store: U+0000 in text, and bytes that are not JSON.
        let (nul, bytes) = create_agent_record(app.tenant, "nul\u{0}name", config);
        app.log.append_encoded(app.tenant, &bytes).await.unwrap();
        poisoned.push((nul, "agent.create"));
        app.log
            .append_encoded(app.tenant, b"\xff not a record")
            .await
            .unwrap();
    }

    // The commands behind them, of the tenant, of another tenant of the partition and of a
    // tenant elsewhere, are applied as usual.
    create_agent_as(&app, &app.key, "After the failures").await;
    create_agent_as(&app, &neighbour_key, "Neighbour").await;
    create_agent_as(&app, &other_key, "Elsewhere").await;
    assert_eq!(outcome(&app, fine).await.map(|o| o.0), Some(true));
    for (command, kind) in &poisoned {
        assert_eq!(
            outcome(&app, *command).await,
            Some((false, Some("INTERNAL_ERROR".to_owned()), (*kind).to_owned())),
            "the outcome of {command}"
        );
    }
    let (status, agents) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = agents["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| agent["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in ["Model", "Fine between the failures", "After the failures"] {
        assert!(names.contains(&name), "{names:?}");
    }

    // A rebuild fails the same records the same way and gives the same tables.
    let before = snapshot(&app).await;
    projector::replay::rebuild(&app.db.url, app.log.clone(), |_| {})
        .await
        .expect("replay");
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_records_on_the_postgres_log_are_passed_over_and_rebuilt_the_same() {
    failed_records_are_passed_over(LogKind::Postgres, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_records_on_the_kafka_log_are_passed_over_and_rebuilt_the_same() {
    let broker = testkit::kafka::Broker::start().await;
    failed_records_are_passed_over(broker.log_kind(), true).await;
}

/// Connections cut mid-batch fail batches, which are retried: every command is accepted once,
/// none is stored as failed.
async fn a_connection_lost_mid_batch_is_retried_and_rejects_nothing(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    let model = app.create_agent(json!({"name": "Model"})).await;
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{model}"), None)
        .await;
    let config = agent["config"].clone();
    let stop = tokio_util::sync::CancellationToken::new();
    let cut = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cutter = {
        let db = app.db.name.clone();
        let sql = app.sql().await;
        let (stop, cut) = (stop.clone(), cut.clone());
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                // Busy connections to the test database: the projector's batches among them.
                let rows = sql
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = $1 AND pid <> pg_backend_pid()
                           AND state IN ('active', 'idle in transaction')",
                        &[&db],
                    )
                    .await
                    .unwrap();
                let now = rows.iter().filter(|row| row.get::<_, bool>(0)).count();
                cut.fetch_add(now, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // 60 commands, and more while no connection has been cut yet (the cutter sees only
    // connections busy at the moment it looks: on a loaded machine 60 may all slip between).
    let mut commands = Vec::new();
    for n in 0.. {
        if n >= 60 && (cut.load(std::sync::atomic::Ordering::Relaxed) > 0 || n >= 1_000) {
            break;
        }
        let (command, bytes) = create_agent_record(app.tenant, &format!("Agent {n}"), &config);
        // An append cut off may or may not have landed: append again (the projector decides
        // a command id once).
        while app.log.append_encoded(app.tenant, &bytes).await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        commands.push(command);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    cutter.await.unwrap();
    let cut = cut.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        cut > 0,
        "no connection was cut in {} commands",
        commands.len()
    );
    let sql = app.sql().await;
    let ids: Vec<String> = commands.iter().map(ToString::to_string).collect();
    let accepted: i64 =
        testkit::eventually(Duration::from_secs(60), "every command decided", || {
            let sql = &sql;
            let ids = &ids;
            async move {
                let row = sql
                    .query_one(
                        "SELECT count(*), count(*) FILTER (WHERE accepted)
                     FROM command_outcomes WHERE command_id = ANY($1)",
                        &[ids],
                    )
                    .await
                    .unwrap();
                (row.get::<_, i64>(0) == ids.len() as i64).then(|| row.get::<_, i64>(1))
            }
        })
        .await;
    assert_eq!(
        accepted,
        commands.len() as i64,
        "{cut} connections cut; some commands were not accepted"
    );
    let agents: i64 = sql
        .query_one("SELECT count(*) FROM agents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(agents, commands.len() as i64 + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_lost_mid_batch_on_the_postgres_log_is_retried_and_rejects_nothing() {
    a_connection_lost_mid_batch_is_retried_and_rejects_nothing(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_lost_mid_batch_on_the_kafka_log_is_retried_and_rejects_nothing() {
    let broker = testkit::kafka::Broker::start().await;
    a_connection_lost_mid_batch_is_retried_and_rejects_nothing(broker.log_kind()).await;
}

/// The `projector` process logs a failed record with its SQLSTATE and offset and counts it on
/// `/metrics`.
#[tokio::test(flavor = "multi_thread")]
async fn the_projector_process_logs_and_counts_a_failed_record() {
    let mut app = TestApp::spawn().await;
    let model = app.create_agent(json!({"name": "Model"})).await;
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{model}"), None)
        .await;
    app.stop_projector().await;
    let (failing, bytes) =
        create_agent_record(app.tenant, &name_too_large_to_index(), &agent["config"]);
    let offset = app
        .log
        .append_encoded(app.tenant, &bytes)
        .await
        .unwrap()
        .offset;
    let (fine, bytes) = create_agent_record(app.tenant, "Fine", &agent["config"]);
    app.log.append_encoded(app.tenant, &bytes).await.unwrap();

    let mut projector = crate::process::ProjectorProcess::spawn(&app.db.url, &app.log_url, 10);
    testkit::eventually(Duration::from_secs(30), "the record after it", || async {
        outcome(&app, fine).await.map(drop)
    })
    .await;
    let lines = projector.log_lines();
    let logged = lines
        .iter()
        .find(|line| line.contains("stored as failed"))
        .unwrap_or_else(|| panic!("no line for the failed record: {lines:#?}"));
    for part in [
        &format!("offset={offset}"),
        &failing.to_string(),
        "sqlstate=\"54000\"",
        "index row",
    ] {
        assert!(logged.contains(part), "{part} missing from {logged}");
    }
    let admin = lines
        .iter()
        .find_map(|line| line.split("admin_addr=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the admin address in the log")
        .to_owned();
    let metrics = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("agenfleet_projector_failed_records_total 1"),
        "{metrics}"
    );
    assert!(projector.terminate().await.success());
}
