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

/// Whether the connection is inside a transaction that has written or taken an id.
async fn in_a_transaction(client: &tokio_postgres::Client) -> bool {
    client
        .query_one("SELECT txid_current_if_assigned() IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0)
}

/// (generic, custom) plans this connection has made of the announcement, if it has it prepared.
async fn announcement_plans(client: &tokio_postgres::Client) -> (i64, i64) {
    let plans = client
        .query_opt(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements
             WHERE statement LIKE 'SELECT pg_notify%'",
            &[],
        )
        .await
        .unwrap();
    plans.map_or((0, 0), |plans| (plans.get(0), plans.get(1)))
}

/// A listener on `channels` (among them `agenfleet_applied`) of `db`, once it listens (a
/// notification of its own has come back): what it hears, as "channel payload", and the
/// sender that stops it.
async fn listening(
    db: &TestDatabase,
    channels: Vec<&'static str>,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<String>,
    tokio::sync::oneshot::Sender<()>,
) {
    use std::time::Duration;

    let (sender, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(read_store::listener::listen(
        db.url.clone(),
        channels,
        async {
            let _ = stopped.await;
        },
        move |channel, payload| {
            let _ = sender.send(format!("{channel} {payload}"));
        },
    ));
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let listens = async {
        loop {
            client
                .batch_execute("SELECT pg_notify('agenfleet_applied', 'ping')")
                .await
                .unwrap();
            if let Ok(Some(_)) =
                tokio::time::timeout(Duration::from_millis(100), heard.recv()).await
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), listens)
        .await
        .expect("the listener to start");
    while heard.try_recv().is_ok() {}
    (heard, stop)
}

/// A `checkpoints` table (as the projector's) with partition 3 at `offset`.
async fn checkpoint_of_partition_3(client: &tokio_postgres::Client, offset: i64) {
    client
        .batch_execute(&format!(
            "CREATE TABLE checkpoints (partition integer PRIMARY KEY, \"offset\" bigint NOT NULL, token bigint);
             INSERT INTO checkpoints VALUES (3, {offset})"
        ))
        .await
        .unwrap();
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
    execute_all(&tx, statements, end, &[], true).await.map(drop)
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
        execute_all(&tx, &[insert("a")], End::Open, &[], true)
            .await
            .unwrap();
    }
    run(&store, &[insert("b")], End::Commit).await.unwrap();
    assert_eq!(rows(&store).await, ["b"]);
    // And the dropped one is not still open on the connection.
    let client = store.client().await.unwrap();
    assert!(!in_a_transaction(&client).await);
}

/// A batch's announcement is sent after its `COMMIT`, as a transaction of its own (on a generic
/// plan, closed before the connection goes back to the pool), and only if the commit went
/// through: a batch the server fails sends nothing; one that commits sends
/// its notifications in order (what it decided, the services it wakes, then
/// `partition:offset`).
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_announces_itself_after_its_commit_and_only_if_it_committed() {
    use read_store::projection::{advance, Announcement, APPLIED_CHANNEL, DECIDED_CHANNEL};
    use std::time::Duration;

    let (db, store) = one_connection().await;
    checkpoint_of_partition_3(&store.client().await.unwrap(), 9).await;
    let (mut heard, stop) = listening(
        &db,
        vec![DECIDED_CHANNEL, "agenfleet_deliveries", APPLIED_CHANNEL],
    )
    .await;

    let announcement = Announcement {
        partition: 3,
        offset: 10,
        decided: Some("3 10 10".to_owned()),
        wake: vec!["agenfleet_deliveries"],
    };
    // A batch on the pool's one connection, which it returns with the (generic, custom) plans
    // made of the announcement before it: the pool forgets its prepared statements now and then
    // (`store::plans_again_after`), so only counts taken within one checkout compare.
    let batch = |statements: Vec<Statement>| {
        let store = store.clone();
        let announcement = announcement.clone();
        async move {
            let tx = PipelinedTransaction::new(store.client().await.unwrap());
            let plans = announcement_plans(&tx).await;
            let result = async {
                tx.begin_then(async { Ok(()) }).await?;
                execute_all(&tx, &statements, End::Commit, &[announcement], true).await
            }
            .await;
            (tx, plans, result)
        }
    };
    let (_, _, failed) = batch(vec![advance(&[(3, 10)]), insert("a"), insert("a")]).await;
    assert!(failed.is_err());
    let nothing = tokio::time::timeout(Duration::from_millis(500), heard.recv()).await;
    assert!(
        nothing.is_err(),
        "a batch rolled back announced {nothing:?}"
    );

    let (tx, plans_before, committed) = batch(vec![advance(&[(3, 10)]), insert("a")]).await;
    committed.unwrap();
    let mut said = Vec::new();
    for _ in 0..3 {
        let note = tokio::time::timeout(Duration::from_secs(5), heard.recv())
            .await
            .expect("the announcement")
            .unwrap();
        said.push(note);
    }
    assert_eq!(
        said,
        [
            "agenfleet_decided public 3 10 10",
            "agenfleet_deliveries ",
            "agenfleet_applied 3:10"
        ]
    );
    // The connection is left outside a transaction, and the announcement ran on a generic plan
    // (planned afresh, it cost three times running it).
    assert!(
        !in_a_transaction(&tx).await,
        "the announcement's transaction was left open"
    );
    let plans = announcement_plans(&tx).await;
    assert_eq!(
        (plans.0 - plans_before.0, plans.1 - plans_before.1),
        (1, 0),
        "(generic, custom) plans made of the announcement by the batch that committed"
    );
    let _ = stop.send(());
}

/// The statements after a failed one are failed by the server too ("current transaction is
/// aborted", SQLSTATE 25P02), and their answers follow its answer at once: one can be ready
/// while the futures before it are still being polled. The error returned must still be the
/// failed statement's own — the projector passes a record over only for an error its data
/// causes, and 25P02 is not one — however the answers and the polls interleave (threads of a
/// busy machine; before the fix, one or two transactions in a thousand reported a 25P02).
/// A committed batch is done once its `COMMIT` is answered: its announcement, sent behind it,
/// is answered in the background (the partition's next batch does not wait for it), still
/// delivered, and its connection goes back to the pool only once it is over. Here the
/// announcement is held up by a lock on `checkpoints`, which it reads.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_done_at_its_commit_while_its_announcement_is_still_under_way() {
    use read_store::projection::{Announcement, APPLIED_CHANNEL};
    use std::time::Duration;

    let (db, store) = one_connection().await;
    let (other, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    checkpoint_of_partition_3(&other, 10).await;
    let (mut heard, stop) = listening(&db, vec![APPLIED_CHANNEL]).await;

    let batch = |value: &'static str| {
        let store = store.clone();
        async move {
            let tx = PipelinedTransaction::new(store.client().await?);
            tx.begin_then(async { Ok(()) }).await?;
            let announcement = Announcement::new(3, 10, None);
            execute_all(&tx, &[insert(value)], End::Commit, &[announcement], true).await
        }
    };
    // One batch prepares the announcement on the connection (preparing it would wait for the
    // lock too), at its sixth use: a connection forgets its prepared statements after uses 1,
    // 2 and 4 (`store::plans_again_after`), and keeps them after 5 and 6.
    for _ in 0..5 {
        drop(store.client().await.unwrap());
    }
    batch("first").await.unwrap();
    let said = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await;
    assert_eq!(
        said.expect("the first batch's announcement").unwrap(),
        "agenfleet_applied 3:10"
    );

    other
        .batch_execute("BEGIN; LOCK TABLE checkpoints IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), batch("a"))
        .await
        .expect("the batch to be done while its announcement waits for the lock")
        .unwrap();
    let committed: i64 = other
        .query_one("SELECT count(*) FROM pipelined WHERE v = 'a'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(committed, 1, "the batch committed");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), heard.recv())
            .await
            .is_err(),
        "nothing is announced while the announcement waits"
    );
    let handed_out = tokio::time::timeout(Duration::from_millis(300), store.client()).await;
    assert!(
        !matches!(handed_out, Ok(Ok(_))),
        "the connection went back to the pool before its announcement was over"
    );

    other.batch_execute("ROLLBACK").await.unwrap();
    let said = tokio::time::timeout(Duration::from_secs(5), heard.recv())
        .await
        .expect("the announcement once the lock is gone")
        .unwrap();
    assert_eq!(said, "agenfleet_applied 3:10");
    let client = tokio::time::timeout(Duration::from_secs(5), store.client())
        .await
        .expect("the connection back in the pool")
        .unwrap();
    assert!(
        !in_a_transaction(&client).await,
        "the announcement's transaction was left open"
    );
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_of_a_failed_statement_is_its_own_whichever_answer_is_polled_first() {
    let (_db, store) = one_connection().await;
    run(&store, &[insert("taken")], End::Commit).await.unwrap();
    let mut wrong = Vec::new();
    for attempt in 0..2_000 {
        let mut statements = vec![insert(format!("new {attempt}")), insert("taken")];
        statements.extend((0..40).map(|n| insert(format!("after {attempt} {n}"))));
        let error = run(&store, &statements, End::Commit).await.unwrap_err();
        if error.sqlstate() != Some("23505") {
            wrong.push((attempt, error.detail()));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 2,000 wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(3)]
    );
    assert_eq!(rows(&store).await, ["taken"]);
}
