//! break18: Skip Pay's `cancel` now awaits its work without `CancelSpan::run` when nobody
//! records the `rescind.cancel` span, and `Transport::send` is a hand-written future recording
//! the `rescind.call` span. With a subscriber, through `cancel` and through `cancel_with` with
//! a deadline, a success and a documented refusal: one cancel span with its documented fields,
//! every call span under it with its `status` and `attempts`, and the same outcome as without
//! a subscriber. (Passing: `cancel_with`, call-span fields and the outcome without a
//! subscriber were not covered at Skip Pay.) Alone in its test binary (see
//! `rescind_core::testing::CapturedSpans`).

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelOptions, CancelOutcome, CancelRequest, Canceller, Error};
use serde_json::json;

#[derive(Clone, Copy, Debug)]
enum Via {
    Cancel,
    CancelWithDeadline,
}

async fn run(via: Via, refuse: bool) -> (Result<CancelOutcome, Error>, usize) {
    let server = MockServer::start_async().await;
    let _ = login_mock(&server).await;
    let read = server
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
    let change = server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            if refuse {
                then.status(422)
                    .header("content-type", "application/json")
                    .body(ORDER_422);
            } else {
                then.status(200).json_body(order_answer(
                    "CANCELLED",
                    vec![item("A", "CANCELLED", json!(2))],
                    "READY",
                ));
            }
        })
        .await;
    let c = client(&server);
    let result = match via {
        Via::Cancel => c.cancel(CancelRequest::whole(APP)).await,
        Via::CancelWithDeadline => {
            c.cancel_with(
                CancelRequest::whole(APP),
                CancelOptions::new().timeout(Duration::from_secs(20)),
            )
            .await
        }
    };
    (
        result,
        read.calls_async().await + change.calls_async().await,
    )
}

fn summary(r: &Result<CancelOutcome, Error>) -> String {
    match r {
        Ok(o) => format!("ok {} {}", o.status.as_str(), o.settled_by.as_str()),
        Err(e) => format!(
            "err {} {} {:?}",
            e.kind().as_str(),
            e.sent().as_str(),
            e.reason().map(|r| r.as_str())
        ),
    }
}

#[tokio::test]
async fn spans_and_outcomes_of_a_success_and_a_refusal_through_cancel_and_cancel_with() {
    let mut quiet = Vec::new();
    for refuse in [false, true] {
        for via in [Via::Cancel, Via::CancelWithDeadline] {
            let (r, calls) = run(via, refuse).await;
            quiet.push((summary(&r), calls));
        }
    }
    assert!(quiet[0].0.starts_with("ok cancelled"), "{quiet:?}");
    assert!(quiet[2].0.starts_with("err "), "{quiet:?}");

    let spans = CapturedSpans::start();
    let mut n = 0;
    for refuse in [false, true] {
        for via in [Via::Cancel, Via::CancelWithDeadline] {
            let (r, calls) = run(via, refuse).await;
            assert_eq!((summary(&r), calls), quiet[n], "{via:?} refuse {refuse}");
            let cancels = spans.named("rescind.cancel");
            assert_eq!(cancels.len(), n + 1, "{via:?}: {cancels:#?}");
            let s = &cancels[n];
            assert_eq!(s.field("provider"), Some("skippay"));
            assert_eq!(s.field("operation"), Some("cancel"));
            assert_eq!(s.field("target"), Some(APP));
            assert_eq!(s.field("attempts"), Some(calls.to_string().as_str()));
            match &r {
                Ok(o) => {
                    assert_eq!(s.field("status"), Some(o.status.as_str()));
                    assert_eq!(s.field("settled_by"), Some(o.settled_by.as_str()));
                    assert_eq!(s.field("error_kind"), None);
                }
                Err(e) => {
                    assert_eq!(s.field("error_kind"), Some(e.kind().as_str()));
                    assert_eq!(s.field("sent"), Some(e.sent().as_str()));
                    assert_eq!(s.field("reason"), e.reason().map(|r| r.as_str()));
                    assert_eq!(s.field("status"), None);
                }
            }
            n += 1;
        }
    }
    let calls: Vec<_> = spans
        .named("rescind.call")
        .into_iter()
        .filter(|c| c.field("operation") != Some("login"))
        .collect();
    assert_eq!(calls.len(), 8, "{calls:#?}");
    assert!(
        calls
            .iter()
            .all(|c| c.parent.as_deref() == Some("rescind.cancel")),
        "{calls:#?}"
    );
    for c in &calls {
        assert_eq!(c.field("attempts"), Some("1"), "{c:#?}");
    }
    let statuses: Vec<_> = calls
        .iter()
        .filter(|c| c.field("operation") == Some("cancel_order"))
        .map(|c| c.field("status").unwrap_or("none").to_string())
        .collect();
    assert_eq!(statuses, ["200", "200", "422", "422"], "{calls:#?}");
}
