//! Lookups by key that arrive together share one query.
//!
//! Under load, many requests each read one row by its key at the same moment. Alone, each
//! lookup costs Postgres a round trip, a bind and an executor start, and costs both processes
//! a wakeup and a few system calls: on two cores, that cost and not the index lookup itself
//! bounded `GET /v1/agents/{id}` (docs/BENCHMARKS.md). A [`Batcher`] queues the keys and runs
//! at most [`IN_FLIGHT`] queries at a time, each for every key queued when it starts (up to
//! [`MAX_KEYS`]): a lookup that finds no query running starts one at once, so nothing waits
//! for a timer; lookups that arrive while queries run share the next one.
//!
//! Every query starts after each lookup in it was asked for, so a lookup sees every write
//! committed before it was asked for, as a lookup of its own would (read-your-writes). A query
//! that fails, or whose task is dropped, answers none of its lookups: each caller then runs
//! its lookup alone, so that a key that makes a query fail fails only its own caller, and each
//! caller meets the error (and status) of its own lookup.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use deadpool_postgres::Pool;
use tokio::sync::oneshot;

use crate::StoreError;

/// Queries of one kind running at once. On the benchmark machine (2 cores, 16 clients of
/// `GET /v1/agents/{id}`) 1, 2, 4 and 8 gave 0.44, 0.51, 0.42 and 0.48 of `pgbench -S`: more
/// queries at once only make each one smaller. Each query looks up to [`MAX_KEYS`] keys, so two
/// are far from a bound on a larger machine.
pub const IN_FLIGHT: usize = 2;

/// Keys one query looks up at most.
pub const MAX_KEYS: usize = 64;

/// One kind of lookup by key, run for many keys in one query.
pub trait Lookup: Send + Sync + 'static {
    type Key: Clone + Eq + Hash + Send + Sync + 'static;
    type Row: Clone + Send + 'static;

    /// The rows found for `keys` (distinct), each with the index of its key in `keys`.
    fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<Vec<(usize, Self::Row)>, StoreError>> + Send;
}

/// The tenants and the ids of `(tenant, id)` keys, as the two text arrays of a lookup by them.
pub(crate) fn key_arrays<I: std::fmt::Display>(
    keys: &[(schema::TenantId, I)],
) -> (Vec<String>, Vec<String>) {
    keys.iter()
        .map(|(tenant, id)| (tenant.to_string(), id.to_string()))
        .unzip()
}

/// Runs `statement`, a join of the keys' `unnest(…) WITH ORDINALITY AS w(…, n)` (the keys'
/// arrays as `params`) selecting `w.n` among its columns, and reads each row with `read`, with
/// the index of its key.
pub(crate) async fn fetch_rows<R>(
    client: &deadpool_postgres::Client,
    statement: &str,
    params: &[&(dyn postgres_types::ToSql + Sync)],
    read: impl Fn(&tokio_postgres::Row) -> Result<R, StoreError>,
) -> Result<Vec<(usize, R)>, StoreError> {
    let statement = client.prepare_cached(statement).await?;
    let rows = client.query(&statement, params).await?;
    rows.iter()
        .map(|row| {
            let n: i64 = row.get("n");
            let index = usize::try_from(n - 1)
                .map_err(|_| StoreError::Corrupt(format!("key ordinal {n}")))?;
            Ok((index, read(row)?))
        })
        .collect()
}

/// Gathers lookups of one kind into shared queries on a pool's connections.
pub struct Batcher<L: Lookup> {
    shared: Arc<Shared<L>>,
}

impl<L: Lookup> Clone for Batcher<L> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<L: Lookup> {
    pool: Pool,
    state: Mutex<State<L>>,
}

/// Where a lookup's answer goes: its row, or `None` when its key has none.
type Answer<L> = oneshot::Sender<Option<<L as Lookup>::Row>>;

struct State<L: Lookup> {
    queue: Vec<(L::Key, Answer<L>)>,
    /// Tasks running queries (at most [`IN_FLIGHT`]); each takes the queue's next keys until
    /// it finds the queue empty.
    runners: usize,
}

impl<L: Lookup> Batcher<L> {
    pub fn new(pool: Pool) -> Self {
        Self {
            shared: Arc::new(Shared {
                pool,
                state: Mutex::new(State {
                    queue: Vec::new(),
                    runners: 0,
                }),
            }),
        }
    }

    /// The row of `key`, looked up in the next query of this kind; when that query fails,
    /// looked up alone, so that the error is this lookup's own. Must be called within a Tokio
    /// runtime: a query is run by a task spawned on it.
    pub async fn get(&self, key: L::Key) -> Result<Option<L::Row>, StoreError> {
        if let Ok(row) = self.shared(key.clone()).await {
            return Ok(row);
        }
        let client = self.shared.pool.get().await?;
        let rows = L::fetch(&client, std::slice::from_ref(&key)).await?;
        Ok(rows.into_iter().next().map(|(_, row)| row))
    }

    /// The row of `key` from a shared query, or `Err` when that query failed or was dropped.
    async fn shared(&self, key: L::Key) -> Result<Option<L::Row>, oneshot::error::RecvError> {
        let (sender, receiver) = oneshot::channel();
        let start_runner = {
            let mut state = self.shared.lock();
            state.queue.push((key, sender));
            let start = state.runners < IN_FLIGHT;
            if start {
                state.runners += 1;
            }
            start
        };
        if start_runner {
            let runner = Runner {
                shared: Arc::clone(&self.shared),
                done: false,
            };
            tokio::spawn(runner.run());
        }
        receiver.await
    }
}

impl<L: Lookup> Shared<L> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<L>> {
        // The lock guards no invariant a panic could break half-way: a poisoned one is fine.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A task running queries until it finds the queue empty. Dropped before that (its runtime
/// stopping), it gives up its place, and the last runner to go drops the lookups still
/// queued: their callers run them alone rather than wait for a runner that will not come.
struct Runner<L: Lookup> {
    shared: Arc<Shared<L>>,
    done: bool,
}

impl<L: Lookup> Runner<L> {
    async fn run(mut self) {
        loop {
            let batch = {
                let mut state = self.shared.lock();
                if state.queue.is_empty() {
                    state.runners -= 1;
                    self.done = true;
                    return;
                }
                let take = state.queue.len().min(MAX_KEYS);
                state.queue.drain(..take).collect::<Vec<_>>()
            };
            self.answer(batch).await;
        }
    }

    /// Runs one query for `batch` and answers each of its lookups; on failure answers none.
    async fn answer(&self, batch: Vec<(L::Key, Answer<L>)>) {
        let mut keys: Vec<L::Key> = Vec::with_capacity(batch.len());
        let mut waiting: HashMap<L::Key, Vec<Answer<L>>> = HashMap::with_capacity(batch.len());
        for (key, sender) in batch {
            waiting
                .entry(key.clone())
                .or_insert_with(|| {
                    keys.push(key);
                    Vec::new()
                })
                .push(sender);
        }
        let rows = match self.shared.pool.get().await {
            Ok(client) => L::fetch(&client, &keys).await,
            Err(error) => Err(error.into()),
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                // Each caller now runs its lookup alone and answers with its own error.
                tracing::debug!(
                    keys = keys.len(),
                    "a shared lookup failed: {}",
                    error.detail()
                );
                return;
            }
        };
        for (index, row) in rows {
            let Some(key) = keys.get(index) else { continue };
            for sender in waiting.remove(key).unwrap_or_default() {
                let _ = sender.send(Some(row.clone()));
            }
        }
        for sender in waiting.into_values().flatten() {
            let _ = sender.send(None);
        }
    }
}

impl<L: Lookup> Drop for Runner<L> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.shared.lock();
        state.runners -= 1;
        if state.runners == 0 {
            state.queue.clear();
        }
    }
}
