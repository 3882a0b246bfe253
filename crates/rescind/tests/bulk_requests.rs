//! Every call counts (issue 17): requests per row per action of a bulk run on a mixed file,
//! counted by the simulator, under each policy, logins apart.

use std::sync::Arc;
use std::time::Duration;

use rescind::Registry;
use rescind::bulk::{Input, Journal, Options, Outcome, Runner};
use rescind::core::Policy;
use rescind_core::TransportConfig;
use rescind_core::retry::RetryPolicy;
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW, demo};
use rescind_sim::{Clock, RunningSimulator, Simulator};

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_secs(10))
}

fn registry(running: &RunningSimulator) -> Registry {
    let mut registry = Registry::new();
    let arta = rescind_arta::Client::builder()
        .api_key(DEMO_API_KEY)
        .base_url(running.base_url())
        .config(config())
        .build()
        .unwrap();
    let (user, password) = rescind_sim::di::DEMO_USER;
    let di = rescind_di::Client::builder()
        .base_url(running.base_url())
        .credentials(rescind_di::Credentials::new(user, password))
        .config(config())
        .build()
        .unwrap();
    let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
    let skippay = rescind_skippay::Client::builder()
        .base_url(running.base_url())
        .credentials(rescind_skippay::Credentials::new(user, password))
        .configure(|_| config())
        .build()
        .unwrap();
    registry.insert("arta", Arc::new(arta)).unwrap();
    registry.insert("di", Arc::new(di)).unwrap();
    registry.insert("skippay", Arc::new(skippay)).unwrap();
    registry
}

/// Runs `rows` on a fresh simulator under `policy`; returns the requests per route
/// (logins apart) and the report's outcomes.
async fn run(rows: &str, policy: Policy) -> (Vec<(String, u64)>, Vec<Outcome>) {
    let running = Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, rows).unwrap();
    let input = Input::read(&path).unwrap();
    let journal = Journal::open(&rescind::bulk::default_journal_path(&path), &input).unwrap();
    let report = Runner::new(registry(&running))
        .options(Options::default().policy(policy))
        .run(input, journal, |_| {})
        .await
        .unwrap();
    let hits = running
        .sim()
        .counters()
        .snapshot()
        .hits
        .into_iter()
        .filter(|(route, _)| {
            !route.contains("/__sim")
                && !route.starts_with("POST /ws/json/auth/")
                && !route.starts_with("POST /authentication/")
        })
        .collect();
    running.shutdown().await;
    (hits, report.rows.iter().map(|r| r.outcome).collect())
}

/// Requests whose route names `target`.
fn requests_for(hits: &[(String, u64)], target: &str) -> u64 {
    hits.iter()
        .filter(|(route, _)| route.contains(target))
        .map(|(_, n)| n)
        .sum()
}

fn mixed() -> String {
    format!(
        "account,target,action,items,until\n\
         arta,42,cancel,,\n\
         arta,{hold},hold,,2026-12-01\n\
         di,70724760000000101,cancel,,\n\
         skippay,11200a0ee2,cancel,,\n\
         skippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=1\",\n",
        hold = demo::PENDING
    )
}

#[tokio::test]
async fn requests_per_row_follow_the_table_under_change_first() {
    let (hits, outcomes) = run(&mixed(), Policy::ChangeFirst).await;
    assert!(outcomes.iter().all(|o| *o == Outcome::Done), "{outcomes:?}");
    // (row, requests naming its target, what the table allows)
    let hold = requests_for(&hits, demo::PENDING) + requests_for(&hits, "/shipment_exceptions");
    let rows = [
        ("arta cancel", requests_for(&hits, "/hosted_sessions/42"), 1),
        ("arta hold", hold, 2),
        ("di cancel", requests_for(&hits, "70724760000000101"), 1),
        ("skippay whole", requests_for(&hits, "11200a0ee2"), 1),
        (
            "skippay items with quantities",
            requests_for(&hits, "11200a0ee1"),
            2,
        ),
    ];
    for (row, spent, want) in rows {
        assert_eq!(spent, want, "{row}: {hits:?}");
    }
    let total: u64 = hits.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 7, "{hits:?}");

    // An item cancel without quantities goes change first too: one request.
    let (hits, outcomes) = run(
        "account,target,action,items,until\nskippay,11200a0ee1,cancel_items,code=CASE-3,\n",
        Policy::ChangeFirst,
    )
    .await;
    assert_eq!(outcomes, vec![Outcome::Done]);
    assert_eq!(requests_for(&hits, "11200a0ee1"), 1, "{hits:?}");
}

#[tokio::test]
async fn check_first_reads_each_target_once() {
    let (hits, outcomes) = run(&mixed(), Policy::CheckFirst).await;
    assert!(outcomes.iter().all(|o| *o == Outcome::Done), "{outcomes:?}");
    // Five rows, each one read (the plan's, handed to the cancel) and one change.
    let total: u64 = hits.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 10, "{hits:?}");
    assert_eq!(requests_for(&hits, "/hosted_sessions/42"), 2, "{hits:?}");
    assert_eq!(requests_for(&hits, "70724760000000101"), 2, "{hits:?}");
}
