//! `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}`: what the cancel answered.

use serde::Serialize;
use serde_json::Value;

/// Di's answer to a successful cancel. Its body is not documented (200 or 204, empty or
/// some JSON), so it is kept as it came: `body` holds the JSON, `raw` a body that was not
/// JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CancelResponse {
    /// The HTTP status (200 or 204, or another 2xx).
    pub status: u16,
    /// The JSON body, if the body was JSON.
    pub body: Option<Value>,
    /// The body as text, if it was neither empty nor JSON.
    pub raw: Option<String>,
    /// The request id, if the client is configured with a request-id header and Di sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl CancelResponse {
    /// A response from its parts.
    pub fn new(status: u16, body: Option<Value>, raw: Option<String>) -> Self {
        CancelResponse {
            status,
            body,
            raw,
            request_id: None,
        }
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Whether the body was empty.
    pub fn is_empty(&self) -> bool {
        self.body.is_none() && self.raw.is_none()
    }
}
