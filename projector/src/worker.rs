//! The consume loop: poll the log, seek to checkpoints on assignment, apply each partition's
//! batches on their own.

use std::sync::Arc;
use std::time::Duration;

use event_log::{ConsumerEvent, ConsumerOptions, EventLog, LogConsumer, LogEntry};
use read_store::projection;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::apply::{BatchOutcome, Prepared, Projection};
use crate::partitions::{backoff, Partitions, Resume};
use crate::running::{Finished, Ran, Running};

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
    registry: ops::Metrics,
    records: ops::metrics::Counter,
    batches: ops::metrics::Counter,
    commit_seconds: ops::metrics::Histogram,
    partitions_owned: ops::metrics::Gauge,
    failed_records: ops::metrics::Counter,
    batch_seconds: ops::metrics::Histogram,
    batch_failures: ops::metrics::Counter,
    paused_partitions: ops::metrics::Gauge,
    gaps: ops::metrics::Counter,
    carried_batches: ops::metrics::Counter,
    carried_failures: ops::metrics::Counter,
    sent_behind: ops::metrics::Counter,
}

impl ProjectorMetrics {
    fn new(metrics: &ops::Metrics) -> Self {
        metrics.declare_counter(REJECTIONS, REJECTIONS_HELP);
        Self {
            registry: metrics.clone(),
            records: metrics.counter(
                "agenfleet_projector_records_total",
                "Records decided and applied",
            ),
            batches: metrics.counter(
                "agenfleet_projector_batches_total",
                "Batches committed, per partition (one that spans several partitions counts once \
                 for each)",
            ),
            commit_seconds: metrics.histogram(
                "agenfleet_projector_commit_seconds",
                "Time of a batch's COMMIT alone (the disk flush)",
                ops::metrics::LATENCY_SECONDS_BUCKETS,
            ),
            partitions_owned: metrics.gauge(
                "agenfleet_projector_partitions_owned",
                "Partitions of the log this process owns now",
            ),
            failed_records: metrics.counter(
                "agenfleet_projector_failed_records_total",
                "Records that can never apply (the data fails, or they do not decode), stored \
                 as failed and passed over",
            ),
            batch_seconds: metrics.histogram(
                "agenfleet_projector_batch_seconds",
                "Time to decide, apply and commit one batch",
                ops::metrics::LATENCY_SECONDS_BUCKETS,
            ),
            batch_failures: metrics.counter(
                "agenfleet_projector_batch_failures_total",
                "Batches that failed and will be retried (the database or the log failed)",
            ),
            paused_partitions: metrics.gauge(
                "agenfleet_projector_paused_partitions",
                "Owned partitions waiting to retry after a failed batch",
            ),
            gaps: metrics.counter(
                "agenfleet_projector_seeks_total",
                "Batches that did not continue the checkpoint",
            ),
            carried_batches: metrics.counter(
                "agenfleet_projector_carried_batches_total",
                "Batches decided on what their partition's previous batch left in memory and \
                 committed in one round trip",
            ),
            carried_failures: metrics.counter(
                "agenfleet_projector_carried_batch_failures_total",
                "Batches decided on their partition's carried state whose attempt failed (each \
                 then applied again the usual way: a name or a command the state did not know, \
                 a checkpoint moved by another process)",
            ),
            sent_behind: metrics.counter(
                SENT_BEHIND,
                "Batches decided on what a batch of their partition still in flight leaves, and \
                 sent before its COMMIT was answered",
            ),
        }
    }
}

const REJECTIONS: &str = "agenfleet_projector_rejections_total";
const REJECTIONS_HELP: &str = "Commands decided as rejected, by the contract's error code";
/// The counter of batches sent behind another of their partition (tests read it).
pub const SENT_BEHIND: &str = "agenfleet_projector_batches_sent_behind_total";

impl ProjectorMetrics {
    fn rejected(&self, code: &str) -> ops::metrics::Counter {
        self.registry
            .counter_with(REJECTIONS, REJECTIONS_HELP, &[("code", code)])
    }
}

/// How long to wait before joining the log again.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// The pause before reading the log again after a read failed, doubled after each failure in
/// a row up to [`LOG_RETRY_MAX`]: a log that is down (its database refusing connections) is
/// tried about once a second — read again within a second of coming back, and a line a second
/// in the process's log rather than a loop's worth (it once wrote 16 MB/s).
const LOG_RETRY_FIRST: Duration = Duration::from_millis(100);
const LOG_RETRY_MAX: Duration = Duration::from_secs(1);
/// How long one poll may wait for records (bounds the reaction time to shutdown).
const POLL_WAIT: Duration = Duration::from_millis(250);
/// How often the log is read while batches are in flight and none finishes.
const BUSY_READ_INTERVAL: Duration = Duration::from_millis(20);

/// Failed reads of the log in a row, and when the log may be read again.
struct LogRetry {
    failures: u32,
    until: Instant,
}

impl LogRetry {
    fn new() -> Self {
        Self {
            failures: 0,
            until: Instant::now(),
        }
    }

    /// A read failed: the pause before the next one.
    fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let pause = backoff(LOG_RETRY_FIRST, LOG_RETRY_MAX, self.failures);
        self.until = now + pause;
        pause
    }

    fn succeeded(&mut self) {
        self.failures = 0;
    }
}

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

    /// Runs until `shutdown` fires. Each owned partition has one batch in flight (two when the
    /// second is decided on what the first leaves, `Projection::prepare`, and sent right behind
    /// it), and partitions' batches run side by side: a partition that fails pauses (retrying from its
    /// checkpoint, longer after each failure in a row) and one that is slow falls behind,
    /// while the others go on. The batches in hand are always finished (committed or rolled
    /// back) before leaving the group, so a stop never half-applies anything; a crash leaves
    /// the transactions uncommitted, and the records are decided again from the checkpoints.
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
        let mut partitions = Partitions::new(self.options.max_batch);
        let mut running = Running::default();
        // When the log may be read next: at once when no batch is in flight or one has just
        // finished; otherwise every BUSY_READ_INTERVAL, so records of other partitions are
        // taken in while a batch is slow, without a read per record while batches are quick
        // (each read costs the database a query; the records that arrive during a batch are
        // read together after it).
        let mut read_at = Instant::now();
        let mut log_retry = LogRetry::new();
        while !shutdown.is_cancelled() {
            self.resume(consumer.as_mut(), &mut partitions).await;
            // The partitions ready now go in one batch (one transaction) when there are several.
            let ready: Vec<(u32, Vec<LogEntry>)> =
                std::iter::from_fn(|| partitions.next_batch(Instant::now())).collect();
            self.spawn(&mut running, ready);
            // Behind a batch in flight: sent at once if decided on the state it leaves.
            for (partition, batch) in partitions.next_behind(Instant::now()) {
                match self.projection.prepare(partition, &batch) {
                    Some(prepared) => {
                        self.metrics.sent_behind.inc();
                        self.spawn_one(&mut running, partition, batch, Some(prepared), true)
                    }
                    None => partitions.give_back(partition, batch),
                }
            }
            self.metrics
                .paused_partitions
                .set(partitions.paused() as i64);
            self.metrics
                .partitions_owned
                .set(partitions.owned_count() as i64);
            let wake = partitions.next_wake();
            // Back-pressure: with every queue full, wait for a batch to finish instead of
            // reading records only to drop them (unless nothing else would wake the loop).
            let read = partitions.wants_records() || (running.is_empty() && wake.is_none());
            // Read at once when nothing is in flight, or when some partition could send a
            // batch behind the one it has in flight as soon as records arrive for it.
            if running.is_empty() || partitions.wants_behind() {
                read_at = read_at.min(Instant::now());
            }
            // Never before the pause after a failed read, however much there is to read.
            let next_read = read_at.max(log_retry.until);
            let read_now = read && Instant::now() >= next_read;
            // Wakes on: a batch finishing (start the partition's next, read the log), records
            // or an assignment change, the poll's wait running out, the next read while
            // batches are in flight, a pause ending (resume above), or shutdown (finish the
            // batches in hand, leave the group).
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(ran) = running.join_next(), if !running.is_empty() => {
                    match ran {
                        Ran::Batches(finished) => {
                            for finished in finished {
                                self.finished(consumer.as_mut(), &mut partitions, finished).await;
                            }
                            read_at = Instant::now();
                        }
                        Ran::Separately(batches) => {
                            for batch in batches {
                                self.spawn(&mut running, vec![batch]);
                            }
                        }
                    }
                }
                event = consumer.poll(POLL_WAIT), if read_now => {
                    self.handle(consumer.as_mut(), &mut partitions, &mut log_retry, event).await;
                    // Read next when a batch finishes, at once while a partition can send a
                    // batch behind the one it has in flight (above), else after a while.
                    read_at = Instant::now() + BUSY_READ_INTERVAL;
                }
                _ = tokio::time::sleep_until(next_read), if read && !read_now => {}
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
        while let Some(ran) = running.join_next().await {
            match ran {
                Ran::Batches(finished) => {
                    for finished in finished {
                        self.finished(consumer.as_mut(), &mut partitions, finished)
                            .await;
                    }
                }
                // Not started: the partitions read them again from their checkpoints.
                Ran::Separately(batches) => {
                    for (partition, _) in batches {
                        partitions.finished(partition, true, Instant::now());
                    }
                }
            }
        }
        consumer.close().await;
        self.metrics.partitions_owned.set(0);
        tracing::info!("projector stopped");
        Ok(())
    }

    /// Starts a task for `batches` (each of its own partition): one alone as it is; several in
    /// one transaction, or — when they cannot go together — handed back to be started one by
    /// one, so that a partition that fails or is stuck holds back no other.
    fn spawn(&self, running: &mut Running, batches: Vec<(u32, Vec<LogEntry>)>) {
        if batches.len() <= 1 {
            for (partition, batch) in batches {
                let prepared = self.projection.prepare(partition, &batch);
                self.spawn_one(running, partition, batch, prepared, false);
            }
            return;
        }
        let owners: Vec<u32> = batches.iter().map(|(partition, _)| *partition).collect();
        for partition in &owners {
            running.no_turn(*partition);
        }
        let projection = self.projection.clone();
        running.spawn(owners, async move {
            let started = std::time::Instant::now();
            match projection.apply_together(&batches).await {
                Some(outcomes) => {
                    let took = started.elapsed();
                    Ran::Batches(
                        outcomes
                            .into_iter()
                            .map(|(partition, outcome)| (partition, Ok(outcome), took))
                            .collect(),
                    )
                }
                None => Ran::Separately(batches),
            }
        });
    }

    /// Starts a task for one partition's batch: sent as `prepared` (decided on the partition's
    /// carried state, in the loop, so that the batch behind it can be decided on what it
    /// leaves; `behind`: another of the partition's is in flight, and this one is sent right
    /// after it on its connection), or applied the usual way.
    fn spawn_one(
        &self,
        running: &mut Running,
        partition: u32,
        batch: Vec<LogEntry>,
        prepared: Option<Prepared>,
        behind: bool,
    ) {
        let projection = self.projection.clone();
        let turn = match prepared {
            Some(prepared) => Some((prepared, running.take_turn(partition, behind))),
            None => {
                running.no_turn(partition);
                None
            }
        };
        running.spawn(vec![partition], async move {
            let started = std::time::Instant::now();
            let result = match turn {
                Some((prepared, (after, next))) => {
                    projection
                        .send_or_apply(prepared, &batch, after, next)
                        .await
                }
                None => projection.apply_batch(partition, &batch).await,
            };
            Ran::Batches(vec![(partition, result, started.elapsed())])
        });
    }

    async fn handle(
        &self,
        consumer: &mut dyn LogConsumer,
        partitions: &mut Partitions,
        log_retry: &mut LogRetry,
        event: Result<ConsumerEvent, event_log::LogError>,
    ) {
        if event.is_ok() {
            log_retry.succeeded();
        }
        match event {
            Ok(ConsumerEvent::Assigned(assigned)) => {
                tracing::info!(partitions = ?assigned, "partitions assigned");
                for &partition in &assigned {
                    partitions.assign(partition);
                }
                if let Err(error) = self.seek_to_checkpoints(consumer, &assigned).await {
                    tracing::warn!(error = %format!("{error:#}"), "cannot read checkpoints");
                    for partition in assigned {
                        partitions.pause(partition, Instant::now());
                    }
                }
            }
            Ok(ConsumerEvent::Revoked(revoked)) => {
                tracing::info!(partitions = ?revoked, "partitions revoked");
                for partition in revoked {
                    partitions.revoke(partition);
                }
            }
            Ok(ConsumerEvent::Records(entries)) => partitions.offer(entries),
            Ok(ConsumerEvent::Idle) => {}
            Err(error) => {
                // The log failed: it is read again after a pause, and every owned partition
                // from its checkpoint after a pause of its own, so nothing in hand is skipped.
                let now = Instant::now();
                let retry_in = log_retry.failed(now);
                tracing::warn!(%error, ?retry_in, "reading the event log failed; retrying from the checkpoints");
                for partition in partitions.owned() {
                    partitions.pause(partition, now);
                }
            }
        }
    }

    /// What a finished batch means for its partition.
    async fn finished(
        &self,
        consumer: &mut dyn LogConsumer,
        partitions: &mut Partitions,
        (partition, result, took): Finished,
    ) {
        partitions.finished(partition, result.is_ok(), Instant::now());
        // The projection counts these; the counters follow it.
        let carried = self.projection.carried_counts();
        let metrics = &self.metrics;
        metrics.carried_batches.inc_by(
            carried
                .committed
                .saturating_sub(metrics.carried_batches.get()),
        );
        metrics.carried_failures.inc_by(
            carried
                .failed
                .saturating_sub(metrics.carried_failures.get()),
        );
        match result {
            Ok(BatchOutcome::Committed {
                last_offset,
                applied,
                failed,
                rejected,
                commit_time,
            }) => {
                self.metrics.records.inc_by(applied as u64);
                self.metrics.batches.inc();
                self.metrics.failed_records.inc_by(failed.len() as u64);
                self.metrics.batch_seconds.observe_duration(took);
                self.metrics.commit_seconds.observe_duration(commit_time);
                for code in rejected {
                    self.metrics.rejected(code).inc();
                }
                tracing::debug!(partition, last_offset, applied, "batch committed");
            }
            Ok(BatchOutcome::AlreadyApplied) => {}
            Ok(BatchOutcome::Gap { next_offset }) => {
                self.metrics.gaps.inc();
                tracing::info!(
                    partition,
                    next_offset,
                    "records missing before this batch; seeking back"
                );
                partitions.clear(partition);
                if let Err(error) = consumer.seek(partition, next_offset).await {
                    tracing::warn!(%error, partition, "cannot seek; retrying from the checkpoint");
                    partitions.pause(partition, Instant::now());
                }
            }
            Err(error) => {
                // Rolled back: nothing of it is kept. Only this partition waits.
                self.metrics.batch_failures.inc();
                let pause = partitions.pause(partition, Instant::now());
                tracing::warn!(
                    partition,
                    sqlstate = error.sqlstate().unwrap_or(""),
                    error = %error.detail(),
                    retry_in = ?pause,
                    "projector batch failed; the partition retries from its checkpoint"
                );
            }
        }
    }

    /// Moves the readers of partitions whose pause is over back to their checkpoints, and of
    /// overflowed ones to where they dropped records.
    async fn resume(&self, consumer: &mut dyn LogConsumer, partitions: &mut Partitions) {
        for (partition, resume) in partitions.take_resumes(Instant::now()) {
            let moved = match resume {
                Resume::From(offset) => consumer.seek(partition, offset).await.map_err(Into::into),
                Resume::FromCheckpoint => self.seek_to_checkpoints(consumer, &[partition]).await,
            };
            if let Err(error) = moved {
                tracing::warn!(partition, error = %format!("{error:#}"), "cannot resume the partition");
                partitions.pause(partition, Instant::now());
            }
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failed reads of the log are retried after 0.1 s, doubling to 1 s; a read that succeeds
    /// starts again from 0.1 s.
    #[test]
    fn failed_reads_of_the_log_wait_longer_up_to_a_second() {
        let now = Instant::now();
        let mut retry = LogRetry::new();
        let pauses: Vec<u128> = (0..6).map(|_| retry.failed(now).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(retry.until, now + LOG_RETRY_MAX);
        retry.succeeded();
        assert_eq!(retry.failed(now), LOG_RETRY_FIRST);
    }
}
