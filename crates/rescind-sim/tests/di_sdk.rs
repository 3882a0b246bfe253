//! The Di SDK client (rescind-di) against the simulator, end to end: every operation, every
//! refusal, token expiry mid-run, and every fault kind on the cancel.

#[path = "common/di.rs"]
mod di;

use std::time::{Duration, Instant};

use jiff::civil::date;
use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelRequest, CancelStatus, Canceller, ErrorKind, ItemSelector, Sent};
use rescind_di::{Client, Credentials, DiCancel, EdiStatus};
use rescind_sim::di::{DiOrder, DiUser, DiWorld};
use rescind_sim::{Clock, FaultAction, Simulator, World};

use di::*;

#[tokio::test]
async fn every_operation_on_the_demo_data() {
    let running = Simulator::new().start().await.unwrap();
    let client = client(&running);
    client.login().await.unwrap();

    let details = client.order_details("70724760000000101").await.unwrap();
    assert_eq!(details.shipment_id, "70724760000000101");
    assert_eq!(details.edi_status, Some(EdiStatus::ExportOk));
    assert_eq!(details.shop_id, Some(1234));
    assert_eq!(details.desired_delivery_date, Some(date(2099, 6, 15)));
    assert!(!details.is_pickup());
    assert_eq!(
        details.items[0].tracking_reference.as_deref(),
        Some("00370724760000000101")
    );
    assert!(details.extra.is_empty(), "{:?}", details.extra);
    let pickup = client.order_details("R105").await.unwrap();
    assert!(pickup.is_pickup());
    assert_eq!(
        pickup.pickup_details.unwrap().pickup_date,
        Some(date(2099, 7, 1))
    );
    let via_gs1 = client
        .order_details("(401)70724760000000105")
        .await
        .unwrap();
    assert_eq!(via_gs1.shipment_id, "70724760000000105");

    // Through the common trait: read, rules, cancel.
    let outcome = client
        .cancel(CancelRequest::whole("(401)70724760000000101"))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.target, "70724760000000101");
    let native = outcome.native::<DiCancel>().unwrap();
    assert!(native.response.as_ref().unwrap().is_empty());
    assert_eq!(applied(&running, "70724760000000101"), 1);
    assert_eq!(edi_status(&running, "70724760000000101"), "CANCELLED");

    // Again: the details say CANCELLED, nothing is sent.
    let again = client
        .cancel(CancelRequest::whole("70724760000000101"))
        .await
        .unwrap();
    assert_eq!(again.status, CancelStatus::AlreadyCancelled);
    assert_eq!(cancel_hits(&running, "70724760000000101"), 1);

    // The native cancel of a cancelled order: Di's order.cancelled.
    let err = client.cancel_order("70724760000000104").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.code(), Some("order.cancelled"));
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.status(), Some(400));

    // The pick-up before its cut-off, natively.
    let resp = client.cancel_order("70724760000000105").await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(applied(&running, "70724760000000105"), 1);

    // One login for all of it.
    assert_eq!(client.token_cache().login_count(), 1);
    assert_eq!(login_hits(&running), 1);
}

#[tokio::test]
async fn every_refusal() {
    let running = Simulator::new().start().await.unwrap();
    let client = client(&running);

    // The SDK's own rules refuse orders in the window, without sending the cancel.
    for id in [
        "70724760000000102",
        "70724760000000103",
        "70724760000000106",
    ] {
        let err = client.cancel(CancelRequest::whole(id)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{id}");
        assert_eq!(err.sent(), Sent::NotSent, "{id}");
        assert_eq!(cancel_hits(&running, id), 0, "{id}");
    }
    // A scan or a delivery the details do not show: Di (the simulator) refuses.
    for (id, code) in [
        ("70724760000000107", "order.exported"),
        ("70724760000000109", "error.parcel.final.status"),
    ] {
        let err = client.cancel(CancelRequest::whole(id)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{id}");
        assert_eq!(err.sent(), Sent::Answered, "{id}");
        assert_eq!(err.code(), Some(code), "{id}");
        assert_eq!(cancel_hits(&running, id), 1, "{id}");
        assert_eq!(applied(&running, id), 0, "{id}");
    }
    // Another shop's order: 403 on the read already.
    let err = client
        .cancel(CancelRequest::whole("70724760000000108"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.code(), Some("no.access.shop.id"));
    let err = client.cancel_order("70724760000000108").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(applied(&running, "70724760000000108"), 0);
    // Unknown.
    let err = client
        .cancel(CancelRequest::whole("70724769999999999"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("cannot.find.order"));
    let err = client.cancel_order("70724769999999999").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    // Items and holds: unsupported, nothing sent; a bad target: invalid input.
    let err = client
        .cancel(CancelRequest::items(
            "70724760000000101",
            vec![ItemSelector::by_code("1")],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client
        .cancel(CancelRequest::hold("70724760000000101", None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client
        .cancel(CancelRequest::whole("abc"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(cancel_hits(&running, "70724760000000101"), 0);

    // Without the edit-orders web service.
    let readonly = client_as(&running, "wsreadonly", "read-only-password", fast_config());
    let err = readonly
        .cancel_order("70724760000000101")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.code(), Some("no.access.api"));
    // Wrong credentials: the login is refused, nothing else sent.
    let wrong = client_as(&running, USER, "wrong-password", fast_config());
    let err = wrong
        .cancel(CancelRequest::whole("70724760000000101"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    // Only the read-only user's refused cancel reached the endpoint.
    assert_eq!(cancel_hits(&running, "70724760000000101"), 1);
    assert_eq!(applied(&running, "70724760000000101"), 0);
    assert_eq!(edi_status(&running, "70724760000000101"), "EXPORT_OK");
}

#[tokio::test]
async fn without_local_rules_the_simulator_decides() {
    let running = Simulator::new().start().await.unwrap();
    let client = Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new(USER, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .check_transit_rules(false)
        .build()
        .unwrap();
    let err = client
        .cancel(CancelRequest::whole("70724760000000102"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.code(), Some("order.exported"));
    assert_eq!(cancel_hits(&running, "70724760000000102"), 1);

    // A pick-up past its cut-off whose pick-up attempt failed: the SDK cannot see it, the
    // simulator allows it.
    reqwest::Client::new()
        .post(format!(
            "{}/__sim/di/orders/70724760000000106/pickup_failed",
            running.base_url()
        ))
        .send()
        .await
        .unwrap();
    let outcome = client
        .cancel(CancelRequest::whole("70724760000000106"))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(applied(&running, "70724760000000106"), 1);
}

#[tokio::test]
async fn the_transit_rule_through_the_sdk_with_a_fixed_clock() {
    // Desired delivery 2026-03-31: in transit from 2026-03-30 00:00 CEST = 03-29 22:00Z (the
    // day after the spring change). Desired 2026-10-27: from 10-26 00:00 CET = 10-25 23:00Z.
    let mut world = World::default();
    world.di = DiWorld::default()
        .with_user(DiUser::new(USER, PASSWORD, &[1234]))
        .with_order(
            DiOrder::new("70724760000000011", 1234).with_desired_delivery_date(date(2026, 3, 31)),
        )
        .with_order(
            DiOrder::new("70724760000000012", 1234).with_desired_delivery_date(date(2026, 3, 31)),
        )
        .with_order(
            DiOrder::new("70724760000000021", 1234).with_desired_delivery_date(date(2026, 10, 27)),
        )
        .with_order(
            DiOrder::new("70724760000000022", 1234).with_desired_delivery_date(date(2026, 10, 27)),
        )
        .with_order(DiOrder::new("70724760000000031", 1234).with_pickup_date(date(2026, 1, 15)));
    let running = Simulator::new()
        .seed(world)
        .clock(Clock::fixed(ts("2026-03-29T21:59:59Z")))
        .start()
        .await
        .unwrap();
    let sim = running.sim();
    let client = client(&running);
    let lax = Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new(USER, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .check_transit_rules(false)
        .build()
        .unwrap();

    let at = |now: &str| {
        sim.clock().set(ts(now));
        ts(now)
    };
    // One second before: cancelled.
    let now = at("2026-03-29T21:59:59Z");
    let outcome = client
        .cancel_at(CancelRequest::whole("70724760000000011"), now)
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    // At the instant: the SDK refuses; asked anyway, the simulator refuses too.
    let now = at("2026-03-29T22:00:00Z");
    let err = client
        .cancel_at(CancelRequest::whole("70724760000000012"), now)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::NotCancellable, Sent::NotSent)
    );
    let err = lax
        .cancel_at(CancelRequest::whole("70724760000000012"), now)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::NotCancellable, Sent::Answered)
    );
    assert_eq!(err.code(), Some("order.exported"));

    // Autumn: the tokens above were issued in March; a new login follows the 401.
    let now = at("2026-10-25T22:59:59Z");
    let outcome = client
        .cancel_at(CancelRequest::whole("70724760000000021"), now)
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    let now = at("2026-10-25T23:00:00Z");
    let err = lax
        .cancel_at(CancelRequest::whole("70724760000000022"), now)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("order.exported"));

    // Pick-up on 2026-01-15: cut-off 01-14 23:00 CET = 22:00Z.
    let now = at("2026-01-14T22:00:00Z");
    let err = lax
        .cancel_at(CancelRequest::whole("70724760000000031"), now)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("order.exported"));
    let now = at("2026-01-14T21:59:59Z");
    let outcome = lax
        .cancel_at(CancelRequest::whole("70724760000000031"), now)
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);

    let applied = sim.counters().snapshot().applied;
    assert_eq!(applied.len(), 3, "{applied:?}");
}

#[tokio::test]
async fn an_expired_token_mid_run_is_renewed_exactly_once() {
    let mut world = fault_world();
    world.di.token_lifetime_seconds = 300;
    let running = Simulator::new()
        .seed(world)
        .clock(Clock::fixed(ts("2026-06-01T10:00:00Z")))
        .start()
        .await
        .unwrap();
    let client = client(&running);
    let details = "GET /ws/json/parcel/booking/v-1/details/70724760000000001";

    client.order_details(ORDER).await.unwrap();
    assert_eq!(client.token_cache().login_count(), 1);
    assert_eq!(running.sim().counters().hit_count(details), 1);

    // The simulator's clock passes the token's exp; the SDK's own clock does not.
    running
        .sim()
        .clock()
        .advance(jiff::SignedDuration::from_secs(301));
    client.order_details(ORDER).await.unwrap();
    assert_eq!(client.token_cache().login_count(), 2);
    assert_eq!(login_hits(&running), 2);
    // The refused call and its replay.
    assert_eq!(running.sim().counters().hit_count(details), 3);

    // The new token serves the cancel: no third login.
    let outcome = client.cancel(CancelRequest::whole(ORDER)).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(client.token_cache().login_count(), 2);
    assert_eq!(applied(&running, ORDER), 1);
    assert_eq!(running.sim().world().di.tokens.len(), 2);
}

#[tokio::test]
async fn a_forgotten_token_is_renewed_once_during_a_cancel() {
    let running = fault_sim().await;
    let client = client(&running);
    client.login().await.unwrap();
    running.sim().with_world(|w| w.di.tokens.clear());
    let resp = client.cancel_order(ORDER).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(client.token_cache().login_count(), 2);
    assert_eq!(cancel_hits(&running, ORDER), 2);
    assert_eq!(applied(&running, ORDER), 1);
}

// ---- Faults on the cancel (DELETE), through the Canceller ----------------------------------

#[tokio::test]
async fn a_429_with_retry_after_is_waited_for_then_retried() {
    let running = fault_sim_given(
        on_cancel(FaultAction::status_with_retry_after(
            429,
            Duration::from_secs(1),
        ))
        .times(1),
    )
    .await;
    let client = client(&running);
    let started = Instant::now();
    let outcome = client.cancel(CancelRequest::whole(ORDER)).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_outcome_cancelled_once(&outcome, &running, 2);
}

/// A 429 is retried apart from failures, within the call's deadline and at most
/// `max_throttle_retries` times (here 2): then the last 429 is the error.
#[tokio::test]
async fn a_429_that_lasts_is_rate_limited() {
    let running = fault_sim_given(on_cancel(FaultAction::status(429))).await;
    let config = fast_config().with_retry(
        RetryPolicy::default()
            .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .with_max_throttle_retries(2),
    );
    let err = client_with(&running, config)
        .cancel(CancelRequest::whole(ORDER))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    // Di documents no 429: it proves nothing about the cancel (DESIGN principle 11), so the
    // call may have been sent, and the order is read back (still not cancelled).
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 3);
    assert_not_cancelled(&running, 3);
}

#[tokio::test]
async fn server_errors_are_retried() {
    for status in [500u16, 502, 503] {
        let running = fault_sim_given(on_cancel(FaultAction::status(status)).times(1)).await;
        let outcome = cancel_whole(&running).await.unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{status}");
        assert_cancelled_once(&running, 2);
    }
    // One that lasts: a server error after three attempts, nothing applied. A 5xx proves
    // nothing about a change: the order is read back (unchanged) and the outcome is unknown.
    let running = fault_sim_given(on_cancel(FaultAction::status(503))).await;
    let err = cancel_whole(&running).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.observed_before().is_some(), "{err}");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 3);
    assert_not_cancelled(&running, 3);
}

#[tokio::test]
async fn a_delay_past_the_attempt_timeout_is_retried() {
    let running = fault_sim_given(on_cancel_delayed(Duration::from_millis(800)).times(1)).await;
    let outcome = cancel_whole(&running).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    // Let the delayed first attempt end (or be dropped), then check "exactly once".
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_cancelled_once(&running, 2);
}

#[tokio::test]
async fn delays_on_every_attempt_leave_the_outcome_unknown() {
    let running = fault_sim_given(on_cancel_delayed(Duration::from_secs(30))).await;
    let err = cancel_whole(&running).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 3);
    // Settled by reading back: not cancelled, so the "maybe sent" error stands.
    assert_eq!(
        running
            .sim()
            .counters()
            .hit_count("GET /ws/json/parcel/booking/v-1/details/70724760000000001"),
        2
    );
    assert_not_cancelled(&running, 3);
}

#[tokio::test]
async fn a_drop_before_the_answer_is_retried() {
    let running = fault_sim_given(on_cancel(FaultAction::Drop).times(1)).await;
    let outcome = cancel_whole(&running).await.unwrap();
    assert_outcome_cancelled_once(&outcome, &running, 2);
}

#[tokio::test]
async fn a_drop_after_apply_is_retried_and_the_retry_finds_it_cancelled() {
    let running = fault_sim_given(on_cancel(FaultAction::Drop).after_apply().times(1)).await;
    let outcome = cancel_whole(&running).await.unwrap();
    // The first attempt cancelled the order; the retry got order.cancelled. The SDK knows its
    // first attempt may have been applied, so the cancel is this call's doing.
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(
        outcome
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("earlier attempt")
    );
    assert_cancelled_once(&running, 2);
}

#[tokio::test]
async fn a_drop_after_apply_without_retries_is_settled_by_reading_back() {
    let running = fault_sim_given(on_cancel(FaultAction::Drop).after_apply().times(1)).await;
    let client = client_with(&running, fast_config().with_retry(RetryPolicy::none()));
    let outcome = client.cancel(CancelRequest::whole(ORDER)).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(
        outcome
            .note
            .as_deref()
            .unwrap()
            .contains("reading the order back")
    );
    assert_cancelled_once(&running, 1);

    // The native call has no read-back: it reports "may have been sent".
    let running = fault_sim_given(on_cancel(FaultAction::Drop).after_apply().times(1)).await;
    let client = client_with(&running, fast_config().with_retry(RetryPolicy::none()));
    let err = client.cancel_order(ORDER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_cancelled_once(&running, 1);
}

#[tokio::test]
async fn an_html_502_is_retried() {
    let running = fault_sim_given(on_cancel(FaultAction::Html).times(1)).await;
    let outcome = cancel_whole(&running).await.unwrap();
    assert_outcome_cancelled_once(&outcome, &running, 2);

    // An HTML page on every attempt: a server error that says the body was not Di's.
    let running = fault_sim_given(on_cancel(FaultAction::Html)).await;
    let err = cancel_whole(&running).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert!(
        err.to_string().contains("not Di's JSON error body"),
        "{err}"
    );
    assert_not_cancelled(&running, 3);
}

#[tokio::test]
async fn malformed_or_empty_200s_after_the_change() {
    // Di documents no success body: an empty 2xx is its success. Malformed JSON is not a
    // success (rescind_core::change): the order is read back, CANCELLED, and the outcome is
    // marked as settled by reading back.
    for action in [FaultAction::MalformedJson, FaultAction::Empty] {
        let running = fault_sim_given(on_cancel(action.clone()).after_apply().times(1)).await;
        let outcome = cancel_whole(&running).await.unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{action:?}");
        let response = outcome.native::<DiCancel>().unwrap().response.clone();
        match action {
            FaultAction::MalformedJson => {
                assert!(outcome.settled_by_read_back());
                assert!(response.is_none());
            }
            _ => {
                assert!(!outcome.settled_by_read_back());
                assert!(response.unwrap().is_empty());
            }
        }
        assert_cancelled_once(&running, 1);
    }
}

#[tokio::test]
async fn a_malformed_200_without_the_change_is_read_back_and_sent_once_more() {
    // A 200 whose body is garbage (a broken proxy that never reached Di) used to be taken as
    // a success. It proves nothing: the order reads back EXPORT_OK, and the idempotent cancel
    // is sent once more, which Di applies.
    let running = fault_sim_given(on_cancel(FaultAction::MalformedJson).times(1)).await;
    let outcome = cancel_whole(&running).await.unwrap();
    assert_outcome_cancelled_once(&outcome, &running, 2);
}

#[tokio::test]
async fn malformed_empty_and_html_details_are_decode_or_server_errors_and_nothing_is_sent() {
    for (action, kind) in [
        (FaultAction::MalformedJson, ErrorKind::Decode),
        (FaultAction::Empty, ErrorKind::Decode),
        (FaultAction::oversized(200_000), ErrorKind::Decode),
    ] {
        let running = fault_sim_given(on_details(action.clone())).await;
        let client = client_with(
            &running,
            fast_config().with_body_limits(64 * 1024, 8 * 1024),
        );
        let err = client
            .cancel(CancelRequest::whole(ORDER))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{action:?}: {err}");
        assert_eq!(err.sent(), Sent::Answered, "{action:?}");
        assert_not_cancelled(&running, 0);
    }
}

#[tokio::test]
async fn an_oversized_answer_to_the_cancel_is_settled_by_reading_back() {
    let running = fault_sim_given(
        on_cancel(FaultAction::oversized(200_000))
            .after_apply()
            .times(2),
    )
    .await;
    let client = client_with(
        &running,
        fast_config().with_body_limits(64 * 1024, 8 * 1024),
    );
    // Natively: Di accepted the cancel (200) with an answer too large to read. The outcome is
    // unknown (MaybeSent), never "answered".
    let err = client.cancel_order(ORDER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("larger than"), "{err}");
    assert_cancelled_once(&running, 1);
    // Through the Canceller, the same answer is settled by reading the order back: the
    // cancel of a cancelled order is not applied again.
    running.sim().reset();
    given(
        &running,
        on_cancel(FaultAction::oversized(200_000))
            .after_apply()
            .times(1),
    );
    let outcome = client.cancel(CancelRequest::whole(ORDER)).await.unwrap();
    assert_outcome_cancelled_once(&outcome, &running, 1);
}

#[tokio::test]
async fn faults_on_the_login_are_retried_and_reported() {
    let running = fault_sim_given(on_login(FaultAction::status(503)).times(1)).await;
    let client = client(&running);
    let outcome = client.cancel(CancelRequest::whole(ORDER)).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(login_hits(&running), 2);
    assert_cancelled_once(&running, 1);

    let running = fault_sim_given(on_login(FaultAction::Html)).await;
    let err = client_with(&running, fast_config())
        .cancel(CancelRequest::whole(ORDER))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_not_cancelled(&running, 0);
}
