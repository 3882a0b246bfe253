//! `Canceller::observe` for Di: the order's `ediStatus`, read with `order_details` only.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{CancelRequest, Canceller, ErrorKind, Sent};

async fn observe_with_status(status: Option<&str>) -> rescind_core::Observation {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let mut body = serde_json::json!({"shipmentId": SHIPMENT, "items": []});
    if let Some(s) = status {
        body["ediStatus"] = s.into();
    }
    let details = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(200).json_body(body);
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200);
        })
        .await;
    let seen = client(&server)
        .observe(&CancelRequest::whole(format!("(401){SHIPMENT}")))
        .await
        .unwrap();
    details.assert_calls_async(1).await;
    cancel.assert_calls_async(0).await;
    seen
}

#[tokio::test]
async fn a_cancelled_order_is_observed_cancelled() {
    let seen = observe_with_status(Some("CANCELLED")).await;
    assert!(seen.cancelled);
    assert_eq!(seen.state, "CANCELLED");
    assert_eq!(seen.target, SHIPMENT, "the (401) prefix is stripped");
}

#[tokio::test]
async fn an_exported_order_is_not_cancelled() {
    let seen = observe_with_status(Some("EXPORT_OK")).await;
    assert!(!seen.cancelled);
    assert_eq!(seen.state, "EXPORT_OK");
    let seen = observe_with_status(None).await;
    assert!(!seen.cancelled);
    assert_eq!(seen.state, "UNKNOWN");
}

#[tokio::test]
async fn holds_and_bad_numbers_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = mock_anything(&server).await;
    let c = client(&server);
    let err = c
        .observe(&CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Unsupported, Sent::NotSent)
    );
    let err = c
        .observe(&CancelRequest::whole("not a number"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("target"));
    anything.assert_calls_async(0).await;
}
