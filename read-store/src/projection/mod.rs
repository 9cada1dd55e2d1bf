//! The projector's reads and writes inside a batch's transaction. Nothing here decides: a
//! [`UnitOfWork`] loads, in one round trip, the state every record of the batch needs, lets
//! `domain::decide` run against it in memory (each decision seeing the ones before), and writes
//! the result set-based in one more round trip: read models, activity entries, outcomes. A
//! batch that continues its partition's previous one is decided on the state that one left
//! instead, when it holds everything the batch needs, and sent in one round trip (`carried`).

mod carried;
mod checkpoint;
mod decided;
mod endpoints;
mod failed_record;
pub(crate) mod flush;
pub(crate) mod fold;
mod in_send_order;
mod overlay;
mod pipeline;
pub(crate) mod prefetch;
mod rollups;
mod transaction;
mod unit_of_work;

pub use carried::{Carried, CarriedCounts, CarriedStates};
pub(crate) use checkpoint::ON_GENERIC_PLANS as CHECKPOINT_STATEMENTS;
pub use checkpoint::{
    advance, advance_from, checkpoints, lock_checkpoint, lock_checkpoint_then,
    lock_checkpoints_then, Announcement, Checkpoint, APPLIED_CHANNEL,
};
pub use decided::{payload as decided_payload, Accepted, DecidedBatch, DECIDED_CHANNEL};
pub use failed_record::{record_failed, remember_skip, skipped_records, FailedRecord};
pub use flush::Writes;
pub use pipeline::{execute_all, End, Statement};
pub use transaction::{HandedOver, PipelinedTransaction, SharedConnection};
pub use unit_of_work::UnitOfWork;
