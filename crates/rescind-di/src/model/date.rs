//! Dates as Di writes them. The sources disagree (booking doc: `yyyyMMdd`, e.g. `20160120`;
//! developer.helthjem.no: ISO `YYYY-MM-DD`), and the details API marks its date fields as work in
//! progress, so we read both, and an ISO date-time's date part. Anything else is a decode error
//! that names the field: a date we misread would decide whether a cancel is allowed.

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serializer, de};

/// Parses one of Di's date spellings.
pub(crate) fn parse(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let (y, rest) = raw.split_at(4);
        let (m, d) = rest.split_at(2);
        return Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok();
    }
    // `2024-03-31`, or the date part of `2024-03-31T00:00:00` / `2024-03-31 00:00:00`.
    let head = raw.get(..10)?;
    let rest = &raw[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    head.parse::<Date>().ok()
}

/// `Option<Date>` from a string, `null`, an empty string or a missing field.
pub(crate) fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            de::Error::custom(format!(
                "expected a date as YYYY-MM-DD or YYYYMMDD, got {s:?}"
            ))
        }),
    }
}

/// A list of dates (`null` reads as empty).
pub(crate) fn de_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Date>, D::Error> {
    let raw: Option<Vec<String>> = Option::deserialize(d)?;
    raw.unwrap_or_default()
        .iter()
        .map(|s| {
            parse(s).ok_or_else(|| {
                de::Error::custom(format!(
                    "expected a date as YYYY-MM-DD or YYYYMMDD, got {s:?}"
                ))
            })
        })
        .collect()
}

/// Writes an optional date as ISO `YYYY-MM-DD` (or `null`).
pub(crate) fn ser_opt<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn reads_every_spelling() {
        assert_eq!(parse("2024-03-31"), Some(date(2024, 3, 31)));
        assert_eq!(parse("20240331"), Some(date(2024, 3, 31)));
        assert_eq!(parse("2024-03-31T00:00:00"), Some(date(2024, 3, 31)));
        assert_eq!(parse("2024-03-31 12:00:00"), Some(date(2024, 3, 31)));
        assert_eq!(parse("2024-02-30"), None);
        assert_eq!(parse("20240230"), None);
        assert_eq!(parse("31.03.2024"), None);
        assert_eq!(parse("2024-03-31X"), None);
        assert_eq!(parse(""), None);
    }
}
