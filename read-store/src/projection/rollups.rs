//! Hourly metric rollups: a batch adds up what its events contribute per (agent, hour) and per
//! (tenant, hour, model) in memory, then adds those deltas to the stored rows in one upsert per
//! table. The metrics routes read only these rows.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use domain::latency::LatencySketch;
use domain::usage::to_bigint;
use postgres_types::Json;
use schema::session::{MessageRole, MessageSnapshot, ToolCallStatus};
use schema::{AgentId, TenantId};

use super::pipeline::{Param, Statement};
use crate::metrics::{counter_list, saturating_sum, Counters, COUNTER_COLUMNS};

/// What happened in one hour (for one agent, or one model of a tenant).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    pub provider: String,
    pub counters: Counters,
    pub latency: LatencySketch,
}

impl Rollup {
    fn add_message(&mut self, message: &MessageSnapshot) {
        let mut delta = Counters::default();
        match message.role {
            MessageRole::User => delta.user_messages = 1,
            MessageRole::Assistant => delta.assistant_messages = 1,
        }
        if let Some(usage) = &message.usage {
            delta.input_tokens = to_bigint(usage.input_tokens);
            delta.output_tokens = to_bigint(usage.output_tokens);
            delta.cost_micro_usd = to_bigint(usage.cost_micro_usd);
            if let Some(latency) = usage.latency_ms {
                self.latency.add(latency);
            }
        }
        self.counters.add(&delta);
    }

    fn add_tool_call(&mut self, status: ToolCallStatus) {
        self.counters.add(&Counters {
            tool_calls: 1,
            tool_failures: i64::from(status == ToolCallStatus::Failure),
            ..Counters::default()
        });
    }
}

/// The UTC hour `at` falls in.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(3600), 0).unwrap_or(at)
}

/// The deltas of one batch.
#[derive(Default)]
pub struct Rollups {
    agents: HashMap<(TenantId, AgentId, DateTime<Utc>), Rollup>,
    /// Keyed by model; `""` for activity without a reported model.
    tenants: HashMap<(TenantId, DateTime<Utc>, String), Rollup>,
    /// The tenant's reply latencies per UTC day.
    tenant_days: HashMap<(TenantId, NaiveDate), LatencySketch>,
}

impl Rollups {
    fn rows(
        &mut self,
        tenant: TenantId,
        agent: AgentId,
        at: DateTime<Utc>,
        model: Option<(&str, &str)>,
    ) -> (&mut Rollup, &mut Rollup) {
        let hour = hour_of(at);
        let (model, provider) = model.unwrap_or_default();
        let tenant_row = self
            .tenants
            .entry((tenant, hour, model.to_owned()))
            .or_insert_with(|| Rollup {
                provider: provider.to_owned(),
                ..Rollup::default()
            });
        let agent_row = self.agents.entry((tenant, agent, hour)).or_default();
        (agent_row, tenant_row)
    }

    pub fn session_created(&mut self, tenant: TenantId, agent: AgentId, at: DateTime<Utc>) {
        let (agent_row, tenant_row) = self.rows(tenant, agent, at, None);
        agent_row.counters.sessions_created += 1;
        tenant_row.counters.sessions_created += 1;
    }

    pub fn message(&mut self, tenant: TenantId, message: &MessageSnapshot) {
        let model = message
            .usage
            .as_ref()
            .map(|usage| (usage.model.as_str(), usage.provider.as_str()));
        let (agent_row, tenant_row) =
            self.rows(tenant, message.agent_id, message.created_at, model);
        agent_row.add_message(message);
        tenant_row.add_message(message);
        if let Some(latency) = message.usage.as_ref().and_then(|usage| usage.latency_ms) {
            self.tenant_days
                .entry((tenant, message.created_at.date_naive()))
                .or_default()
                .add(latency);
        }
    }

    pub fn tool_call(
        &mut self,
        tenant: TenantId,
        agent: AgentId,
        at: DateTime<Utc>,
        status: ToolCallStatus,
    ) {
        let (agent_row, tenant_row) = self.rows(tenant, agent, at, None);
        agent_row.add_tool_call(status);
        tenant_row.add_tool_call(status);
    }

    pub fn statements(&self, statements: &mut Vec<Statement>) {
        if !self.agents.is_empty() {
            let rows: Vec<_> = self.agents.iter().collect();
            let mut params: Vec<Param> = vec![
                Box::new(
                    rows.iter()
                        .map(|((t, _, _), _)| t.to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(
                    rows.iter()
                        .map(|((_, a, _), _)| a.to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(rows.iter().map(|((_, _, h), _)| *h).collect::<Vec<_>>()),
            ];
            params.extend(counters(rows.iter().map(|(_, r)| *r)));
            statements.push(Statement::new(UPSERT_AGENT_HOURS.as_str(), params));
        }
        if !self.tenants.is_empty() {
            let rows: Vec<_> = self.tenants.iter().collect();
            let mut params: Vec<Param> = vec![
                Box::new(
                    rows.iter()
                        .map(|((t, _, _), _)| t.to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(rows.iter().map(|((_, h, _), _)| *h).collect::<Vec<_>>()),
                Box::new(
                    rows.iter()
                        .map(|((_, _, m), _)| m.clone())
                        .collect::<Vec<_>>(),
                ),
                Box::new(
                    rows.iter()
                        .map(|(_, r)| r.provider.clone())
                        .collect::<Vec<_>>(),
                ),
            ];
            params.extend(counters(rows.iter().map(|(_, r)| *r)));
            statements.push(Statement::new(UPSERT_TENANT_HOURS.as_str(), params));
        }
        if !self.tenant_days.is_empty() {
            let rows: Vec<_> = self.tenant_days.iter().collect();
            let params: Vec<Param> = vec![
                Box::new(
                    rows.iter()
                        .map(|((t, _), _)| t.to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(rows.iter().map(|((_, d), _)| *d).collect::<Vec<_>>()),
                Box::new(
                    rows.iter()
                        .map(|(_, l)| Json((*l).clone()))
                        .collect::<Vec<_>>(),
                ),
            ];
            statements.push(Statement::new(UPSERT_TENANT_DAYS.as_str(), params));
        }
    }
}

/// The counter columns (in the order of `COUNTER_COLUMNS`), then the latency sketches.
fn counters<'a>(rows: impl Iterator<Item = &'a Rollup> + Clone) -> Vec<Param> {
    let mut params: Vec<Param> = (0..COUNTER_COLUMNS.len())
        .map(|i| -> Param {
            Box::new(
                rows.clone()
                    .map(|r| r.counters.values()[i])
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    params.push(Box::new(
        rows.map(|r| Json(r.latency.clone())).collect::<Vec<_>>(),
    ));
    params
}

/// The stored sketch `t.latency` with the batch's `EXCLUDED.latency` added: each of the batch's
/// buckets (one or a few) looked up in the stored object and written over it with the sum.
/// Written into the upserts rather than called: Postgres plans a SQL function that it cannot
/// inline (this one aggregates) on every execution of the statement calling it — 160 µs per
/// upsert here, three upserts per batch of messages, where the statement's own plan is made once
/// per connection. A row of the batch without latencies (user messages, replies that report
/// none: half of a conversation, and every row of the model `''`) leaves the stored sketch as it
/// is, unread. Until migration 0011 sketches were arrays of pairs, unpacked, grouped and packed
/// again whole on every merge: with replies spread over 0.2–20 s (a hundred buckets an hour) that
/// cost 400 µs a row, where this costs 50 (docs/BENCHMARKS.md, twenty-third session).
const MERGED_LATENCY: &str = "CASE WHEN EXCLUDED.latency = '{}'::jsonb THEN t.latency ELSE
    t.latency || (SELECT jsonb_object_agg(added.key,
                                          coalesce((t.latency ->> added.key)::numeric, 0)
                                              + added.value::numeric)
                  FROM jsonb_each_text(EXCLUDED.latency) AS added) END";

/// `INSERT INTO {table} … ON CONFLICT ({key}) DO UPDATE` adding every counter (saturating at
/// the largest `bigint`: a sum that would not fit must not fail the batch forever) and merging
/// the sketches; `key_columns` typed as in `unnest` come first, then the counters and the sketch.
fn upsert(table: &str, key_columns: &[(&str, &str)], conflict: &str) -> String {
    let columns: Vec<&str> = key_columns
        .iter()
        .map(|(name, _)| *name)
        .chain(COUNTER_COLUMNS)
        .chain(["latency"])
        .collect();
    let types: Vec<String> = key_columns
        .iter()
        .map(|(_, kind)| *kind)
        .chain(COUNTER_COLUMNS.map(|_| "bigint"))
        .chain(["jsonb"])
        .enumerate()
        .map(|(i, kind)| format!("${}::{kind}[]", i + 1))
        .collect();
    format!(
        "INSERT INTO {table} AS t ({}) SELECT * FROM unnest({})
         ON CONFLICT ({conflict}) DO UPDATE SET {}, latency = {MERGED_LATENCY}",
        columns.join(", "),
        types.join(", "),
        counter_list(|c| format!(
            "{c} = {}",
            saturating_sum(&format!("t.{c}"), &format!("EXCLUDED.{c}"))
        )),
    )
}

/// The rollups' upserts (inserts from arrays, see `flush::INSERTS_FROM_ARRAYS`).
pub(super) fn upserts() -> [&'static str; 3] {
    [
        UPSERT_AGENT_HOURS.as_str(),
        UPSERT_TENANT_HOURS.as_str(),
        UPSERT_TENANT_DAYS.as_str(),
    ]
}

static UPSERT_AGENT_HOURS: LazyLock<String> = LazyLock::new(|| {
    upsert(
        "metrics_agent_hourly",
        &[
            ("tenant_id", "text"),
            ("agent_id", "text"),
            ("hour", "timestamptz"),
        ],
        "tenant_id, agent_id, hour",
    )
});

static UPSERT_TENANT_HOURS: LazyLock<String> = LazyLock::new(|| {
    upsert(
        "metrics_tenant_hourly",
        &[
            ("tenant_id", "text"),
            ("hour", "timestamptz"),
            ("model", "text"),
            ("provider", "text"),
        ],
        "tenant_id, hour, model",
    )
});

static UPSERT_TENANT_DAYS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO metrics_tenant_daily AS t (tenant_id, day, latency)
         SELECT * FROM unnest($1::text[], $2::date[], $3::jsonb[])
         ON CONFLICT (tenant_id, day) DO UPDATE SET latency = {MERGED_LATENCY}"
    )
});
