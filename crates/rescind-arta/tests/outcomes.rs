//! The rule of `rescind_core::change` at Arta, cell by cell: the hosted session's cancel and
//! the shipment's hold, under every fault their answer can have, with the target read back
//! changed (the change was applied) or unchanged. Only a success or a documented refusal
//! proves anything; everything else is settled by reading the target back, and what stays
//! unknown says so, names `rescind arta show-session` / `show-shipment`, and carries the
//! reading taken before the change.
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
use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ErrorKind, Sent, SettledBy,
    TransportConfig,
};

const SHIPMENT: &str = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
const SHIPMENT_PATH: &str = "/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// Cancel hosted session 42 (idempotent).
    Cancel,
    /// Hold the shipment (a POST, not idempotent).
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Status500,
    Status408,
    Html502,
    NoEnvelope404,
    Undocumented409,
    Malformed2xx,
    NotTheSuccessType2xx,
    Empty2xx,
    Oversized2xx,
    /// A redirect to another address: not followed (it would send the change again).
    Redirect307,
    Timeout,
}

const FAULTS: [Fault; 11] = [
    Fault::Status500,
    Fault::Status408,
    Fault::Html502,
    Fault::NoEnvelope404,
    Fault::Undocumented409,
    Fault::Malformed2xx,
    Fault::NotTheSuccessType2xx,
    Fault::Empty2xx,
    Fault::Oversized2xx,
    Fault::Redirect307,
    Fault::Timeout,
];

impl Op {
    fn request(self) -> CancelRequest {
        match self {
            Op::Cancel => CancelRequest::whole("42"),
            Op::Hold => CancelRequest::hold(SHIPMENT, None),
        }
    }

    fn idempotent(self) -> bool {
        self == Op::Cancel
    }

    fn read_path(self) -> &'static str {
        match self {
            Op::Cancel => "/hosted_sessions/42",
            Op::Hold => SHIPMENT_PATH,
        }
    }

    fn change(self) -> (&'static str, &'static str) {
        match self {
            Op::Cancel => ("PATCH", "/hosted_sessions/42/cancel"),
            Op::Hold => ("POST", "/shipment_exceptions"),
        }
    }

    fn success_status(self) -> u16 {
        match self {
            Op::Cancel => 200,
            Op::Hold => 201,
        }
    }

    fn before(self) -> String {
        match self {
            Op::Cancel => session_with_status("new"),
            Op::Hold => fixture("shipment_pending.json"),
        }
    }

    fn after(self) -> String {
        match self {
            Op::Cancel => session_with_status("cancelled"),
            Op::Hold => shipment_with(|v| {
                let mut hold = v["exceptions"][0].clone();
                hold["id"] = "9d7e0c1a-0000-4000-8000-000000000001".into();
                hold["type"] = "requested_hold_to_collect".into();
                hold["status"] = "new".into();
                hold["source"] = "api".into();
                hold["resolution"] = serde_json::Value::Null;
                v["exceptions"].as_array_mut().unwrap().push(hold);
            }),
        }
    }

    fn applied(self) -> CancelStatus {
        match self {
            Op::Cancel => CancelStatus::Cancelled,
            Op::Hold => CancelStatus::Held { until: None },
        }
    }

    fn check(self) -> String {
        match self {
            Op::Cancel => "rescind arta show-session 42".into(),
            Op::Hold => format!("rescind arta show-shipment {SHIPMENT}"),
        }
    }
}

impl Fault {
    fn answer(self, op: Op) -> (u16, String) {
        let ok = op.success_status();
        match self {
            Fault::Status500 => (
                500,
                r#"{"errors":{"detail":"Internal Server Error"}}"#.into(),
            ),
            Fault::Status408 => (408, String::new()),
            Fault::Html502 => (502, "<html><body>Bad Gateway</body></html>".into()),
            Fault::NoEnvelope404 => (404, "<html><body>Not Found</body></html>".into()),
            Fault::Undocumented409 => (409, r#"{"errors":{"detail":"Conflict"}}"#.into()),
            Fault::Malformed2xx => (ok, r#"{"id": 42, "status": "canc"#.into()),
            Fault::NotTheSuccessType2xx => (ok, r#"{"padding":"xxxx"}"#.into()),
            Fault::Empty2xx => (ok, String::new()),
            Fault::Oversized2xx => (ok, format!(r#"{{"padding":"{}"}}"#, "x".repeat(16384))),
            Fault::Redirect307 => (307, String::new()),
            Fault::Timeout => (ok, "{}".into()),
        }
    }

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
            Fault::NoEnvelope404 => ErrorKind::NotFound,
            Fault::Undocumented409 => ErrorKind::NotCancellable,
            Fault::Status408 | Fault::Timeout => ErrorKind::Timeout,
            Fault::Redirect307 => ErrorKind::UnexpectedResponse,
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
    let done = Arc::new(AtomicBool::new(false));
    let (d1, d2, d3) = (done.clone(), done.clone(), done.clone());
    let (before, after) = (op.before(), op.after());
    let read_before = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(op.read_path())
                .is_true(move |_| !d1.load(Ordering::SeqCst));
            then.status(200).body(before);
        })
        .await;
    let read_after = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(op.read_path())
                .is_true(move |_| d2.load(Ordering::SeqCst));
            then.status(200).body(after);
        })
        .await;
    let (status, body) = fault.answer(op);
    let (method, path) = op.change();
    let change = server
        .mock_async(|when, then| {
            when.method(method).path(path).is_true(move |req| {
                if applied && req.method_str() == method {
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
    let config = TransportConfig::default()
        .with_retry(fast_retry())
        .with_attempt_timeout(Duration::from_millis(150))
        .with_body_limits(8192, 64 * 1024);
    let result = client_with(&server, config).cancel(op.request()).await;
    Cell {
        result,
        sends: change.calls_async().await,
        reads: read_before.calls_async().await + read_after.calls_async().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_of_the_cancel_and_the_hold_is_settled_by_reading_back() {
    let mut table =
        String::from("op | fault | applied | result | sent | kind | settled by | sends | reads\n");
    for op in [Op::Cancel, Op::Hold] {
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
                        assert_eq!(outcome.status, op.applied(), "{at}");
                        assert_eq!(outcome.settled_by, SettledBy::ReadBack, "{at}");
                        assert_eq!(sends, attempts, "{at}");
                        assert_eq!(reads, 2, "{at}");
                    }
                    (Err(err), false) => {
                        assert_eq!(err.sent(), Sent::MaybeSent, "{at}: {err}");
                        assert_eq!(err.kind(), fault.kind(), "{at}: {err}");
                        let before = err.observed_before().expect("the reading from before");
                        assert!(!before.cancelled && before.holds.is_empty(), "{at}");
                        assert!(
                            err.to_string().contains(&format!(
                                "the outcome is unknown: check with `{}` before trying again",
                                op.check()
                            )),
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
    insta::assert_snapshot!("change_fault_cells", table);
}

/// A 200 about another session proves nothing about this one: read back, sent once more.
#[tokio::test]
async fn a_cancel_answer_about_another_session_is_settled_by_reading_back() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/hosted_sessions/42");
            then.status(200).body(session_with_status("new"));
        })
        .await;
    let mut other = fixture_json("hosted_session_cancel_200.json");
    other["id"] = 43.into();
    let cancel = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.status(200).body(other.to_string());
        })
        .await;
    let err = client(&server)
        .cancel(CancelRequest::whole("42"))
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert!(
        err.to_string().contains("hosted session 43, not 42"),
        "{err}"
    );
    cancel.assert_calls_async(2).await;
    read.assert_calls_async(3).await;
}

/// Arta's documented refusals prove nothing changed: no second send, `Answered`.
#[tokio::test]
async fn documented_refusals_are_answered() {
    for (status, body, kind) in [
        (
            422,
            r#"{"errors":{"detail":"closed"}}"#,
            ErrorKind::NotCancellable,
        ),
        (
            404,
            r#"{"errors":{"detail":"Not Found"}}"#,
            ErrorKind::NotFound,
        ),
        (403, "", ErrorKind::Forbidden),
        (429, "", ErrorKind::RateLimited),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/hosted_sessions/42");
                then.status(200).body(session_with_status("new"));
            })
            .await;
        let cancel = server
            .mock_async(|when, then| {
                when.method("PATCH").path("/hosted_sessions/42/cancel");
                then.status(status).header("retry-after", "3600").body(body);
            })
            .await;
        let err = client(&server)
            .cancel(CancelRequest::whole("42"))
            .await
            .unwrap_err();
        assert_eq!(err.sent(), Sent::Answered, "{status}");
        assert_eq!(err.kind(), kind, "{status}");
        assert!(err.observed_before().is_none());
        cancel.assert_calls_async(1).await;
    }
}
