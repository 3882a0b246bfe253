//! Every call counts (issue 17): the requests each action spends under each [`Policy`], logins
//! apart, counted by the simulator (the judge written apart from the clients), in the common
//! case (no fault). The table is the crate docs' (`rescind_arta::cancel`, `rescind_di::cancel`,
//! `rescind_skippay::cancel`, section "Policies").

#[path = "common/policy.rs"]
mod harness;
use harness::*;

use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Error, ErrorKind, ItemSelector,
    Policy, Sent,
};
use rescind_sim::RunningSimulator;
use rescind_sim::arta::demo;

/// Requests the simulator received, logins and its admin routes apart.
fn requests(running: &RunningSimulator) -> u64 {
    running
        .sim()
        .counters()
        .snapshot()
        .hits
        .iter()
        .filter(|(route, _)| {
            !route.contains("/__sim")
                && !route.starts_with("POST /ws/json/auth/")
                && !route.starts_with("POST /authentication/")
        })
        .map(|(_, n)| n)
        .sum()
}

/// Runs one cancel on a fresh simulator with the client's policy set to `policy`; returns
/// the result and the requests it spent.
async fn run(
    who: Who,
    policy: Policy,
    request: CancelRequest,
) -> (Result<CancelOutcome, Error>, u64) {
    let running = start().await;
    let result = canceller(who, &running, policy).cancel(request).await;
    let spent = requests(&running);
    running.shutdown().await;
    (result, spent)
}

fn hold() -> CancelRequest {
    CancelRequest::hold(demo::PENDING, Some(jiff::civil::date(2026, 12, 1)))
}

fn by_code(code: &str) -> ItemSelector {
    ItemSelector::by_code(code)
}

/// The table of the issue: the fewest requests each action needs, per policy.
#[tokio::test]
async fn requests_per_action_follow_the_table_under_both_policies() {
    use Policy::{ChangeFirst, CheckFirst};
    let cases: Vec<(&str, Who, CancelRequest, u64, u64)> = vec![
        // (action, provider, request, check-first, change-first)
        ("arta cancel", Who::Arta, CancelRequest::whole("42"), 2, 1),
        ("arta hold", Who::Arta, hold(), 2, 2),
        (
            "di cancel",
            Who::Di,
            CancelRequest::whole(DI_CANCELLABLE),
            2,
            1,
        ),
        (
            "skippay whole (READY)",
            Who::SkipPay,
            CancelRequest::whole(SP_READY),
            2,
            1,
        ),
        (
            "skippay items without quantities",
            Who::SkipPay,
            CancelRequest::items(SP_READY, vec![by_code("CASE-3")]),
            2,
            1,
        ),
        (
            "skippay items with quantities",
            Who::SkipPay,
            CancelRequest::items(SP_READY, vec![by_code("CASE-3").quantity(1.into())]),
            2,
            2,
        ),
    ];
    for (action, who, request, check_first, change_first) in cases {
        for (policy, want) in [(CheckFirst, check_first), (ChangeFirst, change_first)] {
            let (result, spent) = run(who, policy, request.clone()).await;
            let outcome = result.unwrap_or_else(|e| panic!("{action} {policy}: {e}"));
            assert!(
                matches!(
                    outcome.status,
                    CancelStatus::Cancelled
                        | CancelStatus::PartiallyCancelled { .. }
                        | CancelStatus::Held { .. }
                ),
                "{action} {policy}: {outcome:?}"
            );
            assert_eq!(spent, want, "{action} {policy}: requests");
        }
    }
}

/// Change first cannot tell "cancelled now" from "cancelled before" where the provider answers
/// the same: the outcome says so (`None`) instead of guessing; check first knows.
#[tokio::test]
async fn change_first_says_when_it_cannot_tell_already_cancelled() {
    // Arta: 200 whether the session was cancelled before or not.
    let (now, _) = run(Who::Arta, Policy::ChangeFirst, CancelRequest::whole("42")).await;
    let now = now.unwrap();
    assert_eq!(now.status, CancelStatus::Cancelled);
    assert_eq!(now.already_cancelled_before, None);
    assert!(
        now.note.as_deref().unwrap().contains("not known"),
        "{now:?}"
    );
    let (before, spent) = run(Who::Arta, Policy::ChangeFirst, CancelRequest::whole("43")).await;
    let before = before.unwrap();
    assert_eq!(before.status, CancelStatus::Cancelled);
    assert_eq!(before.already_cancelled_before, None);
    assert_eq!(spent, 1);
    let (exact, spent) = run(Who::Arta, Policy::CheckFirst, CancelRequest::whole("43")).await;
    let exact = exact.unwrap();
    assert_eq!(exact.status, CancelStatus::AlreadyCancelled);
    assert_eq!(exact.already_cancelled_before, Some(true));
    assert_eq!(spent, 1);
    let (exact, _) = run(Who::Arta, Policy::CheckFirst, CancelRequest::whole("42")).await;
    assert_eq!(exact.unwrap().already_cancelled_before, Some(false));

    // Skip Pay: the order cancel of an order already cancelled answers the order, 200.
    let (sp, spent) = run(
        Who::SkipPay,
        Policy::ChangeFirst,
        CancelRequest::whole(SP_ORDER_CANCELLED),
    )
    .await;
    let sp = sp.unwrap();
    assert_eq!(sp.status, CancelStatus::Cancelled);
    assert_eq!(sp.already_cancelled_before, None);
    assert_eq!(spent, 1);

    // Di refuses a cancelled order itself: change first stays exact, in one request.
    let (di, spent) = run(
        Who::Di,
        Policy::ChangeFirst,
        CancelRequest::whole(DI_CANCELLED),
    )
    .await;
    let di = di.unwrap();
    assert_eq!(di.status, CancelStatus::AlreadyCancelled);
    assert_eq!(di.already_cancelled_before, Some(true));
    assert_eq!(spent, 1);
    let (di, _) = run(
        Who::Di,
        Policy::ChangeFirst,
        CancelRequest::whole(DI_CANCELLABLE),
    )
    .await;
    assert_eq!(di.unwrap().already_cancelled_before, Some(false));
}

/// A refusal of a change sent first is explained by one read, with the same kind the
/// check-first refusal has; the error is the provider's answer (`Answered`), not `NotSent`.
#[tokio::test]
async fn change_first_refusals_are_explained_by_one_read() {
    // Arta: a closed session (422), read: not cancellable.
    let (err, spent) = run(Who::Arta, Policy::ChangeFirst, CancelRequest::whole("44")).await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(spent, 2);

    // Di: in transit, refused by Di, explained by the rules' reason.
    let (err, spent) = run(
        Who::Di,
        Policy::ChangeFirst,
        CancelRequest::whole(DI_IN_TRANSIT),
    )
    .await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.code(), Some("order.exported"));
    assert!(err.message().contains("Di refused the cancel"), "{err}");
    assert_eq!(spent, 2);
    let (err, spent) = run(
        Who::Di,
        Policy::CheckFirst,
        CancelRequest::whole(DI_IN_TRANSIT),
    )
    .await;
    let err = err.unwrap_err();
    assert_eq!(
        (err.kind(), err.sent(), spent),
        (ErrorKind::NotCancellable, Sent::NotSent, 1)
    );

    // Skip Pay: a PROCESSING application refuses the order cancel, then is cancelled as an
    // application (order cancel, read, application cancel).
    let (ok, spent) = run(
        Who::SkipPay,
        Policy::ChangeFirst,
        CancelRequest::whole(SP_PROCESSING),
    )
    .await;
    let ok = ok.unwrap();
    assert_eq!(ok.status, CancelStatus::Cancelled);
    assert_eq!(ok.already_cancelled_before, Some(false));
    assert_eq!(spent, 3);
    // A CANCELLED application: refused, read, already cancelled.
    let (ok, spent) = run(
        Who::SkipPay,
        Policy::ChangeFirst,
        CancelRequest::whole(SP_CANCELLED),
    )
    .await;
    assert_eq!(ok.unwrap().status, CancelStatus::AlreadyCancelled);
    assert_eq!(spent, 2);
}

/// A plan already taken is used by the cancel instead of a second read, under both policies.
#[tokio::test]
async fn a_plan_handed_in_is_not_read_again() {
    let cases: Vec<(Who, CancelRequest)> = vec![
        (Who::Arta, CancelRequest::whole("42")),
        (Who::Arta, hold()),
        (Who::Di, CancelRequest::whole(DI_CANCELLABLE)),
        (Who::SkipPay, CancelRequest::whole(SP_READY_TWO)),
        (
            Who::SkipPay,
            CancelRequest::items(SP_READY, vec![by_code("CASE-3").quantity(1.into())]),
        ),
    ];
    for (who, request) in cases {
        for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
            let running = start().await;
            let client = canceller(who, &running, policy);
            let plan = client.plan(&request).await;
            assert!(plan.prediction.changes(), "{who:?} {plan:?}");
            assert_eq!(requests(&running), 1, "{who:?}: the plan reads once");
            let outcome = client
                .cancel_with(request.clone(), CancelOptions::new().with_plan(plan))
                .await
                .unwrap();
            assert!(!outcome.status.to_string().is_empty());
            assert_eq!(
                requests(&running),
                2,
                "{who:?} {policy}: one read (the plan's) and one change"
            );
            running.shutdown().await;
        }
    }
}

/// A call's options override the client's policy.
#[tokio::test]
async fn a_calls_policy_overrides_the_clients() {
    let running = start().await;
    let client = canceller(Who::Arta, &running, Policy::CheckFirst);
    client
        .cancel_with(
            CancelRequest::whole("42"),
            CancelOptions::new().policy(Policy::ChangeFirst),
        )
        .await
        .unwrap();
    assert_eq!(requests(&running), 1);
    running.shutdown().await;
}
