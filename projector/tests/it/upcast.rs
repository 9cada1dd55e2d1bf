//! A record written in an older layout is upcast when read, through the real log and projector.

use std::time::Duration;

use schema::{CommandId, TenantId};
use testkit::{LogKind, TestApp};

async fn a_version_1_record_is_applied_as_the_current_layout(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    let (tenant, command) = (TenantId::new(), CommandId::new());
    // `tenant.create` as schema version 1 wrote it: the limits beside the plan.
    let v1 = serde_json::json!({
        "commandId": command, "tenantId": tenant, "actor": {"type": "system", "id": "admin"},
        "issuedAt": "2026-01-15T09:00:00.000Z", "schemaVersion": 1, "kind": "tenant.create",
        "payload": {"name": "Legacy", "plan": "operational", "perMinute": 7, "perHour": 900},
    });
    app.log
        .append_encoded(tenant, &serde_json::to_vec(&v1).unwrap())
        .await
        .unwrap();
    let sql = app.sql().await;
    let row = testkit::eventually(Duration::from_secs(20), "the v1 record applied", || async {
        sql.query_opt(
            "SELECT t.per_minute, t.per_hour, a.data FROM tenants t
             JOIN activity a ON a.tenant_id = t.id AND a.type = 'tenant.created' WHERE t.id = $1",
            &[&tenant.to_string()],
        )
        .await
        .unwrap()
    })
    .await;
    assert_eq!(row.get::<_, Option<i32>>(0), Some(7));
    assert_eq!(row.get::<_, Option<i32>>(1), Some(900));
    let data: serde_json::Value = row.get(2);
    assert_eq!(data["perMinute"], 7);
    let accepted: bool = sql
        .query_one(
            "SELECT accepted FROM command_outcomes WHERE command_id = $1",
            &[&command.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(accepted);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_1_record_on_the_postgres_log_is_upcast() {
    a_version_1_record_is_applied_as_the_current_layout(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_1_record_on_the_kafka_log_is_upcast() {
    let broker = testkit::kafka::Broker::start().await;
    a_version_1_record_is_applied_as_the_current_layout(broker.log_kind()).await;
}
