//! `agenfleet migrate` names the schema of each migration it applies, and a second run says
//! only that all is up to date: no Postgres notices from `IF NOT EXISTS`, even at `info`.

fn migrate(database_url: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agenfleet"))
        .arg("migrate")
        .env("DATABASE_URL", database_url)
        .env_remove("EVENT_LOG_URL")
        .env("RUST_LOG", "info")
        .env_remove("AGENFLEET_LOG_FORMAT")
        .output()
        .expect("run agenfleet migrate");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[tokio::test]
async fn migrate_names_each_schema_and_a_second_run_prints_no_notices() {
    let db = testkit::postgres::TestDatabase::create().await;
    let first = migrate(&db.url);
    for label in [
        "readmodel/0001_foundation",
        "apistate/0001_key_usage",
        "dispatch/0001_deliveries",
        "scheduling/0001_fire_claims",
        "operator/0001_skipped_records",
    ] {
        assert!(
            first.contains(&format!("applied migration {label}\n")),
            "{label} in:\n{first}"
        );
    }
    assert!(!first.contains("read-model migration"), "{first}");
    assert_eq!(migrate(&db.url), "migrations are up to date\n");
}

/// Migration 0008 drops `merge_latency`, which 0002 created and nothing calls any more.
#[tokio::test]
async fn the_unused_latency_merge_function_is_gone_after_migrating() {
    let db = testkit::postgres::TestDatabase::create().await;
    migrate(&db.url);
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_proc WHERE proname = 'merge_latency'",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(row.get::<_, i64>(0), 0);
}
