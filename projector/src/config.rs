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
    /// A name this process keeps across restarts, unique among the running projectors (for
    /// example the pod's or the service replica's name): its row in `eventlog.consumers`, taken
    /// over by a restart under the same name. Unset: a new row on every start. Failover does not
    /// depend on it: see docs/OPERATIONS.md, "Which projector owns which partition".
    #[arg(long, env = "AGENFLEET_PROJECTOR_INSTANCE_ID", value_parser = parse_instance_id)]
    pub instance_id: Option<String>,
    /// How long a shutdown may take to finish the batch in hand.
    #[arg(long, env = "AGENFLEET_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = ops::duration::parse_duration)]
    pub shutdown_timeout: Duration,
}

impl ProjectorConfig {
    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }
}

/// 1 to 64 letters, digits, `.`, `_` or `-`: it names a row of the members' table
/// (`eventlog.consumers`) and shows in logs.
fn parse_instance_id(value: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=64).contains(&value.len()) && value.chars().all(allowed) {
        Ok(value.to_owned())
    } else {
        Err("must be 1 to 64 characters, each a letter, a digit, `.`, `_` or `-`".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_instance_id;

    #[test]
    fn an_instance_id_is_a_short_plain_name() {
        assert_eq!(
            parse_instance_id("projector-1").as_deref(),
            Ok("projector-1")
        );
        for bad in ["", "a b", "é", "x\u{0}", &"a".repeat(65)] {
            assert!(parse_instance_id(bad).is_err(), "{bad:?} accepted");
        }
    }
}
