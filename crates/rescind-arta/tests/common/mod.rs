//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};
use rescind_arta::Client;
use rescind_core::TransportConfig;
use rescind_core::retry::RetryPolicy;

/// The test key; it must never appear in any Debug, Display or error.
pub const KEY: &str = "s0e1t2e3c4a5s6t7r8o9n10o11m12y";
/// The authorization header, to the letter.
pub const AUTH: &str = "ARTA_APIKey s0e1t2e3c4a5s6t7r8o9n10o11m12y";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The seed's hosted session with another status.
pub fn session_with_status(status: &str) -> String {
    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["status"] = status.into();
    v.to_string()
}

/// The pending shipment fixture, changed by `edit`.
pub fn shipment_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v = fixture_json("shipment_pending.json");
    edit(&mut v);
    v.to_string()
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

pub fn client(server: &MockServer) -> Client {
    client_with(server, TransportConfig::default().with_retry(fast_retry()))
}

/// [`client`] whose attempts time out after `timeout`: against a mock answering later, each
/// attempt ends with no answer.
pub fn client_timing_out(server: &MockServer, timeout: Duration) -> Client {
    client_with(
        server,
        TransportConfig::default()
            .with_retry(fast_retry())
            .with_attempt_timeout(timeout),
    )
}

pub fn client_with(server: &MockServer, config: TransportConfig) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .config(config)
        .build()
        .unwrap()
}

/// A JSON answer with a request id.
pub fn answer(status: u16, request_id: &str, body: impl Into<String>) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-arta-request-id", request_id)
        .body(body.into())
        .build()
}

/// A responder that answers the n-th call (from 0) with `answers[n]`, repeating the last.
pub fn sequence(
    answers: Vec<HttpMockResponse>,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync + 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    move |_req| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        answers[n.min(answers.len() - 1)].clone()
    }
}
