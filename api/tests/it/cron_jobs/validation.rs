//! Invalid schedules, zones, names, prompts and delivery targets.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn invalid_schedules_and_time_zones_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (json!({"schedule": "0 0 8 * * *"}), "schedule", "5 fields"),
        (json!({"schedule": "0 8 * *"}), "schedule", "5 fields"),
        (json!({"schedule": "@daily"}), "schedule", "5 fields"),
        (json!({"schedule": ""}), "schedule", "5 fields"),
        (json!({"schedule": "61 * * * *"}), "schedule", "61"),
        (json!({"schedule": "0 24 * * *"}), "schedule", "24"),
        (json!({"schedule": "0 8 32 * *"}), "schedule", "32"),
        (json!({"schedule": "0 8 * 13 *"}), "schedule", "13"),
        (json!({"schedule": "0 8 * * 8"}), "schedule", "8"),
        (json!({"schedule": "*/0 * * * *"}), "schedule", "0"),
        (
            json!({"schedule": "0 8 * JANUARY *"}),
            "schedule",
            "JANUARY",
        ),
        (json!({"schedule": "0 8 * * MONDAY"}), "schedule", "MONDAY"),
        (json!({"schedule": "0 8 * FOO *"}), "schedule", "FOO"),
        (json!({"schedule": "0 8 * * SUN-FOO"}), "schedule", "FOO"),
        (
            json!({"timezone": "Europe/Berln"}),
            "timezone",
            "Europe/Berln",
        ),
        (json!({"timezone": ""}), "timezone", "time zone"),
        (json!({"timezone": "CEST+2"}), "timezone", "time zone"),
    ];
    for (extra, field, hint) in cases {
        let body = job_body(&nova, extra.clone());
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &extra.to_string());
    }
    // A bad schedule and a bad time zone are both reported at once.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(
                &nova,
                json!({"schedule": "61 * * * *", "timezone": "Mars/Olympus"}),
            )),
        )
        .await;
    assert_field_error(status, &error, "schedule", "61", "both");
    assert_field_error(status, &error, "timezone", "Mars/Olympus", "both");
    // Valid forms from the contract pass: lists, ranges, steps, names, 0 and 7 for Sunday.
    for schedule in [
        "0,30 8-18/2 1,15 JAN-DEC SUN-SAT",
        "5 4 * * 0",
        "5 4 * * 7",
        "0 0 1 * MON",
        "*/5 * * * *",
    ] {
        let (status, job) = app
            .call(
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(&nova, json!({"schedule": schedule}))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{schedule}: {job}");
        assert!(job["nextRunAt"].is_string(), "{schedule}: {job}");
    }
    assert_eq!(list(&app, "/v1/cron-jobs?limit=100").await.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_names_prompts_and_unknown_fields_are_refused() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (json!({"name": ""}), "name", "1 to 100"),
        (json!({"name": "   "}), "name", "1 to 100"),
        (json!({"name": "x".repeat(101)}), "name", "1 to 100"),
        (json!({"prompt": ""}), "prompt", "characters"),
        (json!({"prompt": " \n "}), "prompt", "characters"),
        (json!({"overlapPolicy": "queue"}), "overlapPolicy", "queue"),
        (json!({"enabled": "yes"}), "enabled", "boolean"),
    ];
    for (extra, field, hint) in cases {
        let body = job_body(&nova, extra.clone());
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &extra.to_string());
    }
    // Exactly 100 characters is fine.
    create_job(&app, job_body(&nova, json!({"name": "x".repeat(100)}))).await;

    for missing in ["agentId", "name", "prompt", "schedule"] {
        let mut body = job_body(&nova, json!({}));
        body.as_object_mut().unwrap().remove(missing);
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, missing, "required", missing);
    }

    // A typo is refused, naming the field.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(&nova, json!({"timeZone": "Europe/Berlin"}))),
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
            .contains("timeZone"),
        "{error}"
    );
    let (status, error) = app
        .call(
            Method::PATCH,
            &format!("/v1/cron-jobs/{UNKNOWN_JOB}"),
            Some(json!({"nmae": "typo"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_targets_are_checked_and_a_numeric_chat_id_is_kept_as_text() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let cases = [
        (
            json!({"type": "sms", "to": "+4912345"}),
            "delivery.type",
            "sms",
        ),
        (
            json!({"url": "https://example.com/x"}),
            "delivery.type",
            "required",
        ),
        (json!({"type": "webhook"}), "delivery.url", "required"),
        (
            json!({"type": "webhook", "url": "ftp://example.com/out"}),
            "delivery.url",
            "http",
        ),
        (
            json!({"type": "webhook", "url": "not a url"}),
            "delivery.url",
            "",
        ),
        (
            json!({"type": "slack", "webhookUrl": "file:///etc/passwd"}),
            "delivery.webhookUrl",
            "http",
        ),
        (
            json!({"type": "email", "to": "ops.example.com"}),
            "delivery.to",
            "email",
        ),
        (
            json!({"type": "email", "to": "a@example.com, b@example.com"}),
            "delivery.to",
            "email",
        ),
        (
            json!({"type": "telegram", "chatId": ""}),
            "delivery.chatId",
            "chat",
        ),
        (
            json!({"type": "telegram", "chatId": "   "}),
            "delivery.chatId",
            "chat",
        ),
    ];
    for (delivery, field, hint) in cases {
        let body = job_body(&nova, json!({"delivery": delivery.clone()}));
        let (status, error) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
        assert_field_error(status, &error, field, hint, &delivery.to_string());
    }
    // Typos inside the delivery are refused too.
    let (status, error) = app
        .call(
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(
                &nova,
                json!({"delivery": {"type": "email", "to": "ops@example.com", "cc": "x@example.com"}}),
            )),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "cc",
    );
    assert!(list(&app, "/v1/cron-jobs").await.is_empty());

    // A numeric chat id is accepted and returned as text.
    let telegram = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "telegram", "chatId": -1001234567890_i64}}),
        ),
    )
    .await;
    assert_eq!(
        telegram["delivery"],
        json!({"type": "telegram", "chatId": "-1001234567890"})
    );
    assert_eq!(
        get_job(&app, &id_of(&telegram)).await["delivery"]["chatId"],
        "-1001234567890"
    );
    let channel = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "telegram", "chatId": "@fleet_news"}}),
        ),
    )
    .await;
    assert_eq!(channel["delivery"]["chatId"], "@fleet_news");
    let email = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "email", "to": "ops@example.com"}}),
        ),
    )
    .await;
    assert_eq!(
        email["delivery"],
        json!({"type": "email", "to": "ops@example.com"})
    );
    for job in [&telegram, &channel, &email] {
        assert!(job.get("deliverySecret").is_none(), "{job}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_urls_pass_the_ssrf_guard() {
    let app = TestApp::spawn().await;
    let guarded = app
        .start_api_with(|config| config.allow_private_targets = false)
        .await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    for (delivery, field) in [
        (
            json!({"type": "webhook", "url": "http://127.0.0.1:8080/hook"}),
            "delivery.url",
        ),
        (
            json!({"type": "webhook", "url": "http://169.254.169.254/latest/meta-data"}),
            "delivery.url",
        ),
        (
            json!({"type": "slack", "webhookUrl": "http://10.0.0.5/services/x"}),
            "delivery.webhookUrl",
        ),
    ] {
        let (status, error) = app
            .call_to(
                &guarded,
                &app.key,
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(&nova, json!({"delivery": delivery.clone()}))),
            )
            .await;
        assert_field_error(status, &error, field, "", &delivery.to_string());
    }
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let (status, error) = app
        .call_to(
            &guarded,
            &app.key,
            Method::PATCH,
            &format!("/v1/cron-jobs/{id}"),
            Some(json!({"delivery": {"type": "webhook", "url": "http://localhost/hook"}})),
        )
        .await;
    assert_field_error(status, &error, "delivery.url", "", "patch to localhost");
    assert_eq!(
        get_job(&app, &id).await["delivery"],
        json!({"type": "none"})
    );
}
