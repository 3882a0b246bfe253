//! A bare 429 (no `Retry-After`: Arta documents its 429 without one, x-topic "Rate Limits"; Di
//! and Skip Pay document no limit at all) at each provider, through the one transport they
//! share (issue 17, "where a 429 comes anyway, honour it").
//!
//! - Where the provider documents it (Arta), a 429 refuses the request before processing it:
//!   it is waited out and sent again, changes included (a hold), and the outcome stays exact
//!   (answered by the provider, never settled by reading back, applied once). Di and Skip Pay
//!   document no 429: an idempotent change is still sent again (the provider's success
//!   answer settles it), but a change that is not idempotent (a Skip Pay cancel with
//!   quantities) is not, and the call ends "may have been sent" (DESIGN principle 11).
//! - Its retries are bounded apart from failures: the clients here allow one attempt for
//!   failures (`max_attempts` 1), and still get through two 429s.
//! - A run of 429s longer than the call timeout ends `rate_limited` when the next try would
//!   pass the deadline, after many attempts, not after three; nothing applied.
//!
//! The simulator is the judge: its counters hold every request and every 429 it answered.

#[path = "common/cases.rs"]
mod cases;
#[path = "common/policy.rs"]
mod policy;
#[path = "common/throttle.rs"]
mod throttle;

use std::time::{Duration, Instant};

use cases::Case;
use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelStatus, Canceller, ErrorKind, Sent, SettledBy, TransportConfig};
use rescind_sim::arta::DEMO_NOW;
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};

/// No retry after a failure; a 429 backs off from 20 ms, at most 200 ms (no client here has a
/// rate limit: Arta's is turned off so that every provider has the same cap).
fn config(call_timeout: Duration) -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(1)
                .with_backoff(Duration::from_millis(20), Duration::from_millis(20))
                .with_max_throttle_backoff(Duration::from_millis(200)),
        )
        .with_call_timeout(call_timeout)
        .with_attempt_timeout(Duration::from_secs(10))
}

/// A client of the case's provider with `config` (the 429 harness's, `throttle.rs`).
fn client(case: Case, running: &RunningSimulator, config: TransportConfig) -> Box<dyn Canceller> {
    throttle::canceller(case.who(), running, config)
}

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

/// (requests, 429s, applied) of the case's change operation.
fn counts(running: &RunningSimulator, case: Case) -> (u64, u64, u64) {
    let c = running.sim().counters().snapshot().get(case.operation());
    (c.requests(), c.rate_limited(), c.applied())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bare_429s_on_a_change_are_waited_out_and_the_outcome_is_exact_at_every_provider() {
    for case in Case::ALL {
        // What the change applies with no fault (a Skip Pay cancel counts each item it
        // changed, and the order).
        let clean = start().await;
        client(case, &clean, config(Duration::from_secs(30)))
            .cancel(case.request())
            .await
            .unwrap();
        let (_, _, once) = counts(&clean, case);
        clean.shutdown().await;

        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(429)).times(2));
        let client = client(case, &running, config(Duration::from_secs(30)));
        if let Case::SkipPayQuantity = case {
            // Skip Pay documents no 429: it proves nothing (DESIGN principle 11), and a
            // quantity cancel is not idempotent: not sent again, read back, unknown.
            let err = client.cancel(case.request()).await.unwrap_err();
            assert_eq!(
                (err.kind(), err.sent()),
                (ErrorKind::RateLimited, Sent::MaybeSent),
                "{case:?}: {err}"
            );
            assert_eq!(counts(&running, case), (1, 1, 0), "{case:?}");
            running.shutdown().await;
            continue;
        }
        let outcome = client
            .cancel(case.request())
            .await
            .unwrap_or_else(|e| panic!("{case:?}: {e} ({:?}, {:?})", e.kind(), e.sent()));
        assert!(
            matches!(
                outcome.status,
                CancelStatus::Cancelled
                    | CancelStatus::PartiallyCancelled { .. }
                    | CancelStatus::Held { .. }
            ),
            "{case:?}: {outcome:?}"
        );
        // The provider's own answer settled it: nothing "may have been sent" to read back.
        assert_eq!(outcome.settled_by, SettledBy::Answer, "{case:?}");
        // Two refused, the third accepted and applied as once; one attempt for failures did not
        // stop the 429s' retries.
        assert!(once > 0, "{case:?}");
        assert_eq!(counts(&running, case), (3, 2, once), "{case:?}");
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_longer_than_the_call_timeout_ends_rate_limited_at_its_deadline() {
    const CALL_TIMEOUT: Duration = Duration::from_millis(1_500);
    for case in [Case::ArtaCancel, Case::DiCancel, Case::SkipPayWhole] {
        let running = start().await;
        running
            .sim()
            .faults()
            .add(FaultRule::on(case.operation(), FaultAction::status(429)));
        let client = client(case, &running, config(CALL_TIMEOUT));
        let started = Instant::now();
        let err = client.cancel(case.request()).await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{case:?}: {err}");
        // The last 429 is the answer: a refusal at Arta, which documents it; at Di and Skip
        // Pay (no 429 documented) it proves nothing: may have been sent. Nothing applied.
        let sent = match case {
            Case::ArtaCancel => Sent::Answered,
            _ => Sent::MaybeSent,
        };
        assert_eq!(err.sent(), sent, "{case:?}: {err}");
        let (requests, refused, applied) = counts(&running, case);
        assert_eq!((refused, applied), (requests, 0), "{case:?}");
        assert_eq!(u64::from(err.attempts()), requests, "{case:?}");
        // Not after 3 attempts: waits of 10 ms to 200 ms fill the call timeout...
        assert!(requests > 3, "{case:?}: {requests} attempts in {elapsed:?}");
        // ...and it ends when the next wait (at most 200 ms) would pass the deadline, not
        // before (an upper bound only catches a call that waited past it; it allows a slow
        // machine).
        assert!(
            elapsed >= CALL_TIMEOUT - Duration::from_millis(250),
            "{case:?}: ended after {elapsed:?}"
        );
        assert!(
            elapsed < CALL_TIMEOUT + Duration::from_secs(5),
            "{case:?}: {elapsed:?}"
        );
        running.shutdown().await;
    }
}
