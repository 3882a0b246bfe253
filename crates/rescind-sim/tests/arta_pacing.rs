//! The SDK's Arta client stays under Arta's documented per-minute limit by itself: at its
//! defaults for a test key (10 calls in flight, 475 calls a minute, 95 % of the documented
//! 500) a run of many calls through clones of one client gets no 429 from the simulator,
//! which enforces the documented limits independently; the same run unpaced gets 429s.
//! The minute is scaled (simulator and client alike) so that the test takes seconds.

use std::time::{Duration, Instant};

use rescind_arta::{Client, KeyKind};
use rescind_core::retry::RetryPolicy;
use rescind_core::{RateLimit, TransportConfig};
use rescind_sim::arta::RateLimits;
use rescind_sim::{RunningSimulator, Simulator, World};

const TEST_KEY: &str = "sim_arta_test_key_0123456789";
/// Long enough that an unpaced client on a loaded 2-core machine still makes more than 500
/// calls in one (250 a second), short enough that the paced run takes a few seconds.
const MINUTE: Duration = Duration::from_millis(2_000);
const CALLS: usize = 1_200;

async fn start() -> RunningSimulator {
    let mut world = World::demo();
    world.arta.test_api_keys.push(TEST_KEY.into());
    world.arta.rate_limits = RateLimits::documented().with_minute_ms(MINUTE.as_millis() as u64);
    Simulator::new().seed(world).start().await.unwrap()
}

/// `CALLS` reads of hosted session 42, all started at once through clones of `client`:
/// the HTTP status of each (the error's status when the call failed), and the attempts of
/// the successful ones.
async fn run(client: &Client) -> (Vec<Option<u16>>, Vec<u32>) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let client = client.clone();
        set.spawn(async move { client.get_hosted_session(42).await });
    }
    let mut statuses = Vec::new();
    let mut attempts = Vec::new();
    while let Some(r) = set.join_next().await {
        match r.unwrap() {
            Ok(resp) => {
                statuses.push(Some(resp.http_status));
                attempts.push(resp.attempts);
            }
            Err(e) => statuses.push(e.status()),
        }
    }
    (statuses, attempts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_key_at_the_clients_defaults_gets_no_429_and_is_paced() {
    let running = start().await;
    let default = KeyKind::Test.default_rate_limit();
    assert_eq!(default.calls(), 485);
    let client = Client::builder()
        .api_key(TEST_KEY)
        .base_url(running.base_url())
        .key_kind(KeyKind::Test)
        // The client's minute scaled as the simulator's; every other limit at its default.
        .rate_limit(default.with_window(MINUTE))
        .config(TransportConfig::default().with_call_timeout(Duration::from_secs(120)))
        .build()
        .unwrap();
    assert_eq!(client.transport().config().max_concurrency, Some(10));
    let budget = client.transport().retry_budget_available();

    let started = Instant::now();
    let (statuses, attempts) = run(&client).await;
    let elapsed = started.elapsed();

    let ok = statuses.iter().filter(|s| **s == Some(200)).count();
    let refused = statuses.iter().filter(|s| **s == Some(429)).count();
    assert_eq!(refused, 0, "429s at the client's defaults");
    assert_eq!(ok, CALLS, "{:?}", &statuses[..10]);
    // No 429 was met and retried: every call took one attempt and the budget is whole.
    assert!(attempts.iter().all(|a| *a == 1), "a call was retried");
    assert_eq!(client.transport().retry_budget_available(), budget);
    // 1,200 calls at 485 a window start in three windows: the last at least two windows
    // after the first. No upper bound: a loaded machine may be slower.
    let windows = (CALLS - 1) / default.calls() as usize;
    assert!(
        elapsed >= MINUTE * windows as u32,
        "{CALLS} calls took {elapsed:?}, less than {windows} windows of {MINUTE:?}: not paced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_without_the_pacer_gets_429s() {
    let running = start().await;
    let client = Client::builder()
        .api_key(TEST_KEY)
        .base_url(running.base_url())
        .key_kind(KeyKind::Test)
        .without_rate_limit()
        // The 429s are seen, not retried away.
        .config(TransportConfig::default().with_retry(RetryPolicy::none()))
        .build()
        .unwrap();
    assert_eq!(client.transport().config().rate_limit, None::<RateLimit>);
    let (statuses, _) = run(&client).await;
    let refused = statuses.iter().filter(|s| **s == Some(429)).count();
    assert!(
        refused > 0,
        "an unpaced run of {CALLS} calls got no 429: the control proves nothing"
    );
}
