//! A tiny Prometheus registry with no global state: one [`Metrics`] is built in `main` (or per
//! test), cloned into whatever records, and rendered by `GET /metrics` in the text exposition
//! format 0.0.4.
//!
//! Registering is idempotent: asking again for the same name and label set returns the same
//! instrument, so a handler may look its series up per request. Asking for an existing name
//! as a different kind is a programming error and panics with the name.

mod collect;
mod instruments;
mod process;
mod render;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use collect::COLLECT_TIMEOUT;
pub use instruments::{Counter, Gauge, Histogram};
pub use process::{GIT_COMMIT, VERSION};

/// Bucket upper bounds, in seconds, for request and job latencies (5 ms .. 10 s).
pub const LATENCY_SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A set of named counters, gauges and histograms. Cheap to clone; clones share series.
#[derive(Clone, Default)]
pub struct Metrics {
    families: Arc<Mutex<BTreeMap<String, Family>>>,
    collectors: Arc<Mutex<Vec<collect::Collector>>>,
}

struct Family {
    help: String,
    kind: Kind,
    /// In registration order, so a scrape lists series the way the code created them.
    series: Vec<(Labels, Series)>,
}

#[derive(Clone)]
enum Kind {
    Counter,
    Gauge,
    Histogram(Arc<[f64]>),
}

type Labels = Vec<(String, String)>;

#[derive(Clone)]
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn counter(&self, name: &str, help: &str) -> Counter {
        self.counter_with(name, help, &[])
    }

    /// The counter of `name` with these labels, e.g. `&[("route", "/v1/agents"), ("status", "200")]`.
    pub fn counter_with(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Counter {
        match self.series(name, help, Kind::Counter, labels) {
            Series::Counter(counter) => counter,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// Declares a counter family whose labelled series appear as they happen (e.g. one per
    /// error code), so a scrape names it, with its help and type, before the first one.
    pub fn declare_counter(&self, name: &str, help: &str) {
        self.family(name, help, Kind::Counter);
    }

    pub fn gauge(&self, name: &str, help: &str) -> Gauge {
        self.gauge_with(name, help, &[])
    }

    pub fn gauge_with(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Gauge {
        match self.series(name, help, Kind::Gauge, labels) {
            Series::Gauge(gauge) => gauge,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// A histogram with fixed bucket upper bounds (ascending), e.g. [`LATENCY_SECONDS_BUCKETS`].
    /// The first registration of a name fixes its buckets; later ones reuse them.
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64]) -> Histogram {
        self.histogram_with(name, help, buckets, &[])
    }

    pub fn histogram_with(
        &self,
        name: &str,
        help: &str,
        buckets: &[f64],
        labels: &[(&str, &str)],
    ) -> Histogram {
        assert!(
            buckets.windows(2).all(|w| w[0] < w[1]) && buckets.iter().all(|b| b.is_finite()),
            "metric `{name}`: histogram buckets must be finite and strictly ascending"
        );
        match self.series(name, help, Kind::Histogram(buckets.into()), labels) {
            Series::Histogram(histogram) => histogram,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// Every series in the Prometheus text exposition format 0.0.4, families sorted by name.
    pub fn render(&self) -> String {
        let families = self.lock();
        let mut out = String::new();
        for (name, family) in families.iter() {
            render::family(&mut out, name, &family.help, &family.kind, &family.series);
        }
        out
    }

    fn series(&self, name: &str, help: &str, kind: Kind, labels: &[(&str, &str)]) -> Series {
        assert!(valid_name(name), "invalid metric name `{name}`");
        for (label, _) in labels {
            assert!(
                valid_name(label) && !label.contains(':') && *label != "le",
                "metric `{name}`: invalid label name `{label}`"
            );
        }
        let mut families = self.lock();
        let family = Self::family_in(&mut families, name, help, kind);
        // Compared borrowed: a request's histogram is looked up on every answer.
        let same = |known: &Labels| {
            known.len() == labels.len()
                && known
                    .iter()
                    .zip(labels)
                    .all(|((k, v), (key, value))| k == key && v == value)
        };
        if let Some((_, series)) = family.series.iter().find(|(known, _)| same(known)) {
            return series.clone();
        }
        let labels: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let series = match &family.kind {
            Kind::Counter => Series::Counter(Counter::default()),
            Kind::Gauge => Series::Gauge(Gauge::default()),
            Kind::Histogram(bounds) => Series::Histogram(Histogram::new(bounds.clone())),
        };
        family.series.push((labels, series.clone()));
        series
    }

    fn family(&self, name: &str, help: &str, kind: Kind) {
        assert!(valid_name(name), "invalid metric name `{name}`");
        Self::family_in(&mut self.lock(), name, help, kind);
    }

    /// The family `name`, created if new; panics if it exists as another kind.
    fn family_in<'a>(
        families: &'a mut BTreeMap<String, Family>,
        name: &str,
        help: &str,
        kind: Kind,
    ) -> &'a mut Family {
        if !families.contains_key(name) {
            families.insert(
                name.to_owned(),
                Family {
                    help: help.to_owned(),
                    kind: kind.clone(),
                    series: Vec::new(),
                },
            );
        }
        let family = families.get_mut(name).expect("inserted above");
        if std::mem::discriminant(&family.kind) != std::mem::discriminant(&kind) {
            panic!(
                "metric `{name}` is already registered as a {}, not a {}",
                family.kind.type_name(),
                kind.type_name()
            );
        }
        family
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Family>> {
        // A panic while holding the lock cannot leave a family half-written in a way that
        // matters for rendering, so a poisoned registry stays usable.
        self.families.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Kind {
    fn type_name(&self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram(_) => "histogram",
        }
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the Prometheus metric-name grammar.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests;
