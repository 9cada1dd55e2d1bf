//! The REST API (actix-web): authenticates, validates, appends each command to the event log,
//! waits until the projector applied it, and answers; reads come straight from the Postgres
//! read models. It also serves the web console (`console/dist`, embedded) under `/console/`.
//!
//! Handlers hold no SQL and no log code: they call `read-store` and [`commands::submit`]. This
//! crate must never depend on the projector or the other workers.

pub mod activity_stream;
pub mod auth;
pub mod body;
pub mod commands;
pub mod config;
pub mod console;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod kept_answers;
pub mod key_usage;
pub mod listing;
pub mod openapi;
pub mod ops_signals;
pub mod outcome_waiter;
pub mod rate_limit;
pub mod request_context;
pub mod routes;
pub mod server;
pub mod session_facts;
pub mod signing_secrets;
pub mod state;
pub mod views;

pub use config::ApiConfig;
pub use server::{serve, serve_through, serve_with_metrics, RunningApi};
