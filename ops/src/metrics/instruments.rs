//! The handles callers keep and bump: cheap to clone, lock-free to update.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A monotonically increasing count.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.inc_by(1);
    }

    pub fn inc_by(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (queue depth, in-flight requests, lag).
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn dec(&self) {
        self.add(-1);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Observations counted into fixed buckets (upper bounds, inclusive), plus their sum.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<HistogramCells>);

#[derive(Debug)]
struct HistogramCells {
    bounds: Arc<[f64]>,
    /// One cell per bound plus a last one for values above every bound; not cumulative, so
    /// an observation touches one cell. `_count` is their total, which keeps the rendered
    /// `+Inf` bucket and `_count` equal even while observations race a scrape.
    cells: Box<[AtomicU64]>,
    /// An `f64`, as bits.
    sum: AtomicU64,
}

/// A snapshot taken for rendering: cumulative counts per bound, total count, sum.
pub(super) struct HistogramSnapshot {
    pub bounds: Arc<[f64]>,
    pub cumulative: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

impl Histogram {
    pub(super) fn new(bounds: Arc<[f64]>) -> Self {
        let cells = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self(Arc::new(HistogramCells {
            bounds,
            cells,
            sum: AtomicU64::new(0f64.to_bits()),
        }))
    }

    pub fn observe(&self, value: f64) {
        let cells = &self.0;
        let index = cells
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(cells.bounds.len());
        cells.cells[index].fetch_add(1, Ordering::Relaxed);
        let mut current = cells.sum.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + value).to_bits();
            match cells.sum.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
    }

    /// Observes a duration in seconds, the Prometheus base unit.
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(duration.as_secs_f64());
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.0.cells.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    pub(super) fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let mut cumulative = Vec::with_capacity(self.0.cells.len());
        for cell in self.0.cells.iter() {
            running += cell.load(Ordering::Relaxed);
            cumulative.push(running);
        }
        HistogramSnapshot {
            bounds: self.0.bounds.clone(),
            count: running,
            cumulative,
            sum: f64::from_bits(self.0.sum.load(Ordering::Relaxed)),
        }
    }
}
