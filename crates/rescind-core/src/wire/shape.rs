//! Documented shapes of a provider's bodies, and a generator of bodies that follow them.
//!
//! A provider crate describes each answer as its documentation does (field names, types,
//! which are optional or nullable, enum values) in a [`Shape`]; [`generate`] writes a body
//! that the documentation allows, choosing from a seed: every optional field present or
//! absent (or `null` where nullable), numbers in every JSON spelling (`12590`, `12590.0`,
//! `1.259e4`), every documented date form, unknown enum values and unknown extra fields. The
//! conformance tests of each provider crate decode thousands of them; the simulator's tests
//! can check its answers against the same shapes with [`check`].

use serde_json::Value;

/// What a value may be, as a provider documents it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Shape {
    /// An object with these fields; unknown extra fields may be added.
    Object(Vec<Field>),
    /// A list of values of one shape.
    List(Box<Shape>),
    /// Any string.
    Text,
    /// A string from a list the provider may extend (an unknown value may be generated).
    Enum(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// An integer in `min..=max`, in any JSON spelling of an integral number.
    Integer {
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
    },
    /// A decimal number with at most `places` fraction digits, in any JSON spelling.
    Number {
        /// The most fraction digits.
        places: u32,
    },
    /// A number or a string holding one (Arta's dimensions).
    NumberOrText,
    /// A date: `YYYY-MM-DD`.
    Date,
    /// A date as `YYYY-MM-DD` or `YYYYMMDD` (Di's sources disagree; both are documented).
    DateOrCompact,
    /// One of several shapes (OpenAPI `oneOf`).
    OneOf(Vec<Shape>),
    /// A naive date-time (`2021-01-21T17:22:08.818747`), with or without fraction digits.
    NaiveDateTime,
    /// A date-time with an offset (`2017-07-15T00:00:00+02:00`).
    DateTimeOffset,
    /// Any JSON value (a field the documentation leaves open).
    Any,
}

/// Whether a field is always there and whether it may be `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Presence {
    /// Always present, never `null`.
    Required,
    /// Always present, may be `null`.
    RequiredNullable,
    /// May be absent, never `null` when present.
    Optional,
    /// May be absent or `null`.
    OptionalNullable,
}

/// One field of an [`Shape::Object`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Field {
    /// The JSON name.
    pub name: &'static str,
    /// Its shape.
    pub shape: Shape,
    /// Whether it is always there, and whether it may be `null`.
    pub presence: Presence,
}

impl Field {
    /// A field always present, never `null`.
    pub fn required(name: &'static str, shape: Shape) -> Field {
        Field {
            name,
            shape,
            presence: Presence::Required,
        }
    }

    /// A field always present that may be `null`.
    pub fn required_nullable(name: &'static str, shape: Shape) -> Field {
        Field {
            name,
            shape,
            presence: Presence::RequiredNullable,
        }
    }

    /// A field that may be absent, never `null`.
    pub fn optional(name: &'static str, shape: Shape) -> Field {
        Field {
            name,
            shape,
            presence: Presence::Optional,
        }
    }

    /// A field that may be absent or `null`.
    pub fn nullable(name: &'static str, shape: Shape) -> Field {
        Field {
            name,
            shape,
            presence: Presence::OptionalNullable,
        }
    }
}

impl Shape {
    /// A list of `shape`.
    pub fn list(shape: Shape) -> Shape {
        Shape::List(Box::new(shape))
    }
}

/// Whether `shape` documents the JSON path `path`, written as in
/// [`Tolerant::NEEDED`](super::Tolerant::NEEDED) (`order.items[].state`): a guard against a
/// misspelt needed path, which would protect nothing.
///
/// ```
/// use rescind_core::wire::shape::{Field, Shape, has_path};
/// let shape = Shape::Object(vec![Field::required(
///     "items",
///     Shape::list(Shape::Object(vec![Field::required("state", Shape::Text)])),
/// )]);
/// assert!(has_path(&shape, "items[].state"));
/// assert!(!has_path(&shape, "items[].status"));
/// ```
pub fn has_path(shape: &Shape, path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    match shape {
        Shape::List(item) => path
            .strip_prefix("[]")
            .is_some_and(|rest| has_path(item, rest.strip_prefix('.').unwrap_or(rest))),
        Shape::Object(fields) => {
            let end = path.find(['.', '[']).unwrap_or(path.len());
            let (name, rest) = path.split_at(end);
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            fields
                .iter()
                .any(|f| f.name == name && has_path(&f.shape, rest))
        }
        Shape::OneOf(shapes) => shapes.iter().any(|s| has_path(s, path)),
        _ => false,
    }
}

/// Writes a body of `shape` chosen by `seed`, as JSON text (so numbers keep the spelling
/// chosen: `12590.0` and `1.259e4` reach the decoder as written).
///
/// ```
/// use rescind_core::wire::shape::{Field, Shape, generate};
/// let shape = Shape::Object(vec![Field::required("id", Shape::Integer { min: 1, max: 99 })]);
/// for seed in 0..50 {
///     let body = generate(&shape, seed);
///     let v: serde_json::Value = serde_json::from_str(&body).unwrap();
///     assert!(v.get("id").is_some(), "{body}");
/// }
/// ```
pub fn generate(shape: &Shape, seed: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::new();
    write(shape, &mut rng, &mut out, 0);
    out
}

fn write(shape: &Shape, rng: &mut fastrand::Rng, out: &mut String, depth: usize) {
    match shape {
        Shape::Object(fields) => {
            out.push('{');
            let mut first = true;
            let mut entry = |out: &mut String, name: &str| {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&quote(name));
                out.push(':');
            };
            for field in fields {
                let (present, null) = match field.presence {
                    Presence::Required => (true, false),
                    Presence::RequiredNullable => (true, rng.u8(..4) == 0),
                    Presence::Optional => (rng.u8(..4) != 0, false),
                    Presence::OptionalNullable => (rng.u8(..4) != 0, rng.u8(..3) == 0),
                };
                if !present {
                    continue;
                }
                entry(out, field.name);
                if null {
                    out.push_str("null");
                } else {
                    write(&field.shape, rng, out, depth + 1);
                }
            }
            // Fields the documentation does not know (yet).
            for i in 0..rng.usize(..3) {
                entry(out, &format!("x_unknown_{i}_{}", rng.u16(..)));
                write(&Shape::Any, rng, out, depth + 1);
            }
            out.push('}');
        }
        Shape::List(item) => {
            out.push('[');
            let n = if depth > 6 { 0 } else { rng.usize(..4) };
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                write(item, rng, out, depth + 1);
            }
            out.push(']');
        }
        Shape::Text => out.push_str(&quote(&text(rng))),
        Shape::Enum(values) => {
            if values.is_empty() || rng.u8(..8) == 0 {
                out.push_str(&quote(&format!("NEW_value_{}", rng.u16(..))));
            } else {
                out.push_str(&quote(values[rng.usize(..values.len())]));
            }
        }
        Shape::Bool => out.push_str(if rng.bool() { "true" } else { "false" }),
        Shape::Integer { min, max } => {
            let n = rng.i64(*min..=*max);
            out.push_str(&integer(n, rng));
        }
        Shape::Number { places } => {
            let scale = rng.u32(..=*places);
            let mantissa = rng.i64(-10_000_000..=10_000_000);
            out.push_str(&decimal(mantissa, scale, rng));
        }
        Shape::NumberOrText => {
            let scale = rng.u32(..=2);
            let text = decimal(rng.i64(0..=100_000), scale, rng);
            if rng.bool() {
                out.push_str(&text);
            } else {
                out.push_str(&quote(&text));
            }
        }
        Shape::Date => out.push_str(&quote(&date(rng))),
        Shape::DateOrCompact => {
            let d = date(rng);
            out.push_str(&quote(&if rng.bool() { d.replace('-', "") } else { d }));
        }
        Shape::OneOf(shapes) => {
            if let Some(shape) = shapes.get(rng.usize(..shapes.len().max(1))) {
                write(shape, rng, out, depth);
            } else {
                out.push_str("null");
            }
        }
        Shape::NaiveDateTime => {
            let fraction = match rng.u8(..4) {
                0 => String::new(),
                1 => format!(".{:03}", rng.u32(..1000)),
                _ => format!(".{:06}", rng.u32(..1_000_000)),
            };
            out.push_str(&quote(&format!("{}T{}{fraction}", date(rng), time(rng))));
        }
        Shape::DateTimeOffset => {
            let offset = match rng.u8(..3) {
                0 => "Z".to_string(),
                _ => format!(
                    "{}{:02}:{}",
                    if rng.bool() { '+' } else { '-' },
                    rng.u8(..14),
                    ["00", "30"][rng.usize(..2)]
                ),
            };
            out.push_str(&quote(&format!("{}T{}{offset}", date(rng), time(rng))));
        }
        Shape::Any => match (depth > 4, rng.u8(..6)) {
            (_, 0) => out.push_str("null"),
            (_, 1) => out.push_str(&integer(rng.i64(..), rng)),
            (_, 2) => out.push_str(&quote(&text(rng))),
            (false, 3) => write(&Shape::list(Shape::Any), rng, out, depth + 1),
            (false, 4) => write(&Shape::Object(Vec::new()), rng, out, depth + 1),
            _ => out.push_str(if rng.bool() { "true" } else { "false" }),
        },
    }
}

/// An integer in one of the JSON spellings of an integral number.
fn integer(n: i64, rng: &mut fastrand::Rng) -> String {
    match rng.u8(..5) {
        // `12590.0`
        0 if n.unsigned_abs() < 1 << 53 => format!("{n}.0"),
        // `1.259e4` / `1.259E+4`: exact as long as the digits fit.
        1 if n != 0 => {
            let digits = n.unsigned_abs().to_string();
            let sign = if n < 0 { "-" } else { "" };
            let (head, tail) = digits.split_at(1);
            let tail = tail.trim_end_matches('0');
            let exp = digits.len() - 1;
            let e = if rng.bool() { "e" } else { "E+" };
            if tail.is_empty() {
                format!("{sign}{head}{e}{exp}")
            } else {
                format!("{sign}{head}.{tail}{e}{exp}")
            }
        }
        // `125900e-1`
        2 if n != 0 && n.unsigned_abs() < u64::MAX / 10 => format!("{n}0e-1"),
        _ => n.to_string(),
    }
}

/// `mantissa / 10^scale` in one of its JSON spellings.
fn decimal(mantissa: i64, scale: u32, rng: &mut fastrand::Rng) -> String {
    let sign = if mantissa < 0 { "-" } else { "" };
    let digits = mantissa.unsigned_abs().to_string();
    let plain = if scale == 0 {
        digits.clone()
    } else {
        let padded = format!("{digits:0>width$}", width = scale as usize + 1);
        let (int, frac) = padded.split_at(padded.len() - scale as usize);
        format!("{int}.{frac}")
    };
    match rng.u8(..4) {
        // Trailing zeros: `2.50`, `12590.0`.
        0 => {
            if plain.contains('.') {
                format!("{sign}{plain}0")
            } else {
                format!("{sign}{plain}.0")
            }
        }
        // Exponent: `12590e-3`, `1.259E+1`.
        1 => format!("{sign}{digits}e-{scale}"),
        2 if scale == 0 => format!("{sign}{digits}E+0"),
        _ => format!("{sign}{plain}"),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn text(rng: &mut fastrand::Rng) -> String {
    const WORDS: &[&str] = &[
        "Arta", "Skip Pay", "Oslo", "č", "\"q\"", "a\\b", "日本", "", " ",
    ];
    let mut s = String::new();
    for _ in 0..rng.usize(1..4) {
        s.push_str(WORDS[rng.usize(..WORDS.len())]);
    }
    s
}

fn date(rng: &mut fastrand::Rng) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        rng.u16(1990..=2040),
        rng.u8(1..=12),
        rng.u8(1..=28)
    )
}

fn time(rng: &mut fastrand::Rng) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        rng.u8(..24),
        rng.u8(..60),
        rng.u8(..60)
    )
}

/// Checks that `value` follows `shape`: every required field present, no `null` where the
/// field is not nullable, each value of its documented type (enum values may be unknown,
/// extra fields are allowed). Returns the paths that break it, with the reason. For a
/// simulator's answers: they must be bodies the documentation allows.
///
/// ```
/// use rescind_core::wire::shape::{Field, Shape, check};
/// let shape = Shape::Object(vec![
///     Field::required("id", Shape::Integer { min: 1, max: 99 }),
///     Field::optional("image", Shape::Text),
/// ]);
/// assert!(check(&shape, &serde_json::json!({"id": 7})).is_empty());
/// let broken = check(&shape, &serde_json::json!({"image": null}));
/// assert_eq!(broken.len(), 2, "{broken:?}");
/// ```
pub fn check(shape: &Shape, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_at(shape, value, "", &mut problems);
    problems
}

fn check_at(shape: &Shape, value: &Value, path: &str, problems: &mut Vec<String>) {
    let at = if path.is_empty() { "." } else { path };
    let mut wrong = |what: &str| problems.push(format!("{at}: expected {what}, got {value}"));
    match shape {
        Shape::Object(fields) => {
            let Some(map) = value.as_object() else {
                return wrong("an object");
            };
            for field in fields {
                let sub = if path.is_empty() {
                    field.name.to_string()
                } else {
                    format!("{path}.{}", field.name)
                };
                match (map.get(field.name), field.presence) {
                    (None, Presence::Required | Presence::RequiredNullable) => {
                        problems.push(format!("{sub}: missing (the documentation requires it)"));
                    }
                    (None, _) => {}
                    (Some(Value::Null), Presence::Required | Presence::Optional) => {
                        problems.push(format!("{sub}: null (the documentation does not allow it)"));
                    }
                    (Some(Value::Null), _) => {}
                    (Some(v), _) => check_at(&field.shape, v, &sub, problems),
                }
            }
        }
        Shape::List(item) => match value.as_array() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    check_at(item, v, &format!("{path}[{i}]"), problems);
                }
            }
            None => wrong("a list"),
        },
        Shape::Text | Shape::Enum(_) => {
            if !value.is_string() {
                wrong("a string");
            }
        }
        Shape::Bool => {
            if !value.is_boolean() {
                wrong("a boolean");
            }
        }
        Shape::Integer { min, max } => {
            // Past about 1e14 an f64 (what `Value` holds) may not tell a fraction: serde_json
            // parses a spelling such as `43888738283412300e-1` inexactly.
            let ok = value.as_f64().is_some_and(|f| {
                (f.fract() == 0.0 || f.abs() >= 1e14) && f >= *min as f64 && f <= *max as f64
            });
            if !ok {
                wrong(&format!("an integer in {min}..={max}"));
            }
        }
        Shape::Number { .. } => {
            if !value.is_number() {
                wrong("a number");
            }
        }
        Shape::NumberOrText => {
            if !(value.is_number() || value.is_string()) {
                wrong("a number or a string");
            }
        }
        Shape::Date => {
            if !value
                .as_str()
                .is_some_and(|s| s.len() == 10 && super::parse_date(s).is_some())
            {
                wrong("a date (YYYY-MM-DD)");
            }
        }
        Shape::DateOrCompact => {
            if !value
                .as_str()
                .is_some_and(|s| matches!(s.len(), 8 | 10) && super::parse_date(s).is_some())
            {
                wrong("a date (YYYY-MM-DD or YYYYMMDD)");
            }
        }
        Shape::OneOf(shapes) => {
            if !shapes.iter().any(|s| check(s, value).is_empty()) {
                wrong("one of the documented shapes");
            }
        }
        Shape::NaiveDateTime | Shape::DateTimeOffset => {
            if !value
                .as_str()
                .is_some_and(|s| s.len() > 10 && super::parse_datetime(s).is_some())
            {
                wrong("a date-time");
            }
        }
        Shape::Any => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Shape {
        Shape::Object(vec![
            Field::required(
                "i",
                Shape::Integer {
                    min: -5,
                    max: i64::MAX / 100,
                },
            ),
            Field::required("n", Shape::Number { places: 3 }),
            Field::required("d", Shape::Date),
            Field::required("t", Shape::NaiveDateTime),
            Field::required("o", Shape::DateTimeOffset),
            Field::optional("e", Shape::Enum(&["A", "B"])),
            Field::nullable("l", Shape::list(Shape::NumberOrText)),
            Field::required_nullable("b", Shape::Bool),
        ])
    }

    #[test]
    fn generated_bodies_are_json_that_follows_the_shape() {
        let shape = all_kinds();
        for seed in 0..500 {
            let body = generate(&shape, seed);
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            assert!(
                check(&shape, &v).is_empty(),
                "{body}: {:?}",
                check(&shape, &v)
            );
        }
    }

    #[test]
    fn numbers_come_in_every_spelling() {
        let shape = Shape::Integer {
            min: 10,
            max: 99_999,
        };
        let bodies: Vec<String> = (0..200).map(|s| generate(&shape, s)).collect();
        assert!(bodies.iter().any(|b| b.ends_with(".0")));
        assert!(bodies.iter().any(|b| b.contains(['e', 'E'])));
        assert!(bodies.iter().any(|b| b.bytes().all(|c| c.is_ascii_digit())));
    }
}

#[cfg(test)]
mod spelling_tests {
    use super::*;

    #[test]
    fn every_spelling_is_json() {
        for shape in [
            Shape::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
            Shape::Integer { min: -2, max: 2 },
            Shape::Number { places: 3 },
            Shape::NumberOrText,
            Shape::Any,
        ] {
            for seed in 0..20_000 {
                let text = generate(&shape, seed);
                assert!(
                    serde_json::from_str::<Value>(&text).is_ok(),
                    "{shape:?} {seed}: {text}"
                );
            }
        }
    }
}
