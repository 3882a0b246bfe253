//! Outsider checks of the Di cancel: the outcome's `target` is always the canonical shipment
//! number (whatever accepted form the request used, on every path), targets in forms that are
//! not accepted send nothing, and the time the rules read: `cancel_at`'s fixed time under
//! both policies, the client's clock read only when a reading is judged.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use jiff::Timestamp;
use rescind_core::secrecy::SecretString;
use rescind_core::{
    CancelOptions, CancelRequest, CancelStatus, Canceller, Clock, ErrorKind, Policy, Refusal, Sent,
    Token,
};
use rescind_di::DiCancel;

const EXPORTED: &str = r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#;
const CANCELLED: &str = r#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#;

/// Noon in Oslo on 2026-03-20: an order due 2026-03-31 is still cancellable.
fn before_transit() -> Timestamp {
    "2026-03-20T11:00:00Z".parse().unwrap()
}

/// 2026-04-01: the same order is in transit (since 2026-03-30 00:00 Oslo).
fn in_transit() -> Timestamp {
    "2026-04-01T10:00:00Z".parse().unwrap()
}

/// Every accepted spelling of the seed's shipment number.
fn accepted_forms() -> Vec<String> {
    vec![SHIPMENT.to_string(), format!("(401){SHIPMENT}")]
}

#[tokio::test]
async fn every_accepted_form_gives_the_canonical_target_on_a_check_first_cancel() {
    for given in accepted_forms() {
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        let details = mock_details(&server, order(serde_json::json!({}))).await;
        let cancel = mock_cancel(&server, 200, "").await;
        let outcome = client(&server)
            .cancel_at(CancelRequest::whole(given.clone()), before_transit())
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{given}");
        assert_eq!(outcome.target, SHIPMENT, "{given}");
        details.assert_calls_async(1).await;
        cancel.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn every_accepted_form_gives_the_canonical_target_on_already_cancelled() {
    for given in accepted_forms() {
        // Read first: CANCELLED in the details.
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        mock_details(
            &server,
            order(serde_json::json!({"ediStatus": "CANCELLED"})),
        )
        .await;
        let cancel = mock_cancel(&server, 200, "").await;
        let outcome = client(&server)
            .cancel_at(CancelRequest::whole(given.clone()), before_transit())
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::AlreadyCancelled, "{given}");
        assert_eq!(outcome.target, SHIPMENT, "{given}");
        cancel.assert_calls_async(0).await;

        // Sent first: Di answers order.cancelled.
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        let details = mock_details(&server, order(serde_json::json!({}))).await;
        let cancel = mock_cancel(&server, 400, CANCELLED).await;
        let outcome = client(&server)
            .cancel_with(
                CancelRequest::whole(given.clone()),
                CancelOptions::new().policy(Policy::ChangeFirst),
            )
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::AlreadyCancelled, "{given}");
        assert_eq!(outcome.target, SHIPMENT, "{given}");
        details.assert_calls_async(0).await;
        cancel.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn every_accepted_form_gives_the_canonical_target_when_settled_by_reading_back() {
    for given in accepted_forms() {
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        // The cancel's answer is a gateway page: proves nothing; the order reads CANCELLED.
        let details = mock_details(
            &server,
            order(serde_json::json!({"ediStatus": "CANCELLED"})),
        )
        .await;
        let cancel = mock_cancel(&server, 502, "<html>bad gateway</html>").await;
        let outcome = client(&server)
            .cancel_with(
                CancelRequest::whole(given.clone()),
                CancelOptions::new().policy(Policy::ChangeFirst),
            )
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{given}");
        assert!(outcome.settled_by_read_back(), "{given}: {outcome:?}");
        assert_eq!(outcome.already_cancelled_before, None, "{given}");
        assert_eq!(outcome.target, SHIPMENT, "{given}");
        assert!(cancel.calls_async().await >= 1);
        details.assert_calls_async(1).await;
    }
}

/// Sent first and refused (`order.exported`): the order is read to explain why, under its
/// bare number (the `(401)` prefix is not part of Di's path), and the refusal stays Di's.
#[tokio::test]
async fn a_refusal_sent_first_is_explained_from_the_bare_number_at_cancel_ats_time() {
    for given in accepted_forms() {
        for (at, expected) in [
            (in_transit(), "in transit since 2026-03-30 00:00"),
            (before_transit(), "the order reads ediStatus `EXPORT_OK`"),
        ] {
            let server = MockServer::start_async().await;
            mock_login(&server).await;
            let details = mock_details(&server, order(serde_json::json!({}))).await;
            let cancel = mock_cancel(&server, 400, EXPORTED).await;
            let err = client(&server)
                .cancel_with_at(
                    CancelRequest::whole(given.clone()),
                    CancelOptions::new().policy(Policy::ChangeFirst),
                    at,
                )
                .await
                .unwrap_err();
            cancel.assert_calls_async(1).await;
            details.assert_calls_async(1).await;
            assert_eq!(err.sent(), Sent::Answered, "{given}");
            assert_eq!(err.reason(), Some(Refusal::InTransit), "{given}");
            assert_eq!(err.code(), Some("order.exported"));
            assert!(err.message().contains(expected), "{given} at {at}: {err}");
        }
    }
}

#[tokio::test]
async fn forms_that_are_not_a_shipment_number_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = mock_anything(&server).await;
    let client = client(&server);
    for given in [
        format!(" {SHIPMENT}"),
        format!("{SHIPMENT} "),
        format!("(401) {SHIPMENT}"),
        format!(" (401){SHIPMENT}"),
        format!("(401)(401){SHIPMENT}"),
        format!("401{SHIPMENT}x"),
        "(401)".to_string(),
        "(401".to_string(),
        format!("+{SHIPMENT}"),
        // Full-width digits are digits to Unicode, not to Di.
        "７０７２４７６１６１７８８３１８４".to_string(),
        "1".repeat(200),
    ] {
        for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
            let err = client
                .cancel_with_at(
                    CancelRequest::whole(given.clone()),
                    CancelOptions::new().policy(policy),
                    before_transit(),
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{given:?}");
            assert_eq!(err.sent(), Sent::NotSent, "{given:?}");
            assert_eq!(err.field(), Some("target"), "{given:?}");
        }
        assert!(client.check(&CancelRequest::whole(given.clone())).is_err());
    }
    anything.assert_calls_async(0).await;
}

/// `cancel_at` decides at the caller's time, not the client's clock (the system's: December
/// 2026, long after the order's transit), under check-first.
#[tokio::test]
async fn cancel_at_judges_a_reading_at_the_fixed_time_not_the_clock() {
    // Before transit by the fixed time: sent and cancelled.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let outcome = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), before_transit())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.already_cancelled_before, Some(false));
    cancel.assert_calls_async(1).await;

    // In transit by the fixed time, with the client's clock before transit: refused unsent.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .clock(Clock::fixed(before_transit()))
        .build()
        .unwrap();
    let err = client
        .cancel_at(CancelRequest::whole(SHIPMENT), in_transit())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some(Refusal::InTransit));
    assert_eq!(err.sent(), Sent::NotSent);
    cancel.assert_calls_async(0).await;
}

/// Change first, `cancel_at` sends whatever its time says (Di decides) and a success is
/// `Cancelled` without a claim about before.
#[tokio::test]
async fn cancel_with_at_change_first_sends_even_in_transit_and_claims_nothing_before() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let outcome = client(&server)
        .cancel_with_at(
            CancelRequest::whole(format!("(401){SHIPMENT}")),
            CancelOptions::new().policy(Policy::ChangeFirst),
            in_transit(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.target, SHIPMENT);
    cancel.assert_calls_async(1).await;
    details.assert_calls_async(0).await;
    let native = DiCancel::of(&outcome).unwrap();
    assert!(native.details.is_none());
    assert_eq!(native.response.as_ref().unwrap().status, 200);
}

/// The trait's `cancel` reads the client's clock when it judges a reading (check first), and
/// at the time it judges it: a clock that moves past the transit start while the order is
/// being read is read after the read.
#[tokio::test]
async fn the_clock_is_read_when_the_reading_is_judged() {
    let reads = Arc::new(AtomicUsize::new(0));
    let clock = {
        let reads = reads.clone();
        Clock::from_fn(move || {
            reads.fetch_add(1, Ordering::SeqCst);
            before_transit()
        })
    };
    let server = MockServer::start_async().await;
    let login = mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .clock(clock)
        .build()
        .unwrap();
    client
        .token_cache()
        .prime(Token::new(
            SecretString::from(JWT),
            Duration::from_secs(3600),
        ))
        .await;

    // Change first, answered 200: no reading, so no clock.
    let before = reads.load(Ordering::SeqCst);
    let outcome = client
        .cancel_with(
            CancelRequest::whole(SHIPMENT),
            CancelOptions::new().policy(Policy::ChangeFirst),
        )
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(
        reads.load(Ordering::SeqCst),
        before,
        "a cancel sent first read the clock"
    );
    details.assert_calls_async(0).await;

    // Check first: the reading is judged by the clock.
    let outcome = client.cancel(CancelRequest::whole(SHIPMENT)).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(reads.load(Ordering::SeqCst) > before);
    details.assert_calls_async(1).await;
    cancel.assert_calls_async(2).await;
    login.assert_calls_async(0).await;
}
