//! The activity log of webhook changes, and what a read-only key may do.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn webhook_changes_are_in_the_activity_log_without_secrets() {
    let app = TestApp::spawn().await;
    let created = create_webhook(&app, json!({"url": URL, "events": ["*"]})).await;
    let id = id_of(&created);
    let path = format!("/v1/webhooks/{id}");
    let mut secrets = vec![assert_fresh_secret(&created)];
    app.call(
        Method::PATCH,
        &path,
        Some(json!({"description": "Renamed"})),
    )
    .await;
    let (_, rotated) = app
        .call(Method::POST, &format!("{path}/rotate-secret"), None)
        .await;
    secrets.push(assert_fresh_secret(&rotated));
    let (_, pinged) = app.call(Method::POST, &format!("{path}/test"), None).await;
    let sql = app.sql().await;
    let row = sql
        .query_one(
            "SELECT secret, previous_secret FROM webhooks WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    secrets.push(row.get(0));
    secrets.push(
        row.get::<_, Option<String>>(1)
            .expect("the previous sealed secret"),
    );
    let (status, _) = app.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, page) = app
        .call(Method::GET, "/v1/activity?type=webhook.*&order=asc", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["data"].as_array().unwrap();
    let types: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "webhook.created",
            "webhook.updated",
            "webhook.updated",
            "webhook.test",
            "webhook.deleted"
        ]
    );
    for entry in entries {
        assert_eq!(
            entry["subject"],
            json!({"type": "webhook", "id": id}),
            "{entry}"
        );
        assert_eq!(entry["actor"]["type"], "api_key", "{entry}");
        assert_eq!(entry["agentId"], Value::Null, "{entry}");
        let mut names = Vec::new();
        keys(&entry["data"], &mut names);
        assert!(
            !names.iter().any(|k| k == "secret" || k == "newSecret"),
            "{entry}"
        );
        let text = entry.to_string();
        assert!(!text.contains("whsec_"), "{entry}");
        for secret in &secrets {
            let secret = secret.strip_prefix("whsec_").unwrap_or(secret);
            assert!(!text.contains(secret), "a secret leaked into {entry}");
        }
    }
    assert_eq!(entries[0]["data"]["url"], URL);
    assert_eq!(entries[1]["data"]["description"], "Renamed");
    assert_eq!(entries[2]["data"]["secretRotated"], true, "{}", entries[2]);
    assert_eq!(entries[3]["id"], pinged["eventId"]);
    assert_eq!(entries[4]["data"]["url"], URL);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_key_can_read_webhooks_but_not_change_them() {
    let app = TestApp::spawn().await;
    let id = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    let read_key = app.create_key(app.tenant, Scope::Read).await;
    let writes = [
        (
            Method::POST,
            "/v1/webhooks".to_owned(),
            Some(json!({"url": "https://example.com/ro", "events": ["*"]})),
        ),
        (
            Method::PATCH,
            format!("/v1/webhooks/{id}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/v1/webhooks/{id}"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/rotate-secret"),
            None,
        ),
        (Method::POST, format!("/v1/webhooks/{id}/test"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
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
        "/v1/webhooks".to_owned(),
        format!("/v1/webhooks/{id}"),
        format!("/v1/webhooks/{id}/deliveries"),
    ] {
        let (status, body) = app
            .call_to(&app.base, &read_key, Method::GET, &path, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (_, list) = app.call(Method::GET, "/v1/webhooks", None).await;
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["data"][0]["enabled"], true);
}
