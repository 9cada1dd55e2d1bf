use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

async fn new_agent(app: &TestApp, body: Value) -> String {
    let (_, agent) = app.call(Method::POST, "/v1/agents", Some(body)).await;
    agent["id"].as_str().unwrap().to_owned()
}

fn sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn the_soul_is_read_as_markdown_and_replaced_by_markdown_or_json_with_hashes_in_the_activity()
{
    let app = TestApp::spawn().await;
    let id = new_agent(&app, json!({"name": "Nova", "soul": "# Nova\nCurious."})).await;
    let response = app
        .request(Method::GET, &format!("/v1/agents/{id}/soul"))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    assert_eq!(response.text().await.unwrap(), "# Nova\nCurious.");

    let updated: Value = app
        .request(Method::PUT, &format!("/v1/agents/{id}/soul"))
        .header("Content-Type", "text/markdown")
        .body("# Nova v2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["soulSha256"], sha256("# Nova v2"));

    let (_, updated) = app
        .call(
            Method::PUT,
            &format!("/v1/agents/{id}/soul"),
            Some(json!({"soul": "# Nova v3"})),
        )
        .await;
    assert_eq!(updated["soulSha256"], sha256("# Nova v3"));
    let soul = || async {
        app.request(Method::GET, &format!("/v1/agents/{id}/soul"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert_eq!(soul().await, "# Nova v3");

    // A change of the agent that does not set its soul (its row written again, the soul with
    // it only when set) keeps the soul.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/agents/{id}"),
            Some(json!({"name": "Nova Prime"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(soul().await, "# Nova v3");

    let sql = app.sql().await;
    let rows = sql
        .query("SELECT data FROM activity WHERE type = 'agent.soul_updated' AND agent_id = $1 ORDER BY sequence", &[&id])
        .await
        .unwrap();
    let data: Vec<Value> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(data[0]["before"], sha256("# Nova\nCurious."));
    assert_eq!(data[0]["after"], sha256("# Nova v2"));
    assert_eq!(data[1]["before"], sha256("# Nova v2"));
    assert!(
        data.iter().all(|d| d.get("soul").is_none()),
        "the SOUL text stays out of the activity log"
    );

    let too_big = app
        .request(Method::PUT, &format!("/v1/agents/{id}/soul"))
        .header("Content-Type", "text/markdown")
        .body("x".repeat(64 * 1024 + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn heartbeats_move_the_status_and_each_change_is_one_status_event() {
    let app = TestApp::spawn().await;
    let id = new_agent(&app, json!({"name": "Nova"})).await;
    let beat = |body: Value| {
        app.request(Method::POST, &format!("/v1/agents/{id}/heartbeat"))
            .json(&body)
            .send()
    };
    assert_eq!(
        beat(json!({})).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(agent["status"], "online");
    assert!(agent["lastHeartbeatAt"].is_string());

    assert_eq!(
        beat(json!({"state": "ok", "latencyMs": 12}))
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        beat(json!({"state": "degraded", "detail": "slow upstream"}))
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(agent["status"], "degraded");

    let bare = app
        .request(Method::POST, &format!("/v1/agents/{id}/heartbeat"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bare.status(),
        StatusCode::NO_CONTENT,
        "a heartbeat without a body is an ok heartbeat"
    );
    let bad = beat(json!({"state": "sleepy"})).await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let sql = app.sql().await;
    let rows = sql
        .query("SELECT data FROM activity WHERE type = 'agent.status_changed' AND agent_id = $1 ORDER BY sequence", &[&id])
        .await
        .unwrap();
    let changes: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            let data: Value = row.get(0);
            (
                data["from"].as_str().unwrap().to_owned(),
                data["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("provisioning", "online"),
        ("online", "degraded"),
        ("degraded", "online"),
    ];
    assert_eq!(changes, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
}
