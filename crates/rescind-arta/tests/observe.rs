//! `Canceller::observe` for Arta: a hosted session's status, a shipment's active holds; only
//! GETs are sent.

mod common;

use common::{client, fixture, shipment_with};
use httpmock::MockServer;
use rescind_core::jiff::civil::date;
use rescind_core::{
    CancelRequest, Canceller, ErrorKind, ItemSelector, ObservedHold, Sent, Settlement, settle,
};
use serde_json::json;

const SHIPMENT: &str = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
const SHIPMENT_PATH: &str = "/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad";

#[tokio::test]
async fn a_session_is_observed_by_its_status() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200)
                .body(common::session_with_status("cancelled"));
        })
        .await;
    let seen = client(&server)
        .observe(&CancelRequest::whole("42"))
        .await
        .unwrap();
    assert!(seen.cancelled);
    assert_eq!(seen.state, "cancelled");
    assert_eq!(seen.target, "42");
    get.assert_calls_async(1).await;

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200)
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let seen = client(&server)
        .observe(&CancelRequest::whole("42"))
        .await
        .unwrap();
    assert!(!seen.cancelled, "{seen:?}");
}

#[tokio::test]
async fn a_shipment_is_observed_with_its_unresolved_holds_only() {
    let server = MockServer::start_async().await;
    let body = shipment_with(|v| {
        let hold = |id: &str, status: &str, until: Option<&str>| {
            json!({
                "id": id, "type": "requested_hold_to_collect", "source": "api", "status": status,
                "created_at": "2021-01-22T10:00:00.000000", "updated_at": "2021-01-22T10:00:00.000000",
                "hold_until": until, "package_id": null, "resolution": null, "exception_type_label": null
            })
        };
        let list = v["exceptions"].as_array_mut().unwrap();
        list.push(hold("h-old", "resolved", None));
        list.push(hold("h-new", "new", Some("2021-02-01")));
    });
    server
        .mock_async(move |when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(body);
        })
        .await;
    let request = CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 1)));
    let seen = client(&server).observe(&request).await.unwrap();
    assert_eq!(
        seen.holds,
        vec![ObservedHold::new("h-new", Some(date(2021, 2, 1)))]
    );
    assert!(!seen.cancelled);
    // Compared with a reading without that hold, the hold was applied.
    let before = rescind_core::Observation::new(SHIPMENT, "pending");
    assert!(matches!(
        settle(&request, Some(&before), &seen),
        Settlement::Applied { .. }
    ));
}

#[tokio::test]
async fn items_and_bad_targets_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_, then| {
            then.status(500);
        })
        .await;
    let c = client(&server);
    let err = c
        .observe(&CancelRequest::items(
            "42",
            vec![ItemSelector::by_code("A")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Unsupported, Sent::NotSent)
    );
    let err = c
        .observe(&CancelRequest::whole("forty-two"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("target"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_missing_target_is_not_found() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/7");
            then.status(404).body(fixture("error_404_detail.json"));
        })
        .await;
    let err = client(&server)
        .observe(&CancelRequest::whole("7"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}
