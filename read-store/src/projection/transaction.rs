//! The projector's transaction, whose `BEGIN` travels with its first statements and whose
//! `COMMIT` with its last ones.
//!
//! tokio-postgres's `Client::transaction` waits for `BEGIN`'s answer before anything else can
//! be sent, and `Transaction::commit` is sent only after the writes were answered: two round
//! trips of their own per batch, on the path every command of a partition waits on in turn.
//! Here `BEGIN` is sent right before the checkpoint's lock and the prefetch, and `COMMIT` right
//! after the batch's writes (see [`super::pipeline::execute_all`] for why that cannot commit a
//! part of them).

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use deadpool_postgres::{ClientWrapper, Object};
use futures::FutureExt;

use super::in_send_order::InSendOrder;
use crate::StoreError;

/// A pooled connection, shared by what is sent on it and not yet answered.
pub type SharedConnection = Arc<Object>;

/// A batch's connection as handed over to the batch sent behind it: usable only while the
/// batch before still has something to be answered on it (then what is sent on it runs right
/// after that batch). A hand-over holds no pool slot: one that waits for a batch that never
/// comes (its partition went idle, or the batch before failed and is applied again the usual
/// way, needing a connection of its own) keeps nothing from the others.
pub type HandedOver = Weak<Object>;

/// A transaction on a pooled connection. Dropped while open (an error, a batch that turns out
/// to have nothing to write, or its future dropped), it sends `ROLLBACK` before the connection
/// goes back to the pool, as tokio-postgres's own transaction does: the next user's statements
/// run after it, and nobody waits for its answer.
pub struct PipelinedTransaction {
    /// Shared with what is still to be answered once the transaction has ended (the batch's
    /// announcement, [`Self::connection`]): the connection goes back to the pool when both are
    /// done with it.
    client: Arc<Object>,
    /// `BEGIN` was sent and neither `COMMIT` nor `ROLLBACK` since.
    open: AtomicBool,
}

impl PipelinedTransaction {
    /// A transaction on `client`; nothing is sent until [`Self::begin_then`].
    pub fn new(client: Object) -> Self {
        Self::on(Arc::new(client))
    }

    /// A transaction on a connection others may still be sending on (see
    /// [`super::Writes::send_handing_over`]): what it sends goes after what they sent.
    pub fn on(client: SharedConnection) -> Self {
        Self {
            client,
            open: AtomicBool::new(false),
        }
    }

    /// Sends `BEGIN`, then the statements of `first` in the same round trip. (`first` must not
    /// send anything before it is first polled, as an `async` block or function does not.)
    pub async fn begin_then<T>(
        &self,
        first: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.open.store(true, Ordering::Release);
        let begin = async {
            self.client
                .batch_execute("BEGIN")
                .await
                .map_err(StoreError::from)
        };
        let ((), first) = futures::join!(begin, first).in_send_order()?;
        Ok(first)
    }

    /// Commits, in a round trip of its own; returns the time it took (the disk flush).
    pub async fn commit(self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        self.client.batch_execute("COMMIT").await?;
        self.ended();
        Ok(started.elapsed())
    }

    /// The connection, for requests sent after the transaction has ended whose answers are read
    /// after it is dropped: it goes back to the pool only once they are done with it, so the
    /// next user never finds it inside a transaction they opened, nor waits behind them.
    pub(super) fn connection(&self) -> SharedConnection {
        Arc::clone(&self.client)
    }

    /// Marks the transaction ended: `COMMIT` or `ROLLBACK` was sent.
    pub(super) fn ended(&self) {
        self.open.store(false, Ordering::Release);
    }
}

impl Deref for PipelinedTransaction {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        &self.client
    }
}

impl Drop for PipelinedTransaction {
    fn drop(&mut self) {
        if *self.open.get_mut() {
            // Polled once: that sends the request (tokio-postgres sends on the first poll);
            // its answer is read and dropped by the connection.
            let _ = self.client.batch_execute("ROLLBACK").now_or_never();
        }
    }
}
