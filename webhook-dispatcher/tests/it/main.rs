//! The dispatcher against a real Postgres, the Postgres log, the API and real HTTP receivers on
//! loopback.

mod support;

mod crash;
mod cron_output;
mod gateway;
mod hostile_endpoints;
mod isolation;
mod retries;
mod signals;
mod signing;
