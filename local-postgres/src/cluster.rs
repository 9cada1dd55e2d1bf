//! One PostgreSQL data directory and the `initdb` / `pg_ctl` commands that act on it.
//!
//! Listen address, port and socket directory live in `agenfleet.conf`, rewritten on every
//! start and included from `postgresql.conf`, so a moved data directory or a taken port
//! never leaves a stale setting behind.

use std::ffi::OsStr;
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::binaries::Binaries;
use crate::run_as::RunAs;
use crate::Error;

const SETTINGS_FILE: &str = "agenfleet.conf";
const LOG_FILE: &str = "server.log";
/// `pg_ctl -w` gives up after this many seconds.
const WAIT_SECS: &str = "60";
/// A Unix socket path (`<dir>/.s.PGSQL.<port>`) must fit in `sun_path` (108 bytes on Linux,
/// 104 on macOS); beyond this the server listens on TCP only.
const MAX_SOCKET_DIR_LEN: usize = 85;

pub struct Cluster {
    pub pgdata: PathBuf,
    pub binaries: Binaries,
    pub run_as: RunAs,
}

/// What `postmaster.pid` says about the server holding the data directory.
pub struct PidFile {
    pub pid: u32,
    pub port: u16,
}

impl Cluster {
    pub fn log_file(&self) -> PathBuf {
        self.pgdata.join(LOG_FILE)
    }

    /// Creates and initialises the data directory on first use; on later uses makes sure
    /// the server's user still owns and can reach it.
    pub async fn prepare(&self) -> Result<(), Error> {
        let fresh = !self.pgdata.join("PG_VERSION").is_file();
        if fresh {
            std::fs::create_dir_all(&self.pgdata).map_err(Error::io(format!(
                "cannot create {}",
                self.pgdata.display()
            )))?;
            std::fs::set_permissions(&self.pgdata, std::fs::Permissions::from_mode(0o700))
                .map_err(Error::io(format!(
                    "cannot restrict {}",
                    self.pgdata.display()
                )))?;
        }
        if !self.run_as.owns(&self.pgdata) {
            self.run_as.take_ownership(&self.pgdata)?;
        }
        self.check_reachable().await?;
        if fresh {
            self.initdb().await?;
        }
        Ok(())
    }

    async fn check_reachable(&self) -> Result<(), Error> {
        if matches!(self.run_as, RunAs::CurrentUser) {
            return Ok(());
        }
        let test = self.run_as.command(
            Path::new("test"),
            [OsStr::new("-w"), self.pgdata.as_os_str()],
        );
        let reachable = tokio::process::Command::from(test)
            .output()
            .await
            .map(|o| o.status.success())
            .unwrap_or(false);
        if reachable {
            Ok(())
        } else {
            Err(Error::Unreachable {
                path: self.pgdata.clone(),
            })
        }
    }

    async fn initdb(&self) -> Result<(), Error> {
        tracing::info!(pgdata = %self.pgdata.display(), bin = %self.binaries.dir().display(), "initialising a private PostgreSQL data directory");
        let pgdata = self.pgdata.as_os_str();
        let command = self.run_as.command(
            &self.binaries.initdb(),
            [
                OsStr::new("--pgdata"),
                pgdata,
                OsStr::new("--username=postgres"),
                // Only 127.0.0.1 and a socket inside the data directory are listened on.
                OsStr::new("--auth=trust"),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--no-locale"),
            ],
        );
        run(command, "initdb", None).await?;
        let conf = self.pgdata.join("postgresql.conf");
        let include = format!(
            "\n# Added by agenfleet: listen address, port and socket directory, rewritten on every start.\ninclude_if_exists = '{SETTINGS_FILE}'\n"
        );
        append(&conf, &include).map_err(Error::io(format!("cannot write {}", conf.display())))
    }

    /// The port of the last start, if it is free again.
    pub fn remembered_port(&self) -> Option<u16> {
        let text = std::fs::read_to_string(self.pgdata.join(SETTINGS_FILE)).ok()?;
        let port = text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "port").then(|| value.trim().parse().ok())?
        })?;
        TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .ok()
            .map(|_| port)
    }

    pub fn write_settings(&self, port: u16) -> Result<(), Error> {
        let dir = self.pgdata.to_string_lossy();
        let socket_dir = if dir.len() <= MAX_SOCKET_DIR_LEN {
            conf_string(&dir)
        } else {
            "''".to_owned()
        };
        let text = format!(
            "# Written by agenfleet on every start; edit postgresql.conf for anything else.\n\
             listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = {socket_dir}\n"
        );
        let path = self.pgdata.join(SETTINGS_FILE);
        std::fs::write(&path, text)
            .map_err(Error::io(format!("cannot write {}", path.display())))?;
        self.run_as.take_ownership(&path)
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    pub async fn start(&self) -> Result<(), Error> {
        let log = self.log_file();
        let log_start = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let command = self.run_as.command(
            &self.binaries.pg_ctl(),
            [
                OsStr::new("start"),
                OsStr::new("--pgdata"),
                self.pgdata.as_os_str(),
                OsStr::new("--log"),
                log.as_os_str(),
                OsStr::new("--wait"),
                OsStr::new("--timeout"),
                OsStr::new(WAIT_SECS),
            ],
        );
        run(command, "pg_ctl start", Some((&log, log_start)))
            .await
            .map(drop)
    }

    /// `pg_ctl stop -m fast`: open sessions are ended at once.
    pub fn stop_command(&self) -> std::process::Command {
        self.stop_command_with("--mode=fast", WAIT_SECS)
    }

    /// `pg_ctl stop -m smart`: new connections are refused and the server stops once the open
    /// ones have closed; pg_ctl fails if that takes longer than `wait_secs`.
    pub fn smart_stop_command(&self, wait_secs: &str) -> std::process::Command {
        self.stop_command_with("--mode=smart", wait_secs)
    }

    fn stop_command_with(&self, mode: &str, wait_secs: &str) -> std::process::Command {
        self.run_as.command(
            &self.binaries.pg_ctl(),
            [
                OsStr::new("stop"),
                OsStr::new("--pgdata"),
                self.pgdata.as_os_str(),
                OsStr::new(mode),
                OsStr::new("--wait"),
                OsStr::new("--timeout"),
                OsStr::new(wait_secs),
            ],
        )
    }

    /// Whether `pg_ctl status` finds a live process holding the data directory.
    pub async fn is_running(&self) -> Result<bool, Error> {
        let command = self.run_as.command(
            &self.binaries.pg_ctl(),
            [
                OsStr::new("status"),
                OsStr::new("--pgdata"),
                self.pgdata.as_os_str(),
            ],
        );
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .map_err(Error::io("cannot run pg_ctl status"))?;
        Ok(output.status.success())
    }

    pub fn pid_file(&self) -> Option<PidFile> {
        let text = std::fs::read_to_string(self.pgdata.join("postmaster.pid")).ok()?;
        let mut lines = text.lines();
        let pid = lines.next()?.trim().parse().ok()?;
        let port = lines.nth(2)?.trim().parse().ok()?;
        Some(PidFile { pid, port })
    }

    /// Removes a lock file whose pid now belongs to some other process.
    pub fn remove_stale_pid_file(&self) -> Result<(), Error> {
        let path = self.pgdata.join("postmaster.pid");
        tracing::warn!(path = %path.display(), "removing a stale PostgreSQL lock file left by a crashed run");
        std::fs::remove_file(&path).map_err(Error::io(format!("cannot remove {}", path.display())))
    }
}

/// A free loopback port, chosen by the kernel.
pub fn free_port() -> Result<u16, Error> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(Error::io("cannot find a free port on 127.0.0.1"))
}

/// Whether `pid` is (probably) a PostgreSQL server. Where procfs cannot tell, assume it is,
/// so a live server's lock file is never removed on a guess.
pub fn is_postgres_process(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.starts_with("postgres") || comm.starts_with("postmaster"),
        Err(_) => false,
    }
}

/// Runs `command`; on failure the error carries its output and, for the server, the new
/// lines of its log.
async fn run(
    command: std::process::Command,
    name: &str,
    log: Option<(&Path, u64)>,
) -> Result<std::process::Output, Error> {
    let output = tokio::process::Command::from(command)
        .output()
        .await
        .map_err(Error::io(format!("cannot run {name}")))?;
    if output.status.success() {
        return Ok(output);
    }
    let mut details = String::new();
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        if !text.trim().is_empty() {
            details.push('\n');
            details.push_str(text.trim_end());
        }
    }
    if let Some((path, from)) = log {
        let tail = read_from(path, from, 4096);
        if !tail.trim().is_empty() {
            details.push_str(&format!(
                "\n--- {} ---\n{}",
                path.display(),
                tail.trim_end()
            ));
        }
    }
    Err(Error::Command {
        command: name.to_owned(),
        status: output.status.to_string(),
        details,
    })
}

/// The last `max` bytes written to `path` since offset `from`.
fn read_from(path: &Path, from: u64, max: u64) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = from.max(len.saturating_sub(max));
    let mut text = String::new();
    let _ = file
        .seek(SeekFrom::Start(start))
        .and_then(|_| file.read_to_string(&mut text));
    text
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// A postgresql.conf string literal: quotes and backslashes doubled.
fn conf_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Polls `127.0.0.1:port` until a connection succeeds or `within` passes.
pub async fn accepts_connections(port: u16, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(1));
    loop {
        if config.connect(tokio_postgres::NoTls).await.is_ok() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_strings_escape_quotes_and_backslashes() {
        assert_eq!(conf_string("/a/it's\\x"), "'/a/it''s\\\\x'");
    }
}
