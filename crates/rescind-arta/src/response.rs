//! Reading Arta's answers (sans-IO): a 2xx body decoded into its model, anything else into
//! the core [`Error`] by [`crate::error::from_response`]. The request id travels with both.

use std::ops::Deref;

use rescind_core::wire::Tolerant;
use rescind_core::{Error, HttpResponse, Provider};
use serde::de::DeserializeOwned;

use crate::model::{HostedSession, Page, Shipment, ShipmentException};

/// A decoded answer with what Arta said about it.
///
/// Derefs to the value, so `response.status` reads the model's field; the HTTP facts are
/// [`Response::http_status`] and [`Response::request_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded value.
    pub value: T,
    /// Arta's `x-arta-request-id`, to quote to Arta's support.
    pub request_id: Option<String>,
    /// The HTTP status (200, 201).
    pub http_status: u16,
    /// How many attempts the call took.
    pub attempts: u32,
}

impl<T> Response<T> {
    /// The value, dropping the HTTP facts.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Decodes a 2xx answer of `operation` into `T`; any other status becomes the mapped error.
pub fn parse<T: DeserializeOwned>(
    response: &HttpResponse,
    operation: &'static str,
) -> Result<Response<T>, Error> {
    if !response.is_success() {
        return Err(crate::error::from_response(response, operation));
    }
    let value = rescind_core::decode::response(response, Provider::Arta, operation)?;
    Ok(Response {
        value,
        request_id: response.request_id.clone(),
        http_status: response.status,
        attempts: response.attempts,
    })
}

/// Reads the answer of `operation`, a change, by the rule of [`rescind_core::change`]: a 2xx
/// must decode as the documented success type `T`; a refusal is Arta's `{"errors": ...}` on a
/// 400, 404 or 422, a 401, a 403 or a 429 ([`crate::error::is_documented_refusal`]), which
/// proves nothing was changed ([`Sent::Answered`](rescind_core::Sent)). Anything else (a 5xx,
/// a 408, a 409, a 4xx without the envelope, a 2xx that is not `T`) proves nothing:
/// [`Sent::MaybeSent`](rescind_core::Sent).
pub fn parse_change<T: DeserializeOwned>(
    response: &HttpResponse,
    operation: &'static str,
) -> Result<Response<T>, Error> {
    rescind_core::change::read(
        response,
        crate::error::is_documented_refusal(response),
        |r| crate::error::from_response(r, operation),
        |r| {
            let value = rescind_core::decode::change_response(r, Provider::Arta, operation)?;
            Ok(Response {
                value,
                request_id: r.request_id.clone(),
                http_status: r.status,
                attempts: r.attempts,
            })
        },
    )
}

/// Decodes a 2xx answer of `operation` into a model that names what its operations decide on
/// ([`Tolerant`]): a malformed field no decision needs is skipped and listed by the model's
/// `skipped()`, never an error (see [`rescind_core::wire::tolerant`]). `change` marks the
/// answer of a change (an unreadable needed field is then [`Sent::MaybeSent`](rescind_core::Sent)).
pub fn parse_tolerant<T: Tolerant>(
    response: &HttpResponse,
    operation: &'static str,
    change: bool,
) -> Result<Response<T>, Error> {
    if !response.is_success() {
        return Err(crate::error::from_response(response, operation));
    }
    let value = if change {
        rescind_core::wire::tolerant::change_response(response, Provider::Arta, operation)?
    } else {
        rescind_core::wire::tolerant::response(response, Provider::Arta, operation)?
    };
    Ok(Response {
        value,
        request_id: response.request_id.clone(),
        http_status: response.status,
        attempts: response.attempts,
    })
}

/// The answer of `cancel_hosted_session`.
pub fn parse_cancel_hosted_session(r: &HttpResponse) -> Result<Response<HostedSession>, Error> {
    parse_tolerant(r, "cancel_hosted_session", true)
}

/// The answer of `get_hosted_session`.
pub fn parse_get_hosted_session(r: &HttpResponse) -> Result<Response<HostedSession>, Error> {
    parse_tolerant(r, "get_hosted_session", false)
}

/// The answer of `get_shipment`.
pub fn parse_get_shipment(r: &HttpResponse) -> Result<Response<Shipment>, Error> {
    parse_tolerant(r, "get_shipment", false)
}

/// The answer of `create_shipment_exception` (201).
pub fn parse_create_shipment_exception(
    r: &HttpResponse,
) -> Result<Response<ShipmentException>, Error> {
    parse_tolerant(r, "create_shipment_exception", true)
}

/// The answer of `get_shipment_exception`.
pub fn parse_get_shipment_exception(
    r: &HttpResponse,
) -> Result<Response<ShipmentException>, Error> {
    parse_tolerant(r, "get_shipment_exception", false)
}

/// The answer of `list_shipment_exceptions`.
pub fn parse_list_shipment_exceptions(
    r: &HttpResponse,
) -> Result<Response<Page<ShipmentException>>, Error> {
    parse(r, "list_shipment_exceptions")
}
