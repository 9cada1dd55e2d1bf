//! The projector's transaction sends `BEGIN` with its first statements and `COMMIT` with its
//! last ones; a batch must still be all or nothing, and a connection must go back to the pool
//! with no transaction open, whatever failed.

use read_store::projection::{execute_all, End, PipelinedTransaction, Statement};
use read_store::store::Store;
use read_store::StoreError;
use testkit::postgres::TestDatabase;

const INSERT: &str = "INSERT INTO pipelined (v) VALUES ($1)";

/// A database with one table and a store of one connection, so that every transaction of a
/// test runs on the connection the one before it left.
async fn one_connection() -> (TestDatabase, Store) {
    let db = TestDatabase::create().await;
    let store = Store::connect(&db.url, "public", 1).unwrap();
    store
        .client()
        .await
        .unwrap()
        .batch_execute("CREATE TABLE pipelined (v text PRIMARY KEY)")
        .await
        .unwrap();
    (db, store)
}

fn insert(value: impl postgres_types::ToSql + Sync + Send + 'static) -> Statement {
    Statement::new(INSERT, vec![Box::new(value)])
}

async fn rows(store: &Store) -> Vec<String> {
    let client = store.client().await.unwrap();
    let rows = client
        .query("SELECT v FROM pipelined ORDER BY v", &[])
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

/// Runs `statements` in a transaction of their own, ended as `end` says.
async fn run(store: &Store, statements: &[Statement], end: End) -> Result<(), StoreError> {
    let tx = PipelinedTransaction::new(store.client().await?);
    tx.begin_then(async { Ok(()) }).await?;
    execute_all(&tx, statements, end).await.map(drop)
}

#[tokio::test]
async fn statements_and_their_commit_in_one_round_trip_are_committed() {
    let (_db, store) = one_connection().await;
    run(&store, &[insert("a"), insert("b")], End::Commit)
        .await
        .unwrap();
    assert_eq!(rows(&store).await, ["a", "b"]);
}

/// A parameter that cannot be encoded fails its statement before it is sent; the statements
/// after it must not be sent with a `COMMIT` behind them.
#[tokio::test]
async fn a_statement_that_cannot_be_sent_leaves_nothing_committed() {
    let (_db, store) = one_connection().await;
    let error = run(
        &store,
        &[insert("a"), insert(5_i32), insert("b")],
        End::Commit,
    )
    .await
    .unwrap_err();
    assert_eq!(error.sqlstate(), None, "{error}");
    assert!(rows(&store).await.is_empty());
    // The connection is not left inside the transaction: the next one commits on its own.
    run(&store, &[insert("c")], End::Commit).await.unwrap();
    assert_eq!(rows(&store).await, ["c"]);
}

/// A statement the server fails aborts the transaction; the `COMMIT` already sent behind it
/// rolls back, and the caller meets the statement's own error (a unique violation, which the
/// projector isolates), not the "transaction is aborted" of the statements after it.
#[tokio::test]
async fn a_statement_the_server_fails_rolls_the_whole_transaction_back() {
    let (_db, store) = one_connection().await;
    let error = run(
        &store,
        &[insert("a"), insert("a"), insert("b")],
        End::Commit,
    )
    .await
    .unwrap_err();
    assert_eq!(error.sqlstate(), Some("23505"), "{error}");
    assert!(error.is_deterministic());
    assert!(rows(&store).await.is_empty());
    run(&store, &[insert("c")], End::Commit).await.unwrap();
    assert_eq!(rows(&store).await, ["c"]);
}

#[tokio::test]
async fn a_trial_is_rolled_back_in_the_same_round_trip() {
    let (_db, store) = one_connection().await;
    run(&store, &[insert("a")], End::Rollback).await.unwrap();
    assert!(rows(&store).await.is_empty());
}

/// A transaction dropped open (an error in between, or its future dropped) is rolled back
/// before the pool hands its connection out again: the next user's `COMMIT` must not commit
/// what the dropped one wrote.
#[tokio::test]
async fn a_transaction_dropped_open_is_rolled_back_before_its_connection_is_used_again() {
    let (_db, store) = one_connection().await;
    {
        let tx = PipelinedTransaction::new(store.client().await.unwrap());
        tx.begin_then(async { Ok(()) }).await.unwrap();
        execute_all(&tx, &[insert("a")], End::Open).await.unwrap();
    }
    run(&store, &[insert("b")], End::Commit).await.unwrap();
    assert_eq!(rows(&store).await, ["b"]);
    // And the dropped one is not still open on the connection.
    let client = store.client().await.unwrap();
    let open: bool = client
        .query_one("SELECT txid_current_if_assigned() IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!open);
}
