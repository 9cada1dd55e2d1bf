//! Applying a batch of one partition's records in one transaction.

use event_log::LogEntry;
use read_store::projection::{self, UnitOfWork};
use read_store::{Store, StoreError};
use schema::CommandRecord;

/// What happened to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Committed; the partition is applied up to `last_offset`. `applied` counts the records
    /// decided now (the others were at or below the checkpoint, or duplicates).
    Committed { last_offset: i64, applied: usize },
    /// Nothing to do: every record was at or below the checkpoint.
    AlreadyApplied,
    /// The batch does not continue the checkpoint (records were missed, for example after a
    /// rebuild was swapped in). Nothing was written; read again from `next_offset`.
    Gap { next_offset: i64 },
}

/// Writes decisions into one read-model schema.
#[derive(Clone)]
pub struct Projection {
    store: Store,
    /// Whether accepted events are queued for delivery: never while rebuilding, so a rebuild
    /// sends nothing again.
    outbox: bool,
}

impl Projection {
    /// The live projection: read models, activity and the delivery outbox.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            outbox: true,
        }
    }

    /// A rebuild into a fresh schema: read models and activity only.
    pub fn rebuilding(store: Store) -> Self {
        Self {
            store,
            outbox: false,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Decides and applies `entries` (all of `partition`, in offset order) in one transaction
    /// with the partition's checkpoint. Records at or below the checkpoint are skipped, so a
    /// batch redelivered after a crash or a rebalance changes nothing twice; the checkpoint
    /// row is locked, so two projectors that both think they own the partition cannot both
    /// write it.
    pub async fn apply_batch(
        &self,
        partition: u32,
        entries: &[LogEntry],
    ) -> Result<BatchOutcome, StoreError> {
        let mut client = self.store.client().await?;
        let tx = client.transaction().await?;
        let checkpoint = projection::lock_checkpoint(&tx, partition).await?;
        let mut last = checkpoint.unwrap_or(-1);
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
            batch.push(entry);
            last = offset;
        }
        if batch.is_empty() {
            return Ok(BatchOutcome::AlreadyApplied);
        }
        let records: Vec<&CommandRecord> = batch.iter().map(|entry| &entry.record).collect();
        let mut work = UnitOfWork::load(&tx, &records, self.outbox).await?;
        let mut applied = 0;
        for entry in &batch {
            // False for a duplicate of a record already decided (appended twice by a retry).
            if work.decide(&entry.record, (partition, entry.position.offset)) {
                applied += 1;
            }
        }
        work.flush(&tx).await?;
        projection::finish_batch(&tx, partition, last).await?;
        tx.commit().await?;
        Ok(BatchOutcome::Committed {
            last_offset: last,
            applied,
        })
    }
}
