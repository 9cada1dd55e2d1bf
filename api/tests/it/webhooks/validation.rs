//! Invalid fields and the SSRF guard.

use super::*;

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
            json!({"url": URL, "events": ["*", "agent.exploded"]}),
            "events[1]",
            "unknown event type `agent.exploded`",
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
