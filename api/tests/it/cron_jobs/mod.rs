//! `/v1/cron-jobs` through the real API (contract section 10). No scheduler runs here: a job's
//! runs come only from `POST /v1/cron-jobs/{id}/run`.

mod access;
mod changes;
mod completion;
mod jobs;
mod runs;
mod validation;

use crate::support::{assert_error, assert_field_error};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use reqwest::{Method, StatusCode};
use schema::tenant::{Plan, Scope};
use serde_json::{json, Value};
use testkit::TestApp;

const PROMPT: &str = "Summarise yesterday's tickets";
const UNKNOWN_JOB: &str = "cron_01jq8abcdefghjkmnpqrstvwxy";
const UNKNOWN_AGENT: &str = "agent_01jq8abcdefghjkmnpqrstvwxy";

/// A valid create body for `agent`, changed by `extra` (its keys replace the defaults').
fn job_body(agent: &str, extra: Value) -> Value {
    let mut body = json!({
        "agentId": agent,
        "name": "Morning digest",
        "prompt": PROMPT,
        "schedule": "0 8 * * *",
    });
    let object = body.as_object_mut().unwrap();
    for (key, value) in extra.as_object().expect("an object") {
        object.insert(key.clone(), value.clone());
    }
    body
}

/// Creates a job through the API and returns the 201 body.
async fn create_job(app: &TestApp, body: Value) -> Value {
    let (status, job) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    job
}

async fn get_job(app: &TestApp, id: &str) -> Value {
    let (status, job) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    job
}

async fn patch_job(app: &TestApp, id: &str, patch: Value) -> Value {
    let (status, job) = app
        .call(Method::PATCH, &format!("/v1/cron-jobs/{id}"), Some(patch))
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    job
}

/// `POST …/run`: asserts 202 and returns the run.
async fn run_now(app: &TestApp, job: &str) -> Value {
    let (status, run) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{job}/run"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    run
}

/// The agent's reply in a run's session, with usage; returns the status and body.
async fn reply(app: &TestApp, session: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/v1/sessions/{session}/messages"),
        Some(json!({"role": "assistant", "content": "Done",
            "usage": {"model": "claude-haiku-3.5", "inputTokens": 100, "outputTokens": 20}})),
    )
    .await
}

async fn list(app: &TestApp, path: &str) -> Vec<Value> {
    let (status, page) = app.call(Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    page["data"].as_array().expect("a data array").clone()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn ids(values: &[Value]) -> Vec<String> {
    values.iter().map(id_of).collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    assert!(text.ends_with('Z'), "UTC with a Z: {text}");
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("RFC 3339 {text}: {e}"))
        .with_timezone(&Utc)
}

/// The first `hour:minute` wall time in `zone` strictly after `after`.
fn next_wall_time(after: DateTime<Utc>, zone: Tz, hour: u32, minute: u32) -> DateTime<Utc> {
    let mut day = after.with_timezone(&zone).date_naive();
    loop {
        let local = day.and_hms_opt(hour, minute, 0).unwrap();
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            let at = at.with_timezone(&Utc);
            if at > after {
                return at;
            }
        }
        day = day.succ_opt().unwrap();
    }
}
