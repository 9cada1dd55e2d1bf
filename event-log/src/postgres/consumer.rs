//! Consumers of the Postgres log: a group's members share the partitions through session-level
//! advisory locks, `pg_try_advisory_lock(<group key>, <partition>)`, held on each member's own
//! connection. Two processes can never own one partition at once, and a process that dies
//! loses its locks with its connection.
//!
//! Fair share: members register in `eventlog.consumers` with a heartbeat every second; about
//! once a second each member counts the live ones (seen in the last 5 s) and aims at
//! `ceil(partitions / live)` partitions, releasing extras (`Revoked`) and trying free ones
//! (`Assigned`). A new member therefore gets its share within a couple of seconds, a closed
//! one's partitions move at the next tick, a killed one's within about 6 s.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tokio_postgres::Statement;

use super::session::Session;
use super::{db_error, entry, PostgresLog};
use crate::{ConsumerEvent, ConsumerOptions, LogConsumer, LogEntry, LogError};

/// How often a member looks at the group and adjusts what it owns.
const REBALANCE_EVERY: Duration = Duration::from_secs(1);
/// How long a consumer waits for a notification before looking anyway, so that a lost one
/// only delays.
const FALLBACK_POLL: Duration = Duration::from_millis(500);

const LIVE_MEMBERS: &str = r#"
SELECT count(*) FROM eventlog.consumers
WHERE "group" = $1 AND (seen_at > now() - interval '5 seconds' OR member_id = $2)"#;

/// The partitions this session holds locks on (two-key advisory locks show the keys as
/// `classid` and `objid`, with `objsubid = 2`).
const HELD: &str = r#"
SELECT objid::bigint FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
  AND objsubid = 2 AND classid::bigint = $1"#;

const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1, $2)";

const UNLOCK: &str = "SELECT pg_advisory_unlock($1, p) FROM unnest($2::int[]) AS p";

const FETCH: &str = r#"
SELECT c.partition, r."offset", r.record
FROM unnest($1::int[], $2::bigint[]) AS c(partition, next_offset)
CROSS JOIN LATERAL (
    SELECT "offset", record FROM eventlog.records
    WHERE partition = c.partition AND "offset" >= c.next_offset
    ORDER BY "offset" LIMIT $3
) r
ORDER BY c.partition, r."offset""#;

pub(super) struct PostgresConsumer {
    log: PostgresLog,
    group: String,
    member: String,
    /// First half of the advisory-lock key, from the group, so groups do not exclude each
    /// other.
    lock_space: i32,
    /// Where this member starts looking for free partitions, so members do not all race for
    /// the same one.
    first_choice: u32,
    max_batch: usize,
    live: Option<Live>,
    /// Owned partitions and the next offset to hand out of each.
    owned: BTreeMap<u32, i64>,
    pending: VecDeque<ConsumerEvent>,
    next_rebalance: Instant,
}

/// The connection and what was prepared on it.
struct Live {
    session: Session,
    fetch: Statement,
}

impl PostgresConsumer {
    pub(super) async fn join(log: PostgresLog, options: ConsumerOptions) -> Result<Self, LogError> {
        let member = options
            .instance
            .clone()
            .unwrap_or_else(|| ulid::Ulid::new().to_string().to_ascii_lowercase());
        let hash = fnv1a(&format!("agenfleet-log/{}", options.group));
        let mut consumer = Self {
            first_choice: fnv1a(&member) % log.partitions,
            log,
            group: options.group,
            member,
            // Non-negative, so that it reads the same as pg_locks' unsigned `classid`.
            lock_space: i32::try_from(hash & 0x7fff_ffff).unwrap_or_default(),
            max_batch: options.max_batch.max(1),
            live: None,
            owned: BTreeMap::new(),
            pending: VecDeque::new(),
            next_rebalance: Instant::now(),
        };
        consumer.connect().await?;
        Ok(consumer)
    }

    async fn connect(&mut self) -> Result<(), LogError> {
        let session = Session::open(&self.log.config, &self.group, &self.member).await?;
        let fetch = session.client.prepare(FETCH).await.map_err(db_error)?;
        self.live = Some(Live { session, fetch });
        self.next_rebalance = Instant::now();
        Ok(())
    }

    /// A dead connection took the locks with it: everything owned is lost.
    fn drop_dead_session(&mut self) {
        if self
            .live
            .as_ref()
            .is_some_and(|live| live.session.is_closed())
        {
            self.live = None;
            let lost: Vec<u32> = std::mem::take(&mut self.owned).into_keys().collect();
            if !lost.is_empty() {
                self.pending.push_back(ConsumerEvent::Revoked(lost));
            }
        }
    }

    /// Moves towards the fair share; queues what changed.
    ///
    /// A poll may be cancelled between two statements; the locks this session really holds
    /// (`pg_locks`) are therefore read first and what this member believes is corrected, so a
    /// lock taken or released by a cancelled round is never forgotten.
    async fn rebalance(&mut self) -> Result<(), tokio_postgres::Error> {
        let Some(live) = &self.live else {
            return Ok(());
        };
        let client = live.session.client.clone();
        let held: BTreeSet<u32> = client
            .query(HELD, &[&i64::from(self.lock_space)])
            .await?
            .iter()
            .filter_map(|row| u32::try_from(row.get::<_, i64>(0)).ok())
            .collect();
        self.adopt(&held);
        let members: i64 = client
            .query_one(LIVE_MEMBERS, &[&self.group, &self.member])
            .await?
            .get(0);
        let partitions = self.log.partitions;
        let target =
            partitions.div_ceil(u32::try_from(members.max(1)).unwrap_or(u32::MAX)) as usize;
        if self.owned.len() > target {
            let extras: Vec<u32> = self
                .owned
                .keys()
                .rev()
                .take(self.owned.len() - target)
                .copied()
                .collect();
            let keys: Vec<i32> = extras.iter().map(|p| *p as i32).collect();
            client.execute(UNLOCK, &[&self.lock_space, &keys]).await?;
            for partition in &extras {
                self.owned.remove(partition);
            }
            let mut revoked = extras;
            revoked.sort_unstable();
            self.pending.push_back(ConsumerEvent::Revoked(revoked));
        } else if self.owned.len() < target {
            let mut assigned = Vec::new();
            for step in 0..partitions {
                if self.owned.len() + assigned.len() >= target {
                    break;
                }
                let partition = (self.first_choice + step) % partitions;
                if self.owned.contains_key(&partition) {
                    continue;
                }
                let row = client
                    .query_one(TRY_LOCK, &[&self.lock_space, &(partition as i32)])
                    .await?;
                if row.get::<_, bool>(0) {
                    assigned.push(partition);
                }
            }
            if !assigned.is_empty() {
                assigned.sort_unstable();
                self.owned.extend(assigned.iter().map(|p| (*p, 0)));
                self.pending.push_back(ConsumerEvent::Assigned(assigned));
            }
        }
        Ok(())
    }

    /// Makes `owned` what the session holds, queueing the difference.
    fn adopt(&mut self, held: &BTreeSet<u32>) {
        let lost: Vec<u32> = self
            .owned
            .keys()
            .filter(|p| !held.contains(p))
            .copied()
            .collect();
        let found: Vec<u32> = held
            .iter()
            .filter(|p| !self.owned.contains_key(p))
            .copied()
            .collect();
        if !lost.is_empty() {
            for partition in &lost {
                self.owned.remove(partition);
            }
            self.pending.push_back(ConsumerEvent::Revoked(lost));
        }
        if !found.is_empty() {
            self.owned.extend(found.iter().map(|p| (*p, 0)));
            self.pending.push_back(ConsumerEvent::Assigned(found));
        }
    }

    /// The next records of every owned partition, at most `max_batch` in all.
    async fn fetch(&mut self) -> Result<Vec<LogEntry>, LogError> {
        let Some(live) = &self.live else {
            return Ok(Vec::new());
        };
        let (partitions, offsets): (Vec<i32>, Vec<i64>) =
            self.owned.iter().map(|(p, o)| (*p as i32, *o)).unzip();
        let per_partition = (self.max_batch / partitions.len().max(1)).max(1) as i64;
        let rows = live
            .session
            .client
            .query(&live.fetch, &[&partitions, &offsets, &per_partition])
            .await
            .map_err(db_error)?;
        let mut batch = Vec::with_capacity(rows.len().min(self.max_batch));
        for row in rows.iter().take(self.max_batch) {
            let partition = u32::try_from(row.get::<_, i32>(0)).unwrap_or_default();
            batch.push(entry(partition, row.get(1), row.get(2))?);
        }
        for entry in &batch {
            self.owned
                .insert(entry.position.partition, entry.position.offset + 1);
        }
        Ok(batch)
    }
}

#[async_trait]
impl LogConsumer for PostgresConsumer {
    async fn poll(&mut self, max_wait: Duration) -> Result<ConsumerEvent, LogError> {
        let deadline = Instant::now() + max_wait;
        loop {
            self.drop_dead_session();
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            // Lost connection: reconnect, then take partitions again at once. An error here
            // goes to the caller, which retries with its own backoff.
            if self.live.is_none() {
                self.connect().await?;
            }
            if Instant::now() >= self.next_rebalance {
                self.next_rebalance = Instant::now() + REBALANCE_EVERY;
                if let Err(error) = self.rebalance().await {
                    if self
                        .live
                        .as_ref()
                        .is_some_and(|live| live.session.is_closed())
                    {
                        continue;
                    }
                    return Err(db_error(error));
                }
                if !self.pending.is_empty() {
                    continue;
                }
            }
            if !self.owned.is_empty() {
                match self.fetch().await {
                    Ok(batch) if !batch.is_empty() => return Ok(ConsumerEvent::Records(batch)),
                    Ok(_) => {}
                    Err(_)
                        if self
                            .live
                            .as_ref()
                            .is_some_and(|live| live.session.is_closed()) =>
                    {
                        continue
                    }
                    Err(error) => return Err(error),
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(ConsumerEvent::Idle);
            }
            // Sleep until an append is notified, the next rebalance tick, the fallback poll or
            // the caller's deadline, whichever comes first.
            let wake_at = deadline.min(self.next_rebalance).min(now + FALLBACK_POLL);
            let Some(live) = &self.live else { continue };
            let wake = live.session.wake.clone();
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        if let Some(next) = self.owned.get_mut(&partition) {
            *next = next_offset.max(0);
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        let Some(live) = self.live.take() else { return };
        // Unlock and leave explicitly so the others count one member less at their next tick
        // instead of waiting for the heartbeat to age; dropping the session closes the
        // connection.
        let client = &live.session.client;
        if let Err(error) = client
            .batch_execute("SELECT pg_advisory_unlock_all()")
            .await
        {
            tracing::debug!(%error, "unlocking partitions on close");
        }
        let leave = r#"DELETE FROM eventlog.consumers WHERE "group" = $1 AND member_id = $2"#;
        if let Err(error) = client.execute(leave, &[&self.group, &self.member]).await {
            tracing::debug!(%error, "leaving the group on close");
        }
    }
}

fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}
