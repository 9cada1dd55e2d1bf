//! The operator CLI: `dev` (the whole system in one process, with `--demo` a demo fleet),
//! `migrate`, `admin`, `replay`, `partitions`.
//! Admin changes go through the event log like any other command, so they appear in the
//! activity history and survive a replay.

pub mod admin;
pub mod banner;
pub mod cli;
pub mod demo;
pub mod dev;
pub mod migrate;
pub mod partitions;
pub mod replay;
pub mod submit;

pub use cli::{run, Cli};
