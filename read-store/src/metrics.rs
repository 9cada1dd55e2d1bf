//! Reads of the hourly metric rollups (see `projection::rollups`): a tenant's summary, the
//! totals of its agents and one agent's series. Nothing here reads `messages`: a query costs in
//! proportion to the rollup rows of its range (hours × models, or hours × agents), not to the
//! number of messages. Counters are summed in SQL where the sketches are not needed; latency
//! sketches are merged here, and only where a percentile is asked for.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use domain::latency::LatencySketch;
use domain::AgentState;
use futures::TryStreamExt;
use postgres_types::{Json, ToSql};
use schema::agent::AgentStatus;
use schema::{AgentId, TenantId};
use tokio_postgres::Row;

use crate::{Listed, Page, StoreError};

/// The size of a bucket of a series; rollups are hourly, so nothing finer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
}

impl Granularity {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    pub fn step(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
        }
    }

    /// The start of the bucket `at` falls in (UTC days are whole multiples of 86,400 s).
    pub fn floor(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let step = self.step().num_seconds();
        let seconds = at.timestamp();
        DateTime::from_timestamp(seconds - seconds.rem_euclid(step), 0).unwrap_or(at)
    }

    /// The first bucket boundary at or after `at`.
    pub fn ceil(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.floor(at);
        if floor == at {
            at
        } else {
            floor + self.step()
        }
    }
}

/// A half-open range `[from, to)` of whole buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Range {
    /// The smallest range of whole buckets that covers `[from, to)`.
    pub fn covering(from: DateTime<Utc>, to: DateTime<Utc>, granularity: Granularity) -> Self {
        Self {
            from: granularity.floor(from),
            to: granularity.ceil(to),
        }
    }
}

/// The counters every rollup row carries, summed over some rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micro_usd: i64,
    pub user_messages: i64,
    pub assistant_messages: i64,
    pub sessions_created: i64,
    pub tool_calls: i64,
    pub tool_failures: i64,
}

/// The counter columns, in both rollup tables.
const COUNTER_COLUMNS: [&str; 8] = [
    "input_tokens",
    "output_tokens",
    "cost_micro_usd",
    "user_messages",
    "assistant_messages",
    "sessions_created",
    "tool_calls",
    "tool_failures",
];

/// `template(column)` for every counter column, comma-separated.
fn counter_list(template: impl Fn(&str) -> String) -> String {
    COUNTER_COLUMNS.map(template).join(", ")
}

/// The sums of the counter columns of the rows `m`, named like the columns (0 without rows).
static SUMS: LazyLock<String> =
    LazyLock::new(|| counter_list(|c| format!("coalesce(sum(m.{c}), 0)::bigint AS {c}")));

impl Counters {
    fn from_row(row: &Row) -> Self {
        Self {
            input_tokens: row.get("input_tokens"),
            output_tokens: row.get("output_tokens"),
            cost_micro_usd: row.get("cost_micro_usd"),
            user_messages: row.get("user_messages"),
            assistant_messages: row.get("assistant_messages"),
            sessions_created: row.get("sessions_created"),
            tool_calls: row.get("tool_calls"),
            tool_failures: row.get("tool_failures"),
        }
    }

    pub fn add(&mut self, other: &Counters) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_micro_usd += other.cost_micro_usd;
        self.user_messages += other.user_messages;
        self.assistant_messages += other.assistant_messages;
        self.sessions_created += other.sessions_created;
        self.tool_calls += other.tool_calls;
        self.tool_failures += other.tool_failures;
    }

    /// User and assistant messages.
    pub fn messages(&self) -> i64 {
        self.user_messages + self.assistant_messages
    }
}

fn latency_from_row(row: &Row) -> Result<LatencySketch, StoreError> {
    let Json(sketch): Json<LatencySketch> = row
        .try_get("latency")
        .map_err(|e| StoreError::Corrupt(format!("latency sketch: {e}")))?;
    Ok(sketch)
}

/// The tenant's current agents by status, and how many of them sent or got a message in the
/// range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentCounts {
    pub total: i64,
    pub provisioning: i64,
    pub online: i64,
    pub degraded: i64,
    pub offline: i64,
    pub active_in_period: i64,
}

/// A tenant's totals of one model over a range; model and provider are `""` for activity
/// without a reported model (user messages, new sessions, tool calls, replies without usage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTotals {
    pub model: String,
    pub provider: String,
    pub counters: Counters,
}

/// What `GET /v1/metrics/summary` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub agents: AgentCounts,
    /// Sessions whose status is `active` now.
    pub active_sessions: i64,
    /// Every model with activity in the range, including `""`.
    pub models: Vec<ModelTotals>,
    /// The latencies of every reply in the range.
    pub latency: LatencySketch,
}

/// The summary of a tenant's range: independent queries, pipelined on one connection.
pub async fn summary(
    client: &impl GenericClient,
    tenant: TenantId,
    range: Range,
) -> Result<Summary, StoreError> {
    let tenant = tenant.to_string();
    let (mut agents, active_in_period, active_sessions, (models, latency)) = futures::try_join!(
        agent_counts(client, &tenant),
        active_agents(client, &tenant, range),
        active_sessions(client, &tenant),
        tenant_hours(client, &tenant, range),
    )?;
    agents.active_in_period = active_in_period;
    Ok(Summary {
        agents,
        active_sessions,
        models,
        latency,
    })
}

/// The tenant's current agents by status (`active_in_period` left at 0).
async fn agent_counts(
    client: &impl GenericClient,
    tenant: &str,
) -> Result<AgentCounts, StoreError> {
    let statement = client
        .prepare_cached("SELECT status, count(*) FROM agents WHERE tenant_id = $1 GROUP BY status")
        .await?;
    let mut counts = AgentCounts::default();
    for row in client.query(&statement, &[&tenant]).await? {
        let (status, agents): (String, i64) = (row.get(0), row.get(1));
        let slot = match AgentStatus::parse(&status) {
            Some(AgentStatus::Provisioning) => &mut counts.provisioning,
            Some(AgentStatus::Online) => &mut counts.online,
            Some(AgentStatus::Degraded) => &mut counts.degraded,
            Some(AgentStatus::Offline) => &mut counts.offline,
            None => return Err(StoreError::Corrupt(format!("agent status {status}"))),
        };
        *slot = agents;
        counts.total += agents;
    }
    Ok(counts)
}

/// Current agents with a message in the range. A tenant may have thousands of agents and
/// millions of agent-hours, few of them busy: the query walks the distinct agent ids of the
/// rollups (one primary-key probe each, a "loose index scan") and probes each one's range once,
/// instead of scanning every agent-hour of the range or probing every agent.
async fn active_agents(
    client: &impl GenericClient,
    tenant: &str,
    range: Range,
) -> Result<i64, StoreError> {
    let statement = client
        .prepare_cached(
            "WITH RECURSIVE seen(agent_id) AS (
                 (SELECT agent_id FROM metrics_agent_hourly WHERE tenant_id = $1
                  ORDER BY agent_id LIMIT 1)
                 UNION ALL
                 SELECT (SELECT m.agent_id FROM metrics_agent_hourly m
                         WHERE m.tenant_id = $1 AND m.agent_id > seen.agent_id
                         ORDER BY m.agent_id LIMIT 1)
                 FROM seen WHERE seen.agent_id IS NOT NULL
             )
             SELECT count(*) FROM seen
             JOIN agents a ON a.tenant_id = $1 AND a.id = seen.agent_id
             WHERE EXISTS (SELECT 1 FROM metrics_agent_hourly m
                           WHERE m.tenant_id = $1 AND m.agent_id = seen.agent_id
                             AND m.hour >= $2 AND m.hour < $3
                             AND m.user_messages + m.assistant_messages > 0)",
        )
        .await?;
    let row = client
        .query_one(&statement, &[&tenant, &range.from, &range.to])
        .await?;
    Ok(row.get(0))
}

/// Counted on the partial index `sessions_active`.
async fn active_sessions(client: &impl GenericClient, tenant: &str) -> Result<i64, StoreError> {
    let statement = client
        .prepare_cached("SELECT count(*) FROM sessions WHERE tenant_id = $1 AND status = 'active'")
        .await?;
    Ok(client.query_one(&statement, &[&tenant]).await?.get(0))
}

/// The tenant's counters over the range, summed by model, and the latencies of its replies.
async fn tenant_hours(
    client: &impl GenericClient,
    tenant: &str,
    range: Range,
) -> Result<(Vec<ModelTotals>, LatencySketch), StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT m.model, max(m.provider) AS provider, {} FROM metrics_tenant_hourly m
             WHERE m.tenant_id = $1 AND m.hour >= $2 AND m.hour < $3 GROUP BY m.model",
            SUMS.as_str()
        )
    });
    let statement = client.prepare_cached(&SQL).await?;
    let (rows, latency) = futures::try_join!(
        async {
            Ok::<_, StoreError>(
                client
                    .query(&statement, &[&tenant, &range.from, &range.to])
                    .await?,
            )
        },
        tenant_latency(client, tenant, range),
    )?;
    let models = rows
        .iter()
        .map(|row| ModelTotals {
            model: row.get("model"),
            provider: row.get("provider"),
            counters: Counters::from_row(row),
        })
        .collect();
    Ok((models, latency))
}

/// The latencies of the tenant's replies over the range: one daily sketch per whole UTC day
/// inside it, hourly sketches for the partial days at its edges. Reading sketches is what
/// costs (Postgres renders each as JSON text), so a 92-day summary reads about 92 + 46 of them
/// rather than 2,208 per model.
async fn tenant_latency(
    client: &impl GenericClient,
    tenant: &str,
    range: Range,
) -> Result<LatencySketch, StoreError> {
    let first_day = Granularity::Day.ceil(range.from);
    let end_day = Granularity::Day.floor(range.to).max(first_day);
    let statement = client
        .prepare_cached(
            "SELECT latency FROM metrics_tenant_daily
             WHERE tenant_id = $1 AND day >= $6 AND day < $7
             UNION ALL
             SELECT latency FROM metrics_tenant_hourly
             WHERE tenant_id = $1 AND latency <> '[]'
               AND ((hour >= $4 AND hour < least($2::timestamptz, $5)) OR (hour >= greatest($3::timestamptz, $4) AND hour < $5))",
        )
        .await?;
    let (first_date, end_date) = (first_day.date_naive(), end_day.date_naive());
    let params: [&(dyn ToSql + Sync); 7] = [
        &tenant,
        &first_day,
        &end_day,
        &range.from,
        &range.to,
        &first_date,
        &end_date,
    ];
    let rows = client.query_raw(&statement, params).await?;
    futures::pin_mut!(rows);
    let mut latency = DenseCounts::default();
    while let Some(row) = rows.try_next().await? {
        let Json(pairs): Json<Vec<(u16, u64)>> = row
            .try_get("latency")
            .map_err(|e| StoreError::Corrupt(format!("latency sketch: {e}")))?;
        latency.add(&pairs);
    }
    Ok(latency.into_sketch())
}

/// Counts by bucket index, for merging many sketches without a map lookup per bucket.
#[derive(Default)]
struct DenseCounts(Vec<u64>);

impl DenseCounts {
    fn add(&mut self, pairs: &[(u16, u64)]) {
        for &(index, count) in pairs {
            let index = usize::from(index);
            if index >= self.0.len() {
                self.0.resize(index + 1, 0);
            }
            self.0[index] += count;
        }
    }

    fn into_sketch(self) -> LatencySketch {
        let pairs: Vec<(u16, u64)> = (0u16..)
            .zip(self.0)
            .filter(|&(_, count)| count > 0)
            .collect();
        LatencySketch::from(pairs)
    }
}

/// An agent and its totals over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentTotals {
    pub agent: AgentState,
    pub counters: Counters,
}

/// Every current agent of the tenant with its totals over the range (zeros without activity),
/// by cost (`page.order`, descending by default), then id in the same direction. The range is
/// summed once per agent with activity, the agents ranked on `(cost, id)` alone, and only the
/// page's agents are read in full.
pub async fn agent_totals(
    client: &impl GenericClient,
    tenant: TenantId,
    range: Range,
    page: Page,
) -> Result<Listed<AgentTotals>, StoreError> {
    let order = page.order.sql();
    let (columns, sums) = (crate::agents::COLUMNS, SUMS.as_str());
    let totals = counter_list(|c| format!("coalesce(t.{c}, 0) AS {c}"));
    let statement = client
        .prepare_cached(&format!(
            "WITH totals AS (
                 SELECT m.agent_id, {sums} FROM metrics_agent_hourly m
                 WHERE m.tenant_id = $1 AND m.hour >= $2 AND m.hour < $3
                 GROUP BY m.agent_id
             ), ranked AS (
                 SELECT a.id, coalesce(t.cost_micro_usd, 0) AS cost, count(*) OVER () AS total
                 FROM agents a LEFT JOIN totals t ON t.agent_id = a.id
                 WHERE a.tenant_id = $1
                 ORDER BY cost {order}, a.id {order} LIMIT $4 OFFSET $5
             )
             SELECT {columns}, {totals}, r.total
             FROM ranked r
             JOIN agents a ON a.tenant_id = $1 AND a.id = r.id
             LEFT JOIN totals t ON t.agent_id = r.id
             ORDER BY r.cost {order}, r.id {order}"
        ))
        .await?;
    let tenant = tenant.to_string();
    let rows = client
        .query(
            &statement,
            &[&tenant, &range.from, &range.to, &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => {
            let statement = client
                .prepare_cached("SELECT count(*) FROM agents WHERE tenant_id = $1")
                .await?;
            client.query_one(&statement, &[&tenant]).await?.get(0)
        }
    };
    let rows = rows
        .iter()
        .map(|row| {
            Ok(AgentTotals {
                agent: crate::agents::agent_state_from_row(row)?,
                counters: Counters::from_row(row),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Listed { rows, total })
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub counters: Counters,
    pub latency: LatencySketch,
}

/// An agent's series over `range` (whole buckets of `granularity`): one bucket per interval,
/// empty ones included. `None` when the tenant has no such agent.
pub async fn agent_series(
    client: &impl GenericClient,
    tenant: TenantId,
    agent: AgentId,
    range: Range,
    granularity: Granularity,
) -> Result<Option<Vec<Bucket>>, StoreError> {
    let (tenant, agent) = (tenant.to_string(), agent.to_string());
    let (exists, hours) = futures::try_join!(
        agent_exists(client, &tenant, &agent),
        agent_hours(client, &tenant, &agent, range),
    )?;
    Ok(exists.then(|| into_buckets(hours, range, granularity)))
}

async fn agent_exists(
    client: &impl GenericClient,
    tenant: &str,
    agent: &str,
) -> Result<bool, StoreError> {
    let statement = client
        .prepare_cached("SELECT 1 FROM agents WHERE tenant_id = $1 AND id = $2")
        .await?;
    Ok(client
        .query_opt(&statement, &[&tenant, &agent])
        .await?
        .is_some())
}

/// The agent's hourly rows of the range, a range scan of the primary key.
async fn agent_hours(
    client: &impl GenericClient,
    tenant: &str,
    agent: &str,
    range: Range,
) -> Result<Vec<Bucket>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT hour, input_tokens, output_tokens, cost_micro_usd, user_messages,
                    assistant_messages, sessions_created, tool_calls, tool_failures, latency
             FROM metrics_agent_hourly
             WHERE tenant_id = $1 AND agent_id = $2 AND hour >= $3 AND hour < $4",
        )
        .await?;
    let rows = client
        .query(&statement, &[&tenant, &agent, &range.from, &range.to])
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Bucket {
                start: row.get("hour"),
                counters: Counters::from_row(row),
                latency: latency_from_row(row)?,
            })
        })
        .collect()
}

/// Adds hourly rows into one bucket per interval of `range`, empty ones included.
fn into_buckets(hours: Vec<Bucket>, range: Range, granularity: Granularity) -> Vec<Bucket> {
    let step = granularity.step().num_seconds();
    let count = ((range.to - range.from).num_seconds() / step).max(0);
    let mut buckets: Vec<Bucket> = (0..count)
        .map(|i| Bucket {
            start: range.from + Duration::seconds(step * i),
            counters: Counters::default(),
            latency: LatencySketch::default(),
        })
        .collect();
    for hour in hours {
        let index = (hour.start - range.from).num_seconds().div_euclid(step);
        if let Some(bucket) = usize::try_from(index).ok().and_then(|i| buckets.get_mut(i)) {
            bucket.counters.add(&hour.counters);
            bucket.latency.merge(&hour.latency);
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap()
    }

    #[test]
    fn ranges_widen_to_whole_hours_or_whole_days() {
        let range = Range::covering(at(2, 9, 30), at(2, 11, 0), Granularity::Hour);
        assert_eq!((range.from, range.to), (at(2, 9, 0), at(2, 11, 0)));
        let range = Range::covering(at(2, 9, 30), at(2, 10, 1), Granularity::Hour);
        assert_eq!(range.to, at(2, 11, 0));
        let range = Range::covering(at(2, 9, 30), at(4, 0, 0), Granularity::Day);
        assert_eq!((range.from, range.to), (at(2, 0, 0), at(4, 0, 0)));
        let nearly = at(2, 10, 0) + Duration::milliseconds(1);
        assert_eq!(Granularity::Hour.ceil(nearly), at(2, 11, 0));
    }

    #[test]
    fn every_interval_gets_a_bucket_and_hours_add_up_into_days() {
        let hour = |start, tokens, latency: &[u64]| {
            let mut sketch = LatencySketch::default();
            latency.iter().for_each(|ms| sketch.add(*ms));
            Bucket {
                start,
                counters: Counters {
                    input_tokens: tokens,
                    ..Counters::default()
                },
                latency: sketch,
            }
        };
        let rows = || {
            vec![
                hour(at(2, 3, 0), 10, &[100]),
                hour(at(2, 23, 0), 5, &[300]),
                hour(at(4, 0, 0), 1, &[]),
            ]
        };
        let daily = into_buckets(
            rows(),
            Range {
                from: at(1, 0, 0),
                to: at(5, 0, 0),
            },
            Granularity::Day,
        );
        assert_eq!(daily.len(), 4);
        assert_eq!(daily[0].counters, Counters::default());
        assert_eq!(daily[1].counters.input_tokens, 15);
        assert_eq!(daily[1].latency.count(), 2);
        assert_eq!(
            (daily[3].start, daily[3].counters.input_tokens),
            (at(4, 0, 0), 1)
        );
        let hourly = into_buckets(
            rows(),
            Range {
                from: at(2, 0, 0),
                to: at(3, 0, 0),
            },
            Granularity::Hour,
        );
        assert_eq!(hourly.len(), 24);
        assert_eq!(hourly[3].counters.input_tokens, 10);
        assert_eq!(hourly[23].start, at(2, 23, 0));
        assert!(hourly[4].latency.is_empty());
    }

    #[test]
    fn dense_counts_merge_like_sketches() {
        let (mut a, mut b) = (LatencySketch::default(), LatencySketch::default());
        [0, 1, 420, 420, 9_000].iter().for_each(|ms| a.add(*ms));
        [420, 30_000].iter().for_each(|ms| b.add(*ms));
        let mut dense = DenseCounts::default();
        for sketch in [&a, &b] {
            dense.add(&Vec::from(sketch.clone()));
        }
        a.merge(&b);
        assert_eq!(dense.into_sketch(), a);
    }
}
