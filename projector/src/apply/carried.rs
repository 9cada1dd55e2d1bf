//! A partition's batches decided on the state its previous batch leaves in memory
//! (`read_store::projection::carried`) and sent in one round trip each — the next one before
//! the previous one's `COMMIT` is answered, on the same connection, right behind it.

use event_log::LogEntry;
use read_store::projection::{self, HandedOver, PipelinedTransaction, UnitOfWork, Writes};
use read_store::StoreError;
use schema::CommandRecord;

use super::{decide, BatchOutcome, Projection};

/// The connection a partition's batch in flight hands over once all its requests are on it.
pub type InTurn = tokio::sync::oneshot::Receiver<HandedOver>;

/// A batch decided on its partition's carried state, its writes built ([`Projection::prepare`]).
pub struct Prepared {
    partition: u32,
    last: i64,
    writes: Writes,
    applied: usize,
    rejected: Vec<&'static str>,
}

impl Projection {
    /// Decides `entries` on the state `partition`'s last batch left — committed, or only sent
    /// ([`Self::send`]): `None` if they do not continue it, are not all readable, or need a
    /// fact it lacks (the state stays). Otherwise their writes are built, and the state they
    /// leave becomes the partition's at once, so that the partition's next batch can be decided
    /// and sent before this one's `COMMIT` is answered. Every such batch writes a fresh token
    /// beside the checkpoint and advances it only from the offset and token the state belongs
    /// to: if a batch fails, the ones decided on what it left fail too, even when the checkpoint
    /// comes back to the same offset by other decisions (the failed batch applied again the
    /// usual way), and a failure forgets the partition's state. Synchronous: the projector's
    /// loop decides a partition's batches in their order.
    pub fn prepare(&self, partition: u32, entries: &[LogEntry]) -> Option<Prepared> {
        let from = entries.first()?.position.offset - 1;
        let continues = entries.iter().enumerate().all(|(i, entry)| {
            entry.position.offset == from + 1 + i as i64
                && entry.record.is_ok()
                && !self.is_skipped(entry)
        });
        if !continues {
            return None;
        }
        let carried = self.carried.take_at(partition, from)?;
        let records: Vec<&CommandRecord> = entries
            .iter()
            .filter_map(|entry| entry.record.as_ref().ok())
            .collect();
        let expected = carried.checkpoint();
        let mut work = match UnitOfWork::on_carried(carried, &records, self.outbox) {
            Ok(work) => work,
            Err(carried) => {
                self.carried.keep(partition, Some(carried));
                return None;
            }
        };
        let batch: Vec<_> = records.iter().copied().zip(from + 1..).collect();
        let last = from + batch.len() as i64;
        let (applied, announcement) = decide(&mut work, partition, &batch, last);
        let rejected = work.rejection_codes();
        // Sent first: the checkpoint's advance from where the carried state belongs (failing
        // the transaction if it moved), which takes the checkpoint's lock before any write.
        let token = projection::Checkpoint::fresh_token();
        let advance = projection::advance_from(partition, expected, last, token);
        let (writes, left) = work.into_writes(vec![advance], vec![announcement], last, token);
        self.carried.keep(partition, left);
        Some(Prepared {
            partition,
            last,
            writes,
            applied,
            rejected,
        })
    }

    /// Sends a batch [`Self::prepare`]d, in one round trip: `BEGIN`, the checkpoint's advance,
    /// the writes, `COMMIT`. If it fails, nothing of it is kept, and the partition's carried
    /// state is forgotten (it, or a later batch's built on it, would follow this one); the
    /// failure is counted and logged here, for the caller to apply the batch the usual way.
    pub async fn send(&self, prepared: Prepared) -> Result<BatchOutcome, StoreError> {
        let (next, _) = tokio::sync::oneshot::channel();
        self.send_in_turn(prepared, None, next).await
    }

    /// [`Self::send`] for a batch of a partition whose previous batch may still be in flight:
    /// sent on the connection that batch hands over (`after`, once all its requests are on it;
    /// `None`: none in flight, or committed already), so the server runs it right after that
    /// one — or, if that one's answers are all in by then, on a connection of its own; and its
    /// own connection handed over to `next` in turn. If the batch before fails before handing
    /// over, this one is not sent and fails too.
    pub async fn send_in_turn(
        &self,
        prepared: Prepared,
        after: Option<InTurn>,
        next: tokio::sync::oneshot::Sender<HandedOver>,
    ) -> Result<BatchOutcome, StoreError> {
        let sent = async {
            let before = match after {
                Some(after) => after
                    .await
                    .map_err(|_| {
                        StoreError::Corrupt("the batch before this one was not sent".to_owned())
                    })?
                    .upgrade(),
                None => None,
            };
            let connection = match before {
                Some(connection) => connection,
                None => std::sync::Arc::new(self.store.client().await?),
            };
            let tx = PipelinedTransaction::on(connection);
            tx.begin_then(prepared.writes.send_handing_over(&tx, next))
                .await
        };
        match sent.await {
            Ok(commit_time) => {
                self.carried.count(true);
                Ok(BatchOutcome::Committed {
                    last_offset: prepared.last,
                    applied: prepared.applied,
                    failed: Vec::new(),
                    rejected: prepared.rejected,
                    commit_time,
                })
            }
            Err(error) => {
                self.carried.count(false);
                self.carried.keep(prepared.partition, None);
                tracing::debug!(
                    partition = prepared.partition,
                    error = %error.detail(),
                    "a batch decided on its partition's carried state failed; applying it again"
                );
                Err(error)
            }
        }
    }

    /// Sends a batch [`Self::prepare`]d from `entries` in turn ([`Self::send_in_turn`]); if
    /// that fails, applies them again the usual way at once (reading everything afresh).
    pub async fn send_or_apply(
        &self,
        prepared: Prepared,
        entries: &[LogEntry],
        after: Option<InTurn>,
        next: tokio::sync::oneshot::Sender<HandedOver>,
    ) -> Result<BatchOutcome, StoreError> {
        let partition = prepared.partition;
        match self.send_in_turn(prepared, after, next).await {
            Ok(outcome) => Ok(outcome),
            Err(_) => self.apply_batch(partition, entries).await,
        }
    }
}
