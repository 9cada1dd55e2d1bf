//! The `webhook-dispatcher` process: connect, serve health and metrics, deliver until
//! shutdown.

use std::sync::Arc;

use read_store::deliveries::DELIVERIES_CHANNEL;
use read_store::{Store, READ_MODEL_SCHEMA};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use webhooks::keyring::Keyring;
use webhooks::target::TargetPolicy;

use crate::{Dispatcher, DispatcherConfig, Settings};

/// The operator key is required: without it no secret can be opened, so nothing can be sent.
pub fn keyring(config: &DispatcherConfig) -> anyhow::Result<Keyring> {
    match config
        .secret_key
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        Some(text) => Ok(Keyring::parse(text)?),
        None => anyhow::bail!(
            "AGENFLEET_SECRET_KEY is not set: the dispatcher needs the operator key the API \
             sealed the webhook signing secrets with (base64 of 32 bytes)"
        ),
    }
}

pub fn settings(config: &DispatcherConfig) -> Settings {
    Settings {
        retry_schedule: config.retry_schedule.clone(),
        timeout: config.timeout,
        disable_after: config.disable_after,
        policy: TargetPolicy {
            allow_private: config.allow_private_targets,
        },
        concurrency: config.concurrency.max(1),
        concurrency_per_target: config.concurrency_per_target.max(1),
        channels: crate::cron_output::ChannelSettings {
            telegram_api_base: config.telegram_api_base.clone(),
            telegram_bot_token: config.telegram_bot_token.clone(),
            smtp_url: config.smtp_url.clone(),
            smtp_from: config.smtp_from.clone(),
        },
    }
}

/// Wakes `due` whenever the projector (or a retry or replay) queues deliveries.
pub fn listen_for_deliveries(database_url: String, shutdown: CancellationToken) -> Arc<Notify> {
    let mut listener = read_store::listener::Shared::default();
    let due = listen_for_deliveries_through(&mut listener);
    tokio::spawn(listener.listen(database_url, shutdown.cancelled_owned()));
    due
}

/// Like [`listen_for_deliveries`], on a listener shared with other roles of the process.
pub fn listen_for_deliveries_through(listener: &mut read_store::listener::Shared) -> Arc<Notify> {
    let due = Arc::new(Notify::new());
    let wake = due.clone();
    listener.on(&[DELIVERIES_CHANNEL], move |_, _| wake.notify_one());
    due
}

/// The read store's connections for `concurrency` deliveries in flight: claims and results
/// are written in batches, so one connection serves many deliveries.
pub fn pool_size(concurrency: usize) -> usize {
    (concurrency / 16).clamp(4, 16)
}

pub async fn run(config: DispatcherConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    let keyring = keyring(&config)?;
    let log = event_log::connect_beside(config.event_log_url(), &config.database_url).await?;
    let store = Store::connect(
        &config.database_url,
        READ_MODEL_SCHEMA,
        pool_size(config.concurrency),
    )?;
    let readiness = {
        let store = store.clone();
        ops::admin_server::Readiness::new(move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        })
    };
    let metrics = ops::Metrics::for_process(
        "webhook-dispatcher",
        event_log::backend_name(config.event_log_url())?,
    );
    signals::watch_pool(&metrics, "webhook-dispatcher", vec![store.clone()]);
    let dispatcher = Dispatcher::new(store, log, keyring, settings(&config), &metrics)?;
    let (admin_addr, _admin) =
        ops::admin_server::serve_admin(&config.admin_listen, metrics, readiness, shutdown.clone())
            .await?;
    tracing::info!(%admin_addr, "webhook-dispatcher admin endpoints listening");
    let due = listen_for_deliveries(config.database_url.clone(), shutdown.clone());
    dispatcher.run(due, shutdown, config.shutdown_timeout).await;
    Ok(())
}
