//! A member's own connection: it holds the advisory locks that make the member the owner of its
//! partitions (they are session-level, so they go away with the connection if the process
//! dies), it keeps the member's heartbeat row fresh and, for the Postgres log, it LISTENs for
//! appends.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::postgres::{connect_error, db_error};
use crate::LogError;

/// How often a member says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);

const REGISTER: &str = r#"
INSERT INTO eventlog.consumers ("group", member_id, seen_at) VALUES ($1, $2, now())
ON CONFLICT ("group", member_id) DO UPDATE SET seen_at = now()"#;

pub(super) struct Session {
    pub client: Arc<Client>,
    /// Woken by every notification on the channel, and once when the connection ends.
    pub wake: Arc<Notify>,
    /// What the notifications told since it was last taken ([`Notified::take`]).
    pub notified: Arc<Mutex<Notified>>,
    driver: JoinHandle<()>,
    heartbeat: JoinHandle<()>,
}

impl Session {
    /// Connects, listens on `channel` if given, registers the member and starts its heartbeat.
    pub async fn open(
        config: &tokio_postgres::Config,
        group: &str,
        member: &str,
        channel: Option<&str>,
    ) -> Result<Self, LogError> {
        let (client, mut connection) = config.connect(NoTls).await.map_err(connect_error)?;
        let wake = Arc::new(Notify::new());
        let notified = Arc::new(Mutex::new(Notified::default()));
        let driver = tokio::spawn({
            let wake = wake.clone();
            let notified = notified.clone();
            async move {
                // Driving the connection is what delivers query results; notifications come
                // out of the same stream. It ends when the client is dropped or the server
                // goes away.
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(message) = messages.next().await {
                    match message {
                        Ok(AsyncMessage::Notification(notification)) => {
                            // Noted before the wake, so that whoever the wake reaches finds it.
                            Notified::note(&notified, notification.payload());
                            wake.notify_one();
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, "event-log consumer connection failed");
                            break;
                        }
                    }
                }
                Notified::note(&notified, "");
                wake.notify_one();
            }
        });
        let client = Arc::new(client);
        let started = async {
            if let Some(channel) = channel {
                client.batch_execute(&format!("LISTEN {channel}")).await?;
            }
            client.execute(REGISTER, &[&group, &member]).await?;
            // Rows of members long gone are only noise.
            client
                .execute(
                    "DELETE FROM eventlog.consumers WHERE seen_at < now() - interval '1 hour'",
                    &[],
                )
                .await
        };
        if let Err(error) = started.await {
            driver.abort();
            return Err(db_error(error));
        }
        let heartbeat = tokio::spawn(beat(client.clone(), group.to_owned(), member.to_owned()));
        Ok(Self {
            client,
            wake,
            notified,
            driver,
            heartbeat,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The heartbeat task holds a clone of the client; once it is gone the last client
        // drops, the connection closes and the server releases the advisory locks.
        self.heartbeat.abort();
        if self.client.is_closed() {
            self.driver.abort();
        }
    }
}

/// The partitions whose appends were notified (the Postgres log's payload is the partition),
/// or `all` when a payload named none (or the connection ended).
#[derive(Debug, Default)]
pub struct Notified {
    pub all: bool,
    pub partitions: BTreeSet<u32>,
}

impl Notified {
    fn note(notified: &Mutex<Self>, payload: &str) {
        let mut notified = notified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match payload.parse() {
            Ok(partition) => {
                notified.partitions.insert(partition);
            }
            Err(_) => notified.all = true,
        }
    }

    /// What was noted since the last call, leaving nothing.
    pub fn take(notified: &Mutex<Self>) -> Self {
        std::mem::take(
            &mut *notified
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

async fn beat(client: Arc<Client>, group: String, member: String) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = client.execute(REGISTER, &[&group, &member]).await {
            if client.is_closed() {
                return;
            }
            tracing::warn!(%error, %group, "event-log consumer heartbeat failed");
        }
    }
}
