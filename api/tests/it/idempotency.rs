use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

async fn agent_count(app: &TestApp) -> i64 {
    let (_, list) = app.call(Method::GET, "/v1/agents", None).await;
    list["pagination"]["total"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn six_concurrent_posts_with_one_key_create_one_agent_and_a_retry_replays_it() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let attempts = (0..6).map(|i| {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second_api.clone()
        };
        let request = app
            .request_to(&base, &app.key, Method::POST, "/v1/agents")
            .header("Idempotency-Key", "create-nova-1")
            .json(&json!({"name": "Nova"}));
        async move {
            let response = request.send().await.unwrap();
            let replayed = response.headers().get("idempotent-replayed").is_some();
            (
                response.status(),
                replayed,
                response.json::<Value>().await.unwrap(),
            )
        }
    });
    let results = futures::future::join_all(attempts).await;
    let originals: Vec<_> = results
        .iter()
        .filter(|(s, replayed, _)| *s == StatusCode::CREATED && !replayed)
        .collect();
    assert_eq!(originals.len(), 1, "{results:?}");
    let created = &originals[0].2;
    for (status, replayed, body) in &results {
        match *status {
            StatusCode::CREATED => assert_eq!(body, created),
            StatusCode::CONFLICT => {
                assert!(!replayed);
                assert_eq!(body["error"]["code"], "IDEMPOTENCY_KEY_IN_USE");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let retry = app
        .request(Method::POST, "/v1/agents")
        .header("Idempotency-Key", "create-nova-1")
        .json(&json!({"name": "Nova"}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(
        retry.headers()["location"],
        format!("/v1/agents/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(&retry.json::<Value>().await.unwrap(), created);
    assert_eq!(agent_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_reused_for_another_request_is_422_and_rejections_replay_too() {
    let app = TestApp::spawn().await;
    let post = |key: &str, body: Value| {
        app.request(Method::POST, "/v1/agents")
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    assert_eq!(
        post("k1", json!({"name": "Nova"})).await.unwrap().status(),
        StatusCode::CREATED
    );
    let reused = post("k1", json!({"name": "Orion"})).await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");

    // A 409 is an answer too: kept and replayed.
    let conflict = post("k2", json!({"name": "NOVA"})).await.unwrap();
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    let again = post("k2", json!({"name": "NOVA"})).await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(again.headers()["idempotent-replayed"], "true");

    let bad = app
        .request(Method::POST, "/v1/agents")
        .header("Idempotency-Key", "x".repeat(256))
        .json(&json!({"name": "Long"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(agent_count(&app).await, 1);
}

async fn get_agent(app: &TestApp, agent: &Value) -> Value {
    let id = agent["id"].as_str().unwrap();
    let (status, fetched) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    fetched
}

async fn post_late(app: &TestApp, base: &str) -> reqwest::Response {
    app.request_to(base, &app.key, Method::POST, "/v1/agents")
        .header("Idempotency-Key", "late-1")
        .json(&json!({"name": "Late"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_a_504_returns_the_outcome_of_the_command_already_appended() {
    let mut app = TestApp::spawn().await;
    let impatient = app.start_api_with_timeout(Duration::from_millis(300)).await;
    app.stop_projector().await;
    let timed_out = post_late(&app, &impatient).await;
    assert_eq!(timed_out.status(), StatusCode::GATEWAY_TIMEOUT);
    app.start_projector();
    let retry = post_late(&app, &app.base).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    let agent: Value = retry.json().await.unwrap();
    assert_eq!(agent["name"], "Late");
    assert_eq!(agent_count(&app).await, 1);
    // The agent the first attempt's record created (issued 300 ms and more before the retry's).
    assert_eq!(get_agent(&app, &agent).await, agent);
    let replay = post_late(&app, &impatient).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), agent);
}

/// The API process dies after appending and before answering; the retry on another process
/// answers with the original outcome and creates nothing new.
/// An `api` process of its own on `app`'s database and log (with `env` besides), listening;
/// and its base URL.
async fn api_process(app: &TestApp, env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .env("DATABASE_URL", &app.db.url)
        .env("EVENT_LOG_URL", &app.log_url)
        .env("AGENFLEET_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    testkit::eventually(
        Duration::from_secs(10),
        "the API process to listen",
        || async {
            app.http
                .get(format!("{base}/healthz"))
                .send()
                .await
                .ok()
                .map(|_| ())
        },
    )
    .await;
    (process, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_the_api_crashed_mid_request_returns_the_original_outcome() {
    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    let (mut doomed, doomed_base) = api_process(&app, &[("AGENFLEET_COMMAND_TIMEOUT", "1s")]).await;
    let sql = app.sql().await;
    let records = || async {
        sql.query_one("SELECT count(*) FROM eventlog.records", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let before = records().await;
    let request = app
        .request_to(&doomed_base, &app.key, Method::POST, "/v1/agents")
        .header("Idempotency-Key", "crash-1")
        .json(&json!({"name": "Survivor"}));
    let in_flight = tokio::spawn(request.send());
    testkit::eventually(
        Duration::from_secs(5),
        "the command to be appended",
        || async { (records().await > before).then_some(()) },
    )
    .await;
    doomed.kill().await.unwrap();
    assert!(
        in_flight.await.unwrap().is_err(),
        "the crashed process never answered"
    );

    app.start_projector();
    let retried = testkit::eventually(
        Duration::from_secs(15),
        "the retry to take over the key",
        || async {
            let response = app
                .request(Method::POST, "/v1/agents")
                .header("Idempotency-Key", "crash-1")
                .json(&json!({"name": "Survivor"}))
                .send()
                .await
                .ok()?;
            match response.status() {
                StatusCode::CONFLICT => None, // still locked by the dead process
                _ => Some(response),
            }
        },
    )
    .await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    let agent: Value = retried.json().await.unwrap();
    assert_eq!(agent["name"], "Survivor");
    assert_eq!(agent_count(&app).await, 1);
    assert_eq!(get_agent(&app, &agent).await, agent);
    let outcomes: i64 = sql
        .query_one(
            "SELECT count(*) FROM command_outcomes WHERE kind = 'agent.create'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        outcomes, 1,
        "the command was appended twice but decided once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_older_than_24_hours_are_forgotten_and_expired() {
    let app = TestApp::spawn().await;
    let first = app
        .request(Method::POST, "/v1/agents")
        .header("Idempotency-Key", "old-key")
        .json(&json!({"name": "Then"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let sql = app.sql().await;
    sql.execute(
        "UPDATE apistate.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key'",
        &[],
    )
    .await
    .unwrap();
    // Past the retention the key is new again: another body is not a 422.
    let again = app
        .request(Method::POST, "/v1/agents")
        .header("Idempotency-Key", "old-key")
        .json(&json!({"name": "Now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert!(again.headers().get("idempotent-replayed").is_none());

    sql.execute(
        "UPDATE apistate.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key'",
        &[],
    )
    .await
    .unwrap();
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 1).unwrap();
    let client = store.client().await.unwrap();
    assert_eq!(read_store::idempotency::expire(&client).await.unwrap(), 1);
    let left: i64 = sql
        .query_one("SELECT count(*) FROM apistate.idempotency_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// Claims and stored answers made at the same moment share statements (`read_store::batch`):
/// many claims of one key in one statement still give the key to exactly one of them, claims of
/// distinct keys all take theirs, and every answer stored together is replayed as stored.
#[tokio::test(flavor = "multi_thread")]
async fn claims_made_together_give_a_key_to_one_request_and_store_every_answer() {
    use read_store::idempotency::{claim, complete, Answer, Claim, StoredResponse};

    let app = TestApp::spawn().await;
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 4).unwrap();
    let until = chrono::Utc::now() + chrono::Duration::seconds(30);
    for unflushed in [false, true] {
        let one_key = format!("one-key-{unflushed}");
        let claims = futures::future::join_all((0..8).map(|_| {
            claim(
                &store,
                app.tenant,
                &one_key,
                "same request",
                until,
                unflushed,
            )
        }))
        .await;
        let owners = claims
            .iter()
            .filter(|claim| matches!(claim, Ok(Claim::Owned { .. })))
            .count();
        assert_eq!(owners, 1, "{claims:?}");
        assert!(
            claims
                .iter()
                .all(|claim| matches!(claim, Ok(Claim::Owned { .. } | Claim::InFlight))),
            "{claims:?}"
        );

        let keys: Vec<String> = (0..8).map(|i| format!("key-{unflushed}-{i}")).collect();
        let claims = futures::future::join_all(
            keys.iter()
                .map(|key| claim(&store, app.tenant, key, key, until, unflushed)),
        )
        .await;
        let first_uses: Vec<_> = claims
            .iter()
            .map(|claim| match claim {
                Ok(Claim::Owned { first_seen }) => *first_seen,
                other => panic!("{other:?}"),
            })
            .collect();
        let answers: Vec<StoredResponse> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| StoredResponse {
                status: 200 + i as u16,
                headers: vec![("location".into(), format!("/v1/agents/{key}"))],
                body: key.as_bytes().to_vec(),
            })
            .collect();
        let together: Vec<Answer> = keys
            .iter()
            .zip(&answers)
            .zip(first_uses)
            .map(|((key, answer), first_seen)| Answer {
                tenant: app.tenant,
                key: key.clone(),
                fingerprint: key.clone(),
                first_seen,
                response: answer.clone(),
            })
            .collect();
        complete(&store.client().await.unwrap(), &together)
            .await
            .unwrap();
        for (key, answer) in keys.iter().zip(answers) {
            let replayed = claim(&store, app.tenant, key, key, until, unflushed)
                .await
                .unwrap();
            assert_eq!(replayed, Claim::Completed(answer), "{key}");
        }
    }
}

/// An answer is stored as it goes out, not before: a request with the key in between waits
/// for it and gets the replay. A key whose request is still running is in flight once that
/// wait is over.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_answered_while_its_answer_is_being_stored_is_replayed_not_in_flight() {
    use read_store::idempotency::{claim, complete, Answer, Claim, StoredResponse, ANSWER_GRACE};

    let app = TestApp::spawn().await;
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 4).unwrap();
    let until = chrono::Utc::now() + chrono::Duration::seconds(30);
    let first = claim(&store, app.tenant, "storing", "req", until, true).await;
    let Ok(Claim::Owned { first_seen }) = first else {
        panic!("{first:?}");
    };
    let answer = StoredResponse {
        status: 201,
        headers: vec![("location".into(), "/v1/agents/agent_x".into())],
        body: b"{}".to_vec(),
    };
    let storing = {
        let (store, answer) = (store.clone(), answer.clone());
        async move {
            tokio::time::sleep(ANSWER_GRACE / 4).await;
            let answer = Answer {
                tenant: app.tenant,
                key: "storing".into(),
                fingerprint: "req".into(),
                first_seen,
                response: answer,
            };
            complete(&store.client().await.unwrap(), &[answer]).await
        }
    };
    let (again, stored) = tokio::join!(
        claim(&store, app.tenant, "storing", "req", until, true),
        storing
    );
    stored.unwrap();
    assert_eq!(again.unwrap(), Claim::Completed(answer));

    let running = claim(&store, app.tenant, "running", "req", until, true).await;
    assert!(matches!(running, Ok(Claim::Owned { .. })), "{running:?}");
    let started = std::time::Instant::now();
    let again = claim(&store, app.tenant, "running", "req", until, true).await;
    assert_eq!(again.unwrap(), Claim::InFlight);
    assert!(started.elapsed() >= ANSWER_GRACE);
}

/// Through HTTP: the same request sent again as soon as its answer arrives is a replay every
/// time, never a 409 (the answer is stored after the response goes out).
#[tokio::test(flavor = "multi_thread")]
async fn the_same_request_right_after_its_answer_is_replayed() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let send = || {
            app.request(Method::POST, "/v1/agents")
                .header("Idempotency-Key", format!("again-{i}"))
                .json(&json!({"name": format!("Again {i}")}))
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        let again = send().await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED, "attempt {i}");
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first);
    }
    assert_eq!(agent_count(&app).await, 20);
}

/// The answers of idempotent requests are stored after their responses went out, gathered
/// (`api::kept_answers`): a process stopped by SIGTERM right after answering stores them all
/// before it exits, and the same requests sent again are replays. The answers are usually
/// written before the signal arrives, so this passes with a writer that drops what is queued
/// at the stop too: `the_answer_writer_stores_everything_queued_before_it_stops` pins that.
#[tokio::test(flavor = "multi_thread")]
async fn a_stop_right_after_the_answers_went_out_keeps_every_one() {
    let app = TestApp::spawn().await;
    let (mut api, base) = api_process(&app, &[]).await;
    let post = |n: usize| {
        app.request_to(&base, &app.key, Method::POST, "/v1/agents")
            .header("Idempotency-Key", format!("stop-{n}"))
            .json(&json!({"name": format!("kept-{n}")}))
            .send()
    };
    let answers = futures::future::join_all((0..40).map(post)).await;
    let stop = tokio::process::Command::new("kill")
        .args(["-TERM", &api.id().unwrap().to_string()])
        .status();
    let stop = stop.await.unwrap();
    assert!(stop.success());
    let mut first = Vec::new();
    for answer in answers {
        let answer = answer.unwrap();
        assert_eq!(answer.status(), StatusCode::CREATED);
        first.push(answer.json::<Value>().await.unwrap());
    }
    let exit = tokio::time::timeout(Duration::from_secs(30), api.wait())
        .await
        .expect("the API stops")
        .unwrap();
    assert!(exit.success(), "the API exits cleanly: {exit}");

    let sql = app.sql().await;
    let stored: i64 = sql
        .query_one(
            "SELECT count(*) FROM apistate.idempotency_keys
             WHERE key LIKE 'stop-%' AND response_status = 201 AND locked_until IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored, 40,
        "every answer sent was stored before the process exited"
    );
    for (n, agent) in first.iter().enumerate() {
        let again = app
            .request(Method::POST, "/v1/agents")
            .header("Idempotency-Key", format!("stop-{n}"))
            .json(&json!({"name": format!("kept-{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(
            again
                .headers()
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true"),
            "request {n} sent again is a replay"
        );
        assert_eq!(&again.json::<Value>().await.unwrap(), agent);
    }
    assert_eq!(agent_count(&app).await, 40);
}

/// More answers than one statement stores, queued just before the writer is told to stop: it
/// stores every one, over as many statements as they take, before it ends.
#[tokio::test(flavor = "multi_thread")]
async fn the_answer_writer_stores_everything_queued_before_it_stops() {
    use api::kept_answers::KeptAnswers;
    use read_store::idempotency::{Answer, StoredResponse};

    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    let first_seen = read_store::idempotency::first_use_now();
    sql.execute(
        "INSERT INTO apistate.idempotency_keys (tenant_id, key, fingerprint, created_at, locked_until)
         SELECT $1, 'queued-' || n, 'f', $2, now() + interval '1 minute'
         FROM generate_series(0, 599) AS n",
        &[&app.tenant.to_string(), &first_seen],
    )
    .await
    .unwrap();
    let store = read_store::Store::connect(&app.db.url, read_store::READ_MODEL_SCHEMA, 1).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let (answers, writer) = KeptAnswers::start(store, stop.clone());
    for n in 0..600 {
        answers.keep(Answer {
            tenant: app.tenant,
            key: format!("queued-{n}"),
            fingerprint: "f".into(),
            first_seen,
            response: StoredResponse {
                status: 201,
                headers: vec![("content-type".into(), "application/json".into())],
                body: format!("{{\"n\":{n}}}").into_bytes(),
            },
        });
    }
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("the writer ends")
        .unwrap();
    let stored: i64 = sql
        .query_one(
            "SELECT count(*) FROM apistate.idempotency_keys
             WHERE key LIKE 'queued-%' AND response_status = 201 AND locked_until IS NULL
               AND convert_from(response_body, 'UTF8') = '{\"n\":' || substr(key, 8) || '}'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 600);
}
