//! The projector: consumes the event log in order, decides each command with the pure
//! `domain::decide`, and writes the read models, the activity log and the command outcome in
//! one Postgres transaction per batch together with its checkpoint.
//!
//! It depends on the log only through the `event-log` trait and on Postgres only through
//! `read-store`; it must never depend on the API or the other workers.

pub mod apply;
pub mod config;
mod partitions;
pub mod process;
pub mod replay;
mod running;
pub mod worker;

pub use apply::{BatchOutcome, Projection};
pub use config::ProjectorConfig;
pub use worker::Projector;
