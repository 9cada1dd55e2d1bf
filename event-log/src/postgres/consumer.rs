//! Consumers of the Postgres log: members share the partitions as [`membership`] describes,
//! in the log's own database, and each reads its partitions' records from `eventlog.records`,
//! woken by the `NOTIFY` of every append — once caught up, only the partitions notified.
//!
//! [`membership`]: crate::membership

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use tokio::time::Instant;
use tokio_postgres::Statement;

use super::{db_error, entry, record_of, PostgresLog, CHANNEL};
use crate::membership::Membership;
use crate::{ConsumerEvent, ConsumerOptions, LogConsumer, LogEntry, LogError};

/// How long a consumer waits for a notification before looking anyway, so that a lost one
/// only delays.
const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// The next records of each owned partition: `$1` partitions, `$2` their next offsets, `$3` at
/// most this many of each.
pub const FETCH: &str = r#"
SELECT c.partition, r."offset", r.record
FROM unnest($1::int[], $2::bigint[]) AS c(partition, next_offset)
CROSS JOIN LATERAL (
    SELECT "offset", record FROM eventlog.records
    WHERE partition = c.partition AND "offset" >= c.next_offset
    ORDER BY "offset" LIMIT $3
) r
ORDER BY c.partition, r."offset""#;

/// The settings of a consumer's connection. Its fetch is planned once per connection (a generic
/// plan): planning it for each poll cost more than running it, on the path of every batch. No
/// plan of it can scan the growing log: with sequential scans off it reads the records' primary
/// key on a log empty or grown, analysed or not (`the_consumers_fetch_reads_the_records_key…`,
/// event-log tests). The membership's other statements read `pg_locks` and the members' table
/// by its key.
pub const FETCH_SETTINGS: [(&str, &str); 2] = [
    ("plan_cache_mode", "force_generic_plan"),
    ("enable_seqscan", "off"),
];

pub(super) struct PostgresConsumer {
    membership: Membership,
    /// Prepared on the membership's current connection.
    fetch: Option<Statement>,
    max_batch: usize,
    /// Owned partitions and the next offset to hand out of each.
    owned: BTreeMap<u32, i64>,
    pending: VecDeque<ConsumerEvent>,
    /// The owned partitions a fetch may find records in beyond `owned`'s offsets: `None` for
    /// every one (nothing known: just assigned, a seek, a connection made again, a
    /// notification without a partition, the fallback poll due), else those whose appends were
    /// notified since they were last fetched, or that the last fetch left with more. A
    /// partition nothing was appended to is not read: a fetch costs the server an index probe
    /// per partition it reads, and the projector polls again right after taking each batch.
    unfetched: Option<BTreeSet<u32>>,
    /// When every owned partition was last fetched: a notification lost delays its records by
    /// [`FALLBACK_POLL`] at most.
    fetched_all_at: Instant,
}

impl PostgresConsumer {
    pub(super) async fn join(log: PostgresLog, options: ConsumerOptions) -> Result<Self, LogError> {
        let mut config = log.config.clone();
        let settings: Vec<String> = FETCH_SETTINGS
            .iter()
            .map(|(name, value)| format!("-c {name}={value}"))
            .collect();
        config.options(settings.join(" "));
        let membership = Membership::join(config, &options, log.partitions, Some(CHANNEL)).await?;
        let mut consumer = Self {
            membership,
            fetch: None,
            max_batch: options.max_batch.max(1),
            owned: BTreeMap::new(),
            pending: VecDeque::new(),
            unfetched: None,
            fetched_all_at: Instant::now(),
        };
        consumer.prepare().await?;
        Ok(consumer)
    }

    /// Connects again if needed and prepares the fetch on the connection.
    async fn prepare(&mut self) -> Result<(), LogError> {
        if self.membership.connect().await? || self.fetch.is_none() {
            self.fetch = None;
            // Appends notified while the connection was gone went unheard.
            self.unfetched = None;
            if let Some(client) = self.membership.client() {
                self.fetch = Some(client.prepare(FETCH).await.map_err(db_error)?);
            }
        }
        Ok(())
    }

    /// Queues an assignment change and follows it in `owned`.
    fn queue(&mut self, change: ConsumerEvent) {
        self.unfetched = None;
        match &change {
            ConsumerEvent::Assigned(partitions) => {
                self.owned.extend(partitions.iter().map(|p| (*p, 0)));
            }
            ConsumerEvent::Revoked(partitions) => {
                for partition in partitions {
                    self.owned.remove(partition);
                }
            }
            ConsumerEvent::Records(_) | ConsumerEvent::Idle => {}
        }
        self.pending.push_back(change);
    }

    /// The owned partitions to fetch now (see `unfetched`); takes what the notifications told,
    /// and the wake's permit, so that the wait after a fetch that finds nothing new is not cut
    /// short by what that fetch read.
    fn partitions_to_fetch(&mut self) -> Vec<u32> {
        if let Some(wake) = self.membership.wake() {
            // The permit first: a partition noted after the notes are taken below comes with a
            // permit of its own (the note is made before the wake).
            let _ = wake.notified().now_or_never();
        }
        match self.membership.notified() {
            Some(notified) if notified.all => self.unfetched = None,
            Some(notified) => {
                if let Some(unfetched) = &mut self.unfetched {
                    unfetched.extend(notified.partitions);
                }
            }
            None => {}
        }
        if self.fetched_all_at.elapsed() >= FALLBACK_POLL {
            self.unfetched = None;
        }
        match &self.unfetched {
            None => self.owned.keys().copied().collect(),
            Some(unfetched) => self
                .owned
                .keys()
                .filter(|partition| unfetched.contains(partition))
                .copied()
                .collect(),
        }
    }

    /// The next records of `partitions` (owned), at most `max_batch` in all.
    async fn fetch(&mut self, partitions: &[u32]) -> Result<Vec<LogEntry>, LogError> {
        let (Some(client), Some(fetch)) = (self.membership.client(), &self.fetch) else {
            return Ok(Vec::new());
        };
        let all = partitions.len() == self.owned.len();
        let unfetched = self.unfetched.take();
        let offsets: Vec<i64> = partitions.iter().map(|p| self.owned[p]).collect();
        let numbers: Vec<i32> = partitions.iter().map(|p| *p as i32).collect();
        // Each owned partition's share of a batch, whether read now or not (see
        // docs/ARCHITECTURE.md: sharing a batch out to busy partitions slowed other requests).
        let per_partition = (self.max_batch / self.owned.len().max(1)).max(1) as i64;
        let started = Instant::now();
        // On failure `unfetched` stays `None`: every partition is read at the next fetch.
        let rows = client
            .query(fetch, &[&numbers, &offsets, &per_partition])
            .await
            .map_err(db_error)?;
        let mut batch = Vec::with_capacity(rows.len().min(self.max_batch));
        for row in rows.iter().take(self.max_batch) {
            let partition = u32::try_from(row.get::<_, i32>(0)).unwrap_or_default();
            batch.push(entry(partition, row.get(1), record_of(row, 2)?));
        }
        let mut handed_out: BTreeMap<u32, i64> = BTreeMap::new();
        for entry in &batch {
            self.owned
                .insert(entry.position.partition, entry.position.offset + 1);
            *handed_out.entry(entry.position.partition).or_default() += 1;
        }
        // Read to their ends now, but for those that reached their share (or were cut off).
        let mut left = unfetched.unwrap_or_default();
        for partition in partitions {
            left.remove(partition);
        }
        let cut_off = rows.len() > self.max_batch;
        left.extend(
            partitions
                .iter()
                .filter(|p| cut_off || handed_out.get(p).copied().unwrap_or(0) >= per_partition),
        );
        self.unfetched = Some(left);
        if all {
            self.fetched_all_at = started;
        }
        Ok(batch)
    }
}

#[async_trait]
impl LogConsumer for PostgresConsumer {
    async fn poll(&mut self, max_wait: Duration) -> Result<ConsumerEvent, LogError> {
        let deadline = Instant::now() + max_wait;
        loop {
            for change in self.membership.changes() {
                self.queue(change);
            }
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            // Lost connection: reconnect, then take partitions again at once. An error here
            // goes to the caller, which retries with its own backoff.
            self.prepare().await?;
            match self.membership.rebalance().await {
                Ok(()) if self.membership.has_changes() => continue,
                Ok(()) => {}
                Err(_) if self.membership.is_closed() => continue,
                Err(error) => return Err(db_error(error)),
            }
            let partitions = self.partitions_to_fetch();
            if !partitions.is_empty() {
                match self.fetch(&partitions).await {
                    Ok(batch) if !batch.is_empty() => return Ok(ConsumerEvent::Records(batch)),
                    Ok(_) => {}
                    Err(_) if self.membership.is_closed() => continue,
                    Err(error) => return Err(error),
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(ConsumerEvent::Idle);
            }
            // Sleep until an append is notified, the next rebalance tick, the fallback poll or
            // the caller's deadline, whichever comes first.
            let wake_at = deadline
                .min(self.membership.next_rebalance())
                .min(now + FALLBACK_POLL);
            let Some(wake) = self.membership.wake() else {
                continue;
            };
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        if let Some(next) = self.owned.get_mut(&partition) {
            *next = next_offset.max(0);
            if let Some(unfetched) = &mut self.unfetched {
                unfetched.insert(partition);
            }
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        self.membership.leave().await;
    }
}
