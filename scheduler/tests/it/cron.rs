//! Cron fires: exactly once per `(job, time)` with several schedulers, catch-up after downtime
//! (late within the window, skipped and recorded beyond it), runs that time out, and a run's
//! output delivered to each channel by the dispatcher.

use std::time::Duration;

use chrono::{DateTime, Utc};
use read_store::{Store, READ_MODEL_SCHEMA};
use reqwest::Method;
use scheduler::{CronScheduler, CronSettings};
use serde_json::{json, Value};
use testkit::TestApp;

/// The tests scan at a fire time up to ~3 h after the wall clock the runs start
/// by; a run timeout longer than that keeps the scan from timing out the runs it just started.
fn settings() -> CronSettings {
    CronSettings {
        catchup_window: Duration::from_secs(300),
        run_timeout: Duration::from_secs(6 * 3600),
    }
}

fn scheduler(app: &TestApp, settings: CronSettings) -> CronScheduler {
    let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 4).expect("store");
    CronScheduler::new(store, app.log.clone(), settings)
}

async fn create_job(app: &TestApp, body: Value) -> Value {
    let (status, job) = app.call(Method::POST, "/v1/cron-jobs", Some(body)).await;
    assert_eq!(status, 201, "{job}");
    job
}

async fn get_job(app: &TestApp, id: &str) -> Value {
    let (status, job) = app
        .call(Method::GET, &format!("/v1/cron-jobs/{id}"), None)
        .await;
    assert_eq!(status, 200, "{job}");
    job
}

async fn runs(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, runs) = app
        .call(
            Method::GET,
            &format!("/v1/cron-jobs/{id}/runs?order=asc&limit=100"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{runs}");
    runs["data"].as_array().unwrap().clone()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// Waits until the job has `count` runs.
async fn wait_for_runs(app: &TestApp, id: &str, count: usize) -> Vec<Value> {
    testkit::eventually(Duration::from_secs(20), "runs", || async {
        let runs = runs(app, id).await;
        (runs.len() >= count).then_some(runs)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_schedulers_fire_200_jobs_due_in_the_same_minute_exactly_once() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Busy"})).await;
    let mut ids = Vec::new();
    for n in 0..200 {
        let job = create_job(
            &app,
            json!({"agentId": agent, "name": format!("job {n}"), "prompt": "Report",
                   "schedule": "0 * * * *", "overlapPolicy": "allow"}),
        )
        .await;
        ids.push(job["id"].as_str().unwrap().to_owned());
    }
    // Every job is due at the next full hour; both schedulers scan at that moment.
    let due = time(&get_job(&app, &ids[0]).await["nextRunAt"]);
    let (first, second) = (scheduler(&app, settings()), scheduler(&app, settings()));
    let (a, b) = tokio::join!(first.run_once(due), second.run_once(due));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.fired + b.fired, 200, "{a:?} {b:?}");
    // Scanning again changes nothing.
    let (a, b) = tokio::join!(first.run_once(due), second.run_once(due));
    assert_eq!(a.unwrap().fired + b.unwrap().fired, 0);

    let sql = app.sql().await;
    let counted = testkit::eventually(Duration::from_secs(30), "200 runs", || async {
        let row = sql
            .query_one(
                "SELECT count(*), count(DISTINCT cron_job_id) FROM cron_runs WHERE scheduled_for = $1",
                &[&due],
            )
            .await
            .unwrap();
        let (runs, jobs): (i64, i64) = (row.get(0), row.get(1));
        (runs == 200).then_some(jobs)
    })
    .await;
    assert_eq!(counted, 200);
    let job = get_job(&app, &ids[7]).await;
    assert_eq!(time(&job["lastRunAt"]), due);
    assert_eq!(time(&job["nextRunAt"]), due + chrono::Duration::hours(1));
    let runs = runs(&app, &ids[7]).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fire_missed_within_the_catch_up_window_runs_once_late() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Late"})).await;
    let job = create_job(
        &app,
        json!({"agentId": agent, "name": "hourly", "prompt": "Report", "schedule": "0 * * * *"}),
    )
    .await;
    let id = job["id"].as_str().unwrap();
    let due = time(&job["nextRunAt"]);
    // The schedulers were down; one starts 3 minutes after the fire time.
    let scan = scheduler(&app, settings())
        .run_once(due + chrono::Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!((scan.fired, scan.skipped), (1, 0));
    let runs = wait_for_runs(&app, id, 1).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(time(&runs[0]["scheduledFor"]), due);
    assert_eq!(runs[0]["status"], "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn fires_missed_beyond_the_window_are_skipped_and_recorded() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Down"})).await;
    let body = |name: &str| json!({"agentId": agent, "name": name, "prompt": "Report", "schedule": "0 * * * *"});
    let skipped_only = create_job(&app, body("skipped only")).await;
    let due = time(&skipped_only["nextRunAt"]);
    let sched = scheduler(&app, settings());

    // Down for 2 h 10 min: the fires at due, due+1h, due+2h are all too old.
    let scan = sched
        .run_once(due + chrono::Duration::minutes(130))
        .await
        .unwrap();
    assert_eq!((scan.fired, scan.skipped), (0, 3), "{scan:?}");
    let id = skipped_only["id"].as_str().unwrap();
    let runs = wait_for_runs(&app, id, 1).await;
    // One skipped run records how many fires were missed.
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "skipped");
    assert_eq!(time(&runs[0]["scheduledFor"]), due);
    let error = runs[0]["error"].as_str().unwrap();
    assert!(error.contains("3 fires"), "{error}");
    assert!(error.contains("catch-up window"), "{error}");
    testkit::eventually(Duration::from_secs(10), "the job moved on", || async {
        let job = get_job(&app, id).await;
        (time(&job["nextRunAt"]) == due + chrono::Duration::hours(3)).then_some(())
    })
    .await;

    // Another job, due at the same hour. Down for 2 h 3 min: the last fire (due+2h) is
    // 3 minutes late and runs; the two before are skipped.
    let last_one_runs = create_job(&app, body("last one runs")).await;
    let due = time(&last_one_runs["nextRunAt"]);
    let other = last_one_runs["id"].as_str().unwrap();
    let scan = sched
        .run_once(due + chrono::Duration::minutes(123))
        .await
        .unwrap();
    assert_eq!((scan.fired, scan.skipped), (1, 2), "{scan:?}");
    let runs = wait_for_runs(&app, other, 2).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let skipped = runs.iter().find(|r| r["status"] == "skipped").unwrap();
    assert!(skipped["error"].as_str().unwrap().contains("2 fires"));
    let ran = runs.iter().find(|r| r["status"] == "running").unwrap();
    assert_eq!(time(&ran["scheduledFor"]), due + chrono::Duration::hours(2));

    let (_, page) = app
        .call(Method::GET, "/v1/activity?type=cron.run_skipped", None)
        .await;
    assert_eq!(page["pagination"]["total"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_agent_never_replies_fails_at_the_timeout() {
    let app = TestApp::spawn().await;
    let agent = app.create_agent(json!({"name": "Silent"})).await;
    let job = create_job(
        &app,
        json!({"agentId": agent, "name": "brief", "prompt": "Brief me", "schedule": "0 8 * * *",
               "timezone": "Europe/Berlin"}),
    )
    .await;
    let id = job["id"].as_str().unwrap();
    let (status, run) = app
        .call(Method::POST, &format!("/v1/cron-jobs/{id}/run"), None)
        .await;
    assert_eq!(status, 202, "{run}");
    let session = run["sessionId"].as_str().unwrap().to_owned();

    let mut quick = settings();
    quick.run_timeout = Duration::from_millis(500);
    let sched = scheduler(&app, quick);
    assert_eq!(sched.run_once(Utc::now()).await.unwrap().timed_out, 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sched.run_once(Utc::now()).await.unwrap().timed_out, 1);

    let failed = testkit::eventually(Duration::from_secs(10), "the run to fail", || async {
        let runs = runs(&app, id).await;
        (runs[0]["status"] == "failed").then(|| runs[0].clone())
    })
    .await;
    assert!(failed["error"]
        .as_str()
        .unwrap()
        .contains("did not reply within"));
    assert!(failed["finishedAt"].is_string());
    assert_eq!(get_job(&app, id).await["lastRunStatus"], "failed");
    let (_, session) = app
        .call(Method::GET, &format!("/v1/sessions/{session}"), None)
        .await;
    assert_eq!(session["status"], "archived");
    let (_, page) = app
        .call(Method::GET, "/v1/activity?type=cron.failed", None)
        .await;
    assert_eq!(page["data"][0]["data"]["reason"], failed["error"]);
    // A late reply changes nothing.
    let (status, _) = app
        .call(
            Method::POST,
            &format!(
                "/v1/sessions/{}/messages",
                failed["sessionId"].as_str().unwrap()
            ),
            Some(json!({"role": "assistant", "content": "Sorry, late"})),
        )
        .await;
    assert_eq!(status, 409);
}
