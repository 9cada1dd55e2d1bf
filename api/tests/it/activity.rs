use std::io::Write;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

/// A little history: agents, a SOUL, a heartbeat, a session with messages and a tool call, a
/// budget crossed, an archive, a deletion.
async fn make_history(app: &TestApp) -> (String, String) {
    let nova = app
        .create_agent(json!({"name": "Nova", "config": {"limits": {"dailyTokenBudget": 100}}}))
        .await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    app.call(
        Method::PUT,
        &format!("/v1/agents/{nova}/soul"),
        Some(json!({"soul": "# Nova"})),
    )
    .await;
    app.call(Method::POST, &format!("/v1/agents/{nova}/heartbeat"), None)
        .await;
    let session = app.open_session(&nova).await;
    let messages = format!("/v1/sessions/{session}/messages");
    app.call(
        Method::POST,
        &messages,
        Some(json!({"content": "secret question"})),
    )
    .await;
    let reply = json!({"role": "assistant", "content": "secret answer",
        "usage": {"model": "gpt-4o-mini", "inputTokens": 90, "outputTokens": 20, "latencyMs": 333},
        "toolCalls": [{"name": "search", "status": "success", "durationMs": 5}]});
    let (status, _) = app.call(Method::POST, &messages, Some(reply)).await;
    assert_eq!(status, StatusCode::CREATED);
    app.call(
        Method::POST,
        &format!("/v1/sessions/{session}/archive"),
        None,
    )
    .await;
    app.call(Method::DELETE, &format!("/v1/agents/{orion}"), None)
        .await;
    (nova, session)
}

/// Every entry of the tenant, oldest first, read page by page with `after=`.
async fn all_entries(app: &TestApp) -> Vec<Value> {
    let mut entries: Vec<Value> = Vec::new();
    loop {
        let after = entries
            .last()
            .map_or(0, |e| e["sequence"].as_i64().unwrap());
        let (status, page) = app
            .call(
                Method::GET,
                &format!("/v1/activity?after={after}&limit=5"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().unwrap().clone();
        if data.is_empty() {
            return entries;
        }
        entries.extend(data);
    }
}

/// Recomputes the chain with Python's `rfc8785` package (an RFC 8785 implementation the server
/// does not use) from the API's JSON alone.
fn verify_independently(entries: &[Value]) -> String {
    let script = r#"
import hashlib, json, sys, rfc8785
entries = json.load(sys.stdin)
prev = "0" * 64
for expected_sequence, entry in enumerate(entries, start=1):
    assert entry["sequence"] == expected_sequence, f"gap before {entry['sequence']}"
    assert entry["prevHash"] == prev, f"entry {entry['sequence']} does not link to the one before"
    body = {k: v for k, v in entry.items() if k != "hash"}
    digest = hashlib.sha256(prev.encode() + rfc8785.dumps(body)).hexdigest()
    assert digest == entry["hash"], f"entry {entry['sequence']}: {digest} != {entry['hash']}"
    prev = entry["hash"]
print(f"ok {len(entries)}")
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(entries).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "independent verification failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_hash_chain_verifies_independently_and_verify_finds_an_edited_row() {
    let app = TestApp::spawn().await;
    make_history(&app).await;
    let entries = all_entries(&app).await;
    assert!(entries.len() >= 14, "{}", entries.len());
    assert_eq!(
        verify_independently(&entries),
        format!("ok {}", entries.len())
    );
    for entry in &entries {
        let text = entry.to_string();
        assert!(!text.contains("secret"), "message content in {text}");
    }

    let (_, verdict) = app.call(Method::GET, "/v1/activity/verify", None).await;
    assert_eq!(
        verdict,
        json!({"valid": true, "entries": entries.len(), "firstBrokenSequence": null})
    );

    // Someone edits one stored entry: verify names it.
    let sql = app.sql().await;
    let edited = sql
        .execute(
            "UPDATE activity SET data = jsonb_set(data, '{name}', '\"Mallory\"') WHERE tenant_id = $1 AND sequence = 3",
            &[&app.tenant.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(edited, 1);
    let (_, verdict) = app.call(Method::GET, "/v1/activity/verify", None).await;
    assert_eq!(
        verdict,
        json!({"valid": false, "entries": entries.len(), "firstBrokenSequence": 3})
    );
}

#[tokio::test]
async fn activity_filters_by_type_pattern_agent_actor_and_time_newest_first() {
    let app = TestApp::spawn().await;
    let (nova, session) = make_history(&app).await;
    let types = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };

    let (_, newest) = app.call(Method::GET, "/v1/activity?limit=3", None).await;
    let sequences: Vec<i64> = newest["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    let total = newest["pagination"]["total"].as_i64().unwrap();
    assert_eq!(sequences, [total, total - 1, total - 2], "newest first");

    let (_, sessions) = app
        .call(Method::GET, "/v1/activity?type=session.*", None)
        .await;
    assert_eq!(types(&sessions), ["session.archived", "session.created"]);
    assert_eq!(
        sessions["data"][0]["subject"],
        json!({"type": "session", "id": session})
    );
    assert_eq!(sessions["pagination"]["total"], 2);

    let (_, mixed) = app
        .call(
            Method::GET,
            "/v1/activity?type=agent.budget_alert,agent.budget_exhausted,agent.tool_called&order=asc",
            None,
        )
        .await;
    assert_eq!(
        types(&mixed),
        [
            "agent.tool_called",
            "agent.budget_alert",
            "agent.budget_exhausted"
        ]
    );
    assert_eq!(mixed["data"][1]["data"]["period"], "daily");

    let (_, by_agent) = app
        .call(
            Method::GET,
            &format!("/v1/activity?agentId={nova}&limit=100"),
            None,
        )
        .await;
    assert!(by_agent["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["agentId"] == nova.as_str()));
    assert!(types(&by_agent).contains(&"agent.soul_updated".to_owned()));

    let (_, by_keys) = app
        .call(
            Method::GET,
            "/v1/activity?actorType=api_key&limit=100",
            None,
        )
        .await;
    let (_, by_system) = app
        .call(Method::GET, "/v1/activity?actorType=system", None)
        .await;
    assert_eq!(
        by_keys["pagination"]["total"].as_i64().unwrap()
            + by_system["pagination"]["total"].as_i64().unwrap(),
        total,
        "every entry is by a key or by the system"
    );
    assert!(types(&by_system).contains(&"tenant.created".to_owned()));

    let first = &by_keys["data"].as_array().unwrap().last().unwrap().clone();
    let (status, fetched) = app
        .call(
            Method::GET,
            &format!("/v1/activity/{}", first["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&fetched, first);

    let future = "2999-01-01T00:00:00Z";
    let (_, none) = app
        .call(Method::GET, &format!("/v1/activity?from={future}"), None)
        .await;
    assert_eq!(none["pagination"]["total"], 0);
    let (_, all_before) = app
        .call(Method::GET, &format!("/v1/activity?to={future}"), None)
        .await;
    assert_eq!(all_before["pagination"]["total"], total);

    for (path, code) in [
        ("/v1/activity?type=cron", "VALIDATION_ERROR"),
        ("/v1/activity?type=nothing.*", "VALIDATION_ERROR"),
        ("/v1/activity?actorType=robot", "VALIDATION_ERROR"),
        ("/v1/activity?after=-1", "VALIDATION_ERROR"),
        ("/v1/activity?from=yesterday", "VALIDATION_ERROR"),
        (
            "/v1/activity/evt_01jq8abcdefghjkmnpqrstvwxy",
            "ACTIVITY_NOT_FOUND",
        ),
        (
            "/v1/activity/agent_01jq8abcdefghjkmnpqrstvwxy",
            "ACTIVITY_NOT_FOUND",
        ),
    ] {
        let (_, error) = app.call(Method::GET, path, None).await;
        assert_eq!(error["error"]["code"], code, "{path}: {error}");
    }
    // Another tenant sees none of it.
    let (_, other_key) = app.create_tenant(schema::tenant::Plan::Enterprise).await;
    let response = app
        .request_to(
            &app.base,
            &other_key,
            Method::GET,
            &format!("/v1/activity/{}", first["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
