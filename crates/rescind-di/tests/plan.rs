//! `Canceller::plan` for Di (and `Client::plan_at` with the caller's time): one read of the
//! order, the in-transit rule applied at that time, and no cancel sent.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::jiff::Timestamp;
use rescind_core::{CancelRequest, Canceller, Prediction, Refusal};

async fn plan_at(body: serde_json::Value, now: &str) -> rescind_core::Plan {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{DETAILS_PREFIX}{SHIPMENT}"));
            then.status(200).json_body(body);
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200);
        })
        .await;
    let now: Timestamp = now.parse().unwrap();
    let plan = client(&server)
        .plan_at(&CancelRequest::whole(SHIPMENT), now)
        .await;
    details.assert_calls_async(1).await;
    cancel.assert_calls_async(0).await;
    plan
}

#[tokio::test]
async fn an_order_before_its_transit_window_would_be_cancelled() {
    let body = serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": "EXPORT_OK", "desiredDeliveryDate": "2025-01-15", "items": []});
    let plan = plan_at(body, "2025-01-13T12:00:00Z").await;
    assert_eq!(plan.prediction, Prediction::Cancel);
    let reading = plan.reading.as_ref().unwrap();
    assert!(!reading.cancelled);
    assert!(plan.native::<rescind_di::model::OrderDetails>().is_some());
}

#[tokio::test]
async fn an_order_in_transit_is_refused_with_the_rules_reason() {
    let body = serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": "EXPORT_OK", "desiredDeliveryDate": "2025-01-15", "items": []});
    // In transit from 00:00 Oslo time on 2025-01-14 (23:00 UTC the day before).
    let plan = plan_at(body, "2025-01-13T23:00:00Z").await;
    let Prediction::Refused { reason, detail } = plan.prediction else {
        panic!("{:?}", plan.prediction)
    };
    assert_eq!(reason, Refusal::InTransit);
    assert!(detail.contains("in transit"), "{detail}");
}

#[tokio::test]
async fn a_cancelled_order_is_already_cancelled() {
    let body = serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": "CANCELLED", "items": []});
    let plan = plan_at(body, "2025-01-13T12:00:00Z").await;
    assert_eq!(plan.prediction, Prediction::AlreadyCancelled);
}

#[tokio::test]
async fn a_hold_is_refused_before_reading_anything() {
    let server = MockServer::start_async().await;
    let anything = mock_anything(&server).await;
    let plan = client(&server)
        .plan(&CancelRequest::hold(SHIPMENT, None))
        .await;
    assert!(plan.prediction.is_refusal(), "{:?}", plan.prediction);
    anything.assert_calls_async(0).await;
}
