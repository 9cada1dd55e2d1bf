//! The scheduler: notices agents whose heartbeats stopped and, through a command, marks them
//! offline (cron fires come with the cron-jobs issue). It never writes read models: it reads
//! them, appends commands, and lets the projector decide.
//!
//! Must never depend on the API, the projector or the dispatcher.

pub mod config;
pub mod heartbeat;
pub mod process;

pub use config::SchedulerConfig;
pub use heartbeat::HeartbeatMonitor;
