//! `/v1/cron-jobs` through the real API (contract section 10). No scheduler runs here: a job's
//! runs come only from `POST /v1/cron-jobs/{id}/run`.

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

#[tokio::test(flavor = "multi_thread")]
async fn a_created_job_has_the_contract_defaults_and_fires_next_at_its_local_time() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;

    let response = app
        .request(Method::POST, "/v1/cron-jobs")
        .json(&job_body(&nova, json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    let id = id_of(&job);
    assert!(id.starts_with("cron_") && id.len() == 31, "{job}");
    assert_eq!(location, format!("/v1/cron-jobs/{id}"));
    assert_eq!(job["agentId"], nova.as_str());
    assert_eq!(job["name"], "Morning digest");
    assert_eq!(job["prompt"], PROMPT);
    assert_eq!(job["schedule"], "0 8 * * *");
    assert_eq!(job["timezone"], "UTC", "the time zone defaults to UTC");
    assert_eq!(job["enabled"], true);
    assert_eq!(job["overlapPolicy"], "skip");
    assert_eq!(job["delivery"], json!({"type": "none"}));
    assert_eq!(job["lastRunAt"], Value::Null);
    assert_eq!(job["lastRunStatus"], Value::Null);
    assert!(job.get("deliverySecret").is_none(), "no webhook: {job}");
    assert_eq!(job["createdAt"], job["updatedAt"]);
    let created = time(&job["createdAt"]);
    assert_eq!(
        time(&job["nextRunAt"]),
        next_wall_time(created, chrono_tz::UTC, 8, 0)
    );

    let (status, fetched) = app.call(Method::GET, &location, None).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched, job);

    // In Berlin, 08:00 is 07:00 or 06:00 UTC depending on the season.
    let berlin = create_job(
        &app,
        job_body(
            &nova,
            json!({"name": "Berlin", "timezone": "Europe/Berlin"}),
        ),
    )
    .await;
    assert_eq!(berlin["timezone"], "Europe/Berlin");
    let created = time(&berlin["createdAt"]);
    let next = time(&berlin["nextRunAt"]);
    let local = next.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.format("%H:%M:%S").to_string(), "08:00:00", "{berlin}");
    assert!(next > created && next - created <= chrono::Duration::hours(24));
    assert_eq!(
        next,
        next_wall_time(created, chrono_tz::Europe::Berlin, 8, 0)
    );
    assert_eq!(get_job(&app, &id_of(&berlin)).await, berlin);

    // Every field given explicitly is kept.
    let explicit = create_job(
        &app,
        job_body(
            &nova,
            json!({"name": "Explicit", "schedule": "*/15 9-17 * * MON-FRI",
                   "timezone": "America/New_York", "enabled": false,
                   "overlapPolicy": "allow",
                   "delivery": {"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"}}),
        ),
    )
    .await;
    assert_eq!(explicit["schedule"], "*/15 9-17 * * MON-FRI");
    assert_eq!(explicit["timezone"], "America/New_York");
    assert_eq!(explicit["enabled"], false);
    assert_eq!(
        explicit["nextRunAt"],
        Value::Null,
        "a disabled job never fires"
    );
    assert_eq!(explicit["overlapPolicy"], "allow");
    assert_eq!(
        explicit["delivery"],
        json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"})
    );
    assert!(explicit.get("deliverySecret").is_none(), "{explicit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_list_newest_first_and_filter_by_agent_and_enabled() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    let first = id_of(&create_job(&app, job_body(&nova, json!({"name": "First"}))).await);
    let second = id_of(
        &create_job(
            &app,
            job_body(&orion, json!({"name": "Second", "enabled": false})),
        )
        .await,
    );
    let third = id_of(&create_job(&app, job_body(&nova, json!({"name": "Third"}))).await);

    let (status, page) = app.call(Method::GET, "/v1/cron-jobs", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["pagination"],
        json!({"total": 3, "limit": 20, "offset": 0, "hasMore": false})
    );
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [third.as_str(), second.as_str(), first.as_str()],
        "newest first"
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?order=asc").await),
        [first.as_str(), second.as_str(), third.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs?agentId={nova}")).await),
        [third.as_str(), first.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs?agentId={orion}")).await),
        [second.as_str()]
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?enabled=true").await),
        [third.as_str(), first.as_str()]
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?enabled=false").await),
        [second.as_str()]
    );
    assert!(
        list(&app, &format!("/v1/cron-jobs?agentId={orion}&enabled=true"))
            .await
            .is_empty()
    );
    assert!(
        list(&app, &format!("/v1/cron-jobs?agentId={UNKNOWN_AGENT}"))
            .await
            .is_empty()
    );
    let (status, page) = app.call(Method::GET, "/v1/cron-jobs?limit=2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["hasMore"], true);
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [third.as_str(), second.as_str()]
    );

    let (status, error) = app
        .call(Method::GET, "/v1/cron-jobs?enabled=maybe", None)
        .await;
    assert_field_error(status, &error, "enabled", "true", "enabled=maybe");
    let (status, error) = app.call(Method::GET, "/v1/cron-jobs?limit=0", None).await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "limit=0",
    );

    // Another tenant sees none of them.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let (status, page) = app
        .call_to(&app.base, &other_key, Method::GET, "/v1/cron-jobs", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["total"], 0, "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_malformed_and_foreign_jobs_and_agents_are_not_found() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let job = id_of(&create_job(&app, job_body(&nova, json!({}))).await);

    for bad in [UNKNOWN_JOB, "cron_nope", "agent_01jq8abcdefghjkmnpqrstvwxy"] {
        let cases = [
            (Method::GET, format!("/v1/cron-jobs/{bad}"), None),
            (
                Method::PATCH,
                format!("/v1/cron-jobs/{bad}"),
                Some(json!({"name": "x"})),
            ),
            (Method::DELETE, format!("/v1/cron-jobs/{bad}"), None),
            (Method::POST, format!("/v1/cron-jobs/{bad}/run"), None),
            (Method::GET, format!("/v1/cron-jobs/{bad}/runs"), None),
            (
                Method::GET,
                format!("/v1/cron-jobs/{bad}/runs/run_01jq8abcdefghjkmnpqrstvwxy"),
                None,
            ),
        ];
        for (method, path, body) in cases {
            let (status, error) = app.call(method.clone(), &path, body).await;
            assert_error(
                status,
                &error,
                StatusCode::NOT_FOUND,
                "CRON_JOB_NOT_FOUND",
                &format!("{method} {path}"),
            );
        }
    }

    // Another tenant's job is not found, whatever the method, and stays as it was.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let cases = [
        (Method::GET, format!("/v1/cron-jobs/{job}"), None),
        (
            Method::PATCH,
            format!("/v1/cron-jobs/{job}"),
            Some(json!({"name": "Hijacked"})),
        ),
        (Method::POST, format!("/v1/cron-jobs/{job}/run"), None),
        (Method::GET, format!("/v1/cron-jobs/{job}/runs"), None),
        (Method::DELETE, format!("/v1/cron-jobs/{job}"), None),
    ];
    for (method, path, body) in cases {
        let (status, error) = app
            .call_to(&app.base, &other_key, method.clone(), &path, body)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            &format!("foreign {method} {path}"),
        );
    }
    let kept = get_job(&app, &job).await;
    assert_eq!(kept["name"], "Morning digest");
    assert!(list(&app, &format!("/v1/cron-jobs/{job}/runs"))
        .await
        .is_empty());

    // An unknown, malformed, foreign or deleted agent is AGENT_NOT_FOUND.
    let deleted = app.create_agent(json!({"name": "Gone"})).await;
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{deleted}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for agent in [UNKNOWN_AGENT, "nope", &deleted] {
        let (status, error) = app
            .call(
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(agent, json!({}))),
            )
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "AGENT_NOT_FOUND",
            agent,
        );
    }
    let (status, error) = app
        .call_to(
            &app.base,
            &other_key,
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(&nova, json!({}))),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "AGENT_NOT_FOUND",
        "another tenant's agent",
    );
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_schedules_and_time_zones_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (json!({"schedule": "0 0 8 * * *"}), "schedule", "5 fields"),
        (json!({"schedule": "0 8 * *"}), "schedule", "5 fields"),
        (json!({"schedule": "@daily"}), "schedule", "5 fields"),
        (json!({"schedule": ""}), "schedule", "5 fields"),
        (json!({"schedule": "61 * * * *"}), "schedule", "61"),
        (json!({"schedule": "0 24 * * *"}), "schedule", "24"),
        (json!({"schedule": "0 8 32 * *"}), "schedule", "32"),
        (json!({"schedule": "0 8 * 13 *"}), "schedule", "13"),
        (json!({"schedule": "0 8 * * 8"}), "schedule", "8"),
        (json!({"schedule": "*/0 * * * *"}), "schedule", "0"),
        (
            json!({"schedule": "0 8 * JANUARY *"}),
            "schedule",
            "JANUARY",
        ),
        (json!({"schedule": "0 8 * * MONDAY"}), "schedule", "MONDAY"),
        (json!({"schedule": "0 8 * FOO *"}), "schedule", "FOO"),
        (json!({"schedule": "0 8 * * SUN-FOO"}), "schedule", "FOO"),
        (
            json!({"timezone": "Europe/Berln"}),
            "timezone",
            "Europe/Berln",
        ),
        (json!({"timezone": ""}), "timezone", "time zone"),
        (json!({"timezone": "CEST+2"}), "timezone", "time zone"),
    ];
    for (extra, field, hint) in cases {
        let body = job_body(&nova, extra.clone());
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &extra.to_string());
    }
    // A bad schedule and a bad time zone are both reported at once.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(
                &nova,
                json!({"schedule": "61 * * * *", "timezone": "Mars/Olympus"}),
            )),
        )
        .await;
    assert_field_error(status, &error, "schedule", "61", "both");
    assert_field_error(status, &error, "timezone", "Mars/Olympus", "both");
    // Valid forms from the contract pass: lists, ranges, steps, names, 0 and 7 for Sunday.
    for schedule in [
        "0,30 8-18/2 1,15 JAN-DEC SUN-SAT",
        "5 4 * * 0",
        "5 4 * * 7",
        "0 0 1 * MON",
        "*/5 * * * *",
    ] {
        let (status, job) = app
            .call(
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(&nova, json!({"schedule": schedule}))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{schedule}: {job}");
        assert!(job["nextRunAt"].is_string(), "{schedule}: {job}");
    }
    assert_eq!(list(&app, "/v1/cron-jobs?limit=100").await.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_names_prompts_and_unknown_fields_are_refused() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (json!({"name": ""}), "name", "1 to 100"),
        (json!({"name": "   "}), "name", "1 to 100"),
        (json!({"name": "x".repeat(101)}), "name", "1 to 100"),
        (json!({"prompt": ""}), "prompt", "characters"),
        (json!({"prompt": " \n "}), "prompt", "characters"),
        (json!({"overlapPolicy": "queue"}), "overlapPolicy", "queue"),
        (json!({"enabled": "yes"}), "enabled", "boolean"),
    ];
    for (extra, field, hint) in cases {
        let body = job_body(&nova, extra.clone());
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &extra.to_string());
    }
    // Exactly 100 characters is fine.
    create_job(&app, job_body(&nova, json!({"name": "x".repeat(100)}))).await;

    for missing in ["agentId", "name", "prompt", "schedule"] {
        let mut body = job_body(&nova, json!({}));
        body.as_object_mut().unwrap().remove(missing);
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, missing, "required", missing);
    }

    // A typo is refused, naming the field.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(&nova, json!({"timeZone": "Europe/Berlin"}))),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "typo",
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timeZone"),
        "{error}"
    );
    let (status, error) = app
        .call(
            Method::PATCH,
            &format!("/v1/cron-jobs/{UNKNOWN_JOB}"),
            Some(json!({"nmae": "typo"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_targets_are_checked_and_a_numeric_chat_id_is_kept_as_text() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (
            json!({"type": "sms", "to": "+4912345"}),
            "delivery.type",
            "sms",
        ),
        (
            json!({"url": "https://example.com/x"}),
            "delivery.type",
            "required",
        ),
        (json!({"type": "webhook"}), "delivery.url", "required"),
        (
            json!({"type": "webhook", "url": "ftp://example.com/out"}),
            "delivery.url",
            "http",
        ),
        (
            json!({"type": "webhook", "url": "not a url"}),
            "delivery.url",
            "",
        ),
        (
            json!({"type": "slack", "webhookUrl": "file:///etc/passwd"}),
            "delivery.webhookUrl",
            "http",
        ),
        (
            json!({"type": "email", "to": "ops.example.com"}),
            "delivery.to",
            "email",
        ),
        (
            json!({"type": "email", "to": "a@example.com, b@example.com"}),
            "delivery.to",
            "email",
        ),
        (
            json!({"type": "telegram", "chatId": ""}),
            "delivery.chatId",
            "chat",
        ),
        (
            json!({"type": "telegram", "chatId": "   "}),
            "delivery.chatId",
            "chat",
        ),
    ];
    for (delivery, field, hint) in cases {
        let body = job_body(&nova, json!({"delivery": delivery.clone()}));
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &delivery.to_string());
    }
    // Typos inside the delivery are refused too.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(
                &nova,
                json!({"delivery": {"type": "email", "to": "ops@example.com", "cc": "x@example.com"}}),
            )),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "cc",
    );
    assert!(list(&app, "/v1/cron-jobs").await.is_empty());

    // A numeric chat id is accepted and returned as text.
    let telegram = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "telegram", "chatId": -1001234567890_i64}}),
        ),
    )
    .await;
    assert_eq!(
        telegram["delivery"],
        json!({"type": "telegram", "chatId": "-1001234567890"})
    );
    assert_eq!(
        get_job(&app, &id_of(&telegram)).await["delivery"]["chatId"],
        "-1001234567890"
    );
    let channel = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "telegram", "chatId": "@fleet_news"}}),
        ),
    )
    .await;
    assert_eq!(channel["delivery"]["chatId"], "@fleet_news");
    let email = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "email", "to": "ops@example.com"}}),
        ),
    )
    .await;
    assert_eq!(
        email["delivery"],
        json!({"type": "email", "to": "ops@example.com"})
    );
    for job in [&telegram, &channel, &email] {
        assert!(job.get("deliverySecret").is_none(), "{job}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_delivery_secret_is_shown_once_and_renewed_when_the_delivery_becomes_a_webhook() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let created = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
        ),
    )
    .await;
    let id = id_of(&created);
    assert_eq!(
        created["delivery"],
        json!({"type": "webhook", "url": "https://example.com/digest"})
    );
    let first = created["deliverySecret"]
        .as_str()
        .unwrap_or_else(|| panic!("a delivery secret: {created}"))
        .to_owned();
    assert!(first.starts_with("whsec_") && first.len() > 40, "{first}");

    let fetched = get_job(&app, &id).await;
    assert!(fetched.get("deliverySecret").is_none(), "once: {fetched}");
    let mut without_secret = created.clone();
    without_secret
        .as_object_mut()
        .unwrap()
        .remove("deliverySecret");
    assert_eq!(fetched, without_secret);
    for job in list(&app, "/v1/cron-jobs").await {
        assert!(job.get("deliverySecret").is_none(), "{job}");
    }

    // A patch that leaves the delivery alone issues nothing.
    let renamed = patch_job(&app, &id, json!({"name": "Renamed"})).await;
    assert!(renamed.get("deliverySecret").is_none(), "{renamed}");

    // Changing the delivery to (another) webhook issues a new secret.
    let moved = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "webhook", "url": "https://example.org/new"}}),
    )
    .await;
    assert_eq!(moved["delivery"]["url"], "https://example.org/new");
    let second = moved["deliverySecret"]
        .as_str()
        .unwrap_or_else(|| panic!("a new delivery secret: {moved}"))
        .to_owned();
    assert!(second.starts_with("whsec_"), "{second}");
    assert_ne!(second, first);
    assert!(get_job(&app, &id).await.get("deliverySecret").is_none());

    // Other deliveries issue none.
    for delivery in [
        json!({"type": "email", "to": "ops@example.com"}),
        json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"}),
        json!({"type": "telegram", "chatId": "42"}),
        json!({"type": "none"}),
    ] {
        let patched = patch_job(&app, &id, json!({"delivery": delivery.clone()})).await;
        assert_eq!(patched["delivery"], delivery);
        assert!(patched.get("deliverySecret").is_none(), "{patched}");
    }
    let back = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
    )
    .await;
    let third = back["deliverySecret"].as_str().expect("a third secret");
    assert!(third.starts_with("whsec_") && third != first && third != second);
}

#[tokio::test(flavor = "multi_thread")]
async fn patching_changes_each_field_and_recomputes_the_next_run_when_the_timing_changes() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let created = create_job(&app, job_body(&nova, json!({}))).await;
    let id = id_of(&created);

    let renamed = patch_job(
        &app,
        &id,
        json!({"name": "Evening digest", "prompt": "Summarise today", "overlapPolicy": "allow"}),
    )
    .await;
    assert_eq!(renamed["name"], "Evening digest");
    assert_eq!(renamed["prompt"], "Summarise today");
    assert_eq!(renamed["overlapPolicy"], "allow");
    assert_eq!(renamed["schedule"], "0 8 * * *");
    assert_eq!(renamed["createdAt"], created["createdAt"]);
    assert!(time(&renamed["updatedAt"]) > time(&created["updatedAt"]));
    assert_eq!(
        renamed["nextRunAt"], created["nextRunAt"],
        "the timing did not change"
    );
    assert_eq!(get_job(&app, &id).await, renamed);

    let rescheduled = patch_job(&app, &id, json!({"schedule": "30 18 * * *"})).await;
    assert_eq!(rescheduled["schedule"], "30 18 * * *");
    assert_eq!(
        time(&rescheduled["nextRunAt"]),
        next_wall_time(time(&rescheduled["updatedAt"]), chrono_tz::UTC, 18, 30)
    );

    let moved = patch_job(&app, &id, json!({"timezone": "Asia/Tokyo"})).await;
    assert_eq!(moved["timezone"], "Asia/Tokyo");
    assert_eq!(moved["schedule"], "30 18 * * *");
    assert_eq!(
        time(&moved["nextRunAt"]),
        next_wall_time(time(&moved["updatedAt"]), chrono_tz::Asia::Tokyo, 18, 30)
    );

    let both = patch_job(
        &app,
        &id,
        json!({"schedule": "15 7 * * *", "timezone": "America/Los_Angeles"}),
    )
    .await;
    assert_eq!(
        time(&both["nextRunAt"]),
        next_wall_time(
            time(&both["updatedAt"]),
            chrono_tz::America::Los_Angeles,
            7,
            15
        )
    );

    let delivered = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "email", "to": "ops@example.com"}, "overlapPolicy": "skip"}),
    )
    .await;
    assert_eq!(
        delivered["delivery"],
        json!({"type": "email", "to": "ops@example.com"})
    );
    assert_eq!(delivered["overlapPolicy"], "skip");
    assert_eq!(delivered["nextRunAt"], both["nextRunAt"]);

    // An empty patch changes nothing but is accepted.
    let same = patch_job(&app, &id, json!({})).await;
    assert_eq!(same["name"], "Evening digest");
    assert_eq!(same["nextRunAt"], both["nextRunAt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_clears_the_next_run_and_enabling_recomputes_it() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"schedule": "45 6 * * *"}))).await);

    let disabled = patch_job(&app, &id, json!({"enabled": false})).await;
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["nextRunAt"], Value::Null);
    assert_eq!(get_job(&app, &id).await["nextRunAt"], Value::Null);

    // A schedule change while disabled keeps it from firing.
    let still = patch_job(&app, &id, json!({"schedule": "0 9 * * *"})).await;
    assert_eq!(still["enabled"], false);
    assert_eq!(still["nextRunAt"], Value::Null);

    let enabled = patch_job(&app, &id, json!({"enabled": true})).await;
    assert_eq!(enabled["enabled"], true);
    assert_eq!(
        time(&enabled["nextRunAt"]),
        next_wall_time(time(&enabled["updatedAt"]), chrono_tz::UTC, 9, 0)
    );
    assert_eq!(get_job(&app, &id).await, enabled);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_patch_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let before = get_job(&app, &id).await;
    let path = format!("/v1/cron-jobs/{id}");
    let cases = [
        (
            json!({"name": "Valid", "schedule": "61 * * * *"}),
            "schedule",
        ),
        (json!({"schedule": "0 0 8 * * *"}), "schedule"),
        (json!({"timezone": "Europe/Berln"}), "timezone"),
        (json!({"name": ""}), "name"),
        (json!({"name": "y".repeat(101)}), "name"),
        (json!({"prompt": "", "enabled": false}), "prompt"),
        (
            json!({"enabled": false, "delivery": {"type": "webhook", "url": "ftp://example.com/x"}}),
            "delivery.url",
        ),
        (
            json!({"delivery": {"type": "email", "to": "nobody"}}),
            "delivery.to",
        ),
        (
            json!({"delivery": {"type": "telegram", "chatId": ""}}),
            "delivery.chatId",
        ),
        (json!({"overlapPolicy": "sometimes"}), "overlapPolicy"),
    ];
    for (patch, field) in cases {
        let (status, error) = app.call(Method::PATCH, &path, Some(patch.clone())).await;
        assert_field_error(status, &error, field, "", &patch.to_string());
    }
    let (status, error) = app
        .call(Method::PATCH, &path, Some(json!({"agentId": nova})))
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "agentId is not patchable",
    );
    assert_eq!(get_job(&app, &id).await, before, "nothing changed");
    let (_, updates) = app
        .call(Method::GET, "/v1/activity?type=cron.updated", None)
        .await;
    assert_eq!(updates["pagination"]["total"], 0, "{updates}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_job_is_gone() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let kept = id_of(&create_job(&app, job_body(&nova, json!({"name": "Kept"}))).await);

    let (status, body) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    for (method, path) in [
        (Method::GET, format!("/v1/cron-jobs/{id}")),
        (Method::DELETE, format!("/v1/cron-jobs/{id}")),
        (Method::POST, format!("/v1/cron-jobs/{id}/run")),
        (Method::GET, format!("/v1/cron-jobs/{id}/runs")),
    ] {
        let (status, error) = app.call(method.clone(), &path, None).await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            &format!("{method} {path}"),
        );
    }
    assert_eq!(ids(&list(&app, "/v1/cron-jobs").await), [kept.as_str()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_agent_deletes_its_cron_jobs() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    let jobs = [
        id_of(&create_job(&app, job_body(&nova, json!({"name": "One"}))).await),
        id_of(
            &create_job(
                &app,
                job_body(&nova, json!({"name": "Two", "enabled": false})),
            )
            .await,
        ),
    ];
    let survivor = id_of(&create_job(&app, job_body(&orion, json!({}))).await);
    let run = run_now(&app, &jobs[0]).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();

    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for job in &jobs {
        let (status, error) = app
            .call(Method::GET, &format!("/v1/cron-jobs/{job}"), None)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            job,
        );
    }
    assert!(list(&app, &format!("/v1/cron-jobs?agentId={nova}"))
        .await
        .is_empty());
    assert_eq!(ids(&list(&app, "/v1/cron-jobs").await), [survivor.as_str()]);
    // The run's session was archived with the agent's other sessions.
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["status"], "archived", "{session}");

    // One cron.deleted per job, in the same decision as agent.deleted.
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT type, subject_id, command_id FROM activity WHERE agent_id = $1
               AND type IN ('cron.deleted', 'agent.deleted') ORDER BY sequence",
            &[&nova],
        )
        .await
        .unwrap();
    let types: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(types, ["cron.deleted", "cron.deleted", "agent.deleted"]);
    let subjects: std::collections::BTreeSet<String> =
        rows[..2].iter().map(|row| row.get(1)).collect();
    assert_eq!(subjects, jobs.iter().cloned().collect());
    let commands: std::collections::HashSet<String> = rows.iter().map(|row| row.get(2)).collect();
    assert_eq!(commands.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn running_now_opens_a_cron_session_with_the_prompt_as_its_first_user_message() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let job = create_job(&app, job_body(&nova, json!({}))).await;
    let id = id_of(&job);

    let run = run_now(&app, &id).await;
    let run_id = id_of(&run);
    assert!(run_id.starts_with("run_") && run_id.len() == 30, "{run}");
    assert_eq!(run["cronJobId"], id.as_str());
    assert_eq!(run["agentId"], nova.as_str());
    assert_eq!(run["status"], "running");
    assert_eq!(run["deliveryStatus"], "none");
    assert_eq!(run["finishedAt"], Value::Null);
    assert_eq!(run["error"], Value::Null);
    assert_eq!(run["inputTokens"], 0);
    assert_eq!(run["outputTokens"], 0);
    let scheduled = time(&run["scheduledFor"]);
    let started = time(&run["startedAt"]);
    assert!(scheduled > time(&job["createdAt"]), "fired now: {run}");
    assert!(started >= scheduled, "{run}");
    let session_id = run["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {run}"));
    assert!(session_id.starts_with("sess_"), "{run}");

    let (status, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["origin"], "cron");
    assert_eq!(session["cronJobId"], id.as_str());
    assert_eq!(session["agentId"], nova.as_str());
    assert_eq!(session["status"], "active");
    assert_eq!(session["messageCount"], 1);
    let messages = list(&app, &format!("/v1/sessions/{session_id}/messages")).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"], PROMPT);
    assert_eq!(messages[0]["sequence"], 1);
    assert_eq!(messages[0]["sessionId"], session_id);
    let cron_sessions = list(&app, &format!("/v1/sessions?origin=cron&agentId={nova}")).await;
    assert_eq!(ids(&cron_sessions), [session_id]);

    let (status, fetched) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched, run);
    let (_, runs) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}/runs"), None)
        .await;
    assert_eq!(runs["pagination"]["total"], 1);
    assert_eq!(runs["data"][0], run);

    // The job records the run; a run now does not move the schedule.
    let after = get_job(&app, &id).await;
    assert_eq!(time(&after["lastRunAt"]), scheduled);
    assert_eq!(after["lastRunStatus"], "running");
    assert_eq!(after["nextRunAt"], job["nextRunAt"]);

    // A disabled job can still be run by hand.
    patch_job(&app, &id, json!({"enabled": false})).await;
    let (status, error) = reply(&app, session_id).await;
    assert_eq!(status, StatusCode::CREATED, "{error}");
    let manual = run_now(&app, &id).await;
    assert_eq!(manual["status"], "running", "{manual}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_while_the_last_run_is_running_is_skipped_under_the_skip_policy() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let first = run_now(&app, &id).await;

    let skipped = run_now(&app, &id).await;
    assert_ne!(skipped["id"], first["id"]);
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert_eq!(skipped["sessionId"], Value::Null);
    assert_eq!(skipped["startedAt"], Value::Null);
    assert!(skipped["finishedAt"].is_string(), "{skipped}");
    assert_eq!(skipped["deliveryStatus"], "none");
    let error = skipped["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{skipped}"));
    assert!(error.contains("previous run"), "{error}");

    // The running run stays the job's last run; no second session was opened.
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], first["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
    let runs = list(&app, &format!("/v1/cron-jobs/{id}/runs")).await;
    assert_eq!(ids(&runs), [id_of(&skipped), id_of(&first)]);

    // Once it has finished, the next run starts.
    let (status, body) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let next = run_now(&app, &id).await;
    assert_eq!(next["status"], "running", "{next}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], next["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn under_the_allow_policy_runs_overlap_and_list_newest_first() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"overlapPolicy": "allow"}))).await);
    let first = run_now(&app, &id).await;
    let second = run_now(&app, &id).await;
    assert_eq!(second["status"], "running", "{second}");
    assert_ne!(second["sessionId"], first["sessionId"]);
    assert!(time(&second["scheduledFor"]) > time(&first["scheduledFor"]));
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], second["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");

    let (status, page) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}/runs"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["pagination"],
        json!({"total": 2, "limit": 20, "offset": 0, "hasMore": false})
    );
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [id_of(&second), id_of(&first)]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs/{id}/runs?order=asc")).await),
        [id_of(&first), id_of(&second)]
    );
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs?limit=1&offset=1"),
            None,
        )
        .await;
    assert_eq!(page["pagination"]["hasMore"], false);
    assert_eq!(ids(page["data"].as_array().unwrap()), [id_of(&first)]);

    // The earlier run finishing does not change the job's last run; the later one does.
    let (status, _) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], second["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running", "{job}");
    let (status, _) = reply(&app, second["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunStatus"], "succeeded", "{job}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_runs_are_not_found() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let other = id_of(&create_job(&app, job_body(&nova, json!({"name": "Other"}))).await);
    let run = id_of(&run_now(&app, &other).await);
    for bad in [
        "run_01jq8abcdefghjkmnpqrstvwxy",
        "run_nope",
        "cron_01jq8abcdefghjkmnpqrstvwxy",
        run.as_str(),
    ] {
        let path = format!("/v1/cron-jobs/{id}/runs/{bad}");
        let (status, error) = app.call(Method::GET, &path, None).await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_RUN_NOT_FOUND",
            &path,
        );
    }
    // Another tenant does not see the run either.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let (status, error) = app
        .call_to(
            &app.base,
            &other_key,
            Method::GET,
            &format!("/v1/cron-jobs/{other}/runs/{run}"),
            None,
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "CRON_JOB_NOT_FOUND",
        "foreign run",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_assistant_reply_completes_the_run_and_archives_its_session() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let run_id = id_of(&run);
    let session = run["sessionId"].as_str().unwrap().to_owned();

    let (status, message) = reply(&app, &session).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["sequence"], 2);

    let (status, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        time(&done["finishedAt"]) >= time(&done["startedAt"]),
        "{done}"
    );
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    assert_eq!(done["deliveryStatus"], "none", "nothing to deliver");
    assert_eq!(done["error"], Value::Null);
    assert_eq!(done["scheduledFor"], run["scheduledFor"]);
    assert_eq!(done["sessionId"], session.as_str());

    let (_, archived) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(archived["status"], "archived", "{archived}");
    assert!(archived["archivedAt"].is_string(), "{archived}");
    assert_eq!(archived["messageCount"], 2);
    assert_eq!(archived["tokenCount"], 120);

    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunStatus"], "succeeded", "{job}");
    assert_eq!(job["lastRunAt"], run["scheduledFor"]);

    // The session takes no more messages.
    let (status, error) = reply(&app, &session).await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "SESSION_ARCHIVED",
        "a second reply",
    );
    let (_, again) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(again, done);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_message_in_the_run_session_does_not_complete_the_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(json!({"content": "Also check the weekend"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, still) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(still["status"], "running", "{still}");
    assert_eq!(still["finishedAt"], Value::Null);
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["status"], "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_run_of_a_job_with_a_webhook_delivery_waits_for_its_delivery() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(
        &create_job(
            &app,
            job_body(
                &nova,
                json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
            ),
        )
        .await,
    );
    let run = run_now(&app, &id).await;
    assert_eq!(
        run["deliveryStatus"], "none",
        "nothing to deliver yet: {run}"
    );
    let (status, body) = reply(&app, run["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        done["deliveryStatus"], "pending",
        "no dispatcher runs: {done}"
    );
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    assert!(done["finishedAt"].is_string());
    assert_eq!(get_job(&app, &id).await["lastRunStatus"], "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn cron_changes_are_in_the_activity_log_without_secrets_or_internal_bookkeeping() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let created = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
        ),
    )
    .await;
    let id = id_of(&created);
    let first_secret = created["deliverySecret"].as_str().unwrap().to_owned();
    let patched = patch_job(
        &app,
        &id,
        json!({"name": "Renamed", "delivery": {"type": "webhook", "url": "https://example.org/x"}}),
    )
    .await;
    let second_secret = patched["deliverySecret"].as_str().unwrap().to_owned();
    let first = run_now(&app, &id).await;
    let skipped = run_now(&app, &id).await;
    assert_eq!(skipped["status"], "skipped");
    let (status, _) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, page) = app
        .call(
            Method::GET,
            "/v1/activity?type=cron.*&order=asc&limit=100",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["data"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["subject"]["type"].as_str().unwrap(),
                e["subject"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    let (first_run, skipped_run) = (id_of(&first), id_of(&skipped));
    assert_eq!(
        seen,
        [
            ("cron.created", "cron_job", id.as_str()),
            ("cron.updated", "cron_job", id.as_str()),
            ("cron.run_started", "cron_run", first_run.as_str()),
            ("cron.run_skipped", "cron_run", skipped_run.as_str()),
            ("cron.completed", "cron_run", first_run.as_str()),
            ("cron.deleted", "cron_job", id.as_str()),
        ]
    );
    for entry in entries {
        assert_eq!(entry["agentId"], nova.as_str(), "{entry}");
        assert_eq!(entry["actor"]["type"], "api_key", "{entry}");
    }
    assert_eq!(
        entries[0]["data"]["delivery"]["url"],
        "https://example.com/digest"
    );
    assert_eq!(entries[1]["data"]["name"], "Renamed");
    assert_eq!(entries[4]["data"]["status"], "succeeded");
    assert_eq!(entries[4]["data"]["inputTokens"], 100);

    // No secret anywhere in the log, and no internal bookkeeping entries.
    let (status, everything) = app
        .call(Method::GET, "/v1/activity?order=asc&limit=100", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(everything["pagination"]["total"].as_i64().unwrap() < 100);
    let text = everything.to_string();
    for secret in ["whsec_", "deliverySecret", &first_secret, &second_secret] {
        assert!(!text.contains(secret), "{secret} leaked into the log");
    }
    for entry in everything["data"].as_array().unwrap() {
        assert_ne!(entry["type"], "cron.scheduled", "{entry}");
    }
    let sql = app.sql().await;
    let internal: i64 = sql
        .query_one(
            "SELECT count(*) FROM activity WHERE type = 'cron.scheduled'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(internal, 0);
    let (status, verified) = app.call(Method::GET, "/v1/activity/verify", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["valid"], true, "{verified}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_key_can_read_jobs_but_not_create_change_or_run_them() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let read_key = app.create_key(app.tenant, Scope::Read).await;

    let writes = [
        (
            Method::POST,
            "/v1/cron-jobs".to_owned(),
            Some(job_body(&nova, json!({"name": "Read only"}))),
        ),
        (Method::POST, format!("/v1/cron-jobs/{id}/run"), None),
        (
            Method::PATCH,
            format!("/v1/cron-jobs/{id}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/v1/cron-jobs/{id}"), None),
    ];
    for (method, path, body) in writes {
        let (status, error) = app
            .call_to(&app.base, &read_key, method.clone(), &path, body)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("{method} {path}"),
        );
    }
    for path in [
        "/v1/cron-jobs".to_owned(),
        format!("/v1/cron-jobs/{id}"),
        format!("/v1/cron-jobs/{id}/runs"),
    ] {
        let (status, body) = app
            .call_to(&app.base, &read_key, Method::GET, &path, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let job = get_job(&app, &id).await;
    assert_eq!(job["enabled"], true);
    assert_eq!(job["lastRunAt"], Value::Null);
    assert!(list(&app, &format!("/v1/cron-jobs/{id}/runs"))
        .await
        .is_empty());
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_runs_now_under_the_skip_policy_start_exactly_one_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let runs = futures::future::join_all((0..6).map(|_| run_now(&app, &id))).await;
    let running: Vec<&Value> = runs.iter().filter(|r| r["status"] == "running").collect();
    let skipped = runs.iter().filter(|r| r["status"] == "skipped").count();
    assert_eq!(running.len(), 1, "{runs:?}");
    assert_eq!(skipped, 5, "{runs:?}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], running[0]["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_replies_complete_the_run_once() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();
    let replies = futures::future::join_all((0..4).map(|_| reply(&app, &session))).await;
    let created = replies
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{replies:?}");
    for (status, body) in &replies {
        if *status != StatusCode::CREATED {
            assert_error(
                *status,
                body,
                StatusCode::CONFLICT,
                "SESSION_ARCHIVED",
                "a late reply",
            );
        }
    }
    let (_, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(agent["tokensTodayInput"], 100, "{agent}");
    assert_eq!(agent["openSessionCount"], 0, "{agent}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_replayed_with_its_idempotency_key_starts_no_second_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"overlapPolicy": "allow"}))).await);
    let path = format!("/v1/cron-jobs/{id}/run");
    let mut bodies = Vec::new();
    for attempt in 0..2 {
        let response = app
            .request(Method::POST, &path)
            .header("Idempotency-Key", "run-once")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(replayed.as_deref(), (attempt == 1).then_some("true"));
        bodies.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs/{id}/runs")).await),
        [id_of(&bodies[0])]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_for_an_agent_out_of_budget_fails_without_a_session() {
    let app = TestApp::spawn().await;
    let nova = app
        .create_agent(json!({"name": "Nova", "config": {"limits": {"dailyTokenBudget": 100}}}))
        .await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let first = run_now(&app, &id).await;
    let (status, body) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let failed = run_now(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["sessionId"], Value::Null);
    assert!(failed["finishedAt"].is_string(), "{failed}");
    let error = failed["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{failed}"));
    assert!(error.contains("budget"), "{error}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], failed["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "failed");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
    let (_, entries) = app
        .call(Method::GET, "/v1/activity?type=cron.failed", None)
        .await;
    assert_eq!(entries["pagination"]["total"], 1, "{entries}");
    assert_eq!(entries["data"][0]["subject"]["id"], id_of(&failed).as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_in_progress_still_finishes_after_its_job_is_deleted() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = reply(&app, &session).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, archived) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(archived["status"], "archived", "{archived}");
    let (_, completed) = app
        .call(Method::GET, "/v1/activity?type=cron.completed", None)
        .await;
    assert_eq!(completed["pagination"]["total"], 1, "{completed}");
    assert_eq!(completed["data"][0]["subject"]["id"], id_of(&run).as_str());
    assert_eq!(completed["data"][0]["data"]["deliveryStatus"], "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_urls_pass_the_ssrf_guard() {
    let app = TestApp::spawn().await;
    let guarded = app
        .start_api_with(|config| config.allow_private_targets = false)
        .await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    for (delivery, field) in [
        (
            json!({"type": "webhook", "url": "http://127.0.0.1:8080/hook"}),
            "delivery.url",
        ),
        (
            json!({"type": "webhook", "url": "http://169.254.169.254/latest/meta-data"}),
            "delivery.url",
        ),
        (
            json!({"type": "slack", "webhookUrl": "http://10.0.0.5/services/x"}),
            "delivery.webhookUrl",
        ),
    ] {
        let (status, error) = app
            .call_to(
                &guarded,
                &app.key,
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(&nova, json!({"delivery": delivery.clone()}))),
            )
            .await;
        assert_field_error(status, &error, field, "", &delivery.to_string());
    }
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let (status, error) = app
        .call_to(
            &guarded,
            &app.key,
            Method::PATCH,
            &format!("/v1/cron-jobs/{id}"),
            Some(json!({"delivery": {"type": "webhook", "url": "http://localhost/hook"}})),
        )
        .await;
    assert_field_error(status, &error, "delivery.url", "", "patch to localhost");
    assert_eq!(
        get_job(&app, &id).await["delivery"],
        json!({"type": "none"})
    );
}
