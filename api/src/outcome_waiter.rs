//! Waiting for the outcome of an appended command without a connection or a poll per waiter.
//!
//! One listener per API process receives the projector's "partition P applied up to offset O"
//! notifications and publishes them on one watch channel per partition. A waiter sleeps on
//! the channel of its partition until the watermark reaches its offset, then reads its outcome
//! by `commandId`. If notifications are lost (the listener reconnecting), waiters fall back to
//! reading their outcome every `FALLBACK_POLL`.

use std::sync::Arc;
use std::time::Duration;

use event_log::Position;
use read_store::outcomes::{self, Outcome};
use read_store::projection::APPLIED_CHANNEL;
use read_store::{Store, StoreError};
use schema::CommandId;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const FALLBACK_POLL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct OutcomeWaiter {
    store: Store,
    watermarks: Arc<Vec<watch::Sender<i64>>>,
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
        let watermarks: Arc<Vec<_>> =
            Arc::new((0..partitions).map(|_| watch::channel(-1i64).0).collect());
        let applied = Arc::new(watch::channel(0u64).0);
        tokio::spawn(listen(
            database_url,
            watermarks.clone(),
            applied.clone(),
            shutdown,
        ));
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

    /// The outcome of `command`, or `None` if it is not decided by `deadline`.
    pub async fn wait(
        &self,
        command: CommandId,
        position: Position,
        deadline: Instant,
    ) -> Result<Option<Outcome>, StoreError> {
        let mut applied = self
            .watermarks
            .get(position.partition as usize)
            .map(|sender| sender.subscribe())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("partition {} out of range", position.partition))
            })?;
        let mut next_poll = Instant::now() + FALLBACK_POLL;
        loop {
            let reached = *applied.borrow_and_update() >= position.offset;
            if reached || Instant::now() >= next_poll {
                if let Some(outcome) = self.read(command).await? {
                    return Ok(Some(outcome));
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

    async fn read(&self, command: CommandId) -> Result<Option<Outcome>, StoreError> {
        outcomes::find(&self.store, command).await
    }
}

/// Keeps one LISTEN connection open until shutdown, reconnecting after failures.
async fn listen(
    database_url: String,
    watermarks: Arc<Vec<watch::Sender<i64>>>,
    applied: Arc<watch::Sender<u64>>,
    shutdown: CancellationToken,
) {
    read_store::listener::listen(
        database_url,
        APPLIED_CHANNEL,
        shutdown.cancelled_owned(),
        |payload| {
            publish(&watermarks, payload);
            applied.send_modify(|count| *count = count.wrapping_add(1));
        },
    )
    .await
}

/// Applies a `partition:offset` payload to the watermarks.
fn publish(watermarks: &[watch::Sender<i64>], payload: &str) {
    let Some((partition, offset)) = payload.split_once(':') else {
        return;
    };
    let (Ok(partition), Ok(offset)) = (partition.parse::<usize>(), offset.parse::<i64>()) else {
        return;
    };
    if let Some(sender) = watermarks.get(partition) {
        sender.send_if_modified(|current| {
            let newer = offset > *current;
            if newer {
                *current = offset;
            }
            newer
        });
    }
}
