//! The API's settings, from flags and environment variables.

use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct ApiConfig {
    /// Postgres holding the read models.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The event log (`kafka://…`, `postgres://…`, `memory://`); defaults to DATABASE_URL.
    #[arg(long, env = "EVENT_LOG_URL")]
    pub event_log_url: Option<String>,
    /// Address the API listens on.
    #[arg(long, env = "AGENFLEET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// How long a write waits for its command to be applied before answering 504.
    #[arg(long, env = "AGENFLEET_COMMAND_TIMEOUT", default_value = "10s", value_parser = ops::duration::parse_duration)]
    pub command_timeout: Duration,
    /// A JSON model price list that replaces the built-in catalog.
    #[arg(long, env = "AGENFLEET_MODEL_CATALOG")]
    pub model_catalog: Option<std::path::PathBuf>,
    /// HTTP worker threads, 1 to 512 (default: one per core).
    #[arg(long, env = "AGENFLEET_API_WORKERS")]
    pub workers: Option<usize>,
    /// Postgres read connections in all: an eighth (at least 2) for the process's own tasks, the
    /// rest shared out among the HTTP workers, each reading through a pool of its own.
    #[arg(long, env = "AGENFLEET_API_DB_POOL", default_value_t = 32)]
    pub db_pool: usize,
    /// Browser origins allowed to call the API (CORS), comma-separated; none by default.
    #[arg(long, env = "AGENFLEET_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Per-tenant rate limits (`false` turns them off, e.g. behind a gateway that limits).
    #[arg(long, env = "AGENFLEET_RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rate_limits: bool,
    /// The operator key that seals webhook signing secrets (`base64` of 32 bytes, or
    /// `id:base64,…` to rotate; the first encrypts). Without it webhooks cannot be created.
    #[arg(long, env = "AGENFLEET_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Allow webhook URLs on loopback, private and link-local addresses.
    #[arg(long, env = "AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_targets: bool,
    /// How long a shutdown may take to finish requests in flight.
    #[arg(long, env = "AGENFLEET_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = ops::duration::parse_duration)]
    pub shutdown_timeout: Duration,
}

impl ApiConfig {
    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }

    /// The operator key, if configured (an invalid one is an error at start).
    pub fn webhook_keys(&self) -> anyhow::Result<Option<webhooks::keyring::Keyring>> {
        match self
            .secret_key
            .as_deref()
            .filter(|text| !text.trim().is_empty())
        {
            None => Ok(None),
            Some(text) => Ok(Some(webhooks::keyring::Keyring::parse(text)?)),
        }
    }

    /// The catalog to validate models against.
    pub fn catalog(&self) -> anyhow::Result<domain::catalog::Catalog> {
        match &self.model_catalog {
            None => Ok(domain::catalog::Catalog::built_in()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("AGENFLEET_MODEL_CATALOG {}: {e}", path.display())
                })?;
                domain::catalog::Catalog::from_json(&text)
                    .map_err(|e| anyhow::anyhow!("AGENFLEET_MODEL_CATALOG {}: {e}", path.display()))
            }
        }
    }
}
