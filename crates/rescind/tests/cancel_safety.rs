//! Cancel-safety and per-call deadlines against the in-process simulator: a cancel dropped
//! midway, or ended by its deadline, while the provider holds the change, is settled by the
//! next cancel like a lost answer (nothing applied twice, never a silent success); a registry
//! built from the environment takes its transport settings from code.

use std::time::Duration;

use rescind::core::retry::RetryPolicy;
use rescind::{CancelOptions, CancelRequest, CancelStatus, ErrorKind, Registry, Sent};
use rescind_sim::{FaultAction, FaultRule, RunningSimulator, Simulator};

/// A Di order the demo data lets cancel (delivery in 2099).
const ORDER: &str = "70724760000000101";
const CANCEL_PATH: &str = "/ws/json/parcel/booking/v-1/order/cancel/*";
const APPLIED: &str = "di:order:70724760000000101:cancel";

async fn sim() -> RunningSimulator {
    Simulator::new().start().await.unwrap()
}

fn registry(sim: &RunningSimulator) -> Registry {
    let env = rescind_sim::demo_env(&sim.base_url());
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    Registry::builder()
        .retry(RetryPolicy::default().with_max_attempts(1))
        .call_timeout(Duration::from_secs(30))
        .from_vars(&lookup)
        .unwrap()
}

/// Holds the next cancel at Di without answering, to be applied (or not) later.
fn hold_the_cancel(sim: &RunningSimulator) {
    sim.sim().faults().add(
        FaultRule::new(CANCEL_PATH, FaultAction::Hold)
            .method("DELETE")
            .times(1)
            .apply_late(),
    );
}

/// Waits (event-driven) until the simulator holds one request.
async fn until_held(sim: &RunningSimulator) {
    tokio::time::timeout(
        Duration::from_secs(30),
        sim.sim().wait_held(|held| held.len() == 1),
    )
    .await
    .expect("the cancel never reached the simulator");
}

/// Dropping a cancel after its change was sent, then the change applied late: the next
/// cancel reads the order, reports it already cancelled, and sends nothing more.
#[tokio::test]
async fn a_cancel_dropped_after_sending_is_settled_by_the_next_cancel() {
    let sim = sim().await;
    let registry = registry(&sim);
    hold_the_cancel(&sim);

    let cancel = registry.cancel("di", CancelRequest::whole(ORDER));
    tokio::select! {
        result = cancel => panic!("the held cancel answered: {result:?}"),
        () = until_held(&sim) => {} // the cancel future is dropped here, midway
    }
    // The provider applies the change after the caller has gone.
    assert_eq!(sim.sim().apply_all_held().await.len(), 1);
    assert_eq!(sim.sim().counters().applied_count(APPLIED), 1);

    let outcome = registry
        .cancel("di", CancelRequest::whole(ORDER))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    let seen = registry
        .account("di")
        .unwrap()
        .observe(&CancelRequest::whole(ORDER))
        .await
        .unwrap();
    assert!(seen.cancelled, "{seen:?}");
    assert_eq!(
        sim.sim().counters().applied_count(APPLIED),
        1,
        "applied twice"
    );
}

/// Dropped, and the held change never applied: the next cancel cancels, once.
#[tokio::test]
async fn a_cancel_dropped_before_it_was_applied_is_done_by_the_next_cancel() {
    let sim = sim().await;
    let registry = registry(&sim);
    hold_the_cancel(&sim);

    let cancel = registry.cancel("di", CancelRequest::whole(ORDER));
    tokio::select! {
        result = cancel => panic!("the held cancel answered: {result:?}"),
        () = until_held(&sim) => {}
    }
    assert_eq!(sim.sim().discard_all_held(), 1);

    let outcome = registry
        .cancel("di", CancelRequest::whole(ORDER))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_eq!(sim.sim().counters().applied_count(APPLIED), 1);
}

/// A deadline that passes while the change is held: an error of kind Timeout that may have
/// been sent, never a success; the next cancel settles it.
#[tokio::test]
async fn a_deadline_passing_while_the_change_is_in_flight_is_a_maybe_sent_timeout() {
    let sim = sim().await;
    let registry = registry(&sim);
    // Log in and read once first, so that the deadline below falls on the change.
    let plan = registry
        .account("di")
        .unwrap()
        .observe(&CancelRequest::whole(ORDER))
        .await
        .unwrap();
    assert!(!plan.cancelled);
    hold_the_cancel(&sim);

    let options = CancelOptions::new().timeout(Duration::from_millis(1500));
    let started = std::time::Instant::now();
    let err = registry
        .cancel_with("di", CancelRequest::whole(ORDER), options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert_eq!(
        sim.sim().held().len(),
        1,
        "the change was not the request held"
    );
    // The client's own timeouts are 30 s: only the deadline ends the call this early.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the deadline was not applied"
    );

    sim.sim().apply_all_held().await;
    let outcome = registry
        .cancel("di", CancelRequest::whole(ORDER))
        .await
        .unwrap();
    assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
    assert_eq!(sim.sim().counters().applied_count(APPLIED), 1);
}

/// A deadline already passed: nothing is sent at all.
#[tokio::test]
async fn a_passed_deadline_sends_nothing() {
    let sim = sim().await;
    let registry = registry(&sim);
    let options = CancelOptions::new().deadline(tokio::time::Instant::now());
    let err = registry
        .cancel_with("di", CancelRequest::whole(ORDER), options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent, "{err}");
    assert_eq!(sim.sim().counters().applied_count(APPLIED), 0);
    assert!(sim.sim().held().is_empty());
}

/// The registry's clients take the timeouts given in code: a held read ends at the call
/// timeout set on `Registry::builder()`, not the default 90 s.
#[tokio::test]
async fn registry_clients_take_the_call_timeout_set_in_code() {
    let sim = sim().await;
    let env = rescind_sim::demo_env(&sim.base_url());
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let registry = Registry::builder()
        .retry(RetryPolicy::default().with_max_attempts(1))
        .call_timeout(Duration::from_millis(800))
        .from_vars(&lookup)
        .unwrap();
    sim.sim().faults().add(FaultRule::new(
        "/ws/json/parcel/booking/v-1/details/*",
        FaultAction::Hold,
    ));
    let started = std::time::Instant::now();
    let err = registry
        .cancel("di", CancelRequest::whole(ORDER))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_ne!(err.sent(), Sent::MaybeSent, "only a read was held: {err}");
    // The defaults are 30 s an attempt, 90 s a call: only the 800 ms given in code ends it
    // this early.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the registry's client kept the default timeouts"
    );
    assert_eq!(sim.sim().counters().applied_count(APPLIED), 0);
}
