//! One LISTEN connection kept open until shutdown: every notification on its channels is handed
//! to a callback, in the order the server sends them. Reconnects after failures; callers that must not miss work poll as a
//! fallback, since notifications sent while reconnecting are lost.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;

const RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// While the database stays away, a failure to reconnect is logged at most this often (the
/// first one at once): tried every `RECONNECT_DELAY`, it was two warnings a second per listener.
const REPEAT_WARNING_EVERY: Duration = Duration::from_secs(30);

/// When to warn of failures to reconnect: the first at once, then at most every
/// [`REPEAT_WARNING_EVERY`] with the count since, and a line when listening again.
#[derive(Default)]
struct Failures {
    /// Attempts that failed since the listener last listened.
    count: u32,
    /// Failures since the last warning, and when it was.
    unreported: u32,
    warned_at: Option<std::time::Instant>,
}

impl Failures {
    /// A failure: whether to warn now, and of how many failures.
    fn failed(&mut self) -> Option<u32> {
        self.count += 1;
        self.unreported += 1;
        let now = std::time::Instant::now();
        if self
            .warned_at
            .is_some_and(|at| now.duration_since(at) < REPEAT_WARNING_EVERY)
        {
            return None;
        }
        self.warned_at = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }

    /// Listening: how many attempts had failed before, if any.
    fn listening(&mut self) -> Option<u32> {
        let failed = std::mem::take(self);
        (failed.count > 0).then_some(failed.count)
    }
}

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
    let mut failures = Failures::default();
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
                    match failures.listening() {
                        Some(failed) => {
                            tracing::info!(channel, failed, "listening again");
                        }
                        None => tracing::debug!(channel, "listening"),
                    }
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
                                failures.warned_at = Some(std::time::Instant::now());
                                break;
                            }
                            None => break,
                        }
                    }
                }
                drop(client);
            }
            Err(error) => {
                if let Some(failed) = failures.failed() {
                    tracing::warn!(channel, %error, failed, "listener cannot connect; retrying every 0.5 s");
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_at_once_then_every_thirty_seconds_with_their_count() {
        let mut failures = Failures::default();
        assert_eq!(failures.failed(), Some(1));
        for _ in 0..9 {
            assert_eq!(failures.failed(), None);
        }
        failures.warned_at = Some(std::time::Instant::now() - REPEAT_WARNING_EVERY);
        assert_eq!(
            failures.failed(),
            Some(10),
            "the failures since the last warning"
        );
        assert_eq!(failures.listening(), Some(11), "every failed attempt");
        assert_eq!(failures.listening(), None);
        assert_eq!(failures.failed(), Some(1), "a new outage is told at once");
    }
}
