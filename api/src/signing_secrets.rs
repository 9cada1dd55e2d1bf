//! What webhook endpoints and agent gateways share in the API: a new signing secret, sealed
//! with the operator key for its command, and the check of a target URL.

use schema::{ErrorCode, TenantId};

use crate::error::ApiError;
use crate::state::AppState;

/// A new `whsec_…` secret, and the same sealed with the operator key so that it opens only
/// for `owner` (a `wh_…` or `agent_…` id) of `tenant`.
pub fn new_sealed(
    state: &AppState,
    tenant: TenantId,
    owner: &str,
) -> Result<(String, String), ApiError> {
    let keyring = state.webhook_keys.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "Signed deliveries are not available: the operator has not configured AGENFLEET_SECRET_KEY",
        )
    })?;
    let secret = webhooks::signing::generate_secret();
    let sealed = keyring.encrypt(secret.as_bytes(), &format!("{tenant}/{owner}"));
    Ok((secret, sealed))
}

/// Checks a delivery URL: its shape, and (unless the operator allows private targets) that it
/// does not resolve to a loopback, private, link-local or metadata address. Returns it in its
/// normal form (`https://EXAMPLE.com:443/x` → `https://example.com/x`), which is what is stored
/// and compared. Errors name `field`.
pub async fn check_target(state: &AppState, field: &str, url: &str) -> Result<String, ApiError> {
    // Before parsing: the URL parser would silently drop tabs and line breaks.
    let mut errors = Vec::new();
    if !domain::validate::check_text(field, url, domain::validate::URL, &mut errors) {
        return Err(ApiError::validation(errors));
    }
    webhooks::target::check_url(url.trim(), state.target_policy)
        .await
        .map(|url| url.to_string())
        .map_err(|error| ApiError::field(field, error.to_string()))
}
