//! Whole numbers as JSON Schema counts them: an `integer` is any number without a fraction,
//! so `5.0` is one. Clients that write every number as a float (Python's `json` for a value
//! that passed through a float, some JavaScript serializers) are understood; a fraction, a sign
//! where none may be, or a value out of range is still refused. For `#[serde(deserialize_with)]`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::agent::Patch;

/// A `u64` written as an integer or as a float without a fraction.
struct Whole(u64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WholeVisitor;

        impl Visitor<'_> for WholeVisitor {
            type Value = Whole;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                write!(formatter, "a whole number from 0 to {}", u64::MAX)
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Whole, E> {
                Ok(Whole(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Whole, E> {
                u64::try_from(value)
                    .map(Whole)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Whole, E> {
                // 2⁶⁴ is exact in f64; every whole float below it converts exactly.
                if value.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&value) {
                    Ok(Whole(value as u64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(value), &self))
                }
            }
        }

        deserializer.deserialize_any(WholeVisitor)
    }
}

pub fn u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Whole::deserialize(deserializer).map(|whole| whole.0)
}

pub fn option_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Option::<Whole>::deserialize(deserializer).map(|value| value.map(|whole| whole.0))
}

pub fn patch_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Patch<u64>, D::Error> {
    Ok(match Patch::<Whole>::deserialize(deserializer)? {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(whole) => Patch::Set(whole.0),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Count {
        #[serde(deserialize_with = "super::u64")]
        n: u64,
    }

    fn parse(json: &str) -> Result<u64, String> {
        serde_json::from_str::<Count>(json)
            .map(|count| count.n)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        assert_eq!(parse(r#"{"n": 5}"#), Ok(5));
        assert_eq!(parse(r#"{"n": 5.0}"#), Ok(5));
        assert_eq!(parse(r#"{"n": 1e3}"#), Ok(1000));
        assert_eq!(parse(r#"{"n": 18446744073709551615}"#), Ok(u64::MAX));
        for refused in ["5.5", "-1", "-1.0", "1e20", "\"5\"", "null", "true"] {
            let error = parse(&format!(r#"{{"n": {refused}}}"#)).unwrap_err();
            assert!(
                error.contains("whole number") || error.contains("invalid type"),
                "{refused}: {error}"
            );
        }
    }
}
