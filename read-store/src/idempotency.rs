//! Idempotency keys: claiming a key for a request, storing its response, replaying it.

use chrono::{DateTime, Timelike, Utc};
use deadpool_postgres::GenericClient;
use postgres_types::Json;
use schema::TenantId;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::batch::Lookup;
use crate::{Store, StoreError};

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

/// Takes keys for requests (see [`claim`]), many in one statement ([`crate::batch`]); returns
/// the keys taken, with their first use. Run on `Store::lookup_client` connections, as are
/// [`STORED`] and [`COMPLETE`]: an insert by primary key and lookups by it. A key asked for
/// twice in one statement fails it (`ON CONFLICT DO UPDATE` cannot touch a row twice): each
/// claim then runs alone, and one takes the key.
pub const CLAIM: &str = "INSERT INTO apistate.idempotency_keys AS k (tenant_id, key, fingerprint, created_at, locked_until)
             SELECT w.tenant_id, w.key, w.fingerprint, now(), w.locked_until
             FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS w(tenant_id, key, fingerprint, locked_until)
             ON CONFLICT (tenant_id, key) DO UPDATE SET
                 locked_until = EXCLUDED.locked_until,
                 fingerprint = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN EXCLUDED.fingerprint ELSE k.fingerprint END,
                 created_at = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN now() ELSE k.created_at END,
                 response_status = CASE WHEN k.created_at < now() - make_interval(hours => $5) THEN NULL ELSE k.response_status END
             WHERE k.created_at < now() - make_interval(hours => $5)
                OR (k.fingerprint = EXCLUDED.fingerprint AND k.response_status IS NULL AND (k.locked_until IS NULL OR k.locked_until < now()))
             RETURNING k.tenant_id, k.key, k.created_at";

/// `CLAIM` committed without waiting for its WAL flush.
static CLAIM_UNFLUSHED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{CLAIM}, set_config('synchronous_commit', 'off', true)"));

/// Tells apart requests that carry the same key: two claims are never one (see [`Ticket`]).
static TICKETS: AtomicU64 = AtomicU64::new(0);

/// One request's part in a shared statement, equal only to itself: a batcher answers equal
/// keys with one row, and two requests with one key must not both own it.
#[derive(Debug, Clone)]
pub struct Ticket<T> {
    number: u64,
    tenant: TenantId,
    key: String,
    what: T,
}

impl<T> Ticket<T> {
    fn new(tenant: TenantId, key: &str, what: T) -> Self {
        Self {
            number: TICKETS.fetch_add(1, Ordering::Relaxed),
            tenant,
            key: key.to_owned(),
            what,
        }
    }
}

impl<T> PartialEq for Ticket<T> {
    fn eq(&self, other: &Self) -> bool {
        self.number == other.number
    }
}

impl<T> Eq for Ticket<T> {}

impl<T> std::hash::Hash for Ticket<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.number.hash(state);
    }
}

/// A claim's fingerprint and lock.
#[derive(Debug, Clone)]
pub struct ClaimOf {
    fingerprint: String,
    locked_until: DateTime<Utc>,
}

/// Claims of requests, taken together; `UNFLUSHED`: committed without waiting for their flush.
pub struct Claims<const UNFLUSHED: bool>;

impl<const UNFLUSHED: bool> Lookup for Claims<UNFLUSHED> {
    type Key = Ticket<ClaimOf>;
    /// When the key was first used, for a claim that took it.
    type Row = DateTime<Utc>;

    async fn fetch(
        client: &deadpool_postgres::Client,
        claims: &[Self::Key],
    ) -> Result<Vec<(usize, DateTime<Utc>)>, StoreError> {
        let statement = client
            .prepare_cached(if UNFLUSHED { &CLAIM_UNFLUSHED } else { CLAIM })
            .await?;
        // In key order, so that two statements that share keys take their rows' locks in one
        // order and never wait on each other in a cycle.
        let mut claims: Vec<(usize, &Self::Key)> = claims.iter().enumerate().collect();
        claims.sort_by_key(|(_, c)| (c.tenant.to_string(), c.key.as_str()));
        let tenants: Vec<String> = claims.iter().map(|(_, c)| c.tenant.to_string()).collect();
        let keys: Vec<&str> = claims.iter().map(|(_, c)| c.key.as_str()).collect();
        let fingerprints: Vec<&str> = claims
            .iter()
            .map(|(_, c)| c.what.fingerprint.as_str())
            .collect();
        let locks: Vec<DateTime<Utc>> = claims.iter().map(|(_, c)| c.what.locked_until).collect();
        let hours = RETENTION_HOURS as i32;
        let rows = client
            .query(
                &statement,
                &[&tenants, &keys, &fingerprints, &locks, &hours],
            )
            .await?;
        // A key appears once in a statement that succeeded: its row is its claim's.
        let index: HashMap<(&str, &str), usize> = tenants
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(i, (tenant, key))| ((tenant.as_str(), *key), claims[i].0))
            .collect();
        rows.iter()
            .map(|row| {
                let at = index
                    .get(&(row.get::<_, &str>(0), row.get::<_, &str>(1)))
                    .copied()
                    .ok_or_else(|| StoreError::Corrupt("a claim of a key not asked for".into()))?;
                Ok((at, row.get(2)))
            })
            .collect()
    }
}

/// Claims `key` for a request with `fingerprint` until `locked_until`. A key whose owner's
/// lock ran out (it crashed, or answered 504) is taken over; one older than the retention
/// counts as new. Claims made at the same moment share a statement ([`crate::batch`]).
///
/// `unflushed`: commit the claim without waiting for its WAL flush. Only when the command the
/// request appends goes into this same WAL (`EventLog::flushed_with_read_models`): a crash
/// that loses the claim loses every later write with it, the append included, and the answer
/// waits for the projector's commit, whose flush covers the claim.
pub async fn claim(
    store: &Store,
    tenant: TenantId,
    key: &str,
    fingerprint: &str,
    locked_until: DateTime<Utc>,
    unflushed: bool,
) -> Result<Claim, StoreError> {
    let ticket = Ticket::new(
        tenant,
        key,
        ClaimOf {
            fingerprint: fingerprint.to_owned(),
            locked_until,
        },
    );
    let batchers = store.batchers();
    let owned = if unflushed {
        batchers.claims_unflushed.get(ticket).await?
    } else {
        batchers.claims.get(ticket).await?
    };
    if let Some(first_seen) = owned {
        return Ok(Claim::Owned { first_seen });
    }
    // Locked without an answer: the request with the key is running, or it has been answered
    // and its answer is on its way into the table (stored after the response went out). A
    // client that sends the key again once it has the response must get the replay, so the
    // key is looked at again for a moment before this request is told it is in flight.
    let waited_until = tokio::time::Instant::now() + ANSWER_GRACE;
    loop {
        let seen = stored(store, tenant, key, fingerprint).await?;
        if seen != Claim::InFlight || tokio::time::Instant::now() >= waited_until {
            return Ok(seen);
        }
        tokio::time::sleep(ANSWER_POLL).await;
    }
}

/// How long a request whose key is locked without an answer keeps looking for the answer (see
/// [`claim`]): answers are stored within a few milliseconds of their response.
pub const ANSWER_GRACE: std::time::Duration = std::time::Duration::from_millis(100);
const ANSWER_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// What the table holds for a key that could not be claimed.
async fn stored(
    store: &Store,
    tenant: TenantId,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, StoreError> {
    let client = store.lookup_client().await?;
    let stored = client.prepare_cached(STORED).await?;
    let row = client
        .query_opt(&stored, &[&tenant.to_string(), &key])
        .await?;
    let Some(row) = row else {
        // Deleted since the claim (a 429 forgot it): the caller may try again.
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

/// Stores answers (see [`complete`]), many in one statement, each into the row of its key's
/// claim (the same first use; compared as in [`RELEASE`]).
pub const COMPLETE: &str = "UPDATE apistate.idempotency_keys k
             SET response_status = w.status, response_headers = w.headers, response_body = w.body,
                 locked_until = NULL
             FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int4[], $5::jsonb[], $6::bytea[])
                  AS w(tenant_id, key, first_seen, status, headers, body)
             WHERE k.tenant_id = w.tenant_id AND k.key = w.key
               AND k.created_at IS NOT DISTINCT FROM w.first_seen
             RETURNING set_config('synchronous_commit', 'off', true)";

/// Claims a key with the answer of a request that appended nothing (see [`keep_unclaimed`]).
pub const KEEP_UNCLAIMED: &str = "INSERT INTO apistate.idempotency_keys
                 (tenant_id, key, fingerprint, created_at, response_status, response_headers, response_body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, key) DO NOTHING
             RETURNING set_config('synchronous_commit', 'off', true)";

/// The answer of a request that owned its key, to replay to the same request sent again.
#[derive(Debug, Clone)]
pub struct Answer {
    pub tenant: TenantId,
    pub key: String,
    pub fingerprint: String,
    /// The key's first use, as its claim gave it or as the request chose it (see
    /// [`first_use_now`]).
    pub first_seen: DateTime<Utc>,
    pub response: StoredResponse,
}

/// A key's first use for a request that claims it with its command's append: now, to the
/// microsecond the table keeps, so that a retry that reads it back derives the very same ids.
pub fn first_use_now() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// Unlocks a key, keeping its first use (see `release`); only the row of that first use. (Its
/// first use is compared with `IS NOT DISTINCT FROM`, which no index serves: a generic plan
/// would otherwise find the row by `idempotency_keys_expiry` on a small table.)
pub const RELEASE: &str = "UPDATE apistate.idempotency_keys SET locked_until = NULL
             WHERE tenant_id = $1 AND key = $2 AND created_at IS NOT DISTINCT FROM $3";

/// Forgets a key (see `forget`); only the row of that first use (compared as in [`RELEASE`]).
pub const FORGET: &str = "DELETE FROM apistate.idempotency_keys
             WHERE tenant_id = $1 AND key = $2 AND created_at IS NOT DISTINCT FROM $3";

/// Stores the answers to replay, in one statement. Committed without waiting for its WAL
/// flush: a crash that loses them leaves each key claimed and unanswered, so a retry takes it
/// over when its lock runs out and derives the same command from the kept first use, whose
/// outcome the projector kept. Storing an answer again is harmless (the same row, the same
/// values).
pub async fn complete(client: &impl GenericClient, answers: &[Answer]) -> Result<(), StoreError> {
    let tenants: Vec<String> = answers.iter().map(|a| a.tenant.to_string()).collect();
    let keys: Vec<&str> = answers.iter().map(|a| a.key.as_str()).collect();
    let first_uses: Vec<DateTime<Utc>> = answers.iter().map(|a| a.first_seen).collect();
    let statuses: Vec<i32> = answers
        .iter()
        .map(|a| i32::from(a.response.status))
        .collect();
    let headers: Vec<Json<&Vec<(String, String)>>> =
        answers.iter().map(|a| Json(&a.response.headers)).collect();
    let bodies: Vec<&[u8]> = answers.iter().map(|a| a.response.body.as_slice()).collect();
    let statement = client.prepare_cached(COMPLETE).await?;
    client
        .execute(
            &statement,
            &[&tenants, &keys, &first_uses, &statuses, &headers, &bodies],
        )
        .await?;
    Ok(())
}

/// Claims `answer`'s key with the answer itself, for a request that was to claim it with an
/// append and appended nothing (a 404, a 400); false if the key was taken. Committed without
/// waiting for its flush: a crash that loses it loses no command, and the same request sent
/// again runs again.
pub async fn keep_unclaimed(
    client: &impl GenericClient,
    answer: &Answer,
) -> Result<bool, StoreError> {
    let statement = client.prepare_cached(KEEP_UNCLAIMED).await?;
    let kept = client
        .query_opt(
            &statement,
            &[
                &answer.tenant.to_string(),
                &answer.key,
                &answer.fingerprint,
                &answer.first_seen,
                &i32::from(answer.response.status),
                &Json(&answer.response.headers),
                &answer.response.body,
            ],
        )
        .await?;
    Ok(kept.is_some())
}

/// Lets a retry take the key over at once, keeping its first-seen time (after a 5xx: the
/// retry derives the same command and, if it reached the log, answers with its outcome).
pub async fn release(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
    first_seen: DateTime<Utc>,
) -> Result<(), StoreError> {
    client
        .execute(RELEASE, &[&tenant.to_string(), &key, &first_seen])
        .await?;
    Ok(())
}

/// Forgets a key (after a 429: a retry runs anew, with new ids).
pub async fn forget(
    client: &impl GenericClient,
    tenant: TenantId,
    key: &str,
    first_seen: DateTime<Utc>,
) -> Result<(), StoreError> {
    client
        .execute(FORGET, &[&tenant.to_string(), &key, &first_seen])
        .await?;
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
