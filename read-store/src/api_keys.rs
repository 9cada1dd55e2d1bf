//! Reads of the `api_keys` read model: authentication by key hash.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::tenant::Scope;
use schema::{ApiKeyId, TenantId};

use crate::StoreError;

/// What the API needs to authenticate a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub key_id: ApiKeyId,
    pub tenant_id: TenantId,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// The key whose SHA-256 hash (lowercase hex) is `key_hash`.
pub async fn by_hash(
    client: &impl GenericClient,
    key_hash: &str,
) -> Result<Option<KeyGrant>, StoreError> {
    let statement = client
        .prepare_cached("SELECT id, tenant_id, scope, expires_at, revoked_at IS NOT NULL FROM api_keys WHERE key_hash = $1")
        .await?;
    let Some(row) = client.query_opt(&statement, &[&key_hash]).await? else {
        return Ok(None);
    };
    let id: String = row.get(0);
    let tenant: String = row.get(1);
    let scope: String = row.get(2);
    let corrupt = |what: &str| StoreError::Corrupt(format!("api key row: {what}"));
    Ok(Some(KeyGrant {
        key_id: id.parse().map_err(|_| corrupt("id"))?,
        tenant_id: tenant.parse().map_err(|_| corrupt("tenant id"))?,
        scope: Scope::parse(&scope).ok_or_else(|| corrupt("scope"))?,
        expires_at: row.get(3),
        revoked: row.get(4),
    }))
}
