//! Skip Pay's two error shapes: `{"errors": [...]}` with a fresh `ticketId` each time, and the
//! OAuth-style 401 body.

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::render::{ErrorView, ErrorsView, to_bytes};
use crate::Sim;

/// The content type Skip Pay documents for every body.
pub(crate) const JSON_CT: &str = "application/json; charset=utf-8";

/// A JSON answer with Skip Pay's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_CT)], body.to_string()).into_response()
}

/// An answer of `status` with a JSON body already serialized.
pub(crate) fn json_bytes_response(status: StatusCode, body: bytes::Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_CT)], body).into_response()
}

/// One error, answered as `{"errors": [{code, message, severity, attribute?, ticketId}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) attribute: Option<String>,
}

impl ApiError {
    /// 400 `INVALID_REQUEST`, naming the attribute at fault (a JSON path) when there is one.
    pub(crate) fn invalid(attribute: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "INVALID_REQUEST",
            message: message.into(),
            attribute: attribute.map(str::to_owned),
        }
    }

    /// 422 with one of the documented codes.
    pub(crate) fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
            attribute: None,
        }
    }

    /// 404 with `code` (`APPLICATION_NOT_FOUND` for the read, `OBJECT_NOT_FOUND` for the
    /// operations on an application, as the documentation lists them).
    pub(crate) fn not_found(code: &'static str, id: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code,
            message: format!("Application {id} was not found"),
            attribute: None,
        }
    }

    /// Names the attribute at fault.
    pub(crate) fn at(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }

    /// The answer, with a ticket id never given before.
    pub(crate) fn response(&self, sim: &Sim) -> Response {
        let ticket_id = ticket_id(sim);
        let body = ErrorsView {
            errors: [ErrorView {
                attribute: self.attribute.as_deref(),
                code: self.code,
                message: &self.message,
                severity: "ERROR",
                ticket_id: &ticket_id,
            }],
        };
        json_bytes_response(self.status, to_bytes(&body))
    }
}

/// A ticket id shaped like the documented `UAT1:AMS:20160516-091658.450:45e4`, from the
/// simulator's clock and a sequence number, so that each is new.
pub(crate) fn ticket_id(sim: &Sim) -> String {
    let now = sim.clock().now();
    format!(
        "SIM1:LOC:{}.{:03}:{:04x}",
        now.strftime("%Y%m%d-%H%M%S"),
        now.subsec_millisecond().unsigned_abs(),
        sim.next_number()
    )
}

/// The documented 401 bodies: `invalid_request` when the token is missing, `invalid_token`
/// when it is unknown or expired.
pub(crate) fn unauthorized(missing: bool) -> Response {
    let (error, description) = if missing {
        ("invalid_request", "The access token is missing")
    } else {
        (
            "invalid_token",
            "The access token is invalid or has expired",
        )
    };
    json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error_description": description, "error": error}),
    )
}
