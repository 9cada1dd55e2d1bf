//! The `projector` binary as a child process, with its log lines collected.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct ProjectorProcess {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ProjectorProcess {
    pub fn spawn(database_url: &str, log_url: &str, batch: usize) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_projector"))
            .env("DATABASE_URL", database_url)
            .env("EVENT_LOG_URL", log_url)
            .env("AGENFLEET_PROJECTOR_BATCH", batch.to_string())
            .env("RUST_LOG", "info,event_log=debug,projector=debug")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the projector binary");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    /// SIGKILL: no chance to finish the batch or leave the group.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill the projector");
    }

    /// SIGTERM, and the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running") as i32;
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .expect("send SIGTERM");
        self.child.wait().await.expect("wait for the projector")
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Partitions this process was assigned and not revoked, according to its log.
    pub fn owned_partitions(&self) -> Vec<u32> {
        let mut owned = std::collections::BTreeSet::new();
        for line in self.log_lines() {
            let assigned = line.contains("partitions assigned");
            let revoked = line.contains("partitions revoked");
            if !(assigned || revoked) {
                continue;
            }
            let Some(list) = line
                .split("partitions=[")
                .nth(1)
                .and_then(|rest| rest.split(']').next())
            else {
                continue;
            };
            for partition in list.split(',').filter_map(|p| p.trim().parse::<u32>().ok()) {
                if assigned {
                    owned.insert(partition);
                } else {
                    owned.remove(&partition);
                }
            }
        }
        owned.into_iter().collect()
    }
}

/// The binaries start themselves again with mimalloc's options set (the `allocator` crate),
/// through `/proc/self/exe`: the process must still be named `projector` (what `ps`, `top` and
/// `pkill projector` see), not `exe`.
#[tokio::test]
async fn the_restarted_process_keeps_its_name_and_its_allocator_options() {
    let app = testkit::TestApp::spawn().await;
    let projector = ProjectorProcess::spawn(&app.db.url, &app.log_url, 1);
    let pid = projector.child.id().expect("running");
    let environ = || std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    testkit::eventually(
        std::time::Duration::from_secs(10),
        "the projector to start again with mimalloc's options",
        || async {
            let environ = environ();
            environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == b"MIMALLOC_PURGE_DELAY=0")
                .then_some(())
        },
    )
    .await;
    // The name is set right after the restart, before anything else runs: give it a moment.
    let name = || std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    testkit::eventually(
        std::time::Duration::from_secs(10),
        "the projector to be named projector",
        || async { (name() == "projector\n").then_some(()) },
    )
    .await;
}
