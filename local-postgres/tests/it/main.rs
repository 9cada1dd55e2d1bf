//! The private server end to end: real binaries, a real data directory, real restarts.

use std::path::Path;

use local_postgres::LocalPostgres;
use tokio_postgres::{Client, NoTls};

/// A temporary data dir the `postgres` system user can reach when the tests run as root,
/// whatever the umask.
fn data_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

async fn start(dir: &Path) -> LocalPostgres {
    LocalPostgres::start(dir)
        .await
        .unwrap_or_else(|e| panic!("start private postgres: {e}"))
}

#[tokio::test]
async fn a_started_server_answers_and_keeps_its_data_across_restarts() {
    let dir = data_dir();

    let server = start(dir.path()).await;
    let url = server.url();
    assert!(
        url.starts_with("postgres://postgres@127.0.0.1:") && url.ends_with("/agenfleet"),
        "{url}"
    );
    let client = connect(&url).await;
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    client
        .batch_execute("CREATE TABLE survivors (name text); INSERT INTO survivors VALUES ('kept')")
        .await
        .unwrap();
    drop(client);
    server.stop().await.expect("stop");

    let server = start(dir.path()).await;
    let client = connect(&server.url()).await;
    let name: String = client
        .query_one("SELECT name FROM survivors", &[])
        .await
        .expect("table survives a restart")
        .get(0);
    assert_eq!(name, "kept");
    drop(client);
    server.stop().await.expect("stop again");
}

/// `stop` lets clients that are closing finish (no "terminating connection" for a pool just
/// dropped), but a client that stays connected does not keep the server up: after the grace
/// its session is ended.
#[tokio::test]
async fn a_client_left_connected_does_not_keep_the_server_from_stopping() {
    let dir = data_dir();
    let server = start(dir.path()).await;
    let client = connect(&server.url()).await;
    client.query_one("SELECT 1", &[]).await.unwrap();
    server.stop().await.expect("stop with a client connected");
    assert!(
        client.query_one("SELECT 1", &[]).await.is_err(),
        "the client's session was ended"
    );
}

#[tokio::test]
async fn a_stale_lock_file_from_a_crashed_run_does_not_prevent_start() {
    let dir = data_dir();
    let server = start(dir.path()).await;
    let pgdata = server.pgdata().to_owned();
    server.stop().await.unwrap();

    // A crash leaves postmaster.pid behind; after a reboot its pid may belong to any live
    // process — here, an unrelated `sleep`.
    let mut unrelated = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let lock = format!(
        "{}\n{}\n0\n1\n\n127.0.0.1\n0 0\nready\n",
        unrelated.id(),
        pgdata.display()
    );
    std::fs::write(pgdata.join("postmaster.pid"), lock).unwrap();

    let server = LocalPostgres::start(dir.path()).await;
    let _ = unrelated.kill();
    let _ = unrelated.wait();
    let server = server.unwrap_or_else(|e| panic!("start over a stale lock file: {e}"));
    let client = connect(&server.url()).await;
    client.query_one("SELECT 1", &[]).await.unwrap();
    drop(client);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_server_left_running_is_reused() {
    let dir = data_dir();
    let first = start(dir.path()).await;
    let port = first.port();
    // A crash: the process goes away without stopping its server.
    std::mem::forget(first);

    let second = start(dir.path()).await;
    assert_eq!(second.port(), port);
    connect(&second.url())
        .await
        .query_one("SELECT 1", &[])
        .await
        .unwrap();
    second.stop().await.unwrap();
}

#[tokio::test]
async fn as_root_a_data_dir_the_postgres_user_cannot_reach_is_reported() {
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return; // Only root hands the server to another user.
    }
    use std::os::unix::fs::PermissionsExt;
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = match LocalPostgres::start(&private.path().join("data")).await {
        Ok(_) => panic!("started in a directory the postgres user cannot reach"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("`postgres` system user cannot reach"), "{err}");
}
