//! The event log's integration tests: one contract suite ([`contract`]) run against every
//! backend, on real components (a fresh Postgres database, a tansu broker per test), plus the
//! checks that only make sense for one backend.

mod contract;
mod kafka;
mod memory;
mod postgres;
mod support;
