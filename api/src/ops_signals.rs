//! What `/metrics` shows of the API beyond request durations (those are counted by
//! `request_context`): the write path's wait and outcomes, refusals, replays, open streams.

use ops::metrics::{Counter, Gauge, Histogram};

const COMMANDS: &str = "agenfleet_api_commands_total";
const COMMANDS_HELP: &str =
    "Commands by outcome: accepted, rejected (with the error code), failed (stored as failed), \
     timeout (answered 504)";

#[derive(Clone)]
pub struct ApiSignals {
    registry: ops::Metrics,
    pub command_wait: Histogram,
    pub rate_limited: Counter,
    pub idempotent_replays: Counter,
    sse_streams: Gauge,
}

impl ApiSignals {
    pub fn new(metrics: &ops::Metrics) -> Self {
        metrics.declare_counter(COMMANDS, COMMANDS_HELP);
        Self {
            registry: metrics.clone(),
            command_wait: metrics.histogram(
                "agenfleet_api_command_wait_seconds",
                "A command's append to the log until its outcome is read back",
                ops::metrics::LATENCY_SECONDS_BUCKETS,
            ),
            rate_limited: metrics.counter(
                "agenfleet_api_rate_limited_total",
                "Requests refused with 429 RATE_LIMITED",
            ),
            idempotent_replays: metrics.counter(
                "agenfleet_api_idempotent_replays_total",
                "Answers replayed for a repeated Idempotency-Key",
            ),
            sse_streams: metrics.gauge(
                "agenfleet_api_sse_streams",
                "Activity streams (text/event-stream) open now",
            ),
        }
    }

    /// Counts a command's outcome; `code` is the error code (none for `accepted`).
    pub fn command(&self, outcome: &str, code: Option<&str>) {
        let counter = match code {
            Some(code) => self.registry.counter_with(
                COMMANDS,
                COMMANDS_HELP,
                &[("outcome", outcome), ("code", code)],
            ),
            None => self
                .registry
                .counter_with(COMMANDS, COMMANDS_HELP, &[("outcome", outcome)]),
        };
        counter.inc();
    }

    /// Counts an open stream until the guard is dropped.
    pub fn stream_opened(&self) -> StreamGuard {
        self.sse_streams.inc();
        StreamGuard(self.sse_streams.clone())
    }
}

pub struct StreamGuard(Gauge);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
