//! Idempotency keys: claiming a key for a request, storing its response, replaying it.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use postgres_types::Json;
use schema::TenantId;

use crate::StoreError;

/// How long a key is kept.
pub const RETENTION_HOURS: i64 = 24;

/// What the store knows of a key when a request arrives with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key now. `first_seen` is when the key was first used (ids derived
    /// from the key take their time from it, so a retry derives the same ids).
    Owned { first_seen: DateTime<Utc> },
    /// Another request with the same key is running.
    InFlight,
    /// The same key was used for another request (method, path or body).
    Mismatch,
    /// The request was answered; here is the answer.
    Completed(StoredResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Takes a key (see `claim`). Run on `Store::lookup_client` connections, as are [`STORED`] and
/// [`COMPLETE`]: an insert by primary key and lookups by it.
pub const CLAIM: &str = "INSERT INTO apistate.idempotency_keys AS k (tenant_id, key, fingerprint, created_at, locked_until)
             VALUES ($1, $2, $3, now(), $4)
             ON CONFLICT (tenant_id, key) DO UPDATE SET
                 locked_until = $4,
                 fingerprint = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN $3 ELSE k.fingerprint END,
                 created_at = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN now() ELSE k.created_at END,
                 response_status = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN NULL ELSE k.response_status END
             WHERE k.created_at < now() - make_interval(hours => $5)
                OR (k.fingerprint = $3 AND k.response_status IS NULL AND (k.locked_until IS NULL OR k.locked_until < now()))
             RETURNING created_at";

/// `CLAIM` committed without waiting for its WAL flush.
static CLAIM_UNFLUSHED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{CLAIM}, set_config('synchronous_commit', 'off', true)"));

/// Claims `key` for a request with `fingerprint` until `locked_until`. A key whose owner's
/// lock ran out (it crashed, or answered 504) is taken over; one older than the retention
/// counts as new.
///
/// `unflushed`: commit the claim without waiting for its WAL flush. Only when the command the
/// request appends goes into this same WAL (`EventLog::flushed_with_read_models`): a crash
/// that loses the claim loses every later write with it, the append included, and the answer
/// waits for the projector's commit, whose flush covers the claim.
pub async fn claim(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
    fingerprint: &str,
    locked_until: DateTime<Utc>,
    unflushed: bool,
) -> Result<Claim, StoreError> {
    let statement = client
        .prepare_cached(if unflushed { &CLAIM_UNFLUSHED } else { CLAIM })
        .await?;
    let hours = RETENTION_HOURS as i32;
    let tenant = tenant.to_string();
    if let Some(row) = client
        .query_opt(
            &statement,
            &[&tenant, &key, &fingerprint, &locked_until, &hours],
        )
        .await?
    {
        return Ok(Claim::Owned {
            first_seen: row.get(0),
        });
    }
    let stored = client.prepare_cached(STORED).await?;
    let row = client.query_opt(&stored, &[&tenant, &key]).await?;
    let Some(row) = row else {
        // Deleted between the two statements (a 5xx released it): the caller may try again.
        return Ok(Claim::InFlight);
    };
    let stored_fingerprint: String = row.get(0);
    if stored_fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    match row.get::<_, Option<i32>>(1) {
        None => Ok(Claim::InFlight),
        Some(status) => {
            let Json(headers): Json<Vec<(String, String)>> = row.get(2);
            Ok(Claim::Completed(StoredResponse {
                status: status as u16,
                headers,
                body: row.get(3),
            }))
        }
    }
}

/// What a claim that did not take the key finds.
pub const STORED: &str = "SELECT fingerprint, response_status, response_headers, response_body
             FROM apistate.idempotency_keys WHERE tenant_id = $1 AND key = $2";

/// Stores the answer (see `complete`).
pub const COMPLETE: &str = "UPDATE apistate.idempotency_keys
             SET response_status = $3, response_headers = $4, response_body = $5, locked_until = NULL
             WHERE tenant_id = $1 AND key = $2
             RETURNING set_config('synchronous_commit', 'off', true)";

/// Unlocks a key, keeping its first use (see `release`).
pub const RELEASE: &str =
    "UPDATE apistate.idempotency_keys SET locked_until = NULL WHERE tenant_id = $1 AND key = $2";

/// Forgets a key (see `forget`).
pub const FORGET: &str = "DELETE FROM apistate.idempotency_keys WHERE tenant_id = $1 AND key = $2";

/// Stores the answer to replay. Committed without waiting for its WAL flush: a crash that loses
/// it leaves the key claimed and unanswered, so a retry takes it over when its lock runs out and
/// derives the same command from the kept first use, whose outcome the projector kept.
pub async fn complete(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    let statement = client.prepare_cached(COMPLETE).await?;
    client
        .execute(
            &statement,
            &[
                &tenant.to_string(),
                &key,
                &(response.status as i32),
                &Json(&response.headers),
                &response.body,
            ],
        )
        .await?;
    Ok(())
}

/// Lets a retry take the key over at once, keeping its first-seen time (after a 5xx: the
/// retry derives the same command and, if it reached the log, answers with its outcome).
pub async fn release(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
) -> Result<(), StoreError> {
    client
        .execute(RELEASE, &[&tenant.to_string(), &key])
        .await?;
    Ok(())
}

/// Forgets a key (after a 429: a retry runs anew, with new ids).
pub async fn forget(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
) -> Result<(), StoreError> {
    client.execute(FORGET, &[&tenant.to_string(), &key]).await?;
    Ok(())
}

/// Deletes keys past the retention; returns how many.
pub async fn expire(client: &impl GenericClient) -> Result<u64, StoreError> {
    Ok(client
        .execute(
            "DELETE FROM apistate.idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
            &[&(RETENTION_HOURS as i32)],
        )
        .await?)
}
