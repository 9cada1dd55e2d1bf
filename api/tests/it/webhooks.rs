use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::support::{assert_error, assert_field_error};
use reqwest::{Method, StatusCode};
use schema::command::{Command, DisableWebhook};
use schema::tenant::{Plan, Scope};
use schema::{Actor, CommandRecord};
use serde_json::{json, Value};
use testkit::TestApp;

const URL: &str = "https://example.com/agenfleet/hooks";

/// Creates an endpoint through the API and returns the 201 body (with its secret).
async fn create_webhook(app: &TestApp, body: Value) -> Value {
    let (status, webhook) = app.call(Method::POST, "/v1/webhooks", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    webhook
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Every delivery of an endpoint (newest first), optionally of one status.
async fn deliveries(app: &TestApp, webhook: &str, query: &str) -> Vec<Value> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{webhook}/deliveries?limit=100{query}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().expect("a data array").clone()
}

/// How many deliveries of each event type an endpoint has.
async fn delivered_types(app: &TestApp, webhook: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for delivery in deliveries(app, webhook, "").await {
        *counts
            .entry(delivery["eventType"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

/// The ids of the tenant's activity entries of one type, oldest first.
async fn activity_ids(app: &TestApp, event_type: &str) -> Vec<String> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/activity?type={event_type}&order=asc&limit=100"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().iter().map(id_of).collect()
}

/// Standard base64 (with padding) decoded, or None if it is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in body.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(bytes)
}

fn assert_fresh_secret(webhook: &Value) -> String {
    let secret = webhook["secret"].as_str().expect("a secret").to_owned();
    let encoded = secret
        .strip_prefix("whsec_")
        .unwrap_or_else(|| panic!("the secret starts with whsec_: {secret}"));
    let bytes = decode_base64(encoded).unwrap_or_else(|| panic!("base64 after whsec_: {secret}"));
    assert_eq!(bytes.len(), 32, "32 random bytes: {secret}");
    secret
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_webhook_shows_its_secret_once_and_lists_newest_first() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/v1/webhooks")
        .json(
            &json!({"url": URL, "events": ["agent.created", "agent.deleted"],
                      "description": "Fleet dashboard"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = id_of(&created);
    assert!(id.starts_with("wh_") && id.len() == 29, "{created}");
    assert_eq!(location, format!("/v1/webhooks/{id}"));
    let secret = assert_fresh_secret(&created);
    assert_eq!(created["url"], URL);
    assert_eq!(created["events"], json!(["agent.created", "agent.deleted"]));
    assert_eq!(created["description"], "Fleet dashboard");
    assert_eq!(created["enabled"], true, "enabled defaults to true");
    assert_eq!(created["disabledReason"], Value::Null);
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(created["createdAt"], created["updatedAt"]);

    let (status, fetched) = app.call(Method::GET, &location, None).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert!(
        fetched.get("secret").is_none(),
        "shown only once: {fetched}"
    );
    let mut without_secret = created.clone();
    without_secret.as_object_mut().unwrap().remove("secret");
    assert_eq!(fetched, without_secret);

    let second = create_webhook(
        &app,
        json!({"url": "https://example.org/second", "events": ["*"], "enabled": false}),
    )
    .await;
    assert_ne!(
        second["secret"],
        secret.as_str(),
        "every endpoint has its own secret"
    );
    assert_eq!(second["enabled"], false);
    assert_eq!(second["description"], Value::Null);

    let (status, list) = app.call(Method::GET, "/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["pagination"],
        json!({"total": 2, "limit": 20, "offset": 0, "hasMore": false})
    );
    let ids: Vec<String> = list["data"].as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(ids, [id_of(&second), id.clone()], "newest first");
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w.get("secret").is_none()),
        "{list}"
    );
    let (_, first_page) = app.call(Method::GET, "/v1/webhooks?limit=1", None).await;
    assert_eq!(first_page["pagination"]["hasMore"], true);
    let (_, oldest) = app
        .call(Method::GET, "/v1/webhooks?order=asc&limit=1", None)
        .await;
    assert_eq!(oldest["data"][0]["id"], id.as_str());
    let (status, error) = app.call(Method::GET, "/v1/webhooks?limit=0", None).await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "limit=0",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_malformed_and_foreign_webhook_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let webhook = create_webhook(&app, json!({"url": URL, "events": ["*"]})).await;
    let mine = id_of(&webhook);
    let (_, pinged) = app
        .call(Method::POST, &format!("/v1/webhooks/{mine}/test"), None)
        .await;
    let delivery = pinged["deliveryId"].as_str().unwrap().to_owned();
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;

    let since = json!({"since": "2020-01-01T00:00:00Z"});
    let requests = |id: &str| {
        vec![
            (Method::GET, format!("/v1/webhooks/{id}"), None),
            (
                Method::PATCH,
                format!("/v1/webhooks/{id}"),
                Some(json!({"description": "mine now"})),
            ),
            (Method::DELETE, format!("/v1/webhooks/{id}"), None),
            (
                Method::POST,
                format!("/v1/webhooks/{id}/rotate-secret"),
                None,
            ),
            (Method::POST, format!("/v1/webhooks/{id}/test"), None),
            (Method::GET, format!("/v1/webhooks/{id}/deliveries"), None),
            (
                Method::GET,
                format!("/v1/webhooks/{id}/deliveries/{delivery}"),
                None,
            ),
            (
                Method::POST,
                format!("/v1/webhooks/{id}/deliveries/{delivery}/retry"),
                None,
            ),
            (
                Method::POST,
                format!("/v1/webhooks/{id}/replay"),
                Some(since.clone()),
            ),
        ]
    };
    for id in [
        "wh_01jq8abcdefghjkmnpqrstvwxy",
        "nope",
        "agent_01jq8abcdefghjkmnpqrstvwxy",
    ] {
        for (method, path, body) in requests(id) {
            let (status, error) = app.call(method.clone(), &path, body).await;
            assert_error(
                status,
                &error,
                StatusCode::NOT_FOUND,
                "WEBHOOK_NOT_FOUND",
                &format!("{method} {path}"),
            );
        }
    }
    // Another tenant sees nothing of this endpoint, and changes nothing.
    for (method, path, body) in requests(&mine) {
        let (status, error) = app
            .call_to(&app.base, &other_key, method.clone(), &path, body)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "WEBHOOK_NOT_FOUND",
            &format!("another tenant's {method} {path}"),
        );
    }
    let (_, foreign_list) = app
        .call_to(&app.base, &other_key, Method::GET, "/v1/webhooks", None)
        .await;
    assert_eq!(foreign_list["pagination"]["total"], 0, "{foreign_list}");
    let (status, still) = app
        .call(Method::GET, &format!("/v1/webhooks/{mine}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still["description"], Value::Null, "{still}");
    assert_eq!(still["updatedAt"], webhook["updatedAt"], "{still}");
    assert_eq!(deliveries(&app, &mine, "").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_webhook_fields_are_refused_with_the_field_and_what_to_fix() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"url": URL, "events": []}),
            "events",
            "at least one event type",
        ),
        (
            json!({"url": URL, "events": ["agent.created", "agent.exploded"]}),
            "events[1]",
            "unknown event type `agent.exploded`; expected one of agent.created",
        ),
        (
            json!({"url": URL, "events": ["agent.created", "*"]}),
            "events[1]",
            "list it alone",
        ),
        (
            json!({"url": "ftp://example.com/hooks", "events": ["*"]}),
            "url",
            "must start with http:// or https://",
        ),
        (
            json!({"url": "example.com/hooks", "events": ["*"]}),
            "url",
            "must start with http:// or https://",
        ),
        (
            json!({"url": "https://user:hunter2@example.com/hooks", "events": ["*"]}),
            "url",
            "must not carry a username or password",
        ),
        (
            json!({"url": URL, "events": ["*"], "description": "x".repeat(501)}),
            "description",
            "at most 500 characters",
        ),
        (json!({"events": ["*"]}), "url", "is required"),
        (json!({"url": URL}), "events", "is required"),
        (
            json!({"url": URL, "events": "agent.created"}),
            "events",
            "a sequence",
        ),
    ];
    for (body, field, hint) in cases {
        let (status, error) = app
            .call(Method::POST, "/v1/webhooks", Some(body.clone()))
            .await;
        assert_field_error(status, &error, field, hint, &body.to_string());
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    // An unknown field (a typo) is named.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": URL, "events": ["*"], "secrett": "mine"})),
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
            .contains("secrett"),
        "{error}"
    );
    // A description of exactly 500 characters (multi-byte ones count once) is fine.
    let webhook = create_webhook(
        &app,
        json!({"url": URL, "events": ["*"], "description": "é".repeat(500)}),
    )
    .await;
    let id = id_of(&webhook);

    // PATCH checks the same rules, and an invalid patch changes nothing.
    let patches = [
        (json!({"events": []}), "events", "at least one event type"),
        (
            json!({"events": ["session.created", "sessions.created"]}),
            "events[1]",
            "unknown event type `sessions.created`",
        ),
        (
            json!({"events": ["*", "agent.created"]}),
            "events[0]",
            "list it alone",
        ),
        (
            json!({"url": "ftp://example.com/x"}),
            "url",
            "http:// or https://",
        ),
        (
            json!({"url": "https://me@example.com/x"}),
            "url",
            "username or password",
        ),
        (
            json!({"description": "y".repeat(501)}),
            "description",
            "at most 500",
        ),
    ];
    for (patch, field, hint) in patches {
        let (status, error) = app
            .call(
                Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(patch.clone()),
            )
            .await;
        assert_field_error(status, &error, field, hint, &format!("PATCH {patch}"));
    }
    let (status, error) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"secret": "whsec_mine"})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "PATCH secret",
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("secret"),
        "{error}"
    );
    let (_, unchanged) = app
        .call(Method::GET, &format!("/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(unchanged["updatedAt"], webhook["updatedAt"], "{unchanged}");
    assert_eq!(unchanged["events"], json!(["*"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn private_targets_are_refused_unless_the_operator_allows_them() {
    let app = TestApp::spawn().await;
    let guarded = app
        .start_api_with(|config| config.allow_private_targets = false)
        .await;
    let private = [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.0.0.5/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ];
    for url in private {
        let (status, error) = app
            .call_to(
                &guarded,
                &app.key,
                Method::POST,
                "/v1/webhooks",
                Some(json!({"url": url, "events": ["*"]})),
            )
            .await;
        assert_field_error(status, &error, "url", "private targets", url);
        assert_field_error(status, &error, "url", "public addresses", url);
    }
    // A public address passes the guard (an IP literal: no DNS needed).
    let (status, public) = app
        .call_to(
            &guarded,
            &app.key,
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": "https://93.184.216.34/hooks", "events": ["*"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{public}");
    let id = id_of(&public);
    for url in private {
        let (status, error) = app
            .call_to(
                &guarded,
                &app.key,
                Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(json!({"url": url})),
            )
            .await;
        assert_field_error(
            status,
            &error,
            "url",
            "private targets",
            &format!("PATCH {url}"),
        );
    }
    let (_, unchanged) = app
        .call(Method::GET, &format!("/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(unchanged["url"], "https://93.184.216.34/hooks");

    // The test APIs allow private targets, as an operator may.
    let allowed = create_webhook(&app, json!({"url": private[0], "events": ["*"]})).await;
    assert_eq!(allowed["url"], private[0]);
    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"url": private[2]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["url"], private[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_url_for_the_same_events_is_a_conflict_whatever_their_order() {
    let app = TestApp::spawn().await;
    let first = create_webhook(
        &app,
        json!({"url": URL, "events": ["agent.created", "session.created"]}),
    )
    .await;
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": URL, "events": ["session.created", "agent.created"]})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "CONFLICT",
        "same events reordered",
    );
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&id_of(&first)),
        "names the endpoint: {message}"
    );

    // Another set of events at the same URL, or the same events elsewhere, is fine.
    let narrower = create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await;
    create_webhook(
        &app,
        json!({"url": "https://example.com/other", "events": ["agent.created", "session.created"]}),
    )
    .await;
    let (_, list) = app.call(Method::GET, "/v1/webhooks", None).await;
    assert_eq!(list["pagination"]["total"], 3);

    // Patching an endpoint into a duplicate of another is refused and changes nothing.
    let narrower_id = id_of(&narrower);
    let (status, error) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{narrower_id}"),
            Some(json!({"events": ["session.created", "agent.created"]})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "CONFLICT",
        "PATCH into a duplicate",
    );
    let (_, unchanged) = app
        .call(Method::GET, &format!("/v1/webhooks/{narrower_id}"), None)
        .await;
    assert_eq!(unchanged["events"], json!(["agent.created"]));
    // An endpoint is not its own duplicate.
    let (status, same) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{}", id_of(&first)),
            Some(json!({"url": URL, "events": ["session.created", "agent.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    // Once the first is deleted its URL and events are free again.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/webhooks/{}", id_of(&first)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    create_webhook(
        &app,
        json!({"url": URL, "events": ["agent.created", "session.created"]}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_merges_fields_and_enabling_clears_the_disabled_reason() {
    let app = TestApp::spawn().await;
    let created = create_webhook(
        &app,
        json!({"url": URL, "events": ["agent.created"], "description": "Dashboard"}),
    )
    .await;
    let id = id_of(&created);
    let path = format!("/v1/webhooks/{id}");

    let (status, patched) = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"url": "https://example.com/v2", "events": ["agent.deleted", "agent.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert!(patched.get("secret").is_none(), "{patched}");
    assert_eq!(patched["url"], "https://example.com/v2");
    assert_eq!(patched["events"], json!(["agent.deleted", "agent.created"]));
    assert_eq!(
        patched["description"], "Dashboard",
        "absent fields are kept"
    );
    assert_eq!(patched["enabled"], true);
    assert_eq!(patched["createdAt"], created["createdAt"]);
    let updated_at = |webhook: &Value| {
        webhook["updatedAt"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert!(updated_at(&patched) > updated_at(&created), "{patched}");
    let (_, fetched) = app.call(Method::GET, &path, None).await;
    assert_eq!(fetched, patched);

    let (_, cleared) = app
        .call(Method::PATCH, &path, Some(json!({"description": null})))
        .await;
    assert_eq!(
        cleared["description"],
        Value::Null,
        "null clears: {cleared}"
    );
    assert_eq!(cleared["url"], "https://example.com/v2");
    assert!(updated_at(&cleared) > updated_at(&patched));

    let (_, paused) = app
        .call(Method::PATCH, &path, Some(json!({"enabled": false})))
        .await;
    assert_eq!(paused["enabled"], false, "{paused}");
    assert_eq!(
        paused["disabledReason"],
        Value::Null,
        "paused by hand, no reason"
    );

    // The dispatcher disables an endpoint that keeps failing, with a reason.
    let (_, resumed) = app
        .call(Method::PATCH, &path, Some(json!({"enabled": true})))
        .await;
    assert_eq!(resumed["enabled"], true);
    let reason = "No successful delivery for 5 days";
    let disable = CommandRecord::new(
        app.tenant,
        Actor::system("webhook-dispatcher"),
        Command::DisableWebhook(DisableWebhook {
            webhook_id: id.parse().unwrap(),
            reason: reason.to_owned(),
        }),
    );
    app.log.append(&disable).await.expect("append");
    let disabled = testkit::eventually(
        Duration::from_secs(5),
        "the dispatcher's disable to be applied",
        || async {
            let (_, webhook) = app.call(Method::GET, &path, None).await;
            (webhook["enabled"] == false).then_some(webhook)
        },
    )
    .await;
    assert_eq!(disabled["disabledReason"], reason, "{disabled}");
    let (status, error) = app
        .call(
            Method::POST,
            &format!("{path}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "CONFLICT",
        "replay while disabled",
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("enable it"),
        "{error}"
    );

    // A patch that keeps it disabled keeps the reason; enabling it clears it.
    let (_, renamed) = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"description": "Retired?"})),
        )
        .await;
    assert_eq!(renamed["disabledReason"], reason, "{renamed}");
    let (status, enabled) = app
        .call(Method::PATCH, &path, Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabledReason"], Value::Null, "{enabled}");
    assert_eq!(enabled["description"], "Retired?");

    // An empty patch is accepted and changes nothing but updatedAt.
    let (status, empty) = app.call(Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["url"], enabled["url"]);
    assert_eq!(empty["events"], enabled["events"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_webhook_is_gone() {
    let app = TestApp::spawn().await;
    let id = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    let keep = id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await);
    let path = format!("/v1/webhooks/{id}");
    let (status, body) = app.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null, "no body");
    let (status, error) = app.call(Method::GET, &path, None).await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "WEBHOOK_NOT_FOUND",
        "GET after delete",
    );
    let (status, error) = app.call(Method::DELETE, &path, None).await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "WEBHOOK_NOT_FOUND",
        "DELETE again",
    );
    let (_, list) = app.call(Method::GET, "/v1/webhooks", None).await;
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["data"][0]["id"], keep.as_str());
    // A deleted endpoint gets no more deliveries.
    app.create_agent(json!({"name": "Nova"})).await;
    let sql = app.sql().await;
    let queued: i64 = sql
        .query_one(
            "SELECT count(*) FROM dispatch.deliveries WHERE webhook_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0);
    assert_eq!(deliveries(&app, &keep, "").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_secret_changes_only_the_secret_and_updated_at() {
    let app = TestApp::spawn().await;
    let created = create_webhook(
        &app,
        json!({"url": URL, "events": ["agent.created"], "description": "Dashboard"}),
    )
    .await;
    let id = id_of(&created);
    let old_secret = assert_fresh_secret(&created);

    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = assert_fresh_secret(&rotated);
    assert_ne!(new_secret, old_secret);
    assert_ne!(rotated["updatedAt"], created["updatedAt"]);
    let strip = |webhook: &Value| {
        let mut webhook = webhook.clone();
        let object = webhook.as_object_mut().unwrap();
        object.remove("secret");
        object.remove("updatedAt");
        webhook
    };
    assert_eq!(strip(&rotated), strip(&created));

    let (_, fetched) = app
        .call(Method::GET, &format!("/v1/webhooks/{id}"), None)
        .await;
    assert!(fetched.get("secret").is_none(), "{fetched}");
    assert_eq!(fetched["updatedAt"], rotated["updatedAt"]);

    // The read model keeps only sealed secrets: the new current one and the old one beside it.
    let sql = app.sql().await;
    let row = sql
        .query_one(
            "SELECT secret, previous_secret, previous_secret_expires_at FROM webhooks WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let (current, previous): (String, Option<String>) = (row.get(0), row.get(1));
    let expires: Option<chrono::DateTime<chrono::Utc>> = row.get(2);
    assert!(previous.is_some() && expires.is_some());
    for stored in [Some(&current), previous.as_ref()].into_iter().flatten() {
        assert!(!stored.contains(&new_secret[6..]) && !stored.contains(&old_secret[6..]));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_ping_queues_one_pending_delivery_for_that_endpoint() {
    let app = TestApp::spawn().await;
    // The filter does not matter: a test goes to the endpoint being tested.
    let id = id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.deleted"]})).await);
    let (status, pinged) = app
        .call(Method::POST, &format!("/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pinged}");
    let event_id = pinged["eventId"].as_str().unwrap().to_owned();
    let delivery_id = pinged["deliveryId"].as_str().unwrap().to_owned();
    assert!(event_id.starts_with("evt_"), "{pinged}");
    assert!(delivery_id.starts_with("dlv_"), "{pinged}");
    assert_eq!(
        activity_ids(&app, "webhook.test").await,
        [event_id.as_str()]
    );

    let listed = deliveries(&app, &id, "").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let delivery = &listed[0];
    assert_eq!(delivery["id"], delivery_id.as_str());
    assert_eq!(delivery["webhookId"], id.as_str());
    assert_eq!(delivery["eventId"], event_id.as_str());
    assert_eq!(delivery["eventType"], "webhook.test");
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"], 0);
    assert_eq!(delivery["lastStatusCode"], Value::Null);
    assert!(delivery["nextAttemptAt"].is_string(), "{delivery}");
    assert!(
        delivery.get("attemptLog").is_none(),
        "only on the single delivery"
    );

    let (status, single) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries/{delivery_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{single}");
    assert_eq!(single["attemptLog"], json!([]));
    let mut without_log = single.clone();
    without_log.as_object_mut().unwrap().remove("attemptLog");
    assert_eq!(&without_log, delivery);

    // Filters.
    assert_eq!(deliveries(&app, &id, "&status=pending").await.len(), 1);
    assert!(deliveries(&app, &id, "&status=failed").await.is_empty());
    assert!(deliveries(&app, &id, "&status=succeeded").await.is_empty());
    let (status, error) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries?status=bogus"),
            None,
        )
        .await;
    assert_field_error(status, &error, "status", "pending", "status=bogus");

    // Unknown and malformed delivery ids, and another endpoint's delivery.
    let other = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    for (webhook, delivery) in [
        (&id, "dlv_01jq8abcdefghjkmnpqrstvwxy"),
        (&id, "nope"),
        (&id, &event_id),
        (&other, &delivery_id),
    ] {
        for (method, suffix) in [(Method::GET, ""), (Method::POST, "/retry")] {
            let path = format!("/v1/webhooks/{webhook}/deliveries/{delivery}{suffix}");
            let (status, error) = app.call(method.clone(), &path, None).await;
            assert_error(
                status,
                &error,
                StatusCode::NOT_FOUND,
                "DELIVERY_NOT_FOUND",
                &format!("{method} {path}"),
            );
        }
    }
    // A second ping is a second event and delivery, listed first.
    let (_, again) = app
        .call(Method::POST, &format!("/v1/webhooks/{id}/test"), None)
        .await;
    assert_ne!(again["eventId"], pinged["eventId"]);
    let listed = deliveries(&app, &id, "").await;
    let ids: Vec<&Value> = listed.iter().map(|d| &d["id"]).collect();
    assert_eq!(
        ids,
        [&again["deliveryId"], &pinged["deliveryId"]],
        "newest first"
    );
    assert!(deliveries(&app, &other, "").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn events_fan_out_to_the_enabled_endpoints_subscribed_to_them() {
    let app = TestApp::spawn().await;
    let agents_only =
        id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await);
    let disabled = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/paused", "events": ["agent.created"], "enabled": false}),
        )
        .await,
    );
    let everything = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    let tested = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/tested", "events": ["session.archived"]}),
        )
        .await,
    );
    let (status, _) = app
        .call(Method::POST, &format!("/v1/webhooks/{tested}/test"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let nova = app.create_agent(json!({"name": "Nova"})).await;
    app.create_agent(json!({"name": "Orion"})).await;
    app.open_session(&nova).await;

    assert_eq!(
        delivered_types(&app, &agents_only).await,
        counts(&[("agent.created", 2)])
    );
    assert_eq!(delivered_types(&app, &disabled).await, counts(&[]));
    assert_eq!(
        delivered_types(&app, &everything).await,
        counts(&[("agent.created", 2), ("session.created", 1)]),
        "`*` covers every event type but another endpoint's test (and no webhook.* changes)"
    );
    assert_eq!(
        delivered_types(&app, &tested).await,
        counts(&[("webhook.test", 1)])
    );

    // Both endpoints got the same two events, each its own delivery, all pending.
    let created = activity_ids(&app, "agent.created").await;
    let event_ids = |list: Vec<Value>| -> BTreeSet<String> {
        list.iter()
            .filter(|d| d["eventType"] == "agent.created")
            .map(|d| d["eventId"].as_str().unwrap().to_owned())
            .collect()
    };
    let expected: BTreeSet<String> = created.into_iter().collect();
    assert_eq!(
        event_ids(deliveries(&app, &agents_only, "").await),
        expected
    );
    assert_eq!(event_ids(deliveries(&app, &everything, "").await), expected);
    let mut delivery_ids = BTreeSet::new();
    for webhook in [&agents_only, &everything] {
        for delivery in deliveries(&app, webhook, "").await {
            assert_eq!(delivery["status"], "pending", "{delivery}");
            assert_eq!(delivery["webhookId"], webhook.as_str());
            assert!(delivery_ids.insert(delivery["id"].as_str().unwrap().to_owned()));
        }
    }

    // Re-enabled, the endpoint gets the events from then on (not the ones it missed).
    app.call(
        Method::PATCH,
        &format!("/v1/webhooks/{disabled}"),
        Some(json!({"enabled": true})),
    )
    .await;
    app.create_agent(json!({"name": "Vega"})).await;
    assert_eq!(
        delivered_types(&app, &disabled).await,
        counts(&[("agent.created", 1)])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_requeues_a_delivery_and_replay_schedules_the_matching_past_events() {
    let app = TestApp::spawn().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    app.create_agent(json!({"name": "Orion"})).await;
    app.create_agent(json!({"name": "Vega"})).await;
    app.open_session(&nova).await;

    let agents =
        id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await);
    assert!(
        deliveries(&app, &agents, "").await.is_empty(),
        "created after the agents"
    );

    // Retry: a new attempt is due now.
    let (_, pinged) = app
        .call(Method::POST, &format!("/v1/webhooks/{agents}/test"), None)
        .await;
    let delivery_id = pinged["deliveryId"].as_str().unwrap();
    let (status, retried) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/deliveries/{delivery_id}/retry"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{retried}");
    assert_eq!(retried["id"], delivery_id);
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["eventType"], "webhook.test");
    let due = retried["nextAttemptAt"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    assert!(
        due <= chrono::Utc::now() + chrono::Duration::seconds(1),
        "{retried}"
    );

    // Replay: every matching event since the time, with its original event id.
    let (status, replayed) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replayed}");
    assert_eq!(replayed, json!({"scheduled": 3}));
    let created: BTreeSet<String> = activity_ids(&app, "agent.created")
        .await
        .into_iter()
        .collect();
    let replayed_ids: BTreeSet<String> = deliveries(&app, &agents, "&status=pending")
        .await
        .iter()
        .filter(|d| d["eventType"] == "agent.created")
        .map(|d| d["eventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(replayed_ids, created);
    assert_eq!(
        delivered_types(&app, &agents).await,
        counts(&[("agent.created", 3), ("webhook.test", 1)])
    );

    // A `*` endpoint replays the events it covers: not webhook changes, nor tests.
    let everything = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/all", "events": ["*"]}),
        )
        .await,
    );
    let (_, replayed) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{everything}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_eq!(
        replayed,
        json!({"scheduled": 4}),
        "3 agent.created + 1 session.created"
    );

    // Nothing since a moment ago; a future time or a bad one is refused.
    let (_, nothing) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": chrono::Utc::now()})),
        )
        .await;
    assert_eq!(nothing, json!({"scheduled": 0}));
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    for (body, hint) in [
        (json!({"since": future}), "future"),
        (json!({"since": "yesterday"}), ""),
        (json!({}), "is required"),
        (json!({"since": before, "until": future}), "until"),
    ] {
        let (status, error) = app
            .call(
                Method::POST,
                &format!("/v1/webhooks/{agents}/replay"),
                Some(body.clone()),
            )
            .await;
        assert_error(
            status,
            &error,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &body.to_string(),
        );
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(hint), "{body}: {message}");
    }
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": future})),
        )
        .await;
    assert_field_error(status, &error, "since", "future", "since in the future");

    // A disabled endpoint must be enabled before a replay.
    app.call(
        Method::PATCH,
        &format!("/v1/webhooks/{agents}"),
        Some(json!({"enabled": false})),
    )
    .await;
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "CONFLICT",
        "replay while disabled",
    );
    assert_eq!(
        deliveries(&app, &agents, "").await.len(),
        4,
        "nothing more queued"
    );
}

/// Every object key anywhere in `value`.
fn keys(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                into.push(key.clone());
                keys(inner, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, into)),
        _ => {}
    }
}

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

#[tokio::test(flavor = "multi_thread")]
async fn urls_are_stored_in_normal_form_and_repeated_event_types_once() {
    let app = TestApp::spawn().await;
    let webhook = create_webhook(
        &app,
        json!({"url": " https://EXAMPLE.com:443/hooks ", "events": ["agent.created", "agent.created"]}),
    )
    .await;
    assert_eq!(webhook["url"], "https://example.com/hooks");
    assert_eq!(webhook["events"], json!(["agent.created"]));
    // The same endpoint spelled differently is the same endpoint.
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": "https://example.com/hooks", "events": ["agent.created"]})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "CONFLICT",
        "same endpoint",
    );
    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{}", id_of(&webhook)),
            Some(json!({"url": "HTTPS://Example.com/other", "events": ["*", "*"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["url"], "https://example.com/other");
    assert_eq!(patched["events"], json!(["*"]));
}
