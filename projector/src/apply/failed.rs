//! Records that can never apply: stored as failed and passed over, because the data fails
//! them, they do not decode, or an operator said so (the rule: the parent module).

use event_log::{LogEntry, Position, Unreadable};
use read_store::projection::{self, FailedRecord, PipelinedTransaction};
use read_store::StoreError;

use super::{BatchOutcome, Projection};

impl Projection {
    /// Stores a readable record that failed alone as failed, and moves past it.
    pub(super) async fn pass_over_failed(
        &self,
        entry: &LogEntry,
        error: &StoreError,
    ) -> Result<BatchOutcome, StoreError> {
        let failed = failed_record(entry, false);
        tracing::error!(
            partition = failed.partition,
            offset = failed.offset,
            command_id = ?failed.command_id,
            tenant_id = ?failed.tenant_id,
            kind = %failed.kind,
            sqlstate = error.sqlstate().unwrap_or(""),
            error = %error.detail(),
            "a record fails alone every time; stored as failed and passed over"
        );
        self.store_failed(failed).await
    }

    /// Stores an undecodable record as failed and moves past it — unless it was written by a
    /// newer build, which an upgraded projector will read: then the partition waits.
    pub(super) async fn pass_over_unreadable(
        &self,
        entry: &LogEntry,
        unreadable: &Unreadable,
    ) -> Result<BatchOutcome, StoreError> {
        let Position { partition, offset } = entry.position;
        if unreadable.too_new {
            return Err(StoreError::Corrupt(format!(
                "the record at partition {partition} offset {offset}: {}; upgrade this projector",
                unreadable.reason
            )));
        }
        let failed = failed_record(entry, false);
        tracing::error!(
            partition,
            offset,
            command_id = ?failed.command_id,
            tenant_id = ?failed.tenant_id,
            error = %unreadable.reason,
            "a record cannot be decoded; stored as failed and passed over"
        );
        self.store_failed(failed).await
    }

    pub(super) async fn store_failed(
        &self,
        failed: FailedRecord,
    ) -> Result<BatchOutcome, StoreError> {
        self.carried.keep(failed.partition, None);
        let tx = PipelinedTransaction::new(self.store.client().await?);
        let checkpoint = tx
            .begin_then(projection::lock_checkpoint(&tx, failed.partition))
            .await?
            .offset
            .unwrap_or(-1);
        if failed.offset <= checkpoint {
            return Ok(BatchOutcome::AlreadyApplied);
        }
        if failed.offset != checkpoint + 1 {
            return Ok(BatchOutcome::Gap {
                next_offset: checkpoint + 1,
            });
        }
        projection::record_failed(&tx, &failed).await?;
        let commit_time = tx.commit().await?;
        Ok(BatchOutcome::Committed {
            last_offset: failed.offset,
            applied: 0,
            failed: vec![failed],
            rejected: Vec::new(),
            commit_time,
        })
    }

    /// Passes over `entry` because an operator said so: stores it as failed, remembers the
    /// skip for rebuilds and advances the checkpoint past it, in one transaction. Refused
    /// (`Err` with the checkpoint) unless `entry` is the partition's next record.
    pub async fn skip(
        &self,
        entry: &LogEntry,
        reason: &str,
    ) -> Result<Result<FailedRecord, Option<i64>>, StoreError> {
        self.carried.keep(entry.position.partition, None);
        let tx = PipelinedTransaction::new(self.store.client().await?);
        let checkpoint = tx
            .begin_then(projection::lock_checkpoint(&tx, entry.position.partition))
            .await?
            .offset;
        if entry.position.offset != checkpoint.unwrap_or(-1) + 1 {
            return Ok(Err(checkpoint));
        }
        let failed = failed_record(entry, true);
        projection::record_failed(&tx, &failed).await?;
        projection::remember_skip(&tx, &failed, reason).await?;
        tx.commit().await?;
        tracing::warn!(
            partition = failed.partition,
            offset = failed.offset,
            command_id = ?failed.command_id,
            tenant_id = ?failed.tenant_id,
            kind = %failed.kind,
            %reason,
            "an operator passed over a record"
        );
        Ok(Ok(failed))
    }
}

/// What is known of `entry` as a failed record.
pub(super) fn failed_record(entry: &LogEntry, skipped_by_operator: bool) -> FailedRecord {
    let (command_id, tenant_id, kind, issued_at) = match &entry.record {
        Ok(record) => (
            Some(record.command_id),
            Some(record.tenant_id),
            record.command.kind(),
            Some(record.issued_at),
        ),
        Err(unreadable) => (
            unreadable.command_id,
            unreadable.tenant_id,
            "unreadable",
            None,
        ),
    };
    FailedRecord {
        partition: entry.position.partition,
        offset: entry.position.offset,
        command_id,
        tenant_id,
        kind: kind.to_owned(),
        issued_at,
        skipped_by_operator,
    }
}
