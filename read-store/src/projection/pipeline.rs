//! Sending several statements in one round trip: prepare each (cached after the first time),
//! then issue every execute before awaiting any. tokio-postgres sends requests in the order
//! their futures are first polled, so the server runs them in the order given; their answers
//! are checked in that order too (see [`super::in_send_order`]). Consecutive inserts from
//! arrays go as one statement when the caller asks ([`super::fold`]).

use std::time::{Duration, Instant};

use futures::future::{try_maybe_done, BoxFuture, TryMaybeDone};
use futures::FutureExt;
use postgres_types::ToSql;

use super::checkpoint::{Announcement, ANNOUNCE_BEGIN};
use super::transaction::PipelinedTransaction;
use crate::StoreError;

pub type Param = Box<dyn ToSql + Sync + Send>;

pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Param>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Param>) -> Self {
        Self { sql, params }
    }

    /// The parameters, as tokio-postgres takes them.
    pub(super) fn param_refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// Sent before a run of statements planned once per connection (generic plans): the inserts from
/// arrays ([`super::flush::INSERTS_FROM_ARRAYS`]), which read no table — their rows come from
/// the batch's arrays and their conflicts are found through the arbiter index — so no plan of
/// theirs can scan a growing table, and planning each cost about a third of running it; and the
/// checkpoint's advance and announcement ([`super::checkpoint::ON_GENERIC_PLANS`]).
const GENERIC_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";
/// Sent before a run of other statements: planned afresh, as the connection plans.
const CUSTOM_PLANS: &str = "SET LOCAL plan_cache_mode TO DEFAULT";

/// How a run of statements ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The transaction stays open.
    Open,
    /// `COMMIT`, sent right after the statements.
    Commit,
    /// `ROLLBACK`, sent right after the statements (a trial).
    Rollback,
}

/// Runs `statements` in one round trip, then ends the transaction as `end` says, in the same
/// round trip. Returns the time between the statements' last answer and the end's (the disk
/// flush of a commit).
///
/// `announce`, the batch's notifications ([`super::checkpoint::Announcement`]), is sent right
/// after a `COMMIT`, in the same round trip, as a transaction of its own: it notifies only if
/// the commit went through, and it keeps the batch's transaction free of notifications, whose
/// cluster-wide lock would otherwise be held through the batch's WAL flush. A transaction left
/// open sends it inside (delivered at its commit); a rollback drops it. After a `COMMIT` this
/// returns once the `COMMIT` is answered, without waiting for the announcement's answers
/// ([`announce_after_commit`]); a failure to announce is logged, not returned: the batch is
/// committed, and waiters find it by their fallback read.
///
/// `COMMIT` is sent only once every statement before it was sent: a statement that fails
/// before it is sent (a parameter that cannot be encoded) would otherwise be left out of a
/// committed transaction. One that the server fails aborts the transaction, and the `COMMIT`
/// after it then rolls back.
pub async fn execute_all(
    tx: &PipelinedTransaction,
    statements: &[Statement],
    end: End,
    announce: &[Announcement],
    fold: bool,
) -> Result<Duration, StoreError> {
    execute_all_then(tx, statements, end, announce, fold, || {}).await
}

/// [`execute_all`], calling `sent` once every request (the end and the announcement included)
/// is on the connection, before any answer is awaited: what is sent on the connection after
/// that runs after all of it. Not called if something fails before then.
pub(super) async fn execute_all_then(
    tx: &PipelinedTransaction,
    statements: &[Statement],
    end: End,
    announce: &[Announcement],
    fold: bool,
    sent: impl FnOnce(),
) -> Result<Duration, StoreError> {
    let (inside, after_commit) = match end {
        End::Open => (Announcement::statement(announce), None),
        End::Commit => (None, Announcement::statement(announce)),
        End::Rollback => (None, None),
    };
    let statements: Vec<&Statement> = statements.iter().chain(&inside).collect();
    let units = super::fold::fold(&statements, fold);
    let mut prepared = Vec::with_capacity(units.len());
    for unit in &units {
        prepared.push(tx.prepare_cached(unit.sql).await?);
    }
    let announcing = match &after_commit {
        Some(statement) => Some(tx.prepare_cached(statement.sql).await?),
        None => None,
    };
    type Sent<'a> = TryMaybeDone<BoxFuture<'a, Result<(), tokio_postgres::Error>>>;
    let mut requests: Vec<Sent> = Vec::with_capacity(units.len() + 2);
    let mut generic = false;
    for (unit, prepared) in units.into_iter().zip(&prepared) {
        if unit.generic != generic {
            generic = unit.generic;
            let setting = if generic { GENERIC_PLANS } else { CUSTOM_PLANS };
            requests.push(try_maybe_done(Box::pin(tx.batch_execute(setting))));
        }
        let params = unit.params;
        requests.push(try_maybe_done(Box::pin(async move {
            tx.execute(prepared, &params).await.map(|_| ())
        })));
    }
    if generic && end == End::Open {
        // What follows in the transaction (the checkpoint's advance) plans as the connection.
        requests.push(try_maybe_done(Box::pin(tx.batch_execute(CUSTOM_PLANS))));
    }
    if let Err((failed, error)) = send_each(&mut requests).await {
        // The statements before it were sent; one the server failed is the cause.
        return Err(first_error(&mut requests[..failed])
            .await
            .unwrap_or(error)
            .into());
    }
    let mut finish = match end {
        End::Open => None,
        End::Commit => Some(try_maybe_done(tx.batch_execute("COMMIT").boxed())),
        End::Rollback => Some(try_maybe_done(tx.batch_execute("ROLLBACK").boxed())),
    };
    if let Some(finish) = &mut finish {
        if let Err((_, error)) = send_each(std::slice::from_mut(finish)).await {
            return Err(first_error(&mut requests).await.unwrap_or(error).into());
        }
        // Sent: the server ends the transaction whatever is answered (a COMMIT after a failed
        // statement rolls back), so nothing is left to roll back on drop.
        tx.ended();
    }
    // Sent after the COMMIT (the server runs it once the commit is done), not waited for.
    if let (Some(statement), Some(prepared)) = (after_commit, announcing) {
        announce_after_commit(tx, statement, prepared).await;
    }
    sent();
    if let Some(error) = first_error(&mut requests).await {
        return Err(error.into());
    }
    let answered = Instant::now();
    if let Some(finish) = finish {
        finish.await?;
    }
    Ok(answered.elapsed())
}

/// Sends `statement` (the batch's announcement, prepared as `prepared`) right behind the
/// batch's `COMMIT`, in a transaction of its own ([`ANNOUNCE_BEGIN`] … `COMMIT`), and leaves its
/// answers to a task of its own, which logs a failure. The batch is done once its `COMMIT` is
/// answered: the partition's next batch need not wait for the announcement's three answers
/// (about 0.3 ms of a 3 ms batch at 16 clients, docs/BENCHMARKS.md). The task holds the
/// connection until they are in, so it goes back to the pool outside a transaction.
async fn announce_after_commit(
    tx: &PipelinedTransaction,
    statement: Statement,
    prepared: tokio_postgres::Statement,
) {
    let client = tx.connection();
    let mut announcing = Box::pin(async move {
        let params = statement.param_refs();
        // Sent in this order when first polled (`join!` polls in order), the `COMMIT` whatever
        // happens to the two before it.
        let (begun, announced, ended) = futures::join!(
            client.batch_execute(ANNOUNCE_BEGIN),
            client.execute(&prepared, &params),
            client.batch_execute("COMMIT"),
        );
        if let Err(error) = begun.and(announced.map(drop)).and(ended) {
            tracing::warn!(%error, "a committed batch could not announce itself; waiters read it after their fallback delay");
        }
    });
    // Polled once here, which sends all three; answered in the background.
    if futures::poll!(announcing.as_mut()).is_pending() {
        tokio::spawn(announcing);
    }
}

/// Polls each request once, in order, which sends it; stops at the first that fails at once
/// (before or while being sent, or already answered: see [`super::in_send_order`]) and returns
/// its index with the error. Answers are awaited later.
async fn send_each<F>(requests: &mut [TryMaybeDone<F>]) -> Result<(), (usize, F::Error)>
where
    F: futures::TryFuture + Unpin,
{
    use std::task::Poll;
    futures::future::poll_fn(|cx| {
        for (index, request) in requests.iter_mut().enumerate() {
            if let Poll::Ready(Err(error)) = request.poll_unpin(cx) {
                return Poll::Ready(Err((index, error)));
            }
        }
        Poll::Ready(Ok(()))
    })
    .await
}

/// Awaits the answers of sent requests in the order they were sent and returns the first error
/// (see [`super::in_send_order`] for why not the first to be ready).
async fn first_error<F>(requests: &mut [TryMaybeDone<F>]) -> Option<F::Error>
where
    F: futures::TryFuture + Unpin,
{
    for request in requests {
        if let Err(error) = request.await {
            return Some(error);
        }
    }
    None
}
