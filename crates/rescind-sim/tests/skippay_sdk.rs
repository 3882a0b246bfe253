//! The Skip Pay SDK client (rescind-skippay) against the simulator, end to end: every
//! operation, every refusal, and every fault kind on the order cancel.

#[path = "common/skippay.rs"]
mod skippay;

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelRequest, CancelStatus, Canceller, ErrorKind, ItemSelector, Sent};
use rescind_sim::{Clock, FaultAction, Simulator, World};
use rescind_skippay::model::{
    ApplicationState, CancelItem, CancelReason, OrderCancelRequest, OrderState, StateReason,
};
use rescind_skippay::{Client, Credentials};

use skippay::*;

#[tokio::test]
async fn every_operation_through_the_client() {
    let running = start().await;
    let client = client(&running);

    let app = client.get_application(READY).await.unwrap();
    assert_eq!(app.state, ApplicationState::Ready);
    assert_eq!(app.state_reason, Some(StateReason::ReadyToShip));
    let order = app.order.unwrap();
    assert_eq!(order.number.as_deref(), Some("AA234"));
    assert_eq!(
        lines(&order, "CABLE-M"),
        vec![(OrderState::Processing, dec("2.5"))]
    );

    // Part of an item, by code and EAN.
    let order = client
        .cancel_order_items(
            READY,
            &OrderCancelRequest::items(vec![
                CancelItem::by_code("CABLE-M")
                    .ean("8594000000048")
                    .quantity(dec("1")),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(
        lines(&order, "CABLE-M"),
        vec![
            (OrderState::Processing, dec("1.5")),
            (OrderState::Cancelled, dec("1"))
        ]
    );
    assert_eq!(
        order.application_info.as_ref().map(|i| &i.state),
        Some(&ApplicationState::Ready)
    );
    assert_eq!(item_applied(&running, READY, "CABLE-M", "reduce"), 1);

    // The whole order.
    let order = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap();
    assert!(order.is_cancelled());
    assert_eq!(order.state, Some(OrderState::Cancelled));
    assert_eq!(order_applied(&running, READY), 1);

    // An application still PROCESSING.
    let app = client
        .cancel_application(PROCESSING, CancelReason::ByCustomer)
        .await
        .unwrap();
    assert_eq!(app.state, ApplicationState::Cancelled);
    assert_eq!(
        applied(
            &running,
            &format!("skippay:application:{PROCESSING}:cancel")
        ),
        1
    );
    // One login for all of it.
    assert_eq!(
        running
            .sim()
            .counters()
            .hit_count("POST /authentication/v1/partner"),
        1
    );
}

#[tokio::test]
async fn the_canceller_decides_from_the_state() {
    let running = start().await;
    let client = client(&running);

    // READY, some items: partially cancelled.
    let outcome = client
        .cancel(CancelRequest::items(
            READY,
            vec![
                ItemSelector::by_code("CASE-3").quantity(dec("2")),
                ItemSelector::by_code("SHIP-PPL").item_type("SHIPPING_FEE"),
            ],
        ))
        .await
        .unwrap();
    assert!(
        matches!(outcome.status, CancelStatus::PartiallyCancelled { .. }),
        "{outcome:?}"
    );
    let order = order_of(&running, READY);
    assert_eq!(
        sim_lines(&order, "CASE-3"),
        vec![
            (OrderState::Processing, dec("1")),
            (OrderState::Cancelled, dec("2"))
        ]
    );
    assert_eq!(
        sim_lines(&order, "SHIP-PPL"),
        vec![(OrderState::Cancelled, dec("1"))]
    );

    // READY, whole: cancelled; again: already cancelled, nothing sent.
    let outcome = client
        .cancel(CancelRequest::whole(READY_TWO))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    let outcome = client
        .cancel(CancelRequest::whole(READY_TWO))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert_eq!(puts(&running, READY_TWO), 1);
    let outcome = client
        .cancel(CancelRequest::whole(ORDER_CANCELLED))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);

    // PROCESSING, whole: the application is cancelled.
    let outcome = client
        .cancel(CancelRequest::whole(PROCESSING))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(
        running
            .sim()
            .world()
            .skippay
            .application(PROCESSING)
            .unwrap()
            .state,
        rescind_sim::skippay::ApplicationState::Cancelled
    );

    // CANCELLED: already cancelled.
    let outcome = client
        .cancel(CancelRequest::whole(CANCELLED))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);

    // Refused before sending: REJECTED, validating, sent.
    for id in [REJECTED, VALIDATING, SHIPPED] {
        let err = client.cancel(CancelRequest::whole(id)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{id}: {err}");
        assert_eq!(err.sent(), Sent::NotSent, "{id}");
        assert_eq!(puts(&running, id), 0);
        assert_eq!(hits(&running, "PUT", id, "/cancel"), 0);
    }
    // Unknown application: not found, from the read.
    let err = client
        .cancel(CancelRequest::whole("nope"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("APPLICATION_NOT_FOUND"));
}

#[tokio::test]
async fn server_refusals_map_to_error_kinds() {
    let running = start().await;
    let client = client(&running);
    let whole = OrderCancelRequest::whole();
    for (id, code) in [
        (PROCESSING, "UNPROCESSABLE"),
        (VALIDATING, "APPLICATION_VALIDATION_IN_PROGRESS"),
        (REJECTED, "APPLICATION_REJECTED"),
        (CANCELLED, "APPLICATION_ALREADY_CANCELLED"),
        (SHIPPED, "UNPROCESSABLE"),
    ] {
        let err = client.cancel_order_items(id, &whole).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{id}: {err}");
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.status(), Some(422));
        assert_eq!(err.sent(), Sent::Answered);
        assert!(
            err.request_id().is_some_and(|t| t.starts_with("SIM1:")),
            "{err}"
        );
        assert_eq!(puts(&running, id), 1, "422 is not retried");
    }
    let err = client.cancel_order_items("nope", &whole).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("OBJECT_NOT_FOUND"));

    // A selector naming no item: Skip Pay's 400, with the attribute.
    let err = client
        .cancel_order_items(
            READY,
            &OrderCancelRequest::items(vec![CancelItem::by_code("NOPE")]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.code(), Some("INVALID_REQUEST"));
    assert_eq!(err.details()[0].field.as_deref(), Some("items[0]"));
    // Too many pieces: 422.
    let err = client
        .cancel_order_items(READY, &quantity("CASE-3", "4"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    // The client's own check stops a quantity below 1: nothing is sent.
    let before = puts(&running, READY);
    let err = client
        .cancel_order_items(READY, &quantity("CASE-3", "0.5"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(puts(&running, READY), before);
    untouched(&running, READY);

    // Application cancel refusals.
    for (id, code) in [
        (REJECTED, "APPLICATION_REJECTED"),
        (CANCELLED, "APPLICATION_ALREADY_CANCELLED"),
        (VALIDATING, "APPLICATION_VALIDATION_IN_PROGRESS"),
        (SHIPPED, "UNPROCESSABLE"),
    ] {
        let err = client
            .cancel_application(id, CancelReason::ByErp)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{id}");
        assert_eq!(err.code(), Some(code));
    }
}

#[tokio::test]
async fn bad_credentials_and_token_expiry() {
    let running = start().await;
    let bad = Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new("eShop", "wrong"))
        .configure(fast)
        .build()
        .unwrap();
    let err = bad.get_application(READY).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(hits(&running, "GET", READY, ""), 0);

    // Tokens live 120 s on the simulator's clock; the client believes it for 60 s (margin).
    let mut world = World::demo();
    world.skippay.token_lifetime_seconds = 120;
    let running = Simulator::new()
        .seed(world)
        .clock(Clock::fixed("2026-03-29T10:00:00Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let client = client(&running);
    client.get_application(READY).await.unwrap();
    running
        .sim()
        .clock()
        .advance(SignedDuration::from_secs(121));
    // The simulator refuses the expired token with 401; the client logs in again and replays.
    let app = client.get_application(READY).await.unwrap();
    assert_eq!(app.id, READY);
    let counters = running.sim().counters();
    assert_eq!(counters.hit_count("POST /authentication/v1/partner"), 2);
    assert_eq!(hits(&running, "GET", READY, ""), 3);
}

#[tokio::test]
async fn throttled_then_answered_honours_retry_after() {
    let running = start().await;
    let client = patient_client(&running);
    given(
        &running,
        order_cancel(throttled_for(Duration::from_secs(1))).times(1),
    );
    let started = Instant::now();
    // A whole cancel is idempotent: retried after the wait the 429 names.
    let order = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    assert_eq!(order.state, Some(OrderState::Cancelled));
    assert_eq!(puts(&running, READY), 2);

    // Throttled every time: the error says so, with the wait. Skip Pay documents no 429, so
    // it does not prove the change was refused: the call may have been sent.
    given(
        &running,
        order_cancel(throttled_for(Duration::from_secs(120))),
    );
    let err = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(
        puts(&running, READY),
        3,
        "a Retry-After past the cap is not waited"
    );
}

/// A cancel with quantities cannot be sent twice, and Skip Pay documents no 429: a 429 is not
/// proof that nothing was applied (DESIGN principle 11), so it is not re-sent; the items are
/// read back and the call ends "may have been sent" (the simulator applied nothing here).
#[tokio::test]
async fn a_429_to_a_quantity_cancel_is_not_resent() {
    let running = start().await;
    let client = patient_client(&running);
    given(
        &running,
        order_cancel(throttled_for(Duration::from_secs(1))).times(1),
    );
    let err = client
        .cancel_order_items(READY, &quantity("CASE-3", "1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(puts(&running, READY), 1, "not re-sent");
    assert_eq!(item_applied(&running, READY, "CASE-3", "reduce"), 0);
}

#[tokio::test]
async fn server_errors_are_retried_for_whole_cancels_only() {
    for status in [500, 502, 503] {
        let running = start().await;
        let client = client(&running);
        given(&running, order_cancel(FaultAction::status(status)).times(1));
        // Whole order: idempotent, retried, applied once.
        let outcome = client.cancel(CancelRequest::whole(READY)).await.unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{status}");
        assert_eq!(puts(&running, READY), 2, "{status}");
        assert_eq!(order_applied(&running, READY), 1);

        // A quantity: never re-sent after a 5xx (it may have been applied).
        given(&running, order_cancel(FaultAction::status(status)).times(1));
        let err = client
            .cancel_order_items(READY_TWO, &quantity("MS-202", "1"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{status}: {err}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(puts(&running, READY_TWO), 1);
        assert_eq!(
            sim_lines(&order_of(&running, READY_TWO), "MS-202"),
            vec![(OrderState::Processing, dec("2"))]
        );
    }
}

#[tokio::test]
async fn delay_past_the_attempt_timeout_is_retried_for_a_whole_cancel() {
    let running = start().await;
    let client = client_with(&running, |c| {
        fast(c).with_attempt_timeout(Duration::from_millis(150))
    });
    given(
        &running,
        order_cancel_delayed(Duration::from_millis(600)).times(1),
    );
    let outcome = client
        .cancel(CancelRequest::whole(READY_TWO))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(puts(&running, READY_TWO), 2);
    // Let the delayed request finish, if the server still runs it: applied once either way.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(order_applied(&running, READY_TWO), 1);
    assert_eq!(item_applied(&running, READY_TWO, "MS-202", "cancel"), 1);

    // Every attempt too slow: a timeout, maybe sent.
    given(&running, order_cancel_delayed(Duration::from_millis(600)));
    let err = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.outcome_unknown());
    assert_eq!(err.attempts(), 3);
    assert_eq!(puts(&running, READY), 3);
}

#[tokio::test]
async fn drop_before_the_answer_is_retried_when_safe() {
    let running = start().await;
    let client = client(&running);
    given(&running, order_cancel(FaultAction::Drop).times(1));
    let order = client
        .cancel_order_items(READY_TWO, &OrderCancelRequest::whole())
        .await
        .unwrap();
    assert!(order.is_cancelled());
    assert_eq!(puts(&running, READY_TWO), 2);
    assert_eq!(order_applied(&running, READY_TWO), 1);

    // With a quantity: not re-sent; read back, the item is untouched.
    given(&running, order_cancel(FaultAction::Drop).times(1));
    let err = client
        .cancel_order_items(READY, &quantity("CASE-3", "1"))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(puts(&running, READY), 1);
    assert!(err.message().contains("PROCESSING (quantity 3)"), "{err}");
    assert_eq!(
        sim_lines(&order_of(&running, READY), "CASE-3"),
        vec![(OrderState::Processing, dec("3"))]
    );
}

#[tokio::test]
async fn drop_after_apply_is_applied_exactly_once() {
    let running = start().await;
    let client = client(&running);

    // Whole order through the Canceller: the transport re-sends (idempotent); the repeat
    // changes nothing; the outcome is cancelled; the change counted once.
    given(
        &running,
        order_cancel(FaultAction::Drop).after_apply().times(1),
    );
    let outcome = client
        .cancel(CancelRequest::whole(READY_TWO))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(puts(&running, READY_TWO), 2);
    assert_eq!(order_applied(&running, READY_TWO), 1);
    assert_eq!(item_applied(&running, READY_TWO, "KB-101", "cancel"), 1);

    // A quantity: sent once, applied once, and the client reports maybe-sent with the state
    // it read back (it never re-sends a partial cancel).
    given(
        &running,
        order_cancel(FaultAction::Drop).after_apply().times(1),
    );
    let err = client
        .cancel_order_items(READY, &quantity("CABLE-M", "1"))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert_eq!(puts(&running, READY), 1);
    assert_eq!(item_applied(&running, READY, "CABLE-M", "reduce"), 1);
    assert!(
        err.message()
            .contains("PROCESSING (quantity 1.5), CANCELLED (quantity 1)"),
        "{err}"
    );
    assert_eq!(
        err.details()[0].message,
        "state now: PROCESSING (quantity 1.5), CANCELLED (quantity 1)"
    );
}

#[tokio::test]
async fn drop_after_apply_without_retries_is_settled_by_reading_back() {
    let running = start().await;
    let client = client_with(&running, |c| fast(c).with_retry(RetryPolicy::none()));
    given(
        &running,
        order_cancel(FaultAction::Drop).after_apply().times(1),
    );
    let outcome = client
        .cancel(CancelRequest::items(
            READY,
            vec![ItemSelector::by_code("EXC4677-1a")],
        ))
        .await
        .unwrap();
    assert!(
        matches!(outcome.status, CancelStatus::PartiallyCancelled { .. }),
        "{outcome:?}"
    );
    assert!(
        outcome
            .note
            .as_deref()
            .is_some_and(|n| n.contains("read back")),
        "{outcome:?}"
    );
    assert_eq!(puts(&running, READY), 1);
    assert_eq!(item_applied(&running, READY, "EXC4677-1a", "cancel"), 1);
    // Read twice: the plan's read and the settling read.
    assert_eq!(hits(&running, "GET", READY, ""), 2);
}

#[tokio::test]
async fn bad_bodies_are_decode_errors_and_nothing_is_applied() {
    let cases = [
        FaultAction::MalformedJson,
        FaultAction::Empty,
        FaultAction::oversized(200_000),
    ];
    for action in cases {
        let running = start().await;
        let client = client_with(&running, |c| fast(c).with_body_limits(100_000, 64 * 1024));
        given(&running, order_cancel(action.clone()).times(1));
        let err = client
            .cancel_order_items(READY, &OrderCancelRequest::whole())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{action:?}: {err}");
        // Skip Pay accepted the cancel (200): with its answer unreadable, the outcome is
        // unknown, never "answered" (here the fault applied nothing).
        assert_eq!(err.sent(), Sent::MaybeSent, "{action:?}");
        assert_eq!(err.status(), Some(200));
        assert_eq!(puts(&running, READY), 1, "{action:?}: a 200 is not retried");
        untouched(&running, READY);
    }
}

#[tokio::test]
async fn an_html_error_page_is_a_server_error() {
    let running = start().await;
    let client = client(&running);
    given(&running, order_cancel(FaultAction::Html));
    let err = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.status(), Some(502));
    // A proxy's page proves nothing about a change (rescind_core::change).
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.message().contains("not Skip Pay's error JSON"), "{err}");
    assert_eq!(puts(&running, READY), 3, "a whole cancel is retried on 502");
    untouched(&running, READY);

    // Once it clears, the same call works.
    running.sim().faults().clear();
    let order = client
        .cancel_order_items(READY, &OrderCancelRequest::whole())
        .await
        .unwrap();
    assert!(order.is_cancelled());
}
