//! The statements each event implies.

use postgres_types::Json;
use schema::event::{Event, EventKind};
use schema::CommandRecord;

use super::pipeline::Statement;

const INSERT_TENANT: &str =
    "INSERT INTO tenants (id, name, plan, per_minute, per_hour, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_KEY: &str =
    "INSERT INTO api_keys (id, tenant_id, name, scope, key_hash, prefix, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const REVOKE_KEY: &str = "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2";
const INSERT_AGENT: &str =
    "INSERT INTO agents (tenant_id, id, name, role, description, status, config, soul, soul_sha256,
                         created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const UPDATE_AGENT: &str =
    "UPDATE agents SET name = $3, role = $4, description = $5, config = $6, updated_at = $7
     WHERE tenant_id = $1 AND id = $2";
const DELETE_AGENT: &str = "DELETE FROM agents WHERE tenant_id = $1 AND id = $2";
const SET_SOUL: &str =
    "UPDATE agents SET soul = $3, soul_sha256 = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2";
const SET_STATUS: &str = "UPDATE agents SET status = $3 WHERE tenant_id = $1 AND id = $2";
const SET_HEARTBEAT: &str =
    "UPDATE agents SET last_heartbeat_at = $3 WHERE tenant_id = $1 AND id = $2";
/// Takes the tenant's next sequence and inserts the entry in one statement.
const APPEND_ACTIVITY: &str = "WITH head AS (
         INSERT INTO activity_heads (tenant_id, last_sequence) VALUES ($1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = activity_heads.last_sequence + 1
         RETURNING last_sequence
     )
     INSERT INTO activity (tenant_id, sequence, id, type, timestamp, actor_type, actor_id, agent_id,
                           subject_type, subject_id, data, command_id)
     SELECT $1, last_sequence, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM head";

/// Appends the read-model statements of `kind` to `out`.
pub fn statements(record: &CommandRecord, kind: &EventKind, out: &mut Vec<Statement>) {
    let tenant = record.tenant_id.to_string();
    let at = record.issued_at;
    let statement = match kind.clone() {
        EventKind::TenantCreated {
            name,
            plan,
            per_minute,
            per_hour,
        } => Statement::new(
            INSERT_TENANT,
            vec![
                Box::new(tenant),
                Box::new(name),
                Box::new(plan.as_str()),
                Box::new(per_minute.map(|n| n as i32)),
                Box::new(per_hour.map(|n| n as i32)),
                Box::new(at),
            ],
        ),
        EventKind::ApiKeyCreated {
            key_id,
            name,
            scope,
            key_hash,
            prefix,
            expires_at,
        } => Statement::new(
            INSERT_KEY,
            vec![
                Box::new(key_id.to_string()),
                Box::new(tenant),
                Box::new(name),
                Box::new(scope.as_str()),
                Box::new(key_hash),
                Box::new(prefix),
                Box::new(expires_at),
                Box::new(at),
            ],
        ),
        EventKind::ApiKeyRevoked { key_id } => Statement::new(
            REVOKE_KEY,
            vec![Box::new(tenant), Box::new(key_id.to_string()), Box::new(at)],
        ),
        EventKind::AgentCreated { agent, soul } => Statement::new(
            INSERT_AGENT,
            vec![
                Box::new(tenant),
                Box::new(agent.id.to_string()),
                Box::new(agent.name),
                Box::new(agent.role),
                Box::new(agent.description),
                Box::new(agent.status.as_str()),
                Box::new(Json(agent.config)),
                Box::new(soul),
                Box::new(agent.soul_sha256),
                Box::new(agent.created_at),
                Box::new(agent.updated_at),
            ],
        ),
        EventKind::AgentUpdated { agent } => Statement::new(
            UPDATE_AGENT,
            vec![
                Box::new(tenant),
                Box::new(agent.id.to_string()),
                Box::new(agent.name),
                Box::new(agent.role),
                Box::new(agent.description),
                Box::new(Json(agent.config)),
                Box::new(agent.updated_at),
            ],
        ),
        EventKind::AgentDeleted { agent_id, .. } => Statement::new(
            DELETE_AGENT,
            vec![Box::new(tenant), Box::new(agent_id.to_string())],
        ),
        EventKind::AgentSoulUpdated {
            agent_id,
            soul,
            after,
            ..
        } => Statement::new(
            SET_SOUL,
            vec![
                Box::new(tenant),
                Box::new(agent_id.to_string()),
                Box::new(soul),
                Box::new(after),
                Box::new(at),
            ],
        ),
        EventKind::AgentStatusChanged { agent_id, to, .. } => Statement::new(
            SET_STATUS,
            vec![
                Box::new(tenant),
                Box::new(agent_id.to_string()),
                Box::new(to.as_str()),
            ],
        ),
        EventKind::HeartbeatRecorded { agent_id, .. } => Statement::new(
            SET_HEARTBEAT,
            vec![
                Box::new(tenant),
                Box::new(agent_id.to_string()),
                Box::new(at),
            ],
        ),
        EventKind::AgentHeartbeatMissed { .. } => return,
    };
    out.push(statement);
}

/// The activity entry of a public event.
pub fn activity(record: &CommandRecord, event: &Event) -> Statement {
    let (subject_type, subject_id) = event.kind.subject(record.tenant_id);
    Statement::new(
        APPEND_ACTIVITY,
        vec![
            Box::new(record.tenant_id.to_string()),
            Box::new(event.id.to_string()),
            Box::new(event.kind.event_type()),
            Box::new(record.issued_at),
            Box::new(record.actor.actor_type.as_str()),
            Box::new(record.actor.id.clone()),
            Box::new(event.kind.agent_id().map(|id| id.to_string())),
            Box::new(subject_type),
            Box::new(subject_id),
            Box::new(Json(event.kind.activity_data())),
            Box::new(record.command_id.to_string()),
        ],
    )
}
