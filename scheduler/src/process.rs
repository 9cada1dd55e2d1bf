//! The `scheduler` process: connect, serve health and metrics, run until shutdown.

use read_store::{Store, READ_MODEL_SCHEMA};
use tokio_util::sync::CancellationToken;

use crate::{HeartbeatMonitor, SchedulerConfig};

pub async fn run(config: SchedulerConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    let log = event_log::connect(config.event_log_url()).await?;
    let store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, 4)?;
    let readiness = {
        let store = store.clone();
        ops::admin_server::Readiness::new(move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        })
    };
    let metrics = ops::Metrics::new();
    let (admin_addr, _admin) =
        ops::admin_server::serve_admin(&config.admin_listen, metrics, readiness, shutdown.clone())
            .await?;
    tracing::info!(%admin_addr, "scheduler admin endpoints listening");
    HeartbeatMonitor::new(store, log, config.agent_offline_after)
        .run(shutdown)
        .await;
    Ok(())
}
