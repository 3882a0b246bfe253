//! The rule of `rescind_core::change` at Di, cell by cell: every fault the cancel's answer can
//! have, with the order read back changed (the cancel was applied) or unchanged. Only a
//! success or a documented refusal proves anything; everything else is settled by reading the
//! order back, and what stays unknown says so, names `rescind di show`, and carries the
//! reading taken before the cancel.
//!
//! A lost connection cannot be produced with httpmock; the transport maps it to
//! `MaybeSent` like a timeout (rescind-core's transport tests), so it takes the timeout's path
//! here, and the simulator's fault matrix drops connections for real.

mod common;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use jiff::Timestamp;
use rescind_core::{CancelOutcome, CancelRequest, CancelStatus, Error, ErrorKind, Sent, SettledBy};

fn now() -> Timestamp {
    "2026-03-20T11:00:00Z".parse().unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Status500,
    Status408,
    Html502,
    NoEnvelope404,
    Malformed200,
    Envelope200,
    Html200,
    Oversized200,
    /// A redirect to another address: not followed (it would send the change again).
    Redirect307,
    Timeout,
}

const FAULTS: [Fault; 10] = [
    Fault::Status500,
    Fault::Status408,
    Fault::Html502,
    Fault::NoEnvelope404,
    Fault::Malformed200,
    Fault::Envelope200,
    Fault::Html200,
    Fault::Oversized200,
    Fault::Redirect307,
    Fault::Timeout,
];

impl Fault {
    fn answer(self) -> (u16, String) {
        match self {
            Fault::Status500 => (
                500,
                r#"{"statusCode":500,"errorKey":"internal.error","errorMap":{}}"#.into(),
            ),
            Fault::Status408 => (408, String::new()),
            Fault::Html502 => (502, "<html><body>Bad Gateway</body></html>".into()),
            Fault::NoEnvelope404 => (404, "<html><body>Not Found</body></html>".into()),
            Fault::Malformed200 => (200, r#"{"status": "CANC"#.into()),
            Fault::Envelope200 => (
                200,
                r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#.into(),
            ),
            Fault::Html200 => (200, "<html><body>OK</body></html>".into()),
            Fault::Oversized200 => (200, format!(r#"{{"padding":"{}"}}"#, "x".repeat(8192))),
            Fault::Redirect307 => (307, String::new()),
            Fault::Timeout => (200, String::new()),
        }
    }

    /// Whether the transport repeats the cancel itself (it is idempotent): then it is not
    /// sent again after an unchanged read-back.
    fn retried_by_transport(self) -> bool {
        matches!(
            self,
            Fault::Status500 | Fault::Status408 | Fault::Html502 | Fault::Timeout
        )
    }

    fn kind(self) -> ErrorKind {
        match self {
            Fault::Status500 | Fault::Html502 => ErrorKind::Server,
            Fault::NoEnvelope404 => ErrorKind::NotFound,
            Fault::Status408 | Fault::Timeout => ErrorKind::Timeout,
            Fault::Redirect307 => ErrorKind::UnexpectedResponse,
            _ => ErrorKind::Decode,
        }
    }
}

fn order(edi_status: &str) -> serde_json::Value {
    serde_json::json!({"shipmentId": SHIPMENT, "ediStatus": edi_status, "desiredDeliveryDate": "2026-03-31", "items": []})
}

struct Cell {
    result: Result<CancelOutcome, Error>,
    cancels: usize,
    reads: usize,
}

/// One cell: the cancel answers with `fault`; when `applied`, Di applies it first (the order
/// reads CANCELLED from then on).
async fn cell(fault: Fault, applied: bool) -> Cell {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let done = Arc::new(AtomicBool::new(false));
    let (d1, d2, d3) = (done.clone(), done.clone(), done.clone());
    let before = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .is_true(move |_| !d1.load(Ordering::SeqCst));
            then.status(200).json_body(order("EXPORT_OK"));
        })
        .await;
    let after = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .is_true(move |_| d2.load(Ordering::SeqCst));
            then.status(200).json_body(order("CANCELLED"));
        })
        .await;
    let (status, body) = fault.answer();
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"))
                .is_true(move |req| {
                    if applied && req.method_str() == "DELETE" {
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
    let config = fast_config()
        .with_attempt_timeout(Duration::from_millis(150))
        .with_body_limits(4096, 64 * 1024);
    let result = client_with(&server, config)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await;
    Cell {
        result,
        cancels: cancel.calls_async().await,
        reads: before.calls_async().await + after.calls_async().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_settled_by_reading_the_order_back() {
    let mut table =
        String::from("fault | applied | result | sent | kind | settled by | cancels | reads\n");
    for fault in FAULTS {
        for applied in [true, false] {
            let Cell {
                result,
                cancels,
                reads,
            } = cell(fault, applied).await;
            let attempts = if fault.retried_by_transport() { 3 } else { 1 };
            match (&result, applied) {
                // Applied: read back CANCELLED, never sent again.
                (Ok(outcome), true) => {
                    assert_eq!(outcome.status, CancelStatus::Cancelled, "{fault:?}");
                    assert_eq!(outcome.settled_by, SettledBy::ReadBack, "{fault:?}");
                    assert!(outcome.settled_by_read_back());
                    assert_eq!(cancels, attempts, "{fault:?}");
                    assert_eq!(reads, 2, "{fault:?}");
                }
                // Not applied: unknown, with the command to check and the reading from before;
                // sent once more only when the transport had not repeated it already.
                (Err(err), false) => {
                    assert_eq!(err.sent(), Sent::MaybeSent, "{fault:?}: {err}");
                    assert_eq!(err.kind(), fault.kind(), "{fault:?}: {err}");
                    assert!(err.outcome_unknown());
                    let before = err.observed_before().expect("the reading from before");
                    assert_eq!(before.state, "EXPORT_OK");
                    assert!(!before.cancelled);
                    assert!(
                        err.to_string().contains(&format!(
                            "the outcome is unknown: check with `rescind di show {SHIPMENT}` before trying again"
                        )),
                        "{fault:?}: {err}"
                    );
                    let resent = !fault.retried_by_transport();
                    assert_eq!(cancels, if resent { 2 } else { attempts }, "{fault:?}");
                    assert_eq!(reads, if resent { 3 } else { 2 }, "{fault:?}");
                }
                (other, applied) => panic!("{fault:?} applied={applied}: {other:?}"),
            }
            let (res, sent, kind, settled) = match &result {
                Ok(o) => (o.status.as_str(), "-", "-", o.settled_by.as_str()),
                Err(e) => ("error", e.sent().as_str(), e.kind().as_str(), "-"),
            };
            writeln!(
                table,
                "{fault:?} | {applied} | {res} | {sent} | {kind} | {settled} | {cancels} | {reads}"
            )
            .unwrap();
        }
    }
    insta::assert_snapshot!("cancel_fault_cells", table);
}

/// A documented refusal proves nothing changed: no read-back, no second send, `Answered`.
#[tokio::test]
async fn a_documented_refusal_is_not_read_back() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{DETAILS_PREFIX}{SHIPMENT}"));
            then.status(200).json_body(order("EXPORT_OK"));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(400)
                .body(r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#);
        })
        .await;
    let err = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert!(err.observed_before().is_none());
    cancel.assert_calls_async(1).await;
    details.assert_calls_async(1).await;
}

/// An empty 2xx is Di's success (it documents no body): the cancel is reported done without a
/// read-back. A Di that answers so without cancelling would be lying, outside this model.
#[tokio::test]
async fn an_empty_2xx_is_a_success_without_read_back() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = mock_order(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200);
        })
        .await;
    let outcome = client(&server)
        .cancel_at(CancelRequest::whole(SHIPMENT), now())
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(outcome.settled_by, SettledBy::Answer);
    cancel.assert_calls_async(1).await;
    details.assert_calls_async(1).await;
}

async fn mock_order(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{DETAILS_PREFIX}{SHIPMENT}"));
            then.status(200).json_body(order("EXPORT_OK"));
        })
        .await
}
