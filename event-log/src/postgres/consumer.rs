//! Consumers of the Postgres log: members share the partitions as [`membership`] describes,
//! in the log's own database, and each reads its partitions' records from `eventlog.records`,
//! woken by the `NOTIFY` of every append.
//!
//! [`membership`]: crate::membership

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use tokio::sync::Notify;
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
    /// The last fetch handed out every record of the owned partitions from `owned`'s offsets
    /// (none of them reached its limit), and nothing changed those offsets since: until an
    /// append is notified, or [`FALLBACK_POLL`] has passed, fetching again would find nothing.
    /// (After handing out a batch, the caller polls again at once; fetching then cost a round
    /// trip and the server a query for nothing, about every third fetch under steady appends.)
    caught_up_at: Option<Instant>,
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
            caught_up_at: None,
        };
        consumer.prepare().await?;
        Ok(consumer)
    }

    /// Connects again if needed and prepares the fetch on the connection.
    async fn prepare(&mut self) -> Result<(), LogError> {
        if self.membership.connect().await? || self.fetch.is_none() {
            self.fetch = None;
            // Appends notified while the connection was gone went unheard.
            self.caught_up_at = None;
            if let Some(client) = self.membership.client() {
                self.fetch = Some(client.prepare(FETCH).await.map_err(db_error)?);
            }
        }
        Ok(())
    }

    /// Queues an assignment change and follows it in `owned`.
    fn queue(&mut self, change: ConsumerEvent) {
        self.caught_up_at = None;
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

    /// The next records of every owned partition, at most `max_batch` in all.
    async fn fetch(&mut self) -> Result<Vec<LogEntry>, LogError> {
        let (Some(client), Some(fetch)) = (self.membership.client(), &self.fetch) else {
            return Ok(Vec::new());
        };
        // Known again only once this fetch has succeeded.
        self.caught_up_at = None;
        let (partitions, offsets): (Vec<i32>, Vec<i64>) =
            self.owned.iter().map(|(p, o)| (*p as i32, *o)).unzip();
        let per_partition = (self.max_batch / partitions.len().max(1)).max(1) as i64;
        let rows = client
            .query(fetch, &[&partitions, &offsets, &per_partition])
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
        let all =
            rows.len() <= self.max_batch && handed_out.values().all(|count| *count < per_partition);
        self.caught_up_at = all.then(Instant::now);
        Ok(batch)
    }

    /// Whether a fetch may find records: something changed since the last one found the
    /// partitions' ends, an append was notified since, or the fallback poll is due (a
    /// notification lost). Takes `wake`'s permit: the fetch that follows sees the records it
    /// announced.
    fn may_find_records(&self, wake: Option<&Notify>) -> bool {
        let notified = wake.is_some_and(|wake| wake.notified().now_or_never().is_some());
        match self.caught_up_at {
            None => true,
            Some(caught_up_at) => notified || caught_up_at.elapsed() >= FALLBACK_POLL,
        }
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
            let wake = self.membership.wake();
            if !self.owned.is_empty() && self.may_find_records(wake.as_deref()) {
                match self.fetch().await {
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
            let Some(wake) = wake else {
                continue;
            };
            tokio::select! {
                () = wake.notified() => self.caught_up_at = None,
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        if let Some(next) = self.owned.get_mut(&partition) {
            *next = next_offset.max(0);
            self.caught_up_at = None;
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        self.membership.leave().await;
    }
}
