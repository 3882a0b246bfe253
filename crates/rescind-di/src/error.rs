//! Di's error body, and how it maps into the core [`Error`].
//!
//! Every ws.di.no JSON API answers an error with the same envelope:
//!
//! ```json
//! { "statusCode": 401, "errorKey": "authentication.missing", "errorMap": {} }
//! ```
//!
//! `errorKey` is "a machine parseable error code"; Di adds keys without notice and may send an
//! empty one, so it is an open enum ([`ErrorKey`]) and the HTTP status decides when the key says
//! nothing. `errorMap` ("additional details") becomes the error's
//! [`details`](Error::details), and the whole body stays in [`Error::body`]; read it back typed
//! with [`ErrorBody::from_error`].

use rescind_core::{Error, ErrorDetail, ErrorKind, HttpResponse, Provider, Refusal};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

rescind_core::open_enum! {
    /// Di's `errorKey`s that this crate knows. The Cancel API's own table was never published;
    /// these come from the generic envelope's example and the Edit Order API of the same
    /// booking/v-1 family (same permission, "web service for edit orders").
    pub enum ErrorKey {
        /// The `Authorization` header is missing (401).
        AuthenticationMissing = "authentication.missing",
        /// The user has no access to this API (403).
        NoAccessApi = "no.access.api",
        /// The user has no access to the order's shop (403).
        NoAccessShopId = "no.access.shop.id",
        /// No order with this identifier (404).
        CannotFindOrder = "cannot.find.order",
        /// The order is cancelled already (400).
        OrderCancelled = "order.cancelled",
        /// The order was exported to the carrier (400).
        OrderExported = "order.exported",
        /// The parcel reached a final status (400).
        ErrorParcelFinalStatus = "error.parcel.final.status",
        /// The carrier does not allow changes after registration (400).
        UnableToEditExporterOrder = "unable.to.edit.exporter.order",
        /// A path value was not recognised (400).
        FailedToParseRequest = "failed.to.parse.request",
    }
}

/// Di's error envelope. Every field is optional: an error answer is read whatever it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorBody {
    /// The HTTP status Di meant (normally the response's status); `None` if absent or not a
    /// number.
    #[serde(default, deserialize_with = "lenient_status")]
    pub status_code: Option<u16>,
    /// The machine-readable key; may be empty. A non-string key is kept as its JSON text.
    #[serde(default, deserialize_with = "lenient_key")]
    pub error_key: Option<String>,
    /// Additional details, as they came.
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub error_map: Map<String, Value>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// Reads a body as Di's envelope: `None` if it is not a JSON object (HTML, empty, text).
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
            _ => None,
        }
    }

    /// The envelope of an [`Error`] built by this crate from a Di answer (it keeps the body).
    pub fn from_error(error: &Error) -> Option<ErrorBody> {
        ErrorBody::parse(error.body()?.as_bytes())
    }

    /// The key, `None` when missing or empty.
    pub fn key(&self) -> Option<ErrorKey> {
        self.error_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(ErrorKey::from)
    }
}

// An error answer is read whatever it holds: a field of an unexpected type must not turn
// Di's envelope into "not JSON".
fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn null_as_empty_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Map<String, Value>, D::Error> {
    // `errorMap` is documented as an object; anything else is kept under a `""` key rather
    // than failing the read of an error.
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => Map::from_iter([(String::new(), other)]),
    })
}

/// Whether `body` is Di's error envelope: a JSON object with a `statusCode` or an `errorKey`.
/// On a 4xx it is a documented refusal (nothing was changed); on a 2xx it is not a success.
/// Source: Di's generic error envelope of every ws.di.no JSON API and its status table
/// (400, 401, 403, 405, "4xx client error"; reference notes, Di sections 2a and 2b). A 5xx
/// with the envelope proves nothing: "500 Unexpected Server Error" does not say the request
/// was not processed.
pub fn is_envelope(body: &[u8]) -> bool {
    // Only a JSON object can be the envelope: any other body (Di's empty success answer
    // first) is told apart without a parse, and without the parse error's allocation.
    if !rescind_core::decode::is_object(body) {
        return false;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map.contains_key("statusCode") || map.contains_key("errorKey"),
        _ => false,
    }
}

/// Whether `error` is Di saying the order is cancelled already (`order.cancelled`): the
/// [`Canceller`](rescind_core::Canceller) reports that as
/// [`CancelStatus::AlreadyCancelled`](rescind_core::CancelStatus).
pub fn is_already_cancelled(error: &Error) -> bool {
    error.provider() == Some(Provider::Di)
        && error.code() == Some(ErrorKey::OrderCancelled.as_str())
}

/// Builds the error for a non-2xx answer of `operation`: kind from the key when Di sent a known
/// one, else from the status; a message that says what to do; the key as the code; `errorMap`
/// as details; status, attempts, request id, "may have been sent" and the body from the core.
pub fn from_response(response: &HttpResponse, operation: &'static str) -> Error {
    let body = ErrorBody::parse(&response.body);
    let key = body.as_ref().and_then(ErrorBody::key);
    let (kind, message) = classify(response.status, key.as_ref(), body.is_some(), operation);
    let mut err = rescind_core::error_from_response(response, Provider::Di, operation, message)
        .with_kind(kind);
    if let Some(key) = &key {
        err = err.with_code(key.as_str());
        if let Some(reason) = reason_of(key) {
            err = err.with_reason(reason);
        }
    }
    if let Some(body) = &body {
        let details: Vec<ErrorDetail> = body
            .error_map
            .iter()
            .map(|(field, value)| {
                let message = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let detail = ErrorDetail::new(message);
                if field.is_empty() {
                    detail
                } else {
                    detail.with_field(field.clone())
                }
            })
            .collect();
        if !details.is_empty() {
            // The core's Display treats the first detail as the headline and lists the others
            // ("also: ..."); the headline of a Di error is its key, so it goes first and every
            // errorMap entry is shown.
            let mut head = ErrorDetail::new(match &key {
                Some(k) => format!("errorKey {k}"),
                None => "Di error".to_string(),
            });
            if let Some(k) = &key {
                head = head.with_code(k.as_str());
            }
            err = err.with_details(std::iter::once(head).chain(details).collect());
        }
    }
    err
}

/// The refusal reason ([`Error::reason`]) of a Di error key, where the key says more than the
/// kind: `order.cancelled` → `already_cancelled`; `order.exported` and
/// `unable.to.edit.exporter.order` → `in_transit` (the order went to the carrier: reference
/// notes, Di section 3b "Cancel order": "in transit from the day before...");
/// `error.parcel.final.status` → `not_cancellable`; `cannot.find.order` → `not_found`;
/// `failed.to.parse.request` → `invalid_request`. Source of the keys: Di's Edit Order API
/// error table (reference notes, Di section 2d) and the generic envelope (2a). Other keys: the
/// kind's reason.
pub fn reason_of(key: &ErrorKey) -> Option<Refusal> {
    use ErrorKey as K;
    Some(match key {
        K::OrderCancelled => Refusal::AlreadyCancelled,
        K::OrderExported | K::UnableToEditExporterOrder => Refusal::InTransit,
        K::ErrorParcelFinalStatus => Refusal::NotCancellable,
        K::CannotFindOrder => Refusal::NotFound,
        K::FailedToParseRequest => Refusal::InvalidRequest,
        _ => return None,
    })
}

/// The kind and our message for a status and key. Pure: tested by table.
pub(crate) fn classify(
    status: u16,
    key: Option<&ErrorKey>,
    json: bool,
    operation: &str,
) -> (ErrorKind, String) {
    use ErrorKey as K;
    // A 401 to the login itself is about the username and password, not a token.
    if operation == "login" && status == 401 {
        return (
            ErrorKind::Unauthorized,
            "Di refused the login: check the web-service user's username and password".to_string(),
        );
    }
    let by_key = key.and_then(|key| {
        Some(match key {
            K::AuthenticationMissing => (
                ErrorKind::Unauthorized,
                "the Authorization header was missing or not accepted".to_string(),
            ),
            K::NoAccessApi => (
                ErrorKind::Forbidden,
                "this web-service user has no access to this API; ask Di's service desk for access to the web service for edit orders".to_string(),
            ),
            K::NoAccessShopId => (
                ErrorKind::Forbidden,
                "this web-service user has no access to the shop the order belongs to".to_string(),
            ),
            K::CannotFindOrder => (
                ErrorKind::NotFound,
                "Di has no order with this shipment number (for this user)".to_string(),
            ),
            K::OrderCancelled => (
                ErrorKind::NotCancellable,
                "the order is cancelled already".to_string(),
            ),
            K::OrderExported | K::UnableToEditExporterOrder => (
                ErrorKind::NotCancellable,
                "the order was exported to the carrier (in transit) and can no longer be cancelled through the API; contact the carrier's customer service to stop it".to_string(),
            ),
            K::ErrorParcelFinalStatus => (
                ErrorKind::NotCancellable,
                "the parcel reached a final status and can no longer be cancelled".to_string(),
            ),
            K::FailedToParseRequest => (
                ErrorKind::InvalidInput,
                "Di could not read a value of the request".to_string(),
            ),
            // Keys Di adds later: `authentication.*` are all login problems; the rest
            // falls through to the status.
            K::Unknown(raw) if raw.as_str().starts_with("authentication.") => (
                ErrorKind::Unauthorized,
                "the token was missing, expired or not accepted".to_string(),
            ),
            K::Unknown(_) => return None,
        })
    });
    if let Some(found) = by_key {
        return found;
    }
    let (kind, text) = match status {
        400 => (ErrorKind::InvalidInput, "Di refused the request (client or validation error)".to_string()),
        401 => (ErrorKind::Unauthorized, "the token was missing, expired or not accepted, even after logging in again".to_string()),
        403 => (ErrorKind::Forbidden, "this web-service user may not do this (no access to the API, the shop or the transport solution)".to_string()),
        404 => (ErrorKind::NotFound, "Di has no order with this identifier (for this user)".to_string()),
        405 => (
            ErrorKind::UnexpectedResponse,
            format!("Di answered 405 Method Not Allowed to {operation}: this is a bug in rescind-di (it used an HTTP method Di does not accept here), please report it"),
        ),
        500 => (ErrorKind::Server, "unexpected server error at Di; try again later, and tell your Di contact if it persists".to_string()),
        501..=599 => (ErrorKind::Server, "Di (or a proxy in front of it) is unavailable; try again later".to_string()),
        _ => (ErrorKind::from_status(status), "Di answered with a status this client does not expect".to_string()),
    };
    let text = if json {
        text
    } else {
        format!("{text} (the answer was not Di's JSON error body)")
    };
    (kind, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_by_status_and_key() {
        let k = |s: &str| Some(ErrorKey::from(s));
        let table = [
            (401, k("authentication.missing"), ErrorKind::Unauthorized),
            (401, k("authentication.expired"), ErrorKind::Unauthorized),
            (403, k("no.access.api"), ErrorKind::Forbidden),
            (403, k("no.access.shop.id"), ErrorKind::Forbidden),
            (404, k("cannot.find.order"), ErrorKind::NotFound),
            (400, k("order.cancelled"), ErrorKind::NotCancellable),
            (400, k("order.exported"), ErrorKind::NotCancellable),
            (
                400,
                k("error.parcel.final.status"),
                ErrorKind::NotCancellable,
            ),
            (
                400,
                k("unable.to.edit.exporter.order"),
                ErrorKind::NotCancellable,
            ),
            (400, k("failed.to.parse.request"), ErrorKind::InvalidInput),
            (400, k("something.new"), ErrorKind::InvalidInput),
            (403, k("something.new"), ErrorKind::Forbidden),
            (400, None, ErrorKind::InvalidInput),
            (401, None, ErrorKind::Unauthorized),
            (403, None, ErrorKind::Forbidden),
            (404, None, ErrorKind::NotFound),
            (405, None, ErrorKind::UnexpectedResponse),
            (500, None, ErrorKind::Server),
            (502, None, ErrorKind::Server),
            (409, None, ErrorKind::NotCancellable),
            (418, None, ErrorKind::UnexpectedResponse),
        ];
        for (status, key, kind) in table {
            assert_eq!(
                classify(status, key.as_ref(), true, "op").0,
                kind,
                "{status} {key:?}"
            );
        }
    }

    #[test]
    fn a_refusals_reason_comes_from_its_key_or_its_kind() {
        let table = [
            (400, "order.cancelled", Some(Refusal::AlreadyCancelled)),
            (400, "order.exported", Some(Refusal::InTransit)),
            (
                400,
                "unable.to.edit.exporter.order",
                Some(Refusal::InTransit),
            ),
            (
                400,
                "error.parcel.final.status",
                Some(Refusal::NotCancellable),
            ),
            (404, "cannot.find.order", Some(Refusal::NotFound)),
            (
                400,
                "failed.to.parse.request",
                Some(Refusal::InvalidRequest),
            ),
            // A key Di adds later: the kind's reason.
            (400, "something.new", Some(Refusal::InvalidRequest)),
            (403, "no.access.shop.id", None),
            (401, "authentication.expired", None),
        ];
        for (status, key, reason) in table {
            let body = format!(r#"{{"statusCode":{status},"errorKey":"{key}","errorMap":{{}}}}"#);
            let err = from_response(&HttpResponse::new(status, body), "cancel_order");
            assert_eq!(err.reason(), reason, "{status} {key}");
            assert_eq!(err.provider(), Some(Provider::Di));
            assert_eq!(err.operation(), Some("cancel_order"));
        }
    }

    #[test]
    fn a_405_says_it_is_our_bug() {
        let (_, text) = classify(405, None, true, "cancel_order");
        assert!(text.contains("bug in rescind-di"), "{text}");
        assert!(text.contains("cancel_order"), "{text}");
    }

    #[test]
    fn empty_and_blank_keys_are_no_key() {
        for raw in ["", "  "] {
            let body = ErrorBody {
                error_key: Some(raw.into()),
                ..ErrorBody::default()
            };
            assert_eq!(body.key(), None);
        }
    }

    #[test]
    fn error_map_of_another_shape_still_parses() {
        let body = ErrorBody::parse(br#"{"errorKey":"x","errorMap":["a"]}"#).unwrap();
        assert_eq!(body.error_map.get(""), Some(&serde_json::json!(["a"])));
        let body = ErrorBody::parse(br#"{"errorKey":"x","errorMap":null}"#).unwrap();
        assert!(body.error_map.is_empty());
        assert!(ErrorBody::parse(b"[1]").is_none());
        assert!(ErrorBody::parse(b"<html></html>").is_none());
    }

    #[test]
    fn the_envelope_needs_a_status_code_or_a_key() {
        assert!(is_envelope(
            br#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#
        ));
        assert!(is_envelope(br#"{"errorKey":""}"#));
        assert!(is_envelope(br#"{"statusCode":500}"#));
        assert!(!is_envelope(br#"{"shipmentId":"70724761617883184"}"#));
        assert!(!is_envelope(b"<html>502</html>"));
        assert!(!is_envelope(b""));
        assert!(!is_envelope(b"[]"));
    }
}
