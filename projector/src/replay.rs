//! Rebuilding every read model from offset 0 of the log into a fresh schema, then swapping it
//! in atomically. The API keeps serving the old models while the rebuild runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};

use event_log::EventLog;
use read_store::{migrate, Store, READ_MODEL_SCHEMA};

use crate::apply::{BatchOutcome, Projection};

/// The schema a rebuild writes into before the swap.
pub const REBUILD_SCHEMA: &str = "readmodel_rebuild";
const RETIRED_SCHEMA: &str = "readmodel_retired";
const PAGE: usize = 2_000;
/// Partitions rebuilt side by side: they share nothing (a tenant's records are all in one), so
/// while one batch waits on Postgres another is decided. On 2 cores two gave +15–26 % over one
/// and four no clear gain over two (docs/BENCHMARKS.md, "Replay").
const PARTITIONS_AT_ONCE: usize = 2;

/// Where a rebuild is, for progress lines.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub records: u64,
    pub elapsed: Duration,
    /// The records the log held when the rebuild started (`None` if it could not say).
    pub total: Option<u64>,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The time left at the rate so far, to reach the records the log held at the start.
    pub fn eta(&self) -> Option<Duration> {
        let left = self.total?.saturating_sub(self.records);
        let rate = self.rate();
        (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate))
    }
}

#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub records: u64,
    pub elapsed: Duration,
}

/// Rebuilds the read models of `database_url` from `log` and swaps them in.
pub async fn rebuild(
    database_url: &str,
    log: Arc<dyn EventLog>,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<ReplayReport> {
    let started = Instant::now();
    let (mut admin, connection) =
        tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {REBUILD_SCHEMA} CASCADE"))
        .await?;
    migrate::apply(&mut admin, REBUILD_SCHEMA, migrate::READ_MODEL).await?;
    let deferred = defer_indexes(&admin).await?;
    let skipped = read_store::projection::skipped_records(&admin).await?;
    let projection = Projection::rebuilding(Store::connect(database_url, REBUILD_SCHEMA, 4)?)
        .with_skipped(skipped);

    let total = match log.end_offsets().await {
        Ok(ends) => Some(ends.iter().map(|end| *end as u64).sum()),
        Err(error) => {
            tracing::warn!(%error, "cannot tell the size of the log; no ETA");
            None
        }
    };
    let mut next = vec![0i64; log.partitions() as usize];
    let mut records = 0u64;
    catch_up(
        &projection,
        log.as_ref(),
        &mut next,
        &mut records,
        (started, total),
        &mut progress,
    )
    .await?;
    for definition in &deferred {
        admin.batch_execute(definition).await?;
    }
    // Fresh tables have no statistics yet: without them the first queries after the swap could
    // plan for empty tables.
    admin
        .batch_execute(&format!(
            "DO $$ DECLARE t text; BEGIN
               FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '{REBUILD_SCHEMA}' LOOP
                 EXECUTE format('ANALYZE %I.%I', '{REBUILD_SCHEMA}', t);
               END LOOP;
             END $$"
        ))
        .await?;

    // The swap: lock the live checkpoints so the live projector pauses between batches, apply
    // what arrived meanwhile, then exchange the schemas in one transaction. A live projector
    // whose batch was waiting on the lock writes into the retired schema and, seeing the new
    // checkpoint afterwards, continues from it: nothing is lost or applied twice.
    let tx = admin.transaction().await?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {READ_MODEL_SCHEMA};
         CREATE TABLE IF NOT EXISTS {READ_MODEL_SCHEMA}.checkpoints (partition integer PRIMARY KEY, \"offset\" bigint NOT NULL);
         LOCK TABLE {READ_MODEL_SCHEMA}.checkpoints IN EXCLUSIVE MODE"
    ))
    .await?;
    catch_up(
        &projection,
        log.as_ref(),
        &mut next,
        &mut records,
        (started, total),
        &mut progress,
    )
    .await?;
    tx.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE;
         ALTER SCHEMA {READ_MODEL_SCHEMA} RENAME TO {RETIRED_SCHEMA};
         ALTER SCHEMA {REBUILD_SCHEMA} RENAME TO {READ_MODEL_SCHEMA};"
    ))
    .await?;
    tx.commit().await?;
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE"))
        .await?;
    drop(admin);
    let _ = driver.await;
    Ok(ReplayReport {
        records,
        elapsed: started.elapsed(),
    })
}

/// Drops the indexes a rebuild builds once after its bulk load instead of maintaining them entry
/// by entry, and returns their definitions: the activity log's secondary indexes, which only the
/// API's queries read (the projection never looks entries up).
async fn defer_indexes(admin: &tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let rows = admin
        .query(
            "SELECT indexname, indexdef FROM pg_indexes
             WHERE schemaname = $1 AND tablename = 'activity' AND indexdef NOT LIKE 'CREATE UNIQUE%'",
            &[&REBUILD_SCHEMA],
        )
        .await?;
    let mut definitions = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        admin
            .batch_execute(&format!("DROP INDEX {REBUILD_SCHEMA}.{name}"))
            .await?;
        definitions.push(row.get(1));
    }
    Ok(definitions)
}

/// Applies every partition from `next` to the end of the log, a few side by side; `next` and
/// `records` say where they stopped.
async fn catch_up(
    projection: &Projection,
    log: &dyn EventLog,
    next: &mut [i64],
    records: &mut u64,
    (started, total): (Instant, Option<u64>),
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()> {
    let applied = AtomicU64::new(*records);
    let from = next.to_vec();
    let partitions = futures::stream::iter(0..log.partitions())
        .map(|partition| {
            catch_up_partition(
                projection,
                log,
                partition,
                from[partition as usize],
                &applied,
            )
        })
        .buffer_unordered(PARTITIONS_AT_ONCE)
        .try_collect::<Vec<(u32, i64)>>();
    tokio::pin!(partitions);
    let mut report = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    let reached = loop {
        tokio::select! {
            reached = &mut partitions => break reached?,
            _ = report.tick() => progress(Progress {
                records: applied.load(Ordering::Relaxed),
                elapsed: started.elapsed(),
                total,
            }),
        }
    };
    for (partition, offset) in reached {
        next[partition as usize] = offset;
    }
    *records = applied.load(Ordering::Relaxed);
    Ok(())
}

/// Applies one partition from `from` to the end of the log; returns where it stopped.
async fn catch_up_partition(
    projection: &Projection,
    log: &dyn EventLog,
    partition: u32,
    from: i64,
    applied: &AtomicU64,
) -> anyhow::Result<(u32, i64)> {
    let mut next = from;
    let mut page = log.read(partition, next, PAGE).await?;
    while let Some(last) = page.last() {
        let after = last.position.offset + 1;
        // The next page is read from the log while this one is applied.
        let (outcome, following) = tokio::join!(
            projection.apply_batch(partition, &page),
            log.read(partition, after, PAGE)
        );
        next = match outcome? {
            BatchOutcome::Committed { last_offset, .. } => last_offset + 1,
            BatchOutcome::AlreadyApplied => after,
            BatchOutcome::Gap { next_offset } => {
                anyhow::bail!(
                    "partition {partition} of the log has a gap before offset {next_offset}"
                )
            }
        };
        applied.fetch_add(page.len() as u64, Ordering::Relaxed);
        page = if next == after {
            following?
        } else {
            log.read(partition, next, PAGE).await?
        };
    }
    Ok((partition, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eta_is_what_is_left_at_the_rate_so_far() {
        let progress = Progress {
            records: 500,
            elapsed: Duration::from_secs(1),
            total: Some(1_500),
        };
        assert_eq!(progress.eta(), Some(Duration::from_secs(2)));
        let unknown = Progress {
            total: None,
            ..progress
        };
        assert_eq!(unknown.eta(), None);
    }
}
