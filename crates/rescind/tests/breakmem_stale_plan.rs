//! Issue 17 seen by a new user (breakmem): inside a bulk run, a row's plan is taken, its
//! intent journaled, then its change waits for a call place. `Plan::FRESH_FOR` (5 s) assumes
//! that wait is "milliseconds, rarely a second"; behind a slow call it is not. Here an Arta
//! hold row waits behind another row's hold that the provider answers after 6 s; meanwhile
//! another system holds the row's shipment. The row's change then runs with a plan older than
//! `FRESH_FOR`.

use std::time::Duration;

use rescind::Registry;
use rescind::bulk::{Input, Journal, Options, Outcome, Row, Runner};
use rescind_sim::arta::demo;
use rescind_sim::{FaultAction, FaultRule, Operation, Simulator};

fn registry(base: &str) -> Registry {
    let env = rescind_sim::demo_env(base);
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    Registry::builder()
        .call_timeout(Duration::from_secs(60))
        .from_vars(&lookup)
        .unwrap()
}

fn holds(sim: &rescind_sim::Sim, shipment: &str) -> u64 {
    sim.counters()
        .snapshot()
        .applied
        .get(&format!("arta:shipment:{shipment}:hold"))
        .copied()
        .unwrap_or(0)
}

/// Expected: the row whose plan went stale while it waited reads again, sees the other
/// system's hold and sends nothing ("already on hold"), as a row planned after that hold
/// would. Observed: it sends a second hold with its stale reading.
///
/// On one thread: the runner promises no order between rows, and with two worker threads the
/// second row's read could take the only call place first, so its hold (not the first row's)
/// was the one the simulator held, and the test's "other system" then held a shipment whose
/// own hold was still to come (seen once in a CI run: two holds). On one thread the first
/// row's worker runs first up to its read, so the first row's hold is the held one.
#[tokio::test(flavor = "current_thread")]
async fn a_bulk_hold_that_waited_past_fresh_for_reads_again() {
    let running = Simulator::new().start().await.unwrap();
    let sim = running.sim().clone();
    let until = rescind_core::jiff::civil::date(2026, 12, 15);
    let rows = vec![
        Row::hold("arta", demo::PENDING, Some(until)),
        Row::hold("arta", demo::CONFIRMED, Some(until)),
    ];
    // The first hold is kept unanswered until the test lets it go.
    sim.faults().add(
        FaultRule::on(Operation::ArtaHold, FaultAction::Hold)
            .apply_late()
            .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = Input::from_rows(rows);
    let journal = Journal::open(&dir.path().join("j.jsonl"), &input).unwrap();
    let runner = Runner::new(registry(&running.base_url())).options(
        Options::default()
            .concurrency(1)
            .in_flight_horizon(Duration::from_millis(1)),
    );
    let mut run = tokio::spawn(async move { runner.run(input, journal, |_| {}).await });
    tokio::select! {
        () = sim.wait_held(|held| !held.is_empty()) => {}
        report = &mut run => panic!("the run ended before its first hold was sent: {report:?}"),
    }
    // The second row's plan is taken (the first row's hold holds the only place now); it
    // waits for longer than FRESH_FOR.
    tokio::time::sleep(rescind_core::Plan::FRESH_FOR + Duration::from_secs(1)).await;
    // Another system holds the second row's shipment.
    let other = registry(&running.base_url());
    other
        .account("arta")
        .unwrap()
        .cancel(rescind_core::CancelRequest::hold(
            demo::CONFIRMED,
            Some(until),
        ))
        .await
        .unwrap();
    assert_eq!(holds(&sim, demo::CONFIRMED), 1);
    sim.apply_all_held().await;
    let report = run.await.unwrap().unwrap();
    let second = report
        .rows
        .iter()
        .find(|r| r.target == demo::CONFIRMED)
        .unwrap();
    assert_eq!(second.outcome, Outcome::Done, "{second:?}");
    assert_eq!(
        holds(&sim, demo::CONFIRMED),
        1,
        "the other system's hold only: {second:?}"
    );
    assert!(second.detail.contains("already on hold"), "{second:?}");
    running.shutdown().await;
}
