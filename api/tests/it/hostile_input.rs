//! Untrusted input at the door: hostile strings through every text field of every write route
//! (and query parameters and path segments), extreme numbers through every numeric field. Each
//! answer is a 2xx, or a 400 whose details name the field (a 404 for an id of the wrong shape,
//! as the contract says) — never a 500 or a 504 — and nothing reaches the log that stops its
//! partition: a normal command of the same tenant, and of another tenant on the same
//! partition, is applied right after.

mod numbers;
mod text;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use schema::tenant::Plan;
use serde_json::{json, Value};
use testkit::{LogKind, TestApp};

/// Replaced by a hostile string's JSON text (or a number) in a request body.
const MARK: &str = "@@H@@";

/// The resources hostile requests aim at.
struct Ctx {
    agent: String,
    session: String,
    job: String,
    webhook: String,
}

type Build = fn(&Ctx, usize) -> (Method, String, Value);

fn post(path: impl Into<String>, body: Value) -> (Method, String, Value) {
    (Method::POST, path.into(), body)
}

fn patch(path: impl Into<String>, body: Value) -> (Method, String, Value) {
    (Method::PATCH, path.into(), body)
}

fn job(ctx: &Ctx, n: usize, extra: Value) -> (Method, String, Value) {
    let mut body = json!({"agentId": ctx.agent, "name": format!("c{n}"), "prompt": "p",
                          "schedule": "0 8 * * *"});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    post("/v1/cron-jobs", body)
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A body or error shown in a failure, cut short.
fn shown(body: &Value) -> String {
    let text = body.to_string();
    text.chars().take(600).collect()
}

/// Whether a detail's field is `field` or inside it.
fn names(detail: &str, field: &str) -> bool {
    detail == field
        || detail
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Asserts a 2xx, a 400 naming `field`, or the allowed 404.
fn judge(what: &str, status: StatusCode, body: &Value, field: &str, not_found: Option<&str>) {
    if status.is_success() {
        return;
    }
    if status == StatusCode::BAD_REQUEST {
        assert_eq!(
            body["error"]["code"],
            "VALIDATION_ERROR",
            "{what}: {}",
            shown(body)
        );
        let details = body["error"]["details"].as_array().expect("details");
        assert!(
            details
                .iter()
                .any(|d| names(d["field"].as_str().unwrap_or(""), field)),
            "{what}: a 400 that does not name {field}: {}",
            shown(body)
        );
        return;
    }
    if let Some(code) = not_found {
        if status == StatusCode::NOT_FOUND && body["error"]["code"] == code {
            return;
        }
    }
    panic!("{what}: {status} {}", shown(body));
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut request = app.request(method, path);
    if let Some(body) = body {
        request = request
            .header("Content-Type", content_type.unwrap_or("application/json"))
            .body(body);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status();
    let bytes = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// A test app whose tenant's rate limits leave room for thousands of requests, the ids the
/// hostile requests aim at, and the key of another tenant on the same partition.
async fn setup(kind: LogKind) -> (TestApp, Ctx, String) {
    let mut app = TestApp::spawn_on(kind).await;
    let (tenant, key) = app
        .create_tenant_with_limits(Plan::Enterprise, Some(1_000_000), Some(10_000_000))
        .await;
    app.tenant = tenant;
    app.key = key;
    let (_, neighbour) = app
        .create_tenant_placed(app.log.partition_for(tenant), true)
        .await;
    let agent = app.create_agent(json!({"name": "Target"})).await;
    let session = app.open_session(&agent).await;
    let (status, job) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(json!({"agentId": agent, "name": "Job", "prompt": "p", "schedule": "0 8 * * *"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let (status, webhook) = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": "http://127.0.0.1:9/target", "events": ["*"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let ctx = Ctx {
        agent,
        session,
        job: job["id"].as_str().unwrap().to_owned(),
        webhook: webhook["id"].as_str().unwrap().to_owned(),
    };
    (app, ctx, neighbour)
}

/// A normal command of the tenant and of its neighbour on the same partition is applied at
/// once: nothing the hostile requests appended stopped the partition.
async fn assert_partition_applies(app: &TestApp, neighbour: &str, label: &str) {
    for key in [app.key.as_str(), neighbour] {
        let started = Instant::now();
        let (status, body) = app
            .call_to(
                &app.base,
                key,
                Method::POST,
                "/v1/agents",
                Some(json!({"name": format!("after {label}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {body}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{label}: took {:?}",
            started.elapsed()
        );
    }
}

/// The same on the Kafka log, with the smaller table of strings and one round of numbers.
#[tokio::test(flavor = "multi_thread")]
async fn on_the_kafka_log_hostile_input_never_stops_a_partition() {
    let broker = testkit::kafka::Broker::start().await;
    let (app, ctx, neighbour) = setup(broker.log_kind()).await;
    text::send_hostile_strings(&app, &ctx, false).await;
    numbers::send_extreme_numbers(&app, &ctx, 1).await;
    assert_partition_applies(&app, &neighbour, "Kafka").await;
}
