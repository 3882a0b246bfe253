//! The fault matrix: every operation of every provider × every fault the simulator injects,
//! each case on its own simulator. For each case the error kind, whether it was sent, the
//! attempts (server hits on the faulted route) and the final state (applied changes) are
//! recorded; the invariants below are asserted on every row, and the whole table is a
//! snapshot (`snapshots/fault_matrix__matrix.snap`), so any change of behaviour shows.
//!
//! Invariants:
//! - no change is ever applied twice (every applied counter is 0 or 1);
//! - a read never changes anything;
//! - a success of a change means the change is applied (once);
//! - an error that says the request was not sent, or was answered, means nothing was applied:
//!   a change that may have happened is reported as `MaybeSent` (or settled by reading back);
//! - a non-idempotent change is sent once when its outcome is ambiguous;
//! - no case takes more attempts than the policy allows (3), logins aside.

use std::collections::BTreeMap;
use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelRequest, Canceller, Error, ItemSelector, Sent, TransportConfig};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW, demo};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};

/// The attempt timeout of every client; the delay fault waits longer.
/// Generous enough that only the delay fault times out, even with the workspace's other tests
/// running beside it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const DELAY: Duration = Duration::from_secs(6);
/// Cases run at once (each on its own simulator).
const PARALLEL: usize = 12;
/// The success body cap of every client; the oversized fault sends 4 times more.
const BODY_LIMIT: usize = 64 * 1024;

const DI_ORDER: &str = "70724760000000101";
const SP_READY: &str = "11200a0ee1";
const SP_READY_TWO: &str = "11200a0ee2";
const SP_PROCESSING: &str = "11200a0ee3";

#[derive(Clone, Copy, Debug)]
enum Op {
    ArtaCancelSession,
    ArtaHold,
    ArtaGetSession,
    ArtaGetShipment,
    ArtaGetException,
    ArtaListExceptions,
    DiCancel,
    DiCancelOrder,
    DiOrderDetails,
    DiLogin,
    SkipPayCancelWhole,
    SkipPayCancelQuantity,
    SkipPayCancelApplication,
    SkipPayGetApplication,
    SkipPayLogin,
}

const OPS: &[Op] = &[
    Op::ArtaCancelSession,
    Op::ArtaHold,
    Op::ArtaGetSession,
    Op::ArtaGetShipment,
    Op::ArtaGetException,
    Op::ArtaListExceptions,
    Op::DiCancel,
    Op::DiCancelOrder,
    Op::DiOrderDetails,
    Op::DiLogin,
    Op::SkipPayCancelWhole,
    Op::SkipPayCancelQuantity,
    Op::SkipPayCancelApplication,
    Op::SkipPayGetApplication,
    Op::SkipPayLogin,
];

/// Where an operation's fault goes: method, pattern, and the route its hits are counted on.
struct Target {
    method: &'static str,
    pattern: &'static str,
    route: String,
    /// Whether the operation changes state, and whether repeating it is safe.
    change: bool,
    idempotent: bool,
}

impl Op {
    fn target(self) -> Target {
        let t = |method, pattern, route: String, change, idempotent| Target {
            method,
            pattern,
            route,
            change,
            idempotent,
        };
        match self {
            Op::ArtaCancelSession => t(
                "PATCH",
                "/hosted_sessions/*/cancel",
                "PATCH /hosted_sessions/42/cancel".into(),
                true,
                true,
            ),
            Op::ArtaHold => t(
                "POST",
                "/shipment_exceptions",
                "POST /shipment_exceptions".into(),
                true,
                false,
            ),
            Op::ArtaGetSession => t(
                "GET",
                "/hosted_sessions/*",
                "GET /hosted_sessions/42".into(),
                false,
                true,
            ),
            Op::ArtaGetShipment => t(
                "GET",
                "/shipments/*",
                format!("GET /shipments/{}", demo::PENDING),
                false,
                true,
            ),
            Op::ArtaGetException => t(
                "GET",
                "/shipment_exceptions/*",
                format!("GET /shipment_exceptions/{}", demo::HELD_EXCEPTION),
                false,
                true,
            ),
            Op::ArtaListExceptions => t(
                "GET",
                "/shipment_exceptions",
                "GET /shipment_exceptions".into(),
                false,
                true,
            ),
            Op::DiCancel | Op::DiCancelOrder => t(
                "DELETE",
                "/ws/json/parcel/booking/v-1/order/cancel/*",
                format!("DELETE /ws/json/parcel/booking/v-1/order/cancel/{DI_ORDER}"),
                true,
                true,
            ),
            Op::DiOrderDetails => t(
                "GET",
                "/ws/json/parcel/booking/v-1/details/*",
                format!("GET /ws/json/parcel/booking/v-1/details/{DI_ORDER}"),
                false,
                true,
            ),
            Op::DiLogin => t(
                "POST",
                "/ws/json/auth/v-3/login/*",
                "POST /ws/json/auth/v-3/login/60".into(),
                false,
                false,
            ),
            Op::SkipPayCancelWhole => t(
                "PUT",
                "/financing/v1/applications/*/order/cancel",
                format!("PUT /financing/v1/applications/{SP_READY}/order/cancel"),
                true,
                true,
            ),
            Op::SkipPayCancelQuantity => t(
                "PUT",
                "/financing/v1/applications/*/order/cancel",
                format!("PUT /financing/v1/applications/{SP_READY_TWO}/order/cancel"),
                true,
                false,
            ),
            Op::SkipPayCancelApplication => t(
                "PUT",
                "/financing/v1/applications/*/cancel",
                format!("PUT /financing/v1/applications/{SP_PROCESSING}/cancel"),
                true,
                true,
            ),
            Op::SkipPayGetApplication => t(
                "GET",
                "/financing/v1/applications/*",
                format!("GET /financing/v1/applications/{SP_READY}"),
                false,
                true,
            ),
            Op::SkipPayLogin => t(
                "POST",
                "/authentication/v1/partner",
                "POST /authentication/v1/partner".into(),
                false,
                false,
            ),
        }
    }

    /// The applied-counter keys this operation may touch.
    fn touches(self) -> &'static str {
        match self {
            Op::ArtaCancelSession => "arta:hosted_session:42:",
            Op::ArtaHold => demo::PENDING,
            Op::DiCancel | Op::DiCancelOrder => DI_ORDER,
            Op::SkipPayCancelWhole => SP_READY,
            Op::SkipPayCancelQuantity => SP_READY_TWO,
            Op::SkipPayCancelApplication => SP_PROCESSING,
            _ => "-",
        }
    }

    async fn run(self, base_url: &str) -> Result<String, Error> {
        let config = config();
        let arta = || {
            rescind_arta::Client::builder()
                .api_key(DEMO_API_KEY)
                .base_url(base_url)
                .config(config.clone())
                .build()
                .unwrap()
        };
        let di = || {
            rescind_di::Client::builder()
                .base_url(base_url)
                .credentials(rescind_di::Credentials::new(
                    "wsfoobar",
                    "a-very-very-long-password",
                ))
                .minutes_valid(60)
                .config(config.clone())
                .build()
                .unwrap()
        };
        let skippay = || {
            rescind_skippay::Client::builder()
                .base_url(base_url)
                .credentials(rescind_skippay::Credentials::new(
                    "eShop",
                    "eShopSecretPassword",
                ))
                .configure(|_| config.clone())
                .build()
                .unwrap()
        };
        let outcome = |o: rescind_core::CancelOutcome| format!("{:?}", o.status);
        Ok(match self {
            Op::ArtaCancelSession => outcome(arta().cancel(CancelRequest::whole("42")).await?),
            Op::ArtaHold => outcome(
                arta()
                    .cancel(CancelRequest::hold(
                        demo::PENDING,
                        Some(jiff::civil::date(2026, 12, 1)),
                    ))
                    .await?,
            ),
            Op::ArtaGetSession => format!("{}", arta().get_hosted_session(42).await?.status),
            Op::ArtaGetShipment => format!("{}", arta().get_shipment(demo::PENDING).await?.status),
            Op::ArtaGetException => format!(
                "{}",
                arta()
                    .get_shipment_exception(demo::HELD_EXCEPTION)
                    .await?
                    .status
            ),
            Op::ArtaListExceptions => format!(
                "{} items",
                arta().list_shipment_exceptions(1, 10).await?.items.len()
            ),
            Op::DiCancel => outcome(di().cancel(CancelRequest::whole(DI_ORDER)).await?),
            Op::DiCancelOrder => format!("HTTP {}", di().cancel_order(DI_ORDER).await?.status),
            Op::DiOrderDetails => format!(
                "{:?}",
                di().order_details(DI_ORDER).await?.edi_status.unwrap()
            ),
            Op::DiLogin => {
                di().login().await?;
                "logged in".into()
            }
            Op::SkipPayCancelWhole => {
                outcome(skippay().cancel(CancelRequest::whole(SP_READY)).await?)
            }
            Op::SkipPayCancelQuantity => outcome(
                skippay()
                    .cancel(CancelRequest::items(
                        SP_READY_TWO,
                        vec![ItemSelector::by_code("MS-202").quantity(1.into())],
                    ))
                    .await?,
            ),
            Op::SkipPayCancelApplication => outcome(
                skippay()
                    .cancel(CancelRequest::whole(SP_PROCESSING))
                    .await?,
            ),
            Op::SkipPayGetApplication | Op::SkipPayLogin => {
                format!("{}", skippay().get_application(SP_READY).await?.state)
            }
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    TooManyRequestsRetryAfter,
    TooManyRequests,
    Status500,
    Status502,
    Status503,
    DelayPastTimeout,
    DropBeforeResponse,
    DropAfterApplied,
    MalformedJson,
    HtmlPage,
    EmptyBody,
    OversizedBody,
}

const FAULTS: &[Fault] = &[
    Fault::TooManyRequestsRetryAfter,
    Fault::TooManyRequests,
    Fault::Status500,
    Fault::Status502,
    Fault::Status503,
    Fault::DelayPastTimeout,
    Fault::DropBeforeResponse,
    Fault::DropAfterApplied,
    Fault::MalformedJson,
    Fault::HtmlPage,
    Fault::EmptyBody,
    Fault::OversizedBody,
];

impl Fault {
    /// The rule on `target`. Faults are on every matching request, except the 429 with
    /// `Retry-After`, which comes once (the case where waiting as told succeeds). A 2xx whose
    /// body is unreadable (malformed, empty, oversized) comes after the change was applied:
    /// the provider did it, the answer was lost on the way.
    fn rule(self, target: &Target) -> FaultRule {
        let status = |status, retry_after| FaultAction::Status {
            status,
            retry_after,
        };
        let rule = |action| FaultRule::new(target.pattern, action).method(target.method);
        match self {
            Fault::TooManyRequestsRetryAfter => rule(status(429, Some(1))).times(1),
            Fault::TooManyRequests => rule(status(429, None)),
            Fault::Status500 => rule(status(500, None)),
            Fault::Status502 => rule(status(502, None)),
            Fault::Status503 => rule(status(503, None)),
            Fault::DelayPastTimeout => {
                FaultRule::delay(target.pattern, DELAY).method(target.method)
            }
            Fault::DropBeforeResponse => rule(FaultAction::Drop),
            Fault::DropAfterApplied => rule(FaultAction::Drop).after_apply(),
            Fault::MalformedJson => rule(FaultAction::MalformedJson).after_apply(),
            Fault::HtmlPage => rule(FaultAction::Html),
            Fault::EmptyBody => rule(FaultAction::Empty).after_apply(),
            Fault::OversizedBody => rule(FaultAction::Oversized {
                bytes: 4 * BODY_LIMIT,
            })
            .after_apply(),
        }
    }
}

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(ATTEMPT_TIMEOUT)
        .with_body_limits(BODY_LIMIT, BODY_LIMIT)
}

/// One case's result.
#[derive(Debug)]
struct Row {
    op: String,
    fault: String,
    /// `ok: <outcome>` or `<kind>, <sent>`.
    result: String,
    /// Requests that reached the faulted route.
    hits: u64,
    /// Applied changes of the operation's target, by counter.
    applied: BTreeMap<String, u64>,
}

async fn case(op: Op, fault: Fault) -> (Row, Option<Sent>) {
    let running: RunningSimulator = Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap();
    let target = op.target();
    running.sim().faults().add(fault.rule(&target));
    let result = op.run(&running.base_url()).await;
    // Let a delayed request finish on the server before reading the counters.
    if matches!(fault, Fault::DelayPastTimeout) {
        tokio::time::sleep(DELAY + Duration::from_millis(300)).await;
    }
    let counters = running.sim().counters().snapshot();
    let applied = counters
        .applied
        .into_iter()
        .filter(|(k, _)| k.contains(op.touches()))
        .collect();
    let (result, sent) = match &result {
        Ok(outcome) => (format!("ok: {outcome}"), None),
        Err(e) => (format!("{}, {:?}", e.kind(), e.sent()), Some(e.sent())),
    };
    running.shutdown().await;
    (
        Row {
            op: format!("{op:?}"),
            fault: format!("{fault:?}"),
            result,
            hits: counters.hits.get(&target.route).copied().unwrap_or(0),
            applied,
        },
        sent,
    )
}

fn check(row: &Row, op: Op, fault: Fault, sent: Option<Sent>) -> Vec<String> {
    let target = op.target();
    let mut broken = Vec::new();
    let total: u64 = row.applied.values().sum();
    let mut fail = |what: &str| broken.push(format!("{op:?} × {fault:?}: {what} ({row:?})"));
    if row.applied.values().any(|&n| n > 1) {
        fail("a change was applied twice");
    }
    if !target.change && total > 0 {
        fail("a read changed state");
    }
    if target.change && sent.is_none() && total == 0 && !row.result.contains("AlreadyCancelled") {
        fail("a success without the change applied");
    }
    if target.change && matches!(sent, Some(Sent::NotSent | Sent::Answered)) && total > 0 {
        fail("the change was applied but the error says it was not sent or answered");
    }
    let ambiguous = matches!(
        fault,
        Fault::DelayPastTimeout | Fault::DropBeforeResponse | Fault::DropAfterApplied
    );
    if target.change && !target.idempotent && ambiguous && row.hits != 1 {
        fail("a non-idempotent change was sent again after an ambiguous end");
    }
    if row.hits > 3 {
        fail("more attempts than the policy allows");
    }
    broken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_under_every_fault() {
    let mut set = tokio::task::JoinSet::new();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    for (i, &op) in OPS.iter().enumerate() {
        for (j, &fault) in FAULTS.iter().enumerate() {
            let slots = slots.clone();
            set.spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                (i, j, op, fault, case(op, fault).await)
            });
        }
    }
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (i, j, op, fault, (row, sent)) = joined.unwrap();
        broken.extend(check(&row, op, fault, sent));
        rows.push(((i, j), row));
    }
    rows.sort_by_key(|(k, _)| *k);
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    assert_eq!(rows.len(), OPS.len() * FAULTS.len());
    let table: Vec<String> = rows
        .iter()
        .map(|r| {
            let applied: Vec<String> = r.applied.iter().map(|(k, n)| format!("{k}={n}")).collect();
            format!(
                "{:<25} {:<26} {:<40} hits={} applied=[{}]",
                r.op,
                r.fault,
                r.result,
                r.hits,
                applied.join(" ")
            )
        })
        .collect();
    eprintln!("{}", table.join("\n"));
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    insta::assert_snapshot!("matrix", table.join("\n"));
}
