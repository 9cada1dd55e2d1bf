//! Creating, listing and finding jobs.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_created_job_has_the_contract_defaults_and_fires_next_at_its_local_time() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;

    let response = app
        .request(Method::POST, "/v1/cron-jobs")
        .json(&job_body(&nova, json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    let id = id_of(&job);
    assert!(id.starts_with("cron_") && id.len() == 31, "{job}");
    assert_eq!(location, format!("/v1/cron-jobs/{id}"));
    assert_eq!(job["agentId"], nova.as_str());
    assert_eq!(job["name"], "Morning digest");
    assert_eq!(job["prompt"], PROMPT);
    assert_eq!(job["schedule"], "0 8 * * *");
    assert_eq!(job["timezone"], "UTC", "the time zone defaults to UTC");
    assert_eq!(job["enabled"], true);
    assert_eq!(job["overlapPolicy"], "skip");
    assert_eq!(job["delivery"], json!({"type": "none"}));
    assert_eq!(job["lastRunAt"], Value::Null);
    assert_eq!(job["lastRunStatus"], Value::Null);
    assert!(job.get("deliverySecret").is_none(), "no webhook: {job}");
    assert_eq!(job["createdAt"], job["updatedAt"]);
    let created = time(&job["createdAt"]);
    assert_eq!(
        time(&job["nextRunAt"]),
        next_wall_time(created, chrono_tz::UTC, 8, 0)
    );

    let (status, fetched) = app.call(Method::GET, &location, None).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched, job);

    // In Berlin, 08:00 is 07:00 or 06:00 UTC depending on the season.
    let berlin = create_job(
        &app,
        job_body(
            &nova,
            json!({"name": "Berlin", "timezone": "Europe/Berlin"}),
        ),
    )
    .await;
    assert_eq!(berlin["timezone"], "Europe/Berlin");
    let created = time(&berlin["createdAt"]);
    let next = time(&berlin["nextRunAt"]);
    let local = next.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.format("%H:%M:%S").to_string(), "08:00:00", "{berlin}");
    assert!(next > created && next - created <= chrono::Duration::hours(24));
    assert_eq!(
        next,
        next_wall_time(created, chrono_tz::Europe::Berlin, 8, 0)
    );
    assert_eq!(get_job(&app, &id_of(&berlin)).await, berlin);

    // Every field given explicitly is kept.
    let explicit = create_job(
        &app,
        job_body(
            &nova,
            json!({"name": "Explicit", "schedule": "*/15 9-17 * * MON-FRI",
                   "timezone": "America/New_York", "enabled": false,
                   "overlapPolicy": "allow",
                   "delivery": {"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"}}),
        ),
    )
    .await;
    assert_eq!(explicit["schedule"], "*/15 9-17 * * MON-FRI");
    assert_eq!(explicit["timezone"], "America/New_York");
    assert_eq!(explicit["enabled"], false);
    assert_eq!(
        explicit["nextRunAt"],
        Value::Null,
        "a disabled job never fires"
    );
    assert_eq!(explicit["overlapPolicy"], "allow");
    assert_eq!(
        explicit["delivery"],
        json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"})
    );
    assert!(explicit.get("deliverySecret").is_none(), "{explicit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_list_newest_first_and_filter_by_agent_and_enabled() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    let first = id_of(&create_job(&app, job_body(&nova, json!({"name": "First"}))).await);
    let second = id_of(
        &create_job(
            &app,
            job_body(&orion, json!({"name": "Second", "enabled": false})),
        )
        .await,
    );
    let third = id_of(&create_job(&app, job_body(&nova, json!({"name": "Third"}))).await);

    let (status, page) = app.call(Method::GET, "/v1/cron-jobs", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["pagination"],
        json!({"total": 3, "limit": 20, "offset": 0, "hasMore": false})
    );
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [third.as_str(), second.as_str(), first.as_str()],
        "newest first"
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?order=asc").await),
        [first.as_str(), second.as_str(), third.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs?agentId={nova}")).await),
        [third.as_str(), first.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs?agentId={orion}")).await),
        [second.as_str()]
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?enabled=true").await),
        [third.as_str(), first.as_str()]
    );
    assert_eq!(
        ids(&list(&app, "/v1/cron-jobs?enabled=false").await),
        [second.as_str()]
    );
    assert!(
        list(&app, &format!("/v1/cron-jobs?agentId={orion}&enabled=true"))
            .await
            .is_empty()
    );
    assert!(
        list(&app, &format!("/v1/cron-jobs?agentId={UNKNOWN_AGENT}"))
            .await
            .is_empty()
    );
    let (status, page) = app.call(Method::GET, "/v1/cron-jobs?limit=2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["hasMore"], true);
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [third.as_str(), second.as_str()]
    );

    let (status, error) = app
        .call(Method::GET, "/v1/cron-jobs?enabled=maybe", None)
        .await;
    assert_field_error(status, &error, "enabled", "true", "enabled=maybe");
    let (status, error) = app.call(Method::GET, "/v1/cron-jobs?limit=0", None).await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "limit=0",
    );

    // Another tenant sees none of them.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let (status, page) = app
        .call_to(&app.base, &other_key, Method::GET, "/v1/cron-jobs", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["total"], 0, "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_malformed_and_foreign_jobs_and_agents_are_not_found() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let job = id_of(&create_job(&app, job_body(&nova, json!({}))).await);

    for bad in [UNKNOWN_JOB, "cron_nope", "agent_01jq8abcdefghjkmnpqrstvwxy"] {
        let cases = [
            (Method::GET, format!("/v1/cron-jobs/{bad}"), None),
            (
                Method::PATCH,
                format!("/v1/cron-jobs/{bad}"),
                Some(json!({"name": "x"})),
            ),
            (Method::DELETE, format!("/v1/cron-jobs/{bad}"), None),
            (Method::POST, format!("/v1/cron-jobs/{bad}/run"), None),
            (Method::GET, format!("/v1/cron-jobs/{bad}/runs"), None),
            (
                Method::GET,
                format!("/v1/cron-jobs/{bad}/runs/run_01jq8abcdefghjkmnpqrstvwxy"),
                None,
            ),
        ];
        for (method, path, body) in cases {
            let (status, error) = app.call(method.clone(), &path, body).await;
            assert_error(
                status,
                &error,
                StatusCode::NOT_FOUND,
                "CRON_JOB_NOT_FOUND",
                &format!("{method} {path}"),
            );
        }
    }

    // Another tenant's job is not found, whatever the method, and stays as it was.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let cases = [
        (Method::GET, format!("/v1/cron-jobs/{job}"), None),
        (
            Method::PATCH,
            format!("/v1/cron-jobs/{job}"),
            Some(json!({"name": "Hijacked"})),
        ),
        (Method::POST, format!("/v1/cron-jobs/{job}/run"), None),
        (Method::GET, format!("/v1/cron-jobs/{job}/runs"), None),
        (Method::DELETE, format!("/v1/cron-jobs/{job}"), None),
    ];
    for (method, path, body) in cases {
        let (status, error) = app
            .call_to(&app.base, &other_key, method.clone(), &path, body)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            &format!("foreign {method} {path}"),
        );
    }
    let kept = get_job(&app, &job).await;
    assert_eq!(kept["name"], "Morning digest");
    assert!(list(&app, &format!("/v1/cron-jobs/{job}/runs"))
        .await
        .is_empty());

    // An unknown, malformed, foreign or deleted agent is AGENT_NOT_FOUND.
    let deleted = app.create_agent(json!({"name": "Gone"})).await;
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{deleted}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for agent in [UNKNOWN_AGENT, "nope", &deleted] {
        let (status, error) = app
            .call(
                Method::POST,
                "/v1/cron-jobs",
                Some(job_body(agent, json!({}))),
            )
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "AGENT_NOT_FOUND",
            agent,
        );
    }
    let (status, error) = app
        .call_to(
            &app.base,
            &other_key,
            Method::POST,
            "/v1/cron-jobs",
            Some(job_body(&nova, json!({}))),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "AGENT_NOT_FOUND",
        "another tenant's agent",
    );
    assert_eq!(list(&app, "/v1/cron-jobs").await.len(), 1);
}
