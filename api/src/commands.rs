//! Submitting a command: append it to the log, wait for the projector's decision, and turn a
//! rejection into the contract's error.

use chrono::{DateTime, Utc};
use event_log::ClaimedAppend;
use schema::{Actor, Command, CommandId, CommandRecord, ErrorCode};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use read_store::outcomes::Outcome;

/// A command applied to the read models.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    pub id: CommandId,
    /// When it was issued: the time its events carry.
    pub issued_at: DateTime<Utc>,
    /// The read models hold what this request's own record decided (see
    /// [`crate::outcome_waiter::Decided::this_record`]): a handler may answer from the command
    /// it sent instead of reading back what it wrote.
    pub as_issued: bool,
    /// With `as_issued`: the sequence the message the command posted got, when told.
    pub sequence: Option<i64>,
}

/// Appends `command` on behalf of `caller` and returns once it is applied to the read models
/// (so a read that follows, on any API process, sees it). A rejection becomes its 4xx (a
/// record stored as failed, its 500 with the command id); no decision within the command
/// timeout becomes 504 `COMMAND_TIMEOUT` with the command id.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    command: Command,
) -> Result<Applied, ApiError> {
    let mut record = CommandRecord::new(caller.tenant_id, Actor::api_key(caller.key_id), command);
    // Derived from the Idempotency-Key when there is one: a retry appends the same command id,
    // which the projector decides only once.
    record.command_id = crate::ids::next();
    submit_record(state, record).await
}

/// Appends `record` and waits for it to be applied.
pub async fn submit_record(state: &AppState, record: CommandRecord) -> Result<Applied, ApiError> {
    let deadline = tokio::time::Instant::now() + state.command_timeout;
    let position = match crate::idempotency::claim_with_the_append() {
        None => state.log.append(&record).await?,
        Some(claim) => match state.log.append_claiming(&record, &claim).await? {
            ClaimedAppend::Appended(position) => position,
            ClaimedAppend::KeyTaken => return Err(crate::idempotency::key_taken()),
        },
    };
    let appended = std::time::Instant::now();
    let decided = state
        .waiter
        .wait(record.command_id, position, deadline)
        .await?;
    let signals = &state.signals;
    if decided.is_some() {
        signals.command_wait.observe_duration(appended.elapsed());
    }
    let (outcome, as_issued, sequence) = match decided {
        Some(decided) => (Some(decided.outcome), decided.this_record, decided.sequence),
        None => (None, false, None),
    };
    match outcome {
        Some(Outcome::Accepted) => {
            signals.command("accepted", None);
            Ok(Applied {
                id: record.command_id,
                issued_at: record.issued_at,
                as_issued,
                sequence,
            })
        }
        Some(Outcome::Rejected(rejection)) => {
            let mut error = ApiError::from(rejection);
            if error.code == ErrorCode::InternalError {
                // A record the projector could never apply: the id lets support find it.
                error.details = vec![json!({ "commandId": record.command_id })];
                signals.command("failed", Some(error.code.as_str()));
            } else {
                signals.command("rejected", Some(error.code.as_str()));
            }
            Err(error)
        }
        None => {
            signals.command("timeout", Some(ErrorCode::CommandTimeout.as_str()));
            let mut error = ApiError::new(
                ErrorCode::CommandTimeout,
                format!(
                    "Command {} was accepted into the log but not applied within {:?}; \
                     retry with the same Idempotency-Key to get its outcome",
                    record.command_id, state.command_timeout
                ),
            );
            error.details = vec![json!({ "commandId": record.command_id })];
            Err(error)
        }
    }
}
