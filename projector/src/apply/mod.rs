//! Applying a batch of one partition's records in one transaction, and what happens when a
//! record can never be applied.
//!
//! The rule for failures (see docs/ARCHITECTURE.md, "A record that can never apply"): an
//! error the data causes (SQLSTATE classes 21, 22, 23, 54; [`StoreError::is_deterministic`])
//! fails the same way on every attempt, so retrying would stop the partition forever. The
//! batch is split in halves until the record that fails alone is found; the records around it
//! are applied as usual, and it is stored as failed (`INTERNAL_ERROR`, which the API waiting
//! for it answers with its command id) and passed over. A record that does not decode is
//! passed over the same way. Both depend only on the log, so a rebuild reaches the same
//! tables. Any other error (the connection, a lock timeout, a full disk, a statement that
//! fails for every record) is returned for the caller to retry the partition later; if it
//! never passes, an operator can pass over the record ([`Projection::skip`]), and rebuilds
//! pass over the same records ([`Projection::with_skipped`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use event_log::LogEntry;
use read_store::projection::{self, Carried, CarriedStates, End, PipelinedTransaction, UnitOfWork};
use read_store::{Store, StoreError};
use schema::CommandRecord;

mod carried;
mod failed;
mod outcome;
mod together;

pub use carried::{InTurn, Prepared};
use failed::failed_record;
pub use outcome::BatchOutcome;

/// Writes decisions into one read-model schema.
#[derive(Clone)]
pub struct Projection {
    store: Store,
    /// Whether accepted events are queued for delivery: never while rebuilding, so a rebuild
    /// sends nothing again.
    outbox: bool,
    /// `(partition, offset)` of records operators passed over; read by rebuilds (the live
    /// checkpoints are already past them).
    skipped: Arc<BTreeSet<(u32, i64)>>,
    /// What each partition's last batch knew, for its next one (`projection::carried`).
    carried: CarriedStates,
}

impl Projection {
    /// The live projection: read models, activity and the delivery outbox.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            outbox: true,
            skipped: Arc::default(),
            carried: CarriedStates::default(),
        }
    }

    /// A rebuild into a fresh schema: read models and activity only.
    pub fn rebuilding(store: Store) -> Self {
        Self {
            store,
            outbox: false,
            skipped: Arc::default(),
            carried: CarriedStates::default(),
        }
    }

    /// Passes over the records operators passed over (a rebuild reads them from
    /// `operator.skipped_records`).
    pub fn with_skipped(mut self, skipped: BTreeSet<(u32, i64)>) -> Self {
        self.skipped = Arc::new(skipped);
        self
    }

    fn is_skipped(&self, entry: &LogEntry) -> bool {
        !self.skipped.is_empty()
            && self
                .skipped
                .contains(&(entry.position.partition, entry.position.offset))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How many batches were committed on their partition's carried state, and how many such
    /// attempts failed (`projection::carried`).
    pub fn carried_counts(&self) -> projection::CarriedCounts {
        self.carried.counts()
    }

    /// Decides and applies `entries` (all of `partition`, in offset order). Records at or
    /// below the checkpoint are skipped, so a batch redelivered after a crash or a rebalance
    /// changes nothing twice. Records that can never apply are stored as failed and passed
    /// over (see the module's rule); an error is returned only for what may pass, and what
    /// was committed before it stays committed.
    pub async fn apply_batch(
        &self,
        partition: u32,
        entries: &[LogEntry],
    ) -> Result<BatchOutcome, StoreError> {
        let mut outcome = BatchOutcome::AlreadyApplied;
        let mut rest = entries;
        while !rest.is_empty() {
            let readable = rest
                .iter()
                .position(|entry| entry.record.is_err() || self.is_skipped(entry))
                .unwrap_or(rest.len());
            let (commands, after) = rest.split_at(readable);
            if !commands.is_empty() {
                outcome = outcome.then(self.apply_isolating(partition, commands).await?);
            }
            if let Some((entry, after)) = after.split_first() {
                // Split at records operators passed over and at unreadable ones.
                let next = match &entry.record {
                    Err(unreadable) if !self.is_skipped(entry) => {
                        self.pass_over_unreadable(entry, unreadable).await?
                    }
                    _ => self.store_failed(failed_record(entry, true)).await?,
                };
                outcome = outcome.then(next);
                rest = after;
            } else {
                rest = &[];
            }
            if matches!(outcome, BatchOutcome::Gap { .. }) {
                break;
            }
        }
        Ok(outcome)
    }

    /// Applies `entries` (all readable) in one transaction; if the data makes it fail, in
    /// halves, down to the one record that fails alone, which is stored as failed.
    async fn apply_isolating(
        &self,
        partition: u32,
        entries: &[LogEntry],
    ) -> Result<BatchOutcome, StoreError> {
        let mut outcome = BatchOutcome::AlreadyApplied;
        // Slices still to apply, the next one last.
        let mut pending = vec![entries];
        while let Some(slice) = pending.pop() {
            let next = match self.apply_in_one_transaction(partition, slice, true).await {
                Ok(next) => next,
                Err(error) if error.is_deterministic() => {
                    if let [entry] = slice {
                        self.pass_over_failed(entry, &error).await?
                    } else {
                        let (first, second) = slice.split_at(slice.len() / 2);
                        pending.push(second);
                        pending.push(first);
                        continue;
                    }
                }
                Err(error) => return Err(error),
            };
            outcome = outcome.then(next);
            if matches!(outcome, BatchOutcome::Gap { .. }) {
                break;
            }
        }
        Ok(outcome)
    }

    /// One transaction with the partition's checkpoint row locked, so two projectors that both
    /// think they own the partition cannot both write it. Rolled back instead of committed
    /// when `commit` is false (a trial). A batch that continues the partition's last one is
    /// first tried on the state that one left, in one round trip ([`Self::prepare`]); if that
    /// state lacks something or the attempt fails, it is applied the usual way at once.
    async fn apply_in_one_transaction(
        &self,
        partition: u32,
        entries: &[LogEntry],
        commit: bool,
    ) -> Result<BatchOutcome, StoreError> {
        if let Some(prepared) = commit.then(|| self.prepare(partition, entries)).flatten() {
            // A failed attempt is logged and counted where it fails; the usual way follows.
            if let Ok(outcome) = self.send(prepared).await {
                return Ok(outcome);
            }
        }
        let records: Vec<&CommandRecord> = entries
            .iter()
            .filter_map(|entry| entry.record.as_ref().ok())
            .collect();
        let earlier = commit.then(|| self.carried.take(partition)).flatten();
        let tx = PipelinedTransaction::new(self.store.client().await?);
        // One round trip: BEGIN, the checkpoint's lock, then (run after it by the server) the
        // state every decodable record of the batch needs. Entries the checkpoint shows as
        // applied are loaded for nothing, which only happens after a seek.
        let (checkpoint, mut work) = tx
            .begin_then(projection::lock_checkpoint_then(
                &tx,
                partition,
                UnitOfWork::load(&tx, &records, self.outbox),
            ))
            .await?;
        // The carried state is as of the checkpoint only if it was taken there, by the same
        // decisions (the same token).
        let earlier = earlier.filter(|carried: &Carried| carried.checkpoint() == checkpoint);
        let mut last = checkpoint.offset.unwrap_or(-1);
        let mut batch = Vec::with_capacity(entries.len());
        for entry in entries {
            debug_assert_eq!(entry.position.partition, partition);
            let offset = entry.position.offset;
            if offset <= last {
                continue;
            }
            if offset != last + 1 {
                // Rolled back on drop: nothing of this batch is kept.
                return Ok(BatchOutcome::Gap {
                    next_offset: last + 1,
                });
            }
            if let Ok(record) = &entry.record {
                batch.push((record, offset));
            }
            last = offset;
        }
        if batch.is_empty() {
            return Ok(BatchOutcome::AlreadyApplied);
        }
        let (applied, announcement) = decide(&mut work, partition, &batch, last);
        let rejected = work.rejection_codes();
        // One round trip: the batch's writes, the checkpoint's advance, then COMMIT (or
        // ROLLBACK for a trial).
        let end = if commit { End::Commit } else { End::Rollback };
        let advance = projection::advance(&[(partition, last)]);
        let commit_time = work
            .flush(&tx, Vec::new(), vec![advance], vec![announcement], end)
            .await?;
        if !commit {
            return Ok(BatchOutcome::AlreadyApplied);
        }
        self.carried
            .keep(partition, work.carry(last, None, earlier));
        Ok(BatchOutcome::Committed {
            last_offset: last,
            applied,
            failed: Vec::new(),
            rejected,
            commit_time,
        })
    }

    /// Applies `entry` — the next record of its partition — in a transaction that is rolled
    /// back: what an operator sees when asking what a stopped partition fails on.
    pub async fn try_next(&self, entry: &LogEntry) -> Result<(), StoreError> {
        if let Err(unreadable) = &entry.record {
            return Err(StoreError::Corrupt(unreadable.reason.clone()));
        }
        let partition = entry.position.partition;
        self.apply_in_one_transaction(partition, std::slice::from_ref(entry), false)
            .await
            .map(drop)
    }
}

/// Decides `batch` (records with their offsets, up to `last`) on `work`: how many were decided
/// now (the others duplicates of records decided before), and the batch's announcement.
fn decide(
    work: &mut UnitOfWork,
    partition: u32,
    batch: &[(&CommandRecord, i64)],
    last: i64,
) -> (usize, projection::Announcement) {
    let mut applied = 0;
    for (record, offset) in batch {
        // False for a duplicate of a record already decided (appended twice by a retry).
        if work.decide(record, (partition, *offset)) {
            applied += 1;
        }
        if let schema::Command::RecordSkip(skip) = &record.command {
            tracing::warn!(
                tenant_id = %record.tenant_id,
                skipped_partition = skip.partition,
                skipped_offset = skip.offset,
                skipped_command_id = ?skip.command_id,
                reason = %skip.reason,
                "an operator passed over a record of this tenant"
            );
        }
    }
    let first = batch.first().map_or(last, |(_, offset)| *offset);
    let accepted = work.accepted(partition);
    let decided = projection::decided_payload(partition, first, last, &accepted);
    (
        applied,
        projection::Announcement::new(partition, last, decided),
    )
}
