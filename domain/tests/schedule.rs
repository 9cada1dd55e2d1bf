//! Cron schedules on the wall clock: fixed cases around the 2026 DST changes, and a property
//! test comparing `Schedule::next_after` with a brute-force minute scan that interprets the
//! generated field specs directly.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use domain::schedule::Schedule;
use proptest::prelude::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The fires strictly after `after`, as RFC 3339 UTC strings.
fn fires(expression: &str, zone: &str, after: &str, count: usize) -> Vec<String> {
    let schedule = Schedule::parse(expression, zone).unwrap();
    let mut at = utc(after);
    (0..count)
        .map(|_| {
            at = schedule.next_after(at).unwrap();
            at.format("%Y-%m-%dT%H:%MZ").to_string()
        })
        .collect()
}

#[test]
fn a_daily_berlin_job_keeps_its_local_hour_across_the_spring_change() {
    // 29 March 2026: 02:00 CET (+01:00) jumps to 03:00 CEST (+02:00).
    assert_eq!(
        fires("0 8 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 4),
        [
            "2026-03-28T07:00Z",
            "2026-03-29T06:00Z",
            "2026-03-30T06:00Z",
            "2026-03-31T06:00Z",
        ]
    );
}

#[test]
fn a_daily_berlin_job_keeps_its_local_hour_across_the_autumn_change() {
    // 25 October 2026: 03:00 CEST (+02:00) falls back to 02:00 CET (+01:00).
    assert_eq!(
        fires("0 8 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 4),
        [
            "2026-10-24T06:00Z",
            "2026-10-25T07:00Z",
            "2026-10-26T07:00Z",
            "2026-10-27T07:00Z",
        ]
    );
}

#[test]
fn a_berlin_job_in_the_skipped_hour_does_not_fire_that_day() {
    assert_eq!(
        fires("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3),
        [
            "2026-03-28T01:30Z",
            "2026-03-30T00:30Z",
            "2026-03-31T00:30Z"
        ]
    );
}

#[test]
fn a_berlin_job_in_the_repeated_hour_fires_once_at_the_first_occurrence() {
    assert_eq!(
        fires("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3),
        [
            "2026-10-24T00:30Z",
            "2026-10-25T00:30Z",
            "2026-10-26T01:30Z"
        ]
    );
    // Between the two 02:30s the next fire is the next day's.
    assert_eq!(
        fires("30 2 * * *", "Europe/Berlin", "2026-10-25T01:00:00Z", 1),
        ["2026-10-26T01:30Z"]
    );
}

#[test]
fn a_half_hourly_berlin_job_skips_the_gap_and_the_repeat() {
    assert_eq!(
        fires("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 3),
        [
            "2026-03-29T00:30Z",
            "2026-03-29T01:00Z",
            "2026-03-29T01:30Z"
        ]
    );
    // 02:00 and 02:30 CEST fire; their CET repeats (01:00Z, 01:30Z) do not.
    assert_eq!(
        fires("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", 4),
        [
            "2026-10-25T00:00Z",
            "2026-10-25T00:30Z",
            "2026-10-25T02:00Z",
            "2026-10-25T02:30Z",
        ]
    );
}

#[test]
fn a_daily_new_york_job_keeps_its_local_hour_across_both_changes() {
    // 8 March 2026: 02:00 EST (-05:00) jumps to 03:00 EDT (-04:00); 1 November 2026 back.
    assert_eq!(
        fires("0 8 * * *", "America/New_York", "2026-03-06T18:00:00Z", 3),
        [
            "2026-03-07T13:00Z",
            "2026-03-08T12:00Z",
            "2026-03-09T12:00Z"
        ]
    );
    assert_eq!(
        fires("0 8 * * *", "America/New_York", "2026-10-30T18:00:00Z", 3),
        [
            "2026-10-31T12:00Z",
            "2026-11-01T13:00Z",
            "2026-11-02T13:00Z"
        ]
    );
}

#[test]
fn a_new_york_job_in_the_skipped_hour_does_not_fire_that_day() {
    assert_eq!(
        fires("30 2 * * *", "America/New_York", "2026-03-06T18:00:00Z", 3),
        [
            "2026-03-07T07:30Z",
            "2026-03-09T06:30Z",
            "2026-03-10T06:30Z"
        ]
    );
}

#[test]
fn a_new_york_job_in_the_repeated_hour_fires_once_at_the_first_occurrence() {
    assert_eq!(
        fires("30 1 * * *", "America/New_York", "2026-10-30T18:00:00Z", 3),
        [
            "2026-10-31T05:30Z",
            "2026-11-01T05:30Z",
            "2026-11-02T06:30Z"
        ]
    );
    assert_eq!(
        fires("30 1 * * *", "America/New_York", "2026-11-01T06:00:00Z", 1),
        ["2026-11-02T06:30Z"]
    );
}

// ---------------------------------------------------------------------------------------------
// Property: `next_after` agrees with a brute-force scan.

const ZONES: [&str; 9] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Tehran",
    "Australia/Lord_Howe",
];

/// How far the brute-force scan looks.
const CAP_MINUTES: i64 = 70 * 24 * 60;

/// One list item of a field, as generated.
#[derive(Clone, Debug)]
enum Part {
    Star,
    StarStep(u32),
    Value(u32),
    Range(u32, u32),
    RangeStep(u32, u32, u32),
    /// `v/step`: from `v` to the field's maximum.
    ValueStep(u32, u32),
}

#[derive(Clone, Debug)]
struct FieldSpec {
    parts: Vec<Part>,
    /// Month and day-of-week values are written as names (in `case`) where they have one.
    names: bool,
    case: u8,
}

#[derive(Clone, Copy)]
enum Unit {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Unit {
    fn bounds(self) -> (u32, u32) {
        match self {
            Unit::Minute => (0, 59),
            Unit::Hour => (0, 23),
            Unit::DayOfMonth => (1, 31),
            Unit::Month => (1, 12),
            Unit::DayOfWeek => (0, 7),
        }
    }
}

impl FieldSpec {
    /// Vixie cron counts a day field as restricted when it does not start with `*`.
    fn restricted(&self) -> bool {
        !matches!(self.parts[0], Part::Star | Part::StarStep(_))
    }

    fn matches(&self, unit: Unit, x: u32) -> bool {
        let (min, max) = unit.bounds();
        self.parts.iter().any(|part| match *part {
            Part::Star => true,
            Part::StarStep(step) => (x - min).is_multiple_of(step),
            Part::Value(v) => x == v,
            Part::Range(a, b) => a <= x && x <= b,
            Part::RangeStep(a, b, step) => a <= x && x <= b && (x - a).is_multiple_of(step),
            Part::ValueStep(v, step) => v <= x && x <= max && (x - v).is_multiple_of(step),
        })
    }

    fn render(&self, unit: Unit) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|part| match *part {
                Part::Star => "*".to_owned(),
                Part::StarStep(step) => format!("*/{step}"),
                Part::Value(v) => self.value(unit, v, false),
                Part::Range(a, b) => {
                    format!(
                        "{}-{}",
                        self.value(unit, a, false),
                        self.value(unit, b, a > 0)
                    )
                }
                Part::RangeStep(a, b, step) => format!(
                    "{}-{}/{step}",
                    self.value(unit, a, false),
                    self.value(unit, b, a > 0)
                ),
                Part::ValueStep(v, step) => format!("{}/{step}", self.value(unit, v, false)),
            })
            .collect();
        parts.join(",")
    }

    /// A value as a number or a name; 7 (Sunday) as `SUN` only where it ends a range that
    /// starts above 0 (`FRI-SUN`).
    fn value(&self, unit: Unit, v: u32, sunday_may_be_seven: bool) -> String {
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        const DAYS: [&str; 8] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let name = match unit {
            Unit::Month if self.names => Some(MONTHS[v as usize - 1]),
            Unit::DayOfWeek if self.names && (v < 7 || sunday_may_be_seven) => {
                Some(DAYS[v as usize])
            }
            _ => None,
        };
        match (name, self.case % 3) {
            (None, _) => v.to_string(),
            (Some(name), 0) => name.to_owned(),
            (Some(name), 1) => name.to_uppercase(),
            (Some(name), _) => name[..1].to_uppercase() + &name[1..],
        }
    }
}

#[derive(Clone, Debug)]
struct Spec {
    minute: FieldSpec,
    hour: FieldSpec,
    day_of_month: FieldSpec,
    month: FieldSpec,
    day_of_week: FieldSpec,
}

impl Spec {
    fn expression(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.minute.render(Unit::Minute),
            self.hour.render(Unit::Hour),
            self.day_of_month.render(Unit::DayOfMonth),
            self.month.render(Unit::Month),
            self.day_of_week.render(Unit::DayOfWeek),
        )
    }

    fn matches(&self, local: chrono::NaiveDateTime) -> bool {
        let weekday = local.weekday().num_days_from_sunday();
        let dom = self.day_of_month.matches(Unit::DayOfMonth, local.day());
        let dow = self.day_of_week.matches(Unit::DayOfWeek, weekday)
            || (weekday == 0 && self.day_of_week.matches(Unit::DayOfWeek, 7));
        let day = if self.day_of_month.restricted() && self.day_of_week.restricted() {
            dom || dow
        } else {
            dom && dow
        };
        day && self.minute.matches(Unit::Minute, local.minute())
            && self.hour.matches(Unit::Hour, local.hour())
            && self.month.matches(Unit::Month, local.month())
    }
}

/// The first whole minute strictly after `after` whose wall time matches and that is the first
/// instant showing that wall time (a repeated hour counts once), within `CAP_MINUTES`.
fn brute_force(spec: &Spec, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = first_minute_after(after);
    (0..CAP_MINUTES)
        .map(|i| start + Duration::minutes(i))
        .find(|&t| {
            let local = t.with_timezone(&zone).naive_local();
            spec.matches(local)
                && (1..=180).all(|back| {
                    (t - Duration::minutes(back))
                        .with_timezone(&zone)
                        .naive_local()
                        != local
                })
        })
}

fn first_minute_after(after: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = after.timestamp().div_euclid(60) * 60 + 60;
    Utc.timestamp_opt(seconds, 0).unwrap()
}

/// Every instant in 2025-2027 where a zone's offset changes (to the hour: enough to start
/// searches near it).
fn transitions() -> &'static Vec<Vec<DateTime<Utc>>> {
    static TRANSITIONS: OnceLock<Vec<Vec<DateTime<Utc>>>> = OnceLock::new();
    TRANSITIONS.get_or_init(|| {
        ZONES
            .iter()
            .map(|name| {
                let zone: Tz = name.parse().unwrap();
                let offset = |t: DateTime<Utc>| t.with_timezone(&zone).offset().fix();
                let start = utc("2025-01-01T00:00:00Z");
                (1..3 * 366 * 24)
                    .map(|h| start + Duration::hours(h))
                    .filter(|&t| offset(t) != offset(t - Duration::hours(1)))
                    .collect()
            })
            .collect()
    })
}

fn part(min: u32, max: u32, value: BoxedStrategy<u32>) -> impl Strategy<Value = Part> {
    let span = max - min + 1;
    let pair = (value.clone(), value.clone()).prop_map(|(a, b)| (a.min(b), a.max(b)));
    prop_oneof![
        2 => Just(Part::Star),
        1 => (1..=span).prop_map(Part::StarStep),
        3 => value.clone().prop_map(Part::Value),
        2 => pair.clone().prop_map(|(a, b)| Part::Range(a, b)),
        1 => (pair, 1..=span).prop_map(|((a, b), step)| Part::RangeStep(a, b, step)),
        1 => (value, 1..=span).prop_map(|(v, step)| Part::ValueStep(v, step)),
    ]
}

fn field(unit: Unit, star_weight: u32) -> impl Strategy<Value = FieldSpec> {
    let (min, max) = unit.bounds();
    let value = match unit {
        // Lean towards the small hours, where the DST changes are.
        Unit::Hour => prop_oneof![2 => 1u32..=3, 1 => 0u32..=23].boxed(),
        _ => (min..=max).boxed(),
    };
    let parts = prop::collection::vec(part(min, max, value), 1..=3);
    let parts = prop_oneof![
        star_weight => Just(vec![Part::Star]),
        4 => parts,
    ];
    (parts, any::<bool>(), any::<u8>()).prop_map(|(parts, names, case)| FieldSpec {
        parts,
        names,
        case,
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    // More stars in the day and month fields keep most schedules dense enough to scan.
    (
        field(Unit::Minute, 1),
        field(Unit::Hour, 1),
        field(Unit::DayOfMonth, 4),
        field(Unit::Month, 8),
        field(Unit::DayOfWeek, 3),
    )
        .prop_map(|(minute, hour, day_of_month, month, day_of_week)| Spec {
            minute,
            hour,
            day_of_month,
            month,
            day_of_week,
        })
}

/// A zone and an instant: anywhere in 2025-2027, or within two days before (or hours after) one of
/// the zone's offset changes.
fn zone_and_instant() -> impl Strategy<Value = (usize, DateTime<Utc>)> {
    let anywhere = 1_735_689_600i64..1_830_297_600; // 2025-01-01 .. 2028-01-01
    (
        0..ZONES.len(),
        any::<bool>(),
        any::<prop::sample::Index>(),
        -2 * 86_400i64..3 * 3_600,
        anywhere,
        0u32..1_000,
    )
        .prop_map(|(zone, near, pick, jitter, anywhere, millis)| {
            let changes = &transitions()[zone];
            let seconds = if near && !changes.is_empty() {
                pick.get(changes).timestamp() + jitter
            } else {
                anywhere
            };
            let nanos = if millis < 500 { 0 } else { millis * 1_000_000 };
            (zone, Utc.timestamp_opt(seconds, nanos).unwrap())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn next_after_agrees_with_a_minute_by_minute_scan(
        spec in spec(),
        (zone, after) in zone_and_instant(),
    ) {
        let expression = spec.expression();
        let schedule = Schedule::parse(&expression, ZONES[zone])
            .map_err(|e| TestCaseError::fail(format!("{expression}: {e:?}")))?;
        let tz: Tz = ZONES[zone].parse().unwrap();
        // Each expected fire is also the start of the next search: starts exactly on a fire
        // must not return that fire again.
        let mut after = after;
        for _ in 0..3 {
            let next = schedule.next_after(after);
            match brute_force(&spec, tz, after) {
                Some(expected) => {
                    prop_assert_eq!(next, Some(expected), "{} after {}", expression, after);
                    after = expected;
                }
                None => {
                    let cap = first_minute_after(after) + Duration::minutes(CAP_MINUTES);
                    prop_assert!(
                        next.is_none_or(|t| t >= cap),
                        "{} after {} gave {:?}", expression, after, next
                    );
                    break;
                }
            }
        }
    }
}
