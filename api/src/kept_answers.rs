//! Answers of idempotent requests, kept after their responses went out: off the request's
//! path, and gathered. Each API process queues them; one task writes what gathered over
//! [`GATHER`] in one statement, on a connection of its own (the HTTP workers' runtimes, and the
//! connections they opened, end with the server), and writes whatever is still queued once the
//! server has stopped, so a graceful stop keeps every answer it sent.
//!
//! A request with the key that arrives before its answer is stored waits for it
//! (`read_store::idempotency::ANSWER_GRACE`). An answer lost all the same (Postgres away for
//! every attempt, the process killed) leaves its key claimed until its lock runs out; the retry
//! then derives the same command, which the projector decided once.

use std::time::Duration;

use read_store::idempotency::{self, Answer};
use read_store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long the writer waits, after an answer arrives, for others to share its statement.
/// With keys on every write (2 cores, 16 clients) a statement then stores about ten answers
/// instead of two: a fifth of the statements and transactions, and 8 % more keyed writes per
/// second (docs/BENCHMARKS.md).
pub const GATHER: Duration = Duration::from_millis(3);
/// Answers stored by one statement at most.
const MAX_PER_STATEMENT: usize = 256;
/// Attempts to store answers before they are given up, and the pause between two.
const ATTEMPTS: u32 = 4;
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Where a request's answer goes to be kept.
#[derive(Clone)]
pub struct KeptAnswers {
    queue: mpsc::UnboundedSender<Answer>,
}

impl KeptAnswers {
    /// Starts the writer on the current runtime; it stores every answer queued before `stop`
    /// fires, and ends.
    pub fn start(store: Store, stop: CancellationToken) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, answers) = mpsc::unbounded_channel();
        (Self { queue }, tokio::spawn(write(store, answers, stop)))
    }

    /// Queues `answer` to be stored.
    pub fn keep(&self, answer: Answer) {
        if self.queue.send(answer).is_err() {
            tracing::warn!("the answer of an idempotent request came after the writer stopped");
        }
    }
}

async fn write(
    store: Store,
    mut answers: mpsc::UnboundedReceiver<Answer>,
    stop: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            // Once stopping, straight to writing whatever is queued.
            biased;
            () = stop.cancelled() => None,
            first = answers.recv() => first,
        };
        let stopping = first.is_none();
        if !stopping {
            tokio::select! {
                () = tokio::time::sleep(GATHER) => {}
                () = stop.cancelled() => {}
            }
        }
        let mut batch: Vec<Answer> = first.into_iter().collect();
        loop {
            while batch.len() < MAX_PER_STATEMENT {
                match answers.try_recv() {
                    Ok(answer) => batch.push(answer),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            store_all(&store, &batch).await;
            batch.clear();
            if !stopping {
                break;
            }
        }
        if stopping {
            return;
        }
    }
}

/// Stores `batch`, trying again a few times while Postgres is away.
async fn store_all(store: &Store, batch: &[Answer]) {
    for attempt in 1..=ATTEMPTS {
        let result = async {
            // A lookup connection: the statement runs on a generic plan there (an index lookup
            // per answer, checked by `lookup_plans`); planned afresh for each statement it cost
            // the server more than running it.
            let client = store.lookup_client().await?;
            idempotency::complete(&client, batch).await
        }
        .await;
        match result {
            Ok(()) => return,
            Err(error) if attempt < ATTEMPTS => {
                tracing::debug!(%error, attempt, "cannot store answers of idempotent requests yet");
                tokio::time::sleep(RETRY_AFTER).await;
            }
            Err(error) => tracing::warn!(
                %error,
                answers = batch.len(),
                "cannot store the answers of idempotent requests; their keys stay claimed until their locks run out"
            ),
        }
    }
}
