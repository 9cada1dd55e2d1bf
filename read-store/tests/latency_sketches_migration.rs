//! Migration 0011 turns every stored latency sketch from pairs (`[[bucket, count], …]`) into
//! counts by bucket (`{"<bucket>": count}`), the form the rollups' merges and the metrics'
//! reads now expect, and leaves every other column as it was.

use read_store::migrate::{apply, READ_MODEL};
use testkit::postgres::TestDatabase;

/// The migration under test.
const MIGRATION: &str = "0011_latency_sketches_by_bucket";

#[tokio::test]
async fn stored_pairs_become_counts_by_bucket() {
    let db = TestDatabase::create().await;
    let (mut client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let until = READ_MODEL
        .iter()
        .position(|(version, _)| *version == MIGRATION)
        .expect("the migration is listed");
    apply(&mut client, "readmodel", &READ_MODEL[..until])
        .await
        .unwrap();
    client
        .batch_execute(
            r#"SET search_path TO readmodel;
               INSERT INTO metrics_agent_hourly VALUES
                   ('ten_a', 'agent_a', '2026-12-01 10:00+00', 1, 2, 3, 4, 5, 6, 7, 8,
                    '[[3, 2], [160, 18446744073709551615]]'),
                   ('ten_a', 'agent_b', '2026-12-01 10:00+00', 0, 0, 0, 1, 0, 0, 0, 0, '[]');
               INSERT INTO metrics_tenant_hourly VALUES
                   ('ten_a', '2026-12-01 10:00+00', 'gpt-4o', 'openai', 1, 2, 3, 4, 5, 6, 7, 8,
                    '[[7, 1], [7, 2]]');
               INSERT INTO metrics_tenant_daily VALUES ('ten_a', '2026-12-01', '[[0, 5]]');"#,
        )
        .await
        .unwrap();

    let applied = apply(&mut client, "readmodel", READ_MODEL).await.unwrap();
    assert_eq!(applied.first().map(String::as_str), Some(MIGRATION));

    let sketches = |sql: &str| {
        let sql = sql.to_owned();
        let client = &client;
        async move {
            client
                .query(&sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|row| row.get::<_, serde_json::Value>(0))
                .collect::<Vec<_>>()
        }
    };
    let agent_sketches =
        sketches("SELECT latency FROM metrics_agent_hourly ORDER BY agent_id").await;
    assert_eq!(
        agent_sketches,
        [
            serde_json::json!({"3": 2, "160": 18446744073709551615u64}),
            serde_json::json!({}),
        ]
    );
    assert_eq!(
        sketches("SELECT latency FROM metrics_tenant_hourly").await,
        [serde_json::json!({"7": 3})]
    );
    assert_eq!(
        sketches("SELECT latency FROM metrics_tenant_daily").await,
        [serde_json::json!({"0": 5})]
    );
    let counters = client
        .query_one(
            "SELECT input_tokens, tool_failures FROM metrics_agent_hourly WHERE agent_id = 'agent_a'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (counters.get::<_, i64>(0), counters.get::<_, i64>(1)),
        (1, 8)
    );
    // What the metrics read back: the same sketch as the pairs held.
    let sketch: domain::latency::LatencySketch =
        serde_json::from_value(agent_sketches[0].clone()).unwrap();
    assert_eq!(
        sketch,
        domain::latency::LatencySketch::from(vec![(3, 2), (160, u64::MAX)])
    );
}
