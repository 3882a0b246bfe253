//! `Canceller::plan` for Arta: one GET, the documented rules, and no change sent.

mod common;

use common::{client, session_with_status, shipment_with};
use httpmock::MockServer;
use rescind_core::jiff::civil::date;
use rescind_core::{CancelRequest, Canceller, Prediction, Refusal};
use serde_json::json;

const SHIPMENT: &str = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
const SHIPMENT_PATH: &str = "/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad";

/// Plans `request` against a server answering every GET with `body`; asserts one GET and
/// nothing else.
async fn plan(path: &str, body: String, request: CancelRequest) -> Prediction {
    let server = MockServer::start_async().await;
    let path = path.to_string();
    let get = server
        .mock_async(move |when, then| {
            when.method("GET").path(path);
            then.status(200).body(body);
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method("PATCH");
            then.status(500);
        })
        .await;
    let hold = server
        .mock_async(|when, then| {
            when.method("POST");
            then.status(500);
        })
        .await;
    let plan = client(&server).plan(&request).await;
    get.assert_calls_async(1).await;
    cancel.assert_calls_async(0).await;
    hold.assert_calls_async(0).await;
    plan.prediction
}

#[tokio::test]
async fn a_session_is_predicted_by_its_status() {
    for (status, expected) in [
        ("new", Prediction::Cancel),
        ("quoted", Prediction::Cancel),
        ("cancelled", Prediction::AlreadyCancelled),
    ] {
        let p = plan(
            "/hosted_sessions/42",
            session_with_status(status),
            CancelRequest::whole("42"),
        )
        .await;
        assert_eq!(p, expected, "{status}");
    }
    for status in ["closed", "expired"] {
        let p = plan(
            "/hosted_sessions/42",
            session_with_status(status),
            CancelRequest::whole("42"),
        )
        .await;
        assert!(
            matches!(
                p,
                Prediction::Refused {
                    reason: Refusal::NotCancellable,
                    ..
                }
            ),
            "{status}: {p:?}"
        );
    }
}

#[tokio::test]
async fn a_hold_is_predicted_by_the_30_day_window_the_status_and_existing_holds() {
    // The fixture was created 2021-01-21T17:22:08: 2021-02-20 is the last day allowed.
    let pending = shipment_with(|_| {});
    let p = plan(
        SHIPMENT_PATH,
        pending.clone(),
        CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 20))),
    )
    .await;
    assert_eq!(
        p,
        Prediction::Hold {
            until: Some(date(2021, 2, 20))
        }
    );
    let p = plan(
        SHIPMENT_PATH,
        pending,
        CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 21))),
    )
    .await;
    assert!(
        matches!(
            p,
            Prediction::Refused {
                reason: Refusal::HoldWindowPassed,
                ..
            }
        ),
        "{p:?}"
    );

    let held = shipment_with(|v| {
        v["exceptions"].as_array_mut().unwrap().push(json!({
            "id": "h-new", "type": "requested_hold_to_collect", "source": "api", "status": "new",
            "created_at": "2021-01-22T10:00:00.000000", "updated_at": "2021-01-22T10:00:00.000000",
            "hold_until": "2021-02-01", "package_id": null, "resolution": null, "exception_type_label": null
        }));
    });
    let p = plan(
        SHIPMENT_PATH,
        held,
        CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 1))),
    )
    .await;
    assert_eq!(
        p,
        Prediction::AlreadyHeld {
            until: Some(date(2021, 2, 1))
        }
    );

    let moving = shipment_with(|v| v["status"] = "in_transit".into());
    let p = plan(SHIPMENT_PATH, moving, CancelRequest::hold(SHIPMENT, None)).await;
    assert!(
        matches!(
            p,
            Prediction::Refused {
                reason: Refusal::NotCancellable,
                ..
            }
        ),
        "{p:?}"
    );
}
