//! One `rescind.cancel` span per cancel, with the HTTP calls' spans under it and the result
//! recorded as fields. Alone in its test binary: see `rescind_core::testing::CapturedSpans`.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelRequest, Canceller, Clock};

fn client_at(server: &MockServer, at: &str) -> rescind_di::Client {
    rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .clock(Clock::fixed(at.parse().unwrap()))
        .build()
        .unwrap()
}

async fn serve(server: &MockServer, details: serde_json::Value, cancel: (u16, &str)) {
    mock_login(server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{DETAILS_PREFIX}{SHIPMENT}"));
            then.status(200).json_body(details);
        })
        .await;
    let (status, body) = (cancel.0, cancel.1.to_string());
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"));
            then.status(status).body(body);
        })
        .await;
}

#[tokio::test]
async fn a_cancel_and_a_refusal_are_one_span_each_with_their_fields() {
    let spans = CapturedSpans::start();
    let order = serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": "EXPORT_OK", "desiredDeliveryDate": "2026-03-31", "items": []});

    let server = MockServer::start_async().await;
    serve(&server, order.clone(), (200, "")).await;
    client_at(&server, "2026-03-20T11:00:00Z")
        .cancel(CancelRequest::whole(SHIPMENT))
        .await
        .unwrap();
    let cancel = &spans.named("rescind.cancel")[0];
    assert_eq!(cancel.field("provider"), Some("di"));
    assert_eq!(cancel.field("operation"), Some("cancel"));
    assert_eq!(cancel.field("target"), Some(SHIPMENT));
    assert_eq!(cancel.field("status"), Some("cancelled"));
    assert_eq!(cancel.field("settled_by"), Some("answer"));
    // The details and the cancel (the login is shared by the client's calls, not counted).
    assert_eq!(cancel.field("attempts"), Some("2"));
    let calls = spans.named("rescind.call");
    assert!(
        calls
            .iter()
            .any(|c| c.field("operation") == Some("cancel_order")
                && c.parent.as_deref() == Some("rescind.cancel")),
        "{calls:#?}"
    );

    // In transit by the client's clock: refused before sending.
    let server = MockServer::start_async().await;
    serve(&server, order, (200, "")).await;
    client_at(&server, "2026-03-30T11:00:00Z")
        .cancel(CancelRequest::whole(SHIPMENT))
        .await
        .unwrap_err();
    let refused = &spans.named("rescind.cancel")[1];
    assert_eq!(refused.field("error_kind"), Some("not_cancellable"));
    assert_eq!(refused.field("sent"), Some("not_sent"));
    assert_eq!(refused.field("reason"), Some("in_transit"));
    assert_eq!(refused.field("status"), None);
}
