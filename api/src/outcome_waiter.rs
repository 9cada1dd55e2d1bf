//! Waiting for the outcome of an appended command without a connection or a poll per waiter.
//!
//! One listener per API process receives the projector's "partition P applied up to offset O"
//! notifications and publishes them on one watch channel per partition. A waiter sleeps on
//! the channel of its partition until the watermark reaches its offset, then reads its outcome
//! by `commandId` — unless the batch that reached it said it accepted the waiter's record
//! ([`DecidedBatch`]): then it is accepted, with no read. If notifications are lost (the
//! listener reconnecting), waiters fall back to reading their outcome every `FALLBACK_POLL`.

use std::sync::Arc;
use std::time::Duration;

use event_log::Position;
use read_store::outcomes::{self, Outcome};
use read_store::projection::{DecidedBatch, APPLIED_CHANNEL, DECIDED_CHANNEL};
use read_store::{Store, StoreError};
use schema::CommandId;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// The partition's last batches whose decisions a waiter can still learn from the watermark.
/// A batch's waiters wake after its notification, by which time the partition's next batches
/// may have been told too (they are sent right behind one another): with only the last one
/// kept, 5 % of creates at 16 clients read their outcome and their agent back.
const RECENT_BATCHES: usize = 16;

/// How far a partition is applied, and what its last batches decided.
#[derive(Debug, Clone)]
struct Applied {
    offset: i64,
    /// The last batches' records, when told, oldest first (the last one ended at `offset`).
    batches: std::collections::VecDeque<Arc<DecidedBatch>>,
}

impl Applied {
    const NONE: Self = Self {
        offset: -1,
        batches: std::collections::VecDeque::new(),
    };

    /// `None` until `offset` is applied; then, if the batch that applied it told it accepted
    /// (no read needed), the sequence it gave the message the record posted, if any.
    fn reached(&self, offset: i64) -> Option<Option<Told>> {
        (self.offset >= offset).then(|| {
            let batch = self
                .batches
                .iter()
                .rev()
                .find(|b| (b.first..=b.last).contains(&offset))
                .filter(|b| b.accepted(offset))?;
            Some(Told {
                sequence: batch.sequence(offset),
            })
        })
    }
}

/// What the batch that accepted a record told of it.
#[derive(Debug, Clone, Copy)]
struct Told {
    sequence: Option<i64>,
}

/// A command's outcome, as its waiter learnt it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub outcome: Outcome,
    /// The batch that applied the waiter's own record said it accepted that record: the read
    /// models hold what this very record decided. `false` when the outcome was read by command
    /// id, which may be an earlier record's with the same id (the first attempt of an
    /// `Idempotency-Key` retry, issued at another time).
    pub this_record: bool,
    /// With `this_record`: the sequence the batch gave the message the record posted, if it
    /// posted one and the batch told it.
    pub sequence: Option<i64>,
}

#[derive(Clone)]
pub struct OutcomeWaiter {
    store: Store,
    watermarks: Arc<Vec<watch::Sender<Applied>>>,
    /// Bumped on every notification, whatever the partition (the activity tail waits on it).
    applied: Arc<watch::Sender<u64>>,
}

impl OutcomeWaiter {
    /// Starts the listener on `database_url` for a log of `partitions` partitions.
    pub fn start(
        database_url: String,
        store: Store,
        partitions: u32,
        shutdown: CancellationToken,
    ) -> Self {
        let mut listener = read_store::listener::Shared::default();
        let waiter = Self::through(&mut listener, store, partitions);
        tokio::spawn(listener.listen(database_url, shutdown.cancelled_owned()));
        waiter
    }

    /// Like [`Self::start`], on a listener shared with other roles of the process.
    pub fn through(
        listener: &mut read_store::listener::Shared,
        store: Store,
        partitions: u32,
    ) -> Self {
        let watermarks: Arc<Vec<_>> = Arc::new(
            (0..partitions)
                .map(|_| watch::channel(Applied::NONE).0)
                .collect(),
        );
        let applied = Arc::new(watch::channel(0u64).0);
        listener.on(
            &[DECIDED_CHANNEL, APPLIED_CHANNEL],
            on_notification(
                store.schema().to_owned(),
                watermarks.clone(),
                applied.clone(),
            ),
        );
        Self {
            store,
            watermarks,
            applied,
        }
    }

    /// Changes whenever the projector reports a committed batch, on any partition.
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// The outcome of `command`, appended at `position`, or `None` if it is not decided by
    /// `deadline`.
    pub async fn wait(
        &self,
        command: CommandId,
        position: Position,
        deadline: Instant,
    ) -> Result<Option<Decided>, StoreError> {
        let mut applied = self
            .watermarks
            .get(position.partition as usize)
            .map(|sender| sender.subscribe())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("partition {} out of range", position.partition))
            })?;
        let mut next_poll = Instant::now() + FALLBACK_POLL;
        loop {
            let reached = applied.borrow_and_update().reached(position.offset);
            if let Some(Some(told)) = reached {
                return Ok(Some(Decided {
                    outcome: Outcome::Accepted,
                    this_record: true,
                    sequence: told.sequence,
                }));
            }
            if reached.is_some() || Instant::now() >= next_poll {
                if let Some(decided) = self.read(command).await? {
                    return Ok(Some(decided));
                }
                next_poll = Instant::now() + FALLBACK_POLL;
            }
            // Wakes on: a newer watermark of the partition, the fallback poll, or the deadline.
            tokio::select! {
                changed = applied.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep_until(next_poll.min(deadline)).await;
                    }
                }
                _ = tokio::time::sleep_until(next_poll) => {}
                _ = tokio::time::sleep_until(deadline) => return self.read(command).await,
            }
        }
    }

    async fn read(&self, command: CommandId) -> Result<Option<Decided>, StoreError> {
        let outcome = outcomes::find(&self.store, command).await?;
        Ok(outcome.map(|outcome| Decided {
            outcome,
            this_record: false,
            sequence: None,
        }))
    }
}

/// Handles a notification of the projector's: moves its partition's watermark (and the count
/// the activity tail waits on).
fn on_notification(
    schema: String,
    watermarks: Arc<Vec<watch::Sender<Applied>>>,
    applied: Arc<watch::Sender<u64>>,
) -> impl FnMut(&str, &str) + Send + 'static {
    move |channel, payload| {
        if channel == DECIDED_CHANNEL {
            // Of a batch written where this process reads (not a rebuild's).
            if let Some(batch) = DecidedBatch::parse(payload).filter(|b| b.schema == schema) {
                publish_batch(&watermarks, batch);
            }
        } else {
            publish(&watermarks, payload);
            applied.send_modify(|count| *count = count.wrapping_add(1));
        }
    }
}

/// Applies a `partition:offset` payload to the watermarks.
fn publish(watermarks: &[watch::Sender<Applied>], payload: &str) {
    let Some((partition, offset)) = payload.split_once(':') else {
        return;
    };
    let (Ok(partition), Ok(offset)) = (partition.parse::<usize>(), offset.parse::<i64>()) else {
        return;
    };
    if let Some(sender) = watermarks.get(partition) {
        sender.send_if_modified(|current| {
            // What earlier batches told of their own records stays true.
            let newer = offset > current.offset;
            if newer {
                current.offset = offset;
            }
            newer
        });
    }
}

/// Applies a batch's notification (sent before its `partition:offset`, which then changes
/// nothing).
fn publish_batch(watermarks: &[watch::Sender<Applied>], batch: DecidedBatch) {
    if let Some(sender) = watermarks.get(batch.partition as usize) {
        sender.send_if_modified(|current| {
            let newer = batch.last > current.offset;
            if newer {
                current.offset = batch.last;
                if current.batches.len() == RECENT_BATCHES {
                    current.batches.pop_front();
                }
                current.batches.push_back(Arc::new(batch));
            }
            newer
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(first: i64, last: i64, to_read: &str) -> DecidedBatch {
        DecidedBatch::parse(&format!("readmodel 0 {first} {last} {to_read}")).expect("a payload")
    }

    /// A record's waiter that wakes after its batch's next ones were told still learns from
    /// its own batch that it was accepted (or that it must read its outcome).
    #[test]
    fn a_waiter_learns_its_outcome_from_its_batch_after_later_ones_were_told() {
        let watermarks = vec![watch::channel(Applied::NONE).0];
        publish_batch(&watermarks, batch(0, 2, "1"));
        publish_batch(&watermarks, batch(3, 4, ""));
        publish(&watermarks, "0:6");
        let applied = watermarks[0].borrow();
        assert!(matches!(applied.reached(0), Some(Some(_))), "accepted");
        assert!(matches!(applied.reached(1), Some(None)), "to read");
        assert!(matches!(applied.reached(4), Some(Some(_))), "accepted");
        assert!(matches!(applied.reached(5), Some(None)), "told by no batch");
        assert!(applied.reached(7).is_none(), "not applied yet");
    }
}
