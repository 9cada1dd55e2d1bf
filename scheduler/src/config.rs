//! The scheduler's settings, from flags and environment variables.

use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct SchedulerConfig {
    /// Postgres holding the read models.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The event log (`kafka://…`, `postgres://…`, `memory://`); defaults to DATABASE_URL.
    #[arg(long, env = "EVENT_LOG_URL")]
    pub event_log_url: Option<String>,
    /// Address of the health and metrics endpoints.
    #[arg(long, env = "AGENFLEET_ADMIN_LISTEN", default_value = "127.0.0.1:0")]
    pub admin_listen: String,
    /// Heartbeat silence after which an agent is offline.
    #[arg(long, env = "AGENFLEET_AGENT_OFFLINE_AFTER", default_value = "90s", value_parser = ops::duration::parse_duration)]
    pub agent_offline_after: Duration,
    /// How long a cron run waits for the agent's reply before it fails.
    #[arg(long, env = "AGENFLEET_CRON_RUN_TIMEOUT", default_value = "10m", value_parser = ops::duration::parse_duration)]
    pub cron_run_timeout: Duration,
    /// How late a missed cron fire may still run (older ones are skipped and recorded).
    #[arg(long, env = "AGENFLEET_CRON_CATCHUP_WINDOW", default_value = "5m", value_parser = ops::duration::parse_duration)]
    pub cron_catchup_window: Duration,
    /// How long a finished delivery (and its attempt log) is kept after it ended.
    #[arg(long, env = "AGENFLEET_RETENTION_DELIVERIES", default_value = "30d", value_parser = ops::duration::parse_duration)]
    pub retention_deliveries: Duration,
    /// How long a command's outcome is kept after it was decided (at least 48h).
    #[arg(long, env = "AGENFLEET_RETENTION_OUTCOMES", default_value = "7d", value_parser = ops::duration::parse_duration)]
    pub retention_outcomes: Duration,
    /// How often retention runs.
    #[arg(long, env = "AGENFLEET_RETENTION_INTERVAL", default_value = "1h", value_parser = ops::duration::parse_duration)]
    pub retention_interval: Duration,
    /// How long a shutdown may take.
    #[arg(long, env = "AGENFLEET_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = ops::duration::parse_duration)]
    pub shutdown_timeout: Duration,
}

impl SchedulerConfig {
    pub fn cron(&self) -> crate::CronSettings {
        crate::CronSettings {
            catchup_window: self.cron_catchup_window,
            run_timeout: self.cron_run_timeout,
        }
    }

    pub fn retention(&self) -> crate::RetentionSettings {
        crate::RetentionSettings {
            deliveries: self.retention_deliveries,
            outcomes: self.retention_outcomes,
            every: self.retention_interval,
        }
    }

    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }
}
