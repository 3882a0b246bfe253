//! The core `Canceller` for Arta: whole cancels of hosted sessions, holds of shipments, the
//! rules that refuse before sending, and the settlement of an unknown hold by reading back.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    answer, client, client_timing_out, client_with, fast_retry, fixture, fixture_json, sequence,
    shipment_with,
};
use httpmock::MockServer;
use rescind_arta::ArtaCancel;
use rescind_arta::model::HostedSession;
use rescind_core::jiff::civil::date;
use rescind_core::{
    CancelRequest, CancelStatus, Canceller, ErrorKind, ItemSelector, Provider, Refusal, Sent,
    SettledBy, TransportConfig,
};
use serde_json::json;

const SHIPMENT: &str = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
const SHIPMENT_PATH: &str = "/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad";

/// A `requested_hold_to_collect` exception as a shipment lists it.
fn hold_exception(id: &str, status: &str, until: Option<&str>) -> serde_json::Value {
    json!({
        "id": id,
        "type": "requested_hold_to_collect",
        "source": "api",
        "status": status,
        "created_at": "2021-01-22T10:00:00.000000",
        "updated_at": "2021-01-22T10:00:00.000000",
        "hold_until": until,
        "package_id": null,
        "resolution": null,
        "exception_type_label": null
    })
}

/// The 201 answer to a hold until `until`.
fn created_hold(until: &str) -> String {
    let mut v = fixture_json("shipment_exception_201.json");
    v["type"] = "requested_hold_to_collect".into();
    v["hold_until"] = until.into();
    v["shipment_id"] = SHIPMENT.into();
    v.to_string()
}

/// Arta's 201 example (no `hold_until`), as the answer about `shipment`.
fn created_for(shipment: &str) -> String {
    let mut v = fixture_json("shipment_exception_201.json");
    v["shipment_id"] = shipment.into();
    v.to_string()
}

#[test]
fn provider_and_capabilities() {
    let server = MockServer::start();
    let c: Arc<dyn Canceller> = Arc::new(client(&server));
    assert_eq!(c.provider(), Provider::Arta);
    let caps = c.capabilities();
    assert!(caps.whole && caps.hold && !caps.items);
}

// ---- whole cancels --------------------------------------------------------------------------

#[tokio::test]
async fn whole_cancel_reads_then_cancels() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200)
                .header("x-arta-request-id", "r-get")
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(200)
                .header("x-arta-request-id", "r-patch")
                .body(common::session_with_status("cancelled"));
        })
        .await;
    let c: Arc<dyn Canceller> = Arc::new(client(&server));
    let outcome = c.cancel(CancelRequest::whole("42")).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.provider, Provider::Arta);
    assert_eq!(outcome.target, "42");
    assert_eq!(outcome.request_id.as_deref(), Some("r-patch"));
    assert_eq!(ArtaCancel::of(&outcome).unwrap().session().unwrap().id, 42);
    get.assert_calls_async(1).await;
    patch.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_already_cancelled_session_is_reported_without_sending_the_cancel() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200)
                .header("x-arta-request-id", "r-get")
                .body(common::session_with_status("cancelled"));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(200)
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole("42"))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert!(outcome.is_cancelled());
    assert_eq!(outcome.request_id.as_deref(), Some("r-get"));
    assert!(outcome.note.is_some());
    // The read decodes only the status to decide; the outcome still carries the whole session.
    let expected: HostedSession =
        serde_json::from_str(&common::session_with_status("cancelled")).unwrap();
    assert_eq!(
        ArtaCancel::of(&outcome).and_then(ArtaCancel::session),
        Some(&expected)
    );
    patch.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_refused_cancel_of_a_session_that_reads_cancelled_is_already_cancelled() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.respond_with(sequence(vec![
                answer(200, "r-1", common::session_with_status("new")),
                answer(200, "r-2", common::session_with_status("cancelled")),
            ]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(422)
                .header("x-arta-request-id", "r-422")
                .body(r#"{"errors":{"detail":"hosted session is already cancelled"}}"#);
        })
        .await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole("42"))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert_eq!(outcome.request_id.as_deref(), Some("r-2"));
    // The one Arta payload, on this path too: the session read after the refusal.
    let session = ArtaCancel::of(&outcome)
        .and_then(ArtaCancel::session)
        .unwrap();
    assert_eq!(session.id, 42);
    get.assert_calls_async(2).await;
    patch.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refused_cancel_of_a_live_session_is_the_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200).body(common::session_with_status("closed"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(422)
                .header("x-arta-request-id", "r-422")
                .body(r#"{"errors":{"detail":"a booked session cannot be cancelled"}}"#);
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::whole("42"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.reason(), Some(Refusal::NotCancellable));
    assert_eq!(err.request_id(), Some("r-422"));
    assert_eq!(
        err.provider_message(),
        Some("a booked session cannot be cancelled")
    );
    assert!(err.to_string().contains("is `closed`"), "{err}");
}

#[tokio::test]
async fn an_unknown_cancel_outcome_is_settled_by_reading_back() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.respond_with(sequence(vec![
                answer(200, "r-1", common::session_with_status("new")),
                answer(200, "r-2", common::session_with_status("cancelled")),
            ]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(200)
                .delay(Duration::from_millis(1500))
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let c = client_with(
        &server,
        TransportConfig::default()
            .with_retry(fast_retry().with_max_attempts(2))
            .with_attempt_timeout(Duration::from_millis(200)),
    );
    let outcome = c.cancel(CancelRequest::whole("42")).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.request_id.as_deref(), Some("r-2"));
    assert_eq!(outcome.settled_by, SettledBy::ReadBack);
    let session = ArtaCancel::of(&outcome)
        .and_then(ArtaCancel::session)
        .unwrap();
    assert_eq!(session.id, 42);
    // The idempotent cancel was retried by the transport, then settled by a read.
    patch.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_missing_session_is_not_found_and_nothing_is_cancelled() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/41");
            then.status(404)
                .header("x-arta-request-id", "r-404")
                .body(fixture("error_404_detail.json"));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method("PATCH");
            then.status(200);
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::whole("41"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.reason(), Some(Refusal::NotFound));
    assert_eq!(err.request_id(), Some("r-404"));
    patch.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_non_integer_target_and_an_item_cancel_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let c = client(&server);
    for target in ["abc", "4.2", "-1", "", "42 "] {
        let err = c.cancel(CancelRequest::whole(target)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{target:?}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.field(), Some("target"));
    }
    let err = c
        .cancel(CancelRequest::items("42", vec![ItemSelector::by_code("x")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.sent(), Sent::NotSent);
    for target in ["", ".."] {
        let err = c
            .cancel(CancelRequest::hold(target, None))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{target:?}");
        assert_eq!(err.sent(), Sent::NotSent);
    }
    any.assert_calls_async(0).await;
}

// ---- holds ----------------------------------------------------------------------------------

#[tokio::test]
async fn hold_reads_checks_and_posts_once() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST")
                .path("/shipment_exceptions")
                .json_body(json!({
                    "shipment_exception": {
                        "type": "requested_hold_to_collect",
                        "shipment_id": SHIPMENT,
                        "hold_until": "2021-02-20"
                    }
                }));
            then.status(201)
                .header("x-arta-request-id", "r-201")
                .body(created_hold("2021-02-20"));
        })
        .await;
    // Created 2021-01-21T21:00:58: 2021-02-20 is day 30, the last day allowed.
    let outcome = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 20))))
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        CancelStatus::Held {
            until: Some(date(2021, 2, 20))
        }
    );
    assert_eq!(outcome.request_id.as_deref(), Some("r-201"));
    assert_eq!(outcome.note, None);
    assert!(
        ArtaCancel::of(&outcome)
            .unwrap()
            .hold()
            .unwrap()
            .is_active_hold()
    );
    get.assert_calls_async(1).await;
    post.assert_calls_async(1).await;
}

#[tokio::test]
async fn hold_without_a_date_omits_it() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200)
                .body(shipment_with(|v| v["status"] = "confirmed".into()));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions").json_body(json!({
                "shipment_exception": {"type": "requested_hold_to_collect", "shipment_id": SHIPMENT}
            }));
            then.status(201).body(created_for(SHIPMENT));
        })
        .await;
    let outcome = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Held { until: None });
    assert!(
        ArtaCancel::of(&outcome)
            .and_then(ArtaCancel::hold)
            .is_some()
    );
    post.assert_calls_async(1).await;
}

#[tokio::test]
async fn hold_is_refused_before_posting_when_a_rule_fails() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST");
            then.status(201)
                .body(fixture("shipment_exception_201.json"));
        })
        .await;
    // A shipment past `confirmed`.
    let in_transit = server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200)
                .body(shipment_with(|v| v["status"] = "in_transit".into()));
        })
        .await;
    let c = client(&server);
    let err = c
        .cancel(CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.reason(), Some(Refusal::NotCancellable));
    assert_eq!(err.provider(), Some(Provider::Arta));
    assert_eq!(err.sent(), Sent::NotSent);
    assert!(err.to_string().contains("in_transit"), "{err}");
    in_transit.delete_async().await;

    // A date on day 31.
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let err = c
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 21))))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.reason(), Some(Refusal::HoldWindowPassed));
    assert_eq!(err.field(), Some("hold_until"));
    assert_eq!(err.sent(), Sent::NotSent);
    post.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_existing_hold_to_the_same_date_is_not_posted_again() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200)
                .header("x-arta-request-id", "r-get")
                .body(shipment_with(|v| {
                    v["exceptions"].as_array_mut().unwrap().push(hold_exception(
                        "h-1",
                        "new",
                        Some("2021-02-10"),
                    ))
                }));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST");
            then.status(201).body(created_hold("2021-02-10"));
        })
        .await;
    let outcome = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 10))))
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        CancelStatus::Held {
            until: Some(date(2021, 2, 10))
        }
    );
    assert_eq!(outcome.request_id.as_deref(), Some("r-get"));
    assert!(outcome.note.as_deref().unwrap().contains("already"));
    let native = ArtaCancel::of(&outcome).unwrap().hold().unwrap();
    assert_eq!(native.id, "h-1");
    assert_eq!(native.shipment_id.as_deref(), Some(SHIPMENT));
    post.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_resolved_hold_does_not_count_as_held() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(shipment_with(|v| {
                v["exceptions"].as_array_mut().unwrap().push(hold_exception(
                    "h-old",
                    "resolved",
                    Some("2021-02-10"),
                ))
            }));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST");
            then.status(201).body(created_hold("2021-02-10"));
        })
        .await;
    client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 10))))
        .await
        .unwrap();
    post.assert_calls_async(1).await;
}

/// The POST answers after the attempt timeout: its outcome is unknown. The shipment read back
/// shows the new hold: Held, and the POST was sent exactly once.
#[tokio::test]
async fn an_unknown_hold_is_settled_by_reading_the_shipment_back() {
    let server = MockServer::start_async().await;
    let with_hold = shipment_with(|v| {
        v["exceptions"].as_array_mut().unwrap().push(hold_exception(
            "h-new",
            "new",
            Some("2021-02-01"),
        ))
    });
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.respond_with(sequence(vec![
                answer(200, "r-before", fixture("shipment_pending.json")),
                answer(200, "r-after", with_hold),
            ]));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201)
                .delay(Duration::from_millis(1500))
                .body(created_hold("2021-02-01"));
        })
        .await;
    let c = client_timing_out(&server, Duration::from_millis(250));
    let outcome = c
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 1))))
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        CancelStatus::Held {
            until: Some(date(2021, 2, 1))
        }
    );
    assert_eq!(outcome.request_id.as_deref(), Some("r-after"));
    assert!(
        outcome
            .note
            .as_deref()
            .unwrap()
            .contains("reading the shipment back")
    );
    assert_eq!(
        ArtaCancel::of(&outcome).unwrap().hold().unwrap().id,
        "h-new"
    );
    post.assert_calls_async(1).await;
    get.assert_calls_async(2).await;
}

/// Same, but the read-back shows no new hold: the error stays "may have been sent", says what
/// was read, and nothing is posted again.
#[tokio::test]
async fn an_unknown_hold_without_a_hold_on_read_back_stays_unknown() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201)
                .delay(Duration::from_millis(1500))
                .body(created_hold("2021-02-01"));
        })
        .await;
    let c = client_timing_out(&server, Duration::from_millis(250));
    let err = c
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 1))))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.outcome_unknown());
    let text = err.to_string();
    assert!(text.contains("read the shipment back"), "{text}");
    assert!(text.contains("no new requested_hold_to_collect"), "{text}");
    assert_eq!(err.operation(), Some("create_shipment_exception"));
    post.assert_calls_async(1).await;
    get.assert_calls_async(2).await;
}

/// The read-back itself fails: still unknown, and the message says so.
#[tokio::test]
async fn an_unknown_hold_whose_read_back_fails_stays_unknown() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.respond_with(sequence(vec![
                answer(200, "r-before", fixture("shipment_pending.json")),
                answer(404, "r-gone", fixture("error_404_detail.json")),
            ]));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201).delay(Duration::from_millis(1500));
        })
        .await;
    let c = client_timing_out(&server, Duration::from_millis(250));
    let err = c
        .cancel(CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(
        err.to_string()
            .contains("reading the shipment back failed too"),
        "{err}"
    );
    post.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refused_hold_is_the_providers_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(422)
                .header("x-arta-request-id", "r-422")
                .body(r#"{"errors":{"shipment_exception/hold_until":["is invalid"]}}"#);
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, Some(date(2021, 2, 1))))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.field(), Some("shipment_exception/hold_until"));
    assert_eq!(err.request_id(), Some("r-422"));
    post.assert_calls_async(1).await;
}

/// A 201 whose exception is about another shipment (Arta's own example answer, as is) is not
/// the hold of this one: it proves nothing, the shipment is read back (no new hold), and the
/// outcome stays unknown. It used to be reported `held` (exit 0) with nothing applied.
#[tokio::test]
async fn a_201_about_another_shipment_is_not_a_hold() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201)
                .body(created_for("a5cbb58c-43ab-4658-9999-98a33b0070d5"));
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert!(err.outcome_unknown(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("a5cbb58c-43ab-4658-9999-98a33b0070d5"),
        "{text}"
    );
    assert!(text.contains("rescind arta show-shipment"), "{text}");
    post.assert_calls_async(1).await;
    get.assert_calls_async(2).await;
}

/// The same shipment id in another case is the same shipment (UUIDs are case-insensitive).
#[tokio::test]
async fn a_201_about_this_shipment_in_upper_case_is_the_hold() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(SHIPMENT_PATH);
            then.status(200).body(fixture("shipment_pending.json"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201)
                .body(created_for(&SHIPMENT.to_ascii_uppercase()));
        })
        .await;
    let outcome = client(&server)
        .cancel(CancelRequest::hold(SHIPMENT, None))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Held { until: None });
    post.assert_calls_async(1).await;
}
