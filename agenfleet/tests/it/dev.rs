use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

/// `agenfleet dev` with no DATABASE_URL: starts its own Postgres, prints the URL and a key,
/// serves the API, and stops cleanly on SIGTERM; a second start reuses the data.
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

struct Dev {
    child: tokio::process::Child,
    base: String,
    key: Option<String>,
}

impl Dev {
    async fn stop(&mut self) {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "dev exits 0 on SIGTERM: {status:?}");
    }
}

async fn start_dev(data_dir: &std::path::Path) -> Dev {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agenfleet"))
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("EVENT_LOG_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut key) = (None, None);
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let line = line.trim();
            if let Some(url) = line.strip_prefix("API:") {
                base = Some(url.trim().to_owned());
            }
            if line.starts_with("afk_") {
                key = Some(line.to_owned());
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
    }
}
