//! Retention deletes what is past its time, in batches, and never a pending delivery or an
//! outcome a live idempotency key may still need.

use std::time::Duration;

use scheduler::retention::{Table, BATCH};
use scheduler::{Retention, RetentionSettings};
use testkit::TestApp;
use tokio_util::sync::CancellationToken;

fn settings() -> RetentionSettings {
    RetentionSettings {
        deliveries: Duration::from_secs(30 * 24 * 3600),
        outcomes: Duration::from_secs(7 * 24 * 3600),
        every: Duration::from_secs(3600),
    }
}

fn retention(app: &TestApp) -> Retention {
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 2).unwrap();
    Retention::new(store, settings(), &ops::Metrics::new())
}

async fn deleted(retention: &Retention, table: Table) -> u64 {
    let done = retention.run_once(&CancellationToken::new()).await.unwrap();
    done.into_iter()
        .find(|(t, _)| *t == table)
        .map(|(_, rows)| rows)
        .unwrap()
}

async fn outcome_ids(sql: &tokio_postgres::Client) -> Vec<String> {
    sql.query(
        "SELECT command_id FROM command_outcomes WHERE tenant_id = 'ten_x'",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
}

async fn count(sql: &tokio_postgres::Client, query: &str) -> i64 {
    sql.query_one(query, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn finished_deliveries_past_retention_go_with_their_attempts_and_pending_ones_stay() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    // More than two batches of old finished deliveries, each with an attempt; an old pending
    // one (a receiver down for 40 days, still retrying); a recent finished one.
    let old = 2 * BATCH + 500;
    sql.batch_execute(&format!(
        "INSERT INTO dispatch.deliveries (id, tenant_id, webhook_id, event_id, event_type, status,
                                          attempts, next_attempt_at, created_at, updated_at)
         SELECT 'del_old_' || n, 'ten_x', 'wh_x', 'act_' || n, 'agent.created',
                CASE WHEN n % 2 = 0 THEN 'succeeded' ELSE 'failed' END, 1, NULL,
                now() - interval '41 days', now() - interval '40 days'
         FROM generate_series(1, {old}) n;
         INSERT INTO dispatch.delivery_attempts (delivery_id, number, at, status_code, duration_ms)
         SELECT id, 1, updated_at, 200, 5 FROM dispatch.deliveries;
         INSERT INTO dispatch.deliveries (id, tenant_id, webhook_id, event_id, event_type, status,
                                          attempts, next_attempt_at, created_at, updated_at)
         VALUES ('del_pending', 'ten_x', 'wh_x', 'act_p', 'agent.created', 'pending', 7,
                 now() + interval '1 hour', now() - interval '41 days', now() - interval '40 days'),
                ('del_recent', 'ten_x', 'wh_x', 'act_r', 'agent.created', 'succeeded', 1,
                 NULL, now() - interval '2 days', now() - interval '2 days');"
    ))
    .await
    .unwrap();

    let retention = retention(&app);
    assert_eq!(
        deleted(&retention, Table::Deliveries).await,
        old as u64,
        "every old finished delivery, over several batches"
    );
    let left: Vec<String> = sql
        .query("SELECT id FROM dispatch.deliveries ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(left, ["del_pending", "del_recent"]);
    assert_eq!(
        count(&sql, "SELECT count(*) FROM dispatch.delivery_attempts").await,
        0,
        "the attempts went with their deliveries"
    );
    assert_eq!(deleted(&retention, Table::Deliveries).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_past_retention_go_unless_a_live_idempotency_key_may_need_them() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    let outcomes_now = count(&sql, "SELECT count(*) FROM command_outcomes").await;
    // Outcomes decided 10 and 7.5 days ago (both past a 7-day retention), and an idempotency
    // key still kept since 8 days ago: the 7.5-day-old outcome may be the one a retry with
    // that key waits for.
    sql.batch_execute(
        "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind,
                                       accepted, decided_at)
         VALUES ('cmd_ten_days', 'ten_x', 0, 1000, 'agent.create', true, now() - interval '10 days'),
                ('cmd_week_and_half', 'ten_x', 0, 1001, 'agent.create', true,
                 now() - interval '7 days 12 hours');
         INSERT INTO apistate.idempotency_keys (tenant_id, key, fingerprint, created_at)
         VALUES ('ten_x', 'retry-me', 'f', now() - interval '8 days');",
    )
    .await
    .unwrap();
    let retention = retention(&app);
    assert_eq!(deleted(&retention, Table::Outcomes).await, 1);
    assert_eq!(outcome_ids(&sql).await, ["cmd_week_and_half"]);

    // Once the key has expired, the outcome goes too; recent outcomes always stay.
    sql.execute("DELETE FROM apistate.idempotency_keys", &[])
        .await
        .unwrap();
    assert_eq!(deleted(&retention, Table::Outcomes).await, 1);
    assert!(outcome_ids(&sql).await.is_empty());
    assert_eq!(
        count(&sql, "SELECT count(*) FROM command_outcomes").await,
        outcomes_now
    );
}

#[test]
fn an_outcome_retention_shorter_than_the_idempotency_window_is_refused() {
    let mut short = settings();
    short.outcomes = Duration::from_secs(24 * 3600);
    let error = short.validate().unwrap_err().to_string();
    assert!(error.contains("AGENFLEET_RETENTION_OUTCOMES"), "{error}");
    assert!(settings().validate().is_ok());
}
