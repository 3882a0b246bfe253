//! Faults around a change that the issue 14 work missed, found by replaying faults through the
//! binary as a user would:
//!
//! - changes the transport retried: an attempt answered with a 5xx may have been applied, so
//!   no later answer of the same call (a 429, a refusal, Di's `order.cancelled`) may make the
//!   call say "nothing was changed" or "already cancelled";
//! - a read before the change that fails: the change was never sent, so the call must not say
//!   it may have been applied (exit 6).
//!
//! Each case starts its own simulator in-process (clock pinned on the demo day) and runs the
//! binary with a cleared environment plus only the variables the case needs, on a blocking
//! thread so that the simulator keeps serving.

use std::process::{Command, Stdio};

use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use serde_json::Value;

/// One change operation of the CLI: its arguments, the route of its change request, the
/// simulator's counter of the change, and the environment it needs.
struct Op {
    name: &'static str,
    args: &'static [&'static str],
    method: &'static str,
    route: &'static str,
    /// The route of the read made before the change.
    read: &'static str,
    counter: &'static str,
    env: fn(&RunningSimulator) -> Vec<(String, String)>,
}

fn arta_env(sim: &RunningSimulator) -> Vec<(String, String)> {
    vec![
        ("ARTA_API_KEY".into(), DEMO_API_KEY.into()),
        ("ARTA_BASE_URL".into(), sim.base_url()),
    ]
}

fn di_env(sim: &RunningSimulator) -> Vec<(String, String)> {
    vec![
        ("DI_USERNAME".into(), rescind_sim::di::DEMO_USER.0.into()),
        ("DI_PASSWORD".into(), rescind_sim::di::DEMO_USER.1.into()),
        ("DI_BASE_URL".into(), sim.base_url()),
    ]
}

fn skippay_env(sim: &RunningSimulator) -> Vec<(String, String)> {
    vec![
        (
            "SKIPPAY_USERNAME".into(),
            rescind_sim::skippay::DEMO_PARTNER.0.into(),
        ),
        (
            "SKIPPAY_PASSWORD".into(),
            rescind_sim::skippay::DEMO_PARTNER.1.into(),
        ),
        ("SKIPPAY_BASE_URL".into(), sim.base_url()),
    ]
}

/// The idempotent change operations (the transport retries them after a 5xx).
const IDEMPOTENT: &[Op] = &[
    Op {
        name: "arta cancel-session",
        args: &["arta", "cancel-session", "42"],
        method: "PATCH",
        route: "/hosted_sessions/*/cancel",
        read: "/hosted_sessions/*",
        counter: "arta:hosted_session:42:cancel",
        env: arta_env,
    },
    Op {
        name: "di cancel",
        args: &["di", "cancel", "70724760000000101"],
        method: "DELETE",
        route: "/ws/json/parcel/booking/v-1/order/cancel/*",
        read: "/ws/json/parcel/booking/v-1/details/*",
        counter: "di:order:70724760000000101:cancel",
        env: di_env,
    },
    Op {
        name: "skippay cancel (whole order)",
        args: &["skippay", "cancel", "11200a0ee2"],
        method: "PUT",
        route: "/financing/v1/applications/*/order/cancel",
        read: "/financing/v1/applications/*",
        counter: "skippay:order:11200a0ee2:cancel",
        env: skippay_env,
    },
    Op {
        name: "skippay cancel (an item, no quantity)",
        args: &["skippay", "cancel", "11200a0ee1", "--item", "code=CASE-3"],
        method: "PUT",
        route: "/financing/v1/applications/*/order/cancel",
        read: "/financing/v1/applications/*",
        counter: "skippay:item:11200a0ee1/CASE-3:cancel",
        env: skippay_env,
    },
    Op {
        name: "skippay cancel (a PROCESSING application)",
        args: &["skippay", "cancel", "11200a0ee3"],
        method: "PUT",
        route: "/financing/v1/applications/*/cancel",
        read: "/financing/v1/applications/*",
        counter: "skippay:application:11200a0ee3:cancel",
        env: skippay_env,
    },
];

/// The change operations that are never sent twice (no retry, no resend).
const NOT_IDEMPOTENT: &[Op] = &[
    Op {
        name: "arta hold",
        args: &["arta", "hold", "6b12c76a-5217-4cd6-82d8-7aa5265ebaad"],
        method: "POST",
        route: "/shipment_exceptions",
        read: "/shipments/*",
        counter: "arta:shipment:6b12c76a-5217-4cd6-82d8-7aa5265ebaad:hold",
        env: arta_env,
    },
    Op {
        name: "skippay cancel (a quantity of an item)",
        args: &[
            "skippay",
            "cancel",
            "11200a0ee1",
            "--item",
            "code=CASE-3,quantity=1",
        ],
        method: "PUT",
        route: "/financing/v1/applications/*/order/cancel",
        read: "/financing/v1/applications/*",
        counter: "skippay:item:11200a0ee1/CASE-3:reduce",
        env: skippay_env,
    },
];

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let lines: Vec<&str> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "one JSON object expected: {self:?}");
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

async fn rescind(args: Vec<String>, env: Vec<(String, String)>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
    cmd.env_clear()
        .args(&args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the blocking task ran")
        .expect("the binary started");
    let run = Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    };
    for (_, secret) in env.iter().filter(|(k, _)| k.ends_with("_PASSWORD")) {
        assert!(
            !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
            "a secret was printed: {run:?}"
        );
    }
    run
}

async fn simulator() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().expect("DEMO_NOW parses")))
        .start()
        .await
        .expect("the simulator starts")
}

/// Runs `op` with `--output json` against a simulator whose faults `faults` installed, and
/// returns the run and how many times the change was applied.
async fn run_with(op: &Op, faults: impl Fn(&RunningSimulator)) -> (Run, u64) {
    let (run, applied, _) = run_counting(op, faults).await;
    (run, applied)
}

/// [`run_with`], plus how many change requests reached the simulator.
async fn run_counting(op: &Op, faults: impl Fn(&RunningSimulator)) -> (Run, u64, u64) {
    let sim = simulator().await;
    faults(&sim);
    let mut args = vec!["--output".to_string(), "json".to_string()];
    args.extend(op.args.iter().map(|a| a.to_string()));
    let run = rescind(args, (op.env)(&sim)).await;
    let counters = sim.sim().counters();
    let applied = counters.applied_count(op.counter);
    let sent = counters
        .snapshot()
        .hits
        .iter()
        .filter(|(route, _)| {
            route.split_once(' ').is_some_and(|(method, path)| {
                method == op.method && rescind_sim::faults::path_matches(op.route, path)
            })
        })
        .map(|(_, n)| n)
        .sum();
    (run, applied, sent)
}

/// The first attempt is applied and answered 503; the next retries are answered 429 (a rate
/// limit, which by itself proves that its own attempt was not processed). The change WAS
/// applied, so the call must not say "nothing was changed" (it used to: exit 5 or 1,
/// `sent: answered`, hint "the provider is throttling (nothing was changed): try again
/// later"). The 429s are waited out within the call timeout (issue 17; each announced on
/// stderr), and the provider's answer after them (Arta's 200, Di's `order.cancelled`, ...) or
/// reading the target back settles the call: the outcome is known, exit 0, applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_applied_then_answered_5xx_then_429_is_settled_not_reported_unchanged() {
    for throttle in [FaultAction::status(429), FaultAction::envelope(429)] {
        for op in IDEMPOTENT {
            let (run, applied) = run_with(op, |sim| {
                let faults = sim.sim().faults();
                faults.add(
                    FaultRule::new(op.route, FaultAction::status(503))
                        .method(op.method)
                        .after_apply()
                        .times(1),
                );
                faults.add(
                    FaultRule::new(op.route, throttle.clone())
                        .method(op.method)
                        .times(2),
                );
            })
            .await;
            let case = format!("{} with {throttle:?}: {run:?}", op.name);
            assert_eq!(applied, 1, "{case}");
            assert!(!run.stdout.contains("nothing was changed"), "{case}");
            assert!(!run.stderr.contains("nothing was changed"), "{case}");
            assert_eq!(run.code, 0, "{case}");
            let row = run.json();
            assert!(
                row["outcome"] == "cancelled" || row["outcome"] == "partially_cancelled",
                "{case}"
            );
            assert!(
                row["settled_by"] == "answer" || row["settled_by"] == "read_back",
                "{case}"
            );
            assert!(run.stderr.contains(" answered 429; retrying in "), "{case}");
        }
    }
}

/// The first attempt is applied and answered 500; the transport's retry is then answered by
/// the provider's own "already cancelled" (Di's `order.cancelled`, Skip Pay's
/// `APPLICATION_ALREADY_CANCELLED`). This call cancelled the target, so the outcome is
/// `cancelled`, not `already_cancelled` (which says the target was cancelled before the call,
/// while the call's own reading before the change showed it was not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_answered_already_cancelled_after_an_applied_5xx_reports_cancelled() {
    for op in IDEMPOTENT {
        let (run, applied) = run_with(op, |sim| {
            sim.sim().faults().add(
                FaultRule::new(op.route, FaultAction::status(500))
                    .method(op.method)
                    .after_apply()
                    .times(1),
            );
        })
        .await;
        let case = format!("{}: {run:?}", op.name);
        assert_eq!(applied, 1, "{case}");
        assert_eq!(run.code, 0, "{case}");
        let row = run.json();
        assert_ne!(row["outcome"], "already_cancelled", "{case}");
        assert!(
            row["outcome"] == "cancelled" || row["outcome"] == "partially_cancelled",
            "{case}"
        );
    }
}

/// The read before the change (the target read to check the rules) loses its connection on
/// every attempt: the change was never sent, so the call fails with `sent: not_sent` (exit
/// 5), not "the change may have been applied" (exit 6, `maybe_sent`), which it used to say at
/// every provider (also with a short `--timeout` that ends during that read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_before_the_change_that_fails_is_not_a_maybe_sent_change() {
    for op in IDEMPOTENT.iter().chain(NOT_IDEMPOTENT) {
        let (run, applied, sent) = run_counting(op, |sim| {
            sim.sim()
                .faults()
                .add(FaultRule::new(op.read, FaultAction::Drop).method("GET"));
        })
        .await;
        let case = format!("{}: {run:?}", op.name);
        assert_eq!(sent, 0, "{case}");
        assert_eq!(applied, 0, "{case}");
        assert_eq!(run.code, 5, "{case}");
        let row = run.json();
        assert_eq!(row["sent"], "not_sent", "{case}");
        assert!(!run.stdout.contains("may have been applied"), "{case}");
        assert!(!run.stderr.contains("may have been applied"), "{case}");
    }
}

/// A 401 that is not Skip Pay's OAuth-style refusal of the token (a gateway's plain-text page)
/// answers a cancel with a quantity after it was applied. It proves nothing, so the
/// transport must not renew the token and replay the (not idempotent) cancel, which applied
/// it twice (exit 0, `reduce` counted 2); the answer is settled by reading back instead.
/// Without the change applied, the outcome is unknown (exit 6) and the cancel was sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_that_is_not_a_token_refusal_never_replays_a_quantity_cancel() {
    let op = &NOT_IDEMPOTENT[1];
    for applied_first in [true, false] {
        let (run, applied, sent) = run_counting(op, |sim| {
            let rule = FaultRule::new(op.route, FaultAction::gateway_text(401))
                .method(op.method)
                .times(1);
            sim.sim().faults().add(if applied_first {
                rule.after_apply()
            } else {
                rule
            });
        })
        .await;
        let case = format!("applied first: {applied_first}: {run:?}");
        assert_eq!(sent, 1, "{case}");
        let row = run.json();
        if applied_first {
            assert_eq!(applied, 1, "{case}");
            assert_eq!(run.code, 0, "{case}");
            assert_eq!(row["outcome"], "partially_cancelled", "{case}");
            assert_eq!(row["settled_by"], "read_back", "{case}");
        } else {
            assert_eq!(applied, 0, "{case}");
            assert_eq!(run.code, 6, "{case}");
            assert_eq!(row["sent"], "maybe_sent", "{case}");
        }
    }
}

/// The same 401 page after an idempotent change was applied: the change is replayed with a
/// new token (harmless), and since the first attempt may have been applied, the replay's
/// "already cancelled" means this call cancelled it: `cancelled`, not `already_cancelled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_page_after_an_applied_idempotent_change_reports_cancelled() {
    for op in IDEMPOTENT.iter().filter(|op| op.name.starts_with("di")) {
        let (run, applied) = run_with(op, |sim| {
            sim.sim().faults().add(
                FaultRule::new(op.route, FaultAction::gateway_text(401))
                    .method(op.method)
                    .after_apply()
                    .times(1),
            );
        })
        .await;
        let case = format!("{}: {run:?}", op.name);
        assert_eq!(applied, 1, "{case}");
        assert_eq!(run.code, 0, "{case}");
        assert_eq!(run.json()["outcome"], "cancelled", "{case}");
    }
}
