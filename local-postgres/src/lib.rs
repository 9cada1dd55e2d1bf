//! A private PostgreSQL server for `agenfleet dev` when `DATABASE_URL` is unset: found among
//! the PostgreSQL binaries installed on the machine, initialised under the data dir, listening
//! on 127.0.0.1 only, run as the `postgres` system user when we are root, and stopped again
//! when the [`LocalPostgres`] is stopped or dropped.
//!
//! It owns process management of that one server and nothing else. It must never depend on a
//! domain crate, the event log, the read store or actix: callers get a URL and build their own
//! pools and migrations on it. Unix only.

mod binaries;
mod cluster;
mod error;
mod run_as;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_postgres::error::SqlState;

pub use error::Error;

use binaries::Binaries;
use cluster::Cluster;
use run_as::RunAs;

/// The database `url()` points at, created on first start.
pub const DATABASE: &str = "agenfleet";

/// Attempts at `pg_ctl start`; a retry happens only when another process took the port
/// between choosing it and the server binding it.
const START_ATTEMPTS: usize = 3;

/// Seconds [`LocalPostgres::stop`] waits for clients to disconnect before ending their sessions.
const CLIENTS_GRACE: &str = "3";

/// How long a server found already running (left by a crashed run) gets to accept a
/// connection before we decide it is not ours to reuse.
const REUSE_PROBE: Duration = Duration::from_secs(5);

/// A running private PostgreSQL server. Stop it with [`LocalPostgres::stop`]; dropping it
/// stops it too, best effort.
pub struct LocalPostgres {
    cluster: Cluster,
    port: u16,
    stopped: bool,
}

impl LocalPostgres {
    /// Starts (initialising on first use) the server whose files live in
    /// `<data_dir>/postgres`, and makes sure database `agenfleet` exists.
    ///
    /// A server already running on that directory, left by a run that crashed, is reused;
    /// a lock file left by a dead server does not prevent start.
    pub async fn start(data_dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(data_dir)
            .map_err(Error::io(format!("cannot create {}", data_dir.display())))?;
        // Commands run from `/` as possibly another user: every path must be absolute.
        let data_dir = data_dir
            .canonicalize()
            .map_err(Error::io(format!("cannot resolve {}", data_dir.display())))?;
        let pgdata = data_dir.join("postgres");
        let data_version = std::fs::read_to_string(pgdata.join("PG_VERSION"))
            .ok()
            .map(|v| v.trim().to_owned());
        let binaries = Binaries::find(data_version.as_deref(), &pgdata)?;
        let run_as = RunAs::detect()?;
        let cluster = Cluster {
            pgdata,
            binaries,
            run_as,
        };
        cluster.prepare().await?;
        let port = match running_port(&cluster).await? {
            Some(port) => port,
            None => start_server(&cluster).await?,
        };
        // From here on a failure drops `server`, which stops what was just started.
        let server = Self {
            cluster,
            port,
            stopped: false,
        };
        server.ensure_database().await?;
        tracing::info!(url = %server.url(), log = %server.log_file().display(), "private PostgreSQL server ready");
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:PORT/agenfleet`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's data directory, `<data_dir>/postgres`.
    pub fn pgdata(&self) -> &Path {
        &self.cluster.pgdata
    }

    /// Where the server writes its log.
    pub fn log_file(&self) -> PathBuf {
        self.cluster.log_file()
    }

    /// Stops the server, keeping committed data: once its clients have disconnected
    /// (`pg_ctl stop -m smart`), or after [`CLIENTS_GRACE`] by ending their sessions
    /// (`-m fast`). The grace matters because a pool whose connection the server ends logs it
    /// as an error: a caller that has just dropped its pools stops without such noise.
    pub async fn stop(mut self) -> Result<(), Error> {
        self.stopped = true;
        let smart = tokio::process::Command::from(self.cluster.smart_stop_command(CLIENTS_GRACE))
            .output()
            .await
            .map_err(Error::io("cannot run pg_ctl stop"))?;
        let output = if smart.status.success() {
            smart
        } else {
            tokio::process::Command::from(self.cluster.stop_command())
                .output()
                .await
                .map_err(Error::io("cannot run pg_ctl stop"))?
        };
        if output.status.success() {
            tracing::info!(pgdata = %self.cluster.pgdata.display(), "private PostgreSQL server stopped");
            Ok(())
        } else {
            Err(Error::Command {
                command: "pg_ctl stop".to_owned(),
                status: output.status.to_string(),
                details: format!("\n{}", String::from_utf8_lossy(&output.stderr).trim_end()),
            })
        }
    }

    async fn ensure_database(&self) -> Result<(), Error> {
        let fail = |source| Error::Database {
            database: DATABASE.to_owned(),
            port: self.port,
            source,
        };
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .map_err(fail)?;
        let driver = tokio::spawn(connection);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DATABASE])
            .await
            .map_err(fail)?
            .is_some();
        if !exists {
            match client
                .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
                .await
            {
                Ok(()) => tracing::info!(database = DATABASE, "created database"),
                // Someone else created it between the look-up and here: same outcome.
                Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => {}
                Err(e) => return Err(fail(e)),
            }
        }
        drop(client);
        let _ = driver.await;
        Ok(())
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        // Blocking, but brief: a fast shutdown of an idle development server.
        match self.cluster.stop_command().output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => tracing::warn!(
                stderr = %String::from_utf8_lossy(&output.stderr).trim_end(),
                "could not stop the private PostgreSQL server"
            ),
            Err(error) => tracing::warn!(%error, "could not run pg_ctl stop"),
        }
    }
}

/// The port of a server already holding the data directory, if it is one we can use.
async fn running_port(cluster: &Cluster) -> Result<Option<u16>, Error> {
    let Some(pid_file) = cluster.pid_file() else {
        return Ok(None);
    };
    // Not running: the lock file names a dead process, which pg_ctl start handles itself.
    if !cluster.is_running().await? {
        return Ok(None);
    }
    if cluster::accepts_connections(pid_file.port, REUSE_PROBE).await {
        tracing::info!(
            pid = pid_file.pid,
            port = pid_file.port,
            "reusing the private PostgreSQL server left running"
        );
        return Ok(Some(pid_file.port));
    }
    // The pid was recycled by an unrelated process after a crash (common in containers,
    // where pids restart low): the lock is stale, but PostgreSQL would refuse to start.
    if !cluster::is_postgres_process(pid_file.pid) {
        cluster.remove_stale_pid_file()?;
        return Ok(None);
    }
    Err(Error::AlreadyRunning {
        pid: pid_file.pid,
        port: pid_file.port,
        pgdata: cluster.pgdata.clone(),
    })
}

/// Starts the server on the port of its last run if that is free, else on a fresh one.
async fn start_server(cluster: &Cluster) -> Result<u16, Error> {
    let mut remembered = cluster.remembered_port();
    let mut attempt = 1;
    loop {
        let port = match remembered.take() {
            Some(port) => port,
            None => cluster::free_port()?,
        };
        cluster.write_settings(port)?;
        match cluster.start().await {
            Ok(()) => return Ok(port),
            Err(Error::Command { ref details, .. })
                if attempt < START_ATTEMPTS && details.contains("already in use") =>
            {
                tracing::info!(port, "port taken meanwhile; trying another");
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}
