//! The webhook benchmark: deliveries per second from a backlog to a fast local receiver with
//! one and two `webhook-dispatcher` processes, and the delay from a command's acceptance (its
//! `201`) to its webhook's arrival.
//!
//! The dispatchers are real child processes of the release build, as in production; the
//! receiver is `testkit`'s in this process, so its arrival `Instant`s and the HTTP clients'
//! share one clock.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::receiver::{Received, Receiver};
use tokio::process::{Child, Command};

use crate::percentile;
use crate::proc_stats::{clock_ticks, grouped, sample, Sample};

/// Clients creating agents (as in the `http` phase).
const AGENT_CLIENTS: usize = 16;
/// Clients opening sessions in the delay measurement.
const SESSION_CLIENTS: usize = 4;
/// The receiver path of the endpoint subscribed to `session.created`.
const SESSIONS_PATH: &str = "/sessions";
/// How long a round may take before the bench gives up and shows the queue's state.
const ROUND_DEADLINE: Duration = Duration::from_secs(300);

pub struct WebhooksBench {
    pub base: String,
    pub key: String,
    pub database_url: String,
    pub event_log_url: String,
    pub dispatcher_bin: PathBuf,
    pub deliveries: usize,
    pub endpoints: usize,
    pub latency_events: usize,
}

/// The API as one tenant's client.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    /// POSTs `body` and expects `201`; returns the body and when the answer's head arrived.
    async fn create(&self, path: &str, body: &Value) -> anyhow::Result<(Value, Instant)> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        let accepted = Instant::now();
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status == 201, "POST {path} {body}: {status} {text}");
        Ok((serde_json::from_str(&text)?, accepted))
    }

    async fn register(&self, url: String, event: &str) -> anyhow::Result<String> {
        let body = json!({"url": url, "events": [event]});
        let (webhook, _) = self.create("/v1/webhooks", &body).await?;
        Ok(id_of(&webhook))
    }
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

/// Runs `count` creations on `clients` concurrent clients; `make(i)` gives the i-th
/// `(path, body)`. Returns each created resource's id with the moment its `201` arrived.
async fn create_many(
    api: &Api,
    count: usize,
    clients: usize,
    make: impl Fn(usize) -> (&'static str, Value) + Send + Sync + 'static,
) -> anyhow::Result<Vec<(String, Instant)>> {
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let tasks = (0..clients).map(|_| {
        let (api, next, make) = (api.clone(), next.clone(), make.clone());
        tokio::spawn(async move {
            let mut created = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(created);
                }
                let (path, body) = make(i);
                let (value, accepted) = api.create(path, &body).await?;
                created.push((id_of(&value), accepted));
            }
        })
    });
    let mut all = Vec::with_capacity(count);
    for task in futures::future::join_all(tasks).await {
        all.extend(task??);
    }
    Ok(all)
}

/// Running `webhook-dispatcher` processes; killed if dropped without [`Dispatchers::stop`].
struct Dispatchers {
    children: Vec<Child>,
}

impl Dispatchers {
    fn spawn(bench: &WebhooksBench, n: usize) -> anyhow::Result<Self> {
        let children = (0..n)
            .map(|_| {
                Command::new(&bench.dispatcher_bin)
                    .env("DATABASE_URL", &bench.database_url)
                    .env("EVENT_LOG_URL", &bench.event_log_url)
                    .env("AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
                    .env("AGENFLEET_ADMIN_LISTEN", "127.0.0.1:0")
                    .env("RUST_LOG", "warn")
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|error| {
                        anyhow::anyhow!("spawning {}: {error}", bench.dispatcher_bin.display())
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { children })
    }

    fn sample(&self, ticks: f64) -> anyhow::Result<Vec<Sample>> {
        self.children
            .iter()
            .map(|child| sample(child.id().unwrap_or_default(), ticks))
            .collect()
    }

    /// SIGTERM to each, then waits for them to drain and exit.
    async fn stop(mut self) -> anyhow::Result<()> {
        for child in &self.children {
            if let Some(pid) = child.id() {
                std::process::Command::new("kill")
                    .arg("-TERM")
                    .arg(pid.to_string())
                    .status()?;
            }
        }
        for child in &mut self.children {
            let status = tokio::time::timeout(Duration::from_secs(60), child.wait()).await??;
            if !status.success() {
                eprintln!("webhooks: a dispatcher exited with {status}");
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "dispatcher"
    } else {
        "dispatchers"
    }
}

/// The queue's counts, for waits and for a useful message when a wait fails.
struct Queue {
    db: tokio_postgres::Client,
    webhooks: Vec<String>,
}

impl Queue {
    async fn count(&self, status: &str) -> anyhow::Result<usize> {
        let row = self
            .db
            .query_one(
                "SELECT count(*) FROM dispatch.deliveries WHERE status = $1 AND webhook_id = ANY($2)",
                &[&status, &self.webhooks],
            )
            .await?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// Polls until `done(count of status)`, or fails showing the queue after the deadline.
    async fn wait(&self, status: &str, done: impl Fn(usize) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + ROUND_DEADLINE;
        loop {
            let count = self.count(status).await?;
            if done(count) {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "waiting for {status} deliveries ({count} now): {}",
                    self.describe().await?
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn describe(&self) -> anyhow::Result<String> {
        let rows = self
            .db
            .query(
                "SELECT status, count(*), max(last_error) FROM dispatch.deliveries
                 WHERE webhook_id = ANY($1) GROUP BY status",
                &[&self.webhooks],
            )
            .await?;
        let parts: Vec<String> = rows
            .iter()
            .map(|row| {
                let error: Option<String> = row.get(2);
                let status: String = row.get(0);
                let count: i64 = row.get(1);
                format!(
                    "{status} {count} (last error {})",
                    error.unwrap_or_default()
                )
            })
            .collect();
        Ok(parts.join(", "))
    }
}

/// Waits until the receiver has at least `count` requests, polling its counter.
async fn wait_for_arrivals(receiver: &Receiver, count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + ROUND_DEADLINE;
    while receiver.count() < count {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the receiver has {} of {count} requests after {ROUND_DEADLINE:?}",
            receiver.count()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// When the `expected`-th distinct (webhook-id, path) arrived, and how many requests repeated
/// one that had arrived already.
fn distinct_arrivals(requests: &[Received], expected: usize) -> (Option<Instant>, usize) {
    let mut seen = HashSet::new();
    let (mut complete, mut duplicates) = (None, 0);
    for request in requests {
        let key = (
            request.header("webhook-id").map(str::to_owned),
            &request.path,
        );
        if !seen.insert(key) {
            duplicates += 1;
        } else if seen.len() == expected {
            complete = Some(request.at);
        }
    }
    (complete, duplicates)
}

pub async fn webhooks(bench: WebhooksBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var("AGENFLEET_SECRET_KEY").is_ok_and(|key| !key.trim().is_empty()),
        "AGENFLEET_SECRET_KEY must be set (the API's operator key, which the dispatchers inherit)"
    );
    let endpoints = bench.endpoints.max(1);
    let agents = (bench.deliveries / endpoints).max(1);
    let deliveries = agents * endpoints;
    let ticks = clock_ticks();
    let receiver = Receiver::start().await;
    let api = Api {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(AGENT_CLIENTS)
            .build()?,
        base: bench.base.clone(),
        key: bench.key.clone(),
    };
    let run = schema::AgentId::new().to_string();
    // The sessions' agent comes before the endpoints, so that its creation is not delivered.
    let (agent, _) = api
        .create(
            "/v1/agents",
            &json!({"name": format!("bench-wh-{run}-sessions")}),
        )
        .await?;
    let agent = id_of(&agent);
    let mut webhooks = Vec::new();
    for i in 0..endpoints {
        let url = format!("{}/e{i}", receiver.base());
        webhooks.push(api.register(url, "agent.created").await?);
    }
    let url = format!("{}{SESSIONS_PATH}", receiver.base());
    webhooks.push(api.register(url, "session.created").await?);
    let (db, connection) =
        tokio_postgres::connect(&bench.database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let queue = Queue { db, webhooks };
    println!(
        "webhooks: {endpoints} endpoints on a local receiver, {agents} agents × {endpoints} = {} deliveries per round",
        grouped(deliveries as f64)
    );
    let setup = Setup {
        bench,
        api,
        receiver,
        queue,
        agents,
        deliveries,
        ticks,
        run,
        agent,
    };
    for n in [1, 2] {
        setup.throughput(n).await?;
    }
    for n in [1, 2] {
        setup.delay(n).await?;
    }
    Ok(())
}

/// What the rounds share.
struct Setup {
    bench: WebhooksBench,
    api: Api,
    receiver: Receiver,
    queue: Queue,
    /// Agents created per throughput round, each delivered to every endpoint.
    agents: usize,
    deliveries: usize,
    ticks: f64,
    /// Makes this run's agent names unique.
    run: String,
    /// The agent the delay measurement opens sessions for.
    agent: String,
}

impl Setup {
    /// Builds a backlog of `deliveries` with no dispatcher running, then times `n` dispatchers
    /// emptying it.
    async fn throughput(&self, n: usize) -> anyhow::Result<()> {
        let (api, receiver, queue, deliveries) =
            (&self.api, &self.receiver, &self.queue, self.deliveries);
        let started = Instant::now();
        let run = self.run.clone();
        create_many(api, self.agents, AGENT_CLIENTS, move |i| {
            let name = format!("bench-wh-{run}-{n}-{i}");
            ("/v1/agents", json!({ "name": name }))
        })
        .await?;
        // Earlier rounds left nothing pending, so every pending delivery is this round's.
        queue
            .wait("pending", |pending| pending >= deliveries)
            .await?;
        let backlog = started.elapsed();
        let succeeded_before = queue.count("succeeded").await?;
        let arrived_before = receiver.count();

        let spawned = Instant::now();
        let dispatchers = Dispatchers::spawn(&self.bench, n)?;
        wait_for_arrivals(receiver, arrived_before + deliveries).await?;
        queue.wait("pending", |pending| pending == 0).await?;
        let recorded = spawned.elapsed();
        let usage = dispatchers.sample(self.ticks)?;
        dispatchers.stop().await?;

        let succeeded = queue.count("succeeded").await? - succeeded_before;
        let requests = receiver.requests();
        let round = &requests[arrived_before..];
        let (complete, duplicates) = distinct_arrivals(round, deliveries);
        let rss: Vec<String> = usage
            .iter()
            .map(|u| format!("{:.1}", u.peak_rss_mib))
            .collect();
        let cpu: Vec<String> = usage
            .iter()
            .map(|u| format!("{:.1}", u.cpu_seconds))
            .collect();
        let arrival = match complete.map(|at| at.duration_since(spawned)) {
            Some(arrived) => format!(
                "{} deliveries in {:.1} s = {}/s",
                grouped(deliveries as f64),
                arrived.as_secs_f64(),
                grouped(deliveries as f64 / arrived.as_secs_f64())
            ),
            None => format!(
                "only {} of {} deliveries arrived",
                round.len() - duplicates,
                grouped(deliveries as f64)
            ),
        };
        println!(
            "webhooks: {n} {}: {arrival} (all recorded after {:.1} s = {}/s); RSS {} MiB, CPU {} s; duplicates {duplicates}; backlog built in {:.1} s",
            plural(n),
            recorded.as_secs_f64(),
            grouped(deliveries as f64 / recorded.as_secs_f64()),
            rss.join(" + "),
            cpu.join(" + "),
            backlog.as_secs_f64(),
        );
        if succeeded != deliveries {
            println!(
                "webhooks: {n} {}: only {succeeded} of {deliveries} succeeded: {}",
                plural(n),
                queue.describe().await?
            );
        }
        Ok(())
    }

    /// With `n` idle dispatchers, opens sessions and measures each `session.created` webhook's
    /// arrival against the moment its `201` arrived.
    async fn delay(&self, n: usize) -> anyhow::Result<()> {
        let (api, receiver) = (&self.api, &self.receiver);
        let dispatchers = Dispatchers::spawn(&self.bench, n)?;
        // A first session proves the dispatchers are up and listening before anything is timed.
        let before = receiver.count();
        let body = json!({ "agentId": self.agent });
        api.create("/v1/sessions", &body).await?;
        wait_for_arrivals(receiver, before + 1).await?;

        let before = receiver.count();
        let events = self.bench.latency_events;
        let accepted: HashMap<String, Instant> =
            create_many(api, events, SESSION_CLIENTS, move |_| {
                ("/v1/sessions", body.clone())
            })
            .await?
            .into_iter()
            .collect();
        wait_for_arrivals(receiver, before + events).await?;
        dispatchers.stop().await?;

        let requests = receiver.requests();
        let (mut delays, mut early, mut unmatched) = (Vec::with_capacity(events), 0, 0);
        for request in &requests[before..] {
            let body = request.json();
            let id = body.pointer("/data/id").and_then(Value::as_str);
            let sent = id.and_then(|id| accepted.get(id));
            match (request.path.as_str(), body["event"].as_str(), sent) {
                (SESSIONS_PATH, Some("session.created"), Some(sent)) => {
                    match request.at.checked_duration_since(*sent) {
                        Some(delay) => delays.push(delay),
                        None => {
                            early += 1;
                            delays.push(Duration::ZERO);
                        }
                    }
                }
                _ => unmatched += 1,
            }
        }
        delays.sort();
        println!(
            "webhooks: {n} {}: delay from a session's 201 to its session.created webhook ({} sessions, {SESSION_CLIENTS} clients): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {early} arrived before the 201 (counted as 0), {unmatched} unmatched",
            plural(n),
            delays.len(),
            percentile(&delays, 0.50),
            percentile(&delays, 0.90),
            percentile(&delays, 0.99),
            percentile(&delays, 1.0),
        );
        Ok(())
    }
}
