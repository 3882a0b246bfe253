//! The harness of the 429 tests (`break429.rs`): one client per provider with short waits
//! after a 429, the fault sequences those tests meet, and the simulator's counters read back
//! as (requests, 429s, applied). The simulator, its demo data and the targets are the policy
//! harness's (`policy.rs`), which a test file that uses this one declares beside it.

#![allow(dead_code)] // each test file uses its own part of it

use std::time::{Duration, Instant};

use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelOutcome, CancelRequest, Canceller, TransportConfig};
use rescind_sim::arta::{DEMO_API_KEY, RateLimits};
use rescind_sim::{FaultAction, FaultRule, Operation, RunningSimulator, Simulator, World};

use crate::policy::Who;

/// An Arta test key of its own, so that its rate limits are not the demo key's.
pub const TEST_KEY: &str = "sim_arta_test_key_break429_01";
/// The scaled "minute" of the test key's rate limits, so that a window passes in seconds.
pub const MINUTE: Duration = Duration::from_millis(2_000);

/// The defaults but short waits after a 429 (from 20 ms, at most 200 ms).
pub fn config(call_timeout: Duration) -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(20), Duration::from_millis(20))
                .with_max_throttle_backoff(Duration::from_millis(200)),
        )
        .with_call_timeout(call_timeout)
        .with_attempt_timeout(Duration::from_secs(10))
}

/// The defaults but an attempt whose answer has not come in 400 ms is given up, so that a
/// delayed answer is a lost one.
pub fn config_losing_slow_answers() -> TransportConfig {
    config(Duration::from_secs(20)).with_attempt_timeout(Duration::from_millis(400))
}

/// The client's defaults with `call_timeout`, except that every `Retry-After` is honoured up
/// to the call's deadline (no cap).
pub fn config_without_retry_after_cap(call_timeout: Duration) -> TransportConfig {
    TransportConfig::default()
        .with_retry(RetryPolicy::default().with_max_retry_after(Duration::MAX))
        .with_call_timeout(call_timeout)
}

/// Arta's client on the demo key, without its pacer (so that the 429s come from the
/// simulator, not avoided by the client).
pub fn arta(running: &RunningSimulator, config: TransportConfig) -> rescind_arta::Client {
    rescind_arta::Client::builder()
        .api_key(DEMO_API_KEY)
        .base_url(running.base_url())
        .config(config)
        .without_rate_limit()
        .build()
        .unwrap()
}

/// Di's client on the demo user.
pub fn di(running: &RunningSimulator, config: TransportConfig) -> rescind_di::Client {
    let (user, password) = rescind_sim::di::DEMO_USER;
    rescind_di::Client::builder()
        .base_url(running.base_url())
        .credentials(rescind_di::Credentials::new(user, password))
        .config(config)
        .build()
        .unwrap()
}

/// Skip Pay's client on the demo partner.
pub fn skippay(running: &RunningSimulator, config: TransportConfig) -> rescind_skippay::Client {
    let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
    rescind_skippay::Client::builder()
        .base_url(running.base_url())
        .credentials(rescind_skippay::Credentials::new(user, password))
        .config(config)
        .build()
        .unwrap()
}

/// The client of `who`, for the tests that go through every provider.
pub fn canceller(
    who: Who,
    running: &RunningSimulator,
    config: TransportConfig,
) -> Box<dyn Canceller> {
    match who {
        Who::Arta => Box::new(arta(running, config)),
        Who::Di => Box::new(di(running, config)),
        Who::SkipPay => Box::new(skippay(running, config)),
    }
}

/// The simulator whose Arta also knows [`TEST_KEY`], its limits counted per [`MINUTE`].
pub async fn start_with_test_key() -> RunningSimulator {
    let mut world = World::demo();
    world.arta.test_api_keys.push(TEST_KEY.into());
    world.arta.rate_limits = RateLimits::documented().with_minute_ms(MINUTE.as_millis() as u64);
    Simulator::new().seed(world).start().await.unwrap()
}

/// (requests, 429s, applied) of one operation.
pub fn counts(running: &RunningSimulator, operation: Operation) -> (u64, u64, u64) {
    let c = running.sim().counters().snapshot().get(operation);
    (c.requests(), c.rate_limited(), c.applied())
}

/// `operation` is answered with `action` every time.
pub fn always(running: &RunningSimulator, operation: Operation, action: FaultAction) {
    running.sim().faults().add(FaultRule::on(operation, action));
}

/// `operation`'s next `n` requests not yet answered by an earlier rule are answered with
/// `action`.
pub fn times(running: &RunningSimulator, operation: Operation, action: FaultAction, n: u32) {
    running
        .sim()
        .faults()
        .add(FaultRule::on(operation, action).times(n));
}

/// `operation`'s next request not yet answered by an earlier rule is answered with `action`.
pub fn once(running: &RunningSimulator, operation: Operation, action: FaultAction) {
    times(running, operation, action, 1);
}

/// `operation`'s next request is answered after `delay` (and applied then).
pub fn delayed_once(running: &RunningSimulator, operation: Operation, delay: Duration) {
    running
        .sim()
        .faults()
        .add(FaultRule::delay_on(operation, delay).times(1));
}

/// `operation`'s next request is applied, and then answered 429.
pub fn a_429_after_apply(running: &RunningSimulator, operation: Operation) {
    running.sim().faults().add(
        FaultRule::on(operation, FaultAction::status(429))
            .after_apply()
            .times(1),
    );
}

/// A 429, then a 503, then an answer 1.5 s late: applied, but after a client with
/// [`config_losing_slow_answers`] gave up on it.
pub fn a_429_a_503_then_a_lost_answer(running: &RunningSimulator, operation: Operation) {
    once(running, operation, FaultAction::status(429));
    once(running, operation, FaultAction::status(503));
    delayed_once(running, operation, Duration::from_millis(1_500));
}

/// How long to wait for a late send (1.5 s late) to land before judging.
pub const LATE_SEND_LANDS: Duration = Duration::from_millis(2_000);

/// Waits (polling every `poll`, at most 10 s, else fails with `what`) until the counts of
/// `operation` satisfy `reached`.
pub async fn wait_until(
    running: &RunningSimulator,
    operation: Operation,
    poll: Duration,
    what: &str,
    reached: impl Fn((u64, u64, u64)) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reached(counts(running, operation)) {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(poll).await;
    }
}

/// Waits until `operation` has had a second request: the retry after the first 429.
pub async fn wait_for_the_retry(running: &RunningSimulator, operation: Operation) {
    wait_until(
        running,
        operation,
        Duration::from_millis(10),
        "the retry never came",
        |(requests, _, _)| requests >= 2,
    )
    .await;
}

/// A whole cancel of Arta session `id` on a task of its own (to be dropped, or awaited later).
pub fn spawn_cancel(
    client: &rescind_arta::Client,
    id: &'static str,
) -> tokio::task::JoinHandle<Result<CancelOutcome, rescind_core::Error>> {
    let client = client.clone();
    tokio::spawn(async move { client.cancel(CancelRequest::whole(id)).await })
}

/// A call's result as printed by the measurements: its status and how it was settled, or
/// the error's kind, whether it was sent, and its text.
pub fn settled(result: &Result<CancelOutcome, rescind_core::Error>) -> String {
    format!(
        "{:?}",
        result
            .as_ref()
            .map(|o| (&o.status, o.settled_by))
            .map_err(|e| (e.kind(), e.sent(), e.to_string()))
    )
}
