//! Liberal readers, strict writers: the serde helpers every provider model uses, one set for
//! all of them (issue 15).
//!
//! A provider documents a field's type, not the JSON spelling its servers pick on a given day.
//! So every model reads every form its documentation allows, and writes only the form the
//! documentation shows:
//!
//! | documented as | read from | written as | helper |
//! |---|---|---|---|
//! | integer (`int64`) | `12590`, `12590.0`, `1.259e4`, `"12590"`; a fraction (`12.5`) is a decode error naming the path | a JSON integer | [`int`], [`int::option`] |
//! | `number` (money, quantities, rates) | any JSON number or a string holding one, exactly (the number's own text, never through `f64` when the body is read from text) | a JSON number with the decimal's exact text | [`decimal`], [`decimal::option`] |
//! | dimension "number or string" | either; kept as text | a string | [`text_or_number`] |
//! | date | `2017-01-17`, `20170117`, or the date part of a date-time | `YYYY-MM-DD` | [`date`], [`date::option`] |
//! | naive date-time | with or without fraction, `T` or space, with an offset or `Z` (converted to UTC), or a date alone (midnight) | the provider's own writer | [`datetime`] |
//! | date-time with offset | with an offset or `Z`; without one it is read in a zone the provider names; a date alone is midnight there | RFC 3339 | [`parse_timestamp`] |
//! | list the provider may send as `null` | `null` or absent is empty | the list | [`null_as_default`] |
//!
//! A body whose *unneeded* fields are malformed still decodes: [`tolerant`] decodes what an
//! operation decides on strictly, and skips (with its raw JSON and the reason) any other field
//! that does not read; the models report them through a `skipped()` accessor.

pub mod number;
pub mod shape;
pub mod time;
pub mod tolerant;

pub use number::{decimal, int, text_or_number};
pub use time::{date, datetime, parse_date, parse_datetime, parse_timestamp};
pub use tolerant::{Skipped, Tolerant};

use serde::{Deserialize, Deserializer};

/// `null` or a missing field read as the type's default (an empty list, `false`), for lists
/// and flags a provider may send as `null` or leave out. Use with `#[serde(default,
/// deserialize_with = "rescind_core::wire::null_as_default")]`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Page {
///     #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
///     items: Vec<u32>,
/// }
/// let p: Page = serde_json::from_str(r#"{"items": null}"#).unwrap();
/// assert!(p.items.is_empty());
/// ```
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
