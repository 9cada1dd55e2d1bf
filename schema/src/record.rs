//! The command record: the unit the event log stores, forever.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::{Command, CommandId, TenantId};

/// The record layout written by this version of the code. Readers accept every version up to
/// this one; a record of an older version is upcast when read (see `CommandRecord::decode`).
///
/// History:
/// - 1: the first layout.
/// - 2: `tenant.create` carries its limit overrides as `limits: {perMinute, perHour}` instead
///   of `perMinute` and `perHour` beside `plan`.
pub const SCHEMA_VERSION: u16 = 2;

/// `UPCASTERS[v - 1]` rewrites the JSON of a version-`v` record into version `v + 1`. A change
/// of layout adds one function here and bumps [`SCHEMA_VERSION`]; records in the log are never
/// rewritten.
const UPCASTERS: &[fn(&mut serde_json::Value)] = &[v1_to_v2];

fn v1_to_v2(record: &mut serde_json::Value) {
    if record["kind"] == "tenant.create" {
        if let Some(payload) = record["payload"].as_object_mut() {
            let per_minute = payload.remove("perMinute").unwrap_or_default();
            let per_hour = payload.remove("perHour").unwrap_or_default();
            payload.insert(
                "limits".to_owned(),
                serde_json::json!({ "perMinute": per_minute, "perHour": per_hour }),
            );
        }
    }
}

/// `{commandId, tenantId, actor, issuedAt, kind, payload, schemaVersion}`: everything the
/// projector needs to decide, so applying a record never depends on the clock or randomness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandRecord {
    pub command_id: CommandId,
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub issued_at: DateTime<Utc>,
    pub schema_version: u16,
    #[serde(flatten)]
    pub command: Command,
}

/// Who asked for a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub actor_type: ActorType,
    pub id: String,
}

wire_enum! {
    /// Who appended a command: `api_key`, `system` or `agent`.
    ActorType { ApiKey = "api_key", System = "system", Agent = "agent" }
}

impl Actor {
    pub fn system(component: &str) -> Self {
        Self {
            actor_type: ActorType::System,
            id: component.to_owned(),
        }
    }

    pub fn api_key(id: crate::ApiKeyId) -> Self {
        Self {
            actor_type: ActorType::ApiKey,
            id: id.to_string(),
        }
    }
}

/// A record that cannot be read: corrupt bytes, or written by a newer version of the code.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("record is not valid JSON for a command: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(
        "record schema version {found} is newer than this build understands ({SCHEMA_VERSION})"
    )]
    TooNew { found: u16 },
}

impl CommandRecord {
    /// A new record issued now, with a fresh command id.
    pub fn new(tenant_id: TenantId, actor: Actor, command: Command) -> Self {
        Self {
            command_id: CommandId::new(),
            tenant_id,
            actor,
            // Milliseconds: what every client and Postgres keep exactly.
            issued_at: Utc::now().trunc_subsecs(3),
            schema_version: SCHEMA_VERSION,
            command,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a command record always serializes")
    }

    /// Reads a record of any known schema version.
    ///
    /// Upcasting rule: a reader first parses the version; a record of the current version is
    /// parsed directly, an older one is rewritten step by step ([`UPCASTERS`]) into the current
    /// layout before the typed parse, and a record from a newer build is refused rather than
    /// misread. The decoded record says the current version.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Version {
            schema_version: u16,
        }
        let version: Version = serde_json::from_slice(bytes)?;
        if version.schema_version > SCHEMA_VERSION {
            return Err(DecodeError::TooNew {
                found: version.schema_version,
            });
        }
        if version.schema_version == SCHEMA_VERSION {
            return Ok(serde_json::from_slice(bytes)?);
        }
        let mut json: serde_json::Value = serde_json::from_slice(bytes)?;
        for upcast in &UPCASTERS[usize::from(version.schema_version.max(1)) - 1..] {
            upcast(&mut json);
        }
        json["schemaVersion"] = SCHEMA_VERSION.into();
        Ok(serde_json::from_value(json)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    #[test]
    fn a_version_1_tenant_creation_is_upcast_to_nested_limits() {
        let v1 = br#"{"commandId":"cmd_01jq8abcdefghjkmnpqrstvwxy","tenantId":"ten_01jq8abcdefghjkmnpqrstvwxy",
            "actor":{"type":"system","id":"admin"},"issuedAt":"2026-01-15T09:00:00Z","schemaVersion":1,
            "kind":"tenant.create","payload":{"name":"Acme","plan":"operational","perMinute":7,"perHour":null}}"#;
        let record = CommandRecord::decode(v1).unwrap();
        assert_eq!(record.schema_version, SCHEMA_VERSION);
        let Command::CreateTenant(create) = &record.command else {
            panic!("{record:?}")
        };
        assert_eq!(create.limits.per_minute, Some(7));
        assert_eq!(create.limits.per_hour, None);
        // Re-encoded, it is a current record.
        assert_eq!(CommandRecord::decode(&record.encode()).unwrap(), record);
    }
}
