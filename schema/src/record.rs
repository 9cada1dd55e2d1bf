//! The command record: the unit the event log stores, forever.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::{Command, CommandId, TenantId};

/// The record layout written by this version of the code. Readers accept every version up to
/// this one; a record of an older version is upcast when read (see `CommandRecord::decode`).
pub const SCHEMA_VERSION: u16 = 1;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActorType {
    #[serde(rename = "api_key")]
    ApiKey,
    #[serde(rename = "system")]
    System,
    #[serde(rename = "agent")]
    Agent,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::System => "system",
            Self::Agent => "agent",
        }
    }
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
    /// Upcasting rule: a reader first parses the version, then rewrites the JSON of an older
    /// layout into the current one before the typed parse. Version 1 is the first layout, so
    /// there is nothing to rewrite yet; a record from a newer build is refused rather than
    /// misread.
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
        Ok(serde_json::from_slice(bytes)?)
    }
}
