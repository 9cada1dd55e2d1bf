//! Creating, reading, changing, rotating and deleting endpoints.

use super::*;

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

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_listing_the_wildcard_is_kept_as_the_wildcard_alone() {
    let app = TestApp::spawn().await;
    let created = create_webhook(
        &app,
        json!({"url": URL, "events": ["agent.created", "*", "agent.created"]}),
    )
    .await;
    assert_eq!(created["events"], json!(["*"]));
    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{}", id_of(&created)),
            Some(json!({"events": ["session.created", "session.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        patched["events"],
        json!(["session.created"]),
        "repeats dropped"
    );
}
