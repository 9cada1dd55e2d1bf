//! A partition whose batch is stuck (here: waiting on a row lock held by someone else) holds
//! back no other partition owned by the same projector.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use testkit::{LogKind, TestApp};

async fn a_stuck_partition_holds_back_no_other(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    let partition = app.log.partition_for(app.tenant);
    let (_, other_key) = app.create_tenant_placed(partition, false).await;
    app.create_agent(json!({"name": "First"})).await;

    // Every accepted command of the tenant moves its activity head: lock it.
    let mut locker = app.sql().await;
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM activity_heads WHERE tenant_id = $1 FOR UPDATE",
        &[&app.tenant.to_string()],
    )
    .await
    .unwrap();
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
    a_stuck_partition_holds_back_no_other(LogKind::Kafka {
        bootstrap: broker.bootstrap.clone(),
    })
    .await;
}
