//! A field the operation does not need never blocks it.
//!
//! A read before a cancel decides on a few fields (a status, the items and their states). A
//! malformed value anywhere else in the body (a price as an object, a URL as a number, a date
//! nobody can read) must not turn the cancel into a failure. [`decode`] reads a body strictly
//! first; if that fails, it removes the field that failed, unless the operation needs it or
//! something inside it, records it as [`Skipped`] (its path, the reason and its raw JSON), and
//! tries again. A failure in a needed field is the usual decode error naming its path.
//!
//! What is removed is the smallest *named* field around the failure: a field of an object, or
//! a whole list when one of its elements fails (a list is never shortened, so no index moves).
//! The field then reads as absent, so the models declare every field that no decision needs as
//! optional (or defaulted).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_path_to_error::Segment;

use crate::{Error, ErrorKind, HttpResponse, Provider, Sent};

/// A field that did not read and was skipped: the model reads it as absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// Its JSON path in the body (`order.items[0].image`, `tags`).
    pub path: String,
    /// Why it did not read (the decoder's message, about the innermost failing value).
    pub message: String,
    /// The field's value as it came, as JSON text.
    pub raw: String,
}

/// A response model decoded with [`decode`]: it names what its operations decide on and keeps
/// what was skipped.
pub trait Tolerant: DeserializeOwned {
    /// The JSON paths its operations decide on, with `[]` for every element of a list
    /// (`"status"`, `"order.items[].state"`). A malformed value at one of them, or at an object
    /// or list holding one, fails the decode.
    const NEEDED: &'static [&'static str];

    /// Keeps what was skipped, for the model's `skipped()` accessor.
    fn set_skipped(&mut self, skipped: Vec<Skipped>);
}

/// At most this many fields are skipped before the body is given up on.
const MAX_SKIPPED: usize = 256;

/// Decodes `bytes` into `T`, skipping malformed fields that [`Tolerant::NEEDED`] does not
/// name; what was skipped is handed to [`Tolerant::set_skipped`].
///
/// ```
/// use rescind_core::wire::{Skipped, Tolerant, tolerant};
/// #[derive(serde::Deserialize)]
/// struct Session {
///     status: String,
///     #[serde(default)]
///     url: Option<String>,
///     #[serde(skip)]
///     skipped: Vec<Skipped>,
/// }
/// impl Tolerant for Session {
///     const NEEDED: &'static [&'static str] = &["status"];
///     fn set_skipped(&mut self, skipped: Vec<Skipped>) { self.skipped = skipped; }
/// }
/// let s: Session = tolerant::decode(br#"{"status": "new", "url": 42}"#).unwrap();
/// assert_eq!(s.status, "new");
/// assert_eq!(s.url, None);
/// assert_eq!(s.skipped[0].path, "url");
/// assert_eq!(s.skipped[0].raw, "42");
/// let err = tolerant::decode::<Session>(br#"{"status": 7}"#).err().unwrap();
/// assert_eq!(err.json_path(), Some("status"));
/// ```
pub fn decode<T: Tolerant>(bytes: &[u8]) -> Result<T, Error> {
    let (mut value, skipped) = decode_with::<T>(bytes, T::NEEDED)?;
    if !skipped.is_empty() {
        value.set_skipped(skipped);
    }
    Ok(value)
}

/// [`decode`] for any type, with the needed paths given: the value and what was skipped.
pub fn decode_with<T: DeserializeOwned>(
    bytes: &[u8],
    needed: &[&str],
) -> Result<(T, Vec<Skipped>), Error> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok((value, Vec::new()));
    }
    // Not JSON at all: the usual error, with its message about the body.
    let original = match std::str::from_utf8(bytes) {
        Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => text,
        _ => return crate::decode::json::<T>(bytes).map(|v| (v, Vec::new())),
    };
    // The body is edited as text (each value kept as its raw text), so numbers are read from
    // their own spelling on every attempt, never through an f64.
    let mut body = original.to_string();
    let mut skipped: Vec<Skipped> = Vec::new();
    loop {
        let de = &mut serde_json::Deserializer::from_str(&body);
        let err = match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(value) => return Ok((value, skipped)),
            Err(err) => err,
        };
        let segments: Vec<Segment> = err.path().iter().cloned().collect();
        let mut message = err.inner().to_string();
        if !skipped.is_empty() {
            // The position is in the edited body: leave it out.
            message = without_position(&message);
        }
        let path = err.path().to_string();
        let target = removable(&segments, needed).filter(|_| skipped.len() < MAX_SKIPPED);
        let Some(target) = target else {
            let error = Error::new(ErrorKind::Decode, Sent::Answered, message);
            return Err(if path == "." {
                error
            } else {
                error.with_json_path(path)
            });
        };
        let Some(edited) = remove(&body, &segments[..target]) else {
            let error = Error::new(ErrorKind::Decode, Sent::Answered, message);
            return Err(error.with_json_path(path));
        };
        body = edited;
        // Lists are never shortened, so the path names the same value in the original body.
        let raw = lookup(original, &segments[..target]).unwrap_or_default();
        let at = display(&segments[..target]);
        // A field emptied by an earlier skip failed as a whole (a required part is now
        // missing): one entry for it, with the reason about the value that did not read.
        let inner = skipped.iter().position(|s| {
            s.path
                .strip_prefix(at.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        let message = match inner {
            Some(i) => skipped[i].message.clone(),
            None => message,
        };
        skipped.retain(|s| {
            !s.path
                .strip_prefix(at.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        skipped.push(Skipped {
            path: at,
            message,
            raw,
        });
    }
}

/// How many leading segments name the field to remove for a failure at `segments`: the
/// innermost object field around it that is outside a list element's index, and neither needed
/// nor holding something needed. `None` when there is none.
fn removable(segments: &[Segment], needed: &[&str]) -> Option<usize> {
    // Climb out of list indexes: a list is removed whole.
    let mut end = segments.len();
    while end > 0 && matches!(segments[end - 1], Segment::Seq { .. }) {
        end -= 1;
    }
    if end == 0 || !matches!(segments[end - 1], Segment::Map { .. }) {
        return None;
    }
    if segments[..end]
        .iter()
        .any(|s| matches!(s, Segment::Unknown | Segment::Enum { .. }))
    {
        return None;
    }
    let pattern = pattern(&segments[..end]);
    let blocked = needed.iter().any(|n| {
        *n == pattern
            || n.strip_prefix(pattern.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    });
    (!blocked).then_some(end)
}

/// `order.items[].state` for `order.items[3].state`.
fn pattern(segments: &[Segment]) -> String {
    join(segments, false)
}

/// `order.items[3].state`.
fn display(segments: &[Segment]) -> String {
    join(segments, true)
}

/// The path of `segments`, with each list index (`[3]`) or without (`[]`).
fn join(segments: &[Segment], indexes: bool) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Seq { index } if indexes => out.push_str(&format!("[{index}]")),
            Segment::Seq { .. } => out.push_str("[]"),
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

/// `body` without the field at `segments` (its last segment is a key). Every other value keeps
/// its raw text.
fn remove(body: &str, segments: &[Segment]) -> Option<String> {
    match segments.split_first()? {
        (Segment::Map { key }, rest) => {
            let mut map: Vec<(String, Box<RawValue>)> = members(body)?;
            let at = map.iter().position(|(k, _)| k == key)?;
            if rest.is_empty() {
                map.remove(at);
            } else {
                let edited = remove(map[at].1.get(), rest)?;
                map[at].1 = RawValue::from_string(edited).ok()?;
            }
            let mut out = String::from("{");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).ok()?);
                out.push(':');
                out.push_str(v.get());
            }
            out.push('}');
            Some(out)
        }
        (Segment::Seq { index }, rest) if !rest.is_empty() => {
            let mut items: Vec<Box<RawValue>> = serde_json::from_str(body).ok()?;
            let edited = remove(items.get(*index)?.get(), rest)?;
            items[*index] = RawValue::from_string(edited).ok()?;
            serde_json::to_string(&items).ok()
        }
        _ => None,
    }
}

/// The members of a JSON object in their order, values as raw text.
fn members(body: &str) -> Option<Vec<(String, Box<RawValue>)>> {
    struct Members(Vec<(String, Box<RawValue>)>);
    impl<'de> serde::Deserialize<'de> for Members {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Members;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Members, A::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                        out.push(entry);
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Members>(body).ok().map(|m| m.0)
}

/// `message` without serde_json's ` at line L column C`.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i)
            if message[i + " at line ".len()..]
                .split(" column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            message[..i].to_string()
        }
        _ => message.to_string(),
    }
}

/// The raw text of the value at `segments`, if any.
fn lookup(body: &str, segments: &[Segment]) -> Option<String> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(body.to_string());
    };
    let child = match first {
        Segment::Map { key } => members(body)?.into_iter().find(|(k, _)| k == key)?.1,
        Segment::Seq { index } => {
            let mut items: Vec<Box<RawValue>> = serde_json::from_str(body).ok()?;
            if *index >= items.len() {
                return None;
            }
            items.swap_remove(*index)
        }
        _ => return None,
    };
    lookup(child.get(), rest)
}

/// [`decode`] of a provider's answer, with the provider, operation, status and request id on a
/// decode error (as [`crate::decode::response`]).
pub fn response<T: Tolerant>(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Result<T, Error> {
    decode(&response.body)
        .map_err(|err| crate::decode::in_context(err, response, provider, operation))
}

/// [`response`] for the answer of a change: a 2xx whose needed fields cannot be read is an
/// accepted change whose answer was garbled, [`Sent::MaybeSent`] (as
/// [`crate::decode::change_response`]).
pub fn change_response<T: Tolerant>(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Result<T, Error> {
    crate::decode::not_an_object(response, provider, operation)?;
    self::response(response, provider, operation)
        .map_err(|err| crate::decode::unreadable_change(err, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Order {
        state: String,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        total: Option<Money>,
        #[serde(default)]
        tags: Option<Vec<Tag>>,
        #[serde(skip)]
        skipped: Vec<Skipped>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Item {
        state: String,
        #[serde(default)]
        image: Option<String>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Money {
        amount: u32,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Tag {
        id: String,
    }

    impl Tolerant for Order {
        const NEEDED: &'static [&'static str] = &["state", "items[].state"];
        fn set_skipped(&mut self, skipped: Vec<Skipped>) {
            self.skipped = skipped;
        }
    }

    #[test]
    fn unneeded_fields_are_skipped_and_reported() {
        let body = br#"{"state":"open","items":[{"state":"a","image":7},{"state":"b","image":"x"}],
            "total":{"amount":"lots"},"tags":[{"id":"t"},{"name":"no id"}]}"#;
        let order: Order = decode(body).unwrap();
        assert_eq!(order.state, "open");
        assert_eq!(order.items.len(), 2);
        assert_eq!(order.items[0].image, None);
        assert_eq!(order.items[1].image.as_deref(), Some("x"));
        assert_eq!(order.total, None);
        assert_eq!(order.tags, None);
        let mut paths: Vec<&str> = order.skipped.iter().map(|s| s.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["items[0].image", "tags", "total"]);
        let total = order.skipped.iter().find(|s| s.path == "total").unwrap();
        assert_eq!(total.raw, r#"{"amount":"lots"}"#);
        assert!(total.message.contains("lots"), "{total:?}");
    }

    #[test]
    fn needed_fields_still_fail_with_their_path() {
        for (body, path) in [
            (r#"{"state":1}"#, Some("state")),
            (
                r#"{"state":"a","items":[{"state":2}]}"#,
                Some("items[0].state"),
            ),
            (r#"{"state":"a","items":{"x":1}}"#, Some("items")),
            (r#"{"state":"a","items":[{"image":"x"}]}"#, Some("items[0]")),
            (r#"{"items":[]}"#, None),
            ("7", None),
        ] {
            let err = decode::<Order>(body.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
            assert_eq!(err.json_path(), path, "{body}");
        }
        let err = decode::<Order>(b"<html>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
    }

    #[test]
    fn numbers_keep_their_spelling_when_a_field_is_skipped() {
        #[derive(serde::Deserialize)]
        struct Priced {
            #[serde(with = "crate::wire::decimal")]
            price: rust_decimal::Decimal,
            #[serde(default)]
            note: Option<String>,
            #[serde(default)]
            items: Vec<Priced>,
        }
        let body = br#"{"note": 5, "price": 1234567890.123456789012345678,
            "items": [{"price": 0.1000000000000000055511151231, "note": []}]}"#;
        let (p, skipped) = decode_with::<Priced>(body, &["price", "items[].price"]).unwrap();
        assert_eq!(p.price.to_string(), "1234567890.123456789012345678");
        assert_eq!(
            p.items[0].price.to_string(),
            "0.1000000000000000055511151231"
        );
        assert_eq!(p.note, None);
        let paths: Vec<&str> = skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["note", "items[0].note"]);
        assert_eq!(skipped[1].raw, "[]");
        assert!(!skipped[1].message.contains("line"), "{:?}", skipped[1]);
    }

    #[test]
    fn a_clean_body_skips_nothing() {
        let order: Order = decode(br#"{"state":"a","total":{"amount":5}}"#).unwrap();
        assert!(order.skipped.is_empty());
        assert_eq!(order.total, Some(Money { amount: 5 }));
    }

    #[test]
    fn an_accepted_change_with_an_unreadable_needed_field_may_have_been_applied() {
        let resp = HttpResponse::new(200, r#"{"state":null}"#);
        let err = change_response::<Order>(&resp, Provider::SkipPay, "cancel").unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent);
        assert_eq!(err.json_path(), Some("state"));
        let ok = change_response::<Order>(
            &HttpResponse::new(200, r#"{"state":"x","total":1}"#),
            Provider::SkipPay,
            "cancel",
        )
        .unwrap();
        assert_eq!(ok.skipped.len(), 1);
    }
}
