//! All SQL of AgenFleet's read side: migrations, the projection writes the projector makes
//! (state loads, event application, outcomes, checkpoints) and the queries the API and the
//! workers read.
//!
//! Handlers never hold SQL; they call this crate. It must never depend on actix or on the
//! event-log backends.

pub mod activity;
pub mod agents;
pub mod api_keys;
pub mod batch;
pub mod cron;
pub mod deliveries;
pub mod dispatch_queue;
pub mod idempotency;
pub mod listener;
pub mod metrics;
pub mod migrate;
pub mod outcomes;
pub mod projection;
pub mod rate_limits;
pub mod retention;
pub mod sessions;
pub mod store;
pub mod tenants;
pub mod webhooks;

pub use store::{Store, StoreError, READ_MODEL_SCHEMA};

/// List ordering (`order=asc|desc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// `limit`/`offset` of a list, already validated by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
    pub order: Order,
}

/// A page of rows and the total the filter matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// Parses an id (or any value) read from a column; a failure means the row is corrupt.
pub(crate) fn parse_column<T: std::str::FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("stored value {text:?} does not parse")))
}
