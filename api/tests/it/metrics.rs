//! Metrics: summary, per agent, and an agent's series.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

const SONNET: &str = "claude-sonnet-4-20250514";

async fn post(app: &TestApp, session: &str, message: Value) -> Value {
    let (status, message) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(message),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    message
}

fn reply(model: &str, input: u64, output: u64) -> Value {
    json!({"role": "assistant", "content": "done",
           "usage": {"model": model, "inputTokens": input, "outputTokens": output}})
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(3600), 0).unwrap()
}

fn assert_close(value: &Value, want: f64, what: &str) {
    let got = value.as_f64().unwrap_or_else(|| panic!("{what}: {value}"));
    assert!(
        (got - want).abs() <= want * 0.02,
        "{what}: {got}, want {want} ± 2 %"
    );
}

/// Each reply is its own batch, so each adds its latency to the sketches stored by the ones
/// before: to a bucket they hold, and to a new one. Every stored sketch (the agent's hours, the
/// model's hours, the tenant's days) then holds exactly the latencies reported.
#[tokio::test]
async fn replies_add_their_latencies_to_the_stored_sketches_bucket_by_bucket() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let latencies = [420, 420, 9_000, 420, 0, 9_000];
    for latency in latencies {
        post(
            &app,
            &session,
            json!({"role": "assistant", "content": "done",
                   "usage": {"model": SONNET, "inputTokens": 1, "outputTokens": 1, "latencyMs": latency}}),
        )
        .await;
    }
    let mut expected = domain::latency::LatencySketch::default();
    latencies.iter().for_each(|ms| expected.add(*ms));
    let sql = app.sql().await;
    for table in [
        "metrics_agent_hourly",
        "metrics_tenant_hourly",
        "metrics_tenant_daily",
    ] {
        // All rows of the tenant: the replies may straddle an hour (or a day).
        let rows = sql
            .query(
                &format!("SELECT latency FROM {table} WHERE tenant_id = $1 AND latency <> '{{}}'"),
                &[&app.tenant.to_string()],
            )
            .await
            .unwrap();
        let mut stored = domain::latency::LatencySketch::default();
        for row in &rows {
            let value: Value = row.get(0);
            assert!(value.is_object(), "{table}: {value}");
            stored.merge(&serde_json::from_value(value).unwrap());
        }
        assert_eq!(stored, expected, "{table}");
    }
    let summary = get(&app, "/v1/metrics/summary").await;
    assert_close(&summary["latencyMs"]["p50"], 420.0, "p50");
    assert_close(&summary["latencyMs"]["p95"], 9_000.0, "p95");
}

#[tokio::test]
async fn a_reply_is_priced_to_the_micro_dollar_in_the_message_the_series_and_the_summary() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    post(&app, &session, json!({"content": "hi"})).await;
    let message = post(
        &app,
        &session,
        json!({"role": "assistant", "content": "Here is what I found.",
               "usage": {"model": SONNET, "inputTokens": 123456, "outputTokens": 7890, "latencyMs": 420},
               "toolCalls": [{"name": "search", "status": "success", "durationMs": 12},
                             {"name": "search", "status": "failure"}]}),
    )
    .await;
    // 123,456 × $3/M + 7,890 × $15/M = 0.370368 + 0.11835.
    assert_eq!(message["usage"]["costUsd"], json!(0.488718));
    let hour = hour_of(time(&message["createdAt"]));
    // A message after the reply (another batch, the same hour) adds no latency: the reply's
    // stays in every sketch.
    post(&app, &session, json!({"content": "thanks"})).await;

    // The hourly series of the default range: every hour of the current UTC day.
    let series = get(&app, &format!("/v1/agents/{agent}/metrics")).await;
    assert_eq!(series["agentId"], json!(agent));
    assert_eq!(series["granularity"], "hour");
    let buckets = series["series"].as_array().unwrap();
    assert_eq!(buckets.len(), 24, "{series}");
    let midnight = time(&buckets[0]["start"]);
    assert_eq!(
        midnight,
        Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    );
    for (i, bucket) in buckets.iter().enumerate() {
        assert_eq!(time(&bucket["start"]), midnight + Duration::hours(i as i64));
        if time(&bucket["start"]) == hour {
            assert_eq!(bucket["inputTokens"], 123456);
            assert_eq!(bucket["outputTokens"], 7890);
            assert_eq!(bucket["costUsd"], json!(0.488718));
            assert_eq!(bucket["messages"], 3);
            assert_eq!(bucket["toolCalls"], 2);
            assert_eq!(bucket["toolFailures"], 1);
            assert_close(&bucket["latencyMsP50"], 420.0, "p50");
            assert_close(&bucket["latencyMsP95"], 420.0, "p95");
        } else {
            assert_eq!(
                bucket,
                &json!({"start": bucket["start"], "inputTokens": 0, "outputTokens": 0, "costUsd": 0.0,
                        "messages": 0, "toolCalls": 0, "toolFailures": 0,
                        "latencyMsP50": null, "latencyMsP95": null})
            );
        }
    }

    // Daily buckets over three days, the reply's day in the middle.
    let day = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let (from, to) = (day - Duration::days(1), day + Duration::days(2));
    let daily = get(
        &app,
        &format!(
            "/v1/agents/{agent}/metrics?granularity=day&from={}&to={}",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
    .await;
    assert_eq!(daily["granularity"], "day");
    let days = daily["series"].as_array().unwrap();
    assert_eq!(days.len(), 3, "{daily}");
    assert_eq!(time(&days[1]["start"]), day);
    assert_eq!(days[1]["costUsd"], json!(0.488718));
    assert_eq!(days[1]["toolCalls"], 2);
    assert_eq!(days[0]["costUsd"], json!(0.0));

    let summary = get(&app, "/v1/metrics/summary").await;
    assert_eq!(time(&summary["from"]), day);
    assert_eq!(time(&summary["to"]), day + Duration::days(1));
    assert_eq!(
        summary["agents"],
        json!({"total": 1, "online": 0, "degraded": 0, "offline": 0, "provisioning": 1, "activeInPeriod": 1})
    );
    assert_eq!(summary["sessions"], json!({"created": 1, "active": 1}));
    assert_eq!(summary["messages"], json!({"user": 2, "assistant": 1}));
    assert_eq!(summary["tokens"], json!({"input": 123456, "output": 7890}));
    assert_eq!(summary["costUsd"], json!(0.488718));
    assert_eq!(
        summary["byModel"],
        json!([{"model": SONNET, "provider": "anthropic", "inputTokens": 123456, "outputTokens": 7890,
                "costUsd": 0.488718, "pctOfTotal": 100.0}])
    );
    assert_eq!(
        summary["byProvider"],
        json!([{"provider": "anthropic", "inputTokens": 123456, "outputTokens": 7890, "costUsd": 0.488718}])
    );
    for p in ["p50", "p95", "p99"] {
        assert_close(&summary["latencyMs"][p], 420.0, p);
    }

    // The day before: the same agents and active sessions (they are counted now), no activity.
    let yesterday = get(
        &app,
        &format!(
            "/v1/metrics/summary?from={}&to={}",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            day.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
    .await;
    assert_eq!(yesterday["agents"]["total"], 1);
    assert_eq!(yesterday["agents"]["activeInPeriod"], 0);
    assert_eq!(yesterday["sessions"], json!({"created": 0, "active": 1}));
    assert_eq!(yesterday["messages"], json!({"user": 0, "assistant": 0}));
    assert_eq!(yesterday["byModel"], json!([]));
}

#[tokio::test]
async fn a_summary_without_activity_has_zeros_and_null_latencies() {
    let app = TestApp::spawn().await;
    app.create_agent(json!({"name": "Idle"})).await;
    let summary = get(&app, "/v1/metrics/summary").await;
    assert_eq!(summary["agents"]["total"], 1);
    assert_eq!(summary["agents"]["activeInPeriod"], 0);
    assert_eq!(summary["costUsd"], json!(0.0));
    assert_eq!(summary["byModel"], json!([]));
    assert_eq!(summary["byProvider"], json!([]));
    assert_eq!(
        summary["latencyMs"],
        json!({"p50": null, "p95": null, "p99": null})
    );
}

#[tokio::test]
async fn agent_metrics_list_every_agent_by_cost_highest_first() {
    let app = TestApp::spawn().await;
    let cheap = app.create_agent(json!({"name": "Cheap", "config": {"limits": {"dailyTokenBudget": 1000000, "monthlyTokenBudget": 4000000}}}),
    )
    .await;
    let dear = app
        .create_agent(json!({"name": "Dear", "config": {"model": {"default": "gpt-4o"}}}))
        .await;
    let idle = app.create_agent(json!({"name": "Idle"})).await;
    let cheap_session = app.open_session(&cheap).await;
    post(&app, &cheap_session, json!({"content": "hi"})).await;
    post(&app, &cheap_session, reply("gpt-4o-mini", 100_000, 150_000)).await;
    let dear_session = app.open_session(&dear).await;
    post(
        &app,
        &dear_session,
        reply("claude-opus-4-20250514", 10_000, 2_000),
    )
    .await;
    post(&app, &dear_session, reply(SONNET, 123_456, 7_890)).await;

    let listed = get(&app, "/v1/metrics/agents").await;
    assert_eq!(
        listed["pagination"],
        json!({"total": 3, "limit": 20, "offset": 0, "hasMore": false})
    );
    let rows = listed["data"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["agentId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [dear.as_str(), cheap.as_str(), idle.as_str()]);
    // Opus: 0.15 + 0.15; Sonnet: 0.488718.
    assert_eq!(
        rows[0],
        json!({"agentId": dear, "name": "Dear", "model": "gpt-4o", "inputTokens": 133456, "outputTokens": 9890,
               "costUsd": 0.788718, "messages": 2, "sessions": 1,
               "dailyBudgetUtilization": null, "monthlyBudgetUtilization": null})
    );
    // gpt-4o-mini: 100,000 × $0.15/M + 150,000 × $0.60/M = 0.015 + 0.09; 250,000 tokens used
    // of 1,000,000 a day and 4,000,000 a month.
    assert_eq!(rows[1]["costUsd"], json!(0.105));
    assert_eq!(rows[1]["messages"], 2);
    assert_eq!(rows[1]["dailyBudgetUtilization"], json!(0.25));
    assert_eq!(rows[1]["monthlyBudgetUtilization"], json!(0.0625));
    assert_eq!(
        rows[2],
        json!({"agentId": idle, "name": "Idle", "model": "claude-haiku-3.5", "inputTokens": 0, "outputTokens": 0,
               "costUsd": 0.0, "messages": 0, "sessions": 0,
               "dailyBudgetUtilization": null, "monthlyBudgetUtilization": null})
    );

    let page = get(&app, "/v1/metrics/agents?limit=1&offset=1&order=asc").await;
    assert_eq!(page["data"][0]["agentId"], json!(cheap));
    assert_eq!(page["pagination"]["hasMore"], true);
    let past = get(&app, "/v1/metrics/agents?offset=5").await;
    assert_eq!(past["data"], json!([]));
    assert_eq!(past["pagination"]["total"], 3);

    let summary = get(&app, "/v1/metrics/summary").await;
    assert_eq!(summary["costUsd"], json!(0.893718));
    let models: Vec<(&str, f64)> = summary["byModel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap(),
                m["pctOfTotal"].as_f64().unwrap(),
            )
        })
        .collect();
    // 0.488718, 0.3, 0.105 of 0.893718.
    assert_eq!(
        models,
        [
            (SONNET, 54.68),
            ("claude-opus-4-20250514", 33.57),
            ("gpt-4o-mini", 11.75)
        ]
    );
    assert_eq!(
        summary["byProvider"],
        json!([{"provider": "anthropic", "inputTokens": 133456, "outputTokens": 9890, "costUsd": 0.788718},
               {"provider": "openai", "inputTokens": 100000, "outputTokens": 150000, "costUsd": 0.105}])
    );
    assert_eq!(summary["agents"]["activeInPeriod"], 2);
    assert_eq!(summary["sessions"], json!({"created": 2, "active": 2}));

    // A deleted agent leaves the list and the agent counts; its spending stays in the totals.
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{dear}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let listed = get(&app, "/v1/metrics/agents").await;
    assert_eq!(listed["pagination"]["total"], 2);
    assert_eq!(listed["data"][0]["agentId"], json!(cheap));
    let summary = get(&app, "/v1/metrics/summary").await;
    assert_eq!(summary["agents"]["total"], 2);
    assert_eq!(summary["agents"]["activeInPeriod"], 1);
    assert_eq!(summary["costUsd"], json!(0.893718));
    assert_eq!(summary["sessions"], json!({"created": 2, "active": 1}));
    let (status, _) = app
        .call(Method::GET, &format!("/v1/agents/{dear}/metrics"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_queries_reject_bad_ranges_granularities_and_timestamps() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let series = format!("/v1/agents/{agent}/metrics");
    let cases = [
        (
            "/v1/metrics/summary?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z".to_owned(),
            "from",
        ),
        (
            "/v1/metrics/summary?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z".to_owned(),
            "from",
        ),
        (
            "/v1/metrics/agents?from=2026-01-01T00:00:00Z&to=2026-04-03T00:00:01Z".to_owned(),
            "to",
        ),
        ("/v1/metrics/summary?from=yesterday".to_owned(), "from"),
        ("/v1/metrics/summary?to=2026-01-01".to_owned(), "to"),
        ("/v1/metrics/agents?limit=0".to_owned(), "limit"),
        (format!("{series}?granularity=week"), "granularity"),
        (
            format!("{series}?from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z"),
            "to",
        ),
    ];
    for (path, field) in cases {
        let (status, body) = app.call(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(
            body["error"]["details"][0]["field"], field,
            "{path}: {body}"
        );
    }
    // Nearly 92 days, fractional seconds and an offset: the range widens to whole hours.
    let summary = get(
        &app,
        "/v1/metrics/summary?from=2026-01-01T00:30:00.250%2B01:00&to=2026-04-02T22:00:00.5Z",
    )
    .await;
    assert_eq!(summary["from"], "2025-12-31T23:00:00Z");
    assert_eq!(summary["to"], "2026-04-02T23:00:00Z");
}

#[tokio::test]
async fn another_tenants_agent_has_no_metrics() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    post(&app, &session, reply(SONNET, 1_000, 1_000)).await;

    let (_, other_key) = app.create_tenant(schema::tenant::Plan::Enterprise).await;
    for path in [
        format!("/v1/agents/{agent}/metrics"),
        "/v1/agents/agent_nope/metrics".to_owned(),
    ] {
        let response = app
            .request_to(&app.base, &other_key, Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "AGENT_NOT_FOUND", "{body}");
    }
    let summary: Value = app
        .request_to(&app.base, &other_key, Method::GET, "/v1/metrics/summary")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["agents"]["total"], 0);
    assert_eq!(summary["costUsd"], json!(0.0));
    assert_eq!(summary["sessions"], json!({"created": 0, "active": 0}));
}

/// Rollup rows written straight into the tables: 92 days of hours, a dozen models.
#[tokio::test(flavor = "multi_thread")]
async fn a_92_day_history_through_the_log_adds_up_in_every_query() {
    use schema::command::{CreateSession, PostMessage};
    use schema::session::{MessageRole, Usage};
    use schema::{Actor, Command, CommandRecord, MessageId, SessionId};

    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Busy"})).await;
    let agent_id: schema::AgentId = agent.parse().unwrap();
    let to = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let from = to - Duration::days(92);
    let catalog = domain::catalog::Catalog::built_in();
    let models = ["gpt-4o", "claude-haiku-3.5", "gemini-2.0-flash"];
    let record = |command, at: DateTime<Utc>| {
        let mut record = CommandRecord::new(app.tenant, Actor::system("test"), command);
        record.issued_at = at;
        record
    };
    // A session a day; each hour a question and a priced reply, issued at that time.
    let (mut sessions, mut messages, mut latencies, mut cost) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for day in 0..92 {
        let session_id = SessionId::new();
        let opened = from + Duration::days(day);
        sessions.push(record(
            Command::CreateSession(CreateSession {
                session_id,
                agent_id,
                name: None,
            }),
            opened,
        ));
        for hour in 0..24 {
            let at = opened + Duration::hours(hour) + Duration::minutes(30);
            let model = catalog.get(models[hour as usize % models.len()]).unwrap();
            let latency = 100 + (day as u64 * 24 + hour as u64) % 400;
            latencies.push(latency);
            let usage: Usage = model.price(&serde_json::from_value(
                json!({"model": model.id, "inputTokens": 1000, "outputTokens": 100, "latencyMs": latency}),
            ).unwrap());
            cost += usage.cost_micro_usd as i64;
            for (role, usage) in [
                (MessageRole::User, None),
                (MessageRole::Assistant, Some(usage)),
            ] {
                let post = PostMessage {
                    message_id: MessageId::new(),
                    session_id,
                    agent_id,
                    role,
                    content: "hello".into(),
                    usage,
                    tool_calls: Vec::new(),
                    cron_session: false,
                };
                messages.push(record(Command::PostMessage(post), at));
            }
        }
    }
    for session in &sessions {
        app.log.append(session).await.unwrap();
    }
    let appends = messages.iter().map(|message| app.log.append(message));
    futures::stream::iter(appends)
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let sql = app.sql().await;
    let total = (sessions.len() + messages.len()) as i64;
    testkit::eventually(std::time::Duration::from_secs(60), "the history applied", || async {
        let done: i64 = sql
            .query_one("SELECT count(*) FROM command_outcomes WHERE kind IN ('session.create', 'message.post')", &[])
            .await
            .unwrap()
            .get(0);
        (done == total).then_some(())
    })
    .await;

    let hours: i64 = 92 * 24;
    let range = format!(
        "from={}&to={}",
        from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let summary = get(&app, &format!("/v1/metrics/summary?{range}")).await;
    assert_eq!(
        summary["messages"],
        json!({"user": hours, "assistant": hours})
    );
    assert_eq!(summary["sessions"]["created"], 92);
    assert_eq!(
        summary["tokens"],
        json!({"input": 1000 * hours, "output": 100 * hours})
    );
    assert_eq!(summary["costUsd"], json!(micro(cost)));
    assert_eq!(summary["byModel"].as_array().unwrap().len(), 3);
    assert_eq!(summary["agents"]["activeInPeriod"], 1);
    latencies.sort_unstable();
    for (name, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
        let exact = latencies[((q * latencies.len() as f64).ceil() as usize).max(1) - 1] as f64;
        let got = summary["latencyMs"][name].as_f64().unwrap();
        assert!(
            (got - exact).abs() <= exact * 0.02 + 1.0,
            "{name}: {got} vs {exact}"
        );
    }
    // Partial days at both ends: whole days from the daily sketches, the edges from hours.
    let edges = format!(
        "from={}&to={}",
        (from + Duration::hours(12)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (to - Duration::hours(6)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let partial = get(&app, &format!("/v1/metrics/summary?{edges}")).await;
    assert_eq!(partial["messages"]["assistant"], hours - 18);
    assert!(partial["latencyMs"]["p99"].as_u64().is_some());

    let series = get(&app, &format!("/v1/agents/{agent}/metrics?{range}")).await;
    let buckets = series["series"].as_array().unwrap();
    assert_eq!(buckets.len(), hours as usize);
    assert!(buckets
        .iter()
        .all(|b| b["messages"] == 2 && b["latencyMsP50"].is_u64()));
    let daily = get(
        &app,
        &format!("/v1/agents/{agent}/metrics?granularity=day&{range}"),
    )
    .await;
    let days = daily["series"].as_array().unwrap();
    assert_eq!(days.len(), 92);
    assert!(days
        .iter()
        .all(|d| d["messages"] == 48 && d["inputTokens"] == 24_000));
}

fn micro(micro: i64) -> f64 {
    micro as f64 / 1_000_000.0
}
