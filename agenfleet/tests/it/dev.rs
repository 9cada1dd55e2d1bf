use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

/// `agenfleet dev` with no DATABASE_URL: starts its own Postgres, prints the URL and a key,
/// serves the API, and stops cleanly on Ctrl-C; a second start reuses the data. Neither start
/// nor stop says more than a line on stderr (the default log filter, no notices from
/// migrations run again, pools closed before the server stops).
#[tokio::test(flavor = "multi_thread")]
async fn dev_starts_everything_on_a_private_postgres_and_prints_how_to_call_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let (base, key) = {
        let mut dev = start_dev(data_dir.path()).await;
        let (base, key) = (
            dev.base.clone(),
            dev.key.clone().expect("a key on first start"),
        );
        let http = reqwest::Client::new();
        let created = http
            .post(format!("{base}/agents"))
            .bearer_auth(&key)
            .json(&json!({"name": "Nova"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let health = http
            .get(base.replace("/v1", "/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        dev.stop().await;
        (base, key)
    };
    let _ = base;
    let mut dev = start_dev(data_dir.path()).await;
    assert!(dev.key.is_none(), "the key is printed once, on first start");
    assert!(
        dev.banner.contains("admin create-key --tenant ten_"),
        "a later start says how to make a key: {}",
        dev.banner
    );
    let list: Value = reqwest::Client::new()
        .get(format!("{}/agents", dev.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["name"], "Nova");
    dev.stop().await;
}

pub(crate) struct Dev {
    child: tokio::process::Child,
    pub(crate) base: String,
    pub(crate) key: Option<String>,
    banner: String,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    stderr: tokio::task::JoinHandle<Vec<String>>,
}

impl Dev {
    /// Ctrl-C, then checks that dev exits 0 and that it printed nothing after the banner on
    /// stdout and only its start and stop lines on stderr.
    pub(crate) async fn stop(&mut self) {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .arg("-INT")
            .arg(pid.to_string())
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "dev exits 0 on Ctrl-C: {status:?}");
        let after_banner = self.stdout.next_line().await.unwrap();
        assert_eq!(after_banner, None, "the banner is the last thing on stdout");
        let stderr = (&mut self.stderr).await.unwrap();
        assert!(
            stderr[0].starts_with("Starting a private PostgreSQL under"),
            "one line before the banner: {stderr:#?}"
        );
        assert!(
            stderr
                .last()
                .unwrap()
                .ends_with("stopped. The data stays in")
                || stderr
                    .last()
                    .unwrap()
                    .contains("stopped. The data stays in"),
            "the last line says it stopped: {stderr:#?}"
        );
        // Nothing else may be said: no pool errors, no notices, no errors — nor the last
        // key-usage flush meeting a connection that closed with the HTTP workers (it runs
        // after they stopped).
        let noise: Vec<&String> = stderr[1..]
            .iter()
            .filter(|line| !line.contains("stopped. The data stays in"))
            .collect();
        assert!(
            noise.is_empty() && stderr.len() <= 2,
            "start and stop lines only: {stderr:#?}"
        );
    }
}

pub(crate) async fn start_dev(data_dir: &std::path::Path) -> Dev {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agenfleet"))
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("EVENT_LOG_URL")
        .env_remove("RUST_LOG")
        .env_remove("AGENFLEET_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let stderr = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("dev: {line}");
            lines.push(line);
        }
        lines
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut key, mut banner) = (None, None, String::new());
    let read = async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            banner.push_str(&line);
            banner.push('\n');
            let line = line.trim();
            if let Some(url) = line.strip_prefix("API") {
                base = Some(url.trim().to_owned());
            }
            if let Some(text) = line.strip_prefix("export AGENFLEET_KEY=") {
                if text.starts_with("afk_") && !text.contains('.') {
                    key = Some(text.to_owned());
                }
            }
            if line.starts_with("Ctrl-C") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(90), read)
        .await
        .expect("dev prints its banner");
    Dev {
        child,
        base: base.expect("the API URL is printed"),
        key,
        banner,
        stdout,
        stderr,
    }
}
