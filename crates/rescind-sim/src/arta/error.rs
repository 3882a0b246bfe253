//! Arta's error bodies, as the simulator writes them.
//!
//! | status | body | when |
//! |---|---|---|
//! | 400 | `{"errors": {"detail": "..."}}` | a body that is not JSON, a missing envelope, bad page parameters, a hosted session create the docs refuse |
//! | 401 | `{"errors": {"detail": "Unauthorized"}}` | no `Authorization` header, another scheme, an unknown key |
//! | 404 | `{"errors": {"detail": "Not Found"}}` | no such hosted session, shipment or exception |
//! | 422 | `{"errors": {"<field>": ["..."]}}` | a shipment exception the rules refuse (type, shipment, status, window), one entry per field; a hosted session cancel in a final state other than `cancelled` uses `{"errors": {"detail": "..."}}` |

use std::collections::BTreeMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

/// An error answer in one of Arta's shapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArtaError {
    status: StatusCode,
    body: Value,
}

impl ArtaError {
    /// `{"errors": {"detail": detail}}` with `status`.
    pub(crate) fn detail(status: StatusCode, detail: impl Into<String>) -> Self {
        ArtaError {
            status,
            body: json!({"errors": {"detail": detail.into()}}),
        }
    }

    /// 400 with a detail.
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        ArtaError::detail(StatusCode::BAD_REQUEST, detail)
    }

    /// 401 as Arta's own SDK tests show it.
    pub(crate) fn unauthorized() -> Self {
        ArtaError::detail(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    /// 404.
    pub(crate) fn not_found() -> Self {
        ArtaError::detail(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 422 with messages keyed by field path.
    pub(crate) fn fields(fields: FieldErrors) -> Self {
        ArtaError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"errors": fields.0}),
        }
    }

    /// 422 about one field.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        ArtaError::fields(errors)
    }
}

impl IntoResponse for ArtaError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// Messages per field, collected before answering (as a changeset would).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// Adds a message about `field`.
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    /// Whether no message was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
