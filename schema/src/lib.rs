//! The wire contract of AgenFleet: prefixed ids, the command record that travels through the
//! event log, the commands and the domain events they turn into.
//!
//! Every wire name is an explicit string (`agent.created`), never derived from a Rust
//! identifier, because records are kept forever and replayed. This crate must never depend on
//! an I/O crate (tokio-postgres, rdkafka, actix): the pure decision core and every process
//! share it.

#[macro_use]
mod macros;

pub mod agent;
pub mod command;
pub mod cron;
pub mod event;
pub mod ids;
pub mod limits;
pub mod query;
pub mod record;
pub mod session;
pub mod tenant;
pub mod webhook;
pub mod whole;

pub use command::Command;
pub use event::{Event, EventKind};
pub use ids::*;
pub use record::{Actor, ActorType, CommandRecord, SCHEMA_VERSION};
pub mod error_code;
pub use error_code::{ErrorCode, FieldError, Rejection};
