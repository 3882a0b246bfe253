//! The core `Canceller` for Skip Pay: the application is read first, the rules decide, and
//! nothing the rules refuse is sent.

mod common;

use std::sync::Arc;

use common::*;
use httpmock::Mock;
use httpmock::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{
    CancelRequest, CancelStatus, Canceller, ErrorKind, ItemSelector, Provider, Refusal, Sent,
};
use rescind_skippay::SkipPayCancel;
use serde_json::{Value, json};

struct Mocks<'a> {
    get: Mock<'a>,
    order_cancel: Mock<'a>,
    app_cancel: Mock<'a>,
}

impl Mocks<'_> {
    async fn assert(&self, get: usize, order_cancel: usize, app_cancel: usize) {
        self.get.assert_calls_async(get).await;
        self.order_cancel.assert_calls_async(order_cancel).await;
        self.app_cancel.assert_calls_async(app_cancel).await;
    }
}

/// Skip Pay with this application, an order cancel expecting `order_body` and answering
/// `order_answer`, and an application cancel answering `app_answer`.
async fn mocks<'a>(
    server: &'a MockServer,
    app: Value,
    order_body: &'static str,
    order_answer: Value,
    app_answer: (u16, Value),
) -> Mocks<'a> {
    let _ = login_mock(server).await;
    let get = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(APP_PATH)
                .header("authorization", bearer());
            then.status(200).json_body(app);
        })
        .await;
    let order_cancel = server
        .mock_async(move |when, then| {
            when.method(PUT).path(ORDER_CANCEL).body(order_body);
            then.status(200).json_body(order_answer);
        })
        .await;
    let app_cancel = server
        .mock_async(move |when, then| {
            when.method(PUT).path(APP_CANCEL).body("{}");
            then.status(app_answer.0).json_body(app_answer.1);
        })
        .await;
    Mocks {
        get,
        order_cancel,
        app_cancel,
    }
}

fn none() -> (u16, Value) {
    (500, json!({}))
}

#[tokio::test]
async fn capabilities_are_whole_and_items_and_hold_is_unsupported_before_sending() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let canceller: Arc<dyn Canceller> = Arc::new(client(&server));
    assert_eq!(canceller.provider(), Provider::SkipPay);
    let caps = canceller.capabilities();
    assert!(caps.whole && caps.items && !caps.hold);
    let err = canceller
        .cancel(CancelRequest::hold(APP, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.sent(), Sent::NotSent);
    login.assert_calls_async(0).await;
}

#[tokio::test]
async fn bad_selectors_are_refused_before_anything_is_read() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let c = client(&server);
    let err = c
        .cancel(CancelRequest::items(APP, vec![]))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("items"));
    assert_eq!(err.provider(), Some(Provider::SkipPay));
    assert_eq!(err.operation(), Some("cancel_order_items"));
    assert_eq!(err.reason(), Some(Refusal::InvalidRequest));
    let err = c
        .cancel(CancelRequest::items(
            APP,
            vec![ItemSelector::by_code("A").quantity(Decimal::new(5, 1))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("items[0].quantity"));
    // Our own check before sending names the provider and the operation too.
    assert_eq!(err.provider(), Some(Provider::SkipPay));
    assert_eq!(err.operation(), Some("cancel_order_items"));
    login.assert_calls_async(0).await;
}

#[tokio::test]
async fn ready_whole_cancel_sends_an_empty_object_and_reports_cancelled() {
    let server = MockServer::start_async().await;
    let answer = order_answer(
        "CANCELLED",
        vec![
            item("A", "CANCELLED", json!(2)),
            item("B", "CANCELLED", json!(1)),
        ],
        "READY",
    );
    let m = mocks(&server, ready(open_items()), "{}", answer, none()).await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap();
    m.assert(1, 1, 0).await;
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.target, APP);
    assert_eq!(
        SkipPayCancel::of(&outcome)
            .unwrap()
            .order()
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn ready_item_cancel_reports_partially_cancelled_with_counts() {
    let server = MockServer::start_async().await;
    let answer = order_answer(
        "PROCESSING",
        vec![
            item("A", "CANCELLED", json!(2)),
            item("B", "PROCESSING", json!(1)),
        ],
        "READY",
    );
    let m = mocks(
        &server,
        ready(open_items()),
        r#"{"items":[{"code":"A","ean":"888462064002","quantity":2}]}"#,
        answer,
        none(),
    )
    .await;
    let outcome = client(&server)
        .cancel(CancelRequest::items(
            APP,
            vec![
                ItemSelector::by_code("A")
                    .ean("888462064002")
                    .quantity(Decimal::from(2)),
            ],
        ))
        .await
        .unwrap();
    m.assert(1, 1, 0).await;
    assert_eq!(
        outcome.status,
        CancelStatus::PartiallyCancelled {
            cancelled_items: Some(1),
            remaining_items: Some(1)
        }
    );
}

#[tokio::test]
async fn a_cancelled_application_is_already_cancelled_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let app = application("CANCELLED", "CANCELLED_NOT_PAID", "CANCELLED", open_items());
    let m = mocks(&server, app, "{}", json!({}), none()).await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap();
    m.assert(1, 0, 0).await;
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert!(
        outcome
            .note
            .as_deref()
            .unwrap()
            .contains("CANCELLED_NOT_PAID")
    );
    assert_eq!(
        SkipPayCancel::of(&outcome)
            .unwrap()
            .application()
            .unwrap()
            .id,
        APP
    );
}

#[tokio::test]
async fn a_rejected_application_is_not_cancellable_with_its_reason() {
    let server = MockServer::start_async().await;
    let app = application("REJECTED", "REJECTED", "PROCESSING", open_items());
    let m = mocks(&server, app, "{}", json!({}), none()).await;
    let err = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap_err();
    m.assert(1, 0, 0).await;
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.reason(), Some(Refusal::Rejected));
    assert_eq!(err.provider(), Some(Provider::SkipPay));
    assert_eq!(err.operation(), Some("cancel_order"));
    assert_eq!(err.sent(), Sent::NotSent);
    assert!(err.to_string().contains("REJECTED"), "{err}");
}

#[tokio::test]
async fn a_processing_application_is_cancelled_as_an_application() {
    let server = MockServer::start_async().await;
    let app = application(
        "PROCESSING",
        "PROCESSING_REDIRECT_NEEDED",
        "PROCESSING",
        open_items(),
    );
    let answer = application("CANCELLED", "CANCELLED_NOT_PAID", "CANCELLED", open_items());
    let m = mocks(&server, app, "{}", json!({}), (200, answer)).await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap();
    m.assert(1, 0, 1).await;
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(SkipPayCancel::of(&outcome).unwrap().application().is_some());
}

#[tokio::test]
async fn a_processing_application_already_cancelled_meanwhile_is_already_cancelled() {
    let server = MockServer::start_async().await;
    let app = application("PROCESSING", "PROCESSING_PREAPPROVED", "PROCESSING", vec![]);
    let answer = (
        422,
        errors_body("APPLICATION_ALREADY_CANCELLED", "Already cancelled", "T-5"),
    );
    let m = mocks(&server, app, "{}", json!({}), answer).await;
    let outcome = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap();
    m.assert(1, 0, 1).await;
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert_eq!(outcome.request_id.as_deref(), Some("T-5"));
    // The one Skip Pay payload on this path too (Skip Pay's refusal carries no application).
    assert_eq!(SkipPayCancel::of(&outcome), Some(&SkipPayCancel::default()));
}

#[tokio::test]
async fn processing_refuses_items_and_validation_in_progress() {
    for (reason, request) in [
        (
            "PROCESSING_REDIRECT_NEEDED",
            CancelRequest::items(APP, vec![ItemSelector::by_code("A")]),
        ),
        (
            "PROCESSING_VALIDATION_IN_PROGRESS",
            CancelRequest::whole(APP),
        ),
    ] {
        let server = MockServer::start_async().await;
        let app = application("PROCESSING", reason, "PROCESSING", open_items());
        let m = mocks(&server, app, "{}", json!({}), none()).await;
        let err = client(&server).cancel(request).await.unwrap_err();
        m.assert(1, 0, 0).await;
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{reason}");
        assert_eq!(err.reason(), Some(Refusal::NotCancellable), "{reason}");
        assert_eq!(err.provider(), Some(Provider::SkipPay));
        assert_eq!(err.sent(), Sent::NotSent);
    }
}

#[tokio::test]
async fn ready_order_rules_are_checked_against_the_items() {
    let sent = vec![
        item("A", "SENT", json!(2)),
        item("B", "DELIVERED", json!(1)),
    ];
    let cancelled = vec![
        item("A", "CANCELLED", json!(2)),
        item("B", "PROCESSING", json!(1)),
    ];
    type Expected = Result<CancelStatus, (ErrorKind, Refusal, &'static str)>;
    let cases: Vec<(Vec<Value>, CancelRequest, Expected)> = vec![
        (
            sent.clone(),
            CancelRequest::whole(APP),
            Err((
                ErrorKind::NotCancellable,
                Refusal::NotCancellable,
                "cancel_order",
            )),
        ),
        (
            sent,
            CancelRequest::items(APP, vec![ItemSelector::by_code("A")]),
            Err((
                ErrorKind::NotCancellable,
                Refusal::NotCancellable,
                "cancel_order_items",
            )),
        ),
        (
            open_items(),
            CancelRequest::items(APP, vec![ItemSelector::by_code("A").ean("0000000000000")]),
            Err((
                ErrorKind::InvalidInput,
                Refusal::ItemNotFound,
                "cancel_order_items",
            )),
        ),
        (
            open_items(),
            CancelRequest::items(
                APP,
                vec![ItemSelector::by_code("B").quantity(Decimal::from(2))],
            ),
            Err((
                ErrorKind::InvalidInput,
                Refusal::QuantityTooLarge,
                "cancel_order_items",
            )),
        ),
        (
            cancelled,
            CancelRequest::items(APP, vec![ItemSelector::by_code("A")]),
            Ok(CancelStatus::AlreadyCancelled),
        ),
    ];
    for (items, request, expected) in cases {
        let server = MockServer::start_async().await;
        let m = mocks(&server, ready(items), "{}", json!({}), none()).await;
        let got = client(&server)
            .cancel(request.clone())
            .await
            .map(|o| o.status)
            .map_err(|e| (e.kind(), e.reason().unwrap(), e.operation().unwrap()));
        m.assert(1, 0, 0).await;
        assert_eq!(got, expected, "{request:?}");
    }
}

#[tokio::test]
async fn an_unknown_financing_type_or_state_is_refused() {
    for (field, value) in [("type", "BUY_NOW_PAY_NEVER"), ("state", "FROZEN")] {
        let server = MockServer::start_async().await;
        let mut app = ready(open_items());
        app[field] = json!(value);
        let m = mocks(&server, app, "{}", json!({}), none()).await;
        let err = client(&server)
            .cancel(CancelRequest::whole(APP))
            .await
            .unwrap_err();
        m.assert(1, 0, 0).await;
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        assert!(err.to_string().contains(value), "{err}");
    }
}

#[tokio::test]
async fn an_unknown_application_is_not_found() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(404).json_body(errors_body(
                "APPLICATION_NOT_FOUND",
                "The requested resource could not be found",
                "T-6",
            ));
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::whole(APP))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.request_id(), Some("T-6"));
}

/// A whole cancel whose every attempt timed out: the canceller reads the order back instead
/// of guessing, and reports what it shows.
#[tokio::test]
async fn a_whole_cancel_without_answer_is_settled_by_reading_back() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let before = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(ready(open_items()));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL).body("{}");
            then.status(200)
                .delay(std::time::Duration::from_millis(1000))
                .json_body(json!({}));
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| c.with_attempt_timeout(std::time::Duration::from_millis(150)))
    });
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.cancel(CancelRequest::whole(APP)).await }
    });
    // Once the first read is done, Skip Pay's state changes under the hanging cancel.
    while before.calls_async().await == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    before.delete_async().await;
    let after = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(application(
                "READY",
                "READY_TO_SHIP",
                "CANCELLED",
                vec![
                    item("A", "CANCELLED", json!(2)),
                    item("B", "CANCELLED", json!(1)),
                ],
            ));
        })
        .await;
    let outcome = task.await.unwrap().unwrap();
    // The whole cancel is idempotent: retried (3 attempts), then settled by one read.
    cancel.assert_calls_async(3).await;
    after.assert_calls_async(1).await;
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(
        outcome.note.as_deref().unwrap().contains("read back"),
        "{outcome:?}"
    );
    // Settled by the read: the payload is the application read back.
    let payload = SkipPayCancel::of(&outcome).unwrap();
    assert!(payload.order().is_none());
    assert!(payload.order_view().unwrap().is_cancelled());
}

#[tokio::test]
async fn a_whole_cancel_without_answer_stays_unknown_when_the_order_is_not_cancelled() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(ready(open_items()));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(200)
                .delay(std::time::Duration::from_millis(1000))
                .json_body(json!({}));
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| c.with_attempt_timeout(std::time::Duration::from_millis(150)))
    });
    let err = client.cancel(CancelRequest::whole(APP)).await.unwrap_err();
    // Read back unchanged; the transport already sent it 3 times, so it is not sent again:
    // the outcome stays unknown.
    get.assert_calls_async(2).await;
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.observed_before().is_some());
    assert!(
        err.to_string()
            .contains("check with `rescind skippay show 11200a0ee1`"),
        "{err}"
    );
}

#[tokio::test]
async fn an_application_cancel_without_answer_is_settled_by_reading_back_with_its_payload() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let before = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(application(
                "PROCESSING",
                "PROCESSING_REDIRECT_NEEDED",
                "PROCESSING",
                open_items(),
            ));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(APP_CANCEL);
            then.status(200)
                .delay(std::time::Duration::from_millis(1000))
                .json_body(json!({}));
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| c.with_attempt_timeout(std::time::Duration::from_millis(150)))
    });
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.cancel(CancelRequest::whole(APP)).await }
    });
    while before.calls_async().await == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    before.delete_async().await;
    let after = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(application(
                "CANCELLED",
                "CANCELLED_NOT_PAID",
                "CANCELLED",
                open_items(),
            ));
        })
        .await;
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(outcome.settled_by_read_back());
    // The one Skip Pay payload: the application read back.
    let payload = SkipPayCancel::of(&outcome).unwrap();
    assert_eq!(payload.application().unwrap().id, APP);
    assert!(payload.order().is_none());
    cancel.assert_calls_async(3).await;
    after.assert_calls_async(1).await;
}
