//! Each operation's request as plain data (sans-IO): method, path, query, body, and whether
//! repeating it is safe. [`Client`](crate::Client) sends these through the core transport;
//! tests check them without a network.
//!
//! ```
//! use rescind_arta::request;
//! let req = request::cancel_hosted_session(42);
//! assert_eq!(req.method, http::Method::PATCH);
//! assert_eq!(req.path, "/hosted_sessions/42/cancel");
//! assert!(req.idempotent && req.body.is_none());
//! ```

use http::Method;
use rescind_core::http::path_with_segment;
use rescind_core::{Error, HttpRequest, Provider};

use crate::model::NewShipmentException;
use crate::rules;

/// `PATCH /hosted_sessions/{id}/cancel`, without a body. Idempotent: cancelling a cancelled
/// session cannot do more, so the transport may resend it after a timeout.
pub fn cancel_hosted_session(id: u64) -> HttpRequest {
    HttpRequest::new(
        "cancel_hosted_session",
        Method::PATCH,
        "/hosted_sessions/{hosted_session_id}/cancel",
        format!("/hosted_sessions/{id}/cancel"),
    )
    .idempotent(true)
}

/// `GET /hosted_sessions/{id}`.
pub fn get_hosted_session(id: u64) -> HttpRequest {
    HttpRequest::new(
        "get_hosted_session",
        Method::GET,
        "/hosted_sessions/{hosted_session_id}",
        format!("/hosted_sessions/{id}"),
    )
}

/// `GET /shipments/{id}`; the id is percent-encoded as one path segment.
pub fn get_shipment(id: &str) -> Result<HttpRequest, Error> {
    let path = segment("get_shipment", "shipment_id", "/shipments/", id)?;
    Ok(HttpRequest::new(
        "get_shipment",
        Method::GET,
        "/shipments/{shipment_id}",
        path,
    ))
}

/// `POST /shipment_exceptions` with `{"shipment_exception": {...}}`. **Not idempotent**: Arta
/// has no idempotency key, and a repeat would create a second exception, so the transport
/// never resends it after it may have arrived (see
/// [`Client::hold_shipment`](crate::Client::hold_shipment) for how an unknown outcome is
/// settled).
pub fn create_shipment_exception(new: &NewShipmentException) -> Result<HttpRequest, Error> {
    const OP: &str = "create_shipment_exception";
    rules::check_shipment_id("shipment_id", &new.shipment_id).map_err(|e| context(e, OP))?;
    let body = serde_json::to_vec(new).map_err(|e| {
        Error::invalid_input("shipment_exception", format!("could not be encoded: {e}"))
    })?;
    Ok(HttpRequest::new(
        OP,
        Method::POST,
        "/shipment_exceptions",
        "/shipment_exceptions",
    )
    .with_json_body(body)
    .idempotent(false))
}

/// `GET /shipment_exceptions/{id}`.
pub fn get_shipment_exception(id: &str) -> Result<HttpRequest, Error> {
    let path = segment(
        "get_shipment_exception",
        "shipment_exception_id",
        "/shipment_exceptions/",
        id,
    )?;
    Ok(HttpRequest::new(
        "get_shipment_exception",
        Method::GET,
        "/shipment_exceptions/{shipment_exception_id}",
        path,
    ))
}

/// `GET /shipment_exceptions?page=..&page_size=..`; `page` from 1, `page_size` 1 to 50.
pub fn list_shipment_exceptions(page: u32, page_size: u32) -> Result<HttpRequest, Error> {
    const OP: &str = "list_shipment_exceptions";
    rules::check_page(page, page_size).map_err(|e| context(e, OP))?;
    Ok(HttpRequest::new(
        OP,
        Method::GET,
        "/shipment_exceptions",
        "/shipment_exceptions",
    )
    .with_query("page", page.to_string())
    .with_query("page_size", page_size.to_string()))
}

/// `prefix` followed by `id` as one encoded path segment.
fn segment(operation: &'static str, field: &str, prefix: &str, id: &str) -> Result<String, Error> {
    path_with_segment(field, prefix, id, "").map_err(|e| context(e, operation))
}

fn context(err: Error, operation: &'static str) -> Error {
    err.with_provider(Provider::Arta).with_operation(operation)
}
