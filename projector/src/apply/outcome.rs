//! What applying a batch did, and how the outcomes of its parts add up.

use std::time::Duration;

use read_store::projection::FailedRecord;

/// What happened to a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Committed; the partition is applied up to `last_offset`. `applied` counts the records
    /// decided now (the others were at or below the checkpoint, or duplicates); `failed` the
    /// records stored as failed and passed over; `rejected` the error codes of the commands
    /// decided as rejected; `commit_time` the time spent in `COMMIT`.
    Committed {
        last_offset: i64,
        applied: usize,
        failed: Vec<FailedRecord>,
        rejected: Vec<&'static str>,
        commit_time: Duration,
    },
    /// Nothing to do: every record was at or below the checkpoint.
    AlreadyApplied,
    /// The batch does not continue the checkpoint (records were missed, for example after a
    /// rebuild was swapped in). Nothing more was written; read again from `next_offset`.
    Gap { next_offset: i64 },
}

impl BatchOutcome {
    /// This outcome followed by `next`, the outcome of the records after it.
    pub(super) fn then(self, next: BatchOutcome) -> BatchOutcome {
        match (self, next) {
            (gap @ BatchOutcome::Gap { .. }, _) => gap,
            (BatchOutcome::AlreadyApplied, next) => next,
            (done, BatchOutcome::AlreadyApplied) => done,
            (
                BatchOutcome::Committed {
                    applied,
                    mut failed,
                    mut rejected,
                    commit_time,
                    ..
                },
                BatchOutcome::Committed {
                    last_offset,
                    applied: more,
                    failed: more_failed,
                    rejected: more_rejected,
                    commit_time: more_commit_time,
                },
            ) => {
                failed.extend(more_failed);
                rejected.extend(more_rejected);
                BatchOutcome::Committed {
                    last_offset,
                    applied: applied + more,
                    failed,
                    rejected,
                    commit_time: commit_time + more_commit_time,
                }
            }
            (BatchOutcome::Committed { .. }, gap @ BatchOutcome::Gap { .. }) => gap,
        }
    }
}
