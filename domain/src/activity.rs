//! Activity entries and their per-tenant hash chain.
//!
//! `hash` = lowercase hex SHA-256 of the UTF-8 bytes of `prevHash` followed by the RFC 8785
//! (JCS) canonical JSON of the entry object without its `hash` field — the object exactly as
//! the API returns it, so anyone can re-verify the chain from the API alone. The first entry of
//! a tenant has `prevHash` = 64 zeros.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical_json;

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
        let canonical = self.canonical_without_hash();
        let mut digest = Sha256::new();
        digest.update(self.prev_hash.as_bytes());
        digest.update(&canonical);
        hex::encode(digest.finalize())
    }

    /// The RFC 8785 text of the entry without `hash`: its members in canonical order (their
    /// names are ASCII, so by bytes), each as [`ActivityEntry`] serializes it (a test pins the
    /// text; another compares it with `serde_jcs` on arbitrary entries).
    fn canonical_without_hash(&self) -> Vec<u8> {
        fn typed_ref(out: &mut Vec<u8>, reference: &TypedRef) {
            out.extend_from_slice(b"{\"id\":");
            canonical_json::write_str(out, &reference.id);
            out.extend_from_slice(b",\"type\":");
            canonical_json::write_str(out, &reference.kind);
            out.push(b'}');
        }
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"{\"actor\":");
        typed_ref(&mut out, &self.actor);
        out.extend_from_slice(b",\"agentId\":");
        match &self.agent_id {
            Some(agent_id) => canonical_json::write_str(&mut out, agent_id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"data\":");
        canonical_json::write_value(&mut out, &self.data);
        out.extend_from_slice(b",\"id\":");
        canonical_json::write_str(&mut out, &self.id);
        out.extend_from_slice(b",\"prevHash\":");
        canonical_json::write_str(&mut out, &self.prev_hash);
        out.extend_from_slice(b",\"sequence\":");
        // As a double, as JCS writes every number.
        canonical_json::write_number(&mut out, self.sequence as f64);
        out.extend_from_slice(b",\"subject\":");
        typed_ref(&mut out, &self.subject);
        out.extend_from_slice(b",\"timestamp\":");
        canonical_json::write_str(&mut out, &self.timestamp);
        out.extend_from_slice(b",\"type\":");
        canonical_json::write_str(&mut out, &self.event_type);
        out.push(b'}');
        out
    }

    /// Sets `hash` from the content.
    pub fn sealed(mut self) -> Self {
        self.hash = Some(self.compute_hash());
        self
    }
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
    use proptest::prelude::*;
    use serde_json::json;

    use crate::canonical_json::strategies::{any_text, any_value};

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
            Some(hex::encode(digest.finalize()).as_str())
        );
    }

    /// The entry without `hash` as `serde_jcs` was given it before the canonical text was
    /// written by hand: the stored hashes were computed from this.
    #[derive(serde::Serialize)]
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

    fn any_ref() -> impl Strategy<Value = TypedRef> {
        (any_text(), any_text()).prop_map(|(kind, id)| TypedRef { kind, id })
    }

    proptest! {
        #[test]
        fn the_hashed_text_is_what_serde_jcs_wrote(
            (id, event_type, timestamp, prev_hash) in (any_text(), any_text(), any_text(), any_text()),
            sequence in any::<i64>(),
            (actor, subject) in (any_ref(), any_ref()),
            agent_id in proptest::option::of(any_text()),
            data in any_value(),
        ) {
            let entry = ActivityEntry {
                id, sequence, event_type, timestamp, actor, agent_id, subject, data,
                hash: Some("ignored".into()), prev_hash,
            };
            let expected = serde_jcs::to_vec(&Unhashed {
                id: &entry.id,
                sequence: entry.sequence,
                event_type: &entry.event_type,
                timestamp: &entry.timestamp,
                actor: &entry.actor,
                agent_id: &entry.agent_id,
                subject: &entry.subject,
                data: &entry.data,
                prev_hash: &entry.prev_hash,
            })
            .expect("serde_jcs writes any entry");
            let written = entry.canonical_without_hash();
            prop_assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&expected));
        }
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
