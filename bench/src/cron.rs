//! The cron benchmark: with many enabled jobs due in the same minute, the spread between each
//! fire's scheduled time and the moment the scheduler issued it (`started_at` of the run: the
//! fire command's `issuedAt`), and the scheduler's CPU and memory while idle between fires.
//!
//! The scheduler is the running release process of `scripts/bench` (its pid is given): it is
//! observed through `/proc`, never started or stopped here. The fires are read back from the
//! read models (`cron_runs`) and, on the Postgres log, from the log itself (`appended_at`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, Utc};
use serde_json::{json, Value};

use crate::proc_stats::{clock_ticks, grouped, sample};

/// Clients creating jobs (as in the `http` phase).
const CLIENTS: usize = 16;
/// The jobs are spread over this many agents of the bench tenant.
const AGENTS: usize = 10;
/// The shortest idle window measured before the fire: a fire closer than this after the jobs
/// are created is let through, and the next minute's is measured.
const MIN_IDLE: Duration = Duration::from_secs(15);
/// The idle window ends this long before the fire (the scheduler may wake a little early).
const LEAD: Duration = Duration::from_secs(2);
/// The idle window after the fire, when the minute leaves time for it.
const IDLE_AFTER: Duration = Duration::from_secs(20);
/// How long the fire's runs may take to arrive before the bench reports what it has.
const FIRE_DEADLINE: Duration = Duration::from_secs(120);
/// How long fires pending after the creation may take to be applied.
const SETTLE_DEADLINE: Duration = Duration::from_secs(180);
/// How often the read model is polled during the fire (each poll is a query on two cores the
/// projector and Postgres need).
const POLL: Duration = Duration::from_millis(100);

pub struct CronBench {
    pub base: String,
    pub key: String,
    pub database_url: String,
    pub scheduler_pid: u32,
    /// Also reports the projector's CPU during the fire.
    pub projector_pid: Option<u32>,
    pub jobs: usize,
}

/// Sleeps until the wall clock reads `at` (at once if it has passed).
async fn sleep_until(at: DateTime<Utc>) {
    if let Ok(wait) = (at - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

fn seconds_since(at: DateTime<Utc>) -> f64 {
    (Utc::now() - at).num_milliseconds() as f64 / 1e3
}

/// POSTs `body` as the bench tenant and expects `201`; returns the new resource's id.
async fn create(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    path: &str,
    body: &Value,
) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status == 201, "POST {path} {body}: {status} {text}");
    let value: Value = serde_json::from_str(&text)?;
    Ok(value["id"].as_str().unwrap_or_default().to_owned())
}

/// The bench's agents' jobs and runs in the read models.
struct Fires {
    db: tokio_postgres::Client,
    agents: Vec<String>,
}

/// Where a fire's runs stand, in milliseconds after the scheduled time.
struct Spread {
    runs: i64,
    running: i64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Fires {
    async fn count(&self, sql: &str, at: Option<DateTime<Utc>>) -> anyhow::Result<usize> {
        let row = match at {
            Some(at) => self.db.query_one(sql, &[&self.agents, &at]).await?,
            None => self.db.query_one(sql, &[&self.agents]).await?,
        };
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// Jobs whose fire is due and not yet applied.
    async fn due_now(&self) -> anyhow::Result<usize> {
        self.count(
            "SELECT count(*) FROM readmodel.cron_jobs
             WHERE agent_id = ANY($1) AND enabled AND next_run_at <= now()",
            None,
        )
        .await
    }

    async fn due_at(&self, at: DateTime<Utc>) -> anyhow::Result<usize> {
        self.count(
            "SELECT count(*) FROM readmodel.cron_jobs
             WHERE agent_id = ANY($1) AND enabled AND next_run_at = $2",
            Some(at),
        )
        .await
    }

    async fn runs_at(&self, at: DateTime<Utc>) -> anyhow::Result<usize> {
        self.count(
            "SELECT count(*) FROM readmodel.cron_runs WHERE agent_id = ANY($1) AND scheduled_for = $2",
            Some(at),
        )
        .await
    }

    /// Waits until no fire of the bench's jobs is due and unapplied (fires of minutes crossed
    /// while the jobs were created).
    async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + SETTLE_DEADLINE;
        loop {
            let due = self.due_now().await?;
            if due == 0 {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{due} fires still due and unapplied after {SETTLE_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `started_at - scheduled_for` over the runs of the fire at `at`.
    async fn spread(&self, at: DateTime<Utc>) -> anyhow::Result<Spread> {
        let row = self
            .db
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE status = 'running'),
                   percentile_cont(ARRAY[0.5, 0.99, 1.0]) WITHIN GROUP (ORDER BY lateness)
                 FROM (SELECT status, extract(epoch FROM started_at - scheduled_for)::float8 * 1e3
                         AS lateness
                       FROM readmodel.cron_runs WHERE agent_id = ANY($1) AND scheduled_for = $2) r",
                &[&self.agents, &at],
            )
            .await?;
        let quantiles: Vec<f64> = row.get::<_, Option<Vec<f64>>>(2).unwrap_or_default();
        let q = |i: usize| quantiles.get(i).copied().unwrap_or(f64::NAN);
        Ok(Spread {
            runs: row.get(0),
            running: row.get(1),
            p50_ms: q(0),
            p99_ms: q(1),
            max_ms: q(2),
        })
    }

    /// On the Postgres log: when the fire's commands were issued and appended, p50 / p99 / max
    /// in seconds after `at`.
    async fn log_timeline(&self, at: DateTime<Utc>) -> anyhow::Result<Option<String>> {
        let on_postgres: bool = self
            .db
            .query_one("SELECT to_regclass('eventlog.records') IS NOT NULL", &[])
            .await?
            .get(0);
        if !on_postgres {
            return Ok(None);
        }
        let row = self
            .db
            .query_one(
                "SELECT count(*),
                   percentile_cont(ARRAY[0.5, 0.99, 1.0]) WITHIN GROUP (ORDER BY issued),
                   percentile_cont(ARRAY[0.5, 0.99, 1.0]) WITHIN GROUP (ORDER BY appended),
                   percentile_cont(ARRAY[0.5, 0.99, 1.0]) WITHIN GROUP (ORDER BY appended - issued)
                 FROM (SELECT extract(epoch FROM (record->>'issuedAt')::timestamptz - $1)::float8 AS issued,
                              extract(epoch FROM appended_at - $1)::float8 AS appended
                       FROM eventlog.records
                       WHERE record->>'kind' = 'cron.fire'
                         AND record->'payload'->>'agentId' = ANY($2)
                         AND (record->'payload'->>'scheduledFor')::timestamptz = $1) f",
                &[&at, &self.agents],
            )
            .await?;
        let commands: i64 = row.get(0);
        let show = |i: usize, scale: f64, unit: &str| {
            let q: Vec<f64> = row.get::<_, Option<Vec<f64>>>(i).unwrap_or_default();
            let q: Vec<String> = q.iter().map(|s| format!("{:.2}", s * scale)).collect();
            format!("{} {unit}", q.join(" / "))
        };
        Ok(Some(format!(
            "{} cron.fire commands in the log; issued {}, appended {} after the due time; issue → append {} (p50 / p99 / max)",
            grouped(commands as f64),
            show(1, 1.0, "s"),
            show(2, 1.0, "s"),
            show(3, 1e3, "ms"),
        )))
    }
}

/// Creates the agents, then `jobs` jobs spread over them on `CLIENTS` clients.
async fn create_jobs(bench: &CronBench) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let run = schema::AgentId::new().to_string();
    let mut agents = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        let body = json!({ "name": format!("bench-cron-{run}-{i}") });
        agents.push(create(&client, &bench.base, &bench.key, "/v1/agents", &body).await?);
    }
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let agents = Arc::new(agents);
    let tasks = (0..CLIENTS).map(|_| {
        let (client, next, agents) = (client.clone(), next.clone(), agents.clone());
        let (base, key, jobs) = (bench.base.clone(), bench.key.clone(), bench.jobs);
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    return Ok::<_, anyhow::Error>(());
                }
                let body = json!({
                    "agentId": agents[i % agents.len()],
                    "name": format!("bench-cron-{i}"),
                    "prompt": "Report",
                    "schedule": "* * * * *",
                    "overlapPolicy": "allow",
                });
                create(&client, &base, &key, "/v1/cron-jobs", &body).await?;
            }
        })
    });
    for task in futures::future::join_all(tasks).await {
        task??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "cron: {} jobs (\"* * * * *\", {AGENTS} agents) created in {elapsed:.1} s ({}/s, {CLIENTS} clients)",
        grouped(bench.jobs as f64),
        grouped(bench.jobs as f64 / elapsed),
    );
    Ok(Arc::try_unwrap(agents).unwrap_or_else(|agents| (*agents).clone()))
}

/// The first minute boundary at least `MIN_IDLE + LEAD` away with no fire pending before it:
/// fires of nearer boundaries are let through and applied first.
async fn choose_fire(fires: &Fires) -> anyhow::Result<DateTime<Utc>> {
    loop {
        fires.settle().await?;
        let now = Utc::now();
        let next = now.duration_trunc(chrono::Duration::minutes(1))? + chrono::Duration::minutes(1);
        if (next - now).to_std()? >= MIN_IDLE + LEAD {
            return Ok(next);
        }
        sleep_until(next).await;
    }
}

pub async fn cron(bench: CronBench) -> anyhow::Result<()> {
    let ticks = clock_ticks();
    let pid = bench.scheduler_pid;
    sample(pid, ticks).map_err(|error| anyhow::anyhow!("the scheduler (pid {pid}): {error}"))?;
    let (db, connection) =
        tokio_postgres::connect(&bench.database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let agents = create_jobs(&bench).await?;
    let fires = Fires { db, agents };
    let jobs = bench.jobs;

    let due = choose_fire(&fires).await?;
    let due_label = due.format("%H:%M:%S UTC");
    let scheduled = fires.due_at(due).await?;
    if scheduled != jobs {
        println!("cron: only {scheduled} of {jobs} jobs are due at {due_label}");
    }

    // Idle before the fire: nothing due until `due`, nothing else running.
    let quiet = sample(pid, ticks)?;
    sleep_until(due - chrono::Duration::from_std(LEAD)?).await;
    let end = sample(pid, ticks)?;
    println!(
        "cron: scheduler idle before the fire ({:.0} s, nothing due): CPU {:.2} % of a core ({:.2} s), RSS {:.1} MiB (peak {:.1} MiB)",
        end.at.duration_since(quiet.at).as_secs_f64(),
        end.cpu_percent_since(&quiet),
        end.cpu_seconds - quiet.cpu_seconds,
        end.rss_mib,
        end.peak_rss_mib,
    );

    // The fire: poll until every run of it is in the read model.
    sleep_until(due - chrono::Duration::seconds(1)).await;
    let projector_pid = bench.projector_pid;
    let before = sample(pid, ticks)?;
    let projector_before = projector_pid.map(|p| sample(p, ticks)).transpose()?;
    let (mut first, mut half, mut applied) = (None, None, None);
    let deadline = Instant::now() + FIRE_DEADLINE + Duration::from_secs(1);
    let mut arrived = 0;
    while Instant::now() < deadline {
        arrived = fires.runs_at(due).await?;
        let at = seconds_since(due);
        if arrived > 0 && first.is_none() {
            first = Some(at);
        }
        if arrived * 2 >= jobs && half.is_none() {
            half = Some(at);
        }
        if arrived >= jobs {
            applied = Some(at);
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let after = sample(pid, ticks)?;
    let projector_after = projector_pid.map(|p| sample(p, ticks)).transpose()?;
    let spread = fires.spread(due).await?;
    let applied_text = match applied {
        Some(at) => format!("all applied after {at:.1} s"),
        None => format!(
            "only {} of {} runs applied after {:.0} s",
            grouped(arrived as f64),
            grouped(jobs as f64),
            FIRE_DEADLINE.as_secs_f64()
        ),
    };
    println!(
        "cron: {} fires due {due_label}: spread (run started_at - scheduled_for) p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {applied_text}",
        grouped(spread.runs as f64),
        spread.p50_ms,
        spread.p99_ms,
        spread.max_ms,
    );
    let show = |at: Option<f64>| at.map_or("-".to_owned(), |at| format!("{at:.1} s"));
    let mut during = format!(
        "cron: during the fire: runs applied first {}, half {}, all {} after the due time ({} running, {} skipped or failed); scheduler CPU {:.2} s ({:.0} % of a core), RSS {:.1} MiB (peak {:.1} MiB)",
        show(first),
        show(half),
        show(applied),
        grouped(spread.running as f64),
        spread.runs - spread.running,
        after.cpu_seconds - before.cpu_seconds,
        after.cpu_percent_since(&before),
        after.rss_mib,
        after.peak_rss_mib,
    );
    if let (Some(b), Some(a)) = (projector_before, projector_after) {
        during.push_str(&format!(
            "; projector CPU {:.2} s ({:.0} % of a core)",
            a.cpu_seconds - b.cpu_seconds,
            a.cpu_percent_since(&b)
        ));
    }
    println!("{during}");
    if let Some(timeline) = fires.log_timeline(due).await? {
        println!("cron: {timeline}");
    }

    // Idle after the fire, until shortly before the next one.
    let next = due + chrono::Duration::minutes(1) - chrono::Duration::from_std(LEAD)?;
    let left = (next - Utc::now()).to_std().unwrap_or_default();
    if applied.is_some() && left >= Duration::from_secs(5) {
        let quiet = sample(pid, ticks)?;
        tokio::time::sleep(left.min(IDLE_AFTER)).await;
        let end = sample(pid, ticks)?;
        println!(
            "cron: scheduler idle after the fire ({:.0} s, {} runs waiting for replies): CPU {:.2} % of a core ({:.2} s), RSS {:.1} MiB (peak {:.1} MiB)",
            end.at.duration_since(quiet.at).as_secs_f64(),
            grouped(spread.running as f64),
            end.cpu_percent_since(&quiet),
            end.cpu_seconds - quiet.cpu_seconds,
            end.rss_mib,
            end.peak_rss_mib,
        );
    } else {
        println!("cron: no idle time measured after the fire (the next one is due)");
    }
    Ok(())
}
