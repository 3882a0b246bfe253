//! Issue 17 seen by a new user (breakmem): a plan's reading stands in for a cancel's own only
//! while fresh (`Plan::FRESH_FOR`) where it is the fingerprint of a change that cannot be sent
//! twice. The table names two such changes: a Skip Pay item cancel with quantities
//! (tested in `break17.rs`) and an Arta hold ("the shipment read is the 30-day rule's input and
//! the hold's fingerprint"). Here: the Arta hold handed a stale plan, and the idempotent
//! changes handed one (which may keep using it).

#[path = "common/policy.rs"]
mod harness;
use harness::*;

use rescind_core::{CancelOptions, CancelRequest, CancelStatus, Plan, Policy, SettledBy};
use rescind_sim::arta::demo;
use rescind_sim::{FaultAction, FaultRule, Operation, RunningSimulator};

fn hold() -> CancelRequest {
    CancelRequest::hold(demo::PENDING, Some(jiff::civil::date(2026, 12, 1)))
}

/// Holds the simulator applied on the demo's pending shipment.
fn holds(running: &RunningSimulator) -> u64 {
    running
        .sim()
        .counters()
        .snapshot()
        .applied
        .get(&format!("arta:shipment:{}:hold", demo::PENDING))
        .copied()
        .unwrap_or(0)
}

/// The plan of `request`, made older than [`Plan::FRESH_FOR`] (as if it was taken by
/// `rescind bulk --plan`, shown to a person and run minutes later).
async fn stale_plan(client: &dyn rescind_core::Canceller, request: &CancelRequest) -> Plan {
    let plan = client.plan(request).await;
    assert!(plan.reading.is_some(), "{plan:?}");
    let long_ago = tokio::time::Instant::now()
        .checked_sub(Plan::FRESH_FOR + std::time::Duration::from_secs(1))
        .expect("the monotonic clock is older than a few seconds");
    let plan = plan.with_taken_at(long_ago);
    assert!(!plan.is_fresh(), "{plan:?}");
    plan
}

/// An Arta hold's plan is its fingerprint, like a quantity cancel's. Taken; then another system
/// (another client of the same key) holds the shipment; then the hold is sent with the plan,
/// older than `Plan::FRESH_FOR`, and its answer is lost (the connection drops, nothing
/// applied). A stale plan should be read again: the shipment is already held, nothing is sent,
/// the outcome says so (`settled_by: answer`, "already on hold"). Using the stale reading as
/// the fingerprint, the hold is sent, and the other system's hold, found on reading back, is
/// reported as this call's (`settled_by: read_back`): a success never observed.
#[tokio::test]
async fn a_stale_plan_does_not_settle_a_lost_arta_hold_as_done() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let running = start().await;
        let client = canceller(Who::Arta, &running, policy);
        let plan = stale_plan(client.as_ref(), &hold()).await;
        canceller(Who::Arta, &running, Policy::CheckFirst)
            .cancel(hold())
            .await
            .unwrap();
        assert_eq!(holds(&running), 1, "{policy}: the other system's hold");
        running
            .sim()
            .faults()
            .add(FaultRule::on(Operation::ArtaHold, FaultAction::Drop).times(1));
        let result = client
            .cancel_with(hold(), CancelOptions::new().with_plan(plan))
            .await;
        assert_eq!(holds(&running), 1, "{policy}: only the other system's hold");
        match result {
            Ok(outcome) => {
                assert!(
                    matches!(outcome.status, CancelStatus::Held { .. }),
                    "{policy}: {outcome:?}"
                );
                assert_eq!(
                    outcome.settled_by,
                    SettledBy::Answer,
                    "{policy}: the hold found is another system's; this call's was never applied: {outcome:?}"
                );
            }
            Err(err) => assert_eq!(err.sent(), rescind_core::Sent::MaybeSent, "{policy}: {err}"),
        }
        running.shutdown().await;
    }
}

/// The same without a fault: a stale plan of an Arta hold, the shipment held by another system
/// since. Read again, the shipment shows the hold: nothing is sent and the outcome says the
/// shipment was already on hold. With the stale reading the hold is sent a second time.
#[tokio::test]
async fn a_stale_plan_of_an_arta_hold_is_read_again() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let running = start().await;
        let client = canceller(Who::Arta, &running, policy);
        let plan = stale_plan(client.as_ref(), &hold()).await;
        canceller(Who::Arta, &running, Policy::CheckFirst)
            .cancel(hold())
            .await
            .unwrap();
        let result = client
            .cancel_with(hold(), CancelOptions::new().with_plan(plan))
            .await;
        assert_eq!(
            holds(&running),
            1,
            "{policy}: the shipment already held, no second hold: {result:?}"
        );
        let outcome = result.unwrap();
        assert!(
            outcome
                .note
                .as_deref()
                .unwrap_or_default()
                .contains("already on hold"),
            "{policy}: {outcome:?}"
        );
        running.shutdown().await;
    }
}

/// A fresh plan still stands in for an Arta hold's read: 2 requests (the table).
#[tokio::test]
async fn a_fresh_plan_keeps_an_arta_hold_at_two_requests() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let running = start().await;
        let client = canceller(Who::Arta, &running, policy);
        let plan = client.plan(&hold()).await;
        assert!(plan.is_fresh(), "{plan:?}");
        let outcome = client
            .cancel_with(hold(), CancelOptions::new().with_plan(plan))
            .await
            .unwrap();
        assert!(
            matches!(outcome.status, CancelStatus::Held { .. }),
            "{policy}: {outcome:?}"
        );
        assert_eq!(holds(&running), 1, "{policy}");
        assert_eq!(
            running.sim().counters().snapshot().requests(),
            2,
            "{policy}: the plan's read and the hold"
        );
        running.shutdown().await;
    }
}
