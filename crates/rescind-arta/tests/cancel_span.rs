//! One `rescind.cancel` span per cancel, with the HTTP calls' spans under it and the result
//! recorded as fields. Alone in its test binary: see `rescind_core::testing::CapturedSpans`.

mod common;

use common::{answer, client, fixture, sequence, session_with_status};
use httpmock::MockServer;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelRequest, Canceller};

#[tokio::test]
async fn a_cancel_is_one_span_with_its_calls_under_it_and_its_result_recorded() {
    let spans = CapturedSpans::start();
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200).body(session_with_status("new"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(200)
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    client(&server)
        .cancel(CancelRequest::whole("42"))
        .await
        .unwrap();

    let cancels = spans.named("rescind.cancel");
    assert_eq!(cancels.len(), 1, "{cancels:#?}");
    let cancel = &cancels[0];
    assert_eq!(cancel.field("provider"), Some("arta"));
    assert_eq!(cancel.field("operation"), Some("cancel"));
    assert_eq!(cancel.field("target"), Some("42"));
    assert_eq!(cancel.field("status"), Some("cancelled"));
    assert_eq!(cancel.field("settled_by"), Some("answer"));
    assert_eq!(cancel.field("attempts"), Some("2"));
    assert_eq!(cancel.field("error_kind"), None);
    let calls = spans.named("rescind.call");
    let operations: Vec<_> = calls.iter().map(|c| c.field("operation")).collect();
    assert_eq!(
        operations,
        [Some("get_hosted_session"), Some("cancel_hosted_session")]
    );
    assert!(
        calls
            .iter()
            .all(|c| c.parent.as_deref() == Some("rescind.cancel")),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_refused_cancel_records_kind_sent_and_reason() {
    let spans = CapturedSpans::start();
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/7");
            then.respond_with(sequence(vec![
                answer(200, "r-1", session_with_status("closed")),
                answer(200, "r-2", session_with_status("closed")),
            ]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/7/cancel");
            then.status(422)
                .body(r#"{"errors":{"detail":"a booked session cannot be cancelled"}}"#);
        })
        .await;
    client(&server)
        .cancel(CancelRequest::whole("7"))
        .await
        .unwrap_err();
    let cancel = &spans.named("rescind.cancel")[0];
    assert_eq!(cancel.field("error_kind"), Some("not_cancellable"));
    assert_eq!(cancel.field("sent"), Some("answered"));
    assert_eq!(cancel.field("reason"), Some("not_cancellable"));
    assert_eq!(cancel.field("attempts"), Some("3"));
    assert_eq!(cancel.field("status"), None);
}
