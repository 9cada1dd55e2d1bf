//! Gauges read when `/metrics` is asked: a collector is an async closure that sets some
//! gauges (a queue's depth, the pool's state); [`Metrics::collect`] runs every collector, side
//! by side and each bounded by [`COLLECT_TIMEOUT`], before the registry is rendered. A scrape
//! nobody asks for costs nothing, and the figures are as fresh as the scrape.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::Metrics;

/// How long one collector may take; one that fails or takes longer leaves its gauges at their
/// last values and counts in `agenfleet_metrics_collect_failures_total`.
pub const COLLECT_TIMEOUT: Duration = Duration::from_secs(2);

type CollectFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

#[derive(Clone)]
pub(super) struct Collector {
    name: &'static str,
    collect: Arc<dyn Fn() -> CollectFuture + Send + Sync>,
}

impl Metrics {
    /// Registers `collect`, run before every render by [`Metrics::collect`]. `name` says which
    /// one failed in the log.
    pub fn add_collector<F, Fut>(&self, name: &'static str, collect: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.failures_counter();
        self.collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Collector {
                name,
                collect: Arc::new(move || Box::pin(collect()) as CollectFuture),
            });
    }

    /// Runs every collector (side by side, each within [`COLLECT_TIMEOUT`]).
    pub async fn collect(&self) {
        let collectors = self
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if collectors.is_empty() {
            return;
        }
        let mut running = tokio::task::JoinSet::new();
        for collector in collectors {
            running.spawn(async move {
                let outcome = tokio::time::timeout(COLLECT_TIMEOUT, (collector.collect)()).await;
                (collector.name, outcome)
            });
        }
        while let Some(joined) = running.join_next().await {
            let failure = match joined {
                Ok((_, Ok(Ok(())))) => continue,
                Ok((name, Ok(Err(error)))) => format!("{name}: {error}"),
                Ok((name, Err(_))) => format!("{name}: no answer within {COLLECT_TIMEOUT:?}"),
                Err(error) => format!("a collector failed: {error}"),
            };
            tracing::debug!(%failure, "cannot collect metrics");
            self.failures_counter().inc();
        }
    }

    fn failures_counter(&self) -> super::Counter {
        self.counter(
            "agenfleet_metrics_collect_failures_total",
            "Scrapes that could not read a gauge collected at scrape time (it kept its last value)",
        )
    }
}
