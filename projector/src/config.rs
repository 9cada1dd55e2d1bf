//! The projector's settings, from flags and environment variables.

use std::time::Duration;

/// `projector` binary settings. The same names are used by `agenfleet dev`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectorConfig {
    /// Postgres holding the read models.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The event log (`kafka://…`, `postgres://…`, `memory://`); defaults to DATABASE_URL.
    #[arg(long, env = "EVENT_LOG_URL")]
    pub event_log_url: Option<String>,
    /// Address of the health and metrics endpoints.
    #[arg(long, env = "AGENFLEET_ADMIN_LISTEN", default_value = "127.0.0.1:0")]
    pub admin_listen: String,
    /// Most records decided in one transaction.
    #[arg(long, env = "AGENFLEET_PROJECTOR_BATCH", default_value_t = 500)]
    pub batch_size: usize,
    /// How long a shutdown may take to finish the batch in hand.
    #[arg(long, env = "AGENFLEET_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = ops::duration::parse_duration)]
    pub shutdown_timeout: Duration,
}

impl ProjectorConfig {
    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }
}
