//! The API against a real Postgres (database per test) and the Postgres event log, with the
//! projector running in the test process.

mod activity;
mod activity_stream;
mod agents;
mod api_keys;
mod auth;
mod console;
mod cron_jobs;
mod errors;
mod hostile_input;
mod idempotency;
mod idempotency_with_the_append;
mod kafka;
mod lookup_plans;
mod messages;
mod metrics;
mod openapi;
mod operations;
mod outage;
mod outcome_waiter;
mod rate_limits;
mod sessions;
mod soul_and_heartbeat;
mod support;
mod webhooks;
