//! The webhook dispatcher: claims due deliveries from the queue the projector fills (schema
//! `dispatch`), sends them signed the Standard Webhooks way, retries them on a schedule, and
//! appends the outcomes that matter to the domain (a delivery failed for good, an endpoint to
//! disable) as commands. Any number of dispatchers share the queue.
//!
//! Must never depend on the API, the projector or the scheduler.

pub mod config;
pub mod cron_output;
pub mod dispatcher;
mod metrics;
pub mod policy;
pub mod process;
pub mod send;

pub use config::DispatcherConfig;
pub use dispatcher::{Dispatcher, Settings};
pub use process::run;
