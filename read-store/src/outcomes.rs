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
pub(crate) const GET: &str =
    "SELECT command_id, accepted, error_code, error_message, error_details, retry_at
     FROM command_outcomes WHERE command_id = $1";

/// The outcome of `id`, if it has been decided.
pub async fn get(
    client: &impl GenericClient,
    id: CommandId,
) -> Result<Option<Outcome>, StoreError> {
    let statement = client.prepare_cached(GET).await?;
    let row = client.query_opt(&statement, &[&id.to_string()]).await?;
    row.as_ref()
        .map(|row| outcome_from_row(row).map(|(_, outcome)| outcome))
        .transpose()
}

fn outcome_from_row(row: &tokio_postgres::Row) -> Result<(CommandId, Outcome), StoreError> {
    let id: String = row.get(0);
    let id: CommandId = id
        .parse()
        .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))?;
    let accepted: bool = row.get(1);
    if accepted {
        return Ok((id, Outcome::Accepted));
    }
    let code: String = row.get(2);
    let details: Option<Json<Vec<FieldError>>> = row.get(4);
    let rejection = Rejection {
        code: ErrorCode::parse(&code)
            .ok_or_else(|| StoreError::Corrupt(format!("error code {code}")))?,
        message: row.get(3),
        details: details.map(|Json(details)| details).unwrap_or_default(),
        retry_at: row.get(5),
    };
    Ok((id, Outcome::Rejected(rejection)))
}
