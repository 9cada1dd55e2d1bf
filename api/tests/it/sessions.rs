use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

#[tokio::test]
async fn sessions_open_list_by_filter_and_archive_idempotently() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;

    let (status, session) = app
        .call(
            Method::POST,
            "/v1/sessions",
            Some(json!({"agentId": nova, "name": "Support"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("sess_"));
    assert_eq!(session["agentId"], nova.as_str());
    assert_eq!(session["name"], "Support");
    assert_eq!(session["status"], "active");
    assert_eq!(session["origin"], "api");
    assert_eq!(session["cronJobId"], Value::Null);
    assert_eq!(session["messageCount"], 0);
    assert_eq!(session["tokenCount"], 0);
    assert_eq!(session["archivedAt"], Value::Null);
    assert_eq!(session["createdAt"], session["lastActivityAt"]);
    let other = app.open_session(&orion).await;

    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(agent["openSessionCount"], 1);

    let (status, fetched) = app
        .call(Method::GET, &format!("/v1/sessions/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, session);

    let (_, all) = app.call(Method::GET, "/v1/sessions", None).await;
    assert_eq!(all["pagination"]["total"], 2);
    assert_eq!(all["data"][0]["id"], other.as_str(), "newest first");
    let (_, by_agent) = app
        .call(Method::GET, &format!("/v1/sessions?agentId={orion}"), None)
        .await;
    assert_eq!(by_agent["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_agent["data"][0]["id"], other.as_str());

    for _ in 0..2 {
        let (status, archived) = app
            .call(Method::POST, &format!("/v1/sessions/{id}/archive"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{archived}");
        assert_eq!(archived["status"], "archived");
        assert!(archived["archivedAt"].is_string());
    }
    let (_, archived_list) = app
        .call(Method::GET, "/v1/sessions?status=archived&origin=api", None)
        .await;
    assert_eq!(archived_list["pagination"]["total"], 1);
    assert_eq!(archived_list["data"][0]["id"], id);
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(agent["openSessionCount"], 0);

    // One session.archived entry, however often it was archived.
    let sql = app.sql().await;
    let archived: i64 = sql
        .query_one(
            "SELECT count(*) FROM activity WHERE type = 'session.archived' AND subject_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(archived, 1);
}

#[tokio::test]
async fn bad_session_requests_get_clear_errors() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (
            Method::POST,
            "/v1/sessions".to_owned(),
            Some(json!({"agentId": "agent_01jq8abcdefghjkmnpqrstvwxy"})),
            StatusCode::NOT_FOUND,
            "AGENT_NOT_FOUND",
        ),
        (
            Method::POST,
            "/v1/sessions".to_owned(),
            Some(json!({"agentId": "nope"})),
            StatusCode::NOT_FOUND,
            "AGENT_NOT_FOUND",
        ),
        (
            Method::POST,
            "/v1/sessions".to_owned(),
            Some(json!({"agentId": nova, "titel": "typo"})),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            Method::POST,
            "/v1/sessions".to_owned(),
            Some(json!({"agentId": nova, "name": ""})),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            Method::GET,
            "/v1/sessions/sess_01jq8abcdefghjkmnpqrstvwxy".to_owned(),
            None,
            StatusCode::NOT_FOUND,
            "SESSION_NOT_FOUND",
        ),
        (
            Method::POST,
            "/v1/sessions/agent_01jq8abcdefghjkmnpqrstvwxy/archive".to_owned(),
            None,
            StatusCode::NOT_FOUND,
            "SESSION_NOT_FOUND",
        ),
        (
            Method::GET,
            "/v1/sessions?status=closed".to_owned(),
            None,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            Method::POST,
            "/v1/sessions/prune".to_owned(),
            Some(json!({"before": "yesterday"})),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (got, error) = app.call(method.clone(), &path, body).await;
        assert_eq!(got, status, "{method} {path}: {error}");
        assert_eq!(error["error"]["code"], code, "{method} {path}: {error}");
    }
    // Another tenant's session is not found.
    let session = app.open_session(&nova).await;
    let (_, other_key) = app.create_tenant(schema::tenant::Plan::Enterprise).await;
    let response = app
        .request_to(
            &app.base,
            &other_key,
            Method::GET,
            &format!("/v1/sessions/{session}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn prune_archives_the_active_sessions_idle_since_before_a_time() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    let old_nova = app.open_session(&nova).await;
    let old_orion = app.open_session(&orion).await;
    let already_archived = app.open_session(&nova).await;
    app.call(
        Method::POST,
        &format!("/v1/sessions/{already_archived}/archive"),
        None,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let fresh = app.open_session(&nova).await;

    let (status, result) = app
        .call(
            Method::POST,
            "/v1/sessions/prune",
            Some(json!({"before": cutoff, "agentId": nova})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result, json!({"archived": 1}));
    let status_of = |id: String| {
        let app = &app;
        async move {
            let (_, session) = app
                .call(Method::GET, &format!("/v1/sessions/{id}"), None)
                .await;
            session["status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(status_of(old_nova).await, "archived");
    assert_eq!(status_of(old_orion.clone()).await, "active");
    assert_eq!(status_of(fresh.clone()).await, "active");

    let (_, result) = app
        .call(
            Method::POST,
            "/v1/sessions/prune",
            Some(json!({"before": cutoff})),
        )
        .await;
    assert_eq!(result, json!({"archived": 1}));
    assert_eq!(status_of(old_orion).await, "archived");
    assert_eq!(status_of(fresh).await, "active");
    // Prunes do not load the sessions' agents; their counts follow all the same.
    for (agent, open) in [(&nova, 1), (&orion, 0)] {
        let (_, agent) = app
            .call(Method::GET, &format!("/v1/agents/{agent}"), None)
            .await;
        assert_eq!(agent["openSessionCount"], open, "{agent}");
    }
}

#[tokio::test]
async fn deleting_an_agent_archives_its_sessions_in_the_same_decision() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let sessions = [app.open_session(&nova).await, app.open_session(&nova).await];
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for id in &sessions {
        let (_, session) = app
            .call(Method::GET, &format!("/v1/sessions/{id}"), None)
            .await;
        assert_eq!(session["status"], "archived", "{session}");
        let (status, error) = app
            .call(
                Method::POST,
                &format!("/v1/sessions/{id}/messages"),
                Some(json!({"content": "still there?"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["error"]["code"], "SESSION_ARCHIVED");
    }
    // The archives and the deletion come from one command, archives first.
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT type, command_id FROM activity WHERE agent_id = $1 AND type IN ('session.archived', 'agent.deleted')
             ORDER BY sequence",
            &[&nova],
        )
        .await
        .unwrap();
    let types: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(
        types,
        ["session.archived", "session.archived", "agent.deleted"]
    );
    let commands: std::collections::HashSet<String> = rows.iter().map(|row| row.get(1)).collect();
    assert_eq!(commands.len(), 1);
}
