//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use httpmock::Mock;
use httpmock::prelude::*;
use rescind_core::TransportConfig;
use rescind_core::retry::RetryPolicy;
use rescind_di::{Client, Credentials};

/// The seed's example user.
pub const USERNAME: &str = "wsfoobar";
/// The seed's example password.
pub const PASSWORD: &str = "a-very-very-long-password";
/// The token in `fixtures/login_response.json`.
pub const JWT: &str = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ3c2Zvb2JhciIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MzEyMDAwLCJ1c2VySWQiOjQyNDIsInJvbGVzIjpbIldFQlNFUlZJQ0UiXX0.bm90LWEtcmVhbC1zaWduYXR1cmU";
/// The seed's shipment number (Edit Order / path parameter example).
pub const SHIPMENT: &str = "70724761617883184";

pub const CANCEL_PREFIX: &str = "/ws/json/parcel/booking/v-1/order/cancel/";
pub const DETAILS_PREFIX: &str = "/ws/json/parcel/booking/v-1/details/";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fast retries (3 attempts, 1-5 ms backoff) and a short attempt timeout.
pub fn fast_config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_millis(300))
}

pub fn client_with(server: &MockServer, config: TransportConfig) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(config)
        .build()
        .expect("client")
}

pub fn client(server: &MockServer) -> Client {
    client_with(server, fast_config())
}

/// The login, answering the fixture's token.
pub async fn mock_login(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/ws/json/auth/v-3/login/60")
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"username": USERNAME, "password": PASSWORD}));
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture("login_response.json"));
        })
        .await
}

/// Any request at all (to prove that nothing was sent).
pub async fn mock_anything(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.path_prefix("/");
            then.status(599);
        })
        .await
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The seed's order, due 2026-03-31 and exported (`EXPORT_OK`), with `extra`'s fields set.
pub fn order(extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": "EXPORT_OK", "desiredDeliveryDate": "2026-03-31", "items": []});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

/// The order's details (`order_details` of [`SHIPMENT`]) answer `body`.
pub async fn mock_details(server: &MockServer, body: serde_json::Value) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(200).json_body(body);
        })
        .await
}

/// The cancel of [`SHIPMENT`] answers `status` with `body`.
pub async fn mock_cancel<'a>(server: &'a MockServer, status: u16, body: &str) -> Mock<'a> {
    let body = body.to_string();
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(status).body(body);
        })
        .await
}
