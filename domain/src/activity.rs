//! Activity entries and their per-tenant hash chain.
//!
//! `hash` = lowercase hex SHA-256 of the UTF-8 bytes of `prevHash` followed by the RFC 8785
//! (JCS) canonical JSON of the entry object without its `hash` field — the object exactly as
//! the API returns it, so anyone can re-verify the chain from the API alone. The first entry of
//! a tenant has `prevHash` = 64 zeros.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prevHash` of a tenant's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An activity entry as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    pub id: String,
    pub sequence: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339 UTC with milliseconds (`2026-01-15T09:00:00.000Z`), always in that form so the
    /// hashed text and the served text are the same.
    pub timestamp: String,
    pub actor: TypedRef,
    pub agent_id: Option<String>,
    pub subject: TypedRef,
    pub data: serde_json::Value,
    /// Absent while the entry is hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    pub prev_hash: String,
}

/// The entry without `hash`, borrowed: what the hash covers (the same names as
/// [`ActivityEntry`]'s serialization; a test pins the text).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Unhashed<'a> {
    id: &'a str,
    sequence: i64,
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: &'a str,
    actor: &'a TypedRef,
    agent_id: &'a Option<String>,
    subject: &'a TypedRef,
    data: &'a serde_json::Value,
    prev_hash: &'a str,
}

/// `{type, id}` of an actor or a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// The timestamp form of entries.
pub fn entry_timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl ActivityEntry {
    /// The hash this entry must carry, from its content and `prev_hash` (whatever `hash` is).
    pub fn compute_hash(&self) -> String {
        let unhashed = Unhashed {
            id: &self.id,
            sequence: self.sequence,
            event_type: &self.event_type,
            timestamp: &self.timestamp,
            actor: &self.actor,
            agent_id: &self.agent_id,
            subject: &self.subject,
            data: &self.data,
            prev_hash: &self.prev_hash,
        };
        let canonical = serde_jcs::to_vec(&unhashed).expect("an entry always serializes");
        let mut digest = Sha256::new();
        digest.update(self.prev_hash.as_bytes());
        digest.update(&canonical);
        hex_lower(&digest.finalize())
    }

    /// Sets `hash` from the content.
    pub fn sealed(mut self) -> Self {
        self.hash = Some(self.compute_hash());
        self
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Checks entries of one tenant in sequence order, from the first, and remembers the first that
/// does not hold: its hash differs from its content's, it does not link to the entry before, or
/// its sequence leaves a gap. Entries after it are only counted.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    pub entries: u64,
    pub first_broken: Option<i64>,
    prev_hash: Option<String>,
    prev_sequence: i64,
}

impl ChainVerifier {
    /// Feeds the next entry; returns false once the chain is broken.
    pub fn push(&mut self, entry: &ActivityEntry) -> bool {
        self.entries += 1;
        if self.first_broken.is_some() {
            return false;
        }
        let expected_prev = self.prev_hash.as_deref().unwrap_or(GENESIS_HASH);
        let holds = entry.sequence == self.prev_sequence + 1
            && entry.prev_hash == expected_prev
            && entry.hash.as_deref() == Some(entry.compute_hash().as_str());
        if !holds {
            self.first_broken = Some(entry.sequence);
            return false;
        }
        self.prev_sequence = entry.sequence;
        self.prev_hash = entry.hash.clone();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(sequence: i64, prev_hash: &str, data: serde_json::Value) -> ActivityEntry {
        ActivityEntry {
            id: format!("evt_{sequence}"),
            sequence,
            event_type: "agent.created".into(),
            timestamp: "2026-01-15T09:00:00.000Z".into(),
            actor: TypedRef {
                kind: "api_key".into(),
                id: "key_1".into(),
            },
            agent_id: Some("agent_1".into()),
            subject: TypedRef {
                kind: "agent".into(),
                id: "agent_1".into(),
            },
            data,
            hash: None,
            prev_hash: prev_hash.into(),
        }
        .sealed()
    }

    #[test]
    fn the_hash_covers_prev_hash_and_the_canonical_entry_without_hash() {
        let first = entry(1, GENESIS_HASH, json!({"b": 1.0, "a": [0.8, "é"]}));
        // JCS: keys sorted, 1.0 written as 1, no whitespace, UTF-8 as is.
        let text = r#"{"actor":{"id":"key_1","type":"api_key"},"agentId":"agent_1","data":{"a":[0.8,"é"],"b":1},"id":"evt_1","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","sequence":1,"subject":{"id":"agent_1","type":"agent"},"timestamp":"2026-01-15T09:00:00.000Z","type":"agent.created"}"#;
        let mut digest = Sha256::new();
        digest.update(GENESIS_HASH.as_bytes());
        digest.update(text.as_bytes());
        assert_eq!(
            first.hash.as_deref(),
            Some(hex_lower(&digest.finalize()).as_str())
        );
    }

    #[test]
    fn the_verifier_reports_the_first_entry_that_does_not_hold() {
        let first = entry(1, GENESIS_HASH, json!({}));
        let second = entry(2, first.hash.as_deref().unwrap(), json!({"n": 2}));
        let third = entry(3, second.hash.as_deref().unwrap(), json!({"n": 3}));
        let mut ok = ChainVerifier::default();
        assert!([&first, &second, &third].iter().all(|e| ok.push(e)));
        assert_eq!((ok.entries, ok.first_broken), (3, None));

        let mut edited = second.clone();
        edited.data = json!({"n": 20});
        let mut verifier = ChainVerifier::default();
        for e in [&first, &edited, &third] {
            verifier.push(e);
        }
        assert_eq!(verifier.first_broken, Some(2));

        let mut verifier = ChainVerifier::default();
        verifier.push(&first);
        verifier.push(&third);
        assert_eq!(verifier.first_broken, Some(3), "a gap breaks the chain");
    }
}
