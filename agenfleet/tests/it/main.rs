//! The `agenfleet` binary as an operator runs it, and the demo fleet it seeds.

mod admin;
mod demo;
mod dev;
mod migrate;
mod partitions;
mod signals;
