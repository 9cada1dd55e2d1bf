//! The database going away under load, while clients write and read: refusing new
//! connections while its connections are ended again and again (what an administrator's
//! shutdown or a failover does to them: 57P01, then refused), and the whole server stopped and
//! started again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use testkit::TestApp;

const CLIENTS: usize = 16;
const OUTAGE: Duration = Duration::from_secs(3);

/// `Retry-After` of an answer, if it has one (capped at 2 s).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(2)))
}

/// What a client met: the request (`POST`'s idempotency key, or `GET <id>`), the status,
/// whether `Retry-After` came with it, and the body.
type Answer = (String, StatusCode, bool, String);

/// While the app's database refuses new connections and the server ends its connections again
/// and again ([`testkit::postgres::TestDatabase::refuse_connections_for`]), 16 clients create agents
/// (each with an `Idempotency-Key`) and read them: every answer is a success, or 503 with
/// `Retry-After` (504 if a command waited past its timeout), never a 500. Afterwards, retrying
/// each refused request with its key creates what was asked exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn connections_ended_by_the_server_answer_503_never_500() {
    let app = Arc::new(TestApp::spawn().await);
    let key = unlimited_key(&app).await;
    let outage = app.db.refuse_connections_for(OUTAGE);
    let answers = write_and_read_during(&app, &key, outage).await;
    check_answers_then_retry(&app, &key, &answers).await;
}

/// The whole server stopped (`pg_ctl stop -m fast`: sessions ended with 57P01, then every
/// connection refused) for `OUTAGE` under the same load, then started again: the same answers
/// during the outage, and every process (the API, the projector) back by itself after it.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_stopped_and_started_again_answers_503_never_500() {
    let server = testkit::pg_server::PgServer::start();
    let db = testkit::postgres::TestDatabase::create_on(&server.admin_url(), false).await;
    let app = Arc::new(TestApp::spawn_in(db, testkit::LogKind::Postgres).await);
    let key = unlimited_key(&app).await;
    let outage = async {
        // Let the clients get going first, so the stop lands in the middle of requests.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let server = &server;
        tokio::task::block_in_place(|| server.stop());
        tokio::time::sleep(OUTAGE).await;
        tokio::task::block_in_place(|| server.resume());
        // And a little while back up, so the clients meet the recovery too.
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let answers = write_and_read_during(&app, &key, outage).await;
    check_answers_then_retry(&app, &key, &answers).await;
}

/// The key of a tenant whose rate limits no client here reaches: the test app's tenant allows
/// 600 requests a minute, which 16 clients pass within the outage as the API gets faster, and
/// a 429 is not what these tests look at.
async fn unlimited_key(app: &TestApp) -> String {
    let plan = schema::tenant::Plan::Enterprise;
    let (_, key) = app
        .create_tenant_with_limits(plan, Some(1_000_000), Some(100_000_000))
        .await;
    key
}

/// 16 clients creating agents (each with a fresh `Idempotency-Key`) and reading each one
/// created, until `outage` ends.
async fn write_and_read_during(
    app: &Arc<TestApp>,
    key: &str,
    outage: impl std::future::Future<Output = ()>,
) -> Vec<Answer> {
    let running = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let app = app.clone();
        let key = key.to_owned();
        let running = running.clone();
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut attempt = 0;
            while running.load(Ordering::Relaxed) {
                let name = format!("outage {client}-{attempt}");
                attempt += 1;
                let response = app
                    .request_to(&app.base, &key, Method::POST, "/v1/agents")
                    .header("Idempotency-Key", &name)
                    .json(&serde_json::json!({ "name": name }))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let wait = retry_after(&response);
                let body = response.text().await.unwrap();
                answers.push((name.clone(), status, wait.is_some(), body.clone()));
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    // As a client should: back off as long as Retry-After says.
                    tokio::time::sleep(wait.unwrap_or_default()).await;
                }
                if status == StatusCode::CREATED {
                    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    let read = app
                        .request_to(&app.base, &key, Method::GET, &format!("/v1/agents/{id}"))
                        .send()
                        .await
                        .unwrap();
                    let status = read.status();
                    let retry_after = read.headers().contains_key("retry-after");
                    answers.push((
                        format!("GET {id}"),
                        status,
                        retry_after,
                        read.text().await.unwrap(),
                    ));
                }
            }
            answers
        }));
    }
    outage.await;
    running.store(false, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }
    answers
}

/// Every answer a success, a 504, or a 503 with `Retry-After`, and some 503s (the outage was
/// felt); then each refused create, retried with its key, is created, and every name exists
/// exactly once.
async fn check_answers_then_retry(app: &TestApp, key: &str, answers: &[Answer]) {
    let mut by_status = BTreeMap::<u16, usize>::new();
    for (what, status, retry_after, body) in answers {
        *by_status.entry(status.as_u16()).or_default() += 1;
        match status.as_u16() {
            200 | 201 | 504 => {}
            503 => assert!(retry_after, "{what}: 503 without Retry-After: {body}"),
            _ => panic!("{what}: {status} {body}"),
        }
    }
    eprintln!("answers during the outage: {by_status:?}");
    assert!(
        by_status.get(&503).copied().unwrap_or(0) > 0,
        "the outage was not felt: {by_status:?}"
    );

    // Back to normal: each refused create, retried with its key, is created once.
    let refused: Vec<&String> = answers
        .iter()
        .filter(|(what, status, _, _)| !what.starts_with("GET") && *status != StatusCode::CREATED)
        .map(|(what, _, _, _)| what)
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for name in &refused {
        loop {
            let response = app
                .request_to(&app.base, key, Method::POST, "/v1/agents")
                .header("Idempotency-Key", name.as_str())
                .json(&serde_json::json!({ "name": name }))
                .send()
                .await
                .unwrap();
            let status = response.status();
            // 409: the key's owner never got to release it (the database was away); its lock
            // runs out after the command timeout.
            let wait = retry_after(&response).unwrap_or(Duration::from_secs(1));
            let body = response.text().await.unwrap();
            if status == StatusCode::CREATED {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "retry {name}: still {status} {body}"
            );
            assert!(
                matches!(status.as_u16(), 409 | 429 | 503 | 504),
                "retry {name}: {status} {body}"
            );
            tokio::time::sleep(wait).await;
        }
    }
    let attempted = answers
        .iter()
        .filter(|(what, ..)| !what.starts_with("GET"))
        .count();
    let listed: serde_json::Value = app
        .request_to(&app.base, key, Method::GET, "/v1/agents?limit=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["pagination"]["total"], attempted,
        "every name exactly once ({by_status:?})"
    );
}
