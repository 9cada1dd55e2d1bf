//! The classification and description of errors a real Postgres sends.

use tokio_postgres::NoTls;

/// The test server of `scripts/test` (testkit is not used: it depends on this crate's users).
async fn connect() -> tokio_postgres::Client {
    let url = std::env::var("AGENFLEET_TEST_DATABASE_URL").expect(
        "AGENFLEET_TEST_DATABASE_URL is not set: run scripts/test, or eval \"$(scripts/test-services)\"",
    );
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .expect("the test Postgres");
    tokio::spawn(connection);
    client
}

/// A wrong statement is not unavailability, and its description names the SQLSTATE and what
/// is wrong (tokio_postgres alone says `db error`).
#[tokio::test]
async fn a_statement_error_is_described_and_not_unavailable() {
    let client = connect().await;
    let error = client
        .simple_query("SELECT * FROM no_such_table_here")
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "db error");
    assert!(!db_errors::is_unavailable(&error));
    let text = db_errors::describe(&error);
    assert!(
        text.contains("42P01") && text.contains("no_such_table_here"),
        "{text}"
    );
}

/// A connection an administrator ends (57P01, as in a shutdown or failover) is unavailability,
/// and so is every use of the closed connection afterwards.
#[tokio::test]
async fn a_terminated_connection_is_unavailable() {
    let client = connect().await;
    let error = client
        .simple_query("SELECT pg_terminate_backend(pg_backend_pid())")
        .await
        .unwrap_err();
    assert!(db_errors::is_unavailable(&error), "{error:?}");
    assert!(db_errors::describe(&error).contains("57P01"), "{error:?}");
    let after = client.simple_query("SELECT 1").await.unwrap_err();
    assert!(db_errors::is_unavailable(&after), "{after:?}");
    assert!(!db_errors::describe(&after).is_empty());
}

/// A server that is not there: unavailable, described with the OS's reason.
#[tokio::test]
async fn a_refused_connection_is_unavailable_and_says_why() {
    let error = tokio_postgres::connect("postgres://postgres@127.0.0.1:1/postgres", NoTls)
        .await
        .err()
        .expect("nothing listens on port 1");
    assert!(db_errors::is_unavailable(&error));
    let text = db_errors::describe(&error);
    assert!(text.to_lowercase().contains("refused"), "{text}");
}
