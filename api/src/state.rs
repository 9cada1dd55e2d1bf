//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use domain::catalog::Catalog;
use event_log::EventLog;
use read_store::Store;

use crate::auth::KeyCache;
use crate::outcome_waiter::OutcomeWaiter;

/// Cloned for each HTTP worker with the worker's own `store` (see `server::PoolSizes`); the rest
/// is shared.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub log: Arc<dyn EventLog>,
    pub waiter: OutcomeWaiter,
    pub catalog: Catalog,
    pub keys: Arc<KeyCache>,
    /// The agent and origin of sessions this process has seen, which never change.
    pub sessions: Arc<crate::session_facts::SessionFactsCache>,
    pub command_timeout: Duration,
    pub metrics: ops::Metrics,
    pub signals: crate::ops_signals::ApiSignals,
    pub usage: std::sync::Arc<crate::key_usage::KeyUsage>,
    /// Where answers of requests with an `Idempotency-Key` go to be kept.
    pub answers: crate::kept_answers::KeptAnswers,
    pub limits: Arc<crate::rate_limit::LimitsCache>,
    pub leases: Arc<crate::rate_limit::Leases>,
    /// Whether requests are counted against the tenant's rate limits.
    pub rate_limits: bool,
    /// The live tail's fan-out of new activity entries.
    pub activity: crate::activity_stream::ActivityHub,
    /// The operator key that seals webhook secrets; `None` when not configured (webhooks
    /// cannot be created then).
    pub webhook_keys: Option<webhooks::keyring::Keyring>,
    /// Which webhook URLs are allowed.
    pub target_policy: webhooks::target::TargetPolicy,
}
