//! The projector's writes: everything one decided record changes, inside the batch's
//! transaction. Nothing here decides; it loads state for `domain::decide` and applies the
//! events it returned.

use deadpool_postgres::Transaction;
use domain::{DecisionState, Needs};
use postgres_types::Json;
use schema::event::{AgentSnapshot, Event, EventKind};
use schema::{CommandRecord, Rejection};

use crate::StoreError;

/// The channel on which the projector announces "partition:offset applied".
pub const APPLIED_CHANNEL: &str = "agenfleet_applied";

/// The last applied offset of a partition, locked until the transaction ends, so that two
/// projectors that both believe they own a partition cannot both advance it.
pub async fn lock_checkpoint(
    tx: &Transaction<'_>,
    partition: u32,
) -> Result<Option<i64>, StoreError> {
    let partition = partition as i32;
    tx.execute(
        "INSERT INTO checkpoints (partition, \"offset\") VALUES ($1, -1) ON CONFLICT DO NOTHING",
        &[&partition],
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT \"offset\" FROM checkpoints WHERE partition = $1 FOR UPDATE",
            &[&partition],
        )
        .await?;
    let offset: i64 = row.get(0);
    Ok((offset >= 0).then_some(offset))
}

/// The last applied offset of each partition (no lock), for seeking after an assignment.
pub async fn checkpoints(
    client: &impl deadpool_postgres::GenericClient,
    partitions: &[u32],
) -> Result<Vec<(u32, Option<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(partitions.len());
    for &partition in partitions {
        let row = client
            .query_opt(
                "SELECT \"offset\" FROM checkpoints WHERE partition = $1",
                &[&(partition as i32)],
            )
            .await?;
        out.push((
            partition,
            row.map(|row| row.get::<_, i64>(0))
                .filter(|offset| *offset >= 0),
        ));
    }
    Ok(out)
}

pub async fn set_checkpoint(
    tx: &Transaction<'_>,
    partition: u32,
    offset: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE checkpoints SET \"offset\" = $2 WHERE partition = $1",
        &[&(partition as i32), &offset],
    )
    .await?;
    Ok(())
}

/// Tells API processes that a partition is applied up to an offset (delivered on commit).
pub async fn notify_applied(
    tx: &Transaction<'_>,
    partition: u32,
    offset: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&APPLIED_CHANNEL, &format!("{partition}:{offset}")],
    )
    .await?;
    Ok(())
}

/// Whether a command with this id was already decided (a duplicate in the log).
pub async fn already_decided(
    tx: &Transaction<'_>,
    record: &CommandRecord,
) -> Result<bool, StoreError> {
    let row = tx
        .query_opt(
            "SELECT 1 FROM command_outcomes WHERE command_id = $1",
            &[&record.command_id.to_string()],
        )
        .await?;
    Ok(row.is_some())
}

/// Loads what `needs` asks for.
pub async fn load_state(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    needs: &Needs,
) -> Result<DecisionState, StoreError> {
    let tenant = record.tenant_id.to_string();
    let name = needs.agent_name.as_deref();
    let key = needs.api_key.map(|id| id.to_string());
    let row = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1),
                    (SELECT id FROM agents WHERE tenant_id = $1 AND lower(name) = lower($2)),
                    (SELECT revoked_at IS NOT NULL FROM api_keys WHERE tenant_id = $1 AND id = $3)",
            &[&tenant, &name, &key],
        )
        .await?;
    let name_holder: Option<String> = row.get(1);
    let key_revoked: Option<bool> = row.get(2);
    let agent = match needs.agent {
        Some(id) => crate::agents::state(tx, record.tenant_id, id).await?,
        None => None,
    };
    Ok(DecisionState {
        tenant_exists: row.get(0),
        agent,
        name_holder: name_holder
            .map(|id| id.parse())
            .transpose()
            .map_err(corrupt)?,
        api_key: match (needs.api_key, key_revoked) {
            (Some(id), Some(revoked)) => Some(domain::ApiKeyState { id, revoked }),
            _ => None,
        },
    })
}

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

/// Applies accepted events to the read models and appends the public ones to the tenant's
/// activity log.
pub async fn apply_events(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    events: &[Event],
) -> Result<(), StoreError> {
    for event in events {
        apply_event(tx, record, &event.kind).await?;
        if event.kind.is_public() {
            append_activity(tx, record, event).await?;
        }
    }
    Ok(())
}

async fn apply_event(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    kind: &EventKind,
) -> Result<(), StoreError> {
    let tenant = record.tenant_id.to_string();
    let at = record.issued_at;
    match kind {
        EventKind::TenantCreated {
            name,
            plan,
            per_minute,
            per_hour,
        } => {
            tx.execute(
                "INSERT INTO tenants (id, name, plan, per_minute, per_hour, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&tenant, name, &plan.as_str(), &per_minute.map(|n| n as i32), &per_hour.map(|n| n as i32), &at],
            )
            .await?;
        }
        EventKind::ApiKeyCreated {
            key_id,
            name,
            scope,
            key_hash,
            prefix,
            expires_at,
        } => {
            tx.execute(
                "INSERT INTO api_keys (id, tenant_id, name, scope, key_hash, prefix, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&key_id.to_string(), &tenant, name, &scope.as_str(), key_hash, prefix, expires_at, &at],
            )
            .await?;
        }
        EventKind::ApiKeyRevoked { key_id } => {
            tx.execute(
                "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &key_id.to_string(), &at],
            )
            .await?;
        }
        EventKind::AgentCreated { agent, soul } => {
            insert_agent(tx, &tenant, agent, soul.as_deref()).await?
        }
        EventKind::AgentUpdated { agent } => {
            tx.execute(
                "UPDATE agents SET name = $3, role = $4, description = $5, config = $6, updated_at = $7
                 WHERE tenant_id = $1 AND id = $2",
                &[
                    &tenant,
                    &agent.id.to_string(),
                    &agent.name,
                    &agent.role,
                    &agent.description,
                    &Json(&agent.config),
                    &agent.updated_at,
                ],
            )
            .await?;
        }
        EventKind::AgentDeleted { agent_id, .. } => {
            tx.execute(
                "DELETE FROM agents WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &agent_id.to_string()],
            )
            .await?;
        }
        EventKind::AgentSoulUpdated {
            agent_id,
            soul,
            after,
            ..
        } => {
            tx.execute(
                "UPDATE agents SET soul = $3, soul_sha256 = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &agent_id.to_string(), soul, after, &at],
            )
            .await?;
        }
        EventKind::AgentStatusChanged { agent_id, to, .. } => {
            tx.execute(
                "UPDATE agents SET status = $3 WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &agent_id.to_string(), &to.as_str()],
            )
            .await?;
        }
        EventKind::HeartbeatRecorded { agent_id, .. } => {
            tx.execute(
                "UPDATE agents SET last_heartbeat_at = $3 WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &agent_id.to_string(), &at],
            )
            .await?;
        }
        EventKind::AgentHeartbeatMissed { .. } => {}
    }
    Ok(())
}

async fn insert_agent(
    tx: &Transaction<'_>,
    tenant: &str,
    agent: &AgentSnapshot,
    soul: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO agents (tenant_id, id, name, role, description, status, config, soul, soul_sha256, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &tenant,
            &agent.id.to_string(),
            &agent.name,
            &agent.role,
            &agent.description,
            &agent.status.as_str(),
            &Json(&agent.config),
            &soul,
            &agent.soul_sha256,
            &agent.created_at,
            &agent.updated_at,
        ],
    )
    .await?;
    Ok(())
}

async fn append_activity(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    event: &Event,
) -> Result<(), StoreError> {
    let tenant = record.tenant_id.to_string();
    let sequence: i64 = tx
        .query_one(
            "INSERT INTO activity_heads (tenant_id, last_sequence) VALUES ($1, 1)
             ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = activity_heads.last_sequence + 1
             RETURNING last_sequence",
            &[&tenant],
        )
        .await?
        .get(0);
    let (subject_type, subject_id) = event.kind.subject(record.tenant_id);
    tx.execute(
        "INSERT INTO activity (tenant_id, sequence, id, type, timestamp, actor_type, actor_id, agent_id,
                               subject_type, subject_id, data, command_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &tenant,
            &sequence,
            &event.id.to_string(),
            &event.kind.event_type(),
            &record.issued_at,
            &record.actor.actor_type.as_str(),
            &record.actor.id,
            &event.kind.agent_id().map(|id| id.to_string()),
            &subject_type,
            &subject_id,
            &Json(event.kind.activity_data()),
            &record.command_id.to_string(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores how the command was decided, under its id, for the API waiting on it.
pub async fn record_outcome(
    tx: &Transaction<'_>,
    record: &CommandRecord,
    position: (u32, i64),
    outcome: Result<(), &Rejection>,
) -> Result<(), StoreError> {
    let (code, message, details) = match outcome {
        Ok(()) => (None, None, None),
        Err(rejection) => (
            Some(rejection.code.as_str()),
            Some(rejection.message.as_str()),
            (!rejection.details.is_empty()).then_some(Json(&rejection.details)),
        ),
    };
    tx.execute(
        "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind, accepted,
                                       error_code, error_message, error_details, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &record.command_id.to_string(),
            &record.tenant_id.to_string(),
            &(position.0 as i32),
            &position.1,
            &record.command.kind(),
            &outcome.is_ok(),
            &code,
            &message,
            &details,
            &record.issued_at,
        ],
    )
    .await?;
    Ok(())
}
