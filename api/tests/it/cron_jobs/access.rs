//! The activity log of cron changes, and what a read-only key may do.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn cron_changes_are_in_the_activity_log_without_secrets_or_internal_bookkeeping() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let created = create_job(
        &app,
        job_body(
            &nova,
            json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
        ),
    )
    .await;
    let id = id_of(&created);
    let first_secret = created["deliverySecret"].as_str().unwrap().to_owned();
    let patched = patch_job(
        &app,
        &id,
        json!({"name": "Renamed", "delivery": {"type": "webhook", "url": "https://example.org/x"}}),
    )
    .await;
    let second_secret = patched["deliverySecret"].as_str().unwrap().to_owned();
    let first = run_now(&app, &id).await;
    let skipped = run_now(&app, &id).await;
    assert_eq!(skipped["status"], "skipped");
    let (status, _) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, page) = app
        .call(
            Method::GET,
            "/v1/activity?type=cron.*&order=asc&limit=100",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["data"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["subject"]["type"].as_str().unwrap(),
                e["subject"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    let (first_run, skipped_run) = (id_of(&first), id_of(&skipped));
    assert_eq!(
        seen,
        [
            ("cron.created", "cron_job", id.as_str()),
            ("cron.updated", "cron_job", id.as_str()),
            ("cron.run_started", "cron_run", first_run.as_str()),
            ("cron.run_skipped", "cron_run", skipped_run.as_str()),
            ("cron.completed", "cron_run", first_run.as_str()),
            ("cron.deleted", "cron_job", id.as_str()),
        ]
    );
    for entry in entries {
        assert_eq!(entry["agentId"], nova.as_str(), "{entry}");
        assert_eq!(entry["actor"]["type"], "api_key", "{entry}");
    }
    assert_eq!(
        entries[0]["data"]["delivery"]["url"],
        "https://example.com/digest"
    );
    assert_eq!(entries[1]["data"]["name"], "Renamed");
    assert_eq!(entries[4]["data"]["status"], "succeeded");
    assert_eq!(entries[4]["data"]["inputTokens"], 100);

    // No secret anywhere in the log, and no internal bookkeeping entries.
    let (status, everything) = app
        .call(Method::GET, "/v1/activity?order=asc&limit=100", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(everything["pagination"]["total"].as_i64().unwrap() < 100);
    let text = everything.to_string();
    for secret in ["whsec_", "deliverySecret", &first_secret, &second_secret] {
        assert!(!text.contains(secret), "{secret} leaked into the log");
    }
    for entry in everything["data"].as_array().unwrap() {
        assert_ne!(entry["type"], "cron.scheduled", "{entry}");
    }
    let sql = app.sql().await;
    let internal: i64 = sql
        .query_one(
            "SELECT count(*) FROM activity WHERE type = 'cron.scheduled'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(internal, 0);
    let (status, verified) = app.call(Method::GET, "/v1/activity/verify", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["valid"], true, "{verified}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_key_can_read_jobs_but_not_create_change_or_run_them() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let read_key = app.create_key(app.tenant, Scope::Read).await;

    let writes = [
        (
            Method::POST,
            "/v1/cron-jobs".to_owned(),
            Some(job_body(&nova, json!({"name": "Read only"}))),
        ),
        (Method::POST, format!("/v1/cron-jobs/{id}/run"), None),
        (
            Method::PATCH,
            format!("/v1/cron-jobs/{id}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/v1/cron-jobs/{id}"), None),
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
        "/v1/cron-jobs".to_owned(),
        format!("/v1/cron-jobs/{id}"),
        format!("/v1/cron-jobs/{id}/runs"),
    ] {
        let (status, body) = app
            .call_to(&app.base, &read_key, Method::GET, &path, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let job = get_job(&app, &id).await;
    assert_eq!(job["enabled"], true);
    assert_eq!(job["lastRunAt"], Value::Null);
    assert!(list(&app, &format!("/v1/cron-jobs/{id}/runs"))
        .await
        .is_empty());
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}
