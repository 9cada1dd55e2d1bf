//! A partition whose batch is stuck (here: waiting on a row lock held by someone else) holds
//! back no other partition owned by the same projector.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use testkit::{LogKind, TestApp};

/// A transaction holding `tenant`'s activity head: every accepted command of the tenant moves
/// it, so the tenant's partition waits until the transaction ends.
async fn lock_activity_head<'a>(
    locker: &'a mut tokio_postgres::Client,
    tenant: &str,
) -> tokio_postgres::Transaction<'a> {
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM activity_heads WHERE tenant_id = $1 FOR UPDATE",
        &[&tenant],
    )
    .await
    .unwrap();
    lock
}

async fn a_stuck_partition_holds_back_no_other(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    let partition = app.log.partition_for(app.tenant);
    let (_, other_key) = app.create_tenant_placed(partition, false).await;
    app.create_agent(json!({"name": "First"})).await;

    // Every accepted command of the tenant moves its activity head: lock it.
    let mut locker = app.sql().await;
    let lock = lock_activity_head(&mut locker, &app.tenant.to_string()).await;
    let stuck = {
        let request = app
            .request(Method::POST, "/v1/agents")
            .json(&json!({"name": "Stuck"}));
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    for n in 0..3 {
        let (status, body) = app
            .call_to(
                &app.base,
                &other_key,
                Method::POST,
                "/v1/agents",
                Some(json!({"name": format!("Elsewhere {n}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert!(
        !stuck.is_finished(),
        "the locked partition should still wait"
    );
    lock.rollback().await.unwrap();
    assert_eq!(stuck.await.unwrap(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_postgres_log_partition_holds_back_no_other() {
    a_stuck_partition_holds_back_no_other(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_kafka_log_partition_holds_back_no_other() {
    let broker = testkit::kafka::Broker::start().await;
    a_stuck_partition_holds_back_no_other(broker.log_kind()).await;
}

/// Records of two partitions that wait together go in one batch (one transaction); when a write
/// of one of them waits on a lock held elsewhere, that batch gives up within its lock timeout
/// and each partition is applied on its own: the other one's command is applied while the lock
/// is still held.
async fn a_batch_of_several_partitions_lets_a_stuck_one_go(kind: LogKind) {
    let mut app = TestApp::spawn_on(kind).await;
    let partition = app.log.partition_for(app.tenant);
    let (_, other_key) = app.create_tenant_placed(partition, false).await;
    app.create_agent(json!({"name": "First"})).await;
    let (status, body) = app
        .call_to(
            &app.base,
            &other_key,
            Method::POST,
            "/v1/agents",
            Some(json!({"name": "Other first"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // One command of each tenant waits in the log while the projector is stopped.
    let impatient = app.start_api_with_timeout(Duration::from_millis(200)).await;
    app.stop_projector().await;
    for (key, name) in [(&app.key, "Stuck"), (&other_key, "Free")] {
        let (status, body) = app
            .call_to(
                &impatient,
                key,
                Method::POST,
                "/v1/agents",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    }
    let mut locker = app.sql().await;
    let lock = lock_activity_head(&mut locker, &app.tenant.to_string()).await;

    app.start_projector();
    let names = |key: String| {
        let app = &app;
        async move {
            let (_, list) = app
                .call_to(&app.base, &key, Method::GET, "/v1/agents", None)
                .await;
            list["data"]
                .as_array()
                .map(|agents| {
                    agents
                        .iter()
                        .filter_map(|agent| agent["name"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    testkit::eventually(
        Duration::from_secs(10),
        "the free partition's command to be applied",
        || async {
            names(other_key.clone())
                .await
                .contains(&"Free".to_owned())
                .then_some(())
        },
    )
    .await;
    assert!(
        !names(app.key.clone()).await.contains(&"Stuck".to_owned()),
        "the locked partition should still wait"
    );
    lock.rollback().await.unwrap();
    testkit::eventually(
        Duration::from_secs(10),
        "the stuck partition's command to be applied once the lock is gone",
        || async {
            names(app.key.clone())
                .await
                .contains(&"Stuck".to_owned())
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_several_postgres_log_partitions_lets_a_stuck_one_go() {
    a_batch_of_several_partitions_lets_a_stuck_one_go(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_several_kafka_log_partitions_lets_a_stuck_one_go() {
    let broker = testkit::kafka::Broker::start().await;
    a_batch_of_several_partitions_lets_a_stuck_one_go(broker.log_kind()).await;
}
