//! Timed rounds of a write phase, and comparisons measured in the same minutes: writes with and
//! without an `Idempotency-Key`, messages against agent creations.

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

/// Runs `phase` in `blocks` blocks of four rounds of half of `duration` each — the first kind,
/// the second, the second, the first (`phase(second, round, duration)`, `round` counting from 0
/// across blocks) — and returns each kind's rounds taken together, with how far the second kind
/// fell behind the first in each block: both measured in the same minutes on the same server,
/// and the order cancels a steady drift of the machine (which moves by a third within minutes
/// on some days); the blocks' spread shows what drift is left.
async fn interleaved<F, R>(
    duration: Duration,
    blocks: usize,
    phase: F,
) -> anyhow::Result<(Round, Round, Vec<f64>)>
where
    F: Fn(bool, usize, Duration) -> R,
    R: Future<Output = anyhow::Result<Round>>,
{
    let (mut first, mut second, mut per_block) = (Vec::new(), Vec::new(), Vec::new());
    let order = [false, true, true, false];
    for block in 0..blocks.max(1) {
        let (mut block_first, mut block_second) = (Vec::new(), Vec::new());
        for (i, is_second) in order.into_iter().enumerate() {
            let measured = phase(is_second, block * order.len() + i, duration / 2).await?;
            if is_second {
                block_second.push(measured);
            } else {
                block_first.push(measured);
            }
        }
        let (block_first, block_second) = (Round::joined(block_first), Round::joined(block_second));
        per_block.push(difference(&block_first, &block_second));
        first.push(block_first);
        second.push(block_second);
    }
    Ok((Round::joined(first), Round::joined(second), per_block))
}

/// How far `second`'s rate falls behind `first`'s, in per cent (negative: slower).
fn difference(first: &Round, second: &Round) -> f64 {
    (second.per_second() / first.per_second() - 1.0) * 100.0
}

/// `; per block of four rounds: -18.2 %, -21.0 %` when there were several blocks.
fn blocks_text(per_block: &[f64]) -> String {
    if per_block.len() < 2 {
        return String::new();
    }
    let each: Vec<String> = per_block.iter().map(|d| format!("{d:+.1} %")).collect();
    format!("; per block of four rounds: {}", each.join(", "))
}

/// `phase` without and with an Idempotency-Key (`phase(keyed, round, duration)`) in interleaved
/// rounds; prints both and how far the keyed rounds fall behind.
pub(crate) async fn compare<F, R>(
    label: &str,
    unit: &str,
    duration: Duration,
    blocks: usize,
    reference: Reference,
    phase: F,
) -> anyhow::Result<()>
where
    F: Fn(bool, usize, Duration) -> R,
    R: Future<Output = anyhow::Result<Round>>,
{
    let (without, with, per_block) = interleaved(duration, blocks, phase).await?;
    without.print(label, unit, false, reference);
    with.print(label, unit, true, reference);
    println!(
        "{label}  with an Idempotency-Key on every request: {:+.1} % {unit}/s against without (rounds without, with, with, without in the same run){}",
        difference(&without, &with),
        blocks_text(&per_block)
    );
    Ok(())
}

/// Agent creations and messages (`phase(messages, round, duration)`, without keys) in
/// interleaved rounds; prints both and how far messages fall behind creations — issue 15's
/// "messages within 20 % of POST", which phases run one after the other measure with the drift
/// between them in it.
pub(crate) async fn messages_against_creates<F, R>(
    duration: Duration,
    blocks: usize,
    reference: Reference,
    phase: F,
) -> anyhow::Result<()>
where
    F: Fn(bool, usize, Duration) -> R,
    R: Future<Output = anyhow::Result<Round>>,
{
    let (creates, messages, per_block) = interleaved(duration, blocks, phase).await?;
    creates.print(
        "POST /v1/agents (rounds beside messages)",
        "commands",
        false,
        reference,
    );
    messages.print(
        "POST /v1/sessions/{id}/messages (rounds beside creates)",
        "messages",
        false,
        reference,
    );
    println!(
        "POST /v1/sessions/{{id}}/messages  against POST /v1/agents: {:+.1} % per second (rounds creates, messages, messages, creates in the same run){}",
        difference(&creates, &messages),
        blocks_text(&per_block)
    );
    Ok(())
}
