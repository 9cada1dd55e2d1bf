//! Lookups asked for together share queries, each caller gets its own key's row, and a query
//! that fails or whose runtime stops leaves its callers to run their lookups alone rather
//! than wait: only the caller whose key makes a query fail gets the error.

use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use read_store::batch::{Batcher, Lookup, IN_FLIGHT};
use read_store::StoreError;
use testkit::postgres::TestDatabase;

/// The keys of every query run, in order (tests share the process: each looks at its own keys).
static QUERIES: Mutex<Vec<Vec<i64>>> = Mutex::new(Vec::new());

/// Looks numbers up in Postgres: a key's row is the key times ten; negative keys have none.
/// Keys from 1,000,000 make the query sleep that many microseconds beyond a million; a key of
/// 999 makes it fail.
struct Numbers;

impl Lookup for Numbers {
    type Key = i64;
    type Row = i64;

    async fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[i64],
    ) -> Result<Vec<(usize, i64)>, StoreError> {
        QUERIES.lock().unwrap().push(keys.to_vec());
        let sleep = keys
            .iter()
            .map(|key| (key - 1_000_000).max(0))
            .max()
            .unwrap_or(0) as f64
            / 1e6;
        let rows = client
            .query(
                "SELECT (w.n - 1)::bigint, CASE WHEN w.k = 999 THEN 1 / (w.k - 999) ELSE w.k * 10 END::bigint
                 FROM unnest($1::bigint[]) WITH ORDINALITY AS w(k, n), pg_sleep($2::float8)
                 WHERE w.k >= 0",
                &[&keys, &sleep],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| (row.get::<_, i64>(0) as usize, row.get(1)))
            .collect())
    }
}

fn pool(url: &str) -> Pool {
    let config: tokio_postgres::Config = url.parse().unwrap();
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager).max_size(4).build().unwrap()
}

/// The queries run with exactly `keys`.
fn queries_of(keys: &[i64]) -> usize {
    QUERIES
        .lock()
        .unwrap()
        .iter()
        .filter(|query| query.as_slice() == keys)
        .count()
}

#[tokio::test]
async fn lookups_asked_for_while_queries_run_share_the_next_one() {
    let db = TestDatabase::create().await;
    let batcher = Batcher::<Numbers>::new(pool(&db.url));
    // Slow queries take every place, then 200 lookups (a few of them twice, some missing)
    // queue behind them.
    let slow: Vec<_> = (0..IN_FLIGHT as i64)
        .map(|i| {
            let batcher = batcher.clone();
            tokio::spawn(async move { batcher.get(1_300_000 + i).await.unwrap() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let keys: Vec<i64> = (10_000..10_200)
        .flat_map(|key| match key {
            10_001 | 10_002 => vec![key, key],
            _ if key % 50 == 0 => vec![-key],
            _ => vec![key],
        })
        .collect();
    let lookups: Vec<_> = keys
        .iter()
        .map(|&key| {
            let batcher = batcher.clone();
            tokio::spawn(async move { (key, batcher.get(key).await.unwrap()) })
        })
        .collect();
    for (i, lookup) in slow.into_iter().enumerate() {
        assert_eq!(lookup.await.unwrap(), Some((1_300_000 + i as i64) * 10));
    }
    for lookup in lookups {
        let (key, row) = lookup.await.unwrap();
        assert_eq!(row, (key >= 0).then_some(key * 10), "key {key}");
    }

    let queries: Vec<Vec<i64>> = QUERIES
        .lock()
        .unwrap()
        .iter()
        .filter(|keys| {
            keys.iter()
                .any(|key| key.abs() >= 10_000 && key.abs() < 10_200)
        })
        .cloned()
        .collect();
    let looked_up: usize = queries.iter().map(Vec::len).sum();
    assert_eq!(
        looked_up, 200,
        "a key asked for twice in one query is looked up once: {queries:?}"
    );
    assert!(
        queries.len() <= 4,
        "202 lookups queued behind running queries share a few: {queries:?}"
    );
}

#[tokio::test]
async fn a_lookup_alone_runs_at_once() {
    let db = TestDatabase::create().await;
    let batcher = Batcher::<Numbers>::new(pool(&db.url));
    for key in [20_000, -20_001, 20_002] {
        let answer = tokio::time::timeout(Duration::from_secs(5), batcher.get(key))
            .await
            .expect("answered");
        assert_eq!(answer.unwrap(), (key >= 0).then_some(key * 10));
    }
}

#[tokio::test]
async fn only_the_lookup_that_fails_a_shared_query_gets_the_error() {
    let db = TestDatabase::create().await;
    let batcher = Batcher::<Numbers>::new(pool(&db.url));
    let slow: Vec<_> = (0..IN_FLIGHT as i64)
        .map(|i| {
            let batcher = batcher.clone();
            tokio::spawn(async move { batcher.get(1_300_000 + i).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Queued together behind the slow queries: the one that fails fails their shared query.
    let queued: Vec<_> = [30_000, 999, 30_001]
        .into_iter()
        .map(|key| {
            let batcher = batcher.clone();
            tokio::spawn(async move { (key, batcher.get(key).await) })
        })
        .collect();
    for lookup in slow {
        assert!(lookup.await.unwrap().unwrap().is_some());
    }
    for lookup in queued {
        match lookup.await.unwrap() {
            (999, answer) => {
                let error = answer.expect_err("the failing key's own lookup fails");
                assert_eq!(error.sqlstate(), Some("22012"), "division by zero: {error}");
            }
            (key, answer) => assert_eq!(answer.unwrap(), Some(key * 10)),
        }
    }
    assert_eq!(queries_of(&[30_000, 999, 30_001]), 1, "shared, and failed");
    for key in [30_000, 999, 30_001] {
        assert_eq!(queries_of(&[key]), 1, "then {key} alone");
    }
    // The failure is not kept: the next lookups are answered.
    assert_eq!(batcher.get(30_002).await.unwrap(), Some(300_020));
}

#[tokio::test]
async fn lookups_queued_when_the_runtime_of_the_queries_stops_are_run_alone() {
    let db = TestDatabase::create().await;
    let pool = pool(&db.url);
    // The pool's connections are made, and driven, on this runtime: the one stopped below
    // takes the queries' tasks with it, not the connections the lookup run alone then uses.
    let connections = futures::future::try_join_all((0..4).map(|_| pool.get()))
        .await
        .unwrap();
    drop(connections);
    let batcher = Batcher::<Numbers>::new(pool);
    // Slow queries started on a runtime of their own, which is dropped while they run.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for i in 0..IN_FLIGHT as i64 {
        let batcher = batcher.clone();
        runtime.spawn(async move { batcher.get(1_900_000 + i).await });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued = {
        let batcher = batcher.clone();
        tokio::spawn(async move { batcher.get(40_000).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    runtime.shutdown_background();

    let answer = tokio::time::timeout(Duration::from_secs(5), queued)
        .await
        .expect("the queued lookup is not left waiting")
        .unwrap();
    assert_eq!(answer.unwrap(), Some(400_000));
    assert_eq!(queries_of(&[40_000]), 1, "run alone");
    // Their places are given back: new lookups start queries of their own.
    assert_eq!(batcher.get(40_001).await.unwrap(), Some(400_010));
}
