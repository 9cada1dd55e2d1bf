//! The consume loop: poll the log, seek to checkpoints on assignment, apply batches.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use event_log::{ConsumerEvent, ConsumerOptions, EventLog, LogConsumer, LogEntry};
use read_store::projection;
use tokio_util::sync::CancellationToken;

use crate::apply::{BatchOutcome, Projection};

/// A projector process (or one of the tasks of `agenfleet dev`).
pub struct Projector {
    projection: Projection,
    log: Arc<dyn EventLog>,
    options: ConsumerOptions,
    metrics: ProjectorMetrics,
}

/// What `/metrics` shows of the projector.
#[derive(Clone)]
struct ProjectorMetrics {
    records: ops::metrics::Counter,
    batch_seconds: ops::metrics::Histogram,
    gaps: ops::metrics::Counter,
}

impl ProjectorMetrics {
    fn new(metrics: &ops::Metrics) -> Self {
        Self {
            records: metrics.counter(
                "agenfleet_projector_records_total",
                "Records decided and applied",
            ),
            batch_seconds: metrics.histogram(
                "agenfleet_projector_batch_seconds",
                "Time to decide, apply and commit one batch",
                ops::metrics::LATENCY_SECONDS_BUCKETS,
            ),
            gaps: metrics.counter(
                "agenfleet_projector_seeks_total",
                "Batches that did not continue the checkpoint",
            ),
        }
    }
}

/// How long to wait before trying again after the database or the log failed.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// How long one poll may wait for records (bounds the reaction time to shutdown).
const POLL_WAIT: Duration = Duration::from_millis(250);

impl Projector {
    pub fn new(projection: Projection, log: Arc<dyn EventLog>, options: ConsumerOptions) -> Self {
        Self::with_metrics(projection, log, options, &ops::Metrics::new())
    }

    /// A projector that counts its work in `metrics`.
    pub fn with_metrics(
        projection: Projection,
        log: Arc<dyn EventLog>,
        options: ConsumerOptions,
        metrics: &ops::Metrics,
    ) -> Self {
        Self {
            projection,
            log,
            options,
            metrics: ProjectorMetrics::new(metrics),
        }
    }

    /// Runs until `shutdown` fires. The batch in hand is always finished (committed or rolled
    /// back) before leaving the group, so a stop never half-applies anything; a crash leaves
    /// the transaction uncommitted, and the records are decided again from the checkpoint.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut consumer = loop {
            match self.log.consumer(self.options.clone()).await {
                Ok(consumer) => break consumer,
                Err(error) => {
                    tracing::warn!(%error, "cannot join the event log; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(RETRY_DELAY) => continue,
                    }
                }
            }
        };
        tracing::info!(group = %self.options.group, "projector joined the event log");
        let mut owned = BTreeSet::new();
        while !shutdown.is_cancelled() {
            // Wakes on: records or an assignment change (handled below), the poll's wait
            // running out (loop again), or shutdown (leave the group below).
            let event = tokio::select! {
                _ = shutdown.cancelled() => break,
                event = consumer.poll(POLL_WAIT) => event,
            };
            let result = match event {
                Ok(ConsumerEvent::Assigned(partitions)) => {
                    tracing::info!(?partitions, "partitions assigned");
                    owned.extend(partitions.iter().copied());
                    self.seek_to_checkpoints(consumer.as_mut(), &partitions)
                        .await
                }
                Ok(ConsumerEvent::Revoked(partitions)) => {
                    tracing::info!(?partitions, "partitions revoked");
                    for partition in partitions {
                        owned.remove(&partition);
                    }
                    Ok(())
                }
                Ok(ConsumerEvent::Records(entries)) => self.apply(consumer.as_mut(), entries).await,
                Ok(ConsumerEvent::Idle) => Ok(()),
                Err(error) => Err(anyhow::anyhow!(error)),
            };
            if let Err(error) = result {
                // The batch was rolled back. Re-read every owned partition from its
                // checkpoint after a pause, so nothing in hand is skipped.
                tracing::warn!(error = %format!("{error:#}"), "projector step failed; retrying from the checkpoints");
                tokio::time::sleep(RETRY_DELAY).await;
                let owned: Vec<u32> = owned.iter().copied().collect();
                if let Err(error) = self.seek_to_checkpoints(consumer.as_mut(), &owned).await {
                    tracing::warn!(error = %format!("{error:#}"), "cannot read checkpoints");
                }
            }
        }
        consumer.close().await;
        tracing::info!("projector stopped");
        Ok(())
    }

    async fn seek_to_checkpoints(
        &self,
        consumer: &mut dyn LogConsumer,
        partitions: &[u32],
    ) -> anyhow::Result<()> {
        let client = self.projection.store().client().await?;
        for (partition, checkpoint) in projection::checkpoints(&client, partitions).await? {
            let next = checkpoint.map_or(0, |offset| offset + 1);
            tracing::info!(partition, next_offset = next, "seeking to checkpoint");
            consumer.seek(partition, next).await?;
        }
        Ok(())
    }

    async fn apply(
        &self,
        consumer: &mut dyn LogConsumer,
        entries: Vec<LogEntry>,
    ) -> anyhow::Result<()> {
        let mut by_partition: BTreeMap<u32, Vec<LogEntry>> = BTreeMap::new();
        for entry in entries {
            by_partition
                .entry(entry.position.partition)
                .or_default()
                .push(entry);
        }
        for (partition, entries) in by_partition {
            let started = std::time::Instant::now();
            match self.projection.apply_batch(partition, &entries).await? {
                BatchOutcome::Committed {
                    last_offset,
                    applied,
                } => {
                    self.metrics.records.inc_by(applied as u64);
                    self.metrics
                        .batch_seconds
                        .observe_duration(started.elapsed());
                    tracing::debug!(partition, last_offset, applied, "batch committed");
                }
                BatchOutcome::AlreadyApplied => {}
                BatchOutcome::Gap { next_offset } => {
                    self.metrics.gaps.inc();
                    tracing::info!(
                        partition,
                        next_offset,
                        "records missing before this batch; seeking back"
                    );
                    consumer.seek(partition, next_offset).await?;
                }
            }
        }
        Ok(())
    }
}
