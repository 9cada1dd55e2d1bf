//! The projector against real Postgres and real event logs, as separate processes where a
//! crash or a second replica matters.

mod batch;
mod carried;
mod crash_recovery;
mod failed_records;
mod log_outage;
mod partition_isolation;
mod process;
mod replay;
mod sharing;
mod upcast;
mod workload;
