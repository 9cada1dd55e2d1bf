//! Reads of `command_outcomes`: how the projector decided a command.

use deadpool_postgres::GenericClient;
use postgres_types::Json;
use schema::{CommandId, ErrorCode, FieldError, Rejection};

use crate::StoreError;

/// The decision on one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected(Rejection),
}

/// A lookup by primary key (see `Store::lookup_client`).
pub(crate) const GET: &str = "SELECT accepted, error_code, error_message, error_details, retry_at
     FROM command_outcomes WHERE command_id = $1";

/// The outcome of `id`, if it has been decided.
pub async fn get(
    client: &impl GenericClient,
    id: CommandId,
) -> Result<Option<Outcome>, StoreError> {
    let statement = client.prepare_cached(GET).await?;
    let row = client.query_opt(&statement, &[&id.to_string()]).await?;
    row.as_ref().map(outcome_from_row).transpose()
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
