//! The dispatcher's side of the delivery queue: claiming due deliveries with everything needed
//! to send them, recording attempts, and tracking how long each target has been failing.
//!
//! A claim leases a delivery: `next_attempt_at` moves to the end of the lease and a fresh
//! `lease_token` is set, in one statement over rows locked with `FOR UPDATE SKIP LOCKED`, so
//! concurrent dispatchers never claim the same row. Only the holder of the token can record
//! the attempt; a dispatcher that dies mid-send leaves a lease that runs out, and the delivery
//! is claimed again then.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use schema::TenantId;

use crate::{parse_column, StoreError};

/// How much of the queue one claim looks at (a multiple of the deliveries it may take).
const SCAN_FACTOR: i64 = 4;

/// A leased delivery and what sending it needs. The `Option`s are `None` when what the
/// delivery refers to is gone (endpoint deleted, gateway removed…).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub tenant_id: TenantId,
    pub webhook_id: Option<String>,
    pub agent_id: Option<String>,
    pub target: String,
    pub event_id: String,
    pub event_type: String,
    /// Attempts made before this one.
    pub attempts: i32,
    pub lease_token: String,
    /// Leased before by a dispatcher whose lease ran out (it died or hung mid-attempt).
    pub lease_expired: bool,
    /// The activity entry: timestamp and data.
    pub event: Option<(DateTime<Utc>, serde_json::Value)>,
    /// The message text, for `message.created`.
    pub content: Option<String>,
    /// Where it goes: the webhook endpoint, or the agent's gateway.
    pub endpoint: Option<Endpoint>,
    /// For a cron run's output: the run, and its job as it is now (`None` if deleted).
    pub cron: Option<CronOutput>,
}

/// The output of a cron run and where its job sends it.
#[derive(Debug, Clone)]
pub struct CronOutput {
    pub run_id: String,
    pub job: Option<CronJobTarget>,
    /// The agent's first reply in the run's session.
    pub reply: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CronJobTarget {
    pub name: String,
    pub delivery: schema::cron::CronDelivery,
    /// Sealed; for `webhook` deliveries.
    pub secret: Option<String>,
}

/// Where a delivery goes, as it is now: a webhook endpoint or an agent's gateway.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub enabled: bool,
    /// Sealed secrets that sign now: the current one, and the previous one for 24 h after a
    /// rotation.
    pub secrets: Vec<String>,
}

/// Claims up to `slots` due deliveries, at most `room(target)` per target (`per_target` for
/// targets not in `room`), leasing each for `lease`.
pub async fn claim(
    client: &impl GenericClient,
    slots: i64,
    per_target: i64,
    room: &HashMap<String, i64>,
    lease: Duration,
    lease_token: &str,
) -> Result<Vec<Claimed>, StoreError> {
    let (busy, partial): (Vec<_>, Vec<_>) = room.iter().partition(|(_, room)| **room <= 0);
    let busy: Vec<&str> = busy
        .into_iter()
        .map(|(target, _)| target.as_str())
        .collect();
    let (partial_targets, partial_room): (Vec<&str>, Vec<i64>) = partial
        .into_iter()
        .map(|(target, room)| (target.as_str(), *room))
        .unzip();
    let statement = client
        .prepare_cached(
            "WITH candidates AS (
                 SELECT d.id, d.target, d.next_attempt_at,
                        d.lease_token IS NOT NULL AS lease_expired
                 FROM dispatch.deliveries d
                 WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                   AND NOT (d.target = ANY($1::text[]))
                 ORDER BY d.next_attempt_at LIMIT $2
                 FOR UPDATE SKIP LOCKED
             ), picked AS (
                 SELECT ranked.id, ranked.lease_expired FROM (
                     SELECT c.id, c.lease_expired, c.next_attempt_at, coalesce(r.room, $3) AS room,
                            row_number() OVER (PARTITION BY c.target ORDER BY c.next_attempt_at, c.id) AS n
                     FROM candidates c
                     LEFT JOIN unnest($4::text[], $5::bigint[]) AS r(target, room) ON r.target = c.target
                 ) ranked
                 WHERE ranked.n <= ranked.room
                 ORDER BY ranked.next_attempt_at LIMIT $6
             ), claimed AS (
                 UPDATE dispatch.deliveries d
                 SET next_attempt_at = now() + make_interval(secs => $7), lease_token = $8,
                     updated_at = now()
                 FROM picked WHERE d.id = picked.id
                 RETURNING d.*, picked.lease_expired
             )
             SELECT c.id, c.lease_expired, c.tenant_id, c.webhook_id, c.agent_id, c.cron_run_id, c.target, c.event_id,
                    c.event_type, c.attempts, a.timestamp, a.data, m.content,
                    w.url, w.enabled, w.secret, w.previous_secret,
                    w.previous_secret_expires_at > now() AS previous_valid,
                    g.config -> 'gateway' ->> 'url' AS gateway_url, s.secret AS gateway_secret,
                    j.name AS job_name, j.delivery AS job_delivery,
                    j.delivery_secret AS job_secret, reply.content AS reply
             FROM claimed c
             LEFT JOIN activity a ON a.id = c.event_id
             LEFT JOIN messages m ON c.event_type = 'message.created'
                  AND m.tenant_id = c.tenant_id AND m.id = a.subject_id
             LEFT JOIN webhooks w ON w.tenant_id = c.tenant_id AND w.id = c.webhook_id
             LEFT JOIN agents g ON g.tenant_id = c.tenant_id AND g.id = c.agent_id
             LEFT JOIN agent_gateway_secrets s ON s.tenant_id = c.tenant_id AND s.agent_id = c.agent_id
             LEFT JOIN cron_jobs j ON j.tenant_id = c.tenant_id AND j.id = c.cron_job_id
             LEFT JOIN cron_runs r ON r.tenant_id = c.tenant_id AND r.id = c.cron_run_id
             LEFT JOIN LATERAL (
                 SELECT m2.content FROM messages m2
                 WHERE m2.tenant_id = c.tenant_id AND m2.session_id = r.session_id
                   AND m2.role = 'assistant'
                 ORDER BY m2.sequence LIMIT 1
             ) reply ON c.cron_run_id IS NOT NULL",
        )
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &busy,
                &(slots * SCAN_FACTOR),
                &per_target,
                &partial_targets,
                &partial_room,
                &slots,
                &lease.as_secs_f64(),
                &lease_token,
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let timestamp: Option<DateTime<Utc>> = row.get("timestamp");
            let data: Option<serde_json::Value> = row.get("data");
            let url: Option<String> = row.get("url");
            let gateway_url: Option<String> = row.get("gateway_url");
            let gateway_secret: Option<String> = row.get("gateway_secret");
            let endpoint = match (url, gateway_url.zip(gateway_secret)) {
                (Some(url), _) => {
                    let mut secrets = vec![row.get::<_, String>("secret")];
                    if row.get::<_, Option<bool>>("previous_valid") == Some(true) {
                        secrets.extend(row.get::<_, Option<String>>("previous_secret"));
                    }
                    Some(Endpoint {
                        url,
                        enabled: row.get("enabled"),
                        secrets,
                    })
                }
                (None, Some((url, secret))) => Some(Endpoint {
                    url,
                    enabled: true,
                    secrets: vec![secret],
                }),
                (None, None) => None,
            };
            let cron_run_id: Option<String> = row.get("cron_run_id");
            let cron = match cron_run_id {
                None => None,
                Some(run_id) => {
                    let name: Option<String> = row.get("job_name");
                    let delivery: Option<postgres_types::Json<schema::cron::CronDelivery>> =
                        row.try_get("job_delivery").ok().flatten();
                    Some(CronOutput {
                        run_id,
                        job: name.zip(delivery).map(|(name, delivery)| CronJobTarget {
                            name,
                            delivery: delivery.0,
                            secret: row.get("job_secret"),
                        }),
                        reply: row.get("reply"),
                    })
                }
            };
            Ok(Claimed {
                cron,
                id: row.get("id"),
                tenant_id: parse_column(row.get("tenant_id"))?,
                webhook_id: row.get("webhook_id"),
                agent_id: row.get("agent_id"),
                target: row.get("target"),
                event_id: row.get("event_id"),
                event_type: row.get("event_type"),
                attempts: row.get("attempts"),
                lease_token: lease_token.to_owned(),
                lease_expired: row.get("lease_expired"),
                event: timestamp.zip(data),
                content: row.get("content"),
                endpoint,
            })
        })
        .collect()
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    RetryAt(DateTime<Utc>),
    Failed,
}

/// One finished attempt of a leased delivery.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub delivery_id: String,
    pub lease_token: String,
    pub tenant_id: TenantId,
    pub target: String,
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub duration_ms: u32,
    pub error: Option<String>,
    pub next: Next,
    /// Whether this attempt counts for the target's health (false when the delivery failed
    /// because its endpoint is gone or disabled, not because the target answered badly).
    pub counts_for_health: bool,
}

/// Records attempts in one round trip; returns the ids whose lease was still held (the
/// others were re-queued meanwhile, by a manual retry or an expired lease, and are ignored).
pub async fn record(
    client: &impl GenericClient,
    results: &[AttemptResult],
) -> Result<Vec<String>, StoreError> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    let statement = client
        .prepare_cached(
            "WITH r AS (
                 SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[],
                                      $5::int[], $6::text[], $7::text[], $8::timestamptz[])
                     AS r(id, token, at, status_code, duration_ms, error, status, next_at)
             ), done AS (
                 UPDATE dispatch.deliveries d
                 SET status = r.status, attempts = d.attempts + 1, next_attempt_at = r.next_at,
                     lease_token = NULL, last_status_code = r.status_code, last_error = r.error,
                     updated_at = r.at
                 FROM r WHERE d.id = r.id AND d.lease_token = r.token
                 RETURNING d.id, d.attempts
             ), logged AS (
                 INSERT INTO dispatch.delivery_attempts (delivery_id, number, at, status_code,
                                                         duration_ms, error)
                 SELECT done.id, done.attempts, r.at, r.status_code, r.duration_ms, r.error
                 FROM done JOIN r ON r.id = done.id
             )
             SELECT id FROM done",
        )
        .await?;
    let column = |f: &dyn Fn(&AttemptResult) -> String| results.iter().map(f).collect::<Vec<_>>();
    let ids = column(&|r| r.delivery_id.clone());
    let tokens = column(&|r| r.lease_token.clone());
    let statuses = column(&|r| {
        match r.next {
            Next::Succeeded => "succeeded",
            Next::RetryAt(_) => "pending",
            Next::Failed => "failed",
        }
        .to_owned()
    });
    let at: Vec<DateTime<Utc>> = results.iter().map(|r| r.at).collect();
    let codes: Vec<Option<i32>> = results
        .iter()
        .map(|r| r.status_code.map(i32::from))
        .collect();
    let durations: Vec<i32> = results.iter().map(|r| r.duration_ms as i32).collect();
    let errors: Vec<Option<String>> = results.iter().map(|r| r.error.clone()).collect();
    let next_at: Vec<Option<DateTime<Utc>>> = results
        .iter()
        .map(|r| match r.next {
            Next::RetryAt(at) => Some(at),
            _ => None,
        })
        .collect();
    let rows = client
        .query(
            &statement,
            &[
                &ids, &tokens, &at, &codes, &durations, &errors, &statuses, &next_at,
            ],
        )
        .await?;
    let recorded: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    record_health(client, results, &recorded).await?;
    Ok(recorded)
}

/// A success clears a target's failing streak; a failure starts one if none is running.
async fn record_health(
    client: &impl GenericClient,
    results: &[AttemptResult],
    recorded: &[String],
) -> Result<(), StoreError> {
    // The latest counted attempt per target decides.
    let mut latest: HashMap<&str, &AttemptResult> = HashMap::new();
    for result in results
        .iter()
        .filter(|r| r.counts_for_health && recorded.contains(&r.delivery_id))
    {
        latest.insert(&result.target, result);
    }
    if latest.is_empty() {
        return Ok(());
    }
    // Rows locked in one order by every dispatcher, so two recording at once cannot deadlock.
    let mut latest: Vec<_> = latest.into_iter().collect();
    latest.sort_unstable_by_key(|(target, _)| *target);
    let mut targets = Vec::new();
    let mut tenants = Vec::new();
    let mut at = Vec::new();
    let mut ok = Vec::new();
    for (target, result) in latest {
        targets.push(target.to_owned());
        tenants.push(result.tenant_id.to_string());
        at.push(result.at);
        ok.push(result.next == Next::Succeeded);
    }
    client
        .execute(
            "INSERT INTO dispatch.target_health AS h (target, tenant_id, failing_since, last_success_at)
             SELECT t.target, t.tenant_id, CASE WHEN t.ok THEN NULL ELSE t.at END,
                    CASE WHEN t.ok THEN t.at END
             FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[]) AS t(target, tenant_id, at, ok)
             ON CONFLICT (target) DO UPDATE SET
                 failing_since = CASE WHEN EXCLUDED.last_success_at IS NOT NULL THEN NULL
                                      ELSE coalesce(h.failing_since, EXCLUDED.failing_since) END,
                 last_success_at = coalesce(EXCLUDED.last_success_at, h.last_success_at)",
            &[&targets, &tenants, &at, &ok],
        )
        .await?;
    Ok(())
}

/// Webhook endpoints that have failed without a success since before `failing_before`:
/// `(tenant, webhook id, failing since)`.
pub async fn failing_endpoints(
    client: &impl GenericClient,
    failing_before: DateTime<Utc>,
) -> Result<Vec<(TenantId, String, DateTime<Utc>)>, StoreError> {
    let rows = client
        .query(
            "SELECT tenant_id, target, failing_since FROM dispatch.target_health
             WHERE failing_since <= $1 AND target LIKE 'wh\\_%'",
            &[&failing_before],
        )
        .await?;
    rows.iter()
        .map(|row| Ok((parse_column(row.get(0))?, row.get(1), row.get(2))))
        .collect()
}

/// Starts a new failing window for a target (after asking for it to be disabled, so that a
/// re-enabled endpoint gets a whole window again).
pub async fn reset_failing(client: &impl GenericClient, target: &str) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE dispatch.target_health SET failing_since = NULL WHERE target = $1",
            &[&target],
        )
        .await?;
    Ok(())
}

/// The pending deliveries: how many are due now (an expired lease is due again), how many wait
/// for a later time (not counting those leased now), and since when the longest-waiting due one
/// has been due.
pub struct QueueDepth {
    pub due: i64,
    pub scheduled: i64,
    pub oldest_due: Option<DateTime<Utc>>,
}

pub async fn depth(client: &impl GenericClient) -> Result<QueueDepth, StoreError> {
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE next_attempt_at <= now()),
                    count(*) FILTER (WHERE next_attempt_at > now() AND lease_token IS NULL),
                    min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())
             FROM dispatch.deliveries WHERE status = 'pending'",
            &[],
        )
        .await?;
    Ok(QueueDepth {
        due: row.get(0),
        scheduled: row.get(1),
        oldest_due: row.get(2),
    })
}

/// When the next pending delivery is due (leases included), if any.
pub async fn next_due(client: &impl GenericClient) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = client
        .query_one(
            "SELECT min(next_attempt_at) FROM dispatch.deliveries WHERE status = 'pending'",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
