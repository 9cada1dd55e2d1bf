//! Reads of the hourly metric rollups (see `projection::rollups`): a tenant's summary, the
//! totals of its agents and one agent's series. Nothing here reads `messages`: a query costs in
//! proportion to the rollup rows of its range (hours × models, or hours × agents), not to the
//! number of messages. Counters are summed in SQL where the sketches are not needed; latency
//! sketches are merged here, and only where a percentile is asked for.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use domain::latency::LatencySketch;
use postgres_types::Json;
use tokio_postgres::Row;

use crate::StoreError;

mod agents;
mod summary;

pub use agents::{agent_series, agent_totals, AgentTotals, Bucket};
pub use summary::{summary, AgentCounts, ModelTotals, Summary};

/// The size of a bucket of a series; rollups are hourly, so nothing finer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
}

impl Granularity {
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
pub(crate) const COUNTER_COLUMNS: [&str; 8] = [
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
pub(crate) fn counter_list(template: impl Fn(&str) -> String) -> String {
    COUNTER_COLUMNS.map(template).join(", ")
}

/// The largest `bigint`, where counters and their sums stop (they never wrap, and never fail
/// a projection or a read): see `domain::usage::COUNTER_MAX`.
pub(crate) const BIGINT_MAX: &str = "9223372036854775807";

/// SQL for `a + b` of two `bigint`s, stopping at the largest `bigint` (the sum is taken in
/// `numeric`, which cannot overflow). Inline rather than a function, so it needs no schema.
pub(crate) fn saturating_sum(a: &str, b: &str) -> String {
    format!("LEAST({a}::numeric + {b}, {BIGINT_MAX})::bigint")
}

/// The sums of the counter columns of the rows `m`, named like the columns (0 without rows),
/// stopping at the largest `bigint` (`sum(bigint)` is `numeric`).
static SUMS: LazyLock<String> = LazyLock::new(|| {
    counter_list(|c| format!("LEAST(coalesce(sum(m.{c}), 0), {BIGINT_MAX})::bigint AS {c}"))
});

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

    /// The values in the order of [`COUNTER_COLUMNS`].
    pub(crate) fn values(&self) -> [i64; 8] {
        [
            self.input_tokens,
            self.output_tokens,
            self.cost_micro_usd,
            self.user_messages,
            self.assistant_messages,
            self.sessions_created,
            self.tool_calls,
            self.tool_failures,
        ]
    }

    /// Adds `other`, each counter stopping at `i64::MAX` (as the stored sums do).
    pub fn add(&mut self, other: &Counters) {
        let sum = |a: i64, b: i64| a.saturating_add(b);
        self.input_tokens = sum(self.input_tokens, other.input_tokens);
        self.output_tokens = sum(self.output_tokens, other.output_tokens);
        self.cost_micro_usd = sum(self.cost_micro_usd, other.cost_micro_usd);
        self.user_messages = sum(self.user_messages, other.user_messages);
        self.assistant_messages = sum(self.assistant_messages, other.assistant_messages);
        self.sessions_created = sum(self.sessions_created, other.sessions_created);
        self.tool_calls = sum(self.tool_calls, other.tool_calls);
        self.tool_failures = sum(self.tool_failures, other.tool_failures);
    }

    /// User and assistant messages.
    pub fn messages(&self) -> i64 {
        self.user_messages.saturating_add(self.assistant_messages)
    }
}

pub(super) fn latency_from_row(row: &Row) -> Result<LatencySketch, StoreError> {
    let Json(sketch): Json<LatencySketch> = row
        .try_get("latency")
        .map_err(|e| StoreError::Corrupt(format!("latency sketch: {e}")))?;
    Ok(sketch)
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
    fn counters_add_up_to_the_largest_bigint_and_stop() {
        let mut counters = Counters {
            cost_micro_usd: i64::MAX - 1,
            user_messages: i64::MAX,
            ..Counters::default()
        };
        counters.add(&Counters {
            cost_micro_usd: 5,
            assistant_messages: 3,
            ..Counters::default()
        });
        assert_eq!(counters.cost_micro_usd, i64::MAX);
        assert_eq!(counters.messages(), i64::MAX);
        assert_eq!(
            saturating_sum("t.x", "EXCLUDED.x"),
            "LEAST(t.x::numeric + EXCLUDED.x, 9223372036854775807)::bigint"
        );
    }
}
