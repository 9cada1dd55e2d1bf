//! Sealing webhook signing secrets at rest with AES-256-GCM under the operator key
//! `AGENFLEET_SECRET_KEY`.
//!
//! The key variable holds one key (`base64`) or a rotation list (`k2:base64,k1:base64`): the
//! first key seals, every listed key opens, so an operator rotates by prepending a new key and
//! dropping the old one once every row has been re-sealed. A sealed value names its key
//! (`k1:base64(nonce || ciphertext || tag)`), and callers bind it to its row with an associated
//! `context` so a ciphertext copied to another row does not open there.
//!
//! Errors and `Debug` output name key ids and positions, never key material.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::Rng as _;

/// The environment variable holding the operator key (or rotation list).
pub const ENV_VAR: &str = "AGENFLEET_SECRET_KEY";

/// The key id given to a key written without one (`AGENFLEET_SECRET_KEY=<base64>`).
pub const DEFAULT_KEY_ID: &str = "k1";

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_KEY_ID_LEN: usize = 32;

/// Why the operator key could not be parsed or a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "{ENV_VAR} is empty; set it to base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"
    )]
    Empty,
    #[error("{ENV_VAR} is not valid UTF-8")]
    NotUnicode,
    #[error("{ENV_VAR}: entry {position} is empty (stray comma?)")]
    EmptyEntry { position: usize },
    #[error("{ENV_VAR}: entry {position} must be `keyid:base64` when several keys are listed")]
    MissingKeyId { position: usize },
    #[error(
        "{ENV_VAR}: entry {position} has an invalid key id; ids are 1-32 characters of A-Z a-z 0-9 _ -"
    )]
    InvalidKeyId { position: usize },
    #[error("{ENV_VAR}: key id `{id}` is listed twice")]
    DuplicateKeyId { id: String },
    #[error("{ENV_VAR}: key `{id}` is not valid base64 (standard alphabet, padded)")]
    KeyNotBase64 { id: String },
    #[error("{ENV_VAR}: key `{id}` is {len} bytes; expected 32 (base64 of 32 random bytes)")]
    KeyLength { id: String, len: usize },
    #[error("sealed secret is malformed; expected `keyid:base64`")]
    Malformed,
    #[error(
        "sealed secret uses key `{id}`, which is not in {ENV_VAR}; keep old keys listed after the new one until every secret is re-sealed"
    )]
    UnknownKey { id: String },
    #[error(
        "sealed secret does not open under key `{id}`: it was tampered with, copied from another record, or the key changed"
    )]
    Undecryptable { id: String },
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The operator's AES-256-GCM keys; the first one seals, all of them open.
#[derive(Clone)]
pub struct Keyring {
    keys: Arc<[Key]>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.key_ids().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// Parses `base64` (one key, id `k1`) or `id:base64,id2:base64` (first key seals).
    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyringError::Empty);
        }
        // Neither `:` nor `,` is in the base64 alphabet, so either one means the list form.
        if !text.contains([':', ',']) {
            let cipher = cipher_for(DEFAULT_KEY_ID, text)?;
            let key = Key {
                id: DEFAULT_KEY_ID.to_owned(),
                cipher,
            };
            return Ok(Keyring {
                keys: Arc::from(vec![key]),
            });
        }
        let mut keys: Vec<Key> = Vec::new();
        for (index, entry) in text.split(',').enumerate() {
            let position = index + 1;
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(KeyringError::EmptyEntry { position });
            }
            let (id, material) = entry
                .split_once(':')
                .ok_or(KeyringError::MissingKeyId { position })?;
            let id = id.trim();
            if !is_valid_key_id(id) {
                return Err(KeyringError::InvalidKeyId { position });
            }
            if keys.iter().any(|key| key.id == id) {
                return Err(KeyringError::DuplicateKeyId { id: id.to_owned() });
            }
            let cipher = cipher_for(id, material.trim())?;
            keys.push(Key {
                id: id.to_owned(),
                cipher,
            });
        }
        Ok(Keyring {
            keys: Arc::from(keys),
        })
    }

    /// Reads [`ENV_VAR`]; `None` when it is unset or blank.
    pub fn from_env() -> Result<Option<Keyring>, KeyringError> {
        match std::env::var(ENV_VAR) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => Keyring::parse(&text).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(KeyringError::NotUnicode),
        }
    }

    /// The key ids, sealing key first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.id.as_str())
    }

    /// Seals `plaintext` under the first key, bound to `context` (e.g. `ten_…/wh_…`).
    ///
    /// # Panics
    ///
    /// Only if `plaintext` exceeds AES-GCM's limit of 64 GiB.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> String {
        // `parse` never builds an empty keyring, so the first key always exists.
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let sealed = key
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM seals any plaintext under 64 GiB");
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        format!("{}:{}", key.id, STANDARD.encode(blob))
    }

    /// Opens a value made by [`Keyring::encrypt`] with any listed key and the same `context`.
    pub fn decrypt(&self, sealed: &str, context: &str) -> Result<Vec<u8>, KeyringError> {
        let (id, encoded) = sealed.split_once(':').ok_or(KeyringError::Malformed)?;
        if !is_valid_key_id(id) {
            return Err(KeyringError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|key| key.id == id)
            .ok_or_else(|| KeyringError::UnknownKey { id: id.to_owned() })?;
        let blob = STANDARD
            .decode(encoded)
            .map_err(|_| KeyringError::Malformed)?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(KeyringError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        key.cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| KeyringError::Undecryptable { id: id.to_owned() })
    }
}

fn is_valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn cipher_for(id: &str, material: &str) -> Result<Aes256Gcm, KeyringError> {
    let bytes = STANDARD
        .decode(material)
        .map_err(|_| KeyringError::KeyNotBase64 { id: id.to_owned() })?;
    if bytes.len() != KEY_LEN {
        return Err(KeyringError::KeyLength {
            id: id.to_owned(),
            len: bytes.len(),
        });
    }
    Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyringError::KeyLength {
        id: id.to_owned(),
        len: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_b64(fill: u8) -> String {
        STANDARD.encode([fill; KEY_LEN])
    }

    #[test]
    fn a_single_key_is_named_k1_and_round_trips() {
        let keyring = Keyring::parse(&key_b64(7)).unwrap();
        assert_eq!(keyring.key_ids().collect::<Vec<_>>(), ["k1"]);
        let sealed = keyring.encrypt(b"whsec_abc", "ten_1/wh_1");
        assert!(sealed.starts_with("k1:"));
        assert_eq!(
            keyring.decrypt(&sealed, "ten_1/wh_1").unwrap(),
            b"whsec_abc"
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let keyring = Keyring::parse(&key_b64(7)).unwrap();
        assert_ne!(keyring.encrypt(b"x", "c"), keyring.encrypt(b"x", "c"));
    }

    #[test]
    fn the_first_listed_key_seals_and_older_keys_still_open() {
        let old = Keyring::parse(&format!("old:{}", key_b64(1))).unwrap();
        let sealed_by_old = old.encrypt(b"secret", "ctx");
        let rotated = Keyring::parse(&format!("new:{}, old:{}", key_b64(2), key_b64(1))).unwrap();
        assert!(rotated.encrypt(b"secret", "ctx").starts_with("new:"));
        assert_eq!(rotated.decrypt(&sealed_by_old, "ctx").unwrap(), b"secret");
    }

    #[test]
    fn a_dropped_key_is_named_in_the_error() {
        let old = Keyring::parse(&format!("old:{}", key_b64(1))).unwrap();
        let sealed = old.encrypt(b"secret", "ctx");
        let new = Keyring::parse(&format!("new:{}", key_b64(2))).unwrap();
        let err = new.decrypt(&sealed, "ctx").unwrap_err();
        assert!(matches!(&err, KeyringError::UnknownKey { id } if id == "old"));
        assert!(err.to_string().contains("`old`"));
    }

    #[test]
    fn a_ciphertext_does_not_open_under_another_context() {
        let keyring = Keyring::parse(&key_b64(7)).unwrap();
        let sealed = keyring.encrypt(b"secret", "ten_1/wh_1");
        let err = keyring.decrypt(&sealed, "ten_1/wh_2").unwrap_err();
        assert!(matches!(err, KeyringError::Undecryptable { .. }));
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let keyring = Keyring::parse(&key_b64(7)).unwrap();
        let sealed = keyring.encrypt(b"secret", "ctx");
        let (id, encoded) = sealed.split_once(':').unwrap();
        let mut blob = STANDARD.decode(encoded).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        let tampered = format!("{id}:{}", STANDARD.encode(blob));
        assert!(matches!(
            keyring.decrypt(&tampered, "ctx"),
            Err(KeyringError::Undecryptable { .. })
        ));
    }

    #[test]
    fn malformed_sealed_values_are_refused() {
        let keyring = Keyring::parse(&key_b64(7)).unwrap();
        for sealed in ["", "no-colon", "k1:not base64!", "k1:AAAA", "bad id:AAAA"] {
            assert!(
                matches!(keyring.decrypt(sealed, "ctx"), Err(KeyringError::Malformed)),
                "{sealed}"
            );
        }
    }

    #[test]
    fn bad_key_text_is_refused_with_a_message_that_names_the_problem() {
        let short = STANDARD.encode([1u8; 16]);
        let cases = [
            ("", "is empty"),
            (short.as_str(), "key `k1` is 16 bytes; expected 32"),
            ("not*base64", "key `k1` is not valid base64"),
        ];
        for (text, expected) in cases {
            let message = Keyring::parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
        }
        let listed = [
            (
                format!("k1:{},k2:{short}", key_b64(1)),
                "key `k2` is 16 bytes",
            ),
            (format!("k1:{},", key_b64(1)), "entry 2 is empty"),
            (
                format!("k1:{},{}", key_b64(1), key_b64(2)),
                "entry 2 must be `keyid:base64`",
            ),
            (
                format!("k 1:{}", key_b64(1)),
                "entry 1 has an invalid key id",
            ),
            (
                format!("a:{},a:{}", key_b64(1), key_b64(2)),
                "`a` is listed twice",
            ),
        ];
        for (text, expected) in listed {
            let message = Keyring::parse(&text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn errors_and_debug_output_never_echo_key_material() {
        let material = STANDARD.encode([9u8; 20]);
        let message = Keyring::parse(&format!("k9:{material}"))
            .unwrap_err()
            .to_string();
        assert!(!message.contains(&material), "{message}");
        let keyring = Keyring::parse(&format!("a:{},b:{}", key_b64(1), key_b64(2))).unwrap();
        let debug = format!("{keyring:?}");
        assert_eq!(debug, r#"Keyring { key_ids: ["a", "b"] }"#);
    }
}
