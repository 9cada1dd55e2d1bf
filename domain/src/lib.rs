//! The pure core of AgenFleet: `decide(state, command)` and the validation rules of the
//! contract. Given the same state and record it always gives the same answer, so replaying
//! the log reproduces every decision.
//!
//! Must never depend on I/O (no tokio, no Postgres, no Kafka, no HTTP) nor on the clock: time
//! comes from the record's `issuedAt`.

pub mod activity;
pub mod canonical_json;
pub mod catalog;
pub mod cron;
pub mod decide;
pub mod latency;
pub mod schedule;
pub mod state;
pub mod usage;
pub mod validate;
pub mod webhooks;

pub use decide::decide;
pub use state::{
    needs, ActiveSessions, AgentState, ApiKeyState, CronJobState, DecisionState, Needs,
    WebhookState,
};

/// The form in which agent names are compared: unique per tenant ignoring case.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Lowercase hex SHA-256 of a text, as the API shows it (`soulSha256`).
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
