//! The `agenfleet` binary as an operator runs it.

mod admin;
mod dev;
mod migrate;
mod partitions;
