//! A real SMTP server on loopback for tests: Python's `aiosmtpd` in a child process, writing
//! every message it accepts as a JSON line on its stdout.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SERVER: &str = r#"
import asyncio, json, socket, sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                          "data": envelope.content.decode("utf8", "replace")}), flush=True)
        return "250 Message accepted for delivery"

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print(json.dumps({"port": port}), flush=True)
asyncio.get_event_loop().run_forever()
"#;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message: headers and body.
    pub data: String,
}

/// A running SMTP server; killed when dropped.
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    _child: Child,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SERVER)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (with aiosmtpd: python3 -m pip install aiosmtpd)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP server starts (is aiosmtpd installed?)")
            .expect("read")
            .expect("a first line");
        let port = serde_json::from_str::<serde_json::Value>(&first).expect("json")["port"]
            .as_u64()
            .expect("a port") as u16;
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = mails.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let mail = Mail {
                    from: value["from"].as_str().unwrap_or_default().to_owned(),
                    to: value["to"]
                        .as_array()
                        .map(|to| {
                            to.iter()
                                .filter_map(|t| t.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    data: value["data"].as_str().unwrap_or_default().to_owned(),
                };
                sink.lock().expect("mails").push(mail);
            }
        });
        SmtpSink {
            port,
            mails,
            _child: child,
        }
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP, as a local relay).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }

    /// Waits until `count` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        crate::eventually(timeout, "emails", || async {
            let mails = self.mails();
            (mails.len() >= count).then_some(mails)
        })
        .await
    }
}
