//! Arta's error bodies, read in every documented shape and mapped into the core [`Error`].
//!
//! Arta answers an error with `{"errors": ...}` in one of three shapes:
//!
//! | shape | example | where documented |
//! |---|---|---|
//! | detail | `{"errors": {"detail": "Not Found"}}` | 400, 404, 422 of most operations |
//! | fields | `{"errors": {"location/close_time": ["must be ..."], "#": ["..."]}}` | 422 (self ship); `#` is the request as a whole |
//! | list | `{"errors": ["service.declared_value is required"]}` | 400, 422 (self ship) |
//!
//! A field's value may be one string or a list of strings. Anything else (HTML from a proxy,
//! an empty body, JSON of another shape) still becomes an error of the status's kind, with
//! the raw body kept (capped) on the [`Error`]. The kind comes from the status
//! ([`ErrorKind::from_status`](rescind_core::ErrorKind::from_status)): 400 and 422 are invalid
//! input, 401 unauthorized, 403 forbidden, 404 not found, 429 rate limited, 5xx server.
//! Arta sends no error codes, so [`Error::code`] stays empty.

use rescind_core::{Error, ErrorDetail, HttpResponse, Provider};
use serde::Serialize;
use serde_json::Value;

/// Which of Arta's shapes an error body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ErrorShape {
    /// `{"errors": {"detail": "..."}}`.
    Detail,
    /// `{"errors": {"<field path>": ["..."], "#": ["..."]}}`.
    Fields,
    /// `{"errors": ["..."]}` (or a bare string).
    List,
}

/// One message of an error body, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorEntry {
    /// The field path (`location/close_time`); `None` for `detail`, `#` and list entries,
    /// which concern the request as a whole.
    pub field: Option<String>,
    /// The message.
    pub message: String,
}

/// An Arta error body, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The body's shape.
    pub shape: ErrorShape,
    /// Its messages: general ones (`detail`, `#`) first, then fields in Arta's order.
    pub entries: Vec<ErrorEntry>,
}

impl ErrorBody {
    /// Parses `{"errors": ...}`; `None` when the body is not JSON or has no `errors`.
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let errors = value.get("errors")?;
        match errors {
            Value::Array(items) => Some(ErrorBody {
                shape: ErrorShape::List,
                entries: items.iter().map(|v| entry(None, v)).collect(),
            }),
            Value::String(s) => Some(ErrorBody {
                shape: ErrorShape::List,
                entries: vec![ErrorEntry {
                    field: None,
                    message: s.clone(),
                }],
            }),
            Value::Object(map) => {
                let mut general = Vec::new();
                let mut fields = Vec::new();
                for (key, value) in map {
                    let field = match key.as_str() {
                        "detail" | "#" => None,
                        other => Some(other.to_string()),
                    };
                    let target = if field.is_none() {
                        &mut general
                    } else {
                        &mut fields
                    };
                    match value {
                        Value::Array(items) => {
                            target.extend(items.iter().map(|v| entry(field.clone(), v)))
                        }
                        v => target.push(entry(field, v)),
                    }
                }
                let shape = if fields.is_empty() && map.len() == 1 && map.contains_key("detail") {
                    ErrorShape::Detail
                } else {
                    ErrorShape::Fields
                };
                general.extend(fields);
                Some(ErrorBody {
                    shape,
                    entries: general,
                })
            }
            _ => None,
        }
    }

    /// The first message, prefixed with its field if it has one.
    pub fn summary(&self) -> Option<String> {
        self.entries.first().map(|e| match &e.field {
            Some(field) => format!("{field}: {}", e.message),
            None => e.message.clone(),
        })
    }

    /// The entries as core [`ErrorDetail`]s.
    pub fn details(&self) -> Vec<ErrorDetail> {
        self.entries
            .iter()
            .map(|e| {
                let d = ErrorDetail::new(e.message.clone());
                match &e.field {
                    Some(field) => d.with_field(field.clone()),
                    None => d,
                }
            })
            .collect()
    }
}

fn entry(field: Option<String>, value: &Value) -> ErrorEntry {
    let message = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    ErrorEntry { field, message }
}

/// Whether `response` is a refusal Arta documents, which proves a change was not made (see
/// [`rescind_core::change`]): its `{"errors": ...}` body on a 400, 404 or 422 (the statuses its
/// spec gives that body), or a 401 or 403 (documented without a body schema: the key is refused
/// before anything is processed). A 429 is a refusal at every provider; the core adds it.
/// Source: Arta's spec, response schemas `bad_request`, `not_found` and `error` (400, 404, 422,
/// all `{"errors": {"detail": ...}}`), and 403 documented without a schema on shipments
/// (reference notes, Arta section 5 "Errors").
/// Anything else, e.g. a 404 page from a proxy, a 409 or a 5xx, proves nothing.
pub fn is_documented_refusal(response: &HttpResponse) -> bool {
    match response.status {
        400 | 404 | 422 => ErrorBody::parse(&response.body).is_some(),
        401 | 403 => true,
        _ => false,
    }
}

/// The error for a non-2xx answer of `operation`: kind from the status, Arta's messages as
/// the provider message and details, the first field named, the request id, the attempts and
/// the capped raw body kept, and [`Sent::MaybeSent`](rescind_core::Sent::MaybeSent) when an
/// earlier attempt may have been applied.
pub fn from_response(response: &HttpResponse, operation: &'static str) -> Error {
    let parsed = ErrorBody::parse(&response.body);
    let message = match parsed.as_ref().and_then(ErrorBody::summary) {
        Some(summary) => summary,
        None if rescind_core::decode::is_blank(&response.body) => {
            "Arta sent an empty error body".to_string()
        }
        None => {
            "Arta's error body is not its JSON `errors` shape (kept as the raw body)".to_string()
        }
    };
    let mut err = rescind_core::error_from_response(response, Provider::Arta, operation, message);
    if let Some(body) = parsed {
        if let Some(first) = body.entries.first() {
            err = err.with_provider_message(first.message.clone());
        }
        if let Some(field) = body.entries.iter().find_map(|e| e.field.clone()) {
            err = err.with_field(field);
        }
        err = err.with_details(body.details());
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_shape() {
        let b = ErrorBody::parse(br#"{"errors":{"detail":"Not Found"}}"#).unwrap();
        assert_eq!(b.shape, ErrorShape::Detail);
        assert_eq!(b.summary().as_deref(), Some("Not Found"));
    }

    #[test]
    fn fields_shape_puts_general_first_and_flattens_lists() {
        let b = ErrorBody::parse(
            br##"{"errors":{"location/close_time":["too early","too late"],"#":["whole request"]}}"##,
        )
        .unwrap();
        assert_eq!(b.shape, ErrorShape::Fields);
        assert_eq!(b.entries.len(), 3);
        assert_eq!(b.entries[0].field, None);
        assert_eq!(b.entries[0].message, "whole request");
        assert_eq!(b.entries[1].field.as_deref(), Some("location/close_time"));
        assert_eq!(b.entries[2].message, "too late");
    }

    #[test]
    fn documented_refusals() {
        let detail = r#"{"errors":{"detail":"Not Found"}}"#;
        for (status, body, refusal) in [
            (400, detail, true),
            (404, detail, true),
            (422, r##"{"errors":{"#":["closed"]}}"##, true),
            (422, r#"{"errors":["x"]}"#, true),
            (401, "", true),
            (403, "<html>Forbidden</html>", true),
            (404, "<html>Not Found</html>", false),
            (400, "", false),
            (408, "", false),
            (409, detail, false),
            (500, detail, false),
            (502, "<html>Bad Gateway</html>", false),
        ] {
            assert_eq!(
                is_documented_refusal(&HttpResponse::new(status, body)),
                refusal,
                "{status} {body}"
            );
        }
    }

    #[test]
    fn list_shape_and_odd_values() {
        let b = ErrorBody::parse(br#"{"errors":["a", 3]}"#).unwrap();
        assert_eq!(b.shape, ErrorShape::List);
        assert_eq!(b.entries[1].message, "3");
        let b = ErrorBody::parse(br#"{"errors":"plain"}"#).unwrap();
        assert_eq!(b.summary().as_deref(), Some("plain"));
        assert!(ErrorBody::parse(b"<html></html>").is_none());
        assert!(ErrorBody::parse(b"").is_none());
        assert!(ErrorBody::parse(br#"{"message":"x"}"#).is_none());
        assert!(ErrorBody::parse(br#"{"errors":null}"#).is_none());
    }
}
