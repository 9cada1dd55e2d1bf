use std::time::Duration;

use chrono::{Timelike, Utc};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use schema::tenant::Plan;
use testkit::TestApp;

/// Waits, if needed, so that the next few seconds stay inside one UTC minute: the limits use
/// fixed windows, and a test straddling a boundary would see two of them.
pub(crate) async fn stay_inside_one_minute() {
    let second = Utc::now().second();
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foundation_tenant_gets_exactly_30_of_35_requests_in_a_minute_across_two_api_processes() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let (_, key) = app.create_tenant(Plan::Foundation).await;
    stay_inside_one_minute().await;
    let requests = (0..35).map(|i| {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second_api.clone()
        };
        let request = app.request_to(&base, &key, Method::GET, "/v1/agents");
        async move { request.send().await.unwrap() }
    });
    let responses = futures::future::join_all(requests).await;
    let ok = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let limited: Vec<_> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!((ok, limited.len()), (30, 5));
    for response in &limited {
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert_eq!(response.headers()["x-ratelimit-limit"], "30");
        assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    }
    let remaining: Vec<i64> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .map(|r| {
            r.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let mut sorted = remaining.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..30).collect::<Vec<i64>>(),
        "each allowed request took one distinct slot"
    );
    let limited_body: serde_json::Value = app
        .request_to(&second_api, &key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limited_body["error"]["code"], "RATE_LIMITED");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_authenticated_response_describes_the_window_with_fewer_requests_left() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/v1/agents").send().await.unwrap();
    // Enterprise: 600/minute and 50,000/hour; after one request the minute has fewer left.
    assert_eq!(response.headers()["x-ratelimit-limit"], "600");
    let remaining: i64 = response.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining < 600);
    let reset: i64 = response.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = Utc::now().timestamp();
    assert!(reset > now && reset <= now + 61, "{reset} vs {now}");
    // Unauthenticated answers carry none.
    let anonymous = app
        .http
        .get(format!("{}/v1/agents", app.base))
        .send()
        .await
        .unwrap();
    assert!(anonymous.headers().get("x-ratelimit-limit").is_none());
}

/// With larger limits each process leases several slots at a time: two processes together
/// still never let more than the limit through, and leave little of it unused.
#[tokio::test(flavor = "multi_thread")]
async fn leased_slots_never_let_more_than_the_limit_through_across_two_processes() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let (_, key) = app
        .create_tenant_with_limits(Plan::Operational, Some(100), None)
        .await;
    stay_inside_one_minute().await;
    let mut ok = 0;
    for round in 0..13 {
        let requests = (0..10).map(|i| {
            let base = if (round + i) % 2 == 0 {
                app.base.clone()
            } else {
                second_api.clone()
            };
            let request = app.request_to(&base, &key, Method::GET, "/v1/agents");
            async move { request.send().await.unwrap().status() }
        });
        ok += futures::future::join_all(requests)
            .await
            .iter()
            .filter(|s| **s == StatusCode::OK)
            .count();
    }
    eprintln!("{ok} of 130 requests got through a limit of 100");
    assert!(ok <= 100, "{ok} requests got through a limit of 100");
    assert!(
        ok >= 94,
        "only {ok} of 100 slots were used (leases stranded too many)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_first_requests_far_below_the_limit_is_not_refused() {
    // 100 requests at once against 600/minute: each used to lease its own share of the
    // window (100 × 18 slots > 600) and the last ones got 429.
    let app = TestApp::spawn().await;
    let (_, key) = app.create_tenant(Plan::Enterprise).await;
    stay_inside_one_minute().await;
    let requests = (0..100).map(|_| {
        let request = app.request_to(&app.base, &key, Method::GET, "/v1/agents");
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
}

/// A busy tenant's next lease is taken while its process still holds slots: with the tenant's
/// counters locked by another transaction (so that any lease now waits), requests are still
/// answered at once from the slots taken ahead. The counters granted every slot spent and
/// never more than the limit.
#[tokio::test(flavor = "multi_thread")]
async fn a_busy_tenants_next_lease_is_taken_before_its_slots_run_out() {
    let app = TestApp::spawn().await;
    // 3,200 a minute: leases of 1/32 of what is left, about 100 slots.
    let (tenant, key) = app
        .create_tenant_with_limits(Plan::Operational, Some(3_200), Some(1_000_000))
        .await;
    stay_inside_one_minute().await;
    let get = |count: usize| {
        let requests = (0..count).map(|_| {
            let request = app
                .request_to(&app.base, &key, Method::GET, "/v1/models")
                .timeout(Duration::from_secs(5));
            async move { request.send().await.map(|r| r.status()) }
        });
        futures::stream::iter(requests)
            .buffer_unordered(8)
            .collect::<Vec<_>>()
    };
    let sql = app.sql().await;
    let counted = || async {
        sql.query_opt(
            "SELECT minute_count FROM apistate.rate_limits WHERE tenant_id = $1",
            &[&tenant.to_string()],
        )
        .await
        .unwrap()
        .map_or(0, |row| row.get::<_, i32>(0))
    };
    // The first request leases ~100 slots; spending 60 of them leaves less than half a lease
    // held, and the next lease is taken in the background.
    for status in get(61).await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let first_lease = 100;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while counted().await <= first_lease {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no lease was taken ahead: {} slots counted",
            counted().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let held = counted().await - 61;
    assert!(held >= 100, "{held} slots held after the lease taken ahead");

    // Any lease from now waits for this transaction's lock on the counters.
    let mut locker = app.sql().await;
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM apistate.rate_limits WHERE tenant_id = $1 FOR UPDATE",
        &[&tenant.to_string()],
    )
    .await
    .unwrap();
    let answered = get(100).await;
    assert!(
        answered
            .iter()
            .all(|status| matches!(status, Ok(StatusCode::OK))),
        "requests within the held slots waited for a lease: {answered:?}"
    );
    lock.rollback().await.unwrap();

    for status in get(50).await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    // The headers count every request once, the slots held ahead not among them.
    let last = app
        .request_to(&app.base, &key, Method::GET, "/v1/models")
        .send()
        .await
        .unwrap();
    assert_eq!(last.headers()["x-ratelimit-limit"], "3200");
    assert_eq!(
        last.headers()["x-ratelimit-remaining"],
        (3_200 - 212).to_string().as_str()
    );
    let counted = counted().await;
    assert!(
        (212..=3_200).contains(&counted),
        "{counted} slots counted for 212 requests"
    );
}

/// The windows are Postgres's, and a lease never takes a tenant's counters back to an earlier
/// one: here the row counts in the minute after the current one (as a process on a host whose
/// clock runs ahead would have left it under the old scheme), and a request counts on in it —
/// before, the API's own clock set the row back to the current minute, starting it again from
/// zero.
#[tokio::test(flavor = "multi_thread")]
async fn a_lease_never_sets_the_counters_back_to_an_earlier_window() {
    let app = TestApp::spawn().await;
    let (tenant, key) = app.create_tenant(Plan::Foundation).await;
    let sql = app.sql().await;
    let first = app
        .request_to(&app.base, &key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    // Foundation leases one slot at a time (30/minute): the next request leases again.
    let ahead: chrono::DateTime<Utc> = sql
        .query_one(
            "UPDATE apistate.rate_limits
             SET minute_start = date_trunc('minute', now(), 'UTC') + interval '1 minute',
                 minute_count = 10
             WHERE tenant_id = $1 RETURNING minute_start",
            &[&tenant.to_string()],
        )
        .await
        .unwrap()
        .get(0);

    let second = app
        .request_to(&app.base, &key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(second.headers()["x-ratelimit-remaining"], "19");
    let reset = (ahead + chrono::Duration::minutes(1))
        .timestamp()
        .to_string();
    assert_eq!(second.headers()["x-ratelimit-reset"], reset.as_str());
    let row = sql
        .query_one(
            "SELECT minute_start, minute_count FROM apistate.rate_limits WHERE tenant_id = $1",
            &[&tenant.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, chrono::DateTime<Utc>>(0), row.get::<_, i32>(1)),
        (ahead, 11)
    );
}
