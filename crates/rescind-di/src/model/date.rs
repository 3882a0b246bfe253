//! Dates as Di writes them. The sources disagree (booking doc: `yyyyMMdd`, e.g. `20160120`;
//! developer.helthjem.no: ISO `YYYY-MM-DD`), and the details API marks its date fields as work in
//! progress, so we read both, and an ISO date-time's date part. Anything else is a decode error
//! that names the field: a date we misread would decide whether a cancel is allowed.

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, de};

/// Parses one of Di's date spellings ([`rescind_core::wire::parse_date`]).
pub(crate) fn parse(raw: &str) -> Option<Date> {
    rescind_core::wire::parse_date(raw)
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
