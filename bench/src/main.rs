//! `agenfleet-bench`: the measurements behind `scripts/bench` and docs/BENCHMARKS.md.
//!
//! - `http`: command round trip of `POST /v1/agents`, `GET /v1/agents/{id}` throughput and the
//!   round trip of `POST /v1/sessions/{id}/messages` at a given concurrency against a running
//!   API, then creates and messages again in interleaved rounds for their ratio.
//! - `append`: appends a history of records straight to the log and times how fast the live
//!   projector applies it.
//! - `replay`: times `agenfleet replay`'s rebuild over the whole log.
//! - `metrics`: generates a tenant's long history of messages through the log, then times the
//!   metrics queries on it.
//! - `webhooks`: deliveries per second from a backlog to a local receiver with one and two
//!   `webhook-dispatcher` processes, and the delay from a command's `201` to its webhook.
//! - `cron`: with many jobs due in the same minute, the spread between their scheduled and
//!   actual fire times, and the running scheduler's CPU and memory while idle between fires.
//! - `churn`: commands sent one after another by many clients while the projector is killed and
//!   started again every few seconds; the time they take, each applied exactly once.

mod churn;
mod cron;
mod log_phases;
mod messages;
mod proc_stats;
mod rounds;
mod webhooks;

/// As in `projector` and `agenfleet`, whose replay this runs.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures::future::Either;
use schema::TenantId;
use serde_json::json;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    Http(HttpArgs),
    Append {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "EVENT_LOG_URL")]
        event_log_url: String,
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Append with no projector running (stop it first), then start this `projector`
        /// binary on the whole backlog and report its catch-up rate and peak memory.
        #[arg(long)]
        backlog_projector: Option<std::path::PathBuf>,
    },
    Replay {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "EVENT_LOG_URL")]
        event_log_url: String,
    },
    Metrics {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "EVENT_LOG_URL")]
        event_log_url: String,
        #[arg(long)]
        base: String,
        #[arg(long)]
        key: String,
        /// The tenant of `key`.
        #[arg(long)]
        tenant: TenantId,
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 20)]
        agents: usize,
        #[arg(long, default_value_t = 92)]
        days: i64,
    },
    Webhooks {
        #[arg(long)]
        base: String,
        #[arg(long)]
        key: String,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "EVENT_LOG_URL")]
        event_log_url: String,
        /// The release `webhook-dispatcher` binary, run as child processes.
        #[arg(long)]
        dispatcher_bin: std::path::PathBuf,
        /// Deliveries per throughput round (rounded down to a multiple of `endpoints`).
        #[arg(long, default_value_t = 20_000)]
        deliveries: usize,
        /// Endpoints subscribed to `agent.created`: each agent created is one delivery to each.
        #[arg(long, default_value_t = 10)]
        endpoints: usize,
        /// Sessions opened to measure the delay from `201` to webhook.
        #[arg(long, default_value_t = 1_000)]
        latency_events: usize,
    },
    Churn(churn::ChurnBench),
    Cron {
        #[arg(long)]
        base: String,
        #[arg(long)]
        key: String,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The running `scheduler` process, observed through `/proc`.
        #[arg(long)]
        scheduler_pid: u32,
        /// The running `projector` process: its CPU during the fire is reported too.
        #[arg(long)]
        projector_pid: Option<u32>,
        /// Jobs created, all due every minute.
        #[arg(long, default_value_t = 10_000)]
        jobs: usize,
    },
}

#[derive(clap::Args)]
struct HttpArgs {
    #[arg(long)]
    base: String,
    #[arg(long)]
    key: String,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value = "10s", value_parser = ops::duration::parse_duration)]
    duration: Duration,
    /// Send a fresh Idempotency-Key with every POST.
    #[arg(long, conflicts_with = "compare_idempotency_keys")]
    idempotency_keys: bool,
    /// Run each write phase as four rounds of half the duration — without, with, with and
    /// without an Idempotency-Key — and print both rates and their difference: the two are
    /// measured in the same minute on the same server, and the order cancels a steady drift.
    #[arg(long)]
    compare_idempotency_keys: bool,
    /// How many blocks of those four rounds (and of the four that compare messages with
    /// creates) to run; with more than one, each block's difference is printed too, so the
    /// spread the machine leaves shows beside the figure.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    round_blocks: u16,
    #[command(flatten)]
    reference: Reference,
}

/// What the HTTP figures are compared with: `pgbench` on the same server, in the same run, at the
/// same client count (`scripts/bench` measures it first). Each figure is then printed with its
/// ratio to the reference, the number docs/BENCHMARKS.md compares across machines.
#[derive(clap::Args, Clone, Copy, Default)]
pub(crate) struct Reference {
    /// `pgbench -S` (select only) transactions/s: the reference of a GET.
    #[arg(long)]
    pgbench_select_tps: Option<f64>,
    /// `pgbench -N` (simple write) transactions/s: the reference of a command.
    #[arg(long)]
    pgbench_write_tps: Option<f64>,
}

impl Reference {
    /// ` ratio=0.42 (of pgbench -S 17385 tx/s)`, or nothing without a reference.
    pub(crate) fn read_ratio(self, per_second: f64) -> String {
        Self::ratio(per_second, self.pgbench_select_tps, "-S")
    }

    pub(crate) fn write_ratio(self, per_second: f64) -> String {
        Self::ratio(per_second, self.pgbench_write_tps, "-N")
    }

    fn ratio(per_second: f64, reference: Option<f64>, mode: &str) -> String {
        match reference {
            Some(tps) if tps > 0.0 => {
                format!(
                    " ratio={:.2} (of pgbench {mode} {tps:.0} tx/s)",
                    per_second / tps
                )
            }
            _ => String::new(),
        }
    }
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

async fn http(args: HttpArgs) -> anyhow::Result<()> {
    let HttpArgs {
        base,
        key,
        concurrency,
        duration,
        idempotency_keys,
        compare_idempotency_keys,
        round_blocks,
        reference,
    } = args;
    let blocks = usize::from(round_blocks);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let run = format!(
        "{:x}",
        Instant::now().elapsed().as_nanos() ^ std::process::id() as u128
    );
    let writes = Writes {
        client: &client,
        base: &base,
        key: &key,
        concurrency,
        run: &run,
    };
    let agents = |keyed, round, duration| writes.create_agents(keyed, round, duration);
    if compare_idempotency_keys {
        rounds::compare(
            "POST /v1/agents",
            "commands",
            duration,
            blocks,
            reference,
            agents,
        )
        .await?;
    } else {
        let round = agents(idempotency_keys, 0, duration).await?;
        round.print("POST /v1/agents", "commands", idempotency_keys, reference);
    }

    // GET throughput on one agent.
    let agent: serde_json::Value = client
        .post(format!("{base}/v1/agents"))
        .bearer_auth(&key)
        .json(&json!({"name": format!("bench-{run}-get")}))
        .send()
        .await?
        .json()
        .await?;
    let url = format!(
        "{base}/v1/agents/{}",
        agent["id"].as_str().unwrap_or_default()
    );
    let deadline = Instant::now() + duration;
    let tasks = (0..concurrency).map(|_| {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                if let Ok(r) = client.get(&url).bearer_auth(&key).send().await {
                    if r.status() == 200 && r.bytes().await.is_ok() {
                        latencies.push(started.elapsed());
                    }
                }
            }
            latencies
        })
    });
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in futures::future::join_all(tasks).await {
        latencies.extend(task?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let per_second = latencies.len() as f64 / elapsed;
    println!(
        "GET /v1/agents/{{id}}  concurrency={concurrency} requests={} requests/s={per_second:.0} p50={:.2}ms p99={:.2}ms{}",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        reference.read_ratio(per_second),
    );
    let messages = |keyed, _round, duration| writes.post_messages(keyed, duration);
    if compare_idempotency_keys {
        rounds::compare(
            "POST /v1/sessions/{id}/messages",
            "messages",
            duration,
            blocks,
            reference,
            messages,
        )
        .await?;
    } else {
        let round = messages(idempotency_keys, 0, duration).await?;
        round.print(
            "POST /v1/sessions/{id}/messages",
            "messages",
            idempotency_keys,
            reference,
        );
    }
    // Creates and messages again in interleaved rounds, for their ratio.
    let either = |messages, round, duration| {
        if messages {
            Either::Right(writes.post_messages(false, duration))
        } else {
            // Apart from the names of the comparison of keys (rounds 0, 1, …).
            Either::Left(writes.create_agents(false, 1_000 + round, duration))
        }
    };
    rounds::messages_against_creates(duration, blocks, reference, either).await
}

/// What the write phases need: the client, the API and its key, how many clients, and a tag
/// that keeps this run's names apart.
pub(crate) struct Writes<'a> {
    pub client: &'a reqwest::Client,
    pub base: &'a str,
    pub key: &'a str,
    pub concurrency: usize,
    pub run: &'a str,
}

impl Writes<'_> {
    /// `POST /v1/agents` round trips for `duration` (each with a fresh Idempotency-Key if
    /// `keyed`); `round` keeps the names of rounds of one run apart.
    async fn create_agents(
        &self,
        keyed: bool,
        round: usize,
        duration: Duration,
    ) -> anyhow::Result<rounds::Round> {
        let deadline = Instant::now() + duration;
        let tasks = (0..self.concurrency).map(|worker| {
            let client = self.client.clone();
            let url = format!("{}/v1/agents", self.base);
            let (key, run) = (self.key.to_owned(), self.run.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let mut request = client
                        .post(&url)
                        .bearer_auth(&key)
                        .json(&json!({"name": format!("bench-{run}-{round}-{worker}-{i}")}));
                    if keyed {
                        request = request
                            .header("Idempotency-Key", format!("{run}-{round}-{worker}-{i}"));
                    }
                    match request.send().await {
                        Ok(r) if r.status() == 201 => latencies.push(started.elapsed()),
                        _ => errors += 1,
                    }
                    i += 1;
                }
                Ok((latencies, errors))
            })
        });
        rounds::Round::gather(tasks).await
    }
}

fn main() -> anyhow::Result<()> {
    allocator::give_memory_back();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::Http(args) => http(args).await,
        Bench::Append {
            database_url,
            event_log_url,
            records,
            concurrency,
            backlog_projector,
        } => {
            log_phases::append(
                database_url,
                event_log_url,
                records,
                concurrency,
                backlog_projector,
            )
            .await
        }
        Bench::Replay {
            database_url,
            event_log_url,
        } => log_phases::replay(database_url, event_log_url).await,
        Bench::Churn(bench) => churn::churn(bench).await,
        Bench::Metrics {
            database_url,
            event_log_url,
            base,
            key,
            tenant,
            messages,
            agents,
            days,
        } => {
            messages::metrics(messages::MetricsBench {
                database_url,
                event_log_url,
                base,
                key,
                tenant,
                messages,
                agents,
                days,
            })
            .await
        }
        Bench::Webhooks {
            base,
            key,
            database_url,
            event_log_url,
            dispatcher_bin,
            deliveries,
            endpoints,
            latency_events,
        } => {
            webhooks::webhooks(webhooks::WebhooksBench {
                base,
                key,
                database_url,
                event_log_url,
                dispatcher_bin,
                deliveries,
                endpoints,
                latency_events,
            })
            .await
        }
        Bench::Cron {
            base,
            key,
            database_url,
            scheduler_pid,
            projector_pid,
            jobs,
        } => {
            cron::cron(cron::CronBench {
                base,
                key,
                database_url,
                scheduler_pid,
                projector_pid,
                jobs,
            })
            .await
        }
    }
}
