use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

fn reply(input: u64, output: u64) -> Value {
    json!({
        "role": "assistant",
        "content": "Here is the report.",
        "usage": {"model": "claude-sonnet-4-20250514", "inputTokens": input, "outputTokens": output, "latencyMs": 850},
    })
}

#[tokio::test]
async fn twenty_concurrent_messages_get_sequences_one_to_twenty_over_two_apis() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let posts = (0..20).map(|i| {
        let base = if i % 2 == 0 { &app.base } else { &second_api };
        let request = app
            .request_to(base, &app.key, Method::POST, &path)
            .json(&json!({"content": format!("message {i}")}));
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()
        }
    });
    let created = futures::future::join_all(posts).await;
    let sequences: BTreeSet<i64> = created
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, (1..=20).collect::<BTreeSet<_>>());

    let (_, page) = app
        .call(Method::GET, &format!("{path}?limit=100"), None)
        .await;
    let listed: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, (1..=20).collect::<Vec<_>>(), "oldest first");
    // Each answer is the message as stored (answered from the sequence its batch told).
    for message in &created {
        let at = message["sequence"].as_i64().unwrap() as usize - 1;
        assert_eq!(&page["data"][at], message);
    }
    assert_eq!(page["pagination"]["total"], 20);
    let (_, newest) = app
        .call(Method::GET, &format!("{path}?order=desc&limit=1"), None)
        .await;
    assert_eq!(newest["data"][0]["sequence"], 20);
    assert_eq!(newest["pagination"]["hasMore"], true);
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["messageCount"], 20);
}

#[tokio::test]
async fn a_message_racing_an_archive_is_stored_before_it_or_refused() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let posts = (0..30).map(|i| {
        let request = app
            .request(Method::POST, &path)
            .json(&json!({"content": format!("message {i}")}));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    });
    let archive = async {
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        app.call(
            Method::POST,
            &format!("/v1/sessions/{session}/archive"),
            None,
        )
        .await
    };
    let (results, (archive_status, _)) = tokio::join!(futures::future::join_all(posts), archive);
    assert_eq!(archive_status, StatusCode::OK);
    let mut stored = BTreeSet::new();
    for (status, body) in &results {
        match *status {
            StatusCode::CREATED => {
                stored.insert(body["id"].as_str().unwrap().to_owned());
            }
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "SESSION_ARCHIVED"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let (_, page) = app
        .call(Method::GET, &format!("{path}?limit=100"), None)
        .await;
    let listed: BTreeSet<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, stored, "exactly the accepted messages are stored");

    // In log order, every accepted message comes before the archive, every refused one after.
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT kind, accepted, \"offset\" FROM command_outcomes
             WHERE kind IN ('message.post', 'session.archive') ORDER BY \"offset\"",
            &[],
        )
        .await
        .unwrap();
    let archive_at = rows
        .iter()
        .position(|row| row.get::<_, String>(0) == "session.archive")
        .unwrap();
    for (index, row) in rows.iter().enumerate() {
        if index != archive_at {
            assert_eq!(
                row.get::<_, bool>(1),
                index < archive_at,
                "message at {index}"
            );
        }
    }
    let (status, _) = app
        .call(Method::POST, &path, Some(json!({"content": "late"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_reply_is_priced_exactly_and_counted_on_the_agent_and_its_session() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let (status, question) = app
        .call(
            Method::POST,
            &path,
            Some(json!({"content": "Summarise the week"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{question}");
    assert_eq!(question["role"], "user");
    assert_eq!(question["usage"], Value::Null);
    assert_eq!(question["toolCalls"], json!([]));

    let mut body = reply(123_456, 7_890);
    body["toolCalls"] = json!([{"name": "search", "status": "success", "durationMs": 120},
                               {"name": "fetch_page", "status": "failure"}]);
    let (status, answer) = app.call(Method::POST, &path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["sequence"], 2);
    assert_eq!(answer["agentId"], agent.as_str());
    assert_eq!(
        answer["usage"],
        json!({"model": "claude-sonnet-4-20250514", "inputTokens": 123456, "outputTokens": 7890,
               "latencyMs": 850, "costUsd": 0.488718})
    );
    assert_eq!(
        answer["toolCalls"],
        json!([{"name": "search", "status": "success", "durationMs": 120},
               {"name": "fetch_page", "status": "failure", "durationMs": null}])
    );

    let (_, nova) = app
        .call(Method::GET, &format!("/v1/agents/{agent}"), None)
        .await;
    assert_eq!(nova["tokensTodayInput"], 123_456);
    assert_eq!(nova["tokensTodayOutput"], 7_890);
    assert_eq!(nova["lastActiveAt"], answer["createdAt"]);
    let (_, stored) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(stored["messageCount"], 2);
    assert_eq!(stored["tokenCount"], 123_456 + 7_890);
    assert_eq!(stored["lastActivityAt"], answer["createdAt"]);

    // Activity entries carry no message content; one entry per tool call.
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT type, data::text FROM activity WHERE agent_id = $1",
            &[&agent],
        )
        .await
        .unwrap();
    let mut tool_calls = 0;
    for row in &rows {
        let (kind, data): (String, String) = (row.get(0), row.get(1));
        assert!(
            !data.contains("Summarise") && !data.contains("the report"),
            "{kind}: {data}"
        );
        assert!(!data.contains("\"content\""), "{kind}: {data}");
        tool_calls += usize::from(kind == "agent.tool_called");
    }
    assert_eq!(tool_calls, 2);
    assert_eq!(
        rows.iter()
            .filter(|r| r.get::<_, String>(0) == "message.created")
            .count(),
        2
    );
}

#[tokio::test]
async fn bad_messages_get_clear_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let cases = [
        (json!({"content": ""}), "content"),
        (json!({"content": "x".repeat(100_001)}), "content"),
        (
            json!({"content": "hi", "usage": {"model": "gpt-4o", "inputTokens": 1, "outputTokens": 1}}),
            "usage",
        ),
        (
            json!({"content": "hi", "toolCalls": [{"name": "search", "status": "success"}]}),
            "toolCalls",
        ),
        (
            json!({"role": "assistant", "content": "hi", "usage": {"model": "gpt-5", "inputTokens": 1, "outputTokens": 1}}),
            "usage.model",
        ),
        (
            json!({"role": "assistant", "content": "hi", "usage": {"model": "gpt-4o", "inputTokens": -1, "outputTokens": 1}}),
            "usage.inputTokens",
        ),
        (
            json!({"role": "assistant", "content": "hi", "toolCalls": [{"name": "Bad Tool", "status": "success"}]}),
            "toolCalls[0].name",
        ),
        (
            json!({"role": "assistant", "content": "hi", "toolCalls": [{"name": "x", "status": "maybe"}]}),
            "toolCalls[0].status",
        ),
        (json!({"role": "system", "content": "hi"}), "role"),
        (json!({"content": "hi", "costUsd": 1}), "costUsd"),
    ];
    for (body, field) in cases {
        let (status, error) = app.call(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert_eq!(error["error"]["code"], "VALIDATION_ERROR");
        let fields: Vec<&str> = error["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&field),
            "{body}: expected {field} in {error}"
        );
    }
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/sessions/sess_01jq8abcdefghjkmnpqrstvwxy/messages",
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "SESSION_NOT_FOUND");
    let (_, page) = app.call(Method::GET, &path, None).await;
    assert_eq!(page["pagination"]["total"], 0);
}

#[tokio::test]
async fn budget_alert_and_exhaustion_fire_once_per_period_under_concurrent_replies() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let agent = app
        .create_agent(json!({"name": "Nova", "config": {"limits": {"dailyTokenBudget": 1000, "alertThreshold": 0.5}}}))
        .await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    // 12 replies of 150 tokens: the alert (500) and the exhaustion (1,000) are each crossed by
    // exactly one of them, whichever order the log puts them in.
    let posts = (0..12).map(|i| {
        let base = if i % 2 == 0 { &app.base } else { &second_api };
        let request = app
            .request_to(base, &app.key, Method::POST, &path)
            .json(&reply(100, 50));
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(posts).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );

    let sql = app.sql().await;
    let events = sql
        .query(
            "SELECT type, data FROM activity WHERE agent_id = $1 AND type LIKE 'agent.budget_%' ORDER BY sequence",
            &[&agent],
        )
        .await
        .unwrap();
    let kinds: Vec<String> = events.iter().map(|row| row.get(0)).collect();
    assert_eq!(kinds, ["agent.budget_alert", "agent.budget_exhausted"]);
    let alert: Value = events[0].get(1);
    assert_eq!(alert["period"], "daily");
    assert_eq!(alert["budget"], 1000);
    assert_eq!(alert["used"], 600, "the first reply at or over 500 tokens");
    let exhausted: Value = events[1].get(1);
    assert_eq!(exhausted["used"], 1050);

    // A user message now waits for the reset at UTC midnight.
    let response = app
        .request(Method::POST, &path)
        .json(&json!({"content": "one more?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = chrono::Utc::now();
    let midnight = (now.date_naive() + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert!(
        (retry_after - (midnight - now).num_seconds()).abs() <= 2,
        "Retry-After {retry_after}"
    );
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "BUDGET_EXHAUSTED");
    // Replies still count (the tokens were spent), and fire nothing more this period.
    let (status, _) = app.call(Method::POST, &path, Some(reply(10, 10))).await;
    assert_eq!(status, StatusCode::CREATED);
    let count: i64 = sql
        .query_one(
            "SELECT count(*) FROM activity WHERE agent_id = $1 AND type LIKE 'agent.budget_%'",
            &[&agent],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    // Raising the budget lets user messages through again.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/agents/{agent}"),
            Some(json!({"config": {"limits": {"dailyTokenBudget": 10000}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(Method::POST, &path, Some(json!({"content": "one more?"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A message changes its session's activity time and counters: with none of them in an index
/// of `sessions`, its update of the session can be HOT (no new entry in each index per message;
/// `sessions_active` held `last_activity_at` and made every one of them a full update).
#[tokio::test]
async fn no_index_of_sessions_holds_what_a_message_changes() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT i.indexrelid::regclass::text, a.attname
             FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid
             WHERE i.indrelid = 'readmodel.sessions'::regclass
               AND (a.attnum = ANY (i.indkey)
                    OR pg_get_expr(i.indpred, i.indrelid) LIKE '%' || a.attname || '%')",
            &[],
        )
        .await
        .unwrap();
    let indexed: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(
        indexed.iter().any(|(_, column)| column == "tenant_id"),
        "the query reads the indexes: {indexed:?}"
    );
    for changed in ["last_activity_at", "message_count", "token_count"] {
        assert!(
            !indexed.iter().any(|(_, column)| column == changed),
            "{changed} is indexed: {indexed:?}"
        );
    }
}

/// A posted message is answered from the command its batch accepted and the sequence the batch
/// told, not read back: the answer must be what the session's list shows, whatever it holds.
#[tokio::test]
async fn a_posted_message_answers_exactly_what_the_list_shows() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let bodies = [
        json!({"content": "Ünïcødé 名前 🤖 \u{202e}rtl\n\ttabbed \"quoted\" \\ back"}),
        reply(1_234, 567),
        json!({"role": "assistant", "content": "Called tools.",
               "usage": {"model": "gpt-4o", "inputTokens": 1, "outputTokens": 0, "latencyMs": 0},
               "toolCalls": [{"name": "web_search", "status": "success", "durationMs": 120},
                             {"name": "code_run", "status": "failure", "durationMs": 0}]}),
    ];
    let mut answers = Vec::new();
    for body in bodies {
        let (status, answer) = app.call(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{body}: {answer}");
        answers.push(answer);
    }
    let (_, page) = app
        .call(Method::GET, &format!("{path}?limit=100"), None)
        .await;
    assert_eq!(page["data"].as_array().unwrap(), &answers);
}

/// The API keeps a session's agent and origin once it has seen the session (`session_facts`):
/// what it keeps must answer only the session's own tenant, and the projector must still refuse
/// what the stored session refuses.
#[tokio::test]
async fn a_session_the_api_has_seen_takes_messages_only_from_its_own_tenant_and_while_active() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let path = format!("/v1/sessions/{session}/messages");
    let (status, body) = app
        .call(Method::POST, &path, Some(json!({"content": "first"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, other_key) = app.create_tenant(schema::tenant::Plan::Enterprise).await;
    let (status, error) = app
        .call_to(
            &app.base,
            &other_key,
            Method::POST,
            &path,
            Some(json!({"content": "not yours"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["error"]["code"], "SESSION_NOT_FOUND");

    let (status, _) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/archive"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = app
        .call(Method::POST, &path, Some(json!({"content": "too late"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "SESSION_ARCHIVED");

    let (_, page) = app.call(Method::GET, &path, None).await;
    let contents: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["first"]);
}
