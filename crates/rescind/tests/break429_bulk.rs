//! Bulk runs against 429s (break429): a run on an Arta test key that another program keeps
//! using for the whole run, and a run with the pacer off and 64 rows in flight. The simulator
//! enforces the test key's documented limits (10 in flight, 500 a minute; the minute scaled to
//! 2 s, simulator and client alike) and counts every request and 429. Measurements are
//! printed (`--nocapture`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rescind::Registry;
use rescind::bulk::{Input, Journal, Options, Outcome, Runner};
use rescind_arta::KeyKind;
use rescind_core::TransportConfig;
use rescind_sim::arta::RateLimits;
use rescind_sim::fleet::Fleet;
use rescind_sim::{RunningSimulator, Simulator};

const TEST_KEY: &str = "sim_arta_test_key_break429_02";
const MINUTE: Duration = Duration::from_millis(2_000);
const ROWS: usize = 1_200;

fn fleet() -> Fleet {
    Fleet {
        arta_sessions: ROWS,
        arta_shipments: 0,
        di_orders: 0,
        skippay_whole: 0,
        skippay_items: 0,
    }
}

async fn start() -> RunningSimulator {
    let mut world = fleet().world();
    world.arta.test_api_keys.push(TEST_KEY.into());
    world.arta.rate_limits = RateLimits::documented().with_minute_ms(MINUTE.as_millis() as u64);
    Simulator::new().seed(world).start().await.unwrap()
}

/// Runs the fleet's rows through one Arta account; (rows not done, time, 429s during the run,
/// cancel requests).
async fn run(
    running: &RunningSimulator,
    arta: rescind_arta::ClientBuilder,
    options: Options,
) -> (usize, Duration, u64, u64) {
    let client = arta
        .api_key(TEST_KEY)
        .base_url(running.base_url())
        .build()
        .unwrap();
    let mut registry = Registry::new();
    registry.insert("arta", Arc::new(client)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, fleet().rows_csv()).unwrap();
    let input = Input::read(&path).unwrap();
    let journal = Journal::open(&rescind::bulk::default_journal_path(&path), &input).unwrap();
    let before = running.sim().counters().snapshot();
    let started = Instant::now();
    let report = Runner::new(registry)
        .options(options)
        .run(input, journal, |_| {})
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let after = running.sim().counters().snapshot();
    let not_done: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| r.outcome != Outcome::Done)
        .map(|r| r.detail.as_str())
        .collect();
    eprintln!(
        "rows not done: {} {:?}",
        not_done.len(),
        &not_done[..not_done.len().min(3)]
    );
    let cancels = after
        .get(rescind_sim::Operation::ArtaCancelSession)
        .requests()
        - before
            .get(rescind_sim::Operation::ArtaCancelSession)
            .requests();
    (
        not_done.len(),
        elapsed,
        after.rate_limited() - before.rate_limited(),
        cancels,
    )
}

/// The shop's own integration keeps reading on the same key for the whole run (one read every
/// 20 ms, about a fifth of the key's budget) while the run goes at the full documented pace:
/// together they ask more than the key allows. The rows must all end done (a 429 slows a
/// run down, it does not fail its rows), each cancel applied once, and the other program's
/// calls must also get through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_on_a_key_another_program_keeps_using_fails_no_row() {
    let running = start().await;
    let other = rescind_arta::Client::builder()
        .api_key(TEST_KEY)
        .base_url(running.base_url())
        .key_kind(KeyKind::Test)
        .rate_limit(KeyKind::Test.default_rate_limit().with_window(MINUTE))
        .config(TransportConfig::default().with_call_timeout(Duration::from_secs(60)))
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let other_failed = Arc::new(AtomicU64::new(0));
    let other_calls = Arc::new(AtomicU64::new(0));
    let neighbour = {
        let (stop, failed, calls) = (stop.clone(), other_failed.clone(), other_calls.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut set = tokio::task::JoinSet::new();
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                let (other, failed, calls) = (other.clone(), failed.clone(), calls.clone());
                set.spawn(async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    if other.get_hosted_session(42).await.is_err() {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            while set.join_next().await.is_some() {}
        })
    };
    let builder = rescind_arta::Client::builder()
        .key_kind(KeyKind::Test)
        .rate_limit(KeyKind::Test.default_rate_limit().with_window(MINUTE))
        .config(TransportConfig::default().with_call_timeout(Duration::from_secs(60)));
    let (not_done, elapsed, refused, cancels) = run(&running, builder, Options::default()).await;
    stop.store(true, Ordering::SeqCst);
    neighbour.await.unwrap();
    let applied = running
        .sim()
        .counters()
        .snapshot()
        .get(rescind_sim::Operation::ArtaCancelSession)
        .applied();
    eprintln!(
        "{ROWS} rows beside another program: {not_done} not done in {elapsed:?} (N/limit {:?}); {cancels} cancel requests, {refused} answered 429 (both programs); applied {applied}; the other program: {} calls, {} failed",
        MINUTE * ROWS as u32 / 500,
        other_calls.load(Ordering::SeqCst),
        other_failed.load(Ordering::SeqCst),
    );
    assert_eq!(not_done, 0, "rows not done beside another program");
    assert_eq!(applied, ROWS as u64, "each cancel applied once");
    assert_eq!(other_failed.load(Ordering::SeqCst), 0);
    running.shutdown().await;
}

/// The pacer off (`without_rate_limit`) and 64 rows in flight on a test key that allows 10:
/// the 429s must be waited out (every row done), and measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_without_the_pacer_at_64_in_flight_fails_no_row() {
    let running = start().await;
    let builder = rescind_arta::Client::builder()
        .key_kind(KeyKind::Test)
        .without_rate_limit()
        .max_concurrency(64)
        .config(TransportConfig::default().with_call_timeout(Duration::from_secs(60)));
    let options = Options::default().concurrency(64);
    let (not_done, elapsed, refused, cancels) = run(&running, builder, options).await;
    eprintln!(
        "{ROWS} rows, pacer off, 64 in flight: {not_done} not done in {elapsed:?} (N/limit {:?}); {cancels} cancel requests, {refused} answered 429",
        MINUTE * ROWS as u32 / 500,
    );
    assert_eq!(not_done, 0);
    assert_eq!(cancels - refused, ROWS as u64);
    running.shutdown().await;
}
