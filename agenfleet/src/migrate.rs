//! `agenfleet migrate`.

use read_store::READ_MODEL_SCHEMA;

/// Applies the read-model migrations and, when the log is in Postgres, the log's own.
pub async fn run(database_url: &str, event_log_url: &str) -> anyhow::Result<()> {
    let applied = read_store::migrate::read_model(database_url, READ_MODEL_SCHEMA).await?;
    for version in &applied {
        eprintln!("applied read-model migration {version}");
    }
    if event_log_url.starts_with("postgres://") || event_log_url.starts_with("postgresql://") {
        event_log::migrate_postgres_log(event_log_url).await?;
    }
    eprintln!("migrations are up to date");
    Ok(())
}
