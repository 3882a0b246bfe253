//! break10: the deadline fix of 327db22 ("no attempt starts once the call's deadline has
//! passed; a retry after a 429 then answers that 429"), end to end against the simulator at
//! every provider: 429 storms at many short call timeouts, `Retry-After` near the deadline,
//! caller deadlines already past or a few ms ahead, 503 storms, and a 429 followed by a 503
//! whose retry finds no turn under the rate limit.
//!
//! Timing decides where each call ends, so the storms assert only what must hold whatever the
//! timing: nothing applied (the faults never apply), a call that sent nothing says so, a call
//! whose change reached the simulator never says it did not, and a call whose every change
//! attempt was answered 429 ends `RateLimited` (the last 429), or `Timeout` only when an
//! attempt was cut in flight (maybe sent), never "passed before this request was sent".

#[path = "common/cases.rs"]
mod cases;
#[path = "common/policy.rs"]
mod policy;
#[path = "common/throttle.rs"]
mod throttle;

use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{
    CancelOptions, Canceller, Error, ErrorKind, Policy, RateLimit, Sent, TransportConfig,
};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use tokio::time::Instant;

use cases::Case;

/// A client of the case's provider with `config` and `policy`; Arta without its pacer
/// unless `config` sets a rate limit (then the config's applies to every provider).
fn client(
    case: Case,
    running: &RunningSimulator,
    config: TransportConfig,
    policy: Policy,
) -> Box<dyn Canceller> {
    let paced = config.rate_limit.is_some();
    match case {
        Case::ArtaCancel | Case::ArtaHold => {
            let b = rescind_arta::Client::builder()
                .api_key(DEMO_API_KEY)
                .base_url(running.base_url())
                .config(config)
                .policy(policy);
            let b = if paced { b } else { b.without_rate_limit() };
            Box::new(b.build().unwrap())
        }
        Case::DiCancel => {
            let (user, password) = rescind_sim::di::DEMO_USER;
            Box::new(
                rescind_di::Client::builder()
                    .base_url(running.base_url())
                    .credentials(rescind_di::Credentials::new(user, password))
                    .config(config)
                    .policy(policy)
                    .build()
                    .unwrap(),
            )
        }
        Case::SkipPayWhole | Case::SkipPayQuantity => {
            let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
            Box::new(
                rescind_skippay::Client::builder()
                    .base_url(running.base_url())
                    .credentials(rescind_skippay::Credentials::new(user, password))
                    .config(config)
                    .policy(policy)
                    .build()
                    .unwrap(),
            )
        }
    }
}

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

/// (change requests, all requests, applied by the change) so far.
fn counts(running: &RunningSimulator, case: Case) -> (u64, u64, u64) {
    let snap = running.sim().counters().snapshot();
    let c = snap.get(case.operation());
    (c.requests(), snap.requests(), c.applied())
}

fn describe(e: &Error) -> String {
    format!(
        "{:?} {:?} attempts {} status {:?}: {e}",
        e.kind(),
        e.sent(),
        e.attempts(),
        e.status()
    )
}

/// What must hold of a call whose every change attempt the simulator answered 429 (or did
/// not see), whatever the timing. `changes`, `all`: the requests the simulator saw of the
/// change, and in all, during the call.
fn check_429_call(
    label: &str,
    case: Case,
    changes: u64,
    all: u64,
    applied: u64,
    result: Result<rescind_core::CancelOutcome, Error>,
) {
    let err = match result {
        Ok(o) => panic!("{label}: every change was answered 429, yet {o:?}"),
        Err(e) => e,
    };
    let what = format!(
        "{label}: simulator saw {changes} change(s), {all} in all; {}",
        describe(&err)
    );
    assert_eq!(applied, 0, "{what}");
    if all == 0 && err.sent() != Sent::NotSent {
        // Only an attempt started with little time left and cut before it arrived: it may
        // have been sent (the simulator had not read it yet).
        assert_eq!(
            (err.kind(), err.sent()),
            (ErrorKind::Timeout, Sent::MaybeSent),
            "{what}"
        );
        assert!(err.message().contains("no answer within"), "{what}");
    }
    if changes == 0 {
        // The deadline came before the change (a login, a read, a pause): not sent.
        assert_ne!(err.sent(), Sent::Answered, "{what}");
        return;
    }
    match err.kind() {
        ErrorKind::RateLimited => {
            // The last 429 is the answer: a refusal where documented, else maybe sent.
            let sent = if case.documented_429() {
                Sent::Answered
            } else {
                Sent::MaybeSent
            };
            assert_eq!(err.sent(), sent, "{what}");
        }
        ErrorKind::Timeout => {
            // Only an attempt cut in flight by the deadline: it may have been sent; never
            // a retry after a 429 that ended before being sent.
            assert_eq!(err.sent(), Sent::MaybeSent, "{what}");
            // (A read-back's own message may follow the change's, after "reading".)
            let m = err.message();
            let retry_not_sent = match (
                m.find("passed before this request was sent"),
                m.find("reading"),
            ) {
                (Some(p), Some(r)) => p < r,
                (Some(_), None) => true,
                (None, _) => false,
            };
            assert!(!retry_not_sent, "a retry after a 429 ended Timeout: {what}");
        }
        other => panic!("{label}: unexpected kind {other:?}: {what}"),
    }
}

/// Short waits after a 429 (1 to 20 ms), one attempt for failures.
fn storm_config(call_timeout: Duration) -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(1)
                .with_max_throttle_retries(1_000)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1))
                .with_max_throttle_backoff(Duration::from_millis(20)),
        )
        .with_call_timeout(call_timeout)
        .with_attempt_timeout(Duration::from_secs(10))
}

/// A storm of bare 429s at every provider, 8 short call timeouts each (40 calls), both
/// policies: many deadline edges between the client's pauses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_at_short_call_timeouts_ends_with_the_last_429_at_every_provider() {
    for case in Case::ALL {
        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(429)));
        for (i, ms) in [15u64, 23, 37, 52, 75, 110, 160, 240]
            .into_iter()
            .enumerate()
        {
            let policy = if i % 2 == 0 {
                Policy::ChangeFirst
            } else {
                Policy::CheckFirst
            };
            let before = counts(&running, case);
            let client = client(
                case,
                &running,
                storm_config(Duration::from_millis(ms)),
                policy,
            );
            let result = client.cancel(case.request()).await;
            let after = counts(&running, case);
            check_429_call(
                &format!("{case:?} {policy:?} call timeout {ms} ms"),
                case,
                after.0 - before.0,
                after.1 - before.1,
                after.2,
                result,
            );
        }
        running.shutdown().await;
    }
}

/// Caller deadlines already past (nothing at all is sent: no login, no read, no change),
/// and a few ms ahead in a 429 storm (whatever was sent is reported truthfully).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_deadlines_past_or_a_few_ms_ahead_in_a_429_storm() {
    for case in Case::ALL {
        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(429)));
        for past in [
            Duration::ZERO,
            Duration::from_millis(2),
            Duration::from_secs(3),
        ] {
            let client = client(
                case,
                &running,
                storm_config(Duration::from_secs(30)),
                Policy::CheckFirst,
            );
            let before = counts(&running, case);
            let err = client
                .cancel_with(
                    case.request(),
                    CancelOptions::new().deadline(Instant::now() - past),
                )
                .await
                .unwrap_err();
            let after = counts(&running, case);
            let what = format!("{case:?} deadline {past:?} past: {}", describe(&err));
            assert_eq!(after.1, before.1, "nothing sent: {what}");
            assert_eq!(
                (err.kind(), err.sent(), err.attempts()),
                (ErrorKind::Timeout, Sent::NotSent, 0),
                "{what}"
            );
        }
        for ahead_us in [300u64, 1_000, 2_500, 4_000, 7_000, 12_000] {
            let client = client(
                case,
                &running,
                storm_config(Duration::from_secs(30)),
                Policy::ChangeFirst,
            );
            let before = counts(&running, case);
            let at = Instant::now() + Duration::from_micros(ahead_us);
            let result = client
                .cancel_with(case.request(), CancelOptions::new().deadline(at))
                .await;
            let after = counts(&running, case);
            check_429_call(
                &format!("{case:?} deadline {ahead_us} µs ahead"),
                case,
                after.0 - before.0,
                after.1 - before.1,
                after.2,
                result,
            );
        }
        running.shutdown().await;
    }
}

/// `Retry-After: 1` on every 429, call timeouts around 1 s: the retry is made only when its
/// wait ends more than 1 ms before the deadline; either way the call ends with a 429 and
/// nothing applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_near_the_call_timeout_ends_with_the_last_429() {
    let cases = [Case::ArtaCancel, Case::DiCancel, Case::SkipPayWhole];
    let mut set = tokio::task::JoinSet::new();
    for case in cases {
        set.spawn(async move {
            let running = start().await;
            running.sim().faults().add(FaultRule::on(
                case.operation(),
                FaultAction::status_with_retry_after(429, Duration::from_secs(1)),
            ));
            for ms in [990u64, 1_000, 1_001, 1_002, 1_004, 1_015] {
                let before = counts(&running, case);
                let client = client(
                    case,
                    &running,
                    storm_config(Duration::from_millis(ms)),
                    Policy::ChangeFirst,
                );
                let result = client.cancel(case.request()).await;
                let after = counts(&running, case);
                check_429_call(
                    &format!("{case:?} Retry-After 1 s, call timeout {ms} ms"),
                    case,
                    after.0 - before.0,
                    after.1 - before.1,
                    after.2,
                    result,
                );
            }
            running.shutdown().await;
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

/// A storm of 503s on an idempotent change (retried), short call timeouts: nothing applied;
/// once a change reached the simulator the call is maybe sent (a 503 proves nothing),
/// never "not sent", never a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_storm_then_the_deadline_never_says_not_sent_once_a_change_went() {
    for case in [Case::ArtaCancel, Case::DiCancel, Case::SkipPayWhole] {
        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(503)));
        for ms in [10u64, 18, 27, 40, 60, 90] {
            let config = TransportConfig::default()
                .with_retry(
                    RetryPolicy::default()
                        .with_max_attempts(100)
                        .with_budget_capacity(10_000)
                        .with_backoff(Duration::from_millis(1), Duration::from_millis(3)),
                )
                .with_call_timeout(Duration::from_millis(ms));
            let before = counts(&running, case);
            let client = client(case, &running, config, Policy::ChangeFirst);
            let result = client.cancel(case.request()).await;
            let after = counts(&running, case);
            let changes = after.0 - before.0;
            let err = result.expect_err("every change answered 503");
            let what = format!(
                "{case:?} call timeout {ms} ms: {changes} change(s); {}",
                describe(&err)
            );
            assert_eq!(after.2, 0, "{what}");
            if changes > 0 {
                assert_eq!(err.sent(), Sent::MaybeSent, "{what}");
            } else {
                assert_ne!(err.sent(), Sent::Answered, "{what}");
            }
            assert_ne!(err.status(), Some(429), "{what}");
        }
        running.shutdown().await;
    }
}

/// The change answered 429, then 503; the retry after the 503 finds no turn under the
/// client's rate limit before the call timeout. The last answer to the change was the 503:
/// the cancel may have been applied and its end is the rate limit's timeout, not the 429 of
/// its first attempt (no status 429, not `RateLimited`). The rate limit is sized so that
/// exactly the requests before the change, the 429 and the 503 get a turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_answered_429_then_503_whose_retry_finds_no_rate_turn_does_not_report_the_429() {
    let mut problems = Vec::new();
    for case in [Case::ArtaCancel, Case::DiCancel, Case::SkipPayWhole] {
        // The requests of a clean cancel, change first: the change and what goes before it
        // (a login).
        let clean = start().await;
        let config = TransportConfig::default()
            .with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
            )
            .with_call_timeout(Duration::from_secs(3));
        client(case, &clean, config.clone(), Policy::ChangeFirst)
            .cancel(case.request())
            .await
            .unwrap();
        let (_, clean_all, _) = counts(&clean, case);
        clean.shutdown().await;

        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(429)).times(1));
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(503)).times(1));
        let limit = u32::try_from(clean_all).unwrap() + 1;
        let client = client(
            case,
            &running,
            config.with_rate_limit(RateLimit::per_minute(limit)),
            Policy::ChangeFirst,
        );
        let result = client.cancel(case.request()).await;
        let (changes, _, applied) = counts(&running, case);
        let Err(err) = result else {
            problems.push(format!("{case:?}: {result:?}"));
            continue;
        };
        let what = format!("{case:?}: {changes} change(s); {}", describe(&err));
        if applied != 0 || changes != 2 {
            problems.push(format!("setup: {what}"));
            continue;
        }
        if err.status() == Some(429) || err.kind() == ErrorKind::RateLimited {
            problems.push(format!(
                "the last answer to the change was 503, yet the call reports the 429 before it: {what}"
            ));
            continue;
        }
        if err.sent() != Sent::MaybeSent {
            problems.push(format!("not maybe sent: {what}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
