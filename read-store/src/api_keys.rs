//! Reads of the `api_keys` read model: authentication by key hash.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::tenant::Scope;
use schema::{ApiKeyId, TenantId};

use crate::batch::{fetch_rows, Lookup};
use crate::{Store, StoreError};

/// What the API needs to authenticate a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub key_id: ApiKeyId,
    pub tenant_id: TenantId,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// Keys by hash, many in one query (see [`crate::batch`]): a lookup by the unique `key_hash`
/// for each.
pub(crate) const GET_MANY: &str =
    "SELECT k.id, k.tenant_id, k.scope, k.expires_at, k.revoked_at IS NOT NULL, w.n
     FROM unnest($1::text[]) WITH ORDINALITY AS w(key_hash, n)
     JOIN api_keys k ON k.key_hash = w.key_hash";

/// Keys by hash, looked up together (see [`find_by_hash`]).
pub struct ByHash;

impl Lookup for ByHash {
    /// SHA-256 of the key, lowercase hex.
    type Key = String;
    type Row = KeyGrant;

    async fn fetch(
        client: &deadpool_postgres::Client,
        hashes: &[String],
    ) -> Result<Vec<(usize, KeyGrant)>, StoreError> {
        fetch_rows(client, GET_MANY, &[&hashes], grant_from_row).await
    }
}

/// The key whose SHA-256 hash (lowercase hex) is `key_hash`, looked up in one query with the
/// others asked for at the same moment ([`crate::batch`]): the requests that find a key's
/// cached grant expired together share one lookup.
pub async fn find_by_hash(store: &Store, key_hash: &str) -> Result<Option<KeyGrant>, StoreError> {
    store.batchers().api_keys.get(key_hash.to_owned()).await
}

fn grant_from_row(row: &tokio_postgres::Row) -> Result<KeyGrant, StoreError> {
    let id: String = row.get(0);
    let tenant: String = row.get(1);
    let scope: String = row.get(2);
    let corrupt = |what: &str| StoreError::Corrupt(format!("api key row: {what}"));
    Ok(KeyGrant {
        key_id: id.parse().map_err(|_| corrupt("id"))?,
        tenant_id: tenant.parse().map_err(|_| corrupt("tenant id"))?,
        scope: Scope::parse(&scope).ok_or_else(|| corrupt("scope"))?,
        expires_at: row.get(3),
        revoked: row.get(4),
    })
}

/// A key as the API shows it (never the secret nor its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub scope: Scope,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const ROW: &str =
    "SELECT k.id, k.name, k.scope, k.prefix, k.created_at, k.expires_at, u.last_used_at,
            count(*) OVER () AS total
     FROM api_keys k LEFT JOIN apistate.key_usage u ON u.key_id = k.id
     WHERE k.tenant_id = $1 AND k.revoked_at IS NULL";

fn key_row(row: &tokio_postgres::Row) -> Result<ApiKeyRow, StoreError> {
    let id: String = row.get("id");
    let scope: String = row.get("scope");
    Ok(ApiKeyRow {
        id: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("api key id {id}")))?,
        name: row.get("name"),
        scope: Scope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("api key scope {scope}")))?,
        prefix: row.get("prefix"),
        created_at: row.get("created_at"),
        expires_at: row.get("expires_at"),
        last_used_at: row.get("last_used_at"),
    })
}

/// A tenant's live (not revoked) key.
pub async fn get(
    client: &impl GenericClient,
    tenant: TenantId,
    id: ApiKeyId,
) -> Result<Option<ApiKeyRow>, StoreError> {
    let statement = client
        .prepare_cached(&format!("{ROW} AND k.id = $2"))
        .await?;
    let row = client
        .query_opt(&statement, &[&tenant.to_string(), &id.to_string()])
        .await?;
    row.as_ref().map(key_row).transpose()
}

/// A tenant's live keys, newest first by default.
pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    page: crate::Page,
) -> Result<crate::Listed<ApiKeyRow>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "{ROW} ORDER BY k.created_at {order}, k.id {order} LIMIT $2 OFFSET $3"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[&tenant.to_string(), &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => {
            let row = client
                .query_one(
                    "SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL",
                    &[&tenant.to_string()],
                )
                .await?;
            row.get(0)
        }
    };
    Ok(crate::Listed {
        rows: rows.iter().map(key_row).collect::<Result<_, _>>()?,
        total,
    })
}

/// Records when keys were last used (a batch from one API process). Never moves a time back.
pub async fn record_usage(
    client: &impl GenericClient,
    used: &[(ApiKeyId, DateTime<Utc>)],
) -> Result<(), StoreError> {
    if used.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = used.iter().map(|(id, _)| id.to_string()).collect();
    let times: Vec<DateTime<Utc>> = used.iter().map(|(_, at)| *at).collect();
    let statement = client
        .prepare_cached(
            "INSERT INTO apistate.key_usage (key_id, last_used_at)
             SELECT * FROM unnest($1::text[], $2::timestamptz[])
             ON CONFLICT (key_id) DO UPDATE
                 SET last_used_at = GREATEST(apistate.key_usage.last_used_at, EXCLUDED.last_used_at)",
        )
        .await?;
    client.execute(&statement, &[&ids, &times]).await?;
    Ok(())
}
