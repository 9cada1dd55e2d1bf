//! The Standard Webhooks signature scheme (<https://www.standardwebhooks.com/>, the same as
//! Svix), so any Standard Webhooks library verifies AgenFleet deliveries.
//!
//! A secret is `whsec_` + base64 of random bytes; the signature of a delivery is
//! `v1,` + base64(HMAC-SHA256(secret bytes, "{msg_id}.{timestamp}.{body}")). While a secret is
//! being rotated the `webhook-signature` header carries one signature per live secret,
//! separated by single spaces.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::Rng as _;
use sha2::Sha256;

/// The prefix of every webhook signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The signature version tag this crate emits and accepts.
const VERSION_PREFIX: &str = "v1,";

const SECRET_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a secret could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("webhook secret is not valid base64 after the `whsec_` prefix")]
    NotBase64,
    #[error("webhook secret is empty")]
    Empty,
}

/// A fresh secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    rand::rng().fill(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The HMAC key of a secret: the base64-decoded part after `whsec_`. Like the Standard Webhooks
/// libraries, a secret pasted without its prefix is accepted too.
pub fn secret_bytes(secret: &str) -> Result<Vec<u8>, SigningError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| SigningError::NotBase64)?;
    if bytes.is_empty() {
        return Err(SigningError::Empty);
    }
    Ok(bytes)
}

/// The `v1,…` signature of one delivery attempt.
pub fn sign(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, msg_id, timestamp, body).finalize().into_bytes();
    format!("{VERSION_PREFIX}{}", STANDARD.encode(tag))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn signature_header(secrets: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True if any `v1,` signature in `header` was made with `secret` over this message. The
/// comparison is constant-time. Timestamp tolerance is the receiver's business, not checked here.
pub fn verify(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = mac(secret, msg_id, timestamp, body);
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix(VERSION_PREFIX))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        .any(|tag| expected.clone().verify_slice(&tag).is_ok())
}

fn mac(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks libraries (and Svix's).
    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signing_reproduces_the_standard_webhooks_test_vector() {
        let secret = secret_bytes(VECTOR_SECRET).unwrap();
        let signature = sign(&secret, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY);
        assert_eq!(signature, VECTOR_SIGNATURE);
        assert!(verify(
            &secret,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            VECTOR_SIGNATURE
        ));
    }

    #[test]
    fn a_secret_without_its_prefix_decodes_to_the_same_bytes() {
        let bare = VECTOR_SECRET.trim_start_matches(SECRET_PREFIX);
        assert_eq!(
            secret_bytes(bare).unwrap(),
            secret_bytes(VECTOR_SECRET).unwrap()
        );
    }

    #[test]
    fn generated_secrets_are_prefixed_32_random_bytes() {
        let secret = generate_secret();
        assert!(secret.starts_with(SECRET_PREFIX));
        assert_eq!(secret_bytes(&secret).unwrap().len(), 32);
        assert_ne!(secret, generate_secret());
    }

    #[test]
    fn undecodable_secrets_are_refused() {
        assert!(matches!(
            secret_bytes("whsec_not base64"),
            Err(SigningError::NotBase64)
        ));
        assert!(matches!(secret_bytes("whsec_"), Err(SigningError::Empty)));
    }

    #[test]
    fn a_rotation_header_carries_both_signatures_and_each_secret_verifies() {
        let old = secret_bytes(VECTOR_SECRET).unwrap();
        let new = secret_bytes(&generate_secret()).unwrap();
        let header = signature_header(
            &[new.clone(), old.clone()],
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
        );
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], VECTOR_SIGNATURE);
        assert!(verify(
            &old,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            &header
        ));
        assert!(verify(
            &new,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            &header
        ));
    }

    #[test]
    fn verification_fails_when_anything_signed_changes() {
        let secret = secret_bytes(VECTOR_SECRET).unwrap();
        let other = secret_bytes(&generate_secret()).unwrap();
        let h = VECTOR_SIGNATURE;
        assert!(!verify(&other, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY, h));
        assert!(!verify(
            &secret,
            "msg_other",
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            h
        ));
        assert!(!verify(
            &secret,
            VECTOR_ID,
            VECTOR_TIMESTAMP + 1,
            VECTOR_BODY,
            h
        ));
        assert!(!verify(&secret, VECTOR_ID, VECTOR_TIMESTAMP, b"{}", h));
        let v2 = h.replacen("v1,", "v2,", 1);
        assert!(!verify(
            &secret,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            &v2
        ));
        assert!(!verify(
            &secret,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            ""
        ));
    }
}
