//! `Canceller::observe` for Skip Pay: the application's state and, for an item scope, the
//! selected items' quantities and states; only the application is read.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{
    CancelRequest, Canceller, ErrorKind, ItemSelector, Observation, ObservedItem, Sent, Settlement,
    settle,
};
use serde_json::{Value, json};

async fn observe(app: Value, request: CancelRequest) -> Observation {
    let server = MockServer::start_async().await;
    let _ = login_mock(&server).await;
    let get = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(APP_PATH)
                .header("authorization", bearer());
            then.status(200).json_body(app);
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT);
            then.status(200);
        })
        .await;
    let seen = client(&server).observe(&request).await.unwrap();
    get.assert_calls_async(1).await;
    put.assert_calls_async(0).await;
    seen
}

#[tokio::test]
async fn whole_scope_reads_the_application_state() {
    let ready = application(
        "READY",
        "READY_TO_SHIP",
        "PROCESSING",
        vec![item("A", "PROCESSING", json!(1))],
    );
    let seen = observe(ready, CancelRequest::whole(APP)).await;
    assert_eq!(seen.state, "READY");
    assert!(!seen.cancelled);
    assert!(
        seen.items.is_empty(),
        "a whole scope needs no item fingerprint"
    );

    let all_cancelled = application(
        "READY",
        "READY_TO_SHIP",
        "CANCELLED",
        vec![item("A", "CANCELLED", json!(1))],
    );
    assert!(
        observe(all_cancelled, CancelRequest::whole(APP))
            .await
            .cancelled
    );

    let app_cancelled = application("CANCELLED", "CANCELLED_BY_ESHOP", "PROCESSING", vec![]);
    assert!(
        observe(app_cancelled, CancelRequest::whole(APP))
            .await
            .cancelled
    );
}

#[tokio::test]
async fn item_scope_fingerprints_the_selected_items_only() {
    let app = application(
        "READY",
        "READY_TO_SHIP",
        "PROCESSING",
        vec![
            item("A", "PROCESSING", json!(3)),
            item("B", "CANCELLED", json!(1)),
            item("C", "PROCESSING", json!(2.5)),
        ],
    );
    let request = CancelRequest::items(
        APP,
        vec![
            ItemSelector::by_code("C").quantity(1.into()),
            ItemSelector::by_code("B"),
        ],
    );
    let seen = observe(app, request.clone()).await;
    assert_eq!(
        seen.items,
        vec![
            ObservedItem::new(0, "C", Some("2.5".parse().unwrap()), false),
            ObservedItem::new(1, "B", Some(1.into()), true),
        ]
    );
    // After the cancel of 1 of C, the fingerprint shows it applied; the same reading shows not.
    let after = application(
        "READY",
        "READY_TO_SHIP",
        "PROCESSING",
        vec![
            item("A", "PROCESSING", json!(3)),
            item("B", "CANCELLED", json!(1)),
            item("C", "PROCESSING", json!(1.5)),
        ],
    );
    let after = observe(after, request.clone()).await;
    assert!(matches!(
        settle(&request, Some(&seen), &after),
        Settlement::Applied { .. }
    ));
    assert_eq!(settle(&request, Some(&seen), &seen), Settlement::NotApplied);
}

#[tokio::test]
async fn a_hold_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_, then| {
            then.status(500);
        })
        .await;
    let err = client(&server)
        .observe(&CancelRequest::hold(APP, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Unsupported, Sent::NotSent)
    );
    any.assert_calls_async(0).await;
}
