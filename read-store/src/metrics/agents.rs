//! `GET /v1/metrics/agents` and `GET /v1/agents/{id}/metrics`: totals per agent, and one
//! agent's series.

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use domain::latency::LatencySketch;
use domain::AgentState;
use schema::{AgentId, TenantId};

use super::{counter_list, latency_from_row, Counters, Granularity, Range, SUMS};
use crate::{Listed, Page, StoreError};

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
}
