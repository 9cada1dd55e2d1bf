//! Timed rounds of a write phase, and the comparison of writes with and without an
//! `Idempotency-Key` measured in the same run.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::{percentile, Reference};

/// The round trips of one timed round: their latencies (answered 201), the failures, the time.
pub(crate) struct Round {
    latencies: Vec<Duration>,
    errors: u64,
    elapsed: Duration,
}

impl Round {
    /// The round of clients started just now, each answering its latencies and failures (or
    /// that its setup failed).
    pub(crate) async fn gather(
        clients: impl Iterator<Item = JoinHandle<anyhow::Result<(Vec<Duration>, u64)>>>,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut round = Self {
            latencies: Vec::new(),
            errors: 0,
            elapsed: Duration::ZERO,
        };
        for client in futures::future::join_all(clients).await {
            let (latencies, errors) = client??;
            round.latencies.extend(latencies);
            round.errors += errors;
        }
        round.elapsed = started.elapsed();
        round.latencies.sort();
        Ok(round)
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// `label  idempotency_keys=… {unit}=… errors=… {unit}/s=… p50=… p99=… max=…` and the ratio
    /// to `pgbench -N`.
    pub(crate) fn print(&self, label: &str, unit: &str, keyed: bool, reference: Reference) {
        let per_second = self.per_second();
        println!(
            "{label}  idempotency_keys={keyed} {unit}={} errors={} {unit}/s={per_second:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms{}",
            self.latencies.len(),
            self.errors,
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
            percentile(&self.latencies, 1.0),
            reference.write_ratio(per_second),
        );
    }

    /// Rounds taken together.
    fn joined(rounds: Vec<Round>) -> Round {
        let mut latencies: Vec<Duration> = Vec::new();
        let (mut errors, mut elapsed) = (0, Duration::ZERO);
        for round in rounds {
            latencies.extend(round.latencies);
            errors += round.errors;
            elapsed += round.elapsed;
        }
        latencies.sort();
        Round {
            latencies,
            errors,
            elapsed,
        }
    }
}

/// Runs `phase` in four rounds of half of `duration` — without, with, with and without an
/// Idempotency-Key (`phase(keyed, round, duration)`) — then prints the rounds with and without
/// keys, each taken together, and how far the first falls behind the second.
pub(crate) async fn compare<F, R>(
    label: &str,
    unit: &str,
    duration: Duration,
    reference: Reference,
    phase: F,
) -> anyhow::Result<()>
where
    F: Fn(bool, usize, Duration) -> R,
    R: Future<Output = anyhow::Result<Round>>,
{
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for (round, keyed) in [false, true, true, false].into_iter().enumerate() {
        let measured = phase(keyed, round, duration / 2).await?;
        if keyed {
            with.push(measured);
        } else {
            without.push(measured);
        }
    }
    let (with, without) = (Round::joined(with), Round::joined(without));
    without.print(label, unit, false, reference);
    with.print(label, unit, true, reference);
    println!(
        "{label}  with an Idempotency-Key on every request: {:+.1} % {unit}/s against without (rounds without, with, with, without in the same run)",
        (with.per_second() / without.per_second() - 1.0) * 100.0
    );
    Ok(())
}
