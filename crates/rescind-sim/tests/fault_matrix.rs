//! The fault matrix (issue 14): every change operation of the three providers, through the
//! SDK's `Canceller`, × every fault the simulator produces × when the change is applied:
//!
//! - `before`: the simulator applies the change, then answers with the fault;
//! - `late`: it answers with the fault (or, for `hold`, nothing until the client gives up),
//!   keeps the request, and applies it after the call has returned ("applied after the client
//!   gave up", [`rescind_sim::Sim::apply_held`]);
//! - `never`: it answers with the fault and never applies the change.
//!
//! Each cell runs on its own simulator. The first call's result and what the simulator applied
//! are recorded; after an error that is not `MaybeSent` the caller repeats the call (the fault
//! gone, as a user following "try again" would), and that is recorded too. Four invariants hold
//! in every cell, asserted:
//!
//! - (a) an outcome (cancelled, partially cancelled, held, already cancelled) ⇒ the simulator
//!   shows the asked change applied, and applied at most once;
//! - (b) an error with `sent() != MaybeSent` ⇒ nothing was applied, even later;
//! - (c) applied ⇒ never a result that says nothing changed (an error answered or not sent, or
//!   `AlreadyCancelled`);
//! - (d) nothing is ever applied twice, including when the caller repeats the call after an
//!   error that is not `MaybeSent`;
//!
//! and, from the retry rule, (e) a non-idempotent change whose answer proves nothing is sent
//! once, not blindly resent.
//!
//! "Applied" is the simulator's own record: its counters of applied changes per target, the
//! judge written apart from the clients.
//!
//! The rule (issue 14, DESIGN.md principle 11): only a readable documented success proves a
//! change (at Di, which documents no success body: an empty 2xx or JSON that is not its error
//! envelope); only a documented refusal (the provider's error envelope on a 4xx, a 401, a
//! 429 where documented: Arta only) proves none; everything else is `MaybeSent`, settled by reading the target back. Cells where
//! the simulator models a lying provider (applies, then answers a refusal; answers a
//! documented success without applying) are in the table as reported, marked `lying`, and
//! not asserted.
//!
//! Every cell runs under both request policies (issue 17): [`Policy::CheckFirst`] (the
//! table `snapshots/fault_matrix__matrix.snap`) and [`Policy::ChangeFirst`] (the change sent
//! with no read first where the promises allow it:
//! `snapshots/fault_matrix__matrix_change_first.snap`); the invariants are the same.
//!
//! The table (`snapshots/fault_matrix__matrix.snap`) holds what the rule requires. Run time is
//! bounded: cells run 12 at a time; only `hold` cells wait for a client timeout (short, and
//! the simulator answers nothing until the client gives up, so no timing decides a result).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ItemSelector, Policy, Sent,
    TransportConfig,
};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW, demo};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};

/// The attempt timeout of clients in cells whose fault answers; no such cell waits for it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// The attempt timeout of clients in `hold` cells: the simulator answers nothing until the
/// client gives up, so this only sets how long the cell takes. Long enough for the other
/// requests of the cell (login, reading back) on a loaded 2-core machine.
const HOLD_TIMEOUT: Duration = Duration::from_secs(1);
/// Bounds a wait on the simulator's held list; only a broken simulator reaches it.
const BOUND: Duration = Duration::from_secs(60);
/// Cells run at once (each on its own simulator).
const PARALLEL: usize = 12;
/// The success body cap of every client; the oversized fault sends 4 times more.
const BODY_LIMIT: usize = 64 * 1024;

const DI_ORDER: &str = "70724760000000101";
const SP_READY: &str = "11200a0ee1";
const SP_READY_TWO: &str = "11200a0ee2";
const SP_PROCESSING: &str = "11200a0ee3";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provider {
    Arta,
    Di,
    SkipPay,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    ArtaCancelSession,
    ArtaHold,
    DiCancel,
    SkipPayCancelWhole,
    SkipPayCancelQuantity,
    SkipPayCancelApplication,
}

const OPS: &[Op] = &[
    Op::ArtaCancelSession,
    Op::ArtaHold,
    Op::DiCancel,
    Op::SkipPayCancelWhole,
    Op::SkipPayCancelQuantity,
    Op::SkipPayCancelApplication,
];

impl Op {
    fn provider(self) -> Provider {
        match self {
            Op::ArtaCancelSession | Op::ArtaHold => Provider::Arta,
            Op::DiCancel => Provider::Di,
            _ => Provider::SkipPay,
        }
    }

    /// The change route: method, fault pattern, and the path its hits are counted on.
    fn route(self) -> (&'static str, &'static str, String) {
        match self {
            Op::ArtaCancelSession => (
                "PATCH",
                "/hosted_sessions/*/cancel",
                "/hosted_sessions/42/cancel".into(),
            ),
            Op::ArtaHold => (
                "POST",
                "/shipment_exceptions",
                "/shipment_exceptions".into(),
            ),
            Op::DiCancel => (
                "DELETE",
                "/ws/json/parcel/booking/v-1/order/cancel/*",
                format!("/ws/json/parcel/booking/v-1/order/cancel/{DI_ORDER}"),
            ),
            Op::SkipPayCancelWhole => (
                "PUT",
                "/financing/v1/applications/*/order/cancel",
                format!("/financing/v1/applications/{SP_READY}/order/cancel"),
            ),
            Op::SkipPayCancelQuantity => (
                "PUT",
                "/financing/v1/applications/*/order/cancel",
                format!("/financing/v1/applications/{SP_READY_TWO}/order/cancel"),
            ),
            Op::SkipPayCancelApplication => (
                "PUT",
                "/financing/v1/applications/*/cancel",
                format!("/financing/v1/applications/{SP_PROCESSING}/cancel"),
            ),
        }
    }

    /// The login route of the provider, if it logs in: method and pattern.
    fn login(self) -> Option<(&'static str, &'static str)> {
        match self.provider() {
            Provider::Arta => None,
            Provider::Di => Some(("POST", "/ws/json/auth/v-3/login/*")),
            Provider::SkipPay => Some(("POST", "/authentication/v1/partner")),
        }
    }

    /// Whether repeating the change is safe.
    fn idempotent(self) -> bool {
        !matches!(self, Op::ArtaHold | Op::SkipPayCancelQuantity)
    }

    /// The part every applied-counter key of this target contains.
    fn target(self) -> &'static str {
        match self {
            Op::ArtaCancelSession => "arta:hosted_session:42:",
            Op::ArtaHold => demo::PENDING,
            Op::DiCancel => DI_ORDER,
            Op::SkipPayCancelWhole => SP_READY,
            Op::SkipPayCancelQuantity => SP_READY_TWO,
            Op::SkipPayCancelApplication => SP_PROCESSING,
        }
    }

    /// The applied-counter keys of the asked change, summed: once the sum is 1, the target is
    /// in the asked state (nothing in the simulator undoes a cancel, a hold or a reduction).
    /// Cancelling one of MS-202's two units counts as a reduction, or, when it takes the last
    /// unit (a second application), as the item's cancellation: both are one application.
    fn asked(self) -> Vec<String> {
        match self {
            Op::ArtaCancelSession => vec!["arta:hosted_session:42:cancel".into()],
            Op::ArtaHold => vec![format!("arta:shipment:{}:hold", demo::PENDING)],
            Op::DiCancel => vec![format!("di:order:{DI_ORDER}:cancel")],
            Op::SkipPayCancelWhole => vec![format!("skippay:order:{SP_READY}:cancel")],
            Op::SkipPayCancelQuantity => vec![
                format!("skippay:item:{SP_READY_TWO}/MS-202:reduce"),
                format!("skippay:item:{SP_READY_TWO}/MS-202:cancel"),
            ],
            Op::SkipPayCancelApplication => {
                vec![format!("skippay:application:{SP_PROCESSING}:cancel")]
            }
        }
    }

    /// How many times the asked change was applied, by the simulator's counters.
    fn applications(self, applied: &BTreeMap<String, u64>) -> u64 {
        self.asked()
            .iter()
            .map(|k| applied.get(k).copied().unwrap_or(0))
            .sum()
    }

    async fn run(
        self,
        base_url: &str,
        config: &TransportConfig,
        right_password: bool,
        policy: Policy,
    ) -> Result<CancelOutcome, Error> {
        let canceller: Box<dyn Canceller> = match self.provider() {
            Provider::Arta => Box::new(
                rescind_arta::Client::builder()
                    .api_key(DEMO_API_KEY)
                    .base_url(base_url)
                    .config(config.clone())
                    .policy(policy)
                    .build()
                    .unwrap(),
            ),
            Provider::Di => {
                let (user, password) = rescind_sim::di::DEMO_USER;
                let password = if right_password {
                    password
                } else {
                    "not-the-right-password"
                };
                Box::new(
                    rescind_di::Client::builder()
                        .base_url(base_url)
                        .credentials(rescind_di::Credentials::new(user, password))
                        .minutes_valid(60)
                        .config(config.clone())
                        .policy(policy)
                        .build()
                        .unwrap(),
                )
            }
            Provider::SkipPay => {
                let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
                let password = if right_password {
                    password
                } else {
                    "notTheRightPassword"
                };
                Box::new(
                    rescind_skippay::Client::builder()
                        .base_url(base_url)
                        .credentials(rescind_skippay::Credentials::new(user, password))
                        .configure(|_| config.clone())
                        .policy(policy)
                        .build()
                        .unwrap(),
                )
            }
        };
        let request = match self {
            Op::ArtaCancelSession => CancelRequest::whole("42"),
            Op::ArtaHold => {
                CancelRequest::hold(demo::PENDING, Some(jiff::civil::date(2026, 12, 1)))
            }
            Op::DiCancel => CancelRequest::whole(DI_ORDER),
            Op::SkipPayCancelWhole => CancelRequest::whole(SP_READY),
            Op::SkipPayCancelQuantity => CancelRequest::items(
                SP_READY_TWO,
                vec![ItemSelector::by_code("MS-202").quantity(1.into())],
            ),
            Op::SkipPayCancelApplication => CancelRequest::whole(SP_PROCESSING),
        };
        canceller.cancel(request).await
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// 429 with `Retry-After: 1`, once: waiting as told succeeds.
    RateLimitedOnce,
    /// 429 on every attempt.
    RateLimited,
    Status500,
    Status502,
    Status503,
    /// No answer until the client gives up (its attempt timeout).
    Hold,
    /// The connection closed without an answer.
    Drop,
    /// 200 with a body that claims to be JSON and does not parse.
    MalformedJson,
    /// 502 with a proxy's HTML page.
    HtmlPage,
    /// 200 with an empty body.
    EmptyBody,
    /// 200 with a body over the client's cap.
    OversizedBody,
    /// 200 with JSON that is not the success type: `{"padding":"xxxx"}`.
    UnexpectedJson,
    /// 200 carrying the provider's error envelope.
    EnvelopeOn200,
    /// 404 from a gateway: plain text, not the provider's envelope.
    GatewayText404,
    /// 307 to the change's own address, once: a client that follows it sends the change again.
    Redirect307,
    /// 400 with the provider's error envelope: a documented refusal.
    Refusal400,
    /// 401 with the provider's body, once: the key or token refused before its expiry.
    TokenRefused,
    /// The login answers 503, every time (providers that log in).
    LoginUnavailable,
    /// The client's password is wrong (providers that log in).
    WrongCredentials,
}

const FAULTS: &[Fault] = &[
    Fault::RateLimitedOnce,
    Fault::RateLimited,
    Fault::Status500,
    Fault::Status502,
    Fault::Status503,
    Fault::Hold,
    Fault::Drop,
    Fault::MalformedJson,
    Fault::HtmlPage,
    Fault::EmptyBody,
    Fault::OversizedBody,
    Fault::UnexpectedJson,
    Fault::EnvelopeOn200,
    Fault::GatewayText404,
    Fault::Redirect307,
    Fault::Refusal400,
    Fault::TokenRefused,
    Fault::LoginUnavailable,
    Fault::WrongCredentials,
];

/// What an answer proves, by the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proves {
    /// A documented success: the change was made.
    Success,
    /// A documented refusal: the change was not made.
    Refusal,
    /// Nothing: `MaybeSent`, settled by reading back.
    Nothing,
    /// The change request is never sent (the login fails first).
    NotSent,
}

impl Fault {
    fn proves(self, provider: Provider) -> Proves {
        match self {
            Fault::RateLimitedOnce
            | Fault::RateLimited
            | Fault::Refusal400
            | Fault::TokenRefused => Proves::Refusal,
            // Di documents no success body: an empty 2xx, or JSON that is not its envelope.
            Fault::EmptyBody | Fault::UnexpectedJson if provider == Provider::Di => Proves::Success,
            Fault::LoginUnavailable | Fault::WrongCredentials => Proves::NotSent,
            _ => Proves::Nothing,
        }
    }

    /// The timings that mean something for this fault.
    fn timings(self) -> &'static [Timing] {
        match self {
            // The change request is never sent.
            Fault::LoginUnavailable | Fault::WrongCredentials => &[Timing::Never],
            _ => &[Timing::Before, Timing::Late, Timing::Never],
        }
    }

    fn applies_to(self, op: Op) -> bool {
        op.login().is_some() || !matches!(self, Fault::LoginUnavailable | Fault::WrongCredentials)
    }

    /// The rule for `op` at `timing` (none for wrong credentials: the client is built wrong).
    fn rule(self, op: Op, timing: Timing) -> Option<FaultRule> {
        let (method, pattern, _) = op.route();
        let status = |status, retry_after: Option<u64>| match retry_after {
            Some(secs) => FaultAction::status_with_retry_after(status, Duration::from_secs(secs)),
            None => FaultAction::status(status),
        };
        let action = match self {
            Fault::RateLimitedOnce => status(429, Some(1)),
            Fault::RateLimited => status(429, None),
            Fault::Status500 => status(500, None),
            Fault::Status502 => status(502, None),
            Fault::Status503 => status(503, None),
            Fault::Hold => FaultAction::Hold,
            Fault::Drop => FaultAction::Drop,
            Fault::MalformedJson => FaultAction::MalformedJson,
            Fault::HtmlPage => FaultAction::Html,
            Fault::EmptyBody => FaultAction::Empty,
            Fault::OversizedBody => FaultAction::oversized(4 * BODY_LIMIT),
            Fault::UnexpectedJson => FaultAction::UnexpectedJson,
            Fault::EnvelopeOn200 => FaultAction::envelope(200),
            Fault::GatewayText404 => FaultAction::gateway_text(404),
            Fault::Redirect307 => FaultAction::redirect(307, op.route().2),
            Fault::Refusal400 => FaultAction::envelope(400),
            Fault::TokenRefused => FaultAction::envelope(401),
            Fault::LoginUnavailable => {
                let (method, pattern) = op.login()?;
                return Some(FaultRule::new(pattern, status(503, None)).method(method));
            }
            Fault::WrongCredentials => return None,
        };
        let mut rule = FaultRule::new(pattern, action).method(method);
        if matches!(
            self,
            Fault::RateLimitedOnce | Fault::TokenRefused | Fault::Redirect307
        ) {
            rule = rule.times(1);
        }
        match timing {
            Timing::Before => rule.apply = true,
            Timing::Late => rule.late = true,
            Timing::Never => {}
        }
        Some(rule)
    }

    fn config(self) -> TransportConfig {
        let timeout = if self == Fault::Hold {
            HOLD_TIMEOUT
        } else {
            ATTEMPT_TIMEOUT
        };
        // A 429 that lasts is retried twice, as a failure is (by default a 429 is retried
        // until the call's deadline): the cells stay short, and the table stays exact.
        TransportConfig::default()
            .with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
                    .with_max_throttle_retries(2),
            )
            .with_attempt_timeout(timeout)
            .with_body_limits(BODY_LIMIT, BODY_LIMIT)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timing {
    Before,
    Late,
    Never,
}

impl Timing {
    fn as_str(self) -> &'static str {
        match self {
            Timing::Before => "before",
            Timing::Late => "late",
            Timing::Never => "never",
        }
    }
}

/// Whether the simulator models a lying provider in this cell (reported, not asserted).
fn lying(op: Op, fault: Fault, timing: Timing) -> bool {
    match fault.proves(op.provider()) {
        // Applies (now or later), then answers a refusal.
        Proves::Refusal => timing != Timing::Never,
        // Answers its documented success without ever applying.
        Proves::Success => timing == Timing::Never,
        Proves::Nothing | Proves::NotSent => false,
    }
}

/// A result as the table shows it: `done: <outcome>` (`(before unknown)` when the outcome
/// cannot tell whether the target was cancelled before); `nothing changed: <kind>` for an error
/// answered or not sent (what such an error asserts); `unknown` for a `MaybeSent` error (its
/// kind is the transport's business, not the rule's).
fn label(result: &Result<CancelOutcome, Error>) -> String {
    match result {
        // Change first: the provider's answer did not tell whether it was cancelled before.
        Ok(outcome) if outcome.already_cancelled_before.is_none() => {
            format!("done: {} (before unknown)", outcome.status.as_str())
        }
        Ok(outcome) => format!("done: {}", outcome.status.as_str()),
        Err(e) if e.sent() == Sent::MaybeSent => "unknown".into(),
        Err(e) => format!("nothing changed: {}", e.kind()),
    }
}

/// Whether a result says that nothing changed.
fn says_unchanged(result: &Result<CancelOutcome, Error>) -> bool {
    match result {
        Ok(outcome) => matches!(outcome.status, CancelStatus::AlreadyCancelled),
        Err(e) => e.sent() != Sent::MaybeSent,
    }
}

struct Cell {
    op: Op,
    fault: Fault,
    timing: Timing,
    lying: bool,
    first: String,
    /// The asked change's counter after the first call (and the late application).
    applied: u64,
    repeat: Option<(String, u64)>,
    broken: Vec<String>,
}

impl Cell {
    fn line(&self) -> String {
        let repeat = match &self.repeat {
            Some((label, applied)) => format!("repeat {label:<32} applied={applied}"),
            None => "-".into(),
        };
        let lying = if self.lying { "  lying: reported" } else { "" };
        format!(
            "{:<25} {:<17} {:<6} {:<32} applied={}  {repeat}{lying}",
            format!("{:?}", self.op),
            format!("{:?}", self.fault),
            self.timing.as_str(),
            self.first,
            self.applied,
        )
    }
}

fn applied_of(running: &RunningSimulator, op: Op) -> BTreeMap<String, u64> {
    running
        .sim()
        .counters()
        .snapshot()
        .applied
        .into_iter()
        .filter(|(k, _)| k.contains(op.target()))
        .collect()
}

async fn cell(op: Op, fault: Fault, timing: Timing, policy: Policy) -> Cell {
    let running = Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap();
    let sim = running.sim();
    let base = running.base_url();
    let config = fault.config();
    let right_password = fault != Fault::WrongCredentials;
    if let Some(rule) = fault.rule(op, timing) {
        sim.faults().add(rule);
    }
    let (method, _, path) = op.route();
    let route = format!("{method} {path}");

    let first = op.run(&base, &config, right_password, policy).await;
    let sent_changes = sim.counters().hit_count(&route);
    // The client has returned; once the simulator has seen every held connection close, the
    // provider applies the kept requests (late) or forgets them (never).
    tokio::time::timeout(
        BOUND,
        sim.wait_held(|h| h.iter().all(|r| !r.client_waiting)),
    )
    .await
    .expect("held connections close once the client gives up");
    if timing == Timing::Late {
        sim.apply_all_held().await;
    } else {
        sim.discard_all_held();
    }
    let after_first = applied_of(&running, op);
    let asked = op.applications(&after_first);
    let total: u64 = after_first.values().sum();

    // The simulator's own side, in every cell, lying ones included: `before` and `late` apply
    // the change (the provider's rules accept it: every target starts where the change is
    // allowed).
    if matches!(timing, Timing::Before | Timing::Late) {
        assert!(
            asked >= 1,
            "{op:?} × {fault:?} × {}: the simulator did not apply the change: {after_first:?}",
            timing.as_str()
        );
    }
    // `never` applies nothing, unless the fault fires once and the client's next attempt is
    // answered for real (a 429 waited out, a token renewed).
    if timing == Timing::Never
        && !matches!(
            fault,
            Fault::RateLimitedOnce | Fault::TokenRefused | Fault::Redirect307
        )
    {
        assert_eq!(
            total, 0,
            "{op:?} × {fault:?} × never: the simulator applied something: {after_first:?}"
        );
    }

    let mut broken = Vec::new();
    let mut fail = |what: &str, seen: &dyn std::fmt::Debug| {
        broken.push(format!(
            "{op:?} × {fault:?} × {} × {policy}: {what}: {seen:?}",
            timing.as_str()
        ))
    };
    if first.is_ok() && asked != 1 {
        fail(
            "(a) an outcome, but the change is not applied exactly once",
            &after_first,
        );
    }
    if matches!(&first, Err(e) if e.sent() != Sent::MaybeSent) && total > 0 {
        fail(
            "(b) an error that was answered or not sent, but something was applied",
            &(&first, &after_first),
        );
    }
    if asked > 0 && says_unchanged(&first) {
        fail("(c) applied, but the result says nothing changed", &first);
    }
    if asked > 1 || after_first.values().any(|&n| n > 1) {
        fail("(d) a change applied twice", &after_first);
    }
    if !op.idempotent() && fault.proves(op.provider()) == Proves::Nothing && sent_changes != 1 {
        fail(
            "(e) a non-idempotent change whose answer proves nothing was sent again",
            &sent_changes,
        );
    }

    // The caller repeats after an error that says the request was answered or not sent.
    let repeat = match &first {
        Err(e) if e.sent() != Sent::MaybeSent => {
            sim.faults().clear();
            let again = op.run(&base, &config, right_password, policy).await;
            let after = applied_of(&running, op);
            if op.applications(&after) > 1 || after.values().any(|&n| n > 1) {
                fail(
                    "(d) a change applied twice after the caller repeated",
                    &after,
                );
            }
            Some((label(&again), op.applications(&after)))
        }
        _ => None,
    };
    running.shutdown().await;
    let lying = lying(op, fault, timing);
    Cell {
        op,
        fault,
        timing,
        lying,
        first: label(&first),
        applied: asked,
        repeat,
        broken: if lying { Vec::new() } else { broken },
    }
}

/// Runs every cell under `policy`: the table's lines and the broken invariants.
async fn matrix(policy: Policy) -> (Vec<String>, Vec<String>) {
    let mut set = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut index = 0;
    for &op in OPS {
        for &fault in FAULTS.iter().filter(|f| f.applies_to(op)) {
            for &timing in fault.timings() {
                let slots = slots.clone();
                set.spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    (index, cell(op, fault, timing, policy).await)
                });
                index += 1;
            }
        }
    }
    let mut cells = Vec::new();
    while let Some(joined) = set.join_next().await {
        cells.push(joined.unwrap());
    }
    cells.sort_by_key(|(i, _)| *i);
    assert_eq!(cells.len(), index);
    let table: Vec<String> = cells.iter().map(|(_, c)| c.line()).collect();
    let broken: Vec<String> = cells
        .iter()
        .flat_map(|(_, c)| c.broken.iter().cloned())
        .collect();
    (table, broken)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_under_every_fault_at_every_timing() {
    // One policy after the other: the cells of both at once would double the load.
    for (policy, snapshot) in [
        (Policy::CheckFirst, "matrix"),
        (Policy::ChangeFirst, "matrix_change_first"),
    ] {
        let (table, broken) = matrix(policy).await;
        eprintln!("{policy}:\n{}", table.join("\n"));
        let broken = broken.join("\n");
        eprintln!("broken invariants ({policy}):\n{broken}");
        // The invariants first: a broken cell says which invariant; the table then shows every
        // cell whose result differs from what the rule requires.
        assert!(broken.is_empty(), "broken invariants ({policy}):\n{broken}");
        insta::assert_snapshot!(snapshot, table.join("\n"));
    }
}

/// A read of each provider, faulted like the changes.
#[derive(Clone, Copy, Debug)]
enum Read {
    ArtaSession,
    ArtaShipment,
    ArtaException,
    ArtaExceptions,
    DiOrder,
    SkipPayApplication,
}

const READS: &[Read] = &[
    Read::ArtaSession,
    Read::ArtaShipment,
    Read::ArtaException,
    Read::ArtaExceptions,
    Read::DiOrder,
    Read::SkipPayApplication,
];

impl Read {
    /// The operation whose provider (login, faults) this read shares.
    fn like(self) -> Op {
        match self {
            Read::DiOrder => Op::DiCancel,
            Read::SkipPayApplication => Op::SkipPayCancelWhole,
            _ => Op::ArtaCancelSession,
        }
    }

    /// Method, fault pattern, and the path its hits are counted on.
    fn route(self) -> (&'static str, &'static str, String) {
        match self {
            Read::ArtaSession => ("GET", "/hosted_sessions/*", "/hosted_sessions/42".into()),
            Read::ArtaShipment => (
                "GET",
                "/shipments/*",
                format!("/shipments/{}", demo::PENDING),
            ),
            Read::ArtaException => (
                "GET",
                "/shipment_exceptions/*",
                format!("/shipment_exceptions/{}", demo::HELD_EXCEPTION),
            ),
            Read::ArtaExceptions => ("GET", "/shipment_exceptions", "/shipment_exceptions".into()),
            Read::DiOrder => (
                "GET",
                "/ws/json/parcel/booking/v-1/details/*",
                format!("/ws/json/parcel/booking/v-1/details/{DI_ORDER}"),
            ),
            Read::SkipPayApplication => (
                "GET",
                "/financing/v1/applications/*",
                format!("/financing/v1/applications/{SP_READY}"),
            ),
        }
    }

    async fn run(self, base_url: &str, config: &TransportConfig) -> Result<String, Error> {
        let arta = || {
            rescind_arta::Client::builder()
                .api_key(DEMO_API_KEY)
                .base_url(base_url)
                .config(config.clone())
                .build()
                .unwrap()
        };
        Ok(match self {
            Read::ArtaSession => arta().get_hosted_session(42).await?.status.to_string(),
            Read::ArtaShipment => arta().get_shipment(demo::PENDING).await?.status.to_string(),
            Read::ArtaException => arta()
                .get_shipment_exception(demo::HELD_EXCEPTION)
                .await?
                .status
                .to_string(),
            Read::ArtaExceptions => {
                let page = arta().list_shipment_exceptions(1, 10).await?;
                format!("{} items", page.items.len())
            }
            Read::DiOrder => {
                let (user, password) = rescind_sim::di::DEMO_USER;
                let di = rescind_di::Client::builder()
                    .base_url(base_url)
                    .credentials(rescind_di::Credentials::new(user, password))
                    .minutes_valid(60)
                    .config(config.clone())
                    .build()
                    .unwrap();
                format!("{:?}", di.order_details(DI_ORDER).await?.edi_status)
            }
            Read::SkipPayApplication => {
                let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
                let skippay = rescind_skippay::Client::builder()
                    .base_url(base_url)
                    .credentials(rescind_skippay::Credentials::new(user, password))
                    .configure(|_| config.clone())
                    .build()
                    .unwrap();
                skippay.get_application(SP_READY).await?.state.to_string()
            }
        })
    }
}

/// Reads under the same faults, the faulted read also handled (`before`) or not (`never`):
/// a read never changes anything, and never takes more attempts than the retry policy allows.
/// Their results are not the rule's business (no change to prove), so there is no table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_change_nothing_under_any_fault() {
    let mut set = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    for &read in READS {
        let faults = FAULTS
            .iter()
            .filter(|f| !matches!(f, Fault::LoginUnavailable | Fault::WrongCredentials));
        for &fault in faults {
            for timing in [Timing::Before, Timing::Never] {
                let slots = slots.clone();
                set.spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    let running = Simulator::new()
                        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
                        .start()
                        .await
                        .unwrap();
                    let (method, pattern, path) = read.route();
                    // The change operation's rule, moved to the read's route.
                    let mut rule = fault.rule(read.like(), timing).unwrap();
                    rule.method = Some(method.into());
                    rule.path = pattern.into();
                    running.sim().faults().add(rule);
                    let result = read.run(&running.base_url(), &fault.config()).await;
                    let counters = running.sim().counters().snapshot();
                    running.shutdown().await;
                    let hits = counters.hits.get(&format!("{method} {path}")).copied();
                    let mut broken = Vec::new();
                    if !counters.applied.is_empty() {
                        broken.push(format!(
                            "{read:?} × {fault:?} × {}: a read changed state: {:?}",
                            timing.as_str(),
                            counters.applied
                        ));
                    }
                    if hits.unwrap_or(0) > 3 {
                        broken.push(format!(
                            "{read:?} × {fault:?} × {}: {hits:?} attempts, more than the policy's 3 ({result:?})",
                            timing.as_str()
                        ));
                    }
                    broken
                });
            }
        }
    }
    let mut broken = Vec::new();
    while let Some(joined) = set.join_next().await {
        broken.extend(joined.unwrap());
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
