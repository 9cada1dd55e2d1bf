use std::time::Duration;

use reqwest::{Method, StatusCode};
use schema::tenant::Plan;
use serde_json::{json, Value};
use testkit::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_created_key_shows_its_secret_once_works_and_records_its_last_use() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "ci", "scope": "read"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let secret = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("afk_") && secret.len() >= 36,
        "{created}"
    );
    assert_eq!(created["prefix"], &secret[..8]);
    assert_eq!(created["scope"], "read");
    assert_eq!(created["lastUsedAt"], Value::Null);

    let (_, fetched) = app
        .call(Method::GET, &format!("/v1/api-keys/{id}"), None)
        .await;
    assert!(
        fetched.get("key").is_none(),
        "the secret is shown only once: {fetched}"
    );
    let (_, list) = app.call(Method::GET, "/v1/api-keys", None).await;
    assert_eq!(
        list["pagination"]["total"], 2,
        "the tenant's first key and the new one"
    );
    assert!(list["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|key| key.get("key").is_none()));

    let used = app
        .request_to(&app.base, &secret, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    testkit::eventually(
        Duration::from_secs(5),
        "lastUsedAt to be recorded",
        || async {
            let key: Value = app
                .request(Method::GET, &format!("/v1/api-keys/{id}"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            key["lastUsedAt"].as_str().map(str::to_owned)
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_is_refused_by_every_api_process_within_a_second() {
    let app = TestApp::spawn().await;
    let other_api = app.start_api().await;
    let (_, created) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(json!({"name": "doomed", "scope": "read-write"})),
        )
        .await;
    let secret = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    // Both processes have it cached as valid.
    for base in [&app.base, &other_api] {
        let response = app
            .request_to(base, &secret, Method::GET, "/v1/agents")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The key revokes itself.
    let revoked = app
        .request_to(
            &app.base,
            &secret,
            Method::DELETE,
            &format!("/v1/api-keys/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let at_once = app
        .request_to(&app.base, &secret, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(at_once.status(), StatusCode::UNAUTHORIZED);
    testkit::eventually(
        Duration::from_secs(1),
        "the other API process to refuse the key",
        || async {
            let response = app
                .request_to(&other_api, &secret, Method::GET, "/v1/agents")
                .send()
                .await
                .ok()?;
            (response.status() == StatusCode::UNAUTHORIZED).then_some(())
        },
    )
    .await;
    let again = app
        .request(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let gone = app
        .request(Method::GET, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_validated_expire_and_stay_within_their_tenant() {
    let app = TestApp::spawn().await;
    let bad = app
        .request(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "", "scope": "admin", "expiresAt": "2020-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let past = app
        .request(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "old", "scope": "read", "expiresAt": "2020-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    let body: Value = past.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "expiresAt", "{body}");

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, short) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(json!({"name": "short", "scope": "read", "expiresAt": soon})),
        )
        .await;
    let secret = short["key"].as_str().unwrap().to_owned();
    let ok = app
        .request_to(&app.base, &secret, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    testkit::eventually(Duration::from_secs(5), "the key to expire", || async {
        let response = app
            .request_to(&app.base, &secret, Method::GET, "/v1/agents")
            .send()
            .await
            .ok()?;
        (response.status() == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;

    let (_, other_key) = app.create_tenant(Plan::Foundation).await;
    let id = short["id"].as_str().unwrap();
    for method in [Method::GET, Method::DELETE] {
        let response = app
            .request_to(
                &app.base,
                &other_key,
                method.clone(),
                &format!("/v1/api-keys/{id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method}");
    }
}
