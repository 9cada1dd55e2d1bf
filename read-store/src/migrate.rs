//! Applies the SQL files of `migrations/` to their schemas, in order, once each.

use tokio_postgres::Client;

use crate::StoreError;

/// The read-model migrations, in order: (version, SQL).
pub const READ_MODEL: &[(&str, &str)] = &[
    (
        "0001_foundation",
        include_str!("../../migrations/read-model/0001_foundation.sql"),
    ),
    (
        "0002_sessions_messages_metrics",
        include_str!("../../migrations/read-model/0002_sessions_messages_metrics.sql"),
    ),
    (
        "0003_activity_chain",
        include_str!("../../migrations/read-model/0003_activity_chain.sql"),
    ),
    (
        "0004_webhooks",
        include_str!("../../migrations/read-model/0004_webhooks.sql"),
    ),
    (
        "0005_cron",
        include_str!("../../migrations/read-model/0005_cron.sql"),
    ),
    (
        "0006_outcomes_by_age",
        include_str!("../../migrations/read-model/0006_outcomes_by_age.sql"),
    ),
    (
        "0007_sessions_active_without_activity",
        include_str!("../../migrations/read-model/0007_sessions_active_without_activity.sql"),
    ),
    (
        "0008_drop_merge_latency",
        include_str!("../../migrations/read-model/0008_drop_merge_latency.sql"),
    ),
    (
        "0009_advance_checkpoint_from",
        include_str!("../../migrations/read-model/0009_advance_checkpoint_from.sql"),
    ),
    (
        "0010_checkpoint_tokens",
        include_str!("../../migrations/read-model/0010_checkpoint_tokens.sql"),
    ),
    (
        "0011_latency_sketches_by_bucket",
        include_str!("../../migrations/read-model/0011_latency_sketches_by_bucket.sql"),
    ),
];

/// The API's own state (schema [`API_STATE_SCHEMA`]).
pub const API_STATE: &[(&str, &str)] = &[
    (
        "0001_key_usage",
        include_str!("../../migrations/api-state/0001_key_usage.sql"),
    ),
    (
        "0002_rate_limits",
        include_str!("../../migrations/api-state/0002_rate_limits.sql"),
    ),
    (
        "0003_idempotency_keys",
        include_str!("../../migrations/api-state/0003_idempotency_keys.sql"),
    ),
    (
        "0004_idempotency_answers_on_their_page",
        include_str!("../../migrations/api-state/0004_idempotency_answers_on_their_page.sql"),
    ),
    (
        "0005_idempotency_expiry_by_block_range",
        include_str!("../../migrations/api-state/0005_idempotency_expiry_by_block_range.sql"),
    ),
];

/// The dispatcher's delivery queue (schema [`DISPATCH_SCHEMA`]).
pub const DISPATCH: &[(&str, &str)] = &[
    (
        "0001_deliveries",
        include_str!("../../migrations/dispatch/0001_deliveries.sql"),
    ),
    (
        "0002_finished_by_age",
        include_str!("../../migrations/dispatch/0002_finished_by_age.sql"),
    ),
];

/// The schedulers' claims on cron fires (schema [`SCHEDULING_SCHEMA`]).
pub const SCHEDULING: &[(&str, &str)] = &[(
    "0001_fire_claims",
    include_str!("../../migrations/scheduler/0001_fire_claims.sql"),
)];

/// Operators' decisions the projection follows (schema [`OPERATOR_SCHEMA`]).
pub const OPERATOR: &[(&str, &str)] = &[(
    "0001_skipped_records",
    include_str!("../../migrations/operator/0001_skipped_records.sql"),
)];

/// The schema of `OPERATOR`.
pub const OPERATOR_SCHEMA: &str = "operator";

/// The schema of `SCHEDULING`.
pub const SCHEDULING_SCHEMA: &str = "scheduling";

/// The schema of `DISPATCH`.
pub const DISPATCH_SCHEMA: &str = "dispatch";

/// The schema of `API_STATE`.
pub const API_STATE_SCHEMA: &str = "apistate";

/// Creates `schema` if needed and applies the migrations it has not seen, returning their
/// versions. Two processes migrating at once serialize on an advisory lock. Postgres notices
/// (`schema … already exists, skipping` from every `IF NOT EXISTS` on a second run) are turned
/// off for the transaction: they are expected, and the driver logs each one.
pub async fn apply(
    client: &mut Client,
    schema: &str,
    migrations: &[(&str, &str)],
) -> Result<Vec<String>, StoreError> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('agenfleet.migrate'))",
        &[],
    )
    .await?;
    tx.batch_execute(&format!(
        "SET LOCAL client_min_messages TO warning;
         CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
             version text PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );
         SET LOCAL search_path TO {schema};"
    ))
    .await?;
    let mut applied = Vec::new();
    for (version, sql) in migrations {
        let seen = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await?;
        if seen.is_some() {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        applied.push((*version).to_owned());
    }
    tx.commit().await?;
    Ok(applied)
}

/// Connects to `url` and applies the read-model migrations to `schema`, and the migrations of
/// the schemas kept outside the read models (API state, delivery queue, fire claims, operators'
/// skips). Returns what it applied as `schema/version`, e.g. `apistate/0001_key_usage`.
pub async fn read_model(url: &str, schema: &str) -> Result<Vec<String>, StoreError> {
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let result = async {
        let mut applied = Vec::new();
        for (schema, migrations) in [
            (schema, READ_MODEL),
            (API_STATE_SCHEMA, API_STATE),
            (DISPATCH_SCHEMA, DISPATCH),
            (SCHEDULING_SCHEMA, SCHEDULING),
            (OPERATOR_SCHEMA, OPERATOR),
        ] {
            let versions = apply(&mut client, schema, migrations).await?;
            applied.extend(versions.into_iter().map(|v| format!("{schema}/{v}")));
        }
        Ok(applied)
    }
    .await;
    drop(client);
    let _ = driver.await;
    result
}
