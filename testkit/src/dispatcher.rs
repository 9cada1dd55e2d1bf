//! Webhook dispatchers for tests: started in the test process against a [`TestApp`]'s database
//! and log, stopped gracefully or killed mid-send.

use std::time::Duration;

use read_store::{Store, READ_MODEL_SCHEMA};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use webhook_dispatcher::{Dispatcher, Settings};

use crate::app::{TestApp, SECRET_KEY};

/// Settings for tests: loopback targets allowed, a short retry schedule.
pub fn test_settings() -> Settings {
    Settings {
        retry_schedule: vec![Duration::from_millis(300), Duration::from_millis(600)],
        timeout: Duration::from_secs(5),
        disable_after: Duration::from_secs(5 * 24 * 3600),
        policy: webhooks::target::TargetPolicy {
            allow_private: true,
        },
        concurrency: 64,
        concurrency_per_target: 8,
        channels: Default::default(),
    }
}

/// A running dispatcher.
pub struct TestDispatcher {
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl TestDispatcher {
    /// Starts a dispatcher with `settings` on the app's database and log.
    pub fn start(app: &TestApp, settings: Settings) -> Self {
        Self::start_counting(app, settings, &ops::Metrics::new())
    }

    /// Like [`TestDispatcher::start`], counting into `metrics` (and registering there the
    /// delivery queue's gauges, read at each collect).
    pub fn start_counting(app: &TestApp, settings: Settings, metrics: &ops::Metrics) -> Self {
        let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 8).expect("store");
        let keyring = webhooks::keyring::Keyring::parse(SECRET_KEY).expect("test key");
        let dispatcher = Dispatcher::new(store, app.log.clone(), keyring, settings, metrics)
            .expect("dispatcher");
        let shutdown = CancellationToken::new();
        let due = webhook_dispatcher::process::listen_for_deliveries(
            app.db.url.clone(),
            shutdown.clone(),
        );
        let task = tokio::spawn(dispatcher.run(due, shutdown.clone(), Duration::from_secs(5)));
        Self { shutdown, task }
    }

    /// Finishes the attempts in flight, records them, and stops.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("dispatcher task");
    }

    /// Stops at once, like a killed process: attempts in flight are abandoned unrecorded.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        self.shutdown.cancel();
    }
}
