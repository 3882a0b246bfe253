//! break9: a Di cancel under a caller's deadline, where the cancel's future is first polled
//! under an outer, earlier deadline and then driven elsewhere (moved out of that scope),
//! pinned as the parent (801d525) behaves: the scope keeps the deadline it began under for
//! its whole life, so every request of the cancel honours the earlier deadline.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::{CancelOptions, CancelRequest, Canceller, Clock, ErrorKind, Sent, deadline};
use tokio::time::Instant;

/// Polls `fut` exactly once, from where this future is awaited.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> impl Future<Output = Poll<F::Output>> + '_ {
    std::future::poll_fn(move |cx: &mut Context<'_>| Poll::Ready(Pin::new(&mut *fut).poll(cx)))
}

#[tokio::test]
async fn a_cancel_first_polled_under_an_earlier_deadline_keeps_it_for_its_change() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_details(&server, order(serde_json::json!({}))).await;
    // The change answers after 400 ms.
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"));
            then.status(200).delay(Duration::from_millis(400));
        })
        .await;
    let client = rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config().with_attempt_timeout(Duration::from_secs(2)))
        .clock(Clock::fixed("2026-03-20T11:00:00Z".parse().unwrap()))
        .build()
        .unwrap();

    let near = Instant::now() + Duration::from_millis(200);
    let mut fut = client.cancel_with(
        CancelRequest::whole(SHIPMENT),
        CancelOptions::new().timeout(Duration::from_secs(30)),
    );
    // The first poll under the near deadline, then driven outside it.
    assert!(
        deadline::scope(near, poll_once(&mut fut))
            .await
            .is_pending()
    );
    let started = Instant::now();
    let err = fut.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    // Ended at the near deadline, not after the change's answer.
    assert!(
        started.elapsed() < Duration::from_millis(390),
        "{:?}",
        started.elapsed()
    );
    details.assert_calls_async(1).await;
    cancel.assert_calls_async(1).await;
}
