//! Endpoints are untrusted: whatever a receiver does — an endless body, a trickle of headers or
//! body, silence, a connection never read, endless headers, a TLS handshake that never ends, an
//! SMTP server that never greets — every attempt ends at its limits with an error in the
//! attempt log, the process's memory stays flat, and another tenant's deliveries go out on time
//! meanwhile.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use schema::tenant::Plan;
use serde_json::{json, Value};
use testkit::dispatcher::test_settings;
use testkit::hostile_server::{Behaviour, HostileServer};
use testkit::receiver::Receiver;
use testkit::{TestApp, TestDispatcher};
use webhook_dispatcher::Settings;

use crate::support::{deliveries, delivery, ping, register};

/// The attempt timeout of these tests.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Deliveries queued to the hostile endpoint in each test, all in flight at once.
const HOSTILE_DELIVERIES: usize = 3;

fn settings() -> Settings {
    let mut settings = test_settings();
    settings.timeout = TIMEOUT;
    // One attempt per delivery within a test: the first is the one checked.
    settings.retry_schedule = vec![Duration::from_secs(3600)];
    settings
}

/// Another tenant's endpoint at a well-behaved receiver.
struct Bystander {
    key: String,
    webhook: String,
    receiver: Receiver,
}

impl Bystander {
    async fn new(app: &TestApp) -> Self {
        let (_, key) = app.create_tenant(Plan::Enterprise).await;
        let receiver = Receiver::start().await;
        let (status, body) = app
            .call_to(
                &app.base,
                &key,
                Method::POST,
                "/v1/webhooks",
                Some(json!({ "url": receiver.url(), "events": ["agent.created"] })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let webhook = body["id"].as_str().unwrap().to_owned();
        Self {
            key,
            webhook,
            receiver,
        }
    }

    /// Queues a test ping to this tenant's endpoint; returns its delivery id.
    async fn ping(&self, app: &TestApp) -> String {
        let path = format!("/v1/webhooks/{}/test", self.webhook);
        let (status, body) = app
            .call_to(&app.base, &self.key, Method::POST, &path, None)
            .await;
        assert_eq!(status, 202, "{body}");
        body["deliveryId"].as_str().unwrap().to_owned()
    }

    /// Pings and checks the ping arrives well within the attempt timeout and is recorded
    /// delivered.
    async fn is_served_on_time(&self, app: &TestApp) {
        let arrived = self.receiver.count() + 1;
        let started = Instant::now();
        let delivery_id = self.ping(app).await;
        self.receiver.wait_for(arrived, TIMEOUT / 2).await;
        let took = started.elapsed();
        let path = format!("/v1/webhooks/{}/deliveries/{delivery_id}", self.webhook);
        testkit::eventually(
            Duration::from_secs(10),
            "the bystander's success",
            || async {
                let (_, detail) = app
                    .call_to(&app.base, &self.key, Method::GET, &path, None)
                    .await;
                (detail["status"] == "succeeded").then_some(())
            },
        )
        .await;
        println!("another tenant's delivery arrived {took:?} after its ping");
    }
}

/// Sends [`HOSTILE_DELIVERIES`] pings to an endpoint at `url` of a server behaving so, checks
/// another tenant is served on time while they are in flight, and returns the first attempt
/// of each.
async fn first_attempts(behaviour: Behaviour, https: bool) -> Vec<Value> {
    let app = TestApp::spawn().await;
    let hostile = HostileServer::start(behaviour).await;
    let url = if https {
        hostile.https_url()
    } else {
        hostile.url()
    };
    let (webhook, _) = register(&app, &url, &["agent.created"]).await;
    let bystander = Bystander::new(&app).await;
    let dispatcher = TestDispatcher::start(&app, settings());

    let mut ids = Vec::new();
    for _ in 0..HOSTILE_DELIVERIES {
        ids.push(ping(&app, &webhook).await.1);
    }
    hostile
        .wait_for_connections(HOSTILE_DELIVERIES, Duration::from_secs(10))
        .await;
    bystander.is_served_on_time(&app).await;

    let mut attempts = Vec::new();
    for id in &ids {
        let detail = testkit::eventually(Duration::from_secs(15), "the attempt recorded", || {
            let (app, webhook) = (&app, &webhook);
            async move {
                let detail = delivery(app, webhook, id).await;
                (detail["attempts"] == 1).then_some(detail)
            }
        })
        .await;
        attempts.push(detail["attemptLog"][0].clone());
    }
    dispatcher.stop().await;
    // One connection per attempt: nothing was retried within the test, nothing reconnected.
    assert_eq!(hostile.connections(), HOSTILE_DELIVERIES);
    println!("{behaviour:?}: {attempts:#?}");
    attempts
}

fn error_of(attempt: &Value) -> &str {
    attempt["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error recorded: {attempt}"))
}

fn duration_of(attempt: &Value) -> Duration {
    Duration::from_millis(attempt["durationMs"].as_u64().unwrap())
}

/// Ended by the attempt timeout: at it, and not long after.
fn cut_at_the_timeout(attempt: &Value) {
    let took = duration_of(attempt);
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(1),
        "{took:?}: {attempt}"
    );
    assert!(error_of(attempt).contains("timed out"), "{attempt}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_read_no_further_than_its_limit() {
    for attempt in first_attempts(Behaviour::EndlessBody, false).await {
        // The receiver said 200: delivered, with the cut body noted.
        assert_eq!(attempt["statusCode"], 200, "{attempt}");
        assert_eq!(
            error_of(&attempt),
            "the response body is longer than 64 KiB; the rest was not read"
        );
        assert!(duration_of(&attempt) < TIMEOUT / 2, "{attempt}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_trickled_one_byte_a_second_is_cut_at_the_timeout() {
    for attempt in first_attempts(Behaviour::TrickleBody, false).await {
        assert_eq!(attempt["statusCode"], 200, "{attempt}");
        cut_at_the_timeout(&attempt);
        assert_eq!(
            error_of(&attempt),
            "timed out: the response body did not end within 2s"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_trickled_one_byte_a_second_are_cut_at_the_timeout() {
    for attempt in first_attempts(Behaviour::TrickleHeaders, false).await {
        assert_eq!(attempt["statusCode"], Value::Null, "{attempt}");
        cut_at_the_timeout(&attempt);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_never_answers_is_cut_at_the_timeout() {
    for attempt in first_attempts(Behaviour::Silent, false).await {
        assert_eq!(attempt["statusCode"], Value::Null, "{attempt}");
        cut_at_the_timeout(&attempt);
        assert_eq!(error_of(&attempt), "timed out: no answer within 2s");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_never_reads_the_request_is_cut_at_the_timeout() {
    for attempt in first_attempts(Behaviour::Unread, false).await {
        assert_eq!(attempt["statusCode"], Value::Null, "{attempt}");
        cut_at_the_timeout(&attempt);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_handshake_that_never_completes_is_cut_at_the_timeout() {
    for attempt in first_attempts(Behaviour::Unread, true).await {
        assert_eq!(attempt["statusCode"], Value::Null, "{attempt}");
        cut_at_the_timeout(&attempt);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_headers_end_the_attempt_at_the_header_limit() {
    for attempt in first_attempts(Behaviour::EndlessHeaders, false).await {
        assert_eq!(attempt["statusCode"], Value::Null, "{attempt}");
        let error = error_of(&attempt);
        assert!(error.contains("message head is too large"), "{attempt}");
        // Cut by size, long before the timeout.
        assert!(duration_of(&attempt) < TIMEOUT / 2, "{attempt}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_server_that_never_greets_is_cut_at_the_timeout() {
    let app = TestApp::spawn().await;
    let smtp = HostileServer::start(Behaviour::Silent).await;
    let mut settings = settings();
    settings.channels.smtp_url = Some(smtp.smtp_url());
    // No retry: the first attempt fails the run.
    settings.retry_schedule = Vec::new();
    let dispatcher = TestDispatcher::start(&app, settings);

    let agent = app.create_agent(json!({"name": "Reporter"})).await;
    let (status, job) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(
                json!({"agentId": agent, "name": "Brief", "prompt": "Brief me",
                        "schedule": "0 8 * * *", "timezone": "UTC",
                        "delivery": {"type": "email", "to": "ops@example.com"}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let job = job["id"].as_str().unwrap();
    let (status, run) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{job}/run"), None)
        .await;
    assert_eq!(status, 202, "{run}");
    let session = run["sessionId"].as_str().unwrap();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(json!({"role": "assistant", "content": "Nothing new."})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let path = format!("/v1/cron-jobs/{job}/runs/{}", run["id"].as_str().unwrap());
    let failed = testkit::eventually(Duration::from_secs(20), "the run failed", || async {
        let (_, run) = app.call(Method::GET, &path, None).await;
        (run["deliveryStatus"] == "failed").then_some(run)
    })
    .await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("SMTP: timed out: the server did not finish within 2s"),
        "{error}"
    );
    let sql = app.sql().await;
    let row = sql
        .query_one("SELECT duration_ms FROM dispatch.delivery_attempts", &[])
        .await
        .unwrap();
    let took = Duration::from_millis(row.get::<_, i32>(0) as u64);
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(1),
        "{took:?}"
    );
    assert_eq!(smtp.connections(), 1);
    dispatcher.stop().await;
}

/// The process's resident set, from `/proc/self/status`.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib * 1024
}

const MIB: f64 = 1024.0 * 1024.0;

/// The memory check runs in a process of its own (this test binary, running only
/// [`endless_bodies_in_this_process`]): tests run in parallel threads of one process, and
/// another test's allocations would blur a figure of a few MiB.
#[tokio::test(flavor = "multi_thread")]
async fn endless_bodies_leave_the_dispatchers_memory_flat() {
    let test = "hostile_endpoints::endless_bodies_in_this_process";
    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .expect("the memory check ends within 2 minutes")
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} in its own process:\n{stdout}\n{stderr}"
    );
    for line in stdout.lines().filter(|line| line.starts_with("memory:")) {
        println!("{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "run in a process of its own by endless_bodies_leave_the_dispatchers_memory_flat"]
async fn endless_bodies_in_this_process() {
    const ROUNDS_OF_PINGS: usize = 20;
    let app = TestApp::spawn().await;
    let hostile = HostileServer::start(Behaviour::EndlessBody).await;
    // Two endpoints at the endless server: up to 2 × 8 attempts in flight at once.
    let (first, _) = register(&app, &hostile.url(), &["agent.created"]).await;
    let (second, _) = register(&app, &format!("{}/2", hostile.url()), &["agent.created"]).await;
    let bystander = Bystander::new(&app).await;

    // Warm up with one delivery each, so the idle figure includes what any sending allocates.
    let warm_up = TestDispatcher::start(&app, settings());
    ping(&app, &first).await;
    bystander.is_served_on_time(&app).await;
    recorded(&app, &first, 1).await;
    warm_up.stop().await;

    // A backlog, then a dispatcher that takes it on 16 attempts at a time.
    for _ in 0..ROUNDS_OF_PINGS {
        ping(&app, &first).await;
        ping(&app, &second).await;
    }
    let idle = resident_bytes();
    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(resident_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let started = Instant::now();
    let dispatcher = TestDispatcher::start(&app, settings());
    bystander.is_served_on_time(&app).await;
    recorded(&app, &first, ROUNDS_OF_PINGS + 1).await;
    recorded(&app, &second, ROUNDS_OF_PINGS).await;
    let took = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    let after = resident_bytes();
    dispatcher.stop().await;

    let (peak, attempts) = (peak.load(Ordering::Relaxed), 2 * ROUNDS_OF_PINGS);
    println!(
        "memory: idle {:.1} MiB, peak {:.1} MiB (+{:.1} MiB), after {:.1} MiB; {attempts} \
         endless-body attempts in {took:?}; the server wrote {:.1} MiB",
        idle as f64 / MIB,
        peak as f64 / MIB,
        peak.saturating_sub(idle) as f64 / MIB,
        after as f64 / MIB,
        hostile.written() as f64 / MIB,
    );
    assert!(
        peak.saturating_sub(idle) < 16 * 1024 * 1024,
        "the process grew from {idle} to {peak} bytes"
    );
}

/// Waits until `count` deliveries of `webhook` have had an attempt recorded.
async fn recorded(app: &TestApp, webhook: &str, count: usize) {
    testkit::eventually(Duration::from_secs(30), "the attempts recorded", || async {
        let all = deliveries(app, webhook).await;
        let attempted = all.iter().filter(|d| d["attempts"] == 1).count();
        (attempted >= count).then_some(())
    })
    .await;
}
