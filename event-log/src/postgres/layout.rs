//! The log's tables: created by `migrate`, checked at connect.
//!
//! The partition count is stored as the number of rows of `eventlog.partitions`. It can never
//! change, since it decides where each tenant's history lives, so a URL with another count is
//! refused rather than silently writing to other partitions.

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

use super::{db_error, pool_error};
use crate::LogError;

const DDL: &str = include_str!("../../../migrations/event-log/0001_command_log.sql");

use crate::membership::MIGRATION_LOCK;

pub(super) async fn migrate(pool: &Pool, partitions: u32) -> Result<(), LogError> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    // Every `IF NOT EXISTS` that finds its object sends a notice the driver logs; on a second
    // run they are expected, so they are turned off for this transaction only.
    tx.batch_execute("SET LOCAL client_min_messages TO warning")
        .await
        .map_err(db_error)?;
    tx.batch_execute(DDL).await.map_err(db_error)?;
    match stored_partitions(&*tx).await? {
        0 => {
            tx.execute(
                "INSERT INTO eventlog.partitions (partition) SELECT generate_series(0, $1 - 1)",
                &[&(partitions as i32)],
            )
            .await
            .map_err(db_error)?;
        }
        stored => check(stored, partitions)?,
    }
    tx.commit().await.map_err(db_error)
}

pub(super) async fn verify(pool: &Pool, partitions: u32) -> Result<(), LogError> {
    let client = pool.get().await.map_err(pool_error)?;
    let stored = stored_partitions(&**client).await?;
    if stored == 0 {
        return Err(missing());
    }
    check(stored, partitions)
}

async fn stored_partitions(client: &impl GenericClient) -> Result<u32, LogError> {
    let row = client
        .query_one("SELECT count(*) FROM eventlog.partitions", &[])
        .await
        .map_err(|e| match e.code() {
            Some(code)
                if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME =>
            {
                missing()
            }
            _ => db_error(e),
        })?;
    Ok(u32::try_from(row.get::<_, i64>(0)).unwrap_or(u32::MAX))
}

fn check(stored: u32, wanted: u32) -> Result<(), LogError> {
    if stored == wanted {
        return Ok(());
    }
    Err(LogError::InvalidUrl(format!(
        "the URL asks for partitions={wanted} but the log in this database has {stored} partitions; \
         the count cannot change (it decides where each tenant's records live): use partitions={stored}"
    )))
}

fn missing() -> LogError {
    LogError::Other("the event log tables are missing: run `agenfleet migrate` first".to_owned())
}
