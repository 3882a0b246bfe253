//! Outsider checks of how a Skip Pay order cancel's 200 answer is judged: a whole cancel is
//! done only when the answered order reads cancelled (its state, every item, or its
//! application), about this application; anything else is settled by reading back and never
//! reported done unobserved. Item cancels, with and without quantities, the payload
//! (`SkipPayCancel`, `order_view`) and the outcome's `Debug`.

mod common;

use common::*;
use httpmock::Mock;
use httpmock::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, ItemSelector, Policy,
    Provider, Sent,
};
use rescind_skippay::SkipPayCancel;
use rescind_skippay::model::{ApplicationResponse, Order};
use serde_json::{Value, json};

struct Mocks<'a> {
    get: Mock<'a>,
    order_cancel: Mock<'a>,
    app_cancel: Mock<'a>,
}

/// Skip Pay with a READY application (two open items) that never changes, and an order cancel
/// answering 200 with `answer` whatever it is sent.
async fn skip_pay<'a>(server: &'a MockServer, answer: Value) -> Mocks<'a> {
    let _ = login_mock(server).await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(APP_PATH)
                .header("authorization", bearer());
            then.status(200).json_body(ready(open_items()));
        })
        .await;
    let order_cancel = server
        .mock_async(move |when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(200).json_body(answer);
        })
        .await;
    let app_cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(APP_CANCEL);
            then.status(500).json_body(json!({}));
        })
        .await;
    Mocks {
        get,
        order_cancel,
        app_cancel,
    }
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

async fn whole(server: &MockServer, policy: Policy) -> Result<CancelOutcome, rescind_core::Error> {
    client(server)
        .cancel_with(
            CancelRequest::whole(APP),
            CancelOptions::new().policy(policy),
        )
        .await
}

/// Answers that show the whole order cancelled, each by another of the documented signs.
fn cancelled_answers() -> Vec<(&'static str, Value)> {
    vec![
        (
            "state CANCELLED",
            order_answer("CANCELLED", all_cancelled(), "READY"),
        ),
        (
            "state CANCELLED, no items",
            order_answer("CANCELLED", vec![], "READY"),
        ),
        (
            "state PROCESSING, every item CANCELLED",
            order_answer("PROCESSING", all_cancelled(), "READY"),
        ),
        (
            "state CANCELLED, no applicationInfo",
            without(
                order_answer("CANCELLED", all_cancelled(), "READY"),
                "applicationInfo",
            ),
        ),
    ]
}

#[tokio::test]
async fn a_whole_cancel_answered_with_a_cancelled_order_is_done_once() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        for (case, answer) in cancelled_answers() {
            let server = MockServer::start_async().await;
            let m = skip_pay(&server, answer).await;
            let outcome = whole(&server, policy)
                .await
                .unwrap_or_else(|e| panic!("{case} ({policy:?}): {e}"));
            assert_eq!(outcome.status, CancelStatus::Cancelled, "{case}");
            assert_eq!(outcome.target, APP);
            assert!(!outcome.settled_by_read_back(), "{case}");
            let reads = if policy == Policy::CheckFirst { 1 } else { 0 };
            m.get.assert_calls_async(reads).await;
            m.order_cancel.assert_calls_async(1).await;
            m.app_cancel.assert_calls_async(0).await;
            match policy {
                Policy::CheckFirst => assert_eq!(outcome.already_cancelled_before, Some(false)),
                _ => assert_eq!(outcome.already_cancelled_before, None, "{case}"),
            }
            let payload = SkipPayCancel::of(&outcome).unwrap();
            assert!(payload.application().is_none(), "{case}");
            assert!(payload.order().is_some(), "{case}");
            assert!(
                std::ptr::eq(payload.order_view().unwrap(), payload.order().unwrap()),
                "order_view gives the answered order"
            );
        }
    }
}

/// The answered order's application reads CANCELLED while the order's own state and items do
/// not: the whole cancel is judged done, and its status says so (break7 found it reported
/// `PartiallyCancelled { cancelled_items: Some(0), .. }`, "some items are cancelled; others
/// remain active", which contradicts itself: a cancelled application cancels its order). The same on the read-back
/// path (an application read back CANCELLED whose order still lists open items).
#[tokio::test]
async fn a_whole_cancel_answered_with_its_application_cancelled_reads_cancelled() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let server = MockServer::start_async().await;
        let m = skip_pay(
            &server,
            order_answer("PROCESSING", open_items(), "CANCELLED"),
        )
        .await;
        let outcome = whole(&server, policy).await.unwrap();
        m.order_cancel.assert_calls_async(1).await;
        assert_eq!(
            outcome.status,
            CancelStatus::Cancelled,
            "{policy:?}: {outcome:?}"
        );
    }

    // Read back: the order cancel answers a gateway page; the application reads CANCELLED.
    let server = MockServer::start_async().await;
    let _ = login_mock(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(application(
                "CANCELLED",
                "CANCELLED_BY_MERCHANT",
                "PROCESSING",
                open_items(),
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(502).body("<html>bad gateway</html>");
        })
        .await;
    let outcome = whole(&server, Policy::ChangeFirst).await.unwrap();
    assert!(outcome.settled_by_read_back());
    assert_eq!(
        outcome.status,
        CancelStatus::Cancelled,
        "read back: {outcome:?}"
    );
}

/// 200 answers that do not show the whole order cancelled, or are about another application:
/// never reported done; the application read back shows it unchanged, so the error stays
/// `MaybeSent` (the whole cancel is idempotent: sent once more at most).
#[tokio::test]
async fn a_whole_cancel_answered_with_an_order_that_is_not_cancelled_is_never_done() {
    let cases = vec![
        (
            "state PROCESSING, items open",
            order_answer("PROCESSING", open_items(), "READY"),
        ),
        (
            "no state, items open",
            without(order_answer("X", open_items(), "READY"), "state"),
        ),
        (
            "state null, items open",
            with(
                order_answer("X", open_items(), "READY"),
                "state",
                Value::Null,
            ),
        ),
        (
            "state PROCESSING, no items",
            order_answer("PROCESSING", vec![], "READY"),
        ),
        (
            // `state` is required in the answer: without it the answer is not the
            // documented success, whatever its items say.
            "no state, every item CANCELLED",
            without(order_answer("X", all_cancelled(), "READY"), "state"),
        ),
        (
            "no state, no items",
            without(order_answer("X", vec![], "READY"), "state"),
        ),
        (
            "one item of two cancelled",
            order_answer(
                "PROCESSING",
                vec![
                    item("A", "CANCELLED", json!(2)),
                    item("B", "PROCESSING", json!(1)),
                ],
                "READY",
            ),
        ),
        (
            "state in lower case",
            order_answer("cancelled", open_items(), "READY"),
        ),
        (
            "another application, cancelled",
            with(
                order_answer("CANCELLED", all_cancelled(), "CANCELLED"),
                "applicationInfo",
                json!({"id": "11200a0ee2", "state": "CANCELLED", "stateReason": "READY_TO_SHIP"}),
            ),
        ),
        (
            "another application (case differs), cancelled",
            with(
                order_answer("CANCELLED", all_cancelled(), "CANCELLED"),
                "applicationInfo",
                json!({"id": "11200A0EE1", "state": "CANCELLED", "stateReason": "READY_TO_SHIP"}),
            ),
        ),
        ("an empty object", json!({})),
        ("an array", json!([])),
        ("the error envelope on a 200", errors_body("X", "no", "T-1")),
    ];
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        for (case, answer) in &cases {
            let server = MockServer::start_async().await;
            let m = skip_pay(&server, answer.clone()).await;
            let result = whole(&server, policy).await;
            let err = match result {
                Ok(outcome) => panic!("{case} ({policy:?}): reported done: {outcome:?}"),
                Err(err) => err,
            };
            assert_eq!(err.sent(), Sent::MaybeSent, "{case} ({policy:?}): {err}");
            let sent = m.order_cancel.calls_async().await;
            assert!((1..=2).contains(&sent), "{case}: sent {sent} times");
            assert!(m.get.calls_async().await >= 1, "{case}: never read back");
            m.app_cancel.assert_calls_async(0).await;
            assert!(
                err.to_string().contains("rescind skippay show 11200a0ee1"),
                "{case}: {err}"
            );
        }
    }
}

/// An item cancel without quantities: the answer shows the selected item cancelled.
#[tokio::test]
async fn an_item_cancel_answered_with_the_item_cancelled_is_partially_cancelled() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let server = MockServer::start_async().await;
        let m = skip_pay(
            &server,
            order_answer(
                "PROCESSING",
                vec![
                    item("A", "CANCELLED", json!(2)),
                    item("B", "PROCESSING", json!(1)),
                ],
                "READY",
            ),
        )
        .await;
        let outcome = client(&server)
            .cancel_with(
                CancelRequest::items(APP, vec![ItemSelector::by_code("A")]),
                CancelOptions::new().policy(policy),
            )
            .await
            .unwrap();
        m.order_cancel.assert_calls_async(1).await;
        assert_eq!(
            outcome.status,
            CancelStatus::PartiallyCancelled {
                cancelled_items: Some(1),
                remaining_items: Some(1)
            },
            "{policy:?}"
        );
        let payload = SkipPayCancel::of(&outcome).unwrap();
        assert_eq!(payload.order_view().unwrap().item_counts(), (1, 1));
    }
}

/// An item cancel whose 200 answer does not show the item cancelled is not done.
#[tokio::test]
async fn an_item_cancel_answered_with_the_item_open_is_never_done() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let server = MockServer::start_async().await;
        let m = skip_pay(
            &server,
            order_answer(
                "PROCESSING",
                vec![
                    item("A", "PROCESSING", json!(2)),
                    item("B", "CANCELLED", json!(1)),
                ],
                "READY",
            ),
        )
        .await;
        let err = client(&server)
            .cancel_with(
                CancelRequest::items(APP, vec![ItemSelector::by_code("A")]),
                CancelOptions::new().policy(policy),
            )
            .await
            .unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{policy:?}: {err}");
        assert!(m.order_cancel.calls_async().await <= 2);
    }
}

/// With quantities the cancel is not idempotent: a 200 that does not show the change is read
/// back, and never sent a second time.
#[tokio::test]
async fn an_item_cancel_with_quantities_not_shown_is_sent_once_and_stays_unknown() {
    let server = MockServer::start_async().await;
    let m = skip_pay(&server, order_answer("PROCESSING", open_items(), "READY")).await;
    let err = client(&server)
        .cancel(CancelRequest::items(
            APP,
            vec![ItemSelector::by_code("A").quantity(Decimal::from(1))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert!(err.observed_before().is_some());
    m.order_cancel.assert_calls_async(1).await;
    m.get.assert_calls_async(2).await;
}

/// An item cancel answered with the application CANCELLED: the whole order is gone, which
/// covers the items asked for.
#[tokio::test]
async fn an_item_cancel_answered_with_the_application_cancelled_is_done() {
    let server = MockServer::start_async().await;
    let m = skip_pay(
        &server,
        order_answer("CANCELLED", all_cancelled(), "CANCELLED"),
    )
    .await;
    let outcome = client(&server)
        .cancel(CancelRequest::items(
            APP,
            vec![ItemSelector::by_code("A").quantity(Decimal::from(2))],
        ))
        .await
        .unwrap();
    m.order_cancel.assert_calls_async(1).await;
    assert_eq!(outcome.status, CancelStatus::Cancelled);
}

fn an_order(state: &str) -> Order {
    serde_json::from_value(order_answer(state, all_cancelled(), "READY")).unwrap()
}

fn an_application() -> ApplicationResponse {
    serde_json::from_value(application(
        "CANCELLED",
        "CANCELLED_BY_MERCHANT",
        "CANCELLED",
        all_cancelled(),
    ))
    .unwrap()
}

#[test]
fn the_payload_boxes_and_order_view_prefers_the_answered_order() {
    // From an order, boxed or not: the same payload.
    let a = SkipPayCancel::from_order(an_order("CANCELLED"));
    let b = SkipPayCancel::from_order(Box::new(an_order("CANCELLED")));
    assert_eq!(a, b);
    assert_eq!(a.order_view(), Some(&an_order("CANCELLED")));
    assert!(a.application().is_none());

    // From an application: its order.
    let app = an_application();
    let c = SkipPayCancel::from_application(app.clone());
    assert_eq!(c, SkipPayCancel::from_application(Box::new(app.clone())));
    assert_eq!(c.order_view(), app.order.as_ref());
    assert!(c.order().is_none());

    // An application without an order: no view.
    let mut bare = app.clone();
    bare.order = None;
    assert_eq!(SkipPayCancel::from_application(bare).order_view(), None);
    assert_eq!(SkipPayCancel::default().order_view(), None);
}

/// The outcome's Debug names the native type and shows no credential.
#[tokio::test]
async fn the_outcomes_debug_names_skippaycancel_and_shows_no_secret() {
    let server = MockServer::start_async().await;
    skip_pay(&server, order_answer("CANCELLED", all_cancelled(), "READY")).await;
    let outcome = whole(&server, Policy::CheckFirst).await.unwrap();
    let debug = format!("{outcome:?}");
    assert!(
        debug.contains("rescind_skippay::model::outcome::SkipPayCancel"),
        "{debug}"
    );
    assert!(debug.contains("provider: SkipPay"), "{debug}");
    for secret in [PASSWORD, TOKEN, USERNAME] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    let pretty = format!("{outcome:#?}");
    assert!(!pretty.contains(TOKEN));
    // A clone keeps the native type and its name.
    let clone = outcome.clone();
    assert_eq!(format!("{clone:?}"), debug);
    assert!(SkipPayCancel::of(&clone).is_some());
    assert_eq!(clone.provider, Provider::SkipPay);
}
