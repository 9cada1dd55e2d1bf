//! Building and running the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{middleware, web, App, HttpServer};
use event_log::EventLog;
use read_store::{Store, READ_MODEL_SCHEMA};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::ApiConfig;
use crate::outcome_waiter::OutcomeWaiter;
use crate::state::AppState;
use crate::{console, request_context, routes};

/// Deletes idempotency keys past their 24 hours, every 10 minutes (any process may; the
/// statement is idempotent).
fn spawn_idempotency_expiry(store: Store, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let expired = async {
                let client = store.client().await?;
                read_store::idempotency::expire(&client).await
            };
            match expired.await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "expired idempotency keys"),
                Err(error) => tracing::warn!(%error, "cannot expire idempotency keys"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            }
        }
    });
}

/// CORS for the configured origins only (none: browsers get no CORS headers).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "x-request-id",
        ])
        .expose_headers([
            "x-request-id",
            "api-version",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "retry-after",
            "idempotent-replayed",
        ])
        .max_age(600);
    for origin in origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
    {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The most HTTP workers actix-web runs.
const MAX_WORKERS: usize = 512;

/// HTTP workers when none are configured: one per core, as actix-web counts them.
fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .min(MAX_WORKERS)
}

/// How `AGENFLEET_API_DB_POOL` read connections are shared out. Each HTTP worker (a thread
/// with a runtime of its own) gets a pool of its own: a connection's I/O runs as a task on the
/// runtime whose request opened it, so with one pool for all workers about half of a worker's
/// queries were written and answered by the other worker's thread — two wakeups across
/// threads per query (`GET /v1/agents/{id}` ran 18 % slower on average on two cores, and
/// its rate depended on which worker had opened which connections; docs/BENCHMARKS.md). The
/// process's own tasks keep an eighth (at least 2), each worker gets an equal share of the rest
/// (at least 1). A worker's requests cannot borrow another worker's idle connections: a burst
/// of slow queries on one worker waits for its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PoolSizes {
    background: usize,
    per_worker: usize,
}

impl PoolSizes {
    fn split(total: usize, workers: usize) -> Self {
        let background = total.div_ceil(8).max(2);
        let per_worker = total
            .saturating_sub(background)
            .div_ceil(workers.max(1))
            .max(1);
        Self {
            background,
            per_worker,
        }
    }
}

/// The workers' pools, one per worker thread.
struct WorkerStores {
    stores: Vec<Store>,
    /// Which pool each worker thread took.
    taken: std::sync::Mutex<std::collections::HashMap<std::thread::ThreadId, usize>>,
}

impl WorkerStores {
    fn new(stores: Vec<Store>) -> Arc<Self> {
        Arc::new(Self {
            stores,
            taken: Default::default(),
        })
    }

    /// The pool of the calling worker thread: the next one not taken on its first call.
    fn for_this_thread(&self) -> Store {
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = taken.len();
        let index = *taken.entry(std::thread::current().id()).or_insert(next);
        self.stores[index % self.stores.len()].clone()
    }
}

/// A started API: where it listens and the task that ends when it has stopped.
pub struct RunningApi {
    pub addr: SocketAddr,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds the API (port 0 allowed) and serves until `shutdown` fires, then finishes the
/// requests in flight within the shutdown timeout.
pub async fn serve(
    config: ApiConfig,
    log: Arc<dyn EventLog>,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningApi> {
    let metrics =
        ops::Metrics::for_process("api", event_log::backend_name(config.event_log_url())?);
    serve_with_metrics(config, log, shutdown, metrics).await
}

/// [`serve`], counting into `metrics` (a registry shared with the other roles of the process,
/// as in `agenfleet dev`); its `/metrics` shows all of it. Adds the pool's state (as pool
/// `api`) and the projector's progress.
pub async fn serve_with_metrics(
    config: ApiConfig,
    log: Arc<dyn EventLog>,
    shutdown: CancellationToken,
    metrics: ops::Metrics,
) -> anyhow::Result<RunningApi> {
    serve_with(config, log, shutdown, metrics, None).await
}

/// [`serve_with_metrics`], hearing the projector's notifications through `listener`, shared
/// with the other roles of the process (`agenfleet dev`), which starts it once every role is
/// on it.
pub async fn serve_through(
    config: ApiConfig,
    log: Arc<dyn EventLog>,
    shutdown: CancellationToken,
    metrics: ops::Metrics,
    listener: &mut read_store::listener::Shared,
) -> anyhow::Result<RunningApi> {
    serve_with(config, log, shutdown, metrics, Some(listener)).await
}

async fn serve_with(
    config: ApiConfig,
    log: Arc<dyn EventLog>,
    shutdown: CancellationToken,
    metrics: ops::Metrics,
    listener: Option<&mut read_store::listener::Shared>,
) -> anyhow::Result<RunningApi> {
    let workers = config.workers.unwrap_or_else(default_workers);
    anyhow::ensure!(
        (1..=MAX_WORKERS).contains(&workers),
        "AGENFLEET_API_WORKERS must be between 1 and {MAX_WORKERS}, not {workers}"
    );
    let pools = PoolSizes::split(config.db_pool, workers);
    // The process's own tasks (the outcome waiter's fallback reads, the live activity tail,
    // expiry, readiness) read through this one; requests through their worker's.
    let store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, pools.background)?;
    let worker_stores = WorkerStores::new(
        (0..workers)
            .map(|_| Store::connect(&config.database_url, READ_MODEL_SCHEMA, pools.per_worker))
            .collect::<Result<_, _>>()?,
    );
    let waiter = match listener {
        Some(listener) => OutcomeWaiter::through(listener, store.clone(), log.partitions()),
        None => OutcomeWaiter::start(
            config.database_url.clone(),
            store.clone(),
            log.partitions(),
            shutdown.clone(),
        ),
    };
    signals::watch_pool(
        &metrics,
        "api",
        std::iter::once(&store)
            .chain(&worker_stores.stores)
            .cloned()
            .collect(),
    );
    signals::watch_projection_progress(&metrics, store.clone(), log.clone());
    let readiness = {
        let store = store.clone();
        let log = log.clone();
        ops::admin_server::Readiness::new(move || {
            let store = store.clone();
            let log = log.clone();
            async move {
                store.ping().await.map_err(|e| format!("database: {e}"))?;
                log.ping().await.map_err(|e| format!("event log: {e}"))
            }
        })
    };
    let health = web::Data::new(
        ops::admin_server::HealthState::new(metrics.clone(), readiness)
            .with_shutdown(shutdown.clone()),
    );
    spawn_idempotency_expiry(store.clone(), shutdown.clone());
    let usage = std::sync::Arc::new(crate::key_usage::KeyUsage::default());
    // Answers of idempotent requests are written on a connection of their own too (as key
    // usage, below), and the last of them once the server has stopped.
    let answers_store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, 1)?;
    let answers_stop = CancellationToken::new();
    let (answers, answers_writer) =
        crate::kept_answers::KeptAnswers::start(answers_store, answers_stop.clone());
    let activity = crate::activity_stream::ActivityHub::start(
        store.clone(),
        waiter.applied(),
        shutdown.clone(),
    );
    let webhook_keys = config.webhook_keys()?;
    if webhook_keys.is_none() {
        tracing::warn!("AGENFLEET_SECRET_KEY is not set: creating webhooks answers 503");
    }
    let state = AppState {
        activity,
        usage: usage.clone(),
        answers,
        limits: Default::default(),
        leases: Default::default(),
        rate_limits: config.rate_limits,
        store: store.clone(),
        log,
        waiter,
        signals: crate::ops_signals::ApiSignals::new(&metrics),
        metrics,
        catalog: config.catalog()?,
        keys: Default::default(),
        sessions: Default::default(),
        command_timeout: config.command_timeout,
        webhook_keys,
        target_policy: webhooks::target::TargetPolicy {
            allow_private: config.allow_private_targets,
        },
    };
    let cors_origins = config.cors_origins.clone();
    // Called on each worker's thread as it starts (once per address bound): the worker's
    // requests read through a pool of their own — see `PoolSizes`.
    let server = HttpServer::new(move || {
        let state = AppState {
            store: worker_stores.for_this_thread(),
            ..state.clone()
        };
        App::new()
            .app_data(web::Data::new(state))
            .app_data(health.clone())
            .configure(ops::health_routes)
            .configure(routes::configure)
            .configure(console::configure)
            .default_service(web::to(routes::route_not_found))
            .wrap(cors(&cors_origins))
            .wrap(middleware::from_fn(request_context::middleware))
    })
    .disable_signals()
    .workers(workers)
    .shutdown_timeout(config.shutdown_timeout.as_secs());
    let server = server.bind(&config.listen)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no address bound"))?;
    // Key usage is flushed on a connection of its own, opened by the flusher's task: the
    // pool's connections run on the runtime of the HTTP worker that opened each, and those end
    // with the server, closing their connections under whoever holds one. The last flush runs
    // once the server has stopped, when every request's use is noted.
    let usage_store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, 1)?;
    let flush_stop = CancellationToken::new();
    let flusher = usage.start_flusher(usage_store, flush_stop.clone());
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(true).await;
    });
    tracing::info!(%addr, "API listening");
    Ok(RunningApi {
        addr,
        // Ends once the server has stopped and the last key usage and answers are written.
        task: tokio::spawn(async move {
            let stopped = server.await;
            flush_stop.cancel();
            answers_stop.cancel();
            let _ = tokio::join!(flusher, answers_writer);
            stopped
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::PoolSizes;

    /// The workers' pools and the process's own share `AGENFLEET_API_DB_POOL` between them:
    /// together never more than it, but for a worker's share rounded up and the minimums.
    #[test]
    fn the_read_connections_are_shared_out_among_the_workers() {
        let split = |total, workers| {
            let PoolSizes {
                background,
                per_worker,
            } = PoolSizes::split(total, workers);
            (background, per_worker)
        };
        assert_eq!(split(32, 2), (4, 14));
        assert_eq!(split(16, 2), (2, 7));
        assert_eq!(split(32, 1), (4, 28));
        assert_eq!(split(32, 3), (4, 10));
        assert_eq!(split(100, 4), (13, 22));
        for total in 1..200 {
            for workers in 1..20 {
                let (background, per_worker) = split(total, workers);
                let all = background + per_worker * workers;
                let rounding = workers - 1;
                assert!(
                    all <= total.max(2 + workers) + rounding,
                    "{total} over {workers} workers: {all}"
                );
                assert!(per_worker >= 1 && background >= 2);
            }
        }
    }
}
