//! Bearer-key authentication and scope checks, as an extractor: a handler that takes a
//! [`Caller`] cannot run for an unauthenticated request or with a key of too small a scope.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;
use futures::future::LocalBoxFuture;
use read_store::api_keys::{self, KeyGrant};
use schema::tenant::Scope;
use schema::{ApiKeyId, ErrorCode, TenantId};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub key_id: ApiKeyId,
    pub scope: Scope,
}

/// Key lookups are cached this long, which bounds how long a revoked key keeps working on a
/// process that saw it just before.
const CACHE_TTL: Duration = Duration::from_millis(500);
const CACHE_MAX_ENTRIES: usize = 10_000;

/// Recently seen key hashes and what they grant (or that they grant nothing).
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Option<KeyGrant>, Instant)>>,
}

impl KeyCache {
    fn get(&self, hash: &str) -> Option<Option<KeyGrant>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(grant, _)| grant.clone())
    }

    /// Forgets a key at once (this process just revoked it).
    pub fn forget(&self, key: ApiKeyId) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|_, (grant, _)| grant.as_ref().is_none_or(|grant| grant.key_id != key));
    }

    fn put(&self, hash: String, grant: Option<KeyGrant>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if entries.len() >= CACHE_MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(hash, (grant, Instant::now()));
    }
}

/// `afk_` followed by at least 32 base62 characters.
pub fn is_well_formed_key(key: &str) -> bool {
    key.strip_prefix("afk_").is_some_and(|rest| {
        rest.len() >= 32 && rest.len() <= 128 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The credentials of `Bearer <key>`: the scheme in any case (RFC 9110 §11.1), then one or
/// more spaces.
fn bearer_credentials(authorization: &str) -> Option<&str> {
    let (scheme, credentials) = authorization.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credentials.trim_matches(' '))
}

/// Lowercase hex SHA-256: the only form in which keys are stored.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

async fn authenticate(
    state: &AppState,
    authorization: Option<String>,
    method: &Method,
) -> Result<Caller, ApiError> {
    let authorization =
        authorization.ok_or_else(|| unauthorized("Missing Authorization: Bearer <key> header"))?;
    let key = bearer_credentials(&authorization)
        .ok_or_else(|| unauthorized("Authorization must be 'Bearer <key>'"))?;
    if !is_well_formed_key(key) {
        return Err(unauthorized("The API key is malformed"));
    }
    let hash = hash_key(key);
    let grant = match state.keys.get(&hash) {
        Some(grant) => grant,
        None => {
            let grant = api_keys::find_by_hash(&state.store, &hash).await?;
            state.keys.put(hash, grant.clone());
            grant
        }
    };
    let grant = grant.ok_or_else(|| unauthorized("The API key is not valid"))?;
    if grant.revoked {
        return Err(unauthorized("The API key has been revoked"));
    }
    if grant.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(unauthorized("The API key has expired"));
    }
    let reading = matches!(*method, Method::GET | Method::HEAD);
    if !reading && grant.scope != Scope::ReadWrite {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "This API key has the read scope; writes need read-write",
        ));
    }
    state.usage.touch(grant.key_id);
    Ok(Caller {
        tenant_id: grant.tenant_id,
        key_id: grant.key_id,
        scope: grant.scope,
    })
}

/// The tenant of a request's key, without counting the request against the rate limit (the
/// handler's `Caller` does that): `None` for a key that is not valid (the handler answers 401),
/// an error when the key cannot be checked now (503).
pub async fn identify(
    state: &AppState,
    authorization: Option<String>,
) -> Result<Option<TenantId>, ApiError> {
    match authenticate(state, authorization, &Method::GET).await {
        Ok(caller) => Ok(Some(caller.tenant_id)),
        Err(error) if error.code == ErrorCode::Unauthorized => Ok(None),
        Err(error) => Err(error),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let method = req.method().clone();
        let request = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let caller = authenticate(&state, authorization, &method).await?;
            // Every authenticated request counts (except those refused); the middleware puts
            // the status in the X-RateLimit-* headers of whatever the answer is.
            // A request run again (its Idempotency-Key claimed after its append found it
            // taken, see `idempotency`) was counted by its first run.
            if !state.rate_limits
                || request
                    .extensions()
                    .contains::<crate::rate_limit::Counted>()
            {
                return Ok(caller);
            }
            let (status, allowed) = crate::rate_limit::check(&state, caller.tenant_id).await;
            if let Some(status) = status {
                request.extensions_mut().insert(status);
            }
            allowed.map(|()| caller)
        })
    }
}

/// A new key: (plaintext shown once, its hash, its display prefix = the first 8 chars).
pub fn generate_key() -> (String, String, String) {
    use rand::distr::{Alphanumeric, SampleString};
    let key = format!("afk_{}", Alphanumeric.sample_string(&mut rand::rng(), 40));
    let hash = hash_key(&key);
    let prefix = key[..8].to_owned();
    (key, hash, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_have_the_prefix_and_32_base62_characters() {
        assert!(is_well_formed_key(&format!("afk_{}", "a".repeat(32))));
        assert!(!is_well_formed_key(&format!("afk_{}", "a".repeat(31))));
        assert!(!is_well_formed_key(&format!("afx_{}", "a".repeat(32))));
        assert!(!is_well_formed_key(&format!("afk_{}-", "a".repeat(32))));
    }

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for header in [
            "Bearer afk_x",
            "bearer afk_x",
            "BEARER  afk_x",
            "bEaReR afk_x ",
        ] {
            assert_eq!(bearer_credentials(header), Some("afk_x"), "{header}");
        }
        for header in ["Basic afk_x", "Bearerafk_x", "Bearer", "Token afk_x"] {
            assert_eq!(bearer_credentials(header), None, "{header}");
        }
    }
}
