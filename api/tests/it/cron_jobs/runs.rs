//! Running now: sessions, overlap, idempotency, budgets.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn running_now_opens_a_cron_session_with_the_prompt_as_its_first_user_message() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let job = create_job(&app, job_body(&nova, json!({}))).await;
    let id = id_of(&job);

    let run = run_now(&app, &id).await;
    let run_id = id_of(&run);
    assert!(run_id.starts_with("run_") && run_id.len() == 30, "{run}");
    assert_eq!(run["cronJobId"], id.as_str());
    assert_eq!(run["agentId"], nova.as_str());
    assert_eq!(run["status"], "running");
    assert_eq!(run["deliveryStatus"], "none");
    assert_eq!(run["finishedAt"], Value::Null);
    assert_eq!(run["error"], Value::Null);
    assert_eq!(run["inputTokens"], 0);
    assert_eq!(run["outputTokens"], 0);
    let scheduled = time(&run["scheduledFor"]);
    let started = time(&run["startedAt"]);
    assert!(scheduled > time(&job["createdAt"]), "fired now: {run}");
    assert!(started >= scheduled, "{run}");
    let session_id = run["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {run}"));
    assert!(session_id.starts_with("sess_"), "{run}");

    let (status, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["origin"], "cron");
    assert_eq!(session["cronJobId"], id.as_str());
    assert_eq!(session["agentId"], nova.as_str());
    assert_eq!(session["status"], "active");
    assert_eq!(session["messageCount"], 1);
    let messages = list(&app, &format!("/v1/sessions/{session_id}/messages")).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"], PROMPT);
    assert_eq!(messages[0]["sequence"], 1);
    assert_eq!(messages[0]["sessionId"], session_id);
    let cron_sessions = list(&app, &format!("/v1/sessions?origin=cron&agentId={nova}")).await;
    assert_eq!(ids(&cron_sessions), [session_id]);

    let (status, fetched) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs/{run_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched, run);
    let (_, runs) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}/runs"), None)
        .await;
    assert_eq!(runs["pagination"]["total"], 1);
    assert_eq!(runs["data"][0], run);

    // The job records the run; a run now does not move the schedule.
    let after = get_job(&app, &id).await;
    assert_eq!(time(&after["lastRunAt"]), scheduled);
    assert_eq!(after["lastRunStatus"], "running");
    assert_eq!(after["nextRunAt"], job["nextRunAt"]);

    // A disabled job can still be run by hand.
    patch_job(&app, &id, json!({"enabled": false})).await;
    let (status, error) = reply(&app, session_id).await;
    assert_eq!(status, StatusCode::CREATED, "{error}");
    let manual = run_now(&app, &id).await;
    assert_eq!(manual["status"], "running", "{manual}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_while_the_last_run_is_running_is_skipped_under_the_skip_policy() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let first = run_now(&app, &id).await;

    let skipped = run_now(&app, &id).await;
    assert_ne!(skipped["id"], first["id"]);
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert_eq!(skipped["sessionId"], Value::Null);
    assert_eq!(skipped["startedAt"], Value::Null);
    assert!(skipped["finishedAt"].is_string(), "{skipped}");
    assert_eq!(skipped["deliveryStatus"], "none");
    let error = skipped["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{skipped}"));
    assert!(error.contains("previous run"), "{error}");

    // The running run stays the job's last run; no second session was opened.
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], first["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
    let runs = list(&app, &format!("/v1/cron-jobs/{id}/runs")).await;
    assert_eq!(ids(&runs), [id_of(&skipped), id_of(&first)]);

    // Once it has finished, the next run starts.
    let (status, body) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let next = run_now(&app, &id).await;
    assert_eq!(next["status"], "running", "{next}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], next["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn under_the_allow_policy_runs_overlap_and_list_newest_first() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"overlapPolicy": "allow"}))).await);
    let first = run_now(&app, &id).await;
    let second = run_now(&app, &id).await;
    assert_eq!(second["status"], "running", "{second}");
    assert_ne!(second["sessionId"], first["sessionId"]);
    assert!(time(&second["scheduledFor"]) > time(&first["scheduledFor"]));
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], second["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");

    let (status, page) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}/runs"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["pagination"],
        json!({"total": 2, "limit": 20, "offset": 0, "hasMore": false})
    );
    assert_eq!(
        ids(page["data"].as_array().unwrap()),
        [id_of(&second), id_of(&first)]
    );
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs/{id}/runs?order=asc")).await),
        [id_of(&first), id_of(&second)]
    );
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs?limit=1&offset=1"),
            None,
        )
        .await;
    assert_eq!(page["pagination"]["hasMore"], false);
    assert_eq!(ids(page["data"].as_array().unwrap()), [id_of(&first)]);

    // The earlier run finishing does not change the job's last run; the later one does.
    let (status, _) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], second["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running", "{job}");
    let (status, _) = reply(&app, second["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunStatus"], "succeeded", "{job}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_runs_are_not_found() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let other = id_of(&create_job(&app, job_body(&nova, json!({"name": "Other"}))).await);
    let run = id_of(&run_now(&app, &other).await);
    for bad in [
        "run_01jq8abcdefghjkmnpqrstvwxy",
        "run_nope",
        "cron_01jq8abcdefghjkmnpqrstvwxy",
        run.as_str(),
    ] {
        let path = format!("/v1/cron-jobs/{id}/runs/{bad}");
        let (status, error) = app.call(Method::GET, &path, None).await;
        assert_error(
            status,
            &error,
            StatusCode::NOT_FOUND,
            "CRON_RUN_NOT_FOUND",
            &path,
        );
    }
    // Another tenant does not see the run either.
    let (_, other_key) = app.create_tenant(Plan::Enterprise).await;
    let (status, error) = app
        .call_to(
            &app.base,
            &other_key,
            Method::GET,
            &format!("/v1/cron-jobs/{other}/runs/{run}"),
            None,
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::NOT_FOUND,
        "CRON_JOB_NOT_FOUND",
        "foreign run",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_runs_now_under_the_skip_policy_start_exactly_one_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let runs = futures::future::join_all((0..6).map(|_| run_now(&app, &id))).await;
    let running: Vec<&Value> = runs.iter().filter(|r| r["status"] == "running").collect();
    let skipped = runs.iter().filter(|r| r["status"] == "skipped").count();
    assert_eq!(running.len(), 1, "{runs:?}");
    assert_eq!(skipped, 5, "{runs:?}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], running[0]["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "running");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_replayed_with_its_idempotency_key_starts_no_second_run() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({"overlapPolicy": "allow"}))).await);
    let path = format!("/v1/cron-jobs/{id}/run");
    let mut bodies = Vec::new();
    for attempt in 0..2 {
        let response = app
            .request(Method::POST, &path)
            .header("Idempotency-Key", "run-once")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(replayed.as_deref(), (attempt == 1).then_some("true"));
        bodies.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(
        ids(&list(&app, &format!("/v1/cron-jobs/{id}/runs")).await),
        [id_of(&bodies[0])]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_now_for_an_agent_out_of_budget_fails_without_a_session() {
    let app = TestApp::spawn().await;
    let nova = app
        .create_agent(json!({"name": "Nova", "config": {"limits": {"dailyTokenBudget": 100}}}))
        .await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let first = run_now(&app, &id).await;
    let (status, body) = reply(&app, first["sessionId"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let failed = run_now(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["sessionId"], Value::Null);
    assert!(failed["finishedAt"].is_string(), "{failed}");
    let error = failed["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{failed}"));
    assert!(error.contains("budget"), "{error}");
    let job = get_job(&app, &id).await;
    assert_eq!(job["lastRunAt"], failed["scheduledFor"]);
    assert_eq!(job["lastRunStatus"], "failed");
    assert_eq!(
        list(&app, &format!("/v1/sessions?agentId={nova}"))
            .await
            .len(),
        1
    );
    let (_, entries) = app
        .call(Method::GET, "/v1/activity?type=cron.failed", None)
        .await;
    assert_eq!(entries["pagination"]["total"], 1, "{entries}");
    assert_eq!(entries["data"][0]["subject"]["id"], id_of(&failed).as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_in_progress_still_finishes_after_its_job_is_deleted() {
    let app = TestApp::spawn().await;
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    let id = id_of(&create_job(&app, job_body(&nova, json!({}))).await);
    let run = run_now(&app, &id).await;
    let session = run["sessionId"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(Method::DELETE, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = reply(&app, &session).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, archived) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(archived["status"], "archived", "{archived}");
    let (_, completed) = app
        .call(Method::GET, "/v1/activity?type=cron.completed", None)
        .await;
    assert_eq!(completed["pagination"]["total"], 1, "{completed}");
    assert_eq!(completed["data"][0]["subject"]["id"], id_of(&run).as_str());
    assert_eq!(completed["data"][0]["data"]["deliveryStatus"], "none");
}
