//! The projector's reads and writes inside a batch's transaction. Nothing here decides: it
//! loads the state `domain::decide` needs and writes what it decided.
//!
//! Round trips are what a batch costs, so each record takes two: one pipelined load (outcome
//! already stored? + the state), and one pipelined write of every statement the decision
//! implies (read models, activity entries, the outcome).

mod checkpoint;
mod events;
mod pipeline;

use deadpool_postgres::Transaction;
use domain::{DecisionState, Needs};
use postgres_types::Json;
use schema::event::Event;
use schema::{CommandRecord, Rejection};

pub use checkpoint::{checkpoints, finish_batch, lock_checkpoint, APPLIED_CHANNEL};
use pipeline::{execute_all, Statement};

use crate::StoreError;

const LOAD: &str = "SELECT EXISTS (SELECT 1 FROM command_outcomes WHERE command_id = $4),
        EXISTS (SELECT 1 FROM tenants WHERE id = $1),
        (SELECT id FROM agents WHERE tenant_id = $1 AND lower(name) = lower($2)),
        (SELECT revoked_at IS NOT NULL FROM api_keys WHERE tenant_id = $1 AND id = $3)";

/// The state `needs` asks for, or `None` when the command was already decided (a duplicate of
/// a record applied before).
pub async fn load(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    needs: &Needs,
) -> Result<Option<DecisionState>, StoreError> {
    let tenant = record.tenant_id.to_string();
    let command_id = record.command_id.to_string();
    let name = needs.agent_name.as_deref();
    let key = needs.api_key.map(|id| id.to_string());
    let load = tx.prepare_cached(LOAD).await?;
    let params: [&(dyn postgres_types::ToSql + Sync); 4] = [&tenant, &name, &key, &command_id];
    let row = tx.query_one(&load, &params);
    let agent = async {
        match needs.agent {
            Some(id) => crate::agents::state(tx, record.tenant_id, id).await,
            None => Ok(None),
        }
    };
    let (row, agent) =
        futures::future::try_join(async { row.await.map_err(StoreError::from) }, agent).await?;
    if row.get::<_, bool>(0) {
        return Ok(None);
    }
    let name_holder: Option<String> = row.get(2);
    let key_revoked: Option<bool> = row.get(3);
    Ok(Some(DecisionState {
        tenant_exists: row.get(1),
        agent,
        name_holder: name_holder
            .map(|id| id.parse())
            .transpose()
            .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))?,
        api_key: match (needs.api_key, key_revoked) {
            (Some(id), Some(revoked)) => Some(domain::ApiKeyState { id, revoked }),
            _ => None,
        },
    }))
}

const INSERT_OUTCOME: &str =
    "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind, accepted,
                                   error_code, error_message, error_details, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Writes a decision: the events applied to the read models, the public ones appended to the
/// tenant's activity log, and the outcome stored under the command id.
pub async fn write_decision(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    position: (u32, i64),
    decision: Result<&[Event], &Rejection>,
) -> Result<(), StoreError> {
    let mut statements = Vec::new();
    if let Ok(events) = decision {
        for event in events {
            events::statements(record, &event.kind, &mut statements);
            if event.kind.is_public() {
                statements.push(events::activity(record, event));
            }
        }
    }
    let (code, message, details) = match decision {
        Ok(_) => (None, None, None),
        Err(rejection) => (
            Some(rejection.code.as_str()),
            Some(rejection.message.clone()),
            (!rejection.details.is_empty()).then_some(Json(
                serde_json::to_value(&rejection.details).unwrap_or_default(),
            )),
        ),
    };
    statements.push(Statement::new(
        INSERT_OUTCOME,
        vec![
            Box::new(record.command_id.to_string()),
            Box::new(record.tenant_id.to_string()),
            Box::new(position.0 as i32),
            Box::new(position.1),
            Box::new(record.command.kind()),
            Box::new(decision.is_ok()),
            Box::new(code),
            Box::new(message),
            Box::new(details),
            Box::new(record.issued_at),
        ],
    ));
    execute_all(tx, &statements).await
}
