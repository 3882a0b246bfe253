//! break18: Di's cancel was split into `cancel_prepared` (awaits), `judge_reading` and
//! `answered` (decisions), and `cancel` awaits the work without `CancelSpan::run` when nobody
//! records its span. Every branch, through `cancel` without a subscriber and with one (the
//! outcome must be the same, the `rescind.cancel` span must carry the documented fields, every
//! `rescind.call` under it with its `status` and `attempts`): already cancelled by the
//! reading; in transit, refused before sending or (rules off) sent; a success; `order.cancelled`
//! straight away (already cancelled) and after a 5xx of the same call (this call cancelled it,
//! check-first and change-first); a 5xx then a read-back; a refusal sent first and explained
//! by a reading (change-first). (Passing: the branches were covered one by one before, not
//! compared with and without a subscriber nor with their spans.) Alone in its test binary.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use rescind_core::testing::CapturedSpans;
use rescind_core::{CancelOutcome, CancelRequest, Canceller, Clock, Error, Policy};

const BEFORE: &str = "2026-03-20T11:00:00Z";
const IN_TRANSIT: &str = "2026-03-30T11:00:00Z";
const ORDER_CANCELLED: &str = r#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#;
const EXPORTED: &str = r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#;

fn reply(status: u16, body: &str) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn sequence(
    answers: Vec<HttpMockResponse>,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync + 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        answers[n.min(answers.len() - 1)].clone()
    }
}

struct Case {
    name: &'static str,
    policy: Policy,
    at: &'static str,
    transit_rules: bool,
    reads: Vec<serde_json::Value>,
    answers: Vec<(u16, &'static str)>,
    /// The outcome's summary expected (`summary`).
    expect: &'static str,
}

fn cases() -> Vec<Case> {
    let open = order(serde_json::json!({}));
    let cancelled = order(serde_json::json!({"ediStatus": "CANCELLED"}));
    vec![
        Case {
            name: "read cancelled",
            policy: Policy::CheckFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![cancelled.clone()],
            answers: vec![(200, "")],
            expect: "ok already_cancelled answer before=Some(true) sends=0",
        },
        Case {
            name: "in transit, refused before sending",
            policy: Policy::CheckFirst,
            at: IN_TRANSIT,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(200, "")],
            expect: "err not_cancellable not_sent Some(\"in_transit\") sends=0",
        },
        Case {
            name: "in transit, rules off: sent",
            policy: Policy::CheckFirst,
            at: IN_TRANSIT,
            transit_rules: false,
            reads: vec![open.clone()],
            answers: vec![(200, "")],
            expect: "ok cancelled answer before=Some(false) sends=1",
        },
        Case {
            name: "success",
            policy: Policy::CheckFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(200, "")],
            expect: "ok cancelled answer before=Some(false) sends=1",
        },
        Case {
            name: "order.cancelled at once",
            policy: Policy::CheckFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(400, ORDER_CANCELLED)],
            expect: "ok already_cancelled answer before=Some(true) sends=1",
        },
        Case {
            name: "order.cancelled after a 5xx, check-first",
            policy: Policy::CheckFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(503, ""), (400, ORDER_CANCELLED)],
            expect: "ok cancelled answer before=Some(false) sends=2",
        },
        Case {
            name: "order.cancelled after a 5xx, change-first",
            policy: Policy::ChangeFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(503, ""), (400, ORDER_CANCELLED)],
            expect: "ok cancelled answer before=None sends=2",
        },
        Case {
            name: "5xx then read back",
            policy: Policy::CheckFirst,
            at: BEFORE,
            transit_rules: true,
            reads: vec![open.clone(), cancelled.clone()],
            answers: vec![(503, "")],
            expect: "ok cancelled read_back before=Some(false) sends=3",
        },
        Case {
            name: "refused when sent first, explained",
            policy: Policy::ChangeFirst,
            at: IN_TRANSIT,
            transit_rules: true,
            reads: vec![open.clone()],
            answers: vec![(400, EXPORTED)],
            expect: "err not_cancellable answered Some(\"in_transit\") sends=1",
        },
    ]
}

fn summary(r: &Result<CancelOutcome, Error>, sends: usize) -> String {
    match r {
        Ok(o) => format!(
            "ok {} {} before={:?} sends={sends}",
            o.status.as_str(),
            o.settled_by.as_str(),
            o.already_cancelled_before
        ),
        Err(e) => format!(
            "err {} {} {:?} sends={sends}",
            e.kind().as_str(),
            e.sent().as_str(),
            e.reason().map(|r| r.as_str())
        ),
    }
}

/// The case's result, its summary, and the requests the server saw (login aside).
async fn run(case: &Case) -> (Result<CancelOutcome, Error>, String, usize) {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let reads = case
        .reads
        .iter()
        .map(|r| reply(200, &r.to_string()))
        .collect::<Vec<_>>();
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{DETAILS_PREFIX}{SHIPMENT}"));
            then.respond_with(sequence(reads));
        })
        .await;
    let answers = case
        .answers
        .iter()
        .map(|(s, b)| reply(*s, b))
        .collect::<Vec<_>>();
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"));
            then.respond_with(sequence(answers));
        })
        .await;
    let client = rescind_di::Client::builder()
        .base_url(server.base_url())
        .credentials(rescind_di::Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(fast_config())
        .clock(Clock::fixed(case.at.parse().unwrap()))
        .policy(case.policy)
        .check_transit_rules(case.transit_rules)
        .build()
        .unwrap();
    let result = client.cancel(CancelRequest::whole(SHIPMENT)).await;
    let sends = cancel.calls_async().await;
    let requests = sends + read.calls_async().await;
    let s = summary(&result, sends);
    (result, s, requests)
}

#[tokio::test]
async fn every_branch_has_the_same_outcome_with_and_without_a_subscriber_and_its_span() {
    let mut quiet = Vec::new();
    for case in &cases() {
        let (_, s, requests) = run(case).await;
        assert_eq!(s, case.expect, "{} (no subscriber)", case.name);
        quiet.push((s, requests));
    }

    let spans = CapturedSpans::start();
    for (n, case) in cases().iter().enumerate() {
        let (result, s, requests) = run(case).await;
        assert_eq!((s, requests), quiet[n], "{} (subscriber)", case.name);
        let cancels = spans.named("rescind.cancel");
        assert_eq!(cancels.len(), n + 1, "{}: {cancels:#?}", case.name);
        let span = &cancels[n];
        assert_eq!(span.field("provider"), Some("di"), "{}", case.name);
        assert_eq!(span.field("target"), Some(SHIPMENT), "{}", case.name);
        assert_eq!(
            span.field("attempts"),
            Some(requests.to_string().as_str()),
            "{}",
            case.name
        );
        match &result {
            Ok(o) => {
                assert_eq!(
                    span.field("status"),
                    Some(o.status.as_str()),
                    "{}",
                    case.name
                );
                assert_eq!(
                    span.field("settled_by"),
                    Some(o.settled_by.as_str()),
                    "{}",
                    case.name
                );
                assert_eq!(span.field("error_kind"), None, "{}", case.name);
            }
            Err(e) => {
                assert_eq!(
                    span.field("error_kind"),
                    Some(e.kind().as_str()),
                    "{}",
                    case.name
                );
                assert_eq!(span.field("sent"), Some(e.sent().as_str()), "{}", case.name);
                assert_eq!(
                    span.field("reason"),
                    e.reason().map(|r| r.as_str()),
                    "{}",
                    case.name
                );
                assert_eq!(span.field("status"), None, "{}", case.name);
            }
        }
    }
    let calls: Vec<_> = spans
        .named("rescind.call")
        .into_iter()
        .filter(|c| c.field("operation") != Some("login"))
        .collect();
    assert!(
        calls
            .iter()
            .all(|c| c.parent.as_deref() == Some("rescind.cancel")
                && c.field("status").is_some()
                && c.field("attempts").is_some()),
        "{calls:#?}"
    );
    let total: usize = quiet.iter().map(|(_, r)| r).sum();
    let attempts: usize = calls
        .iter()
        .map(|c| c.field("attempts").unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(attempts, total, "{calls:#?}");
}
