//! Decimals on the wire as JSON numbers with their exact text.
//!
//! `rust_decimal` alone writes a decimal as a JSON string (`"2.5"`), and its float mode goes
//! through `f64`. Skip Pay wants a number (`"quantity": 2.5`), and a quantity must reach it
//! exactly as the caller wrote it. So the decimal's own text (normalized: `2.50` is `2.5`) is
//! written as a raw JSON number. Reading accepts a number or a string.

use rescind_core::rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Serializes `value` as a JSON number whose text is the decimal's normalized text.
pub(crate) fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let raw =
        RawValue::from_string(value.normalize().to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

/// Reads a decimal from a JSON number or string.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    <Decimal as Deserialize>::deserialize(deserializer)
}

/// The same for `Option<Decimal>`: `None` is skipped by the caller or written as `null`.
pub(crate) mod option {
    use super::*;

    /// Serializes `Some` as a raw JSON number and `None` as `null`.
    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a decimal, `null` or nothing.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        Option::<Decimal>::deserialize(deserializer)
    }
}

/// `null` read as the type's default (an empty list), for lists the provider may send as
/// `null` or leave out.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Q {
        #[serde(with = "super")]
        q: Decimal,
    }

    #[test]
    fn writes_the_exact_text_as_a_number() {
        for (input, text) in [
            ("1", r#"{"q":1}"#),
            ("2.5", r#"{"q":2.5}"#),
            ("2.50", r#"{"q":2.5}"#),
            ("1.125", r#"{"q":1.125}"#),
            ("0.1", r#"{"q":0.1}"#),
            ("12345678901234.567", r#"{"q":12345678901234.567}"#),
        ] {
            let q = Q {
                q: Decimal::from_str(input).unwrap(),
            };
            assert_eq!(serde_json::to_string(&q).unwrap(), text, "{input}");
        }
    }

    #[test]
    fn reads_numbers_and_strings() {
        let q: Q = serde_json::from_str(r#"{"q":1.125}"#).unwrap();
        assert_eq!(q.q, Decimal::from_str("1.125").unwrap());
        let q: Q = serde_json::from_str(r#"{"q":"2.5"}"#).unwrap();
        assert_eq!(q.q, Decimal::from_str("2.5").unwrap());
        let q: Q = serde_json::from_str(r#"{"q":3}"#).unwrap();
        assert_eq!(q.q, Decimal::from(3));
    }
}
