//! The first assistant reply completes a run.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_first_assistant_reply_completes_the_run_and_archives_its_session() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let run_id = id_of(&run);
    let session = run["sessionId"].as_str().unwrap().to_owned();

    let (status, message) = reply(&app, &session).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["sequence"], 2);

    let (status, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        time(&done["finishedAt"]) >= time(&done["startedAt"]),
        "{done}"
    );
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    assert_eq!(done["deliveryStatus"], "none", "nothing to deliver");
    assert_eq!(done["error"], Value::Null);
    assert_eq!(done["scheduledFor"], run["scheduledFor"]);
    assert_eq!(done["sessionId"], session.as_str());

    let (_, archived) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(archived["status"], "archived", "{archived}");
    assert!(archived["archivedAt"].is_string(), "{archived}");
    assert_eq!(archived["messageCount"], 2);
    assert_eq!(archived["tokenCount"], 120);

    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunStatus"], "succeeded", "{job}");
    assert_eq!(job["lastRunAt"], run["scheduledFor"]);

    // The session takes no more messages.
    let (status, error) = reply(&app, &session).await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "SESSION_ARCHIVED",
        "a second reply",
    );
    let (_, again) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(again, done);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_message_in_the_run_session_does_not_complete_the_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{session}/messages"),
            Some(json!({"content": "Also check the weekend"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, still) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(still["status"], "running", "{still}");
    assert_eq!(still["finishedAt"], Value::Null);
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["status"], "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_run_of_a_job_with_a_webhook_delivery_waits_for_its_delivery() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(
        &create_job(
            &app,
            job_body(
                &nova,
                json!({"delivery": {"type": "webhook", "url": "https://example.com/digest"}}),
            ),
        )
        .await,
    );
    let run = run_now(&app, &id).await;
    assert_eq!(
        run["deliveryStatus"], "none",
        "nothing to deliver yet: {run}"
    );
    let (status, body) = reply(&app, run["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        done["deliveryStatus"], "pending",
        "no dispatcher runs: {done}"
    );
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    assert!(done["finishedAt"].is_string());
    assert_eq!(get_job(&app, &id).await["lastRunStatus"], "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_replies_complete_the_run_once() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();
    let replies = futures::future::join_all((0..4).map(|_| reply(&app, &session))).await;
    let created = replies
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{replies:?}");
    for (status, body) in &replies {
        if *status != StatusCode::CREATED {
            assert_error(
                *status,
                body,
                StatusCode::CONFLICT,
                "SESSION_ARCHIVED",
                "a late reply",
            );
        }
    }
    let (_, done) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{}", id_of(&run)),
            None,
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["inputTokens"], 100);
    assert_eq!(done["outputTokens"], 20);
    let (_, agent) = app
        .call(Method::GET, &format!("/v1/agents/{nova}"), None)
        .await;
    assert_eq!(agent["tokensTodayInput"], 100, "{agent}");
    assert_eq!(agent["openSessionCount"], 0, "{agent}");
}
