//! The pools hand out working connections after some closed behind their back, without a
//! warning for each: connections made on an actix worker's runtime end with it when the server
//! stops, and the last writes after that (the key-usage flush) take connections from the same
//! pools.

use read_store::store::Store;
use testkit::logs::CapturedLogs;
use testkit::postgres::TestDatabase;

async fn backend(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn connections_whose_runtime_stopped_are_replaced_without_a_warning() {
    let db = TestDatabase::create().await;
    let store = Store::connect(&db.url, "public", 2).unwrap();
    // One connection of each pool made on a runtime of its own, which then stops.
    let (main_before, lookup_before) = testkit::runtime::on_a_runtime_that_stops(|| async {
        let main = store.client().await.unwrap();
        let lookup = store.lookup_client().await.unwrap();
        (backend(&main).await, backend(&lookup).await)
    });

    let logs = CapturedLogs::start();
    let main = store.client().await.unwrap();
    let lookup = store.lookup_client().await.unwrap();
    assert_ne!(backend(&main).await, main_before, "a new connection");
    assert_ne!(backend(&lookup).await, lookup_before, "a new connection");
    let logged = logs.text();
    assert!(
        logged.contains("closed") && !logged.contains("WARN") && !logged.contains("ERROR"),
        "the closed connections are dropped quietly:\n{logged}"
    );
}
