//! The series every process exports about itself: what it is and since when.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Metrics;

/// The version of the workspace the binary was built from.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit it was built from (`unknown` without one; see `ops/build.rs`).
pub const GIT_COMMIT: &str = env!("AGENFLEET_GIT_COMMIT");

impl Metrics {
    /// A registry for the process `process` (`api`, `projector`, …) on the event log
    /// `event_log` (`postgres`, `kafka`), holding from the start:
    /// - `agenfleet_build_info{process, version, commit, event_log}` = 1, to join on;
    /// - `process_start_time_seconds`, the Unix time it started (uptime is `time()` minus it).
    pub fn for_process(process: &str, event_log: &str) -> Self {
        Self::for_roles(&[process], event_log)
    }

    /// [`Metrics::for_process`] for a process that plays several roles (`agenfleet dev`):
    /// one `agenfleet_build_info` series per role.
    pub fn for_roles(roles: &[&str], event_log: &str) -> Self {
        let metrics = Self::new();
        for process in roles {
            metrics
                .gauge_with(
                    "agenfleet_build_info",
                    "The process's role, version, git commit and event-log backend (always 1).",
                    &[
                        ("process", process),
                        ("version", VERSION),
                        ("commit", GIT_COMMIT),
                        ("event_log", event_log),
                    ],
                )
                .set(1);
        }
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        metrics
            .gauge(
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch, in seconds.",
            )
            .set(i64::try_from(started).unwrap_or(i64::MAX));
        metrics
    }
}
