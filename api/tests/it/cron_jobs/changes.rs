//! Delivery secrets, patches and deletions.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_delivery_secret_is_shown_once_and_renewed_when_the_delivery_becomes_a_webhook() {
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
    assert_eq!(
        created["delivery"],
        json!({"type": "webhook", "url": "https://example.com/digest"})
    );
    let first = created["deliverySecret"]
        .as_str()
        .unwrap_or_else(|| panic!("a delivery secret: {created}"))
        .to_owned();
    assert!(first.starts_with("whsec_") && first.len() > 40, "{first}");

    let fetched = get_job(&app, &id).await;
    assert!(fetched.get("deliverySecret").is_none(), "once: {fetched}");
    let mut without_secret = created.clone();
    without_secret
        .as_object_mut()
        .unwrap()
        .remove("deliverySecret");
    assert_eq!(fetched, without_secret);
    for job in list(&app, "/v1/cron-jobs").await {
        assert!(job.get("deliverySecret").is_none(), "{job}");
    }

    // A patch that leaves the delivery alone issues nothing.
    let renamed = patch_job(&app, &id, json!({"name": "Renamed"})).await;
    assert!(renamed.get("deliverySecret").is_none(), "{renamed}");

    // Changing the delivery to (another) webhook issues a new secret.
    let moved = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "webhook", "url": "https://example.org/new"}}),
    )
    .await;
    assert_eq!(moved["delivery"]["url"], "https://example.org/new");
    let second = moved["deliverySecret"]
        .as_str()
        .unwrap_or_else(|| panic!("a new delivery secret: {moved}"))
        .to_owned();
    assert!(second.starts_with("whsec_"), "{second}");
    assert_ne!(second, first);
    assert!(get_job(&app, &id).await.get("deliverySecret").is_none());

    // Other deliveries issue none.
    for delivery in [
        json!({"type": "email", "to": "ops@example.com"}),
        json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T0/B0/x"}),
        json!({"type": "telegram", "chatId": "42"}),
        json!({"type": "none"}),
    ] {
        let patched = patch_job(&app, &id, json!({"delivery": delivery.clone()})).await;
        assert_eq!(patched["delivery"], delivery);
        assert!(patched.get("deliverySecret").is_none(), "{patched}");
    }
    let back = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
    )
    .await;
    let third = back["deliverySecret"].as_str().expect("a third secret");
    assert!(third.starts_with("whsec_") && third != first && third != second);
}

#[tokio::test(flavor = "multi_thread")]
async fn patching_changes_each_field_and_recomputes_the_next_run_when_the_timing_changes() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let created = create_job(&app, job_body(&nova, json!({}))).await;
    let id = id_of(&created);

    let renamed = patch_job(
        &app,
        &id,
        json!({"name": "Evening digest", "prompt": "Summarise today", "overlapPolicy": "allow"}),
    )
    .await;
    assert_eq!(renamed["name"], "Evening digest");
    assert_eq!(renamed["prompt"], "Summarise today");
    assert_eq!(renamed["overlapPolicy"], "allow");
    assert_eq!(renamed["schedule"], "0 8 * * *");
    assert_eq!(renamed["createdAt"], created["createdAt"]);
    assert!(time(&renamed["updatedAt"]) > time(&created["updatedAt"]));
    assert_eq!(
        renamed["nextRunAt"], created["nextRunAt"],
        "the timing did not change"
    );
    assert_eq!(get_job(&app, &id).await, renamed);

    let rescheduled = patch_job(&app, &id, json!({"schedule": "30 18 * * *"})).await;
    assert_eq!(rescheduled["schedule"], "30 18 * * *");
    assert_eq!(
        time(&rescheduled["nextRunAt"]),
        next_wall_time(time(&rescheduled["updatedAt"]), chrono_tz::UTC, 18, 30)
    );

    let moved = patch_job(&app, &id, json!({"timezone": "Asia/Tokyo"})).await;
    assert_eq!(moved["timezone"], "Asia/Tokyo");
    assert_eq!(moved["schedule"], "30 18 * * *");
    assert_eq!(
        time(&moved["nextRunAt"]),
        next_wall_time(time(&moved["updatedAt"]), chrono_tz::Asia::Tokyo, 18, 30)
    );

    let both = patch_job(
        &app,
        &id,
        json!({"schedule": "15 7 * * *", "timezone": "America/Los_Angeles"}),
    )
    .await;
    assert_eq!(
        time(&both["nextRunAt"]),
        next_wall_time(
            time(&both["updatedAt"]),
            chrono_tz::America::Los_Angeles,
            7,
            15
        )
    );

    let delivered = patch_job(
        &app,
        &id,
        json!({"delivery": {"type": "email", "to": "ops@example.com"}, "overlapPolicy": "skip"}),
    )
    .await;
    assert_eq!(
        delivered["delivery"],
        json!({"type": "email", "to": "ops@example.com"})
    );
    assert_eq!(delivered["overlapPolicy"], "skip");
    assert_eq!(delivered["nextRunAt"], both["nextRunAt"]);

    // An empty patch changes nothing but is accepted.
    let same = patch_job(&app, &id, json!({})).await;
    assert_eq!(same["name"], "Evening digest");
    assert_eq!(same["nextRunAt"], both["nextRunAt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_clears_the_next_run_and_enabling_recomputes_it() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"schedule": "45 6 * * *"}))).await);

    let disabled = patch_job(&app, &id, json!({"enabled": false})).await;
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["nextRunAt"], Value::Null);
    assert_eq!(get_job(&app, &id).await["nextRunAt"], Value::Null);

    // A schedule change while disabled keeps it from firing.
    let still = patch_job(&app, &id, json!({"schedule": "0 9 * * *"})).await;
    assert_eq!(still["enabled"], false);
    assert_eq!(still["nextRunAt"], Value::Null);

    let enabled = patch_job(&app, &id, json!({"enabled": true})).await;
    assert_eq!(enabled["enabled"], true);
    assert_eq!(
        time(&enabled["nextRunAt"]),
        next_wall_time(time(&enabled["updatedAt"]), chrono_tz::UTC, 9, 0)
    );
    assert_eq!(get_job(&app, &id).await, enabled);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_patch_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let before = get_job(&app, &id).await;
    let path = format!("/v1/cron-jobs/{id}");
    let cases = [
        (
            json!({"name": "Valid", "schedule": "61 * * * *"}),
            "schedule",
        ),
        (json!({"schedule": "0 0 8 * * *"}), "schedule"),
        (json!({"timezone": "Europe/Berln"}), "timezone"),
        (json!({"name": ""}), "name"),
        (json!({"name": "y".repeat(101)}), "name"),
        (json!({"prompt": "", "enabled": false}), "prompt"),
        (
            json!({"enabled": false, "delivery": {"type": "webhook", "url": "ftp://example.com/x"}}),
            "delivery.url",
        ),
        (
            json!({"delivery": {"type": "email", "to": "nobody"}}),
            "delivery.to",
        ),
        (
            json!({"delivery": {"type": "telegram", "chatId": ""}}),
            "delivery.chatId",
        ),
        (json!({"overlapPolicy": "sometimes"}), "overlapPolicy"),
    ];
    for (patch, field) in cases {
        let (status, error) = app.call(Method::PATCH, &path, Some(patch.clone())).await;
        assert_field_error(status, &error, field, "", &patch.to_string());
    }
    let (status, error) = app
        .call(Method::PATCH, &path, Some(json!({"agentId": nova})))
        .await;
    assert_error(
        status,
        &error,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "agentId is not patchable",
    );
    assert_eq!(get_job(&app, &id).await, before, "nothing changed");
    let (_, updates) = app
        .call(Method::GET, "/v1/activity?type=cron.updated", None)
        .await;
    assert_eq!(updates["pagination"]["total"], 0, "{updates}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_job_is_gone() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let kept = id_of(&create_job(&app, job_body(&nova, json!({"name": "Kept"}))).await);

    let (status, body) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    for (method, path) in [
        (Method::GET, format!("/v1/cron-jobs/{id}")),
        (Method::DELETE, format!("/v1/cron-jobs/{id}")),
        (Method::POST, format!("/v1/cron-jobs/{id}/run")),
        (Method::GET, format!("/v1/cron-jobs/{id}/runs")),
    ] {
        let (status, error) = app.call(method.clone(), &path, None).await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            &format!("{method} {path}"),
        );
    }
    assert_eq!(ids(&list(&app, "/v1/cron-jobs").await), [kept.as_str()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_agent_deletes_its_cron_jobs() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let orion = app.create_agent(json!({"name": "Orion"})).await;
    let jobs = [
        id_of(&create_job(&app, job_body(&nova, json!({"name": "One"}))).await),
        id_of(
            &create_job(
                &app,
                job_body(&nova, json!({"name": "Two", "enabled": false})),
            )
            .await,
        ),
    ];
    let survivor = id_of(&create_job(&app, job_body(&orion, json!({}))).await);
    let run = run_now(&app, &jobs[0]).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();

    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for job in &jobs {
        let (status, error) = app
            .call(Method::GET, &format!("/v1/cron-jobs/{job}"), None)
            .await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_JOB_NOT_FOUND",
            job,
        );
    }
    assert!(list(&app, &format!("/v1/cron-jobs?agentId={nova}"))
        .await
        .is_empty());
    assert_eq!(ids(&list(&app, "/v1/cron-jobs").await), [survivor.as_str()]);
    // The run's session was archived with the agent's other sessions.
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["status"], "archived", "{session}");

    // One cron.deleted per job, in the same decision as agent.deleted.
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT type, subject_id, command_id FROM activity WHERE agent_id = $1
               AND type IN ('cron.deleted', 'agent.deleted') ORDER BY sequence",
            &[&nova],
        )
        .await
        .unwrap();
    let types: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(types, ["cron.deleted", "cron.deleted", "agent.deleted"]);
    let subjects: std::collections::BTreeSet<String> =
        rows[..2].iter().map(|row| row.get(1)).collect();
    assert_eq!(subjects, jobs.iter().cloned().collect());
    let commands: std::collections::HashSet<String> = rows.iter().map(|row| row.get(2)).collect();
    assert_eq!(commands.len(), 1);
}
