//! A fresh database per test on the server `scripts/test-services` starts, so tests run in
//! parallel without seeing each other's rows.

use tokio_postgres::NoTls;

/// The environment variable naming the administrative connection to the test server.
pub const ADMIN_URL_VAR: &str = "AGENFLEET_TEST_DATABASE_URL";

/// An empty database that belongs to one test.
pub struct TestDatabase {
    pub url: String,
    pub name: String,
}

/// The administrative URL of the test server, with a message that says how to get one.
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{ADMIN_URL_VAR} is not set: run the tests with ./scripts/test, or start Postgres \
             with `eval \"$(scripts/test-services)\"` first"
        )
    })
}

impl TestDatabase {
    /// Creates a database with a unique name on the test server.
    pub async fn create() -> Self {
        Self::create_on(&admin_url(), true).await
    }

    /// Creates a database with a unique name on the server of `admin` (another than the
    /// shared one: see [`crate::pg_server::PgServer`]); `drop_stale`: first drop the test
    /// databases older than [`KEEP_TEST_DATABASES`] there, once per test process.
    pub async fn create_on(admin: &str, drop_stale: bool) -> Self {
        let (client, connection) = tokio_postgres::connect(admin, NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test Postgres at {admin}: {e}"));
        let driver = tokio::spawn(connection);
        if drop_stale {
            STALE_DROPPED
                .get_or_init(|| drop_stale_databases(&client))
                .await;
        }
        let name = format!("t_{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        drop(client);
        let _ = driver.await;
        let url = replace_database(admin, &name);
        Self { url, name }
    }

    /// An outage of this database on the shared test server for `outage`: it refuses new
    /// connections ("not currently accepting connections", SQLSTATE 55000) and the server ends
    /// each of its connections every 50 ms (57P01, as a shutdown or a failover does); then it
    /// is open again. Every user of the database meets it, however quickly pools replace an
    /// ended connection.
    pub async fn refuse_connections_for(&self, outage: std::time::Duration) {
        let (admin, connection) = tokio_postgres::connect(&admin_url(), NoTls)
            .await
            .expect("the test server's administrative connection");
        tokio::spawn(connection);
        let allow = |allowed: bool| {
            format!(
                "ALTER DATABASE {} WITH ALLOW_CONNECTIONS {allowed}",
                self.name
            )
        };
        admin.batch_execute(&allow(false)).await.unwrap();
        let deadline = tokio::time::Instant::now() + outage;
        while tokio::time::Instant::now() < deadline {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = $1 AND pid <> pg_backend_pid()",
                    &[&self.name],
                )
                .await
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        admin.batch_execute(&allow(true)).await.unwrap();
    }
}

/// Test databases are left behind for inspection after a run; those older than this are
/// dropped by the next run (once per test process), so the server's disk does not fill up.
const KEEP_TEST_DATABASES: std::time::Duration = std::time::Duration::from_secs(3 * 3600);

static STALE_DROPPED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Drops the `t_<ulid>` databases whose ulid is older than [`KEEP_TEST_DATABASES`].
async fn drop_stale_databases(client: &tokio_postgres::Client) {
    let Ok(rows) = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'",
            &[],
        )
        .await
    else {
        return;
    };
    let cutoff = std::time::SystemTime::now() - KEEP_TEST_DATABASES;
    for row in rows {
        let name: String = row.get(0);
        let Ok(id) = ulid::Ulid::from_string(&name[2..].to_ascii_uppercase()) else {
            continue;
        };
        if id.datetime() < cutoff {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// `postgres://u@h:p/db?x` with another database name.
pub fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
