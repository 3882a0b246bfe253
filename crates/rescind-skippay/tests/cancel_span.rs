//! One `rescind.cancel` span per cancel, with the HTTP calls' spans under it and the result
//! recorded as fields; a whole-order cancel is `cancel_order`, not `cancel_order_items`.
//! Alone in its test binary: see `rescind_core::testing::CapturedSpans`.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelRequest, Canceller, ItemSelector};
use serde_json::json;

#[tokio::test]
async fn whole_and_item_cancels_are_spans_named_by_their_operation() {
    let spans = CapturedSpans::start();
    let server = MockServer::start_async().await;
    let _ = login_mock(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(application(
                "READY",
                "READY_TO_SHIP",
                "PROCESSING",
                vec![item("A", "PROCESSING", json!(2))],
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(200).json_body(order_answer(
                "CANCELLED",
                vec![item("A", "CANCELLED", json!(2))],
                "READY",
            ));
        })
        .await;
    let c = client(&server);
    c.cancel(CancelRequest::whole(APP)).await.unwrap();
    let cancel = &spans.named("rescind.cancel")[0];
    assert_eq!(cancel.field("provider"), Some("skippay"));
    assert_eq!(cancel.field("operation"), Some("cancel"));
    assert_eq!(cancel.field("target"), Some(APP));
    assert_eq!(cancel.field("status"), Some("cancelled"));
    assert_eq!(cancel.field("settled_by"), Some("answer"));
    assert_eq!(cancel.field("attempts"), Some("2"));
    let calls: Vec<_> = spans
        .named("rescind.call")
        .into_iter()
        .filter(|c| c.parent.as_deref() == Some("rescind.cancel"))
        .filter_map(|c| c.field("operation").map(str::to_owned))
        .collect();
    assert_eq!(calls, ["get_application", "cancel_order"]);

    // An item that is not in the order: refused before sending, with its reason.
    c.cancel(CancelRequest::items(APP, vec![ItemSelector::by_code("Z")]))
        .await
        .unwrap_err();
    let refused = &spans.named("rescind.cancel")[1];
    assert_eq!(refused.field("operation"), Some("cancel_items"));
    assert_eq!(refused.field("error_kind"), Some("invalid_input"));
    assert_eq!(refused.field("sent"), Some("not_sent"));
    assert_eq!(refused.field("reason"), Some("item_not_found"));
    assert_eq!(refused.field("attempts"), Some("1"));
}
