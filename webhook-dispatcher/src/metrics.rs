//! What `/metrics` shows of a dispatcher: its attempts, and the delivery queue read at each
//! scrape.

use std::collections::HashMap;

use chrono::Utc;
use read_store::dispatch_queue;
use read_store::Store;

#[derive(Clone)]
pub(crate) struct Metrics {
    /// By what followed the attempt and the class of the receiver's status.
    pub attempts: HashMap<(&'static str, &'static str), ops::metrics::Counter>,
    pub in_flight: ops::metrics::Gauge,
    pub duration: ops::metrics::Histogram,
    pub endpoints_disabled: ops::metrics::Counter,
    pub leases_expired: ops::metrics::Counter,
}

const STATUS_CLASSES: [&str; 5] = ["2xx", "3xx", "4xx", "5xx", "none"];

/// The class of a receiver's status for `/metrics`: `2xx` … `5xx`, `none` without an answer.
pub(crate) fn status_class(status: Option<u16>) -> &'static str {
    match status.map(|status| status / 100) {
        Some(2) => "2xx",
        Some(3) => "3xx",
        Some(4) => "4xx",
        Some(5) => "5xx",
        _ => "none",
    }
}

impl Metrics {
    pub fn new(registry: &ops::Metrics) -> Self {
        let mut attempts = HashMap::new();
        for outcome in ["succeeded", "retrying", "failed"] {
            for class in STATUS_CLASSES {
                let counter = registry.counter_with(
                    "agenfleet_webhook_attempts_total",
                    "Delivery attempts by what followed them and the receiver's status class \
                     (none: no answer)",
                    &[("outcome", outcome), ("status_class", class)],
                );
                attempts.insert((outcome, class), counter);
            }
        }
        Self {
            attempts,
            endpoints_disabled: registry.counter(
                "agenfleet_webhook_endpoints_disabled_total",
                "Endpoints disabled after failing for AGENFLEET_WEBHOOK_DISABLE_AFTER",
            ),
            leases_expired: registry.counter(
                "agenfleet_dispatch_leases_expired_total",
                "Deliveries claimed again after their lease ran out (a dispatcher died or hung)",
            ),
            in_flight: registry.gauge(
                "agenfleet_webhook_attempts_in_flight",
                "Delivery attempts being sent",
            ),
            duration: registry.histogram(
                "agenfleet_webhook_attempt_seconds",
                "How long receivers took to answer",
                &[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0,
                ],
            ),
        }
    }
}

/// `agenfleet_dispatch_queue_depth{state}` and `agenfleet_dispatch_oldest_due_age_seconds`,
/// read at each scrape.
pub(crate) fn watch_queue(metrics: &ops::Metrics, store: Store) {
    let depth = |state: &str| {
        metrics.gauge_with(
            "agenfleet_dispatch_queue_depth",
            "Pending deliveries due now (due) or at a later time (scheduled)",
            &[("state", state)],
        )
    };
    let (due, scheduled) = (depth("due"), depth("scheduled"));
    let oldest = metrics.gauge(
        "agenfleet_dispatch_oldest_due_age_seconds",
        "How long the longest-waiting due delivery has been due (0 when none is)",
    );
    metrics.add_collector("delivery queue", move || {
        let (store, due, scheduled, oldest) = (
            store.clone(),
            due.clone(),
            scheduled.clone(),
            oldest.clone(),
        );
        async move {
            let client = store.client().await.map_err(|e| e.to_string())?;
            let depth = dispatch_queue::depth(&client)
                .await
                .map_err(|e| e.to_string())?;
            due.set(depth.due);
            scheduled.set(depth.scheduled);
            let waited = depth.oldest_due.map_or(0, |since| {
                Utc::now().signed_duration_since(since).num_seconds().max(0)
            });
            oldest.set(waited);
            Ok(())
        }
    });
}
