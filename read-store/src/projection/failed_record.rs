//! A record the projection can never apply: stored as a failed outcome so the API call waiting
//! for it answers, and passed over by the checkpoint so the partition goes on.

use super::pipeline::{execute_all, End};
use super::transaction::PipelinedTransaction;
use chrono::{DateTime, Utc};
use schema::{CommandId, ErrorCode, TenantId};

use crate::StoreError;

/// What is known of a record that failed: a decoded one has all of it, an unreadable one may
/// have only its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecord {
    pub partition: u32,
    pub offset: i64,
    pub command_id: Option<CommandId>,
    pub tenant_id: Option<TenantId>,
    /// The command's kind (`agent.create`), or `unreadable`.
    pub kind: String,
    /// When the record was issued; the decision time of its outcome, as for any other.
    pub issued_at: Option<DateTime<Utc>>,
    /// Passed over because an operator said so (`agenfleet partitions skip`), rather than by
    /// the projector's own rule.
    pub skipped_by_operator: bool,
}

impl FailedRecord {
    /// The answer the API gives the caller. 5xx bodies stay opaque: the cause is in the
    /// projector's log under the command id and offset.
    pub fn message(&self) -> String {
        if self.skipped_by_operator {
            return match self.command_id {
                Some(id) => format!(
                    "Command {id} could not be applied and an operator passed over it; nothing \
                     of it took effect."
                ),
                None => {
                    "The command could not be applied and an operator passed over it.".to_owned()
                }
            };
        }
        match self.command_id {
            Some(id) => format!(
                "Command {id} could not be applied and was recorded as failed; nothing of it \
                 took effect. Sending it again will fail the same way: contact support with \
                 the command id."
            ),
            None => "The command could not be applied and was recorded as failed.".to_owned(),
        }
    }
}

/// Stores `record`'s failed outcome (unless the command was decided before: a duplicate
/// append) and advances the checkpoint past it, in the caller's transaction. The caller has
/// locked the checkpoint and checked that `record` is the next offset.
pub async fn record_failed(
    tx: &PipelinedTransaction,
    record: &FailedRecord,
) -> Result<(), StoreError> {
    if let (Some(command_id), Some(tenant_id)) = (record.command_id, record.tenant_id) {
        let statement = tx
            .prepare_cached(
                "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind,
                                               accepted, error_code, error_message, event_count,
                                               decided_at)
                 VALUES ($1, $2, $3, $4, $5, false, $6, $7, 0, $8)
                 ON CONFLICT (command_id) DO NOTHING",
            )
            .await?;
        let decided_at = record.issued_at.unwrap_or(DateTime::UNIX_EPOCH);
        tx.execute(
            &statement,
            &[
                &command_id.to_string(),
                &tenant_id.to_string(),
                &(record.partition as i32),
                &record.offset,
                &record.kind,
                &ErrorCode::InternalError.as_str(),
                &record.message(),
                &decided_at,
            ],
        )
        .await?;
    }
    // Rare: announced inside the transaction, delivered when the caller commits it.
    let advance = super::checkpoint::advance(&[(record.partition, record.offset)]);
    let announcement = super::checkpoint::Announcement::new(record.partition, record.offset, None);
    execute_all(tx, &[advance], End::Open, &[announcement], false).await?;
    Ok(())
}

/// Remembers that an operator passed over `record` because of `reason`, for rebuilds.
pub async fn remember_skip(
    tx: &PipelinedTransaction,
    record: &FailedRecord,
    reason: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO operator.skipped_records (partition, \"offset\", command_id, tenant_id, kind, reason)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[
            &(record.partition as i32),
            &record.offset,
            &record.command_id.map(|id| id.to_string()),
            &record.tenant_id.map(|id| id.to_string()),
            &record.kind,
            &reason,
        ],
    )
    .await?;
    Ok(())
}

/// Every record operators passed over, as `(partition, offset)`.
pub async fn skipped_records(
    client: &tokio_postgres::Client,
) -> Result<std::collections::BTreeSet<(u32, i64)>, StoreError> {
    let rows = client
        .query(
            "SELECT partition, \"offset\" FROM operator.skipped_records",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get::<_, i32>(0) as u32, row.get::<_, i64>(1)))
        .collect())
}
