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
    init_with_default(DEFAULT_FILTER);
}

/// [`init`] with another filter for when `RUST_LOG` is unset or invalid: `agenfleet dev`, run
/// by a person at a terminal, shows only warnings and errors unless asked for more.
pub fn init_with_default(default: &str) {
    let json = std::env::var(LOG_FORMAT_VAR)
        .map(|v| v.trim().eq_ignore_ascii_case("json"))
        .unwrap_or(false);
    let (filter, bad_filter) = filter_from(std::env::var(EnvFilter::DEFAULT_ENV).ok(), default);
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
        tracing::warn!(rust_log = %value, %error, "RUST_LOG is invalid; logging at `{default}`");
    }
}

/// The filter `rust_log` (the value of `RUST_LOG`) asks for, or `default` plus the rejected
/// value and why.
fn filter_from(rust_log: Option<String>, default: &str) -> (EnvFilter, Option<(String, String)>) {
    match rust_log {
        Some(value) if !value.trim().is_empty() => match EnvFilter::try_new(&value) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(default), Some((value, error.to_string()))),
        },
        _ => (EnvFilter::new(default), None),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::EnvFilter;

    #[test]
    fn init_can_be_called_twice() {
        super::init();
        super::init();
        tracing::info!("still logging");
    }

    /// What a subscriber with `filter` writes for one INFO and one WARN line of a worker.
    fn written_with(filter: EnvFilter) -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(filter)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "projector::worker", "seeking to checkpoint");
            tracing::warn!(target: "projector::worker", "cannot join the event log");
        });
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        text
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_warn_default_hides_routine_info_lines_and_keeps_warnings() {
        let (filter, bad) = super::filter_from(None, "warn");
        assert!(bad.is_none());
        let written = written_with(filter);
        assert!(!written.contains("seeking to checkpoint"), "{written}");
        assert!(written.contains("cannot join the event log"), "{written}");
    }

    #[test]
    fn rust_log_overrides_the_default() {
        let (filter, _) = super::filter_from(Some("info".to_owned()), "warn");
        assert!(written_with(filter).contains("seeking to checkpoint"));
    }

    #[test]
    fn an_invalid_rust_log_falls_back_to_the_default_and_says_why() {
        let (filter, bad) = super::filter_from(Some("projector=loud".to_owned()), "warn");
        let (value, _) = bad.expect("the bad value is reported");
        assert_eq!(value, "projector=loud");
        assert!(!written_with(filter).contains("seeking to checkpoint"));
    }
}
