//! The rule of `rescind_core::change` at Skip Pay, cell by cell: the order cancel (whole, and
//! with a quantity) and the application cancel, under every fault their answer can have, with
//! the application read back changed (the cancel was applied) or unchanged. Only a success
//! that shows the change or a documented refusal proves anything; everything else is settled
//! by reading the application back, and what stays unknown says so, names
//! `rescind skippay show`, and carries the reading taken before the cancel.
//!
//! A lost connection cannot be produced with httpmock; the transport maps it to `MaybeSent`
//! like a timeout, so it takes the timeout's path here (the simulator's fault matrix and the
//! CLI tests drop connections for real).

mod common;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ErrorKind, ItemSelector, Sent,
    SettledBy,
};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// The whole order of a READY application (idempotent).
    WholeOrder,
    /// One of two pieces of item A (not idempotent).
    Quantity,
    /// A PROCESSING application, cancelled as a whole (idempotent).
    Application,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Status500,
    Status408,
    Html502,
    NoEnvelope404,
    Malformed200,
    NotTheSuccessType200,
    UnchangedInTheAnswer200,
    Empty200,
    Oversized200,
    /// A redirect to another address: not followed (it would send the change again).
    Redirect307,
    Timeout,
}

const FAULTS: [Fault; 11] = [
    Fault::Status500,
    Fault::Status408,
    Fault::Html502,
    Fault::NoEnvelope404,
    Fault::Malformed200,
    Fault::NotTheSuccessType200,
    Fault::UnchangedInTheAnswer200,
    Fault::Empty200,
    Fault::Oversized200,
    Fault::Redirect307,
    Fault::Timeout,
];

fn items_before() -> Vec<Value> {
    vec![
        item("A", "PROCESSING", json!(2)),
        item("B", "PROCESSING", json!(1)),
    ]
}

impl Op {
    fn request(self) -> CancelRequest {
        match self {
            Op::Quantity => {
                CancelRequest::items(APP, vec![ItemSelector::by_code("A").quantity(Decimal::ONE)])
            }
            _ => CancelRequest::whole(APP),
        }
    }

    fn idempotent(self) -> bool {
        self != Op::Quantity
    }

    fn path(self) -> &'static str {
        match self {
            Op::Application => APP_CANCEL,
            _ => ORDER_CANCEL,
        }
    }

    fn before(self) -> Value {
        match self {
            Op::Application => application(
                "PROCESSING",
                "PROCESSING_REDIRECT_NEEDED",
                "PROCESSING",
                items_before(),
            ),
            _ => application("READY", "READY_TO_SHIP", "PROCESSING", items_before()),
        }
    }

    fn after(self) -> Value {
        match self {
            Op::WholeOrder => application(
                "READY",
                "READY_TO_SHIP",
                "CANCELLED",
                vec![
                    item("A", "CANCELLED", json!(2)),
                    item("B", "CANCELLED", json!(1)),
                ],
            ),
            Op::Quantity => application(
                "READY",
                "READY_TO_SHIP",
                "PROCESSING",
                vec![
                    item("A", "PROCESSING", json!(1)),
                    item("A", "CANCELLED", json!(1)),
                    item("B", "PROCESSING", json!(1)),
                ],
            ),
            Op::Application => application(
                "CANCELLED",
                "CANCELLED_NOT_PAID",
                "CANCELLED",
                items_before(),
            ),
        }
    }

    fn status_applied(self) -> CancelStatus {
        match self {
            Op::Quantity => CancelStatus::PartiallyCancelled {
                cancelled_items: Some(1),
                remaining_items: Some(2),
            },
            _ => CancelStatus::Cancelled,
        }
    }
}

impl Fault {
    fn answer(self, op: Op) -> (u16, String) {
        match self {
            Fault::Status500 => (
                500,
                errors_body("INTERNAL_ERROR", "try later", "T-500").to_string(),
            ),
            Fault::Status408 => (408, String::new()),
            Fault::Html502 => (502, "<html><body>Bad Gateway</body></html>".into()),
            Fault::NoEnvelope404 => (404, "<html><body>Not Found</body></html>".into()),
            Fault::Malformed200 => (200, r#"{"state": "CANC"#.into()),
            Fault::NotTheSuccessType200 => (200, r#"{"padding":"xxxx"}"#.into()),
            // The documented answer's shape, showing nothing changed (Skip Pay's own example
            // answers the items still PROCESSING).
            Fault::UnchangedInTheAnswer200 => match op {
                Op::Application => (200, op.before().to_string()),
                _ => (
                    200,
                    order_answer("PROCESSING", items_before(), "READY").to_string(),
                ),
            },
            Fault::Empty200 => (200, String::new()),
            Fault::Oversized200 => (200, format!(r#"{{"padding":"{}"}}"#, "x".repeat(16384))),
            Fault::Redirect307 => (307, String::new()),
            Fault::Timeout => (200, "{}".into()),
        }
    }

    /// Whether the transport repeats this change itself.
    fn retried_by_transport(self, op: Op) -> bool {
        op.idempotent()
            && matches!(
                self,
                Fault::Status500 | Fault::Status408 | Fault::Html502 | Fault::Timeout
            )
    }

    fn kind(self) -> ErrorKind {
        match self {
            Fault::Status500 | Fault::Html502 => ErrorKind::Server,
            Fault::UnchangedInTheAnswer200 | Fault::Redirect307 => ErrorKind::UnexpectedResponse,
            Fault::NoEnvelope404 => ErrorKind::NotFound,
            Fault::Status408 | Fault::Timeout => ErrorKind::Timeout,
            _ => ErrorKind::Decode,
        }
    }
}

struct Cell {
    result: Result<CancelOutcome, Error>,
    sends: usize,
    reads: usize,
}

async fn cell(op: Op, fault: Fault, applied: bool) -> Cell {
    let server = MockServer::start_async().await;
    login_mock(&server).await;
    let done = Arc::new(AtomicBool::new(false));
    let (d1, d2, d3) = (done.clone(), done.clone(), done.clone());
    let (before, after) = (op.before(), op.after());
    let read_before = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(APP_PATH)
                .is_true(move |_| !d1.load(Ordering::SeqCst));
            then.status(200).json_body(before);
        })
        .await;
    let read_after = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(APP_PATH)
                .is_true(move |_| d2.load(Ordering::SeqCst));
            then.status(200).json_body(after);
        })
        .await;
    let (status, body) = fault.answer(op);
    let change = server
        .mock_async(|when, then| {
            when.method(PUT).path(op.path()).is_true(move |req| {
                if applied && req.method_str() == "PUT" {
                    d3.store(true, Ordering::SeqCst);
                }
                true
            });
            let mut then = then.status(status).body(body);
            if fault == Fault::Redirect307 {
                then = then.header("location", "/elsewhere");
            }
            if fault == Fault::Timeout {
                then.delay(Duration::from_millis(1000));
            }
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| {
            c.with_attempt_timeout(Duration::from_millis(150))
                .with_body_limits(8192, 64 * 1024)
        })
    });
    let result = client.cancel(op.request()).await;
    Cell {
        result,
        sends: change.calls_async().await,
        reads: read_before.calls_async().await + read_after.calls_async().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_of_every_cancel_is_settled_by_reading_the_application_back() {
    let mut table =
        String::from("op | fault | applied | result | sent | kind | settled by | sends | reads\n");
    for op in [Op::WholeOrder, Op::Quantity, Op::Application] {
        for fault in FAULTS {
            for applied in [true, false] {
                let Cell {
                    result,
                    sends,
                    reads,
                } = cell(op, fault, applied).await;
                let attempts = if fault.retried_by_transport(op) { 3 } else { 1 };
                let at = format!("{op:?} {fault:?} applied={applied}");
                match (&result, applied) {
                    (Ok(outcome), true) => {
                        assert_eq!(outcome.status, op.status_applied(), "{at}");
                        assert_eq!(outcome.settled_by, SettledBy::ReadBack, "{at}");
                        assert_eq!(sends, attempts, "{at}");
                        assert_eq!(reads, 2, "{at}");
                    }
                    (Err(err), false) => {
                        assert_eq!(err.sent(), Sent::MaybeSent, "{at}: {err}");
                        assert_eq!(err.kind(), fault.kind(), "{at}: {err}");
                        let before = err.observed_before().expect("the reading from before");
                        assert!(!before.cancelled, "{at}");
                        if op == Op::Quantity {
                            assert_eq!(before.items.len(), 1, "{at}");
                            assert_eq!(before.items[0].quantity, Some(Decimal::TWO), "{at}");
                        }
                        assert!(
                            err.to_string().contains(
                                "the outcome is unknown: check with `rescind skippay show 11200a0ee1` before trying again"
                            ),
                            "{at}: {err}"
                        );
                        let resent = op.idempotent() && !fault.retried_by_transport(op);
                        assert_eq!(sends, if resent { 2 } else { attempts }, "{at}");
                        assert_eq!(reads, if resent { 3 } else { 2 }, "{at}");
                    }
                    (other, _) => panic!("{at}: {other:?}"),
                }
                let (res, sent, kind, settled) = match &result {
                    Ok(o) => (o.status.as_str(), "-", "-", o.settled_by.as_str()),
                    Err(e) => ("error", e.sent().as_str(), e.kind().as_str(), "-"),
                };
                writeln!(
                    table,
                    "{op:?} | {fault:?} | {applied} | {res} | {sent} | {kind} | {settled} | {sends} | {reads}"
                )
                .unwrap();
            }
        }
    }
    insta::assert_snapshot!("cancel_fault_cells", table);
}

/// Skip Pay documents no 429 (skippay.md, the OpenAPI file): a 429 to a change proves nothing
/// (DESIGN principle 11). The whole-order cancel (idempotent) is retried after the pause, but
/// the call is "may have been sent" and settled by reading back; nothing is claimed as refused.
#[tokio::test]
async fn an_undocumented_429_is_read_back_not_taken_as_a_refusal() {
    let server = MockServer::start_async().await;
    login_mock(&server).await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(Op::WholeOrder.before());
        })
        .await;
    let change = server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(429).json_body(json!({}));
        })
        .await;
    let client = client_with(&server, |b| {
        b.retry(
            rescind_core::retry::RetryPolicy::default()
                .with_backoff(Duration::from_millis(5), Duration::from_millis(5))
                .with_max_throttle_retries(1),
        )
    });
    let err = client.cancel(CancelRequest::whole(APP)).await.unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    // Sent again after each 429 (the order cancel is idempotent), read back after them: the
    // order is as before, so it is not reported refused, only unknown.
    assert!(change.calls_async().await >= 2);
    assert!(read.calls_async().await >= 2, "no read-back");
}

/// Skip Pay's documented refusals prove nothing changed: no read-back, no second send.
#[tokio::test]
async fn documented_refusals_are_not_read_back() {
    for (status, body, kind) in [
        (
            422,
            errors_body("NOT_SUPPORTED", "not supported", "T-1"),
            ErrorKind::NotCancellable,
        ),
        (
            400,
            errors_body("INVALID_REQUEST", "bad", "T-2"),
            ErrorKind::InvalidInput,
        ),
    ] {
        let server = MockServer::start_async().await;
        login_mock(&server).await;
        let read = server
            .mock_async(|when, then| {
                when.method(GET).path(APP_PATH);
                then.status(200).json_body(Op::WholeOrder.before());
            })
            .await;
        let change = server
            .mock_async(|when, then| {
                when.method(PUT).path(ORDER_CANCEL);
                then.status(status)
                    .header("retry-after", "3600")
                    .json_body(body);
            })
            .await;
        let err = client(&server)
            .cancel(CancelRequest::whole(APP))
            .await
            .unwrap_err();
        assert_eq!(err.sent(), Sent::Answered, "{status}");
        assert_eq!(err.kind(), kind, "{status}");
        assert!(err.observed_before().is_none());
        change.assert_calls_async(1).await;
        read.assert_calls_async(1).await;
    }
}
