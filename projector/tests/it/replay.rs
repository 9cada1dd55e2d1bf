use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::{LogKind, TestApp};

/// Every read-model table, as JSON rows in a stable order.
pub(crate) async fn snapshot(app: &TestApp) -> Vec<(String, Vec<Value>)> {
    let sql = app.sql().await;
    let mut tables = Vec::new();
    for (table, order) in [
        ("tenants", "id"),
        ("api_keys", "id"),
        ("agents", "tenant_id, id"),
        ("activity", "tenant_id, sequence"),
        ("activity_heads", "tenant_id"),
        ("activity_counts", "tenant_id, dimension, key"),
        ("sessions", "tenant_id, id"),
        ("messages", "tenant_id, session_id, sequence"),
        ("metrics_agent_hourly", "tenant_id, agent_id, hour"),
        ("metrics_tenant_hourly", "tenant_id, hour, model"),
        ("metrics_tenant_daily", "tenant_id, day"),
        ("webhooks", "tenant_id, id"),
        ("agent_gateway_secrets", "tenant_id, agent_id"),
        ("cron_jobs", "tenant_id, id"),
        ("cron_runs", "tenant_id, id"),
        ("command_outcomes", "command_id"),
        ("checkpoints", "partition"),
    ] {
        let rows = sql
            .query(
                // A checkpoint's token tells which of the live projector's batches wrote it
                // (a rebuild writes none): bookkeeping, not state.
                &format!("SELECT to_jsonb(t) - 'token' FROM {table} t ORDER BY {order}"),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        tables.push((
            table.to_owned(),
            rows.iter().map(|row| row.get(0)).collect(),
        ));
    }
    tables
}

/// A history touching every command kind, with rejections.
async fn make_history(app: &TestApp) {
    // Webhooks first, so that the events below are queued for them: created, changed, rotated,
    // tested, disabled by the dispatcher's command, deleted; a duplicate refused.
    let mut hooks = Vec::new();
    for (url, events) in [
        ("https://example.com/a", json!(["*"])),
        (
            "https://example.com/b",
            json!(["agent.created", "session.created"]),
        ),
        ("https://example.com/a", json!(["*"])),
        ("https://example.com/c", json!(["message.created"])),
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/webhooks",
                Some(json!({"url": url, "events": events})),
            )
            .await;
        if status == StatusCode::CREATED {
            hooks.push(body["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(hooks.len(), 3);
    app.call(
        Method::PATCH,
        &format!("/v1/webhooks/{}", hooks[1]),
        Some(json!({"description": "ops", "events": ["agent.created"]})),
    )
    .await;
    app.call(
        Method::POST,
        &format!("/v1/webhooks/{}/rotate-secret", hooks[0]),
        None,
    )
    .await;
    app.call(
        Method::POST,
        &format!("/v1/webhooks/{}/test", hooks[0]),
        None,
    )
    .await;
    let disable = schema::Command::DisableWebhook(schema::command::DisableWebhook {
        webhook_id: hooks[2].parse().unwrap(),
        reason: "The endpoint answered 410 Gone".to_owned(),
    });
    app.log
        .append(&schema::CommandRecord::new(
            app.tenant,
            schema::Actor::system("webhook-dispatcher"),
            disable,
        ))
        .await
        .unwrap();
    app.call(Method::DELETE, &format!("/v1/webhooks/{}", hooks[1]), None)
        .await;
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(
                json!({"name": "Gated", "config": {"gateway": {"url": "https://example.com/gw"}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut ids = Vec::new();
    for name in ["Nova", "Orion", "Vega", "nova"] {
        let response = app
            .request(Method::POST, "/v1/agents")
            .json(&json!({"name": name, "soul": "# s"}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::CREATED {
            let body: Value = response.json().await.unwrap();
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
    }
    let patch = json!({"role": "lead", "config": {"limits": {"dailyTokenBudget": 5000}}});
    app.request(Method::PATCH, &format!("/v1/agents/{}", ids[0]))
        .json(&patch)
        .send()
        .await
        .unwrap();
    app.request(Method::PUT, &format!("/v1/agents/{}/soul", ids[1]))
        .json(&json!({"soul": "# new"}))
        .send()
        .await
        .unwrap();
    app.request(Method::POST, &format!("/v1/agents/{}/heartbeat", ids[1]))
        .json(&json!({"state": "degraded"}))
        .send()
        .await
        .unwrap();
    // Sessions and messages: replies that cross the budget (alert and exhaustion), a refused
    // user message, tool calls, an archive, a prune, and a deletion that archives a session.
    let session = app.open_session(&ids[0]).await;
    let messages = format!("/v1/sessions/{session}/messages");
    app.call(Method::POST, &messages, Some(json!({"content": "hello"})))
        .await;
    for tokens in [2_000, 2_500, 1_000] {
        let reply = json!({"role": "assistant", "content": "hi",
            "usage": {"model": "gpt-4o", "inputTokens": tokens, "outputTokens": 10, "latencyMs": tokens / 4},
            "toolCalls": [{"name": "search", "status": "failure"}]});
        let (status, _) = app.call(Method::POST, &messages, Some(reply)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = app
        .call(Method::POST, &messages, Some(json!({"content": "more"})))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let other = app.open_session(&ids[1]).await;
    app.call(Method::POST, &format!("/v1/sessions/{other}/archive"), None)
        .await;
    app.open_session(&ids[1]).await;
    app.call(
        Method::POST,
        "/v1/sessions/prune",
        Some(json!({"before": chrono::Utc::now()})),
    )
    .await;
    app.open_session(&ids[2]).await;
    // Cron: a job run now and answered (its output queued for a webhook), a skipped overlap, a
    // patch, and the jobs of a deleted agent.
    let (status, job) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(
                json!({"agentId": ids[1], "name": "brief", "prompt": "Brief me",
                        "schedule": "0 8 * * MON-FRI", "timezone": "Europe/Berlin",
                        "delivery": {"type": "webhook", "url": "https://example.com/cron"}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let job_id = job["id"].as_str().unwrap().to_owned();
    let (_, run) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{job_id}/run"), None)
        .await;
    let (_, skipped) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{job_id}/run"), None)
        .await;
    assert_eq!(skipped["status"], "skipped");
    let reply = json!({"role": "assistant", "content": "Brief", "usage": {"model": "gpt-4o",
        "inputTokens": 10, "outputTokens": 5}});
    let path = format!(
        "/v1/sessions/{}/messages",
        run["sessionId"].as_str().unwrap()
    );
    let (status, _) = app.call(Method::POST, &path, Some(reply)).await;
    assert_eq!(status, StatusCode::CREATED);
    app.call(
        Method::PATCH,
        &format!("/v1/cron-jobs/{job_id}"),
        Some(json!({"schedule": "30 7 * * *", "enabled": false})),
    )
    .await;
    app.call(
        Method::POST,
        "/v1/cron-jobs",
        Some(
            json!({"agentId": ids[2], "name": "gone with the agent", "prompt": "p",
                    "schedule": "*/5 * * * *"}),
        ),
    )
    .await;
    app.request(Method::DELETE, &format!("/v1/agents/{}", ids[2]))
        .send()
        .await
        .unwrap();
}

/// How many deliveries the dispatcher's queue holds.
async fn deliveries(app: &TestApp) -> i64 {
    let sql = app.sql().await;
    sql.query_one("SELECT count(*) FROM dispatch.deliveries", &[])
        .await
        .unwrap()
        .get(0)
}

/// The definitions of the live read models' indexes.
async fn indexes(app: &TestApp) -> Vec<String> {
    let rows = app
        .sql()
        .await
        .query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'readmodel' ORDER BY indexname",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

/// What the API answers, on every read route the history touched.
async fn listing(app: &TestApp) -> Vec<Value> {
    let mut answers = Vec::new();
    for path in [
        "/v1/agents?limit=100",
        "/v1/sessions?limit=100",
        "/v1/activity?after=0&limit=100",
        "/v1/activity/verify",
        "/v1/metrics/summary",
        "/v1/metrics/agents",
        "/v1/webhooks?limit=100",
        "/v1/cron-jobs?limit=100",
    ] {
        let (status, body) = app.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        answers.push(body);
    }
    let (_, sessions) = app.call(Method::GET, "/v1/sessions?limit=100", None).await;
    for session in sessions["data"].as_array().unwrap() {
        let path = format!("/v1/sessions/{}/messages", session["id"].as_str().unwrap());
        answers.push(app.call(Method::GET, &path, None).await.1);
    }
    answers
}

async fn replay_rebuilds_equal_read_models(kind: LogKind) {
    let app = TestApp::spawn_on(kind).await;
    make_history(&app).await;
    let before = snapshot(&app).await;
    let indexes_before = indexes(&app).await;
    let api_before = listing(&app).await;
    assert!(!api_before[0]["data"].as_array().unwrap().is_empty());
    assert_eq!(api_before[3]["valid"], true);

    let queued = deliveries(&app).await;
    assert!(queued > 5, "the history queued only {queued} deliveries");
    let report = projector::replay::rebuild(&app.db.url, app.log.clone(), |_| {})
        .await
        .expect("replay");
    // A rebuild sends nothing again: the delivery queue is as it was.
    assert_eq!(deliveries(&app).await, queued);
    assert!(
        report.records >= 10,
        "replayed only {} records",
        report.records
    );

    assert_eq!(snapshot(&app).await, before);
    assert_eq!(listing(&app).await, api_before);
    // The indexes a rebuild builds after its bulk load are all there.
    assert_eq!(indexes(&app).await, indexes_before);
    // The live system goes on working on the swapped-in models.
    let response = app
        .request(Method::POST, "/v1/agents")
        .json(&json!({"name": "After"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_on_the_postgres_log_rebuilds_read_models_equal_to_the_live_ones() {
    replay_rebuilds_equal_read_models(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_on_the_kafka_log_rebuilds_read_models_equal_to_the_live_ones() {
    let broker = testkit::kafka::Broker::start().await;
    replay_rebuilds_equal_read_models(broker.log_kind()).await;
}
