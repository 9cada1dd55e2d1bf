//! Structured logs to stderr, shaped by `RUST_LOG` and `AGENFLEET_LOG_FORMAT`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable that selects the log format: `json` for one JSON object per line,
/// anything else (or unset) for human-readable lines.
pub const LOG_FORMAT_VAR: &str = "AGENFLEET_LOG_FORMAT";

/// The filter used when `RUST_LOG` is unset or cannot be parsed.
pub const DEFAULT_FILTER: &str = "info";

/// Installs the global tracing subscriber: stderr, filter from `RUST_LOG` (default `info`),
/// JSON lines when `AGENFLEET_LOG_FORMAT=json`.
///
/// Safe to call more than once (tests, `agenfleet dev` starting several components): only
/// the first call installs anything.
pub fn init() {
    let json = std::env::var(LOG_FORMAT_VAR)
        .map(|v| v.trim().eq_ignore_ascii_case("json"))
        .unwrap_or(false);
    let (filter, bad_filter) = filter_from_env();
    let installed = if json {
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
            .is_ok()
    } else {
        tracing_subscriber::fmt()
            // Colour only for a person at a terminal; never escape codes in files or CI logs.
            .with_ansi(std::io::stderr().is_terminal())
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
            .is_ok()
    };
    // Reported through the subscriber just installed, so it lands in the same stream and
    // format as everything else.
    if let (true, Some((value, error))) = (installed, bad_filter) {
        tracing::warn!(rust_log = %value, %error, "RUST_LOG is invalid; logging at `{DEFAULT_FILTER}`");
    }
}

/// The `RUST_LOG` filter, or the default plus the rejected value and why.
fn filter_from_env() -> (EnvFilter, Option<(String, String)>) {
    match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(value) if !value.trim().is_empty() => match EnvFilter::try_new(&value) {
            Ok(filter) => (filter, None),
            Err(error) => (
                EnvFilter::new(DEFAULT_FILTER),
                Some((value, error.to_string())),
            ),
        },
        _ => (EnvFilter::new(DEFAULT_FILTER), None),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn init_can_be_called_twice() {
        super::init();
        super::init();
        tracing::info!("still logging");
    }
}
