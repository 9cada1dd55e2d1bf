//! Test-only helpers: a fresh Postgres database per test, a Kafka-protocol broker, the whole
//! app spawned on port 0, webhook receivers (well-behaved and hostile). Never a hand-written
//! stand-in for a component users run for real.

pub mod app;
pub mod dispatcher;
pub mod hostile_server;
pub mod kafka;
pub mod logs;
pub mod pg_server;
pub mod postgres;
pub mod receiver;
pub mod runtime;
pub mod scrape;
pub mod smtp;
pub mod standard_webhooks;

pub use app::{eventually, LogKind, TestApp};
pub use dispatcher::TestDispatcher;
