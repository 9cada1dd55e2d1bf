//! An agent's token counters per budget period (UTC day, UTC month) and whether the period's
//! alert and exhaustion have fired. The same code advances the counters when the projector
//! decides a reply and when it applies it, so both always agree.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use schema::agent::LimitsConfig;
use schema::session::{month_of, BudgetPeriod};

/// The largest count a counter holds: what a Postgres `bigint` holds. Counters stop there
/// rather than wrap or fail the projection (requests cannot get near it, see
/// `validate::MAX_TOKENS_PER_MESSAGE`; this is the last line of defence, and it keeps the
/// decision's counters equal to the stored ones).
pub const COUNTER_MAX: u64 = i64::MAX as u64;

/// `count + more`, stopping at [`COUNTER_MAX`].
pub fn add_tokens(count: u64, more: u64) -> u64 {
    count.saturating_add(more).min(COUNTER_MAX)
}

/// `count + more` for a counter stored as `bigint`, stopping at `i64::MAX`.
pub fn add_to_count(count: i64, more: u64) -> i64 {
    i64::try_from(more).map_or(i64::MAX, |more| count.saturating_add(more))
}

/// A `u64` as a `bigint`, stopping at `i64::MAX`.
pub fn to_bigint(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Counters of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodUsage {
    /// The UTC day, or the first day of the UTC month, these counters belong to.
    pub start: Option<NaiveDate>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub alerted: bool,
    pub exhausted: bool,
}

impl PeriodUsage {
    pub fn tokens(&self) -> u64 {
        add_tokens(self.input_tokens, self.output_tokens)
    }

    /// Moves to `start` if it is a later period. A record issued earlier than the current
    /// period (clocks of API processes differ slightly) counts in the current one: periods only
    /// move forward, in log order.
    fn advance(&mut self, start: NaiveDate) {
        if self.start.is_none_or(|current| start > current) {
            *self = Self {
                start: Some(start),
                ..Self::default()
            };
        }
    }

    /// The counters as they stand at `start`: zero if that is a later period.
    fn at(&self, start: NaiveDate) -> Self {
        let mut copy = *self;
        copy.advance(start);
        copy
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentUsage {
    pub day: PeriodUsage,
    pub month: PeriodUsage,
}

/// The start of the period `at` falls in.
pub fn period_start(period: BudgetPeriod, at: DateTime<Utc>) -> NaiveDate {
    match period {
        BudgetPeriod::Daily => at.date_naive(),
        BudgetPeriod::Monthly => month_of(at.date_naive()),
    }
}

/// When the period `at` falls in ends (UTC midnight, or the first of the next month).
pub fn period_end(period: BudgetPeriod, at: DateTime<Utc>) -> DateTime<Utc> {
    let start = period_start(period, at);
    let next = match period {
        BudgetPeriod::Daily => start + Duration::days(1),
        BudgetPeriod::Monthly => {
            let (year, month) = if start.month() == 12 {
                (start.year() + 1, 1)
            } else {
                (start.year(), start.month() + 1)
            };
            NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
        }
    };
    next.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// A budget period's state after a reply, as the decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub period: BudgetPeriod,
    pub used: u64,
    pub budget: u64,
    /// The usage reached `alertThreshold` × budget for the first time this period.
    pub alert: bool,
    /// The usage reached the budget for the first time this period.
    pub exhausted: bool,
}

impl AgentUsage {
    pub fn period(&self, period: BudgetPeriod) -> &PeriodUsage {
        match period {
            BudgetPeriod::Daily => &self.day,
            BudgetPeriod::Monthly => &self.month,
        }
    }

    fn period_mut(&mut self, period: BudgetPeriod) -> &mut PeriodUsage {
        match period {
            BudgetPeriod::Daily => &mut self.day,
            BudgetPeriod::Monthly => &mut self.month,
        }
    }

    /// The counters of `period` as they stand at `at`.
    pub fn at(&self, period: BudgetPeriod, at: DateTime<Utc>) -> PeriodUsage {
        self.period(period).at(period_start(period, at))
    }

    /// Adds a reply's tokens, moving to a new period first when `at` starts one.
    pub fn record(&mut self, at: DateTime<Utc>, input: u64, output: u64) {
        for period in [BudgetPeriod::Daily, BudgetPeriod::Monthly] {
            let counters = self.period_mut(period);
            counters.advance(period_start(period, at));
            counters.input_tokens = add_tokens(counters.input_tokens, input);
            counters.output_tokens = add_tokens(counters.output_tokens, output);
        }
    }

    /// Notes that the current period's alert (or exhaustion) has fired.
    pub fn mark(&mut self, period: BudgetPeriod, at: DateTime<Utc>, exhausted: bool) {
        let counters = self.period_mut(period);
        counters.advance(period_start(period, at));
        if exhausted {
            counters.exhausted = true;
        } else {
            counters.alerted = true;
        }
    }

    /// The budgets a reply at `at` used up: for each one, the end of its period. Used to refuse
    /// user messages (429 `BUDGET_EXHAUSTED`, `Retry-After` until the latest reset).
    pub fn exhausted_until(
        &self,
        limits: &LimitsConfig,
        at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        budgets(limits)
            .filter(|&(period, budget)| self.at(period, at).tokens() >= budget)
            .map(|(period, _)| period_end(period, at))
            .max()
    }

    /// What adding a reply of `tokens` at `at` does to each budget. `self` is the usage before
    /// the reply.
    pub fn crossings(
        &self,
        limits: &LimitsConfig,
        at: DateTime<Utc>,
        input: u64,
        output: u64,
    ) -> Vec<Crossing> {
        let mut after = *self;
        after.record(at, input, output);
        budgets(limits)
            .map(|(period, budget)| {
                let counters = after.period(period);
                let used = counters.tokens();
                Crossing {
                    period,
                    used,
                    budget,
                    alert: !counters.alerted
                        && used as f64 >= limits.alert_threshold * budget as f64,
                    exhausted: !counters.exhausted && used >= budget,
                }
            })
            .collect()
    }
}

fn budgets(limits: &LimitsConfig) -> impl Iterator<Item = (BudgetPeriod, u64)> {
    [
        (BudgetPeriod::Daily, limits.daily_token_budget),
        (BudgetPeriod::Monthly, limits.monthly_token_budget),
    ]
    .into_iter()
    .filter_map(|(period, budget)| budget.map(|budget| (period, budget)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn limits(daily: Option<u64>, monthly: Option<u64>) -> LimitsConfig {
        LimitsConfig {
            daily_token_budget: daily,
            monthly_token_budget: monthly,
            alert_threshold: 0.8,
        }
    }

    #[test]
    fn counters_reset_at_utc_midnight_and_on_the_first_of_the_month() {
        let mut usage = AgentUsage::default();
        usage.record(at(2026, 1, 31, 23), 10, 5);
        assert_eq!(
            usage.at(BudgetPeriod::Daily, at(2026, 1, 31, 23)).tokens(),
            15
        );
        assert_eq!(usage.at(BudgetPeriod::Daily, at(2026, 2, 1, 0)).tokens(), 0);
        usage.record(at(2026, 2, 1, 0), 1, 1);
        assert_eq!(usage.day.tokens(), 2);
        assert_eq!(usage.month.tokens(), 2);
        assert_eq!(usage.month.start, NaiveDate::from_ymd_opt(2026, 2, 1));
    }

    #[test]
    fn a_late_record_counts_in_the_current_period() {
        let mut usage = AgentUsage::default();
        usage.record(at(2026, 3, 2, 0), 10, 0);
        usage.record(at(2026, 3, 1, 23), 10, 0);
        assert_eq!(usage.day.tokens(), 20);
        assert_eq!(usage.day.start, NaiveDate::from_ymd_opt(2026, 3, 2));
    }

    #[test]
    fn alert_and_exhaustion_fire_once_per_period() {
        let limits = limits(Some(100), None);
        let mut usage = AgentUsage::default();
        let now = at(2026, 5, 5, 10);
        let first = usage.crossings(&limits, now, 79, 0);
        assert!(!first[0].alert && !first[0].exhausted);
        usage.record(now, 79, 0);
        let second = usage.crossings(&limits, now, 1, 0);
        assert!(second[0].alert && !second[0].exhausted);
        usage.record(now, 1, 0);
        usage.mark(BudgetPeriod::Daily, now, false);
        let third = usage.crossings(&limits, now, 30, 0);
        assert!(!third[0].alert && third[0].exhausted && third[0].used == 110);
        usage.record(now, 30, 0);
        usage.mark(BudgetPeriod::Daily, now, true);
        assert!(usage
            .crossings(&limits, now, 1, 0)
            .iter()
            .all(|c| !c.alert && !c.exhausted));
        // A new day starts over.
        let tomorrow = at(2026, 5, 6, 0);
        let next = usage.crossings(&limits, tomorrow, 100, 0);
        assert!(next[0].alert && next[0].exhausted);
    }

    #[test]
    fn counters_stop_at_what_a_bigint_holds() {
        let mut usage = AgentUsage::default();
        let now = at(2026, 5, 5, 10);
        usage.record(now, u64::MAX, i64::MAX as u64);
        usage.record(now, 1, 1);
        assert_eq!(usage.day.input_tokens, COUNTER_MAX);
        assert_eq!(usage.month.output_tokens, COUNTER_MAX);
        assert_eq!(usage.day.tokens(), COUNTER_MAX);
        let crossing = usage.crossings(&limits(Some(10), None), now, u64::MAX, 0);
        assert_eq!(crossing[0].used, COUNTER_MAX);
        assert_eq!(add_to_count(i64::MAX - 1, u64::MAX), i64::MAX);
        assert_eq!(add_to_count(5, 7), 12);
        assert_eq!(to_bigint(u64::MAX), i64::MAX);
    }

    #[test]
    fn exhaustion_blocks_until_the_latest_reset() {
        let limits = limits(Some(10), Some(20));
        let mut usage = AgentUsage::default();
        let now = at(2026, 12, 31, 12);
        usage.record(now, 10, 0);
        assert_eq!(usage.exhausted_until(&limits, now), Some(at(2027, 1, 1, 0)));
        usage.record(now, 10, 0);
        assert_eq!(usage.exhausted_until(&limits, now), Some(at(2027, 1, 1, 0)));
        let mid_month = at(2026, 11, 15, 12);
        let mut usage = AgentUsage::default();
        usage.record(mid_month, 20, 0);
        assert_eq!(
            usage.exhausted_until(&limits, mid_month),
            Some(at(2026, 12, 1, 0))
        );
        assert_eq!(usage.exhausted_until(&limits, at(2026, 12, 1, 0)), None);
    }
}
