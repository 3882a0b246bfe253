//! Skip Pay's error bodies, and how they map into the core [`Error`].
//!
//! Skip Pay answers errors in two shapes:
//!
//! - `{"errors": [{"code", "message", "severity", "attribute", "ticketId"}]}` for everything
//!   but a refused token ([`ErrorsResponse`]);
//! - `{"error": "invalid_token", "error_description": "..."}` for a 401 ([`OAuthError`]).
//!
//! Codes map to kinds: `INVALID_REQUEST` is invalid input, `OBJECT_NOT_FOUND` and
//! `APPLICATION_NOT_FOUND` are not found, and every 422 code of the cancel operations
//! (`NOT_SUPPORTED`, `APPLICATION_REJECTED`, ... and codes this version does not know) is "not
//! cancellable". Every entry is kept as an [`ErrorDetail`]; the first entry's `ticketId`
//! becomes the error's request id, the id to quote to Skip Pay.

use rescind_core::{
    Error, ErrorDetail, ErrorKind, HttpResponse, Provider, Refusal, decode, open_enum,
};
use serde::{Deserialize, Serialize};

use crate::request::{GET_APPLICATION, LOGIN};

open_enum! {
    /// How serious an error entry is.
    pub enum Severity {
        /// An error.
        Error = "ERROR",
        /// A warning.
        Warn = "WARN",
        /// Information.
        Info = "INFO",
    }
}

/// One entry of an [`ErrorsResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorEntry {
    /// Skip Pay's code (e.g. `NOT_SUPPORTED`).
    pub code: Option<String>,
    /// The message, in English.
    pub message: Option<String>,
    /// How serious.
    pub severity: Option<Severity>,
    /// The JSON path of the request attribute at fault, if any.
    pub attribute: Option<String>,
    /// Skip Pay's ticket id for this error: quote it to Skip Pay.
    pub ticket_id: Option<String>,
}

/// Skip Pay's usual error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorsResponse {
    /// Every entry, in order.
    pub errors: Vec<ErrorEntry>,
}

/// The body of a 401: OAuth style, not [`ErrorsResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OAuthError {
    /// `invalid_token` (expired or wrong) or `invalid_request` (missing).
    pub error: String,
    /// A description.
    pub error_description: Option<String>,
}

/// The error codes Skip Pay documents, with the kind each maps to.
///
/// | code | kind |
/// |---|---|
/// | `INVALID_REQUEST` | [`ErrorKind::InvalidInput`] |
/// | `OBJECT_NOT_FOUND`, `APPLICATION_NOT_FOUND` | [`ErrorKind::NotFound`] |
/// | `NOT_SUPPORTED`, `UNPROCESSABLE`, `APPLICATION_REJECTED`, `APPLICATION_ALREADY_CANCELLED`, `APPLICATION_VALIDATION_IN_PROGRESS`, `APPLICATION_PAID`, `TOTAL_PRICE_LIMIT_EXCEEDED` | [`ErrorKind::NotCancellable`] |
/// | anything else | by HTTP status; a 422 is [`ErrorKind::NotCancellable`] |
pub fn kind_of_code(code: &str, status: u16) -> ErrorKind {
    match code {
        "INVALID_REQUEST" => ErrorKind::InvalidInput,
        "OBJECT_NOT_FOUND" | "APPLICATION_NOT_FOUND" => ErrorKind::NotFound,
        "NOT_SUPPORTED"
        | "UNPROCESSABLE"
        | "APPLICATION_REJECTED"
        | "APPLICATION_ALREADY_CANCELLED"
        | "APPLICATION_VALIDATION_IN_PROGRESS"
        | "APPLICATION_PAID"
        | "TOTAL_PRICE_LIMIT_EXCEEDED" => ErrorKind::NotCancellable,
        _ => kind_of_status(status),
    }
}

/// The refusal reason ([`Error::reason`]) of a Skip Pay code, where the code says more than
/// the kind: `APPLICATION_REJECTED` → `rejected`, `APPLICATION_ALREADY_CANCELLED` →
/// `already_cancelled` (the cancel-application 422 codes: reference notes, Skip Pay section 2
/// "ApplicationCancelRequest"). Every other code gets its kind's reason (`not_cancellable`
/// for the 422 codes, `not_found`, `invalid_request`).
pub fn reason_of_code(code: &str) -> Option<Refusal> {
    match code {
        "APPLICATION_REJECTED" => Some(Refusal::Rejected),
        "APPLICATION_ALREADY_CANCELLED" => Some(Refusal::AlreadyCancelled),
        _ => None,
    }
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        // Skip Pay documents its 422s as "cannot be done in this state".
        422 => ErrorKind::NotCancellable,
        _ => ErrorKind::from_status(status),
    }
}

/// Whether `resp` is a refusal Skip Pay documents, which proves that a change was not made
/// (see [`rescind_core::change`]): a 400, 404 or 422 with its `{"errors": [...]}` body, or a
/// 401 with the OAuth-style body. (Skip Pay documents no 429: a 429 to a change proves
/// nothing, and the transport marks the call maybe sent.)
/// Anything else, e.g. a 404 page from a proxy, proves nothing. Source: the OpenAPI document's
/// order-cancel errors (400 `INVALID_REQUEST`, 404 `OBJECT_NOT_FOUND`, 422 `NOT_SUPPORTED`,
/// all `ErrorsResponse`), the cancel-application 422 codes, and the 401 body of a refused
/// token (reference notes, Skip Pay sections 2 and 3).
pub fn is_documented_refusal(resp: &HttpResponse) -> bool {
    match resp.status {
        // Objects only: serde reads a struct from a list by position, and `[[]]` is not
        // Skip Pay's refusal (break8c).
        400 | 404 | 422 => {
            decode::is_object(&resp.body)
                && serde_json::from_slice::<ErrorsResponse>(&resp.body).is_ok()
        }
        401 => {
            decode::is_object(&resp.body)
                && serde_json::from_slice::<OAuthError>(&resp.body).is_ok()
        }
        _ => false,
    }
}

/// Builds the error for a non-2xx answer of `operation`, from whichever body shape came.
pub fn from_response(resp: &HttpResponse, operation: &'static str) -> Error {
    let base = |message: String| {
        rescind_core::error_from_response(resp, Provider::SkipPay, operation, message)
    };
    let object = decode::is_object(&resp.body);
    let mut err = if let Some(body) = object
        .then(|| serde_json::from_slice::<ErrorsResponse>(&resp.body).ok())
        .flatten()
    {
        let first = body.errors.first();
        let message = first
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| format!("HTTP {} without an error message", resp.status));
        let mut err = base(message.clone()).with_provider_message(message);
        if let Some(code) = first.and_then(|e| e.code.as_deref()) {
            err = err
                .with_code(code)
                .with_kind(kind_of_code(code, resp.status));
        } else {
            err = err.with_kind(kind_of_status(resp.status));
        }
        if resp.request_id.is_none()
            && let Some(ticket) = body.errors.iter().find_map(|e| e.ticket_id.as_deref())
        {
            err = err.with_request_id(ticket);
        }
        err.with_details(body.errors.iter().map(detail).collect())
    } else if let Some(body) = object
        .then(|| serde_json::from_slice::<OAuthError>(&resp.body).ok())
        .flatten()
    {
        let message = body
            .error_description
            .clone()
            .unwrap_or_else(|| body.error.clone());
        base(message.clone())
            .with_code(body.error)
            .with_provider_message(message)
            .with_kind(ErrorKind::Unauthorized)
    } else {
        let message = if decode::is_blank(&resp.body) {
            format!("HTTP {} with an empty body", resp.status)
        } else {
            format!(
                "HTTP {} with a body that is not Skip Pay's error JSON",
                resp.status
            )
        };
        base(message).with_kind(kind_of_status(resp.status))
    };
    // Per operation: a failed login is a credentials problem whatever its code, and a read
    // that Skip Pay cannot process is not about cancelling.
    if operation == LOGIN && matches!(resp.status, 400 | 401 | 403) {
        err = err.with_kind(ErrorKind::Unauthorized);
    } else if operation == GET_APPLICATION && err.kind() == ErrorKind::NotCancellable {
        err = err.with_kind(ErrorKind::InvalidInput);
    }
    if let Some(reason) = err.code().and_then(reason_of_code)
        && reason.error_kind() == err.kind()
    {
        err = err.with_reason(reason);
    }
    err
}

fn detail(e: &ErrorEntry) -> ErrorDetail {
    let mut d = ErrorDetail::new(e.message.clone().unwrap_or_default());
    if let Some(code) = &e.code {
        d = d.with_code(code.clone());
    }
    if let Some(attr) = &e.attribute {
        d = d.with_field(attr.clone());
    }
    d
}

/// Reads an [`ErrorsResponse`] from an error's raw body, to get at entries' severities and
/// ticket ids, which the core [`ErrorDetail`] does not hold.
pub fn errors_of(err: &Error) -> Option<ErrorsResponse> {
    serde_json::from_str(err.body()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::CANCEL_ORDER_ITEMS;

    #[test]
    fn both_401_shapes_are_unauthorized() {
        for (body, code, message) in [
            (
                r#"{"error_description": "The access token is missing", "error": "invalid_request"}"#,
                "invalid_request",
                "The access token is missing",
            ),
            (
                r#"{"error_description": "The access token is invalid or has expired", "error": "invalid_token"}"#,
                "invalid_token",
                "The access token is invalid or has expired",
            ),
        ] {
            let err = from_response(&HttpResponse::new(401, body), CANCEL_ORDER_ITEMS);
            assert_eq!(err.kind(), ErrorKind::Unauthorized);
            assert_eq!(err.code(), Some(code));
            assert_eq!(err.provider_message(), Some(message));
            assert_eq!(err.status(), Some(401));
        }
    }

    #[test]
    fn a_refusals_reason_comes_from_its_code_or_its_kind() {
        let table = [
            ("APPLICATION_REJECTED", 422, Some(Refusal::Rejected)),
            (
                "APPLICATION_ALREADY_CANCELLED",
                422,
                Some(Refusal::AlreadyCancelled),
            ),
            ("NOT_SUPPORTED", 422, Some(Refusal::NotCancellable)),
            ("APPLICATION_PAID", 422, Some(Refusal::NotCancellable)),
            ("OBJECT_NOT_FOUND", 404, Some(Refusal::NotFound)),
            ("INVALID_REQUEST", 400, Some(Refusal::InvalidRequest)),
            ("SOMETHING_NEW", 422, Some(Refusal::NotCancellable)),
        ];
        for (code, status, reason) in table {
            let body = format!(r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#);
            let err = from_response(&HttpResponse::new(status, body), CANCEL_ORDER_ITEMS);
            assert_eq!(err.reason(), reason, "{code}");
            assert_eq!(err.provider(), Some(Provider::SkipPay));
        }
        // A read is not a cancel: its refusal is no cancel reason of the code's.
        let body = r#"{"errors":[{"code":"APPLICATION_REJECTED","message":"m"}]}"#;
        let err = from_response(&HttpResponse::new(422, body), GET_APPLICATION);
        assert_eq!(err.reason(), Some(Refusal::InvalidRequest));
        // A 401 is no refusal of the cancel.
        let body = r#"{"error":"invalid_token"}"#;
        assert_eq!(
            from_response(&HttpResponse::new(401, body), CANCEL_ORDER_ITEMS).reason(),
            None
        );
    }

    #[test]
    fn codes_map_to_kinds() {
        let table = [
            ("INVALID_REQUEST", 400, ErrorKind::InvalidInput),
            ("OBJECT_NOT_FOUND", 404, ErrorKind::NotFound),
            ("APPLICATION_NOT_FOUND", 404, ErrorKind::NotFound),
            ("NOT_SUPPORTED", 422, ErrorKind::NotCancellable),
            ("UNPROCESSABLE", 422, ErrorKind::NotCancellable),
            ("APPLICATION_REJECTED", 422, ErrorKind::NotCancellable),
            (
                "APPLICATION_ALREADY_CANCELLED",
                422,
                ErrorKind::NotCancellable,
            ),
            (
                "APPLICATION_VALIDATION_IN_PROGRESS",
                422,
                ErrorKind::NotCancellable,
            ),
            ("APPLICATION_PAID", 422, ErrorKind::NotCancellable),
            ("TOTAL_PRICE_LIMIT_EXCEEDED", 422, ErrorKind::NotCancellable),
            ("BRAND_NEW", 422, ErrorKind::NotCancellable),
            ("BRAND_NEW", 400, ErrorKind::InvalidInput),
            ("BRAND_NEW", 409, ErrorKind::NotCancellable),
            ("BRAND_NEW", 503, ErrorKind::Server),
        ];
        for (code, status, kind) in table {
            assert_eq!(kind_of_code(code, status), kind, "{code} {status}");
        }
    }

    #[test]
    fn documented_refusals() {
        let errors = r#"{"errors":[{"code":"NOT_SUPPORTED","message":"m","severity":"ERROR"}]}"#;
        let oauth = r#"{"error":"invalid_token","error_description":"expired"}"#;
        for (status, body, refusal) in [
            (400, errors, true),
            (404, errors, true),
            (422, errors, true),
            (401, oauth, true),
            (401, "", false),
            (404, "<html>Not Found</html>", false),
            (422, "", false),
            (409, errors, false),
            (500, errors, false),
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
    fn an_empty_error_list_still_reads() {
        let err = from_response(
            &HttpResponse::new(422, r#"{"errors": []}"#),
            CANCEL_ORDER_ITEMS,
        );
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        assert_eq!(err.code(), None);
        assert!(err.details().is_empty());
    }

    #[test]
    fn a_header_request_id_wins_over_the_ticket() {
        let resp = HttpResponse::new(
            400,
            r#"{"errors":[{"code":"INVALID_REQUEST","message":"m","severity":"ERROR","ticketId":"T"}]}"#,
        )
        .with_request_id("H");
        assert_eq!(
            from_response(&resp, CANCEL_ORDER_ITEMS).request_id(),
            Some("H")
        );
    }
}
