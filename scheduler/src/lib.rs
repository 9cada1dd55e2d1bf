//! The scheduler: fires cron jobs at their times, fails cron runs whose agent does not reply
//! in time, notices agents whose heartbeats stopped, and runs retention. It never writes read
//! models: it reads them, appends commands, and lets the projector decide — retention only
//! deletes rows past their time (see `retention`).
//!
//! Must never depend on the API, the projector or the dispatcher.

pub mod config;
pub mod cron;
pub mod heartbeat;
pub mod process;
pub mod retention;

pub use config::SchedulerConfig;
pub use cron::{CronScheduler, CronSettings};
pub use heartbeat::HeartbeatMonitor;
pub use retention::{Retention, RetentionSettings};
