//! The one duration syntax of every flag and environment variable: `500ms`, `2s`, `5m`, `2h`,
//! `5d` (humantime's grammar, so `1h 30m` works too).

use std::time::Duration;

/// A duration that could not be read, with the text and the expected shape in the message.
#[derive(Debug, thiserror::Error)]
#[error("invalid duration `{input}`: {reason} (write durations like 500ms, 2s, 5m, 2h, 5d)")]
pub struct DurationError {
    input: String,
    reason: String,
}

/// Parses `500ms`, `2s`, `5m`, `2h`, `5d`.
///
/// Usable directly as a clap value parser:
/// `#[arg(long, env = "AGENFLEET_COMMAND_TIMEOUT", default_value = "10s", value_parser = ops::duration::parse_duration)]`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let text = input.trim();
    humantime::parse_duration(text).map_err(|e| DurationError {
        input: input.to_owned(),
        reason: e.to_string(),
    })
}

/// Parses a comma-separated list such as `5s,5m,30m,2h` (the webhook retry schedule).
/// Empty items are rejected so a stray comma is not silently ignored.
pub fn parse_duration_list(input: &str) -> Result<Vec<Duration>, DurationError> {
    input.split(',').map(parse_duration).collect()
}

/// Formats a duration the way [`parse_duration`] reads it back (`1h 30m`, `500ms`).
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_units_parse() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(
            parse_duration("5d").unwrap(),
            Duration::from_secs(5 * 86_400)
        );
    }

    #[test]
    fn surrounding_whitespace_and_compound_values_are_accepted() {
        assert_eq!(parse_duration(" 10s ").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
    }

    #[test]
    fn a_bare_number_or_unknown_unit_is_rejected_with_the_expected_shape() {
        for bad in ["", "30", "5 parsecs", "-2s", "s"] {
            let err = parse_duration(bad).unwrap_err().to_string();
            assert!(err.contains("write durations like 500ms"), "{bad:?}: {err}");
            assert!(err.contains(&format!("`{bad}`")), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_default_retry_schedule_parses_as_a_list() {
        let list = parse_duration_list("5s,5m,30m,2h,5h,10h,10h").unwrap();
        assert_eq!(list.len(), 7);
        assert_eq!(list[0], Duration::from_secs(5));
        assert_eq!(list[6], Duration::from_secs(36_000));
        assert!(parse_duration_list("5s,,5m").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["500ms", "2s", "5m", "2h", "5days", "1h 30m"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
    }
}
