//! The operator surface every long-running process shares: structured logs to stderr
//! ([`telemetry`]), the duration syntax of flags and environment variables ([`duration`]),
//! SIGTERM/Ctrl-C handling and bounded draining ([`shutdown`]), a Prometheus text registry
//! without global state ([`metrics`]), and the `/healthz`, `/readyz`, `/metrics` routes with
//! a small server for workers that have no HTTP port of their own ([`admin_server`]), and the
//! runtime of a process that serves HTTP ([`runtime`]).
//!
//! This crate must never depend on a domain crate (`schema`, `domain`, `event-log`,
//! `read-store`, or any binary's library): every process depends on it, so it stays at the
//! bottom of the graph and knows nothing about agents, tenants or events.

pub mod admin_server;
pub mod duration;
pub mod metrics;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;

pub use admin_server::{health_routes, serve_admin, HealthState, Readiness};
pub use metrics::Metrics;
