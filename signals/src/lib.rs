//! Gauges read when `/metrics` is scraped that more than one process exports: the state of a
//! Postgres pool, and how far the projector is behind the log (reported by the projector and by
//! the API, so it stays visible when no projector runs).

use std::sync::Arc;

use event_log::EventLog;
use read_store::{projection, Store};

/// `agenfleet_db_pool_connections{pool, state}` and `agenfleet_db_pool_waiting{pool}` for
/// the pools of `stores` together, named `pool` (`api`, `workers`, …).
pub fn watch_pool(metrics: &ops::Metrics, pool: &'static str, stores: Vec<Store>) {
    let gauge = |state: &str| {
        metrics.gauge_with(
            "agenfleet_db_pool_connections",
            "Connections of the process's Postgres pool, by state (in_use, idle)",
            &[("pool", pool), ("state", state)],
        )
    };
    let (in_use, idle) = (gauge("in_use"), gauge("idle"));
    let waiting = metrics.gauge_with(
        "agenfleet_db_pool_waiting",
        "Requests waiting for a connection of the process's Postgres pool",
        &[("pool", pool)],
    );
    metrics.add_collector("db pool", move || {
        let (mut size, mut available, mut waiters) = (0, 0, 0);
        for status in stores.iter().map(Store::pool_status) {
            size += status.size;
            available += status.available;
            waiters += status.waiting;
        }
        in_use.set(count(size.saturating_sub(available)));
        idle.set(count(available));
        waiting.set(count(waiters));
        std::future::ready(Ok(()))
    });
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Per partition, `agenfleet_projector_lag_records` (records appended and not yet applied) and
/// `agenfleet_projector_oldest_unapplied_age_seconds` (how long the next record to apply has
/// waited, from its `issued_at`; 0 when caught up).
pub fn watch_projection_progress(metrics: &ops::Metrics, store: Store, log: Arc<dyn EventLog>) {
    let partitions: Vec<u32> = (0..log.partitions()).collect();
    let per_partition = |name: &str, help: &str| -> Vec<ops::metrics::Gauge> {
        partitions
            .iter()
            .map(|p| metrics.gauge_with(name, help, &[("partition", &p.to_string())]))
            .collect()
    };
    let lag = per_partition(
        "agenfleet_projector_lag_records",
        "Records appended to the partition and not yet applied by a projector",
    );
    let age = per_partition(
        "agenfleet_projector_oldest_unapplied_age_seconds",
        "How long the partition's next record to apply has waited (0 when caught up)",
    );
    let progress = Arc::new(Progress {
        store,
        log,
        partitions,
        lag,
        age,
    });
    metrics.add_collector("projection progress", move || {
        let progress = progress.clone();
        async move { progress.read().await.map_err(|e| e.to_string()) }
    });
}

struct Progress {
    store: Store,
    log: Arc<dyn EventLog>,
    partitions: Vec<u32>,
    lag: Vec<ops::metrics::Gauge>,
    age: Vec<ops::metrics::Gauge>,
}

impl Progress {
    async fn read(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let ends = self.log.end_offsets().await?;
        let client = self.store.client().await?;
        let checkpoints = projection::checkpoints(&client, &self.partitions).await?;
        drop(client);
        for (partition, checkpoint) in checkpoints {
            let index = partition as usize;
            let next = checkpoint.map_or(0, |offset| offset + 1);
            let end = ends.get(index).copied().unwrap_or(0);
            self.lag[index].set((end - next).max(0));
            if next >= end {
                self.age[index].set(0);
                continue;
            }
            // An unreadable next record has no time: its age keeps its last value.
            let next_record = self.log.read(partition, next, 1).await?;
            if let Some(issued_at) = next_record
                .first()
                .and_then(|entry| entry.command())
                .map(|record| record.issued_at)
            {
                let waited = chrono::Utc::now().signed_duration_since(issued_at);
                self.age[index].set(waited.num_seconds().max(0));
            }
        }
        Ok(())
    }
}
