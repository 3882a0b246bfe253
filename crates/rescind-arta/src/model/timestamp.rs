//! Arta's timestamps: naive ISO 8601 date-times with exactly six fractional digits
//! (`2021-01-21T17:22:08.818747`), read as [`jiff::civil::DateTime`] and written back in the
//! same form (jiff's own format would drop trailing zeros: `…:58.40315`).

use jiff::civil::DateTime;
use serde::{Deserializer, Serializer};

/// Formats `dt` as Arta does: `YYYY-MM-DDTHH:MM:SS.ffffff`. A value finer than a
/// microsecond (Arta never sends one, but a body may) keeps its nine digits rather than be
/// written as another instant.
pub fn format(dt: DateTime) -> String {
    let nanos = dt.subsec_nanosecond();
    if nanos % 1_000 == 0 {
        format!("{}.{:06}", dt.strftime("%Y-%m-%dT%H:%M:%S"), nanos / 1_000)
    } else {
        format!("{}.{nanos:09}", dt.strftime("%Y-%m-%dT%H:%M:%S"))
    }
}

/// Serde for `DateTime` fields.
pub fn serialize<S: Serializer>(dt: &DateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*dt))
}

/// Serde for `DateTime` fields: every form [`rescind_core::wire::parse_datetime`] reads
/// (with or without fraction, an offset converted to UTC, a date alone as midnight).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime, D::Error> {
    rescind_core::wire::datetime::deserialize(deserializer)
}

/// Serde for `Option<DateTime>` fields (`null` or absent is `None`).
pub mod option {
    use super::*;

    /// Serde for `Option<DateTime>` fields.
    pub fn serialize<S: Serializer>(
        dt: &Option<DateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => serializer.serialize_str(&super::format(*dt)),
            None => serializer.serialize_none(),
        }
    }

    /// Serde for `Option<DateTime>` fields (`null`, `""` or absent is `None`).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime>, D::Error> {
        rescind_core::wire::datetime::option::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::datetime;

    #[test]
    fn six_digits_always() {
        assert_eq!(
            super::format(datetime(2021, 1, 21, 21, 0, 58, 403_150_000)),
            "2021-01-21T21:00:58.403150"
        );
        assert_eq!(
            super::format(datetime(2021, 1, 22, 9, 0, 0, 0)),
            "2021-01-22T09:00:00.000000"
        );
    }

    #[test]
    fn finer_than_a_microsecond_is_kept() {
        // Found by the property tests: `.8818747` was written back as `.881874`.
        assert_eq!(
            super::format(datetime(2021, 1, 21, 17, 22, 8, 881_874_700)),
            "2021-01-21T17:22:08.881874700"
        );
    }
}
