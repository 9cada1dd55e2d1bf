//! `agenfleet-bench`: the measurements behind `scripts/bench` and docs/BENCHMARKS.md.
//!
//! - `http`: command round trip of `POST /v1/agents` and `GET /v1/agents/{id}` throughput at a
//!   given concurrency against a running API.
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
mod messages;
mod proc_stats;
mod webhooks;

/// As in `projector` and `agenfleet`, whose replay this runs.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use schema::agent::AgentConfig;
use schema::command::{CreateAgent, CreateTenant, RecordHeartbeat};
use schema::tenant::Plan;
use schema::{Actor, AgentId, Command, CommandRecord, TenantId};
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
    Churn {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "EVENT_LOG_URL")]
        event_log_url: String,
        /// The `projector` binary, run as a child process (with this process's environment),
        /// killed with SIGKILL and started again every `kill_every`.
        #[arg(long)]
        projector_bin: std::path::PathBuf,
        #[arg(long, default_value_t = 2_000)]
        commands: usize,
        /// Clients, each a tenant of its own sending one command after another.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        #[arg(long, default_value = "2s", value_parser = ops::duration::parse_duration)]
        kill_every: Duration,
        /// Stop there and say how many commands were applied.
        #[arg(long, default_value = "10m", value_parser = ops::duration::parse_duration)]
        give_up_after: Duration,
    },
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
    #[arg(long)]
    idempotency_keys: bool,
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
        reference,
    } = args;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let run = format!(
        "{:x}",
        Instant::now().elapsed().as_nanos() ^ std::process::id() as u128
    );
    // POST round trips.
    let deadline = Instant::now() + duration;
    let tasks = (0..concurrency).map(|worker| {
        let (client, base, key, run) = (client.clone(), base.clone(), key.clone(), run.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = 0u64;
            while Instant::now() < deadline {
                let started = Instant::now();
                let mut request = client
                    .post(format!("{base}/v1/agents"))
                    .bearer_auth(&key)
                    .json(&json!({"name": format!("bench-{run}-{worker}-{i}")}));
                if idempotency_keys {
                    request = request.header("Idempotency-Key", format!("{run}-{worker}-{i}"));
                }
                let response = request.send().await;
                match response {
                    Ok(r) if r.status() == 201 => latencies.push(started.elapsed()),
                    _ => errors += 1,
                }
                i += 1;
            }
            (latencies, errors)
        })
    });
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in futures::future::join_all(tasks).await {
        let (l, e) = task?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let per_second = latencies.len() as f64 / elapsed;
    println!(
        "POST /v1/agents  concurrency={concurrency} idempotency_keys={idempotency_keys} commands={} errors={errors} commands/s={per_second:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms{}",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        reference.write_ratio(per_second),
    );

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
    messages::post_messages(
        &client,
        &base,
        &key,
        concurrency,
        duration,
        idempotency_keys,
        reference,
    )
    .await
}

/// 100 tenants, then agent creations and heartbeats spread over them.
fn history(records: usize) -> Vec<CommandRecord> {
    let actor = Actor::system("bench");
    let tenants: Vec<TenantId> = (0..100).map(|_| TenantId::new()).collect();
    let mut out: Vec<CommandRecord> = tenants
        .iter()
        .map(|tenant| {
            let create = CreateTenant {
                name: "bench".into(),
                plan: Plan::Enterprise,
                limits: Default::default(),
            };
            CommandRecord::new(*tenant, actor.clone(), Command::CreateTenant(create))
        })
        .collect();
    let mut agents: Vec<(TenantId, AgentId)> = Vec::new();
    let mut i = 0usize;
    while out.len() < records {
        let tenant = tenants[i % tenants.len()];
        if i.is_multiple_of(2) || agents.is_empty() {
            let agent_id = AgentId::new();
            agents.push((tenant, agent_id));
            let create = CreateAgent {
                agent_id,
                name: format!("agent-{i}"),
                role: None,
                description: None,
                soul: None,
                config: AgentConfig::default(),
                gateway_secret: None,
            };
            out.push(CommandRecord::new(
                tenant,
                actor.clone(),
                Command::CreateAgent(create),
            ));
        } else {
            let (tenant, agent_id) = agents[i % agents.len()];
            let beat = RecordHeartbeat {
                agent_id,
                state: Default::default(),
                latency_ms: Some(5),
                detail: None,
            };
            out.push(CommandRecord::new(
                tenant,
                actor.clone(),
                Command::RecordHeartbeat(beat),
            ));
        }
        i += 1;
    }
    out
}

pub(crate) async fn decided(database_url: &str) -> anyhow::Result<i64> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client
        .query_one("SELECT count(*) FROM readmodel.command_outcomes", &[])
        .await?
        .get(0))
}

async fn append(
    database_url: String,
    event_log_url: String,
    records: usize,
    concurrency: usize,
    backlog_projector: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let log = event_log::connect(&event_log_url).await?;
    let before = decided(&database_url).await?;
    let history = Arc::new(history(records));
    let started = Instant::now();
    // Tenants first, so every agent creation finds its tenant.
    for record in &history[..100] {
        log.append(record).await?;
    }
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(100));
    let tasks = (0..concurrency).map(|_| {
        let (log, history, next) = (log.clone(), history.clone(), next.clone());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(record) = history.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                log.append(record).await?;
            }
        })
    });
    for task in futures::future::join_all(tasks).await {
        task??;
    }
    let appended = started.elapsed();
    println!(
        "append  records={records} seconds={:.2} records/s={:.0}",
        appended.as_secs_f64(),
        records as f64 / appended.as_secs_f64()
    );
    if let Some(projector) = backlog_projector {
        return catch_up(&projector, &database_url, before + records as i64).await;
    }
    loop {
        let done = decided(&database_url).await? - before;
        if done >= records as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let applied = started.elapsed();
    println!(
        "live projector  records={records} seconds={:.2} records/s={:.0} (from first append to last applied)",
        applied.as_secs_f64(),
        records as f64 / applied.as_secs_f64()
    );
    Ok(())
}

/// Starts the projector on a backlog and waits until `target` commands are decided, sampling its
/// memory; stops it with SIGTERM after.
async fn catch_up(
    projector: &std::path::Path,
    database_url: &str,
    target: i64,
) -> anyhow::Result<()> {
    let backlog = target - decided(database_url).await?;
    let mut child = tokio::process::Command::new(projector)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| anyhow::anyhow!("starting {}: {error}", projector.display()))?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow::anyhow!("the projector exited at once"))?;
    let ticks = proc_stats::clock_ticks();
    let (started, first) = (Instant::now(), proc_stats::sample(pid, ticks)?);
    let mut last = first;
    while decided(database_url).await? < target {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the projector exited during the catch-up: {status}");
        }
        last = proc_stats::sample(pid, ticks)?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "backlog catch-up  records={backlog} seconds={seconds:.2} records/s={:.0} projector peak RSS={:.1} MiB CPU={:.0}%",
        backlog as f64 / seconds,
        last.peak_rss_mib,
        last.cpu_percent_since(&first),
    );
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    child.wait().await?;
    Ok(())
}

async fn replay(database_url: String, event_log_url: String) -> anyhow::Result<()> {
    let log = event_log::connect(&event_log_url).await?;
    let report = projector::replay::rebuild(&database_url, log, |progress| {
        eprintln!(
            "  … {} records ({:.0}/s)",
            progress.records,
            progress.rate()
        );
    })
    .await?;
    println!(
        "replay  records={} seconds={:.2} records/s={:.0}",
        report.records,
        report.elapsed.as_secs_f64(),
        report.records as f64 / report.elapsed.as_secs_f64()
    );
    Ok(())
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
            append(
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
        } => replay(database_url, event_log_url).await,
        Bench::Churn {
            database_url,
            event_log_url,
            projector_bin,
            commands,
            clients,
            kill_every,
            give_up_after,
        } => {
            churn::churn(churn::ChurnBench {
                database_url,
                event_log_url,
                projector_bin,
                commands,
                clients,
                kill_every,
                give_up_after,
            })
            .await
        }
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
