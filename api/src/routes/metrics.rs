//! `/v1/metrics/summary`, `/v1/metrics/agents` and `/v1/agents/{id}/metrics`: usage, cost and
//! latency of a time range, read from the hourly rollups only (never from the messages).
//!
//! Rollups are hourly, so a range is widened to whole hours (`from` down, `to` up) — to whole
//! UTC days for a daily series — and the answers cover that effective range.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use read_store::metrics::{self, AgentTotals, Bucket, Counters, Granularity, Range, Summary};
use schema::session::{micro_usd_to_usd, BudgetPeriod};
use schema::{AgentId, ErrorCode};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::listing::{self, Query, QueryParams};
use crate::state::AppState;

/// The longest range a metrics query may span (before widening to whole hours or days).
const MAX_SPAN_DAYS: i64 = 92;
/// The range of a daily series without `from`.
const DEFAULT_DAILY_SPAN_DAYS: i64 = 30;

/// `from` and `to`: `to` defaults to the end of the current UTC day, `from` to `default_span`
/// before `to`; `from < to`, at most 92 days apart; widened to whole buckets.
fn range(
    query: &QueryParams,
    granularity: Granularity,
    default_span: Duration,
) -> Result<Range, ApiError> {
    let to = match listing::time_param(query, "to")? {
        Some(to) => to,
        None => Granularity::Day.floor(Utc::now()) + Duration::days(1),
    };
    let from = listing::time_param(query, "from")?.unwrap_or(to - default_span);
    if from >= to {
        return Err(ApiError::field("from", "must be before to"));
    }
    if to - from > Duration::days(MAX_SPAN_DAYS) {
        return Err(ApiError::field(
            "to",
            format!("must be at most {MAX_SPAN_DAYS} days after from"),
        ));
    }
    Ok(Range::covering(from, to, granularity))
}

/// `part` as a percentage of `total`, to 2 decimals (0 when the total is 0).
fn percent(part: i64, total: i64) -> f64 {
    if total <= 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / total as f64).round() / 100.0
}

/// Tokens used over a budget, to 4 decimals; `None` without a budget.
fn utilization(used: u64, budget: Option<u64>) -> Option<f64> {
    budget
        .filter(|budget| *budget > 0)
        .map(|budget| (used as f64 * 10_000.0 / budget as f64).round() / 10_000.0)
}

/// The tenant's current agents.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatusCounts {
    /// Current agents, whatever the range.
    total: i64,
    online: i64,
    degraded: i64,
    offline: i64,
    provisioning: i64,
    /// Current agents with at least one message (user or assistant) in the range.
    active_in_period: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionCounts {
    /// Sessions opened in the range.
    created: i64,
    /// Sessions active now, whatever the range.
    active: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageCounts {
    user: i64,
    assistant: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenCounts {
    input: i64,
    output: i64,
}

/// A model's share of the range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelCost {
    #[schema(example = "claude-sonnet-4-20250514")]
    model: String,
    #[schema(example = "anthropic")]
    provider: String,
    input_tokens: i64,
    output_tokens: i64,
    /// USD, exact to the micro-dollar.
    #[schema(example = 0.488718)]
    cost_usd: f64,
    /// Percent of the tenant's cost in the range, to 2 decimals (0 when that cost is 0).
    #[schema(example = 42.5)]
    pct_of_total: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCost {
    #[schema(example = "anthropic")]
    provider: String,
    input_tokens: i64,
    output_tokens: i64,
    /// USD, exact to the micro-dollar.
    cost_usd: f64,
}

/// Percentiles of the replies' reported latency (within 2 %), `null` without data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LatencyPercentiles {
    #[schema(required = true)]
    p50: Option<u64>,
    #[schema(required = true)]
    p95: Option<u64>,
    #[schema(required = true)]
    p99: Option<u64>,
}

/// The tenant's usage, cost and latency over a range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSummary {
    /// The effective start: `from` rounded down to the hour.
    from: DateTime<Utc>,
    /// The effective end (exclusive): `to` rounded up to the hour.
    to: DateTime<Utc>,
    agents: AgentStatusCounts,
    sessions: SessionCounts,
    messages: MessageCounts,
    /// All tokens of the range, whatever the model.
    tokens: TokenCounts,
    /// USD, exact to the micro-dollar.
    #[schema(example = 0.488718)]
    cost_usd: f64,
    /// By cost, highest first (then by model id).
    by_model: Vec<ModelCost>,
    /// By cost, highest first (then by provider).
    by_provider: Vec<ProviderCost>,
    latency_ms: LatencyPercentiles,
}

impl MetricsSummary {
    fn new(range: Range, summary: &Summary) -> Self {
        let mut totals = Counters::default();
        summary.models.iter().for_each(|m| totals.add(&m.counters));
        // Model "" holds activity without a reported model: in the totals, not in the splits.
        let mut models: Vec<_> = summary
            .models
            .iter()
            .filter(|m| !m.model.is_empty())
            .collect();
        models.sort_by(|a, b| {
            (b.counters.cost_micro_usd, &a.model).cmp(&(a.counters.cost_micro_usd, &b.model))
        });
        let mut providers: Vec<(&str, Counters)> = Vec::new();
        for model in &models {
            match providers.iter_mut().find(|(p, _)| *p == model.provider) {
                Some((_, counters)) => counters.add(&model.counters),
                None => providers.push((&model.provider, model.counters)),
            }
        }
        providers.sort_by(|(a, ac), (b, bc)| (bc.cost_micro_usd, a).cmp(&(ac.cost_micro_usd, b)));
        let agents = summary.agents;
        Self {
            from: range.from,
            to: range.to,
            agents: AgentStatusCounts {
                total: agents.total,
                online: agents.online,
                degraded: agents.degraded,
                offline: agents.offline,
                provisioning: agents.provisioning,
                active_in_period: agents.active_in_period,
            },
            sessions: SessionCounts {
                created: totals.sessions_created,
                active: summary.active_sessions,
            },
            messages: MessageCounts {
                user: totals.user_messages,
                assistant: totals.assistant_messages,
            },
            tokens: TokenCounts {
                input: totals.input_tokens,
                output: totals.output_tokens,
            },
            cost_usd: micro_usd_to_usd(totals.cost_micro_usd),
            by_model: models
                .iter()
                .map(|m| ModelCost {
                    model: m.model.clone(),
                    provider: m.provider.clone(),
                    input_tokens: m.counters.input_tokens,
                    output_tokens: m.counters.output_tokens,
                    cost_usd: micro_usd_to_usd(m.counters.cost_micro_usd),
                    pct_of_total: percent(m.counters.cost_micro_usd, totals.cost_micro_usd),
                })
                .collect(),
            by_provider: providers
                .into_iter()
                .map(|(provider, c)| ProviderCost {
                    provider: provider.to_owned(),
                    input_tokens: c.input_tokens,
                    output_tokens: c.output_tokens,
                    cost_usd: micro_usd_to_usd(c.cost_micro_usd),
                })
                .collect(),
            latency_ms: LatencyPercentiles {
                p50: summary.latency.quantile(0.50),
                p95: summary.latency.quantile(0.95),
                p99: summary.latency.quantile(0.99),
            },
        }
    }
}

/// An agent's totals over a range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMetrics<'a> {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    agent_id: String,
    name: &'a str,
    /// The agent's default model now.
    model: &'a str,
    input_tokens: i64,
    output_tokens: i64,
    /// USD, exact to the micro-dollar.
    cost_usd: f64,
    /// User and assistant messages.
    messages: i64,
    /// Sessions opened.
    sessions: i64,
    /// Today's (UTC) tokens over `dailyTokenBudget`, whatever the range, to 4 decimals (1 =
    /// used up); `null` without a budget.
    #[schema(required = true)]
    daily_budget_utilization: Option<f64>,
    /// This UTC month's tokens over `monthlyTokenBudget`, likewise.
    #[schema(required = true)]
    monthly_budget_utilization: Option<f64>,
}

impl<'a> From<&'a AgentTotals> for AgentMetrics<'a> {
    fn from(row: &'a AgentTotals) -> Self {
        let (agent, counters, now) = (&row.agent, &row.counters, Utc::now());
        let limits = &agent.config.limits;
        Self {
            agent_id: agent.id.to_string(),
            name: &agent.name,
            model: &agent.config.model.default,
            input_tokens: counters.input_tokens,
            output_tokens: counters.output_tokens,
            cost_usd: micro_usd_to_usd(counters.cost_micro_usd),
            messages: counters.messages(),
            sessions: counters.sessions_created,
            daily_budget_utilization: utilization(
                agent.usage.at(BudgetPeriod::Daily, now).tokens(),
                limits.daily_token_budget,
            ),
            monthly_budget_utilization: utilization(
                agent.usage.at(BudgetPeriod::Monthly, now).tokens(),
                limits.monthly_token_budget,
            ),
        }
    }
}

/// One interval of a series.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsBucket {
    /// The start of the hour, or of the UTC day.
    start: DateTime<Utc>,
    input_tokens: i64,
    output_tokens: i64,
    /// USD, exact to the micro-dollar.
    cost_usd: f64,
    /// User and assistant messages.
    messages: i64,
    tool_calls: i64,
    tool_failures: i64,
    /// `null` when no reply of the interval reported a latency.
    #[schema(required = true)]
    latency_ms_p50: Option<u64>,
    #[schema(required = true)]
    latency_ms_p95: Option<u64>,
}

impl From<&Bucket> for MetricsBucket {
    fn from(bucket: &Bucket) -> Self {
        let counters = &bucket.counters;
        Self {
            start: bucket.start,
            input_tokens: counters.input_tokens,
            output_tokens: counters.output_tokens,
            cost_usd: micro_usd_to_usd(counters.cost_micro_usd),
            messages: counters.messages(),
            tool_calls: counters.tool_calls,
            tool_failures: counters.tool_failures,
            latency_ms_p50: bucket.latency.quantile(0.50),
            latency_ms_p95: bucket.latency.quantile(0.95),
        }
    }
}

/// An agent's series: one bucket per hour or UTC day of the range, empty ones included.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMetricsSeries {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    agent_id: String,
    /// `hour` or `day`.
    #[schema(example = "hour")]
    granularity: &'static str,
    /// Oldest first.
    series: Vec<MetricsBucket>,
}

#[utoipa::path(get, path = "/v1/metrics/summary", tag = "metrics",
    description = "The tenant's usage, cost and latency over `[from, to)`, from the hourly rollups. \
        Without `from` and `to`: the current UTC day. `from` is rounded down and `to` up to whole \
        hours; the answer's `from`/`to` say the effective range. Totals include activity without \
        a reported model; `byModel` and `byProvider` list only replies that reported one. \
        `agents` and `sessions.active` count the current state, whatever the range.",
    params(("from" = Option<DateTime<Utc>>, Query, description = "RFC 3339 (default: `to` minus one day)"),
           ("to" = Option<DateTime<Utc>>, Query, description = "RFC 3339, exclusive (default: the end of the current UTC day); at most 92 days after `from`")),
    responses((status = 200, description = "The summary", body = MetricsSummary),
              (status = 400, description = "VALIDATION_ERROR: a malformed time, `from` not before `to`, or more than 92 days", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_metrics_summary(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let range = range(&query, Granularity::Hour, Duration::days(1))?;
    let client = state.store.client().await?;
    let summary = metrics::summary(&client, caller.tenant_id, range).await?;
    Ok(HttpResponse::Ok().json(MetricsSummary::new(range, &summary)))
}

#[utoipa::path(get, path = "/v1/metrics/agents", tag = "metrics",
    description = "Every current agent of the tenant with its usage over `[from, to)` (zeros \
        without activity), by cost, highest first (`order=asc` for lowest first; ties by agent \
        id in the same direction). Range defaults and rounding as in `/v1/metrics/summary`. \
        The budget utilizations are today's and this month's, whatever the range.",
    params(("from" = Option<DateTime<Utc>>, Query, description = "RFC 3339 (default: `to` minus one day)"),
           ("to" = Option<DateTime<Utc>>, Query, description = "RFC 3339, exclusive (default: the end of the current UTC day); at most 92 days after `from`"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of agents' metrics", body = crate::openapi::MetricsAgentList),
              (status = 400, description = "VALIDATION_ERROR: a malformed time or page, `from` not before `to`, or more than 92 days", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_agent_metrics(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let range = range(&query, Granularity::Hour, Duration::days(1))?;
    let client = state.store.client().await?;
    let listed = metrics::agent_totals(&client, caller.tenant_id, range, page).await?;
    let views: Vec<AgentMetrics> = listed.rows.iter().map(AgentMetrics::from).collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/agents/{id}/metrics", tag = "metrics",
    description = "The agent's usage over `[from, to)`, one bucket per hour or UTC day, empty \
        ones included (zeros, latency `null`). `granularity=hour` (the default) rounds `from` \
        down and `to` up to whole hours and defaults to the current UTC day; `granularity=day` \
        rounds them to UTC midnights and defaults to the 30 days ending at the end of the current \
        UTC day. At most 92 days.",
    params(("id" = String, Path, description = "agent_…"),
           ("from" = Option<DateTime<Utc>>, Query, description = "RFC 3339 (default: `to` minus one day, or 30 days for `day`)"),
           ("to" = Option<DateTime<Utc>>, Query, description = "RFC 3339, exclusive (default: the end of the current UTC day); at most 92 days after `from`"),
           ("granularity" = Option<schema::query::Granularity>, Query, description = "`hour` (the default) or `day`")),
    responses((status = 200, description = "The series, oldest first", body = AgentMetricsSeries),
              (status = 400, description = "VALIDATION_ERROR: a malformed time, `from` not before `to`, more than 92 days, or an unknown granularity", body = crate::error::ErrorBody),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_agent_metrics(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(ErrorCode::AgentNotFound, "agent", &path);
    let agent_id: AgentId = path.parse().map_err(|_| not_found())?;
    let granularity = match listing::enum_param(
        &query,
        "granularity",
        schema::query::Granularity::parse,
        "hour, day",
    )? {
        None | Some(schema::query::Granularity::Hour) => Granularity::Hour,
        Some(schema::query::Granularity::Day) => Granularity::Day,
    };
    let default_span = match granularity {
        Granularity::Hour => Duration::days(1),
        Granularity::Day => Duration::days(DEFAULT_DAILY_SPAN_DAYS),
    };
    let range = range(&query, granularity, default_span)?;
    let client = state.store.client().await?;
    let buckets = metrics::agent_series(&client, caller.tenant_id, agent_id, range, granularity)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(AgentMetricsSeries {
        agent_id: agent_id.to_string(),
        granularity: granularity.as_str(),
        series: buckets.iter().map(MetricsBucket::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_to_two_decimals_and_are_zero_without_cost() {
        assert_eq!(percent(1, 3), 33.33);
        assert_eq!(percent(2, 3), 66.67);
        assert_eq!(percent(5, 0), 0.0);
        assert_eq!(utilization(1, Some(3)), Some(0.3333));
        assert_eq!(utilization(1, None), None);
    }

    #[test]
    fn times_accept_offsets_and_fractions_and_ranges_are_bounded() {
        let query = |pairs: &[(&str, &str)]| -> QueryParams {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let range = range(
            &query(&[
                ("from", "2026-01-15T09:30:00.123+01:00"),
                ("to", "2026-01-15T10:00:00.5Z"),
            ]),
            Granularity::Hour,
            Duration::days(1),
        )
        .unwrap();
        assert_eq!(range.from.to_rfc3339(), "2026-01-15T08:00:00+00:00");
        assert_eq!(range.to.to_rfc3339(), "2026-01-15T11:00:00+00:00");
        let day = Duration::days(1);
        for bad in [
            &[("from", "2026-01-15")][..],
            &[
                ("from", "2026-01-15T10:00:00Z"),
                ("to", "2026-01-15T10:00:00Z"),
            ][..],
            &[
                ("from", "2026-01-01T00:00:00Z"),
                ("to", "2026-04-03T00:00:01Z"),
            ][..],
        ] {
            assert!(
                super::range(&query(bad), Granularity::Hour, day).is_err(),
                "{bad:?}"
            );
        }
        let exactly = query(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-04-03T00:00:00Z"),
        ]);
        assert!(super::range(&exactly, Granularity::Hour, day).is_ok());
    }
}
