//! Keys claimed in the transaction that appends their request's command (the Postgres log
//! beside the API's database): what the log does with them, and what the API does when the
//! key turns out to be taken or when a request appends nothing.

use std::time::Duration;

use chrono::Utc;
use event_log::{ClaimedAppend, KeyClaim};
use read_store::idempotency::{claim, first_use_now, forget, release, Claim};
use reqwest::{Method, StatusCode};
use schema::tenant::Plan;
use schema::{Actor, Command, CommandRecord};
use serde_json::{json, Value};
use testkit::TestApp;

fn record(app: &TestApp, n: usize) -> CommandRecord {
    let command = schema::command::CreateTenant {
        name: format!("tenant {n}"),
        plan: Plan::Foundation,
        limits: Default::default(),
    };
    CommandRecord::new(
        app.tenant,
        Actor::system("idempotency-test"),
        Command::CreateTenant(command),
    )
}

fn key_claim(key: &str) -> KeyClaim {
    KeyClaim {
        key: key.to_owned(),
        fingerprint: "request".to_owned(),
        first_seen: first_use_now(),
        locked_until: Utc::now() + chrono::Duration::minutes(1),
    }
}

/// Appends that claim keys, two per key, sent at once with appends that claim none (so that
/// they share statements): each key is taken by one append, whose record alone reaches the
/// log; every record kept is at the offset its append was told, gap-free; a key used before
/// appends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_claimed_with_its_append_lets_one_record_in_and_offsets_stay_gap_free() {
    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    assert!(app.log.claims_keys());
    let partition = app.log.partition_for(app.tenant);
    let start = app.log.end_offsets().await.unwrap()[partition as usize];
    let appends: Vec<_> = (0..24)
        .map(|n| {
            let (log, record) = (app.log.clone(), record(&app, n));
            let claim = (n % 3 != 2).then(|| key_claim(&format!("key-{}", n / 3)));
            tokio::spawn(async move {
                let landed = match &claim {
                    Some(claim) => log.append_claiming(&record, claim).await.unwrap(),
                    None => ClaimedAppend::Appended(log.append(&record).await.unwrap()),
                };
                (claim.map(|c| c.key), record.command_id, landed)
            })
        })
        .collect();
    let mut appended = std::collections::BTreeMap::new();
    let mut takers = std::collections::BTreeMap::<String, usize>::new();
    for append in appends {
        let (key, command_id, landed) = append.await.unwrap();
        match (key, landed) {
            (key, ClaimedAppend::Appended(position)) => {
                appended.insert(position.offset, command_id);
                if let Some(key) = key {
                    *takers.entry(key).or_default() += 1;
                }
            }
            (Some(_), ClaimedAppend::KeyTaken) => {}
            (None, ClaimedAppend::KeyTaken) => panic!("an append without a key was refused"),
        }
    }
    assert_eq!(takers.len(), 8, "{takers:?}");
    assert!(takers.values().all(|&n| n == 1), "{takers:?}");
    let stored: std::collections::BTreeMap<i64, _> = app
        .log
        .read(partition, start, 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.position.offset, entry.command().unwrap().command_id))
        .collect();
    assert_eq!(stored, appended);
    assert_eq!(
        stored.keys().copied().collect::<Vec<_>>(),
        (start..start + 16).collect::<Vec<i64>>()
    );
    let again = app
        .log
        .append_claiming(&record(&app, 99), &key_claim("key-0"))
        .await
        .unwrap();
    assert_eq!(again, ClaimedAppend::KeyTaken);
    assert_eq!(
        app.log.end_offsets().await.unwrap()[partition as usize],
        start + 16
    );
}

async fn post(
    app: &TestApp,
    base: &str,
    key: &str,
    idempotency_key: Option<&str>,
    name: &str,
) -> reqwest::Response {
    let request = app
        .request_to(base, key, Method::POST, "/v1/agents")
        .json(&json!({ "name": name }));
    match idempotency_key {
        Some(idempotency_key) => request.header("Idempotency-Key", idempotency_key),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

/// A retry whose key a 504 left released finds it taken with its append, is claimed the usual
/// way, and runs again with the ids of the key's first use — counted once against the rate
/// limit: of a limit of 4 a minute, the 504, the retry and two more requests use it up.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_that_finds_its_key_taken_runs_again_with_its_first_use_and_counts_once() {
    let mut app = TestApp::spawn().await;
    let (_, key) = app
        .create_tenant_with_limits(Plan::Foundation, Some(4), None)
        .await;
    let impatient = app.start_api_with_timeout(Duration::from_millis(300)).await;
    crate::rate_limits::stay_inside_one_minute().await;
    app.stop_projector().await;
    let timed_out = post(&app, &impatient, &key, Some("again-1"), "Again").await;
    assert_eq!(timed_out.status(), StatusCode::GATEWAY_TIMEOUT);
    let timed_out: Value = timed_out.json().await.unwrap();
    let command_id = timed_out["error"]["details"][0]["commandId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.start_projector();
    let retry = post(&app, &app.base, &key, Some("again-1"), "Again").await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert!(retry.headers().get("idempotent-replayed").is_none());
    let agent: Value = retry.json().await.unwrap();
    // Derived from the key's first use: the agent's id and the 504's command share its time.
    let time_of = |id: &str| {
        let ulid = id.rsplit('_').next().unwrap();
        ulid::Ulid::from_string(ulid).unwrap().timestamp_ms()
    };
    assert_eq!(time_of(agent["id"].as_str().unwrap()), time_of(&command_id));
    let (_, list) = app
        .call_to(&app.base, &key, Method::GET, "/v1/agents", None)
        .await;
    assert_eq!(list["pagination"]["total"], 1, "{list}");
    // The 504, the retry (once), the GET and this one: four.
    let fourth = post(&app, &app.base, &key, None, "Fourth").await;
    assert_eq!(fourth.status(), StatusCode::CREATED);
    let over = post(&app, &app.base, &key, None, "Fifth").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// A request that appends nothing under a new key — a 404 here — claims the key with its
/// answer: the same request again is replayed, another with the key is 422.
#[tokio::test(flavor = "multi_thread")]
async fn an_answer_given_before_any_append_is_kept_and_replayed() {
    let app = TestApp::spawn().await;
    let patch = |body: Value| {
        app.request(Method::PATCH, "/v1/agents/agent_01JAAAAAAAAAAAAAAAAAAAAAAA")
            .header("Idempotency-Key", "missing-1")
            .json(&body)
            .send()
    };
    let first = patch(json!({"name": "Nova"})).await.unwrap();
    // Stored before it went out: the same request right after it is a replay.
    assert_eq!(first.status(), StatusCode::NOT_FOUND);
    let first: Value = first.json().await.unwrap();
    let again = patch(json!({"name": "Nova"})).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = patch(json!({"name": "Orion"})).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Releasing (after a 5xx) or forgetting (after a 429) a key touches only the row of the first
/// use it names: a request that claimed nothing cannot free another request's key.
#[tokio::test(flavor = "multi_thread")]
async fn releasing_or_forgetting_a_key_touches_only_the_row_of_its_first_use() {
    let app = TestApp::spawn().await;
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 2).unwrap();
    let until = Utc::now() + chrono::Duration::minutes(1);
    let claimed = claim(&store, app.tenant, "held", "request", until, true).await;
    let Ok(Claim::Owned { first_seen }) = claimed else {
        panic!("{claimed:?}");
    };
    let client = store.client().await.unwrap();
    let another = first_seen + chrono::Duration::microseconds(1);
    forget(&client, app.tenant, "held", another).await.unwrap();
    release(&client, app.tenant, "held", another).await.unwrap();
    let still_held = claim(&store, app.tenant, "held", "request", until, true).await;
    assert_eq!(still_held.unwrap(), Claim::InFlight);
    release(&client, app.tenant, "held", first_seen)
        .await
        .unwrap();
    let taken_over = claim(&store, app.tenant, "held", "request", until, true).await;
    assert_eq!(taken_over.unwrap(), Claim::Owned { first_seen });
    forget(&client, app.tenant, "held", first_seen)
        .await
        .unwrap();
    let anew = claim(&store, app.tenant, "held", "request", until, true).await;
    assert!(
        matches!(anew, Ok(Claim::Owned { first_seen: new }) if new != first_seen),
        "{anew:?}"
    );
}
