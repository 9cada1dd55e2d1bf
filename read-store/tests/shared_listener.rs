//! Several roles' channels heard on one LISTEN connection (`read_store::listener::Shared`, what
//! `agenfleet dev` does for its API, dispatcher and scheduler).

use std::time::Duration;

use read_store::listener::Shared;
use testkit::postgres::TestDatabase;
use tokio::sync::mpsc;
use tokio_postgres::NoTls;

/// Each handler hears its own channels and no other, in the order sent, and the database sees
/// one listening connection for all of them.
#[tokio::test(flavor = "multi_thread")]
async fn each_role_hears_its_own_channels_on_one_connection() {
    let db = TestDatabase::create().await;
    let (sql, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);

    let (api_tx, mut api) = mpsc::unbounded_channel::<String>();
    let (jobs_tx, mut jobs) = mpsc::unbounded_channel::<String>();
    let mut listener = Shared::default();
    listener.on(&["t_decided", "t_applied"], move |channel, payload| {
        let _ = api_tx.send(format!("{channel} {payload}"));
    });
    listener.on(&["t_jobs", "t_applied"], move |channel, payload| {
        let _ = jobs_tx.send(format!("{channel} {payload}"));
    });
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.listen(db.url.clone(), async {
        let _ = stopped.await;
    }));

    // Listening once a probe comes back.
    let listening = async {
        loop {
            sql.batch_execute("SELECT pg_notify('t_jobs', 'probe')")
                .await
                .unwrap();
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(100), jobs.recv()).await
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .expect("the listener to start");
    while jobs.try_recv().is_ok() {}

    let listening: i64 = sql
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN %'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(listening, 1, "listening connections");

    sql.batch_execute(
        "SELECT pg_notify('t_decided', '1'); SELECT pg_notify('t_jobs', '2');
         SELECT pg_notify('t_applied', '3'); SELECT pg_notify('t_other', '4');",
    )
    .await
    .unwrap();
    assert_eq!(next(&mut api).await, "t_decided 1");
    assert_eq!(next(&mut api).await, "t_applied 3");
    assert_eq!(next(&mut jobs).await, "t_jobs 2");
    assert_eq!(next(&mut jobs).await, "t_applied 3");
    // Nothing else: `t_other` is nobody's.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(api.try_recv().is_err() && jobs.try_recv().is_err());
}

async fn next(receiver: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(5), receiver.recv())
        .await
        .expect("a notification")
        .unwrap()
}
