//! `/healthz`, `/readyz` and `/metrics`: the routes themselves ([`health_routes`], which the
//! API mounts on its own port) and a one-worker server for processes without an HTTP port
//! of their own ([`serve_admin`], on `AGENFLEET_ADMIN_LISTEN`).

mod health;

use std::net::SocketAddr;

use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use health::{health_routes, HealthState, Readiness, READINESS_CHECK_TIMEOUT};

use crate::metrics::Metrics;

/// The environment variable of the workers' admin address.
pub const ADMIN_LISTEN_VAR: &str = "AGENFLEET_ADMIN_LISTEN";

/// The documented default for [`ADMIN_LISTEN_VAR`]: loopback, any free port.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:0";

/// Seconds the admin server gives in-flight scrapes once `shutdown` fires.
const STOP_GRACE_SECS: u64 = 5;

/// Binds `listen` (port 0 picks a free port), starts serving, and returns the bound address
/// and the server's task. The task ends with the server: after `shutdown` fires and open
/// requests finish, or on an I/O error. Once `shutdown` fires `/readyz` answers 503.
///
/// Fails only if the address cannot be bound; the error names the address.
pub async fn serve_admin(
    listen: &str,
    metrics: Metrics,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let state =
        web::Data::new(HealthState::new(metrics, readiness).with_shutdown(shutdown.clone()));
    let server =
        HttpServer::new(move || App::new().app_data(state.clone()).configure(health_routes))
            .workers(1)
            // Signals belong to the process's shutdown token, not to this server.
            .disable_signals()
            .shutdown_timeout(STOP_GRACE_SECS)
            .bind(listen)
            .with_context(|| {
                format!("cannot listen on {listen} for /healthz, /readyz and /metrics")
            })?;
    let addr = *server
        .addrs()
        .first()
        .with_context(|| format!("{listen} resolved to no address"))?;
    let server = server.run();
    let handle = server.handle();
    tracing::info!(%addr, "admin server listening (/healthz, /readyz, /metrics)");
    let task = tokio::spawn(async move {
        let mut server = std::pin::pin!(server);
        tokio::select! {
            // The server stopped on its own: only an I/O error does that.
            result = &mut server => return result,
            _ = shutdown.cancelled() => {}
        }
        // The stop command is served by the server future itself, so both must be polled.
        let ((), result) = tokio::join!(handle.stop(true), server);
        result
    });
    Ok((addr, task))
}
