//! Several partitions' batches decided and applied in one transaction.

use event_log::LogEntry;
use read_store::projection::{self, End, PipelinedTransaction, UnitOfWork};
use read_store::StoreError;
use schema::CommandRecord;

use super::{BatchOutcome, Projection};

impl Projection {
    /// Decides and applies the batches of several partitions in one transaction: the cost of a
    /// batch (its round trips and some twenty statements) is then paid once for all of them,
    /// where partitions applied side by side each paid it for a record or two. Returns `None`,
    /// having written nothing, when they must be applied one by one instead (with
    /// [`Self::apply_batch`], whose failures stay with their partition): a record that does not
    /// decode or was passed over, a partition without a checkpoint yet, a checkpoint locked by
    /// another transaction, a batch that does not continue its checkpoint, or any error.
    pub async fn apply_together(
        &self,
        batches: &[(u32, Vec<LogEntry>)],
    ) -> Option<Vec<(u32, BatchOutcome)>> {
        let readable = batches.iter().all(|(_, entries)| {
            entries
                .iter()
                .all(|entry| entry.record.is_ok() && !self.is_skipped(entry))
        });
        if batches.len() < 2 || !readable {
            return None;
        }
        // Whatever happens, these partitions' carried states may no longer be as of their
        // checkpoints (a batch of each is committed here, without them).
        for (partition, _) in batches {
            self.carried.keep(*partition, None);
        }
        match self.apply_in_one_transaction_together(batches).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::debug!(error = %error.detail(), "a batch of several partitions failed; applying each on its own");
                None
            }
        }
    }

    async fn apply_in_one_transaction_together(
        &self,
        batches: &[(u32, Vec<LogEntry>)],
    ) -> Result<Option<Vec<(u32, BatchOutcome)>>, StoreError> {
        let tx = PipelinedTransaction::new(self.store.client().await?);
        let mut partitions: Vec<u32> = batches.iter().map(|(partition, _)| *partition).collect();
        partitions.sort_unstable();
        let records: Vec<&CommandRecord> = batches
            .iter()
            .flat_map(|(_, entries)| entries.iter())
            .filter_map(|entry| entry.record.as_ref().ok())
            .collect();
        let (checkpoints, mut work) = tx
            .begin_then(projection::lock_checkpoints_then(
                &tx,
                &partitions,
                UnitOfWork::load(&tx, &records, self.outbox),
            ))
            .await?;
        // Rolled back on drop unless each batch continues its checkpoint exactly.
        let mut spans = Vec::with_capacity(batches.len());
        for (partition, entries) in batches {
            let Some(&(_, checkpoint)) = checkpoints.iter().find(|(p, _)| p == partition) else {
                return Ok(None);
            };
            let continues = entries
                .iter()
                .enumerate()
                .all(|(i, entry)| entry.position.offset == checkpoint + 1 + i as i64);
            let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
                return Ok(None);
            };
            if !continues {
                return Ok(None);
            }
            spans.push((*partition, first.position.offset, last.position.offset));
        }
        let mut applied = Vec::with_capacity(batches.len());
        for (partition, entries) in batches {
            let mut count = 0;
            for entry in entries {
                if let Ok(record) = &entry.record {
                    if work.decide(record, (*partition, entry.position.offset)) {
                        count += 1;
                    }
                }
            }
            applied.push(count);
        }
        let rejected = work.rejection_codes();
        let mut advances = Vec::with_capacity(spans.len());
        let mut announcements = Vec::with_capacity(spans.len());
        for &(partition, first, last) in &spans {
            let accepted = work.accepted(partition);
            let decided = projection::decided_payload(partition, first, last, &accepted);
            advances.push((partition, last));
            announcements.push(projection::Announcement::new(partition, last, decided));
        }
        let advance = projection::advance(&advances);
        let commit_time = work
            .flush(&tx, Vec::new(), vec![advance], announcements, End::Commit)
            .await?;
        let mut rejected = Some(rejected);
        Ok(Some(
            spans
                .iter()
                .zip(applied)
                .map(|(&(partition, _, last), applied)| {
                    let outcome = BatchOutcome::Committed {
                        last_offset: last,
                        applied,
                        failed: Vec::new(),
                        // Counted once, with the first partition.
                        rejected: rejected.take().unwrap_or_default(),
                        commit_time,
                    };
                    (partition, outcome)
                })
                .collect(),
        ))
    }
}
