//! break9: the `rescind.cancel` span and the cancel's deadline at Di (whose `cancel` runs its
//! work in place since ed5de1b, `cancel_with` boxed), pinned as the parent (801d525) records
//! them: fields on success, on a refusal, on a deadline that has passed, on 5xx retries; a
//! cancel dropped midway; a cancel future built now and polled later. Alone in its test
//! binary (see `rescind_core::testing::CapturedSpans`).

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelOptions, CancelRequest, Canceller, Clock, ErrorKind, Sent};
use tokio::time::Instant;

fn client_at(server: &MockServer, at: &str) -> rescind_di::Client {
    rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .clock(Clock::fixed(at.parse().unwrap()))
        .build()
        .unwrap()
}

const BEFORE: &str = "2026-03-20T11:00:00Z";

#[tokio::test]
async fn span_fields_on_success_refusal_passed_deadline_retries_and_drop() {
    let spans = CapturedSpans::start();

    // 1. Success: details + cancel.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = client_at(&server, BEFORE);
    let out = client.cancel(CancelRequest::whole(SHIPMENT)).await.unwrap();
    assert_eq!(out.status.as_str(), "cancelled");
    cancel.assert_calls_async(1).await;
    let s = &spans.named("rescind.cancel")[0];
    assert_eq!(s.field("status"), Some("cancelled"));
    assert_eq!(s.field("settled_by"), Some("answer"));
    assert_eq!(s.field("attempts"), Some("2"));
    assert_eq!(s.field("error_kind"), None);

    // 2. The same through cancel_with (no deadline): the same fields.
    let out = client
        .cancel_with(CancelRequest::whole(SHIPMENT), CancelOptions::new())
        .await
        .unwrap();
    assert_eq!(out.status.as_str(), "cancelled");
    let s = &spans.named("rescind.cancel")[1];
    assert_eq!(s.field("status"), Some("cancelled"));
    assert_eq!(s.field("attempts"), Some("2"));

    // 3. A deadline already passed: nothing sent, no attempt, Timeout / not_sent.
    let before = cancel.calls_async().await;
    let err = client
        .cancel_with(
            CancelRequest::whole(SHIPMENT),
            CancelOptions::new().deadline(Instant::now()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(cancel.calls_async().await, before);
    let s = &spans.named("rescind.cancel")[2];
    assert_eq!(s.field("error_kind"), Some("timeout"));
    assert_eq!(s.field("sent"), Some("not_sent"));
    assert_eq!(s.field("attempts"), Some("0"));
    assert_eq!(s.field("status"), None);

    // 4. A cancel dropped while its change waits for an answer: the span closes without an
    // outcome, and the change was sent once.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let slow = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"));
            then.status(200).delay(Duration::from_millis(250));
        })
        .await;
    let client = client_at(&server, BEFORE);
    let dropped = tokio::time::timeout(
        Duration::from_millis(120),
        client.cancel(CancelRequest::whole(SHIPMENT)),
    )
    .await;
    assert!(dropped.is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    slow.assert_calls_async(1).await;
    let s = &spans.named("rescind.cancel")[3];
    assert_eq!(s.field("status"), None);
    assert_eq!(s.field("error_kind"), None);
    assert_eq!(s.field("attempts"), None);

    // 5. 5xx to the change: retried (idempotent), then settled by reading back.
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 503, "").await;
    let client = client_at(&server, BEFORE);
    let err = client
        .cancel(CancelRequest::whole(SHIPMENT))
        .await
        .unwrap_err();
    let s = &spans.named("rescind.cancel")[4];
    assert_eq!(s.field("error_kind"), Some(err.kind().as_str()));
    assert_eq!(s.field("sent"), Some("maybe_sent"));
    assert_eq!(err.sent(), Sent::MaybeSent);
    let attempts = details.calls_async().await + cancel.calls_async().await;
    assert_eq!(s.field("attempts"), Some(attempts.to_string().as_str()));
    assert_eq!(cancel.calls_async().await, 3);

    // Every call span sits under a cancel span.
    let calls = spans.named("rescind.call");
    assert!(
        calls
            .iter()
            .filter(|c| c.field("operation") != Some("login"))
            .all(|c| c.parent.as_deref() == Some("rescind.cancel")),
        "{calls:#?}"
    );
}

/// A cancel future built now and polled later: its deadline (`CancelOptions::timeout`) is
/// counted from when it was built, and it runs under an enclosing earlier deadline where it
/// is awaited.
#[tokio::test]
async fn a_cancel_future_built_early_honours_its_own_and_the_enclosing_deadline() {
    let _spans = CapturedSpans::start();
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    mock_details(&server, order(serde_json::json!({}))).await;
    let cancel = mock_cancel(&server, 200, "").await;
    let client = client_at(&server, BEFORE);

    // Built with 100 ms, awaited 200 ms later: the deadline has passed, nothing is sent.
    let fut = client.cancel_with(
        CancelRequest::whole(SHIPMENT),
        CancelOptions::new().timeout(Duration::from_millis(100)),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = fut.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    cancel.assert_calls_async(0).await;

    // Built with a far deadline, awaited under a passed one: nothing is sent either.
    let fut = client.cancel_with(
        CancelRequest::whole(SHIPMENT),
        CancelOptions::new().timeout(Duration::from_secs(60)),
    );
    let err = rescind_core::deadline::scope(Instant::now(), fut)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    cancel.assert_calls_async(0).await;

    // `cancel` (no options) under a passed deadline: the same.
    let fut = client.cancel(CancelRequest::whole(SHIPMENT));
    let err = rescind_core::deadline::scope(Instant::now(), fut)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    cancel.assert_calls_async(0).await;
}
