//! The `projector` process: connect, serve health and metrics, run until shutdown.

use event_log::ConsumerOptions;
use read_store::{Store, READ_MODEL_SCHEMA};
use tokio_util::sync::CancellationToken;

use crate::{Projection, Projector, ProjectorConfig};

/// The read store's connections: one per batch in flight, a few partitions' batches at once.
pub const POOL_SIZE: usize = 4;

pub async fn run(config: ProjectorConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    // Beside the read models: a Kafka log's consumers share its partitions in that database.
    let log = event_log::connect_beside(config.event_log_url(), &config.database_url).await?;
    let store = Store::connect(&config.database_url, READ_MODEL_SCHEMA, POOL_SIZE)?;
    let metrics = ops::Metrics::for_process(
        "projector",
        event_log::backend_name(config.event_log_url())?,
    );
    let readiness = {
        let store = store.clone();
        let log = log.clone();
        ops::admin_server::Readiness::new(move || {
            let store = store.clone();
            let log = log.clone();
            async move {
                store.ping().await.map_err(|e| e.to_string())?;
                log.ping().await.map_err(|e| e.to_string())
            }
        })
    };
    signals::watch_pool(&metrics, "projector", vec![store.clone()]);
    signals::watch_projection_progress(&metrics, store.clone(), log.clone());
    let (admin_addr, _admin) = ops::admin_server::serve_admin(
        &config.admin_listen,
        metrics.clone(),
        readiness,
        shutdown.clone(),
    )
    .await?;
    tracing::info!(%admin_addr, "projector admin endpoints listening");
    let options = ConsumerOptions {
        max_batch: config.batch_size,
        instance: config.instance_id.clone(),
        ..ConsumerOptions::default()
    };
    Projector::with_metrics(Projection::new(store), log, options, &metrics)
        .run(shutdown)
        .await
}
