//! One LISTEN connection kept open until shutdown: every notification on its channels is handed
//! to a callback, in the order the server sends them. Reconnects after failures; callers that must not miss work poll as a
//! fallback, since notifications sent while reconnecting are lost.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;

const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Listens on `channels` until `shutdown` resolves, calling `on_payload` with the channel and
/// the payload of each notification.
pub async fn listen(
    database_url: String,
    channels: Vec<&'static str>,
    shutdown: impl Future<Output = ()>,
    mut on_payload: impl FnMut(&str, &str),
) {
    let channel = channels.join(",");
    let channel = channel.as_str();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        match tokio_postgres::connect(&database_url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                let subscribed = {
                    let statement: String =
                        channels.iter().map(|c| format!("LISTEN {c};")).collect();
                    let listen = client.batch_execute(&statement);
                    // The connection must be driven for LISTEN to complete.
                    let mut listen = std::pin::pin!(listen);
                    loop {
                        tokio::select! {
                            result = &mut listen => break result.is_ok(),
                            message = messages.next() => if message.is_none() { break false },
                        }
                    }
                };
                if subscribed {
                    tracing::debug!(channel, "listening");
                    loop {
                        let message = tokio::select! {
                            _ = &mut shutdown => return,
                            message = messages.next() => message,
                        };
                        match message {
                            Some(Ok(tokio_postgres::AsyncMessage::Notification(note))) => {
                                on_payload(note.channel(), note.payload())
                            }
                            Some(Ok(_)) => {}
                            Some(Err(error)) => {
                                tracing::warn!(channel, %error, "listener lost its connection");
                                break;
                            }
                            None => break,
                        }
                    }
                }
                drop(client);
            }
            Err(error) => tracing::warn!(channel, %error, "listener cannot connect"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(RECONNECT_DELAY) => {}
        }
    }
}

/// The handlers of several roles of one process, each for its channels, served by one LISTEN
/// connection ([`Shared::listen`]). Postgres wakes every connection listening in a database on
/// every notifying commit, whatever the channel, and each one costs every write about 1 %
/// (docs/BENCHMARKS.md): `agenfleet dev` listens once for its API, dispatcher and scheduler.
#[derive(Default)]
pub struct Shared {
    handlers: Vec<(&'static [&'static str], Handler)>,
}

type Handler = Box<dyn FnMut(&str, &str) + Send>;

impl Shared {
    /// Calls `handler` with each notification on `channels`.
    pub fn on(
        &mut self,
        channels: &'static [&'static str],
        handler: impl FnMut(&str, &str) + Send + 'static,
    ) {
        self.handlers.push((channels, Box::new(handler)));
    }

    /// Listens on every handler's channels until `shutdown` resolves (see [`listen`]).
    pub async fn listen(mut self, database_url: String, shutdown: impl Future<Output = ()>) {
        let mut channels: Vec<&'static str> = Vec::new();
        for channel in self
            .handlers
            .iter()
            .flat_map(|(channels, _)| channels.iter())
        {
            if !channels.contains(channel) {
                channels.push(channel);
            }
        }
        listen(database_url, channels, shutdown, move |channel, payload| {
            for (channels, handler) in &mut self.handlers {
                if channels.contains(&channel) {
                    handler(channel, payload);
                }
            }
        })
        .await
    }
}
