//! One field of a standard 5-field cron expression, parsed into the explicit set of values it
//! allows. Parsing here (rather than in the `cron` crate) gives the contract's numbering
//! (Sunday = 0 or 7) and error messages that say what is wrong and what is expected.

/// Which of the five fields, with its bounds and names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Unit {
    pub(super) const ALL: [Unit; 5] = [
        Unit::Minute,
        Unit::Hour,
        Unit::DayOfMonth,
        Unit::Month,
        Unit::DayOfWeek,
    ];

    fn label(self) -> &'static str {
        match self {
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::DayOfMonth => "day-of-month",
            Unit::Month => "month",
            Unit::DayOfWeek => "day-of-week",
        }
    }

    /// Inclusive bounds; day-of-week goes to 7 because 7 is another spelling of Sunday.
    fn bounds(self) -> (u32, u32) {
        match self {
            Unit::Minute => (0, 59),
            Unit::Hour => (0, 23),
            Unit::DayOfMonth => (1, 31),
            Unit::Month => (1, 12),
            Unit::DayOfWeek => (0, 7),
        }
    }

    /// Names and the value of the first one (`JAN` = 1, `SUN` = 0).
    fn names(self) -> Option<(&'static [&'static str], u32)> {
        match self {
            Unit::Month => Some((&MONTH_NAMES, 1)),
            Unit::DayOfWeek => Some((&DAY_NAMES, 0)),
            _ => None,
        }
    }

    /// What a valid value looks like, for error messages.
    fn expected(self) -> String {
        let (min, max) = self.bounds();
        match self {
            Unit::Month => format!("{min}-{max} or JAN-DEC"),
            Unit::DayOfWeek => format!("{min}-{max} (0 and 7 = Sunday) or SUN-SAT"),
            _ => format!("{min}-{max}"),
        }
    }
}

/// The values a field allows, sorted and without duplicates. Day-of-week values are 0-6
/// (7 is folded into 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Field {
    pub(super) values: Vec<u32>,
    /// The field does not start with `*`: the Vixie-cron rule ORs the two day fields only
    /// when both are restricted.
    pub(super) restricted: bool,
}

/// Parses one field's text (never empty: the expression was split on whitespace).
pub(super) fn parse(unit: Unit, text: &str) -> Result<Field, String> {
    let mut allowed = [false; 60];
    for item in text.split(',') {
        if item.is_empty() {
            return Err(format!(
                "{} field `{text}` has an empty list item; expected values separated by single commas",
                unit.label()
            ));
        }
        for value in parse_item(unit, item)? {
            allowed[value as usize] = true;
        }
    }
    if unit == Unit::DayOfWeek && allowed[7] {
        allowed[0] = true;
        allowed[7] = false;
    }
    let values = (0..60).filter(|&v| allowed[v as usize]).collect();
    Ok(Field {
        values,
        restricted: !text.starts_with('*'),
    })
}

/// One list item: `*`, `v`, `a-b`, each optionally followed by `/step` (`v/step` runs from
/// `v` to the field's maximum).
fn parse_item(unit: Unit, item: &str) -> Result<impl Iterator<Item = u32>, String> {
    let (min, max) = unit.bounds();
    let label = unit.label();
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base, Some(parse_step(unit, item, step)?)),
        None => (item, None),
    };
    let (low, high) = if base == "*" {
        (min, max)
    } else if let Some((low, high)) = base.split_once('-') {
        let low = parse_value(unit, item, low)?;
        let mut high = parse_value(unit, item, high)?;
        // `FRI-SUN`: a range ending on Sunday means the Sunday spelled 7.
        if unit == Unit::DayOfWeek && high == 0 && low > 0 {
            high = 7;
        }
        if low > high {
            return Err(format!(
                "{label} field `{item}` is a reversed range; write the smaller value first (ranges do not wrap around)"
            ));
        }
        (low, high)
    } else {
        let value = parse_value(unit, item, base)?;
        (value, if step.is_some() { max } else { value })
    };
    Ok((low..=high).step_by(step.unwrap_or(1) as usize))
}

fn parse_step(unit: Unit, item: &str, step: &str) -> Result<u32, String> {
    let (min, max) = unit.bounds();
    let widest = max - min + 1;
    let digits = !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit());
    match step.parse::<u32>() {
        Ok(step) if digits && (1..=widest).contains(&step) => Ok(step),
        _ => Err(format!(
            "{} field `{item}` has step `{step}`; expected a whole number from 1 to {widest} after `/`",
            unit.label()
        )),
    }
}

fn parse_value(unit: Unit, item: &str, text: &str) -> Result<u32, String> {
    let (min, max) = unit.bounds();
    let label = unit.label();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(value) if (min..=max).contains(&value) => Ok(value),
            _ => Err(format!(
                "{label} field `{text}` is out of range {}",
                unit.expected()
            )),
        };
    }
    if let Some((names, first)) = unit.names() {
        if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            return Ok(first + index as u32);
        }
        if text.bytes().all(|b| b.is_ascii_alphabetic()) && !text.is_empty() {
            return Err(format!(
                "{label} field `{text}` is not a known name; expected {}",
                unit.expected()
            ));
        }
    }
    Err(format!(
        "{label} field `{item}` is not valid; expected {} as a value, a range `a-b`, a list `a,b` or a step `*/n`",
        unit.expected()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(unit: Unit, text: &str) -> Vec<u32> {
        parse(unit, text).expect(text).values
    }

    fn error(unit: Unit, text: &str) -> String {
        parse(unit, text).expect_err(text)
    }

    #[test]
    fn star_steps_and_value_steps_run_to_the_maximum() {
        assert_eq!(values(Unit::Minute, "*/15"), [0, 15, 30, 45]);
        assert_eq!(values(Unit::Minute, "1-30/5"), [1, 6, 11, 16, 21, 26]);
        assert_eq!(values(Unit::Minute, "5/10"), [5, 15, 25, 35, 45, 55]);
        assert_eq!(values(Unit::DayOfMonth, "*/10"), [1, 11, 21, 31]);
        assert_eq!(values(Unit::Hour, "3,1,3,2"), [1, 2, 3]);
    }

    #[test]
    fn names_are_case_insensitive_and_mix_with_numbers() {
        assert_eq!(values(Unit::Month, "jan,Mar-MAY,12"), [1, 3, 4, 5, 12]);
        assert_eq!(values(Unit::DayOfWeek, "mon-FRI"), [1, 2, 3, 4, 5]);
        assert_eq!(values(Unit::DayOfWeek, "Sat,sun"), [0, 6]);
    }

    #[test]
    fn seven_is_sunday_and_ranges_may_end_on_it() {
        assert_eq!(values(Unit::DayOfWeek, "7"), [0]);
        assert_eq!(values(Unit::DayOfWeek, "0,7"), [0]);
        assert_eq!(values(Unit::DayOfWeek, "5-7"), [0, 5, 6]);
        assert_eq!(values(Unit::DayOfWeek, "FRI-SUN"), [0, 5, 6]);
        assert_eq!(values(Unit::DayOfWeek, "*"), [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn restriction_means_not_starting_with_a_star() {
        assert!(!parse(Unit::DayOfMonth, "*").unwrap().restricted);
        assert!(!parse(Unit::DayOfMonth, "*/2").unwrap().restricted);
        assert!(parse(Unit::DayOfMonth, "1-31").unwrap().restricted);
    }

    #[test]
    fn out_of_range_values_name_the_field_and_its_range() {
        assert_eq!(
            error(Unit::Minute, "61"),
            "minute field `61` is out of range 0-59"
        );
        assert_eq!(
            error(Unit::Hour, "24"),
            "hour field `24` is out of range 0-23"
        );
        assert_eq!(
            error(Unit::DayOfMonth, "0"),
            "day-of-month field `0` is out of range 1-31"
        );
        assert_eq!(
            error(Unit::DayOfMonth, "32"),
            "day-of-month field `32` is out of range 1-31"
        );
        assert_eq!(
            error(Unit::Month, "13"),
            "month field `13` is out of range 1-12 or JAN-DEC"
        );
        assert_eq!(
            error(Unit::DayOfWeek, "8"),
            "day-of-week field `8` is out of range 0-7 (0 and 7 = Sunday) or SUN-SAT"
        );
        assert!(error(Unit::Minute, "1-99999999999").contains("`99999999999` is out of range"));
    }

    #[test]
    fn bad_steps_empty_items_and_reversed_ranges_are_explained() {
        assert_eq!(
            error(Unit::Minute, "*/0"),
            "minute field `*/0` has step `0`; expected a whole number from 1 to 60 after `/`"
        );
        assert!(error(Unit::Hour, "*/25").contains("step `25`"));
        assert!(error(Unit::Hour, "*/").contains("step ``"));
        assert!(error(Unit::Hour, "*/x").contains("step `x`"));
        assert!(error(Unit::Hour, "*/+2").contains("step `+2`"));
        assert!(error(Unit::Hour, "1/2/3").contains("step `2/3`"));
        assert_eq!(
            error(Unit::Minute, "1,,2"),
            "minute field `1,,2` has an empty list item; expected values separated by single commas"
        );
        assert!(error(Unit::Minute, "1,").contains("empty list item"));
        assert!(error(Unit::Hour, "20-5").contains("reversed range"));
    }

    #[test]
    fn unknown_names_and_foreign_syntax_are_rejected() {
        assert_eq!(
            error(Unit::Month, "JANU"),
            "month field `JANU` is not a known name; expected 1-12 or JAN-DEC"
        );
        assert!(error(Unit::DayOfWeek, "FUN").contains("not a known name"));
        assert!(error(Unit::Minute, "JAN").contains("is not valid"));
        assert!(error(Unit::DayOfMonth, "L").contains("is not valid"));
        assert!(error(Unit::DayOfMonth, "?").contains("is not valid"));
        assert!(error(Unit::DayOfWeek, "1#2").contains("is not valid"));
        assert!(error(Unit::Minute, "1-2-3").contains("is not valid"));
        assert_eq!(
            error(Unit::Minute, "-5"),
            "minute field `-5` is not valid; expected 0-59 as a value, a range `a-b`, a list `a,b` or a step `*/n`"
        );
    }
}
