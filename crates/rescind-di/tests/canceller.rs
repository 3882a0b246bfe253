//! The `Canceller` of Di: scope checks, the rules read from the details, and the outcomes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use jiff::Timestamp;
use rescind_core::{
    CancelRequest, CancelStatus, Canceller, Clock, ErrorKind, ItemSelector, Provider, Refusal, Sent,
};
use rescind_di::DiCancel;

/// Noon in Oslo on 2026-03-20: an order due 2026-03-31 is still cancellable.
fn now() -> Timestamp {
    "2026-03-20T11:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn items_and_hold_are_unsupported_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let anything = mock_anything(&server).await;
    // Through the trait object, as the facade's registry holds it.
    let client: Arc<dyn Canceller> = Arc::new(client(&server));
    assert_eq!(client.provider(), Provider::Di);
    let caps = client.capabilities();
    assert!(caps.whole && !caps.items && !caps.hold);
    for request in [
        CancelRequest::items(SHIPMENT, vec![ItemSelector::by_code("1")]),
        CancelRequest::hold(SHIPMENT, None),
    ] {
        let err = client.cancel(request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(err.sent(), Sent::NotSent);
    }
    let err = client
        .cancel(CancelRequest::whole("not-a-number"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("target"));
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_cancellable_order_is_cancelled_once() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = client(&server);
    let outcome = client
        .cancel_at(CancelRequest::whole(format!("(401){SHIPMENT}")), now())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.target, SHIPMENT);
    let native = DiCancel::of(&outcome).unwrap();
    assert_eq!(native.details.as_ref().unwrap().shipment_id, SHIPMENT);
    assert_eq!(native.response.as_ref().unwrap().status, 200);
    details.assert_calls_async(1).await;
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn cancelled_in_the_details_is_already_cancelled_without_sending() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(
        &server,
        order(serde_json::json!({"ediStatus": "CANCELLED"})),
    )
    .await;
    let cancel = mock_cancel(&server, 200, "").await;
    let outcome = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert!(
        DiCancel::of(&outcome)
            .unwrap()
            .details
            .as_ref()
            .unwrap()
            .is_cancelled()
    );
    assert!(outcome.note.as_deref().unwrap().contains("CANCELLED"));
    cancel.assert_calls_async(0).await;
}

#[tokio::test]
async fn in_transit_is_refused_without_sending() {
    let cases = [
        // The day before the desired delivery date, 00:30 Oslo time (summer time).
        (
            order(serde_json::json!({"desiredDeliveryDate": "2026-07-10"})),
            "2026-07-08T22:30:00Z",
            "in transit since 2026-07-09 00:00 CEST",
        ),
        // No desired delivery date: in transit from booking.
        (
            order(serde_json::json!({"desiredDeliveryDate": null})),
            "2026-03-20T11:00:00Z",
            "no desired delivery date",
        ),
        // A pick-up shipment after 23:00 Oslo the day before its pick-up.
        (
            order(
                serde_json::json!({"desiredDeliveryDate": null, "pickupDetails": {"pickupDate": "2026-03-21"}}),
            ),
            "2026-03-20T22:00:00Z",
            "23:00 Oslo time",
        ),
    ];
    for (body, at, reason) in cases {
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        mock_details(&server, body).await;
        let cancel = mock_cancel(&server, 200, "").await;
        let err = client(&server)
            .cancel_at(CancelRequest::whole(SHIPMENT), at.parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{err}");
        assert_eq!(err.reason(), Some(Refusal::InTransit));
        assert_eq!(err.provider(), Some(Provider::Di));
        assert_eq!(err.sent(), Sent::NotSent);
        assert!(err.to_string().contains(reason), "{err}");
        cancel.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn a_pickup_before_its_cut_off_is_cancelled() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({"desiredDeliveryDate": null, "pickupDetails": {"pickupDate": "2026-03-21"}}))).await;
    let cancel = mock_cancel(&server, 204, "").await;
    // 22:59 Oslo (CET) the day before.
    let outcome = client(&server)
        .cancel_at(
            CancelRequest::whole(SHIPMENT),
            "2026-03-20T21:59:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn di_saying_order_cancelled_is_already_cancelled() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(
        &server,
        400,
        r#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#,
    )
    .await;
    let outcome = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    let native = DiCancel::of(&outcome).unwrap();
    assert_eq!(native.details.as_ref().unwrap().shipment_id, SHIPMENT);
    assert!(native.response.is_none());
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn di_saying_exported_or_final_is_not_cancellable() {
    for key in ["order.exported", "error.parcel.final.status"] {
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        mock_details(&server, order(serde_json::json!({}))).await;
        let body = format!(r#"{{"statusCode":400,"errorKey":"{key}","errorMap":{{}}}}"#);
        let cancel = mock_cancel(&server, 400, &body).await;
        let err = client(&server)
            .cancel_at(CancelRequest::whole(SHIPMENT), now())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        assert_eq!(err.sent(), Sent::Answered);
        assert_eq!(err.code(), Some(key));
        let reason = if key == "order.exported" {
            Refusal::InTransit
        } else {
            Refusal::NotCancellable
        };
        assert_eq!(err.reason(), Some(reason), "{key}");
        cancel.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_unknown_order_is_not_found_and_not_cancelled() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(404)
                .body(r#"{"statusCode":404,"errorKey":"cannot.find.order","errorMap":{}}"#);
        })
        .await;
    let cancel = mock_cancel(&server, 200, "").await;
    let err = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    cancel.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_unanswered_cancel_is_settled_by_reading_the_order_back() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let before = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).delay(Duration::from_millis(400));
        })
        .await;
    let client = client_with(
        &server,
        fast_config().with_attempt_timeout(Duration::from_millis(100)),
    );
    let task = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .cancel_at(CancelRequest::whole(SHIPMENT), now())
                .await
        }
    });
    // Once the first read is done, the order shows as cancelled (the cancel got through).
    while before.calls_async().await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    before.delete_async().await;
    let after = mock_details(
        &server,
        order(serde_json::json!({"ediStatus": "CANCELLED"})),
    )
    .await;
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(
        outcome
            .note
            .as_deref()
            .unwrap()
            .contains("reading the order back")
    );
    // The one Di payload on this path too: the order read back, no answer.
    let native = DiCancel::of(&outcome).unwrap();
    assert!(native.details.as_ref().unwrap().is_cancelled());
    assert!(native.response.is_none());
    cancel.assert_calls_async(3).await;
    after.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_unanswered_cancel_on_an_active_order_stays_maybe_sent() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).delay(Duration::from_millis(400));
        })
        .await;
    let client = client_with(
        &server,
        fast_config().with_attempt_timeout(Duration::from_millis(100)),
    );
    let err = client
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // Read back unchanged; the transport already sent it 3 times, so it is not sent again:
    // the outcome stays unknown.
    cancel.assert_calls_async(3).await;
    details.assert_calls_async(2).await;
    let before = err.observed_before().expect("the reading from before");
    assert_eq!(
        (before.state.as_str(), before.cancelled),
        ("EXPORT_OK", false)
    );
    assert!(
        err.to_string()
            .contains(&format!("check with `rescind di show {SHIPMENT}`")),
        "{err}"
    );
}

#[tokio::test]
async fn without_local_rules_di_decides() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    // No desired delivery date: the rules would refuse; with them off, the cancel is sent.
    mock_details(
        &server,
        order(serde_json::json!({"desiredDeliveryDate": null})),
    )
    .await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .check_transit_rules(false)
        .build()
        .unwrap();
    assert!(!client.checks_transit_rules());
    let outcome = client
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    cancel.assert_calls_async(1).await;
}

/// The rules read the client's clock: set to a fixed time (as a simulator's), the trait's
/// `cancel` (no `now` of the caller's) decides at that time, not at the system's.
#[tokio::test]
async fn the_rules_read_the_clients_clock() {
    let build = |server: &MockServer, at: &str| {
        rescind_di::Client::builder()
            .base_url(server.base_url())
            .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
            .minutes_valid(60)
            .config(fast_config())
            .clock(Clock::fixed(at.parse().unwrap()))
            .build()
            .unwrap()
    };
    // Due 2026-03-31: cancellable on 2026-03-20 (long past by the system clock).
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = build(&server, "2026-03-20T11:00:00Z");
    assert_eq!(client.now(), now());
    let outcome = client.cancel(CancelRequest::whole(SHIPMENT)).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    cancel.assert_calls_async(1).await;
    let plan = client.plan(&CancelRequest::whole(SHIPMENT)).await;
    assert_eq!(plan.prediction.as_str(), "cancel");

    // The same order on 2026-03-30 at noon: in transit by the client's clock.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = build(&server, "2026-03-30T10:00:00Z");
    let err = client
        .cancel(CancelRequest::whole(SHIPMENT))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some(Refusal::InTransit));
    assert_eq!(err.sent(), Sent::NotSent);
    cancel.assert_calls_async(0).await;
    let plan = client.plan(&CancelRequest::whole(SHIPMENT)).await;
    assert_eq!(
        serde_json::to_value(&plan.prediction).unwrap()["reason"],
        "in_transit"
    );
}
