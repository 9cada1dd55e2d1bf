//! The database going away under load: what an administrator's shutdown or a failover does to
//! the app's connections (each ended with 57P01, then refused or reset), while clients write
//! and read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use testkit::{eventually, TestApp};
use tokio_postgres::NoTls;

const CLIENTS: usize = 16;
const OUTAGE: Duration = Duration::from_secs(3);

/// Every connection of the app's database ended by the server, every 50 ms, for `OUTAGE`.
async fn end_every_connection_for_a_while(database: String) {
    let (admin, connection) = tokio_postgres::connect(&testkit::postgres::admin_url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let deadline = tokio::time::Instant::now() + OUTAGE;
    while tokio::time::Instant::now() < deadline {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&database],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// While the server ends the app's connections again and again, 16 clients create agents
/// (each with an `Idempotency-Key`) and read them: every answer is a success, or 503 with
/// `Retry-After` (504 if a command waited past its timeout), never a 500. Afterwards, retrying
/// each refused request with its key creates what was asked exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn connections_ended_by_the_server_answer_503_never_500() {
    let app = Arc::new(TestApp::spawn().await);
    let running = Arc::new(AtomicBool::new(true));
    let outage = tokio::spawn(end_every_connection_for_a_while(app.db.name.clone()));

    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let app = app.clone();
        let running = running.clone();
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut attempt = 0;
            while running.load(Ordering::Relaxed) {
                let name = format!("outage {client}-{attempt}");
                attempt += 1;
                let response = app
                    .request(Method::POST, "/v1/agents")
                    .header("Idempotency-Key", &name)
                    .json(&serde_json::json!({ "name": name }))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let retry_after = response.headers().contains_key("retry-after");
                let body = response.text().await.unwrap();
                answers.push((name.clone(), status, retry_after, body.clone()));
                if status == StatusCode::CREATED {
                    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    let read = app
                        .request(Method::GET, &format!("/v1/agents/{id}"))
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
    outage.await.unwrap();
    running.store(false, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }

    let mut by_status = BTreeMap::<u16, usize>::new();
    for (what, status, retry_after, body) in &answers {
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
    for name in &refused {
        eventually(
            Duration::from_secs(30),
            "the create to succeed on retry",
            || async {
                let response = app
                    .request(Method::POST, "/v1/agents")
                    .header("Idempotency-Key", name.as_str())
                    .json(&serde_json::json!({ "name": name }))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let body = response.text().await.unwrap();
                if status != StatusCode::CREATED {
                    eprintln!("retry {name}: {status} {body}");
                }
                (status == StatusCode::CREATED).then_some(())
            },
        )
        .await;
    }
    let attempted = answers
        .iter()
        .filter(|(what, ..)| !what.starts_with("GET"))
        .count();
    let listed: serde_json::Value = app
        .request(Method::GET, "/v1/agents?limit=1")
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
