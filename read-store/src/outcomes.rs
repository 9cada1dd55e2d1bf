//! Reads of `command_outcomes`: how the projector decided a command.

use postgres_types::Json;
use schema::{CommandId, ErrorCode, FieldError, Rejection};

use crate::batch::{fetch_rows, Lookup};
use crate::{Store, StoreError};

/// The decision on one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected(Rejection),
}

/// Outcomes by command, many in one query (see [`crate::batch`]): a lookup by primary key for
/// each.
pub(crate) const GET_MANY: &str =
    "SELECT o.accepted, o.error_code, o.error_message, o.error_details, o.retry_at, w.n
     FROM unnest($1::text[]) WITH ORDINALITY AS w(command_id, n)
     JOIN command_outcomes o ON o.command_id = w.command_id";

/// Outcomes by command, looked up together (see [`find`]).
pub struct ByCommand;

impl Lookup for ByCommand {
    type Key = CommandId;
    type Row = Outcome;

    async fn fetch(
        client: &deadpool_postgres::Client,
        keys: &[CommandId],
    ) -> Result<Vec<(usize, Outcome)>, StoreError> {
        let ids: Vec<String> = keys.iter().map(ToString::to_string).collect();
        fetch_rows(client, GET_MANY, &[&ids], outcome_from_row).await
    }
}

/// The outcome of `id`, if it has been decided, looked up in one query with the others asked
/// for at the same moment ([`crate::batch`]).
pub async fn find(store: &Store, id: CommandId) -> Result<Option<Outcome>, StoreError> {
    store.batchers().outcomes.get(id).await
}

fn outcome_from_row(row: &tokio_postgres::Row) -> Result<Outcome, StoreError> {
    if row.get::<_, bool>(0) {
        return Ok(Outcome::Accepted);
    }
    let code: String = row.get(1);
    let details: Option<Json<Vec<FieldError>>> = row.get(3);
    Ok(Outcome::Rejected(Rejection {
        code: ErrorCode::parse(&code)
            .ok_or_else(|| StoreError::Corrupt(format!("error code {code}")))?,
        message: row.get(2),
        details: details.map(|Json(details)| details).unwrap_or_default(),
        retry_at: row.get(4),
    }))
}
