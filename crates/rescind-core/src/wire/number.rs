//! Numbers: integers and decimals read from every JSON form of a number, exactly.
//!
//! When a body is read from its text (the usual case: [`crate::decode`] and
//! [`tolerant`](super::tolerant) both start from the bytes), a number's own text is read, so
//! `0.1`, `12590.0` and `12345678901234567.89` reach the [`Decimal`] digit for digit. Where a
//! value was already buffered by serde (inside `#[serde(flatten)]` or untagged enums) a float
//! arrives as an `f64` and is read from its shortest exact text (`0.1` stays `0.1`; digits past
//! the 17th that an `f64` cannot hold are lost there, and only there).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// serde_json's marker for a raw value: asking a serde_json deserializer for it gives the
/// value's text. Other deserializers ignore the name and give the value itself.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Parses the text of a number (`12590`, `-0.5`, `1.259e4`, ` 2.50 `). `None` when it is not one
/// or does not fit a [`Decimal`] (28 significant digits, magnitude below 7.9e28).
///
/// ```
/// use rescind_core::rust_decimal::Decimal;
/// assert_eq!(rescind_core::wire::number::parse_decimal("1.259e4"), Some(Decimal::from(12590)));
/// assert_eq!(rescind_core::wire::number::parse_decimal("x"), None);
/// ```
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.is_empty() || !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'e' | b'E' | b'+'))
    {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str(text).ok()
    }
}

/// What was read: a number, or something else (named for the error).
enum Read {
    Number(Decimal),
    Text(String),
}

struct NumberVisitor {
    /// Whether a string holding a number is read (numbers only when false).
    strings: bool,
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Read, E> {
        Ok(Read::Number(Decimal::from(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Read, E> {
        Ok(Read::Number(Decimal::from(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Read, E> {
        Decimal::from_u128(v)
            .map(Read::Number)
            .ok_or_else(|| E::custom(format!("the number {v} is out of range")))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Read, E> {
        Decimal::from_i128(v)
            .map(Read::Number)
            .ok_or_else(|| E::custom(format!("the number {v} is out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Read, E> {
        if !v.is_finite() {
            return Err(E::invalid_value(Unexpected::Float(v), &self));
        }
        // `Display` of an f64 is its shortest exact text, without an exponent.
        let text = v.to_string();
        parse_decimal(&text)
            .map(Read::Number)
            .ok_or_else(|| E::custom(format!("the number {text} is out of range")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Read, E> {
        if self.strings {
            Ok(Read::Text(v.to_owned()))
        } else {
            Err(E::invalid_type(Unexpected::Str(v), &self))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        // serde_json answers `RAW_TOKEN` with a one-entry map: the marker, then the text.
        match map.next_key::<IsRawKey>()? {
            Some(IsRawKey(true)) => {
                let raw: RawText<'de> = map.next_value()?;
                read_raw(raw.as_str(), self)
            }
            _ => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Read, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Read, E> {
        Err(E::invalid_type(Unexpected::Bool(v), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Read, E> {
        Err(E::invalid_type(Unexpected::Unit, &self))
    }
}

/// Whether a map key is serde_json's raw-value marker (read without allocating).
struct IsRawKey(bool);

impl<'de> Deserialize<'de> for IsRawKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IsRawKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IsRawKey, E> {
                Ok(IsRawKey(v == RAW_TOKEN))
            }
        }
        d.deserialize_str(V)
    }
}

/// A raw value's text: borrowed from the body when serde_json reads it from a slice (no
/// allocation per number), owned otherwise.
enum RawText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl RawText<'_> {
    fn as_str(&self) -> &str {
        match self {
            RawText::Borrowed(s) => s,
            RawText::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for RawText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a raw JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<RawText<'de>, E> {
                Ok(RawText::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText<'de>, E> {
                Ok(RawText::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawText<'de>, E> {
                Ok(RawText::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a raw JSON value's text: a number, or a string when allowed.
fn read_raw<E: de::Error>(raw: &str, visitor: NumberVisitor) -> Result<Read, E> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        Some(b'"') => {
            let s: String = serde_json::from_str(raw).map_err(E::custom)?;
            visitor.visit_str(&s)
        }
        Some(b'-' | b'0'..=b'9') => parse_decimal(raw)
            .map(Read::Number)
            .ok_or_else(|| E::custom(format!("the number {raw} is out of range"))),
        Some(b'{') => Err(E::invalid_type(Unexpected::Map, &visitor)),
        Some(b'[') => Err(E::invalid_type(Unexpected::Seq, &visitor)),
        Some(b't') => Err(E::invalid_type(Unexpected::Bool(true), &visitor)),
        Some(b'f') => Err(E::invalid_type(Unexpected::Bool(false), &visitor)),
        _ => Err(E::invalid_type(Unexpected::Unit, &visitor)),
    }
}

fn read<'de, D: Deserializer<'de>>(d: D, strings: bool) -> Result<Read, D::Error> {
    d.deserialize_newtype_struct(RAW_TOKEN, NumberVisitor { strings })
}

/// Reads a decimal from a number or a string holding one.
fn read_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match read(d, true)? {
        Read::Number(n) => Ok(n),
        Read::Text(s) => parse_decimal(&s)
            .ok_or_else(|| de::Error::custom(format!("expected a number, got the string {s:?}"))),
    }
}

/// Writes `value` as a JSON number whose text is the decimal's normalized text (`2.50` is
/// `2.5`), never through `f64`.
fn write_decimal<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let raw =
        RawValue::from_string(value.normalize().to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

/// A `number` field as a [`Decimal`]: reads any JSON number or a string holding one (see the
/// [module](self)), writes a JSON number with the exact text. `#[serde(with =
/// "rescind_core::wire::decimal")]`.
///
/// ```
/// use rescind_core::rust_decimal::Decimal;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Amount {
///     #[serde(with = "rescind_core::wire::decimal")]
///     amount: Decimal,
/// }
/// for body in [r#"{"amount":12590}"#, r#"{"amount":12590.0}"#, r#"{"amount":1.259e4}"#, r#"{"amount":"12590"}"#] {
///     let a: Amount = serde_json::from_str(body).unwrap();
///     assert_eq!(a.amount, Decimal::from(12590));
///     assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"amount":12590}"#);
/// }
/// let a: Amount = serde_json::from_str(r#"{"amount":0.1}"#).unwrap();
/// assert_eq!(a.amount, Decimal::new(1, 1));
/// ```
pub mod decimal {
    use super::*;

    /// Writes a JSON number with the decimal's exact (normalized) text.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        write_decimal(value, serializer)
    }

    /// Reads a decimal from any JSON number or a string holding one.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        read_decimal(deserializer)
    }

    /// The same for `Option<Decimal>`: `null` or absent (with `#[serde(default)]`) is `None`,
    /// and `None` is written as `null` (skip it with `skip_serializing_if`).
    pub mod option {
        use super::*;

        /// Writes `Some` as a JSON number, `None` as `null`.
        pub fn serialize<S: Serializer>(
            value: &Option<Decimal>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => write_decimal(v, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads a decimal or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            Ok(Option::<Dec>::deserialize(deserializer)?.map(|d| d.0))
        }
    }

    /// Reads the decimal, keeping the type's own writer (Arta writes money as a string):
    /// `#[serde(deserialize_with = "rescind_core::wire::decimal::read")]`.
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        read_decimal(deserializer)
    }

    /// [`read`] for `Option<Decimal>` (`null` is `None`).
    pub fn read_option<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        option::deserialize(deserializer)
    }
}

struct Dec(Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_decimal(d).map(Dec)
    }
}

/// An integer type [`int`] can read.
pub trait Integer: Sized + Serialize {
    /// The value, if `n` is in range (it is integral).
    fn from_i128(n: i128) -> Option<Self>;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Integer for $t {
            fn from_i128(n: i128) -> Option<Self> {
                <$t>::try_from(n).ok()
            }
        }
    )*};
}
integer!(i16, i32, i64, u16, u32, u64);

fn read_int<'de, D: Deserializer<'de>, T: Integer>(d: D) -> Result<T, D::Error> {
    let n = match read(d, true)? {
        Read::Number(n) => n,
        Read::Text(s) => parse_decimal(&s).ok_or_else(|| {
            de::Error::custom(format!("expected an integer, got the string {s:?}"))
        })?,
    };
    if !n.fract().is_zero() {
        return Err(de::Error::custom(format!(
            "expected an integer, got {n}, which has a fraction"
        )));
    }
    n.trunc()
        .to_i128()
        .and_then(T::from_i128)
        .ok_or_else(|| de::Error::custom(format!("the integer {n} is out of range")))
}

struct IntOf<T>(T);

impl<'de, T: Integer> Deserialize<'de> for IntOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_int(d).map(IntOf)
    }
}

/// An integer field (`int64` ids, counts): reads an integral value in any JSON form (`12590`,
/// `12590.0`, `1.259e4`, `"12590"`); a fraction or a value out of the type's range is a decode
/// error (its path named by [`crate::decode`]). Writes a JSON integer. `#[serde(with =
/// "rescind_core::wire::int")]`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Session {
///     #[serde(with = "rescind_core::wire::int")]
///     id: u64,
/// }
/// for body in [r#"{"id":42}"#, r#"{"id":42.0}"#, r#"{"id":4.2e1}"#, r#"{"id":"42"}"#] {
///     assert_eq!(serde_json::from_str::<Session>(body).unwrap().id, 42);
/// }
/// let err = rescind_core::decode::json::<Session>(br#"{"id":4.5}"#).err().unwrap();
/// assert_eq!(err.json_path(), Some("id"));
/// assert!(err.message().contains("fraction"), "{err}");
/// ```
pub mod int {
    use super::*;

    /// Writes the integer.
    pub fn serialize<S: Serializer, T: Integer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    /// Reads an integer from any integral JSON number or a string holding one.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Integer>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        read_int(deserializer)
    }

    /// The same for `Option<_>`: `null` or absent (with `#[serde(default)]`) is `None`.
    pub mod option {
        use super::*;

        /// Writes `Some` as an integer, `None` as `null`.
        pub fn serialize<S: Serializer, T: Integer>(
            value: &Option<T>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            value.serialize(serializer)
        }

        /// Reads an integer or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>, T: Integer>(
            deserializer: D,
        ) -> Result<Option<T>, D::Error> {
            Ok(Option::<IntOf<T>>::deserialize(deserializer)?.map(|i| i.0))
        }
    }
}

/// A value documented as "number or string" (Arta's object dimensions and weight: its official
/// client allows both), kept as text: a number is kept as its own text (`2` is `"2"`, `2.50`
/// is `"2.50"` when read from a body's text). Writes a string. `null` or absent is `None`.
/// `#[serde(default, with = "rescind_core::wire::text_or_number")]` on an `Option<String>`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Object {
///     #[serde(default, with = "rescind_core::wire::text_or_number")]
///     depth: Option<String>,
/// }
/// let o: Object = serde_json::from_str(r#"{"depth": 2}"#).unwrap();
/// assert_eq!(o.depth.as_deref(), Some("2"));
/// let o: Object = serde_json::from_str(r#"{"depth": "2"}"#).unwrap();
/// assert_eq!(o.depth.as_deref(), Some("2"));
/// ```
pub mod text_or_number {
    use super::*;

    /// Writes the text as a string, `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    /// Reads a string, a number (as its text) or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        Ok(Option::<TextOrNumber>::deserialize(deserializer)?.map(|t| t.0))
    }
}

struct TextOrNumber(String);

impl<'de> Deserialize<'de> for TextOrNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keep;
        impl<'de> Visitor<'de> for Keep {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
                if v.is_finite() {
                    Ok(v.to_string())
                } else {
                    Err(E::invalid_value(Unexpected::Float(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
                match map.next_key::<IsRawKey>()? {
                    Some(IsRawKey(true)) => {
                        let raw: RawText<'de> = map.next_value()?;
                        let raw = raw.as_str().trim();
                        match raw.as_bytes().first() {
                            Some(b'"') => serde_json::from_str(raw).map_err(de::Error::custom),
                            Some(b'-' | b'0'..=b'9') => Ok(raw.to_owned()),
                            _ => Err(de::Error::invalid_value(Unexpected::Other(raw), &self)),
                        }
                    }
                    _ => Err(de::Error::invalid_type(Unexpected::Map, &self)),
                }
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_newtype_struct(RAW_TOKEN, Keep)
            .map(TextOrNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct D {
        #[serde(with = "decimal")]
        d: Decimal,
        #[serde(
            default,
            with = "decimal::option",
            skip_serializing_if = "Option::is_none"
        )]
        o: Option<Decimal>,
    }

    #[derive(Debug, Deserialize)]
    struct I {
        #[serde(with = "int")]
        i: i64,
        #[serde(default, with = "int::option")]
        u: Option<u32>,
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals_read_every_form_exactly() {
        for (body, want) in [
            (r#"{"d":12590}"#, "12590"),
            (r#"{"d":12590.0}"#, "12590"),
            (r#"{"d":1.259e4}"#, "12590"),
            (r#"{"d":1.259E+4}"#, "12590"),
            (r#"{"d":"12590.0"}"#, "12590"),
            (r#"{"d":0.1}"#, "0.1"),
            (r#"{"d":-2.5}"#, "-2.5"),
            (r#"{"d":12345678901234567.89}"#, "12345678901234567.89"),
            (
                r#"{"d":0.123456789012345678901}"#,
                "0.123456789012345678901",
            ),
        ] {
            let d: D = serde_json::from_str(body).unwrap();
            assert_eq!(d.d, dec(want), "{body}");
            // The same through a serde_json::Value (the tolerant decoder's retry path), where
            // a float is an f64: exact up to 15 significant digits.
            if want.len() <= 15 {
                let v: serde_json::Value = serde_json::from_str(body).unwrap();
                let d: D = serde_json::from_value(v).unwrap();
                assert_eq!(d.d, dec(want), "{body} via Value");
            }
        }
    }

    #[test]
    fn decimals_are_written_as_numbers_with_their_text() {
        let d = D {
            d: dec("2.50"),
            o: Some(dec("12345678901234.567")),
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"d":2.5,"o":12345678901234.567}"#
        );
    }

    #[test]
    fn optional_decimals_read_null_and_absence() {
        let d: D = serde_json::from_str(r#"{"d":1,"o":null}"#).unwrap();
        assert_eq!(d.o, None);
        let d: D = serde_json::from_str(r#"{"d":1}"#).unwrap();
        assert_eq!(d.o, None);
        let d: D = serde_json::from_str(r#"{"d":1,"o":0.5}"#).unwrap();
        assert_eq!(d.o, Some(dec("0.5")));
    }

    #[test]
    fn non_numbers_are_refused() {
        for body in [
            r#"{"d":"x"}"#,
            r#"{"d":""}"#,
            r#"{"d":true}"#,
            r#"{"d":null}"#,
            r#"{"d":{}}"#,
            r#"{"d":[1]}"#,
            r#"{"d":1e40}"#,
        ] {
            assert!(serde_json::from_str::<D>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn integers_read_every_integral_form() {
        for body in [
            r#"{"i":12590}"#,
            r#"{"i":12590.0}"#,
            r#"{"i":1.259e4}"#,
            r#"{"i":"12590"}"#,
            r#"{"i":125900e-1}"#,
        ] {
            let v: I = serde_json::from_str(body).unwrap();
            assert_eq!(v.i, 12590, "{body}");
        }
        let v: I = serde_json::from_str(r#"{"i":-1,"u":7.0}"#).unwrap();
        assert_eq!((v.i, v.u), (-1, Some(7)));
        let v: I = serde_json::from_str(r#"{"i":9223372036854775807}"#).unwrap();
        assert_eq!(v.i, i64::MAX);
    }

    #[test]
    fn fractions_and_out_of_range_integers_name_the_path() {
        for (body, path, words) in [
            (r#"{"i":12.5}"#, "i", "fraction"),
            (r#"{"i":1,"u":-1}"#, "u", "out of range"),
            (r#"{"i":1,"u":4294967296}"#, "u", "out of range"),
            (r#"{"i":9223372036854775808}"#, "i", "out of range"),
            (r#"{"i":"1.5"}"#, "i", "fraction"),
        ] {
            let err = crate::decode::json::<I>(body.as_bytes()).unwrap_err();
            assert_eq!(err.json_path(), Some(path), "{body}");
            assert!(err.message().contains(words), "{body}: {err}");
        }
    }

    #[test]
    fn numbers_read_inside_flattened_structs() {
        // `#[serde(flatten)]` buffers values: the decimal arrives as an f64.
        #[derive(Deserialize)]
        struct Outer {
            #[serde(flatten)]
            inner: D,
            #[serde(flatten)]
            _rest: serde_json::Map<String, serde_json::Value>,
        }
        let o: Outer = serde_json::from_str(r#"{"d":12590.0,"x":1}"#).unwrap();
        assert_eq!(o.inner.d, Decimal::from(12590));
    }

    #[test]
    fn text_or_number_keeps_the_text() {
        #[derive(Deserialize)]
        struct O {
            #[serde(default, with = "text_or_number")]
            depth: Option<String>,
        }
        for (body, want) in [
            (r#"{"depth":2}"#, Some("2")),
            (r#"{"depth":"2"}"#, Some("2")),
            (r#"{"depth":2.50}"#, Some("2.50")),
            (r#"{"depth":null}"#, None),
            (r#"{}"#, None),
        ] {
            let o: O = serde_json::from_str(body).unwrap();
            assert_eq!(o.depth.as_deref(), want, "{body}");
        }
        assert!(serde_json::from_str::<O>(r#"{"depth":true}"#).is_err());
        assert!(serde_json::from_str::<O>(r#"{"depth":{}}"#).is_err());
    }
}
