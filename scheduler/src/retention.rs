//! Retention: at each interval, deletes what is kept only for a while — finished deliveries
//! with their attempts, command outcomes, cron fire claims — oldest first, in batches of
//! [`BATCH`] rows, each its own short transaction, then pauses as long as the batch took (at
//! least [`MIN_PAUSE`]): retention takes at most half of one connection's time and of the
//! disk's flushes, so the API's writes never queue behind it. Several schedulers may run it at once (a batch skips the rows
//! another one holds). The activity log and the event log are history: never pruned.

use std::time::Duration;

use chrono::Utc;
use read_store::{retention, Store, StoreError};
use tokio_util::sync::CancellationToken;

/// Rows deleted per transaction.
pub const BATCH: i64 = 1_000;
/// The shortest pause after a full batch.
const MIN_PAUSE: Duration = Duration::from_millis(20);
/// The shortest outcome retention accepted: longer than an idempotency key is kept (24 h).
pub const MIN_OUTCOME_RETENTION: Duration = Duration::from_secs(48 * 3600);
/// How long a fire claim is kept (it matters until its fire is applied, seconds later).
const FIRE_CLAIM_RETENTION: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    /// How long a delivery is kept after it ended (succeeded or failed for good).
    pub deliveries: Duration,
    /// How long a command's outcome is kept after it was decided.
    pub outcomes: Duration,
    /// How often retention runs.
    pub every: Duration,
}

impl RetentionSettings {
    /// Refuses an outcome retention shorter than [`MIN_OUTCOME_RETENTION`].
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.outcomes >= MIN_OUTCOME_RETENTION,
            "AGENFLEET_RETENTION_OUTCOMES must be at least 48h (an idempotency key is kept 24 h \
             and its retry must find the outcome), not {}",
            humantime::format_duration(self.outcomes)
        );
        Ok(())
    }
}

/// The tables retention prunes, for logs and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Deliveries,
    Outcomes,
    FireClaims,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Deliveries, Table::Outcomes, Table::FireClaims];

    pub fn name(self) -> &'static str {
        match self {
            Table::Deliveries => "dispatch.deliveries",
            Table::Outcomes => "command_outcomes",
            Table::FireClaims => "scheduling.fire_claims",
        }
    }
}

pub struct Retention {
    store: Store,
    settings: RetentionSettings,
    deleted: Vec<(Table, ops::metrics::Counter)>,
}

impl Retention {
    pub fn new(store: Store, settings: RetentionSettings, metrics: &ops::Metrics) -> Self {
        let deleted = Table::ALL
            .into_iter()
            .map(|table| {
                let counter = metrics.counter_with(
                    "agenfleet_retention_deleted_rows_total",
                    "Rows deleted by retention, by table (a delivery's attempts go with it)",
                    &[("table", table.name())],
                );
                (table, counter)
            })
            .collect();
        Self {
            store,
            settings,
            deleted,
        }
    }

    /// Deletes everything past its retention now; returns the rows deleted per table.
    pub async fn run_once(
        &self,
        shutdown: &CancellationToken,
    ) -> Result<Vec<(Table, u64)>, StoreError> {
        let mut done = Vec::new();
        for (table, counter) in &self.deleted {
            let mut total = 0;
            loop {
                let started = std::time::Instant::now();
                let deleted = self.prune(*table).await?;
                counter.inc_by(deleted);
                total += deleted;
                if deleted < BATCH as u64 || shutdown.is_cancelled() {
                    break;
                }
                tokio::time::sleep(started.elapsed().max(MIN_PAUSE)).await;
            }
            done.push((*table, total));
        }
        Ok(done)
    }

    async fn prune(&self, table: Table) -> Result<u64, StoreError> {
        let now = Utc::now();
        let before = |keep: Duration| now - chrono::Duration::from_std(keep).unwrap_or_default();
        let client = self.store.client().await?;
        match table {
            Table::Deliveries => {
                retention::prune_deliveries(&client, before(self.settings.deliveries), BATCH).await
            }
            Table::Outcomes => {
                retention::prune_outcomes(&client, before(self.settings.outcomes), BATCH).await
            }
            Table::FireClaims => {
                retention::prune_fire_claims(&client, before(FIRE_CLAIM_RETENTION), BATCH).await
            }
        }
    }

    /// Runs at start and then every `settings.every` until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.run_once(&shutdown).await {
                Ok(done) => {
                    for (table, rows) in done.into_iter().filter(|(_, rows)| *rows > 0) {
                        tracing::info!(table = table.name(), rows, "retention deleted rows");
                    }
                }
                Err(error) => tracing::warn!(
                    sqlstate = error.sqlstate().unwrap_or(""),
                    error = %error.detail(),
                    "retention failed; retrying at the next interval"
                ),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.settings.every) => {}
            }
        }
    }
}
