//! The webhook dispatcher: will claim due delivery rows from the outbox the projector writes
//! and send them signed, with retries (the webhooks issue). Today it is the process shell
//! operators deploy: configuration, health, metrics and graceful shutdown, with no deliveries
//! to make because nothing writes the outbox yet.
//!
//! Must never depend on the API, the projector or the scheduler.

use tokio_util::sync::CancellationToken;

/// `webhook-dispatcher` settings, from flags and environment variables.
#[derive(Debug, Clone, clap::Args)]
pub struct DispatcherConfig {
    /// Postgres holding the outbox.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Address of the health and metrics endpoints.
    #[arg(long, env = "AGENFLEET_ADMIN_LISTEN", default_value = "127.0.0.1:0")]
    pub admin_listen: String,
}

/// Serves health and metrics until shutdown.
pub async fn run(config: DispatcherConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    let store = read_store::Store::connect(&config.database_url, read_store::READ_MODEL_SCHEMA, 2)?;
    let readiness = ops::admin_server::Readiness::new(move || {
        let store = store.clone();
        async move { store.ping().await.map_err(|e| e.to_string()) }
    });
    let metrics = ops::Metrics::new();
    let (admin_addr, _admin) =
        ops::admin_server::serve_admin(&config.admin_listen, metrics, readiness, shutdown.clone())
            .await?;
    tracing::info!(%admin_addr, "webhook-dispatcher admin endpoints listening (no deliveries yet)");
    shutdown.cancelled().await;
    Ok(())
}
