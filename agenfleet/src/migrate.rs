//! `agenfleet migrate`.

use read_store::READ_MODEL_SCHEMA;

/// Applies the read-model migrations (and those of the schemas beside them) and, when the log
/// is in Postgres, the log's own. Returns what was applied as `schema/version`; prints nothing.
pub async fn apply(database_url: &str, event_log_url: &str) -> anyhow::Result<Vec<String>> {
    let applied = read_store::migrate::read_model(database_url, READ_MODEL_SCHEMA).await?;
    if event_log_url.starts_with("postgres://") || event_log_url.starts_with("postgresql://") {
        event_log::migrate_postgres_log(event_log_url).await?;
    }
    Ok(applied)
}

/// [`apply`], saying on stderr what it applied.
pub async fn run(database_url: &str, event_log_url: &str) -> anyhow::Result<()> {
    for label in apply(database_url, event_log_url).await? {
        eprintln!("applied migration {label}");
    }
    eprintln!("migrations are up to date");
    Ok(())
}
