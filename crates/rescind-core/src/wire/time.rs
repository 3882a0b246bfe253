//! Dates and date-times, read in every form the providers' documents and examples use.
//!
//! Interpretation, for every model:
//!
//! - A **date** field reads `2017-01-17`, `20170117` (Di's booking document), or the date
//!   part of a date-time (`2017-01-17T10:00:00+01:00` gives 2017-01-17: the date as written,
//!   not converted to another zone). It is written `YYYY-MM-DD`.
//! - A **naive date-time** field (Arta's `created_at`: no zone, UTC by Arta's convention, its
//!   official client converts dates to UTC) reads `2021-01-21T17:22:08.818747`, with any number
//!   of fraction digits or none, a `T` or a space, seconds or not; a value with an offset or
//!   `Z` is converted to UTC; a date alone is midnight.
//! - A **date-time with an offset** (Skip Pay's `reservationDate`,
//!   `2017-07-15T00:00:00+02:00`) is read as the instant it names; without an offset it is read
//!   in the zone the provider works in (passed to [`parse_timestamp`]); a date alone is the
//!   start of that day there.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::de;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses a date: `YYYY-MM-DD`, `YYYYMMDD`, or the date part of a date-time (`T` or a space
/// after the date).
///
/// ```
/// use rescind_core::jiff::civil::date;
/// use rescind_core::wire::parse_date;
/// assert_eq!(parse_date("2017-01-17"), Some(date(2017, 1, 17)));
/// assert_eq!(parse_date("20170117"), Some(date(2017, 1, 17)));
/// assert_eq!(parse_date("2017-01-17T23:30:00-05:00"), Some(date(2017, 1, 17)));
/// assert_eq!(parse_date("17.1.2017"), None);
/// ```
pub fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let (y, rest) = text.split_at(4);
        let (m, d) = rest.split_at(2);
        return Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok();
    }
    let head = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with(['T', 't', ' '])) {
        return None;
    }
    head.parse::<Date>().ok()
}

/// Parses a naive date-time (see the [module](self)): an offset or `Z` converts it to UTC, a
/// date alone is midnight.
///
/// ```
/// use rescind_core::jiff::civil::datetime;
/// use rescind_core::wire::parse_datetime;
/// let want = datetime(2021, 1, 21, 17, 22, 8, 818_747_000);
/// assert_eq!(parse_datetime("2021-01-21T17:22:08.818747"), Some(want));
/// assert_eq!(parse_datetime("2021-01-21 17:22:08.818747"), Some(want));
/// assert_eq!(parse_datetime("2021-01-21T18:22:08.818747+01:00"), Some(want));
/// assert_eq!(parse_datetime("2021-01-21T17:22:08.818747Z"), Some(want));
/// assert_eq!(parse_datetime("2021-01-21"), Some(datetime(2021, 1, 21, 0, 0, 0, 0)));
/// ```
pub fn parse_datetime(text: &str) -> Option<DateTime> {
    let text = text.trim();
    if !has_offset(text) {
        // The common case (Arta's own form): no failed zoned parse first.
        return naive(text);
    }
    zoned_instant(text).map(|ts| TimeZone::UTC.to_datetime(ts))
}

/// Whether a date-time text ends with `Z` or an offset (`+01:00`, `-0500`) after its time.
fn has_offset(text: &str) -> bool {
    text.ends_with(['Z', 'z'])
        || text
            .get(11..)
            .is_some_and(|time| time.contains('+') || time.contains('-'))
}

/// Parses a date-time with an offset; without one, it is read in `zone`, and a date alone is the
/// start of that day in `zone` (see the [module](self)).
///
/// ```
/// use rescind_core::jiff::tz::TimeZone;
/// use rescind_core::wire::parse_timestamp;
/// let prague = TimeZone::get("Europe/Prague").unwrap();
/// let want: rescind_core::jiff::Timestamp = "2017-07-14T22:00:00Z".parse().unwrap();
/// assert_eq!(parse_timestamp("2017-07-15T00:00:00+02:00", &prague), Some(want));
/// assert_eq!(parse_timestamp("2017-07-15T00:00:00", &prague), Some(want));
/// assert_eq!(parse_timestamp("2017-07-15", &prague), Some(want));
/// ```
pub fn parse_timestamp(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    let text = text.trim();
    if has_offset(text) {
        return zoned_instant(text);
    }
    let dt = naive(text)?;
    zone.to_ambiguous_timestamp(dt).compatible().ok()
}

/// An instant written with an offset or `Z` (`T` or a space between date and time).
fn zoned_instant(text: &str) -> Option<Timestamp> {
    if text.len() <= 10 {
        return None;
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    // jiff wants an offset with a colon and minutes; accept `+0200` and `+02` as well.
    let (body, sign, offset) = split_offset(text)?;
    let digits: String = offset.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i8>().ok()?, 0),
        4 => (
            digits[..2].parse::<i8>().ok()?,
            digits[2..].parse::<i8>().ok()?,
        ),
        _ => return None,
    };
    let dt = naive(body)?;
    let minutes = i64::from(h) * 60 + i64::from(m);
    let utc = dt.checked_sub((sign * minutes).minutes()).ok()?;
    TimeZone::UTC.to_timestamp(utc).ok()
}

/// Splits `2021-01-21T18:22:08+0100` into the date-time, the offset's sign and its digits.
fn split_offset(text: &str) -> Option<(&str, i64, &str)> {
    let time_start = text.find(['T', 't', ' '])?;
    let pos = text[time_start..].rfind(['+', '-'])? + time_start;
    let sign = if text.as_bytes()[pos] == b'+' { 1 } else { -1 };
    Some((&text[..pos], sign, &text[pos + 1..]))
}

/// A date-time without an offset, or a date alone (midnight).
fn naive(text: &str) -> Option<DateTime> {
    if text.ends_with(['Z', 'z']) {
        return None;
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        // jiff ignores an offset when parsing a civil value; such a text went through
        // `zoned_instant` first, so here there is none.
        return Some(dt);
    }
    if text.len() <= 10 {
        return parse_date(text).map(|d| d.to_datetime(jiff::civil::Time::midnight()));
    }
    None
}

/// A JSON string, borrowed from the body when it can be (no allocation per date).
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a text field with `parse`; a text it cannot read is a decode error that says what
/// was `expected`.
fn read<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, D::Error> {
    let raw = Text::deserialize(deserializer)?;
    let raw = raw.as_str();
    parse(raw).ok_or_else(|| de::Error::custom(format!("expected {expected}, got {raw:?}")))
}

/// [`read`] for an optional field: `null`, an empty string or absence is `None`.
fn read_option<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, D::Error> {
    let raw = Option::<Text<'de>>::deserialize(deserializer)?;
    match raw.as_ref().map(Text::as_str) {
        None => Ok(None),
        Some(raw) if raw.trim().is_empty() => Ok(None),
        Some(raw) => parse(raw)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected {expected}, got {raw:?}"))),
    }
}

/// Writes an optional value with its `Display`, or `null`.
fn write_option<S: Serializer, T: std::fmt::Display>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

const DATE_FORMS: &str = "a date as YYYY-MM-DD or YYYYMMDD";
const DATETIME_FORMS: &str = "a date-time such as 2021-01-21T17:22:08.818747";

/// A date field (`Date`): reads every form of [`parse_date`], writes `YYYY-MM-DD`.
/// `#[serde(with = "rescind_core::wire::date")]`.
pub mod date {
    use super::*;

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(value: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads any form of [`parse_date`].
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        read(deserializer, parse_date, DATE_FORMS)
    }

    /// `Option<Date>`: `null`, an empty string or absence (with `#[serde(default)]`) is
    /// `None`; `None` is written as `null`.
    pub mod option {
        use super::*;

        /// Writes `YYYY-MM-DD` or `null`.
        pub fn serialize<S: Serializer>(
            value: &Option<Date>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            write_option(value, serializer)
        }

        /// Reads a date, `null` or `""`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Date>, D::Error> {
            read_option(deserializer, parse_date, DATE_FORMS)
        }
    }
}

/// A naive date-time field (`civil::DateTime`): reads every form of [`parse_datetime`]; writes
/// jiff's ISO 8601 form (a provider with its own form keeps its writer and uses
/// [`datetime::deserialize`] alone).
pub mod datetime {
    use super::*;

    /// Writes ISO 8601 without an offset.
    pub fn serialize<S: Serializer>(value: &DateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads any form of [`parse_datetime`].
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime, D::Error> {
        read(deserializer, parse_datetime, DATETIME_FORMS)
    }

    /// `Option<DateTime>`: `null`, `""` or absence (with `#[serde(default)]`) is `None`.
    pub mod option {
        use super::*;

        /// Writes ISO 8601 or `null`.
        pub fn serialize<S: Serializer>(
            value: &Option<DateTime>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            write_option(value, serializer)
        }

        /// Reads a date-time, `null` or `""`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime>, D::Error> {
            read_option(deserializer, parse_datetime, DATETIME_FORMS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date as d, datetime as dt};

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-03-31"), Some(d(2024, 3, 31)));
        assert_eq!(parse_date("20240331"), Some(d(2024, 3, 31)));
        assert_eq!(parse_date("2024-03-31T00:00:00"), Some(d(2024, 3, 31)));
        assert_eq!(parse_date("2024-03-31 12:00:00"), Some(d(2024, 3, 31)));
        assert_eq!(parse_date(" 2024-03-31 "), Some(d(2024, 3, 31)));
        for bad in [
            "2024-02-30",
            "20240230",
            "31.03.2024",
            "2024-03-31X",
            "",
            "2024",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn naive_datetimes() {
        let want = dt(2021, 1, 21, 17, 22, 8, 818_747_000);
        for text in [
            "2021-01-21T17:22:08.818747",
            "2021-01-21T17:22:08.818747000",
            "2021-01-21 17:22:08.818747",
            "2021-01-21T17:22:08.818747Z",
            "2021-01-21T17:22:08.818747+00:00",
            "2021-01-21T12:22:08.818747-05:00",
            "2021-01-21T18:22:08.818747+0100",
            "2021-01-21T18:22:08.818747+01",
        ] {
            assert_eq!(parse_datetime(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_datetime("2021-01-21T17:22:08"),
            Some(dt(2021, 1, 21, 17, 22, 8, 0))
        );
        assert_eq!(
            parse_datetime("2021-01-21T17:22"),
            Some(dt(2021, 1, 21, 17, 22, 0, 0))
        );
        assert_eq!(
            parse_datetime("2021-01-21"),
            Some(dt(2021, 1, 21, 0, 0, 0, 0))
        );
        for bad in [
            "",
            "yesterday",
            "2021-13-01T00:00:00",
            "2021-01-21T25:00:00",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_without_offset_are_read_in_the_given_zone() {
        let prague = TimeZone::get("Europe/Prague").unwrap();
        let summer: Timestamp = "2017-07-14T22:00:00Z".parse().unwrap();
        for text in [
            "2017-07-15T00:00:00+02:00",
            "2017-07-14T22:00:00Z",
            "2017-07-15T00:00:00",
            "2017-07-15 00:00:00",
            "2017-07-15",
        ] {
            assert_eq!(parse_timestamp(text, &prague), Some(summer), "{text}");
        }
        let winter: Timestamp = "2017-01-14T23:00:00Z".parse().unwrap();
        assert_eq!(parse_timestamp("2017-01-15", &prague), Some(winter));
        assert_eq!(parse_timestamp("soon", &prague), None);
    }

    #[test]
    fn serde_helpers() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct S {
            #[serde(with = "date")]
            a: Date,
            #[serde(default, with = "date::option")]
            b: Option<Date>,
            #[serde(default, with = "datetime::option")]
            c: Option<DateTime>,
        }
        let s: S = serde_json::from_str(r#"{"a":"20170117","b":"","c":"2021-01-21"}"#).unwrap();
        assert_eq!(s.a, d(2017, 1, 17));
        assert_eq!(s.b, None);
        assert_eq!(s.c, Some(dt(2021, 1, 21, 0, 0, 0, 0)));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"a":"2017-01-17","b":null,"c":"2021-01-21T00:00:00"}"#
        );
        let err = crate::decode::json::<S>(br#"{"a":"2017-01-17","c":"x"}"#).unwrap_err();
        assert_eq!(err.json_path(), Some("c"));
    }
}
