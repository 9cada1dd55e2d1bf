//! `webhook-dispatcher` settings, from flags and environment variables.

use std::time::Duration;

use ops::duration::{parse_duration, parse_duration_list};

#[derive(Debug, Clone, clap::Args)]
pub struct DispatcherConfig {
    /// Postgres holding the read models and the delivery queue.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The event log the dispatcher appends its outcomes to; defaults to DATABASE_URL.
    #[arg(long, env = "EVENT_LOG_URL")]
    pub event_log_url: Option<String>,
    /// Address of the health and metrics endpoints.
    #[arg(long, env = "AGENFLEET_ADMIN_LISTEN", default_value = "127.0.0.1:0")]
    pub admin_listen: String,
    /// Delays between attempts (each ±20 % jitter); one more attempt than delays in all.
    #[arg(long, env = "AGENFLEET_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_duration_list)]
    pub retry_schedule: std::vec::Vec<Duration>,
    /// How long one attempt may take, all of it: connecting, TLS, the answer and its body (or
    /// an email's whole SMTP exchange); one deadline, not a timeout per read.
    #[arg(long, env = "AGENFLEET_WEBHOOK_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// An endpoint failing without a single success for this long is disabled.
    #[arg(long, env = "AGENFLEET_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_duration)]
    pub disable_after: Duration,
    /// Allow loopback, private and link-local targets (tests, private networks).
    #[arg(long, env = "AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_targets: bool,
    /// The operator key that opens the sealed signing secrets (`base64` or `id:base64,…`).
    #[arg(long, env = "AGENFLEET_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Attempts in flight at once, over all targets.
    #[arg(long, env = "AGENFLEET_WEBHOOK_CONCURRENCY", default_value_t = 256)]
    pub concurrency: usize,
    /// Attempts in flight at once to one endpoint (or agent gateway).
    #[arg(
        long,
        env = "AGENFLEET_WEBHOOK_CONCURRENCY_PER_TARGET",
        default_value_t = 16
    )]
    pub concurrency_per_target: usize,
    /// The Telegram Bot API base URL (cron output to Telegram).
    #[arg(
        long,
        env = "AGENFLEET_TELEGRAM_API_BASE",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_base: String,
    /// The bot token that sends cron output to Telegram chats.
    #[arg(long, env = "AGENFLEET_TELEGRAM_BOT_TOKEN", hide_env_values = true)]
    pub telegram_bot_token: Option<String>,
    /// The SMTP server for cron output by email (`smtp://host:port`, `smtps://user:pass@host`).
    #[arg(long, env = "AGENFLEET_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of cron output emails.
    #[arg(
        long,
        env = "AGENFLEET_SMTP_FROM",
        default_value = "AgenFleet <agenfleet@localhost>"
    )]
    pub smtp_from: String,
    /// How long a shutdown may wait for attempts in flight.
    #[arg(long, env = "AGENFLEET_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

impl DispatcherConfig {
    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }
}
