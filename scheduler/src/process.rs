//! The `scheduler` process: connect, serve health and metrics, run until shutdown.

use read_store::{Store, READ_MODEL_SCHEMA};
use tokio_util::sync::CancellationToken;

use crate::{CronScheduler, HeartbeatMonitor, SchedulerConfig};

/// The read store's connections, shared by the cron scheduler, the heartbeat monitor and
/// retention.
pub const POOL_SIZE: usize = 4;

pub async fn run(config: SchedulerConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    config.retention().validate()?;
    let log = event_log::connect_beside(config.event_log_url(), &config.database_url).await?;
    let store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, POOL_SIZE)?;
    let readiness = {
        let store = store.clone();
        ops::admin_server::Readiness::new(move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        })
    };
    let metrics = ops::Metrics::for_process(
        "scheduler",
        event_log::backend_name(config.event_log_url())?,
    );
    signals::watch_pool(&metrics, "scheduler", vec![store.clone()]);
    let jobs_changed = wake_on_job_changes(config.database_url.clone(), shutdown.clone());
    let cron = CronScheduler::with_metrics(store.clone(), log.clone(), config.cron(), &metrics);
    let retention = crate::Retention::new(store.clone(), config.retention(), &metrics);
    let monitor = HeartbeatMonitor::with_metrics(store, log, config.agent_offline_after, &metrics);
    let (admin_addr, _admin) =
        ops::admin_server::serve_admin(&config.admin_listen, metrics, readiness, shutdown.clone())
            .await?;
    tracing::info!(%admin_addr, "scheduler admin endpoints listening");
    let cron = tokio::spawn(cron.run(jobs_changed, shutdown.clone()));
    let retention = tokio::spawn(retention.run(shutdown.clone()));
    monitor.run(shutdown).await;
    let _ = cron.await;
    let _ = retention.await;
    Ok(())
}

/// Woken whenever the projector commits a batch that changed cron jobs (one may be due
/// sooner). Not on every batch: under write load that would scan for due fires hundreds of
/// times a second.
pub fn wake_on_job_changes(
    database_url: String,
    shutdown: CancellationToken,
) -> std::sync::Arc<tokio::sync::Notify> {
    let mut listener = read_store::listener::Shared::default();
    let changed = wake_on_job_changes_through(&mut listener);
    tokio::spawn(listener.listen(database_url, shutdown.cancelled_owned()));
    changed
}

/// Like [`wake_on_job_changes`], on a listener shared with other roles of the process.
pub fn wake_on_job_changes_through(
    listener: &mut read_store::listener::Shared,
) -> std::sync::Arc<tokio::sync::Notify> {
    let changed = std::sync::Arc::new(tokio::sync::Notify::new());
    let wake = changed.clone();
    listener.on(&[read_store::cron::JOBS_CHANNEL], move |_, _| {
        wake.notify_one()
    });
    changed
}
