//! SIGTERM / Ctrl-C as a [`CancellationToken`], and a bounded wait for the work in hand.
//!
//! The token is created once in `main` and passed down; nothing here is global.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// The environment variable bounding how long a process may drain after SIGTERM.
pub const SHUTDOWN_TIMEOUT_VAR: &str = "AGENFLEET_SHUTDOWN_TIMEOUT";

/// The documented default for [`SHUTDOWN_TIMEOUT_VAR`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// A token cancelled on the first SIGTERM or SIGINT (Ctrl-C).
///
/// Must be called inside a Tokio runtime. The handlers are registered before this returns,
/// so a signal that arrives right after start-up is not lost. The watching task ends when
/// the token is cancelled for any reason.
pub fn shutdown_token() -> CancellationToken {
    let token = CancellationToken::new();
    cancel_on_signals(token.clone());
    token
}

/// Cancels `token` on the first SIGTERM or SIGINT. See [`shutdown_token`].
pub fn cancel_on_signals(token: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::spawn(async move {
                    let name = tokio::select! {
                        _ = terminate.recv() => "SIGTERM",
                        _ = interrupt.recv() => "SIGINT",
                        // Cancelled by someone else: nothing left to watch.
                        _ = token.cancelled() => return,
                    };
                    tracing::info!(signal = name, "shutdown requested; finishing work in hand");
                    token.cancel();
                });
            }
            (Err(error), _) | (_, Err(error)) => {
                // Without handlers the process still dies on the default action, just without
                // draining; say so rather than fail start-up.
                tracing::error!(%error, "cannot install signal handlers; shutdown will not drain");
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            tokio::select! {
                result = tokio::signal::ctrl_c() => {
                    if result.is_ok() {
                        tracing::info!(signal = "ctrl-c", "shutdown requested; finishing work in hand");
                        token.cancel();
                    }
                }
                _ = token.cancelled() => {}
            }
        });
    }
}

/// The work in hand did not finish within the shutdown timeout.
#[derive(Debug, thiserror::Error)]
#[error("shutdown did not finish within {}", crate::duration::format_duration(*.timeout))]
pub struct DrainTimeout {
    pub timeout: Duration,
}

/// Runs `work` (typically "finish the batch in hand, commit, leave") for at most `timeout`.
///
/// On timeout the future is dropped and a warning is logged; the caller then exits anyway,
/// relying on idempotent redelivery for whatever was cut short.
pub async fn drain<F: Future>(timeout: Duration, work: F) -> Result<F::Output, DrainTimeout> {
    match tokio::time::timeout(timeout, work).await {
        Ok(output) => Ok(output),
        Err(_) => {
            let error = DrainTimeout { timeout };
            tracing::warn!(%error, "abandoning unfinished work");
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_returns_the_output_of_work_that_finishes_in_time() {
        let out = drain(Duration::from_secs(5), async { 7 }).await.unwrap();
        assert_eq!(out, 7);
    }

    #[tokio::test]
    async fn drain_gives_up_after_the_timeout() {
        let err = drain(Duration::from_millis(20), std::future::pending::<()>())
            .await
            .unwrap_err();
        assert_eq!(err.timeout, Duration::from_millis(20));
        assert_eq!(err.to_string(), "shutdown did not finish within 20ms");
    }

    #[tokio::test]
    async fn the_signal_token_starts_uncancelled_and_can_be_cancelled_by_hand() {
        let token = shutdown_token();
        assert!(!token.is_cancelled());
        token.cancel();
        token.cancelled().await;
    }
}
