//! When a cron job fires (contract section 10): a standard 5-field cron expression evaluated
//! on the wall clock of an IANA time zone.
//!
//! The fields are parsed here into explicit value sets (for the contract's numbering and for
//! useful error messages); the `cron` crate then searches the calendar over those sets. It
//! runs on naive local time (written as if it were UTC) and each candidate is resolved through
//! the zone: a local time that a DST jump skips does not fire, a local time that a fall-back
//! repeats fires once, at its first occurrence.

mod field;

use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use schema::FieldError;

use field::{Field, Unit};

/// How many candidates of the `cron` crate one search looks at before giving up. Skipped
/// candidates come only from a DST gap or a repeated hour (at most 60 a day each), so any
/// schedule that fires at all finds its next fire long before this.
const MAX_CANDIDATES: usize = 5_000;

/// A parsed job schedule: a standard 5-field cron expression in an IANA time zone.
#[derive(Clone, Debug)]
pub struct Schedule {
    expression: String,
    timezone: Tz,
    /// Local times that fire are those any of these match (two for the Vixie-cron OR of the
    /// day fields, one otherwise).
    matchers: Vec<cron::Schedule>,
}

impl Schedule {
    /// Parses `expression` ("minute hour day-of-month month day-of-week") and `timezone` (IANA
    /// name, e.g. "Europe/Berlin", "UTC"). Every mistake found is reported, naming the field
    /// `schedule` or `timezone`.
    pub fn parse(expression: &str, timezone: &str) -> Result<Schedule, Vec<FieldError>> {
        let mut errors = Vec::new();
        let fields = parse_fields(expression).map_err(|messages| {
            errors.extend(messages.into_iter().map(|m| FieldError::new("schedule", m)));
        });
        let zone = Tz::from_str(timezone).map_err(|_| {
            errors.push(FieldError::new(
                "timezone",
                format!("unknown time zone `{timezone}`; use an IANA name such as Europe/Berlin"),
            ));
        });
        let (Ok(fields), Ok(zone)) = (fields, zone) else {
            return Err(errors);
        };
        let matchers = matchers(&fields).map_err(|message| {
            vec![FieldError::new(
                "schedule",
                format!("cannot be evaluated: {message}"),
            )]
        })?;
        Ok(Schedule {
            expression: expression.to_owned(),
            timezone: zone,
            matchers,
        })
    }

    /// The expression as it was given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The IANA name of the job's time zone.
    pub fn timezone(&self) -> &str {
        self.timezone.name()
    }

    /// The first fire time strictly after `after`, or None if there is none (e.g. `0 0 30 2
    /// *`, or none before the end of 2100, where the `cron` crate's calendar stops).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Every local time before `after`'s own wall time first occurred before `after`, so
        // the search can start at that wall time.
        let wall = after.with_timezone(&self.timezone).naive_local();
        let start = Utc.from_utc_datetime(&wall);
        // Resolving is monotonic in the local time, so the earliest of each matcher's first
        // fire is the first fire of their union.
        self.matchers
            .iter()
            .filter_map(|matcher| {
                matcher
                    .after(&start)
                    .take(MAX_CANDIDATES)
                    .filter_map(|candidate| self.resolve(candidate.naive_utc()))
                    .find(|&instant| instant > after)
            })
            .min()
    }

    /// The instant a local wall time first occurs, or None if the zone skips it.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let instant = match self.timezone.from_local_datetime(&local) {
            LocalResult::None => return None,
            LocalResult::Single(instant) => instant,
            LocalResult::Ambiguous(first, second) => first.min(second),
        };
        Some(instant.with_timezone(&Utc))
    }
}

/// The five fields in order, or a message for each field that is wrong.
fn parse_fields(expression: &str) -> Result<[Field; 5], Vec<String>> {
    let texts: Vec<&str> = expression.split_whitespace().collect();
    if texts.len() != 5 {
        let hint = if expression.trim_start().starts_with('@') {
            "; macros such as @daily are not supported"
        } else if texts.len() == 6 {
            "; seconds are not supported"
        } else {
            ""
        };
        return Err(vec![format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}{hint}",
            texts.len()
        )]);
    }
    let mut fields = Vec::with_capacity(5);
    let mut errors = Vec::new();
    for (unit, text) in Unit::ALL.into_iter().zip(texts) {
        match field::parse(unit, text) {
            Ok(field) => fields.push(field),
            Err(message) => errors.push(message),
        }
    }
    match <[Field; 5]>::try_from(fields) {
        Ok(fields) if errors.is_empty() => Ok(fields),
        _ => Err(errors),
    }
}

/// The `cron` crate's schedules for the fields. That crate counts seconds first and numbers
/// Sunday as 1, and ANDs the two day fields, so the Vixie-cron OR (both day fields
/// restricted) takes two schedules: one per day field, the other left as `*`.
fn matchers(fields: &[Field; 5]) -> Result<Vec<cron::Schedule>, cron::error::Error> {
    let [minutes, hours, days, months, weekdays] = fields;
    let list = |values: &[u32], shift: u32| {
        values
            .iter()
            .map(|v| (v + shift).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let time = format!("0 {} {}", list(&minutes.values, 0), list(&hours.values, 0));
    let days_list = list(&days.values, 0);
    let months_list = list(&months.values, 0);
    let weekdays_list = list(&weekdays.values, 1);
    let expressions = if days.restricted && weekdays.restricted {
        vec![
            format!("{time} {days_list} {months_list} *"),
            format!("{time} * {months_list} {weekdays_list}"),
        ]
    } else {
        vec![format!("{time} {days_list} {months_list} {weekdays_list}")]
    };
    expressions
        .iter()
        .map(|expression| cron::Schedule::from_str(expression))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Weekday};

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn fires(expression: &str, after: &str, count: usize) -> Vec<DateTime<Utc>> {
        let schedule = Schedule::parse(expression, "UTC").unwrap();
        let mut at = utc(after);
        let mut times = Vec::new();
        for _ in 0..count {
            at = schedule.next_after(at).unwrap();
            times.push(at);
        }
        times
    }

    fn errors(expression: &str, timezone: &str) -> Vec<(String, String)> {
        Schedule::parse(expression, timezone)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn every_field_out_of_range_is_reported_against_schedule() {
        let found = errors("61 24 32 13 8", "UTC");
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert!(found.iter().all(|(field, _)| field == "schedule"));
        assert_eq!(
            messages,
            [
                "minute field `61` is out of range 0-59",
                "hour field `24` is out of range 0-23",
                "day-of-month field `32` is out of range 1-31",
                "month field `13` is out of range 1-12 or JAN-DEC",
                "day-of-week field `8` is out of range 0-7 (0 and 7 = Sunday) or SUN-SAT",
            ]
        );
    }

    #[test]
    fn a_wrong_number_of_fields_is_explained() {
        assert_eq!(
            errors("0 0 * * * *", "UTC"),
            [(
                "schedule".to_owned(),
                "expected 5 fields (minute hour day-of-month month day-of-week), found 6; \
                 seconds are not supported"
                    .to_owned()
            )]
        );
        assert_eq!(
            errors("0 0 * *", "UTC")[0].1,
            "expected 5 fields (minute hour day-of-month month day-of-week), found 4"
        );
        assert!(errors("", "UTC")[0].1.ends_with("found 0"));
        assert!(errors("@daily", "UTC")[0]
            .1
            .contains("@daily are not supported"));
    }

    #[test]
    fn bad_steps_empty_items_and_unknown_names_are_rejected() {
        assert!(errors("*/0 * * * *", "UTC")[0].1.contains("step `0`"));
        assert!(errors("1,,2 * * * *", "UTC")[0]
            .1
            .contains("empty list item"));
        assert!(errors("0 0 * FOO *", "UTC")[0]
            .1
            .contains("month field `FOO` is not a known name"));
        assert!(errors("0 0 * * FUN", "UTC")[0]
            .1
            .contains("day-of-week field `FUN` is not a known name"));
    }

    #[test]
    fn an_unknown_zone_is_reported_against_timezone_with_the_schedule_errors() {
        assert_eq!(
            errors("0 8 * * *", "Europe/Berln"),
            [(
                "timezone".to_owned(),
                "unknown time zone `Europe/Berln`; use an IANA name such as Europe/Berlin"
                    .to_owned()
            )]
        );
        let both = errors("99 8 * * *", "");
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].0, "schedule");
        assert_eq!(both[1].0, "timezone");
    }

    #[test]
    fn a_parsed_schedule_keeps_its_expression_and_zone() {
        let schedule = Schedule::parse("0 8 * * *", "Europe/Berlin").unwrap();
        assert_eq!(schedule.expression(), "0 8 * * *");
        assert_eq!(schedule.timezone(), "Europe/Berlin");
    }

    #[test]
    fn star_steps_fire_every_quarter_hour() {
        assert_eq!(
            fires("*/15 * * * *", "2026-01-01T10:07:00Z", 4),
            [
                utc("2026-01-01T10:15:00Z"),
                utc("2026-01-01T10:30:00Z"),
                utc("2026-01-01T10:45:00Z"),
                utc("2026-01-01T11:00:00Z"),
            ]
        );
    }

    #[test]
    fn next_after_is_strictly_after_and_on_whole_minutes() {
        assert_eq!(
            fires("30 9 * * *", "2026-01-01T09:30:00Z", 1),
            [utc("2026-01-01T09:30:00Z") + chrono::Duration::days(1)]
        );
        assert_eq!(
            fires("* * * * *", "2026-01-01T09:29:59.999Z", 2),
            [utc("2026-01-01T09:30:00Z"), utc("2026-01-01T09:31:00Z")]
        );
        assert_eq!(
            fires("* * * * *", "2026-01-01T09:30:00.001Z", 1),
            [utc("2026-01-01T09:31:00Z")]
        );
    }

    #[test]
    fn weekday_ranges_skip_the_weekend() {
        // 2026-01-02 is a Friday.
        let days: Vec<Weekday> = fires("0 9 * * 1-5", "2026-01-02T10:00:00Z", 5)
            .iter()
            .map(|t| t.weekday())
            .collect();
        use Weekday::*;
        assert_eq!(days, [Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(
            fires("0 9 * * MON-FRI", "2026-01-02T10:00:00Z", 5),
            fires("0 9 * * 1-5", "2026-01-02T10:00:00Z", 5)
        );
    }

    #[test]
    fn seven_and_zero_and_sun_all_mean_sunday() {
        let sunday = [utc("2026-01-04T12:00:00Z"), utc("2026-01-11T12:00:00Z")];
        assert_eq!(fires("0 12 * * 7", "2026-01-01T00:00:00Z", 2), sunday);
        assert_eq!(fires("0 12 * * 0", "2026-01-01T00:00:00Z", 2), sunday);
        assert_eq!(fires("0 12 * * sun", "2026-01-01T00:00:00Z", 2), sunday);
    }

    #[test]
    fn month_names_select_their_months() {
        assert_eq!(
            fires("0 0 1 feb,Dec *", "2026-01-01T00:00:00Z", 3),
            [
                utc("2026-02-01T00:00:00Z"),
                utc("2026-12-01T00:00:00Z"),
                utc("2027-02-01T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn restricted_day_fields_fire_when_either_matches() {
        // 2026-06-01 is a Monday; 2026-07-01 a Wednesday.
        let times = fires("0 9 1 * MON", "2026-05-30T00:00:00Z", 6);
        assert_eq!(
            times,
            [
                utc("2026-06-01T09:00:00Z"),
                utc("2026-06-08T09:00:00Z"),
                utc("2026-06-15T09:00:00Z"),
                utc("2026-06-22T09:00:00Z"),
                utc("2026-06-29T09:00:00Z"),
                utc("2026-07-01T09:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_starred_day_field_is_anded_with_the_other() {
        // `*/2` starts with `*`, so it is not "restricted": odd days that are Mondays.
        let times = fires("0 9 */2 * MON", "2026-06-01T10:00:00Z", 2);
        assert_eq!(
            times,
            [utc("2026-06-15T09:00:00Z"), utc("2026-06-29T09:00:00Z")]
        );
    }

    #[test]
    fn impossible_dates_never_fire() {
        let schedule = Schedule::parse("0 0 30 2 *", "UTC").unwrap();
        assert_eq!(schedule.next_after(utc("2026-01-01T00:00:00Z")), None);
        let schedule = Schedule::parse("0 0 31 4,6,9,11 *", "Europe/Berlin").unwrap();
        assert_eq!(schedule.next_after(utc("2026-01-01T00:00:00Z")), None);
    }

    #[test]
    fn leap_days_fire_in_leap_years_only() {
        assert_eq!(
            fires("0 0 29 2 *", "2025-01-01T00:00:00Z", 2),
            [utc("2028-02-29T00:00:00Z"), utc("2032-02-29T00:00:00Z")]
        );
    }
}
