//! Writing a batch's changes: one set-based statement per table, all sent before any answer is
//! awaited (see `pipeline`). Deletes go first; the agents' name constraint is checked at
//! commit, so names swapped inside one batch do not trip it.

use std::collections::HashMap;

use domain::usage::to_bigint;
use postgres_types::Json;
use schema::TenantId;

use super::checkpoint::Announcement;
use super::overlay::Overlay;
use super::pipeline::{execute_all, execute_all_then, End, Statement};
use super::transaction::{HandedOver, PipelinedTransaction};
use super::unit_of_work::Changes;
use crate::StoreError;

const DELETE_AGENTS: &str =
    "DELETE FROM agents a USING unnest($1::text[], $2::text[]) AS d(tenant_id, id)
     WHERE a.tenant_id = d.tenant_id AND a.id = d.id";
const UPSERT_AGENTS: &str = "INSERT INTO agents (tenant_id, id, name, name_key, role, description, status, config,
                         soul_sha256, created_at, updated_at, last_heartbeat_at, last_active_at,
                         usage_day, tokens_today_input, tokens_today_output,
                         budget_day_alerted, budget_day_exhausted, usage_month, tokens_month_input,
                         tokens_month_output, budget_month_alerted, budget_month_exhausted, soul)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::jsonb[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
                          $13::timestamptz[], $14::date[], $15::bigint[], $16::bigint[], $17::bool[],
                          $18::bool[], $19::date[], $20::bigint[], $21::bigint[], $22::bool[], $23::bool[],
                          $24::text[])
     ON CONFLICT (tenant_id, id) DO UPDATE SET soul = COALESCE(EXCLUDED.soul, agents.soul),
         name = EXCLUDED.name, name_key = EXCLUDED.name_key, role = EXCLUDED.role,
         description = EXCLUDED.description, status = EXCLUDED.status, config = EXCLUDED.config,
         soul_sha256 = EXCLUDED.soul_sha256, updated_at = EXCLUDED.updated_at,
         last_heartbeat_at = EXCLUDED.last_heartbeat_at, last_active_at = EXCLUDED.last_active_at,
         usage_day = EXCLUDED.usage_day,
         tokens_today_input = EXCLUDED.tokens_today_input,
         tokens_today_output = EXCLUDED.tokens_today_output,
         budget_day_alerted = EXCLUDED.budget_day_alerted,
         budget_day_exhausted = EXCLUDED.budget_day_exhausted, usage_month = EXCLUDED.usage_month,
         tokens_month_input = EXCLUDED.tokens_month_input,
         tokens_month_output = EXCLUDED.tokens_month_output,
         budget_month_alerted = EXCLUDED.budget_month_alerted,
         budget_month_exhausted = EXCLUDED.budget_month_exhausted";
/// After the upsert, which leaves the column alone (0 for a new agent). Kept inside `int`
/// (and never below 0) rather than failing the batch.
const ADD_OPEN_SESSIONS: &str = "UPDATE agents a SET open_session_count =
         LEAST(GREATEST(a.open_session_count::bigint + d.delta, 0), 2147483647)::int
     FROM unnest($1::text[], $2::text[], $3::int[]) AS d(tenant_id, id, delta)
     WHERE a.tenant_id = d.tenant_id AND a.id = d.id";
const UPSERT_SESSIONS: &str = "INSERT INTO sessions (tenant_id, id, agent_id, name, status, origin, cron_job_id,
                           message_count, token_count, created_at, last_activity_at, archived_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::bigint[], $9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
     ON CONFLICT (tenant_id, id) DO UPDATE SET
         status = EXCLUDED.status, message_count = EXCLUDED.message_count,
         token_count = EXCLUDED.token_count, last_activity_at = EXCLUDED.last_activity_at,
         archived_at = EXCLUDED.archived_at";
const INSERT_MESSAGES: &str = "INSERT INTO messages (tenant_id, session_id, sequence, id, agent_id, role, content, usage,
                           tool_calls, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::jsonb[], $9::jsonb[], $10::timestamptz[])";
const INSERT_TENANTS: &str = "INSERT INTO tenants (id, name, plan, per_minute, per_hour, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::timestamptz[])";
const INSERT_KEYS: &str =
    "INSERT INTO api_keys (id, tenant_id, name, scope, key_hash, prefix, expires_at, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::timestamptz[], $8::timestamptz[])";
const REVOKE_KEYS: &str = "UPDATE api_keys k SET revoked_at = r.at
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS r(tenant_id, id, at)
     WHERE k.tenant_id = r.tenant_id AND k.id = r.id";
const INSERT_ACTIVITY: &str = "INSERT INTO activity (tenant_id, sequence, id, type, timestamp, actor_type, actor_id,
                           agent_id, subject_type, subject_id, data, command_id, hash, prev_hash)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                          $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[],
                          $13::text[], $14::text[])";
const SET_HEADS: &str = "INSERT INTO activity_heads (tenant_id, last_sequence, last_hash)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
     ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence,
                                           last_hash = EXCLUDED.last_hash";
const ADD_ACTIVITY_COUNTS: &str =
    "INSERT INTO activity_counts AS c (tenant_id, dimension, key, count)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (tenant_id, dimension, key) DO UPDATE
         SET count = LEAST(c.count::numeric + EXCLUDED.count, 9223372036854775807)::bigint";
const INSERT_OUTCOMES: &str =
    "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind,
                                   accepted, error_code, error_message, error_details, retry_at,
                                   event_count, decided_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::bool[],
                          $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[], $11::int[],
                          $12::timestamptz[])";

const DELETE_WEBHOOKS: &str =
    "DELETE FROM webhooks w USING unnest($1::text[], $2::text[]) AS d(tenant_id, id)
     WHERE w.tenant_id = d.tenant_id AND w.id = d.id";
/// `events` travels as one JSON array per row (unnest would flatten a 2-D text array).
const UPSERT_WEBHOOKS: &str = "INSERT INTO webhooks (tenant_id, id, url, events, description, enabled, disabled_reason,
                           secret, previous_secret, previous_secret_expires_at, created_at, updated_at)
     SELECT d.tenant_id, d.id, d.url, ARRAY(SELECT jsonb_array_elements_text(d.events)), d.description,
            d.enabled, d.disabled_reason, d.secret, d.previous_secret, d.previous_expires_at,
            d.created_at, d.updated_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::bool[], $7::text[],
                 $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
          AS d(tenant_id, id, url, events, description, enabled, disabled_reason, secret,
               previous_secret, previous_expires_at, created_at, updated_at)
     ON CONFLICT (tenant_id, id) DO UPDATE SET
         url = EXCLUDED.url, events = EXCLUDED.events, description = EXCLUDED.description,
         enabled = EXCLUDED.enabled, disabled_reason = EXCLUDED.disabled_reason,
         secret = EXCLUDED.secret, previous_secret = EXCLUDED.previous_secret,
         previous_secret_expires_at = EXCLUDED.previous_secret_expires_at,
         updated_at = EXCLUDED.updated_at";
/// Due at once; the dispatchers hear about them at commit.
const INSERT_DELIVERIES: &str =
    "INSERT INTO dispatch.deliveries (id, tenant_id, webhook_id, agent_id, cron_job_id, cron_run_id,
                                     event_id, event_type, next_attempt_at, created_at, updated_at)
     SELECT id, tenant_id, webhook_id, agent_id, cron_job_id, cron_run_id, event_id, event_type,
            created_at, created_at, created_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::timestamptz[])
          AS d(id, tenant_id, webhook_id, agent_id, cron_job_id, cron_run_id, event_id, event_type,
               created_at)";
const SET_GATEWAY_SECRETS: &str = "INSERT INTO agent_gateway_secrets (tenant_id, agent_id, secret)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (tenant_id, agent_id) DO UPDATE SET secret = EXCLUDED.secret";
const DELETE_GATEWAY_SECRETS: &str =
    "DELETE FROM agent_gateway_secrets g USING unnest($1::text[], $2::text[]) AS d(tenant_id, agent_id)
     WHERE g.tenant_id = d.tenant_id AND g.agent_id = d.agent_id";
/// Dispatchers are woken when deliveries are queued.
const DELIVERIES_CHANNEL: &str = "agenfleet_deliveries";
/// Schedulers are woken only when jobs changed (not on every batch).
const CRON_JOBS_CHANNEL: &str = "agenfleet_cron_jobs";

/// The statements that only insert (or upsert) the rows of the batch's arrays, reading no
/// table: [`super::pipeline::execute_all`] runs them on generic plans. `lookup_plans` (api
/// tests) checks that each one's generic plan scans nothing but its arrays.
pub(crate) static INSERTS_FROM_ARRAYS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        let mut inserts = vec![
            UPSERT_AGENTS,
            UPSERT_SESSIONS,
            INSERT_MESSAGES,
            INSERT_TENANTS,
            INSERT_KEYS,
            INSERT_ACTIVITY,
            SET_HEADS,
            ADD_ACTIVITY_COUNTS,
            INSERT_OUTCOMES,
            UPSERT_WEBHOOKS,
            INSERT_DELIVERIES,
            SET_GATEWAY_SECRETS,
            cron::UPSERT_CRON_JOBS,
            cron::UPSERT_CRON_RUNS,
        ];
        inserts.extend(super::rollups::upserts());
        inserts
    });

macro_rules! columns {
    ($rows:expr, $($column:expr),+ $(,)?) => {
        vec![$(Box::new($rows.iter().map($column).collect::<Vec<_>>()) as crate::projection::pipeline::Param),+]
    };
}

// After the macro, which it uses.
mod cron;

/// A batch's writes, built and ready to send: they own everything they send, so the state they
/// were built from can move on (`UnitOfWork::into_writes`).
pub struct Writes {
    statements: Vec<Statement>,
    announce: Vec<Announcement>,
    fold: bool,
}

impl Writes {
    /// Sends the writes, then ends the transaction as `end` says, all in one round trip, with
    /// the announcements after it; returns the end's time alone.
    pub async fn send(
        &self,
        tx: &PipelinedTransaction,
        end: End,
    ) -> Result<std::time::Duration, StoreError> {
        execute_all(tx, &self.statements, end, &self.announce, self.fold).await
    }

    /// Sends the writes and `COMMIT` like [`Self::send`], and hands the connection over to
    /// `next` as soon as every request is on it, before any answer: a transaction sent on it
    /// then runs right after this one, in order, on the same server process (the partition's
    /// next batch, decided on what this one leaves). If something fails before everything is
    /// sent, `next` is dropped unanswered. What is handed over is weak ([`HandedOver`]): once
    /// this transaction's answers are in, the connection goes back to the pool.
    pub async fn send_handing_over(
        &self,
        tx: &PipelinedTransaction,
        next: tokio::sync::oneshot::Sender<HandedOver>,
    ) -> Result<std::time::Duration, StoreError> {
        let connection = std::sync::Arc::downgrade(&tx.connection());
        let hand_over = move || {
            // The next batch may be gone (it was never sent): nothing to hand over to.
            let _ = next.send(connection);
        };
        execute_all_then(
            tx,
            &self.statements,
            End::Commit,
            &self.announce,
            self.fold,
            hand_over,
        )
        .await
    }
}

/// The writes of `before`, then `changes` (their final state in `overlay`), then `after`, with
/// `announce` (the first also waking the services these writes concern) to send after them.
/// Without an announcement nothing is notified.
pub(super) fn writes(
    overlay: &Overlay,
    changes: &Changes,
    before: Vec<Statement>,
    after: Vec<Statement>,
    mut announce: Vec<Announcement>,
) -> Writes {
    let mut wake = |channel: &'static str| {
        if let Some(announcement) = announce.first_mut() {
            announcement.wake.push(channel);
        }
    };
    let mut statements = before;
    let (mut deleted, mut upserted) = (Vec::new(), Vec::new());
    for key in &changes.agents {
        match overlay.agents.get(key).and_then(Option::as_ref) {
            Some(agent) => upserted.push((key.0, agent)),
            None => deleted.push(*key),
        }
    }
    if !deleted.is_empty() {
        statements.push(Statement::new(
            DELETE_AGENTS,
            columns!(deleted, |(t, _)| t.to_string(), |(_, a)| a.to_string()),
        ));
    }
    if !upserted.is_empty() {
        statements.push(Statement::new(
            UPSERT_AGENTS,
            columns!(
                upserted,
                |(t, _)| t.to_string(),
                |(_, a)| a.id.to_string(),
                |(_, a)| a.name.clone(),
                |(_, a)| domain::name_key(&a.name),
                |(_, a)| a.role.clone(),
                |(_, a)| a.description.clone(),
                |(_, a)| a.status.as_str(),
                |(_, a)| Json(serde_json::to_value(&a.config).unwrap_or_default()),
                |(_, a)| a.soul_sha256.clone(),
                |(_, a)| a.created_at,
                |(_, a)| a.updated_at,
                |(_, a)| a.last_heartbeat_at,
                |(_, a)| a.last_active_at,
                |(_, a)| a.usage.day.start,
                |(_, a)| to_bigint(a.usage.day.input_tokens),
                |(_, a)| to_bigint(a.usage.day.output_tokens),
                |(_, a)| a.usage.day.alerted,
                |(_, a)| a.usage.day.exhausted,
                |(_, a)| a.usage.month.start,
                |(_, a)| to_bigint(a.usage.month.input_tokens),
                |(_, a)| to_bigint(a.usage.month.output_tokens),
                |(_, a)| a.usage.month.alerted,
                |(_, a)| a.usage.month.exhausted,
                // Set in this batch, or NULL: the stored one is kept (a soul is never unset).
                |(t, a)| changes.souls.get(&(*t, a.id)).cloned().flatten(),
            ),
        ));
    }
    let open_sessions: Vec<_> = changes
        .open_sessions
        .iter()
        .filter(|(_, delta)| **delta != 0)
        .collect();
    if !open_sessions.is_empty() {
        statements.push(Statement::new(
            ADD_OPEN_SESSIONS,
            columns!(
                open_sessions,
                |((t, _), _)| t.to_string(),
                |((_, a), _)| a.to_string(),
                |(_, d)| **d
            ),
        ));
    }
    let sessions: Vec<_> = changes
        .sessions
        .iter()
        .filter_map(|key| {
            let session = overlay.sessions.get(key).and_then(Option::as_ref)?;
            Some((key.0, session))
        })
        .collect();
    if !sessions.is_empty() {
        statements.push(Statement::new(
            UPSERT_SESSIONS,
            columns!(
                sessions,
                |(t, _)| t.to_string(),
                |(_, s)| s.id.to_string(),
                |(_, s)| s.agent_id.to_string(),
                |(_, s)| s.name.clone(),
                |(_, s)| s.status.as_str(),
                |(_, s)| s.origin.as_str(),
                |(_, s)| s.cron_job_id.map(|id| id.to_string()),
                |(_, s)| s.message_count,
                |(_, s)| s.token_count,
                |(_, s)| s.created_at,
                |(_, s)| s.last_activity_at,
                |(_, s)| s.archived_at,
            ),
        ));
    }
    if !changes.messages.is_empty() {
        statements.push(Statement::new(
            INSERT_MESSAGES,
            columns!(
                changes.messages,
                |(t, _)| t.to_string(),
                |(_, m)| m.session_id.to_string(),
                |(_, m)| m.sequence,
                |(_, m)| m.id.to_string(),
                |(_, m)| m.agent_id.to_string(),
                |(_, m)| m.role.as_str(),
                |(_, m)| m.content.clone(),
                |(_, m)| m.usage.clone().map(Json),
                |(_, m)| Json(m.tool_calls.clone()),
                |(_, m)| m.created_at,
            ),
        ));
    }
    changes.rollups.statements(&mut statements);
    if !changes.tenants.is_empty() {
        statements.push(Statement::new(
            INSERT_TENANTS,
            columns!(
                changes.tenants,
                |t| t.id.to_string(),
                |t| t.name.clone(),
                |t| t.plan,
                |t| t.per_minute,
                |t| t.per_hour,
                |t| t.created_at,
            ),
        ));
    }
    if !changes.keys.is_empty() {
        statements.push(Statement::new(
            INSERT_KEYS,
            columns!(
                changes.keys,
                |k| k.id.clone(),
                |k| k.tenant_id.to_string(),
                |k| k.name.clone(),
                |k| k.scope,
                |k| k.key_hash.clone(),
                |k| k.prefix.clone(),
                |k| k.expires_at,
                |k| k.created_at,
            ),
        ));
    }
    if !changes.revoked_keys.is_empty() {
        statements.push(Statement::new(
            REVOKE_KEYS,
            columns!(
                changes.revoked_keys,
                |(t, _, _)| t.to_string(),
                |(_, k, _)| k.clone(),
                |(_, _, at)| *at
            ),
        ));
    }
    if !changes.activity.is_empty() {
        statements.push(Statement::new(
            INSERT_ACTIVITY,
            columns!(
                changes.activity,
                |a| a.tenant_id.to_string(),
                |a| a.entry.sequence,
                |a| a.entry.id.clone(),
                |a| a.entry.event_type.clone(),
                |a| a.timestamp,
                |a| a.entry.actor.kind.clone(),
                |a| a.entry.actor.id.clone(),
                |a| a.entry.agent_id.clone(),
                |a| a.entry.subject.kind.clone(),
                |a| a.entry.subject.id.clone(),
                |a| Json(a.entry.data.clone()),
                |a| a.command_id.clone(),
                |a| a.entry.hash.clone().unwrap_or_default(),
                |a| a.entry.prev_hash.clone(),
            ),
        ));
        // The last entry of each tenant in this batch is its new head.
        let mut heads: HashMap<TenantId, &domain::activity::ActivityEntry> = HashMap::new();
        for row in &changes.activity {
            heads.insert(row.tenant_id, &row.entry);
        }
        let heads: Vec<_> = heads.into_iter().collect();
        let mut counts: HashMap<(TenantId, &'static str, &str), i64> = HashMap::new();
        for row in &changes.activity {
            let entry = &row.entry;
            *counts
                .entry((row.tenant_id, "type", &entry.event_type))
                .or_default() += 1;
            *counts
                .entry((row.tenant_id, "actor", &entry.actor.kind))
                .or_default() += 1;
            if let Some(agent) = &entry.agent_id {
                *counts.entry((row.tenant_id, "agent", agent)).or_default() += 1;
            }
        }
        let counts: Vec<_> = counts.into_iter().collect();
        statements.push(Statement::new(
            ADD_ACTIVITY_COUNTS,
            columns!(
                counts,
                |((t, _, _), _)| t.to_string(),
                |((_, d, _), _)| *d,
                |((_, _, k), _)| k.to_string(),
                |(_, n)| *n
            ),
        ));
        statements.push(Statement::new(
            SET_HEADS,
            columns!(
                heads,
                |(t, _)| t.to_string(),
                |(_, e)| e.sequence,
                |(_, e)| e.hash.clone().unwrap_or_default()
            ),
        ));
    }
    let (mut gone, mut kept) = (Vec::new(), Vec::new());
    for (tenant, id) in &changes.webhooks {
        let state = overlay
            .webhooks
            .get(tenant)
            .and_then(|list| list.iter().find(|w| w.webhook.id == *id));
        match state {
            Some(state) => kept.push((*tenant, state)),
            None => gone.push((*tenant, *id)),
        }
    }
    if !gone.is_empty() {
        statements.push(Statement::new(
            DELETE_WEBHOOKS,
            columns!(gone, |(t, _)| t.to_string(), |(_, w)| w.to_string()),
        ));
    }
    if !kept.is_empty() {
        statements.push(Statement::new(
            UPSERT_WEBHOOKS,
            columns!(
                kept,
                |(t, _)| t.to_string(),
                |(_, w)| w.webhook.id.to_string(),
                |(_, w)| w.webhook.url.clone(),
                |(_, w)| Json(w.webhook.events.clone()),
                |(_, w)| w.webhook.description.clone(),
                |(_, w)| w.webhook.enabled,
                |(_, w)| w.webhook.disabled_reason.clone(),
                |(_, w)| w.secrets.current.clone(),
                |(_, w)| w.secrets.previous.clone(),
                |(_, w)| w.secrets.previous_expires_at,
                |(_, w)| w.webhook.created_at,
                |(_, w)| w.webhook.updated_at,
            ),
        ));
    }
    cron::statements(overlay, changes, &mut statements);
    if !changes.cron_jobs.is_empty() {
        wake(CRON_JOBS_CHANNEL);
    }
    let (set, removed): (Vec<_>, Vec<_>) = changes
        .gateway_secrets
        .iter()
        .partition(|(_, secret)| secret.is_some());
    if !removed.is_empty() {
        statements.push(Statement::new(
            DELETE_GATEWAY_SECRETS,
            columns!(removed, |((t, _), _)| t.to_string(), |((_, a), _)| a
                .to_string()),
        ));
    }
    if !set.is_empty() {
        statements.push(Statement::new(
            SET_GATEWAY_SECRETS,
            columns!(
                set,
                |((t, _), _)| t.to_string(),
                |((_, a), _)| a.to_string(),
                |(_, s)| (*s).clone().unwrap_or_default()
            ),
        ));
    }
    if !changes.deliveries.is_empty() {
        statements.push(Statement::new(
            INSERT_DELIVERIES,
            columns!(
                changes.deliveries,
                |d| d.id.to_string(),
                |d| d.tenant_id.to_string(),
                |d| d.webhook_id.map(|id| id.to_string()),
                |d| d.agent_id.map(|id| id.to_string()),
                |d| d.cron.map(|(job, _)| job.to_string()),
                |d| d.cron.map(|(_, run)| run.to_string()),
                |d| d.event_id.to_string(),
                |d| d.event_type,
                |d| d.created_at,
            ),
        ));
        wake(DELIVERIES_CHANNEL);
    }
    if !changes.outcomes.is_empty() {
        statements.push(Statement::new(
            INSERT_OUTCOMES,
            columns!(
                changes.outcomes,
                |o| o.command_id.clone(),
                |o| o.tenant_id.to_string(),
                |o| o.partition,
                |o| o.offset,
                |o| o.kind,
                |o| o.accepted,
                |o| o.error_code,
                |o| o.error_message.clone(),
                |o| o.error_details.clone().map(Json),
                |o| o.retry_at,
                |o| o.event_count,
                |o| o.decided_at,
            ),
        ));
    }
    statements.extend(after);
    Writes {
        statements,
        announce,
        fold: changes.outcomes.len() <= super::fold::FOLD_AT_MOST,
    }
}
