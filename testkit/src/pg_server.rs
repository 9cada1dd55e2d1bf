//! A PostgreSQL server of one test's own, for tests that stop and start the whole server (the
//! shared one of `scripts/test-services` must stay up for every other test). Made with the
//! machine's `initdb` and `pg_ctl` in a temporary directory, on a free loopback port, with
//! fsync off like the shared one; removed when dropped. Run as the `postgres` user when the
//! tests run as root (PostgreSQL refuses to run as root).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A private server. Its data directory is deleted on drop.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl PgServer {
    /// Creates a cluster and starts it (about a second).
    pub fn start() -> Self {
        let bin = server_binaries();
        let data =
            std::env::temp_dir().join(format!("agenfleet-pg-{}", ulid::Ulid::new().to_string()));
        std::fs::create_dir_all(&data).expect("create the server's directory");
        let server = Self {
            bin,
            port: free_port(),
            data,
        };
        if running_as_root() {
            run(Command::new("chown").arg("postgres").arg(&server.data));
        }
        server.run_as_owner(
            "initdb",
            &["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        );
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             max_connections = 200\nfsync = off\nsynchronous_commit = off\n\
             full_page_writes = off\n",
            server.port,
            server.data.display()
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(server.data.join("postgresql.conf"))
            .and_then(|mut file| std::io::Write::write_all(&mut file, conf.as_bytes()))
            .expect("configure the server");
        server.resume();
        server
    }

    /// The administrative URL (database `postgres`).
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl stop -m fast`: every session is ended (57P01) and the server exits; new
    /// connections are refused until [`PgServer::resume`].
    pub fn stop(&self) {
        self.run_as_owner("pg_ctl", &["stop", "-m", "fast", "-w"]);
    }

    /// Starts the server (again), on the same port, and waits until it accepts connections.
    pub fn resume(&self) {
        let log = self.data.join("server.log");
        let log = log.display().to_string();
        self.run_as_owner("pg_ctl", &["start", "-w", "-l", &log]);
    }

    /// `bin/program args… -D DATA`, as the data directory's owner.
    fn run_as_owner(&self, program: &str, args: &[&str]) {
        run(self.as_owner(program).args(args).arg("-D").arg(&self.data));
    }

    fn as_owner(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn run(command: &mut Command) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// The directory of `pg_ctl` and `initdb`: on the PATH, else Debian's
/// `/usr/lib/postgresql/<version>/bin` (as `scripts/test-services` looks).
fn server_binaries() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("pg_ctl").is_file()));
    on_path
        .or_else(|| {
            let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
                .filter(|bin| Path::new(bin).join("pg_ctl").is_file())
                .collect();
            versions.sort();
            versions.pop()
        })
        .expect("PostgreSQL server binaries (pg_ctl, initdb) not found: install them (Debian: apt-get install postgresql)")
}

/// A free loopback port below Linux's ephemeral range (32768–60999): while the server is
/// stopped, the app keeps connecting to its port, and a port in that range could be taken by one
/// of those very connections (a TCP self-connect), keeping the server from starting again.
fn free_port() -> u16 {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..1000)
        .map(|_| rng.random_range(20_000..32_000))
        .find(|port| std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, *port)).is_ok())
        .expect("a free loopback port in 20000..32000")
}
