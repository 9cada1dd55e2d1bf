//! `GET /v1/metrics/summary`: a tenant's counts, totals by model, and reply latencies.

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use domain::latency::LatencySketch;
use futures::TryStreamExt;
use postgres_types::ToSql;
use schema::agent::AgentStatus;
use schema::TenantId;

use super::{Counters, Granularity, Range, SUMS};
use crate::StoreError;

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

/// Counted on the partial index `sessions_active_by_agent`.
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
             WHERE tenant_id = $1 AND latency <> '{}'
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
        latency.add(super::latency_from_row(&row)?.buckets());
    }
    Ok(latency.into_sketch())
}

/// Counts by bucket index, for merging many sketches without a map lookup per bucket.
#[derive(Default)]
struct DenseCounts(Vec<u64>);

impl DenseCounts {
    fn add(&mut self, buckets: impl Iterator<Item = (u16, u64)>) {
        for (index, count) in buckets {
            let index = usize::from(index);
            if index >= self.0.len() {
                self.0.resize(index + 1, 0);
            }
            self.0[index] = self.0[index].saturating_add(count);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_counts_merge_like_sketches() {
        let (mut a, mut b) = (LatencySketch::default(), LatencySketch::default());
        [0, 1, 420, 420, 9_000].iter().for_each(|ms| a.add(*ms));
        [420, 30_000].iter().for_each(|ms| b.add(*ms));
        let mut dense = DenseCounts::default();
        for sketch in [&a, &b] {
            dense.add(sketch.buckets());
        }
        a.merge(&b);
        assert_eq!(dense.into_sketch(), a);
    }
}
