//! break18: Arta's `cancel` now awaits its work without `CancelSpan::run` when nobody records
//! the `rescind.cancel` span, and `Transport::send` is a hand-written future recording the
//! `rescind.call` span. With a subscriber, through `cancel` and through `cancel_with` with a
//! deadline: one cancel span with its documented fields, every call span under it with its
//! `status` and `attempts`; a 5xx to the change then a read-back; and the same outcome as
//! without a subscriber. (Passing: `cancel_with` with a deadline, call-span fields, the 5xx
//! read-back path and the outcome without a subscriber were not covered at Arta.) Alone in
//! its test binary (see `rescind_core::testing::CapturedSpans`).

mod common;

use std::time::Duration;

use common::{answer, client, sequence, session_with_status};
use httpmock::MockServer;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelOptions, CancelOutcome, CancelRequest, Canceller, Error, SettledBy};

#[derive(Clone, Copy, Debug)]
enum Via {
    Cancel,
    CancelWithDeadline,
}

/// A session read `new`, then `cancelled`; its cancel answered 503 every time.
async fn run(via: Via) -> (Result<CancelOutcome, Error>, usize) {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.respond_with(sequence(vec![
                answer(200, "r-read", session_with_status("new")),
                answer(200, "r-back", session_with_status("cancelled")),
            ]));
        })
        .await;
    let change = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(503).body("upstream down");
        })
        .await;
    let c = client(&server);
    let result = match via {
        Via::Cancel => c.cancel(CancelRequest::whole("42")).await,
        Via::CancelWithDeadline => {
            c.cancel_with(
                CancelRequest::whole("42"),
                CancelOptions::new().timeout(Duration::from_secs(20)),
            )
            .await
        }
    };
    let calls = read.calls_async().await + change.calls_async().await;
    (result, calls)
}

fn summary(r: &Result<CancelOutcome, Error>) -> String {
    match r {
        Ok(o) => format!("ok {} {:?}", o.status.as_str(), o.settled_by),
        Err(e) => format!("err {:?} {:?}", e.kind(), e.sent()),
    }
}

#[tokio::test]
async fn spans_and_outcome_of_a_5xx_then_read_back_through_cancel_and_cancel_with() {
    // Without a subscriber first.
    let (quiet, quiet_calls) = run(Via::Cancel).await;
    let quiet_outcome = quiet.as_ref().expect("settled by reading back");
    assert_eq!(quiet_outcome.settled_by, SettledBy::ReadBack);
    let (quiet_with, _) = run(Via::CancelWithDeadline).await;
    assert_eq!(summary(&quiet_with), summary(&quiet));

    let spans = CapturedSpans::start();
    for (n, via) in [Via::Cancel, Via::CancelWithDeadline]
        .into_iter()
        .enumerate()
    {
        let (result, calls) = run(via).await;
        assert_eq!(summary(&result), summary(&quiet), "{via:?}");
        assert_eq!(calls, quiet_calls, "{via:?}");
        let cancels = spans.named("rescind.cancel");
        assert_eq!(cancels.len(), n + 1, "{via:?}: {cancels:#?}");
        let s = &cancels[n];
        assert_eq!(s.field("provider"), Some("arta"));
        assert_eq!(s.field("operation"), Some("cancel"));
        assert_eq!(s.field("target"), Some("42"));
        assert_eq!(s.field("status"), Some("cancelled"), "{via:?}");
        assert_eq!(s.field("settled_by"), Some("read_back"), "{via:?}");
        assert_eq!(
            s.field("attempts"),
            Some(calls.to_string().as_str()),
            "{via:?}"
        );
        assert_eq!(s.field("error_kind"), None);
    }
    let calls = spans.named("rescind.call");
    assert!(
        calls
            .iter()
            .all(|c| c.parent.as_deref() == Some("rescind.cancel")),
        "{calls:#?}"
    );
    for c in &calls {
        assert!(c.field("status").is_some(), "{c:#?}");
        assert!(c.field("attempts").is_some(), "{c:#?}");
    }
    let changes: Vec<_> = calls
        .iter()
        .filter(|c| c.field("operation") == Some("cancel_hosted_session"))
        .collect();
    assert_eq!(changes.len(), 2, "{calls:#?}");
    for c in changes {
        assert_eq!(c.field("status"), Some("503"), "{c:#?}");
        assert_eq!(c.field("method"), Some("PATCH"), "{c:#?}");
    }
    let reads: Vec<_> = calls
        .iter()
        .filter(|c| c.field("operation") == Some("get_hosted_session"))
        .collect();
    assert!(
        reads.iter().all(|c| c.field("status") == Some("200")),
        "{reads:#?}"
    );
    assert!(
        reads
            .iter()
            .any(|c| c.field("request_id") == Some("r-back")),
        "{reads:#?}"
    );
}
