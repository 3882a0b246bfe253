//! A new user's checks of issue 18 through the facade, against the in-process simulator:
//! refusal reasons whoever refused, one payload type per provider on every path, errors a
//! program can branch on, serde names of the core enums, the simulator's API without struct
//! literals.

use std::sync::Arc;

use rescind::core::{CancelOptions, Policy};
use rescind::{
    CancelRequest, CancelStatus, Details, ErrorKind, ItemSelector, Refusal, Registry, Sent, arta,
    di, skippay,
};
use rescind_sim::{Clock, RunningSimulator, Simulator, demo};

async fn sim() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(demo::arta::NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

fn registry(base_url: &str) -> Registry {
    let mut r = Registry::new();
    r.insert(
        "arta",
        Arc::new(
            arta::Client::builder()
                .api_key(demo::arta::API_KEY)
                .base_url(base_url)
                .build()
                .unwrap(),
        ),
    )
    .unwrap();
    r.insert(
        "di",
        Arc::new(
            di::Client::builder()
                .base_url(base_url)
                .credentials(di::Credentials::new(demo::di::USER, demo::di::PASSWORD))
                .build()
                .unwrap(),
        ),
    )
    .unwrap();
    r.insert(
        "skippay",
        Arc::new(
            skippay::Client::builder()
                .base_url(base_url)
                .credentials(skippay::Credentials::new(
                    demo::skippay::PARTNER,
                    demo::skippay::PASSWORD,
                ))
                .build()
                .unwrap(),
        ),
    )
    .unwrap();
    r
}

fn cases() -> Vec<(&'static str, CancelRequest, Refusal)> {
    let nope = ItemSelector::by_code("NO-SUCH-ITEM");
    vec![
        (
            "di",
            CancelRequest::whole(demo::di::ORDER_IN_TRANSIT),
            Refusal::InTransit,
        ),
        (
            "arta",
            CancelRequest::hold(
                demo::arta::PENDING_OLD,
                Some(rescind::core::jiff::civil::date(2026, 11, 30)),
            ),
            Refusal::HoldWindowPassed,
        ),
        (
            "arta",
            CancelRequest::whole(demo::arta::SESSION_CLOSED.to_string()),
            Refusal::NotCancellable,
        ),
        (
            "skippay",
            CancelRequest::items(demo::skippay::READY_TWO_ITEMS, vec![nope]),
            Refusal::ItemNotFound,
        ),
        (
            "skippay",
            CancelRequest::whole(demo::skippay::REJECTED),
            Refusal::Rejected,
        ),
        (
            "skippay",
            CancelRequest::items(
                demo::skippay::READY,
                vec![ItemSelector::by_code(demo::skippay::ITEM_CASE).quantity(99.into())],
            ),
            Refusal::QuantityTooLarge,
        ),
        (
            "arta",
            CancelRequest::hold(demo::arta::IN_TRANSIT, None),
            Refusal::NotCancellable,
        ),
        ("arta", CancelRequest::whole("999"), Refusal::NotFound),
        (
            "di",
            CancelRequest::whole("70724769999999999"),
            Refusal::NotFound,
        ),
        (
            "skippay",
            CancelRequest::whole("99999a0ee9"),
            Refusal::NotFound,
        ),
    ]
}

/// Every refusal of the brief has its reason through `reason()`, with provider and operation
/// set, whoever refused, under both policies.
#[tokio::test]
async fn refusals_have_a_reason_at_every_provider_under_both_policies() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        for (account, request, want) in cases() {
            let target = request.target.clone();
            let err = registry
                .account(account)
                .unwrap()
                .cancel_with(request, CancelOptions::new().policy(policy))
                .await
                .expect_err(&format!("{policy:?} {account} {target}"));
            assert_eq!(
                err.reason(),
                Some(want),
                "{policy:?} {account} {target}: {err} (kind {:?}, sent {:?})",
                err.kind(),
                err.sent()
            );
            assert_ne!(err.sent(), Sent::MaybeSent, "{policy:?} {account} {target}");
            assert!(
                err.provider().is_some() && err.operation().is_some(),
                "{policy:?} {account} {target}: provider {:?} operation {:?}",
                err.provider(),
                err.operation()
            );
            assert_eq!(
                err.kind(),
                want.error_kind(),
                "{policy:?} {account} {target}"
            );
        }
    }
}

/// Already cancelled is an outcome, not an error, at every provider and under both policies,
/// and it carries the provider's one payload type.
#[tokio::test]
async fn already_cancelled_is_an_outcome_with_its_payload_everywhere() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        for (account, target) in [
            ("arta", demo::arta::SESSION_CANCELLED.to_string()),
            ("di", demo::di::ORDER_CANCELLED.to_string()),
            ("skippay", demo::skippay::CANCELLED.to_string()),
            ("skippay", demo::skippay::ORDER_CANCELLED.to_string()),
        ] {
            let outcome = registry
                .account(account)
                .unwrap()
                .cancel_with(
                    CancelRequest::whole(target.clone()),
                    CancelOptions::new().policy(policy),
                )
                .await
                .unwrap_or_else(|e| panic!("{policy:?} {account} {target}: {e}"));
            // Change first, a provider whose answer is the same either way (Arta's 200, Skip
            // Pay's order) says it cannot tell, rather than guess (`Policy` docs).
            let told = outcome.status == CancelStatus::AlreadyCancelled;
            let cannot_tell = policy == Policy::ChangeFirst
                && outcome.status == CancelStatus::Cancelled
                && outcome.already_cancelled_before.is_none();
            assert!(
                told || cannot_tell,
                "{policy:?} {account} {target}: {:?} before {:?}",
                outcome.status,
                outcome.already_cancelled_before
            );
            let details = Details::of(&outcome)
                .unwrap_or_else(|| panic!("{policy:?} {account} {target}: no payload"));
            assert_eq!(details.provider(), outcome.provider);
        }
    }
}

/// Every success path carries its provider's payload, reachable through `Details`.
#[tokio::test]
async fn every_success_path_has_its_payload() {
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        let case3 = ItemSelector::by_code(demo::skippay::ITEM_CASE).quantity(1.into());
        for (account, request) in [
            (
                "arta",
                CancelRequest::whole(demo::arta::SESSION_NEW.to_string()),
            ),
            ("arta", CancelRequest::hold(demo::arta::PENDING, None)),
            ("di", CancelRequest::whole(demo::di::ORDER_CANCELLABLE)),
            (
                "skippay",
                CancelRequest::items(demo::skippay::READY, vec![case3]),
            ),
            ("skippay", CancelRequest::whole(demo::skippay::READY)),
            ("skippay", CancelRequest::whole(demo::skippay::PROCESSING)),
        ] {
            let target = request.target.clone();
            let outcome = registry
                .account(account)
                .unwrap()
                .cancel_with(request, CancelOptions::new().policy(policy))
                .await
                .unwrap_or_else(|e| panic!("{policy:?} {account} {target}: {e}"));
            let details = Details::of(&outcome).unwrap_or_else(|| {
                panic!(
                    "{policy:?} {account} {target}: {:?} no payload",
                    outcome.status
                )
            });
            assert_eq!(details.provider(), outcome.provider);
        }
    }
}

#[tokio::test]
async fn unknown_account_is_its_own_kind_and_sends_nothing() {
    let sim = sim().await;
    let registry = registry(&sim.base_url());
    let err = registry
        .cancel("arta-live", CancelRequest::whole("42"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownAccount);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.reason(), None);
    assert_eq!(sim.sim().counters().snapshot().requests(), 0);
}

mod bulk_errors {
    use std::error::Error as _;

    use rescind::bulk::{BulkError, Input, Journal, Row};

    fn input() -> Input {
        Input::from_rows([Row::cancel("arta", "42").with_key("order-1")])
    }

    /// Two runs on one journal: the second is told apart by kind, the lock's error kept.
    #[test]
    fn journal_locked_is_its_own_kind_with_the_io_error_as_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.journal.jsonl");
        let _first = Journal::open(&path, &input()).unwrap();
        let err = Journal::open(&path, &input()).unwrap_err();
        assert!(err.is_journal_locked(), "{err}");
        assert!(!err.is_journal_damaged());
        let io = err
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .expect("the lock's io::Error as source");
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
    }

    /// A damaged record before the last line: its own kind, nothing else.
    #[test]
    fn journal_damaged_is_its_own_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.journal.jsonl");
        drop(Journal::open(&path, &input()).unwrap());
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("this is not a record\n{\"also\": \"not one\"}\n");
        std::fs::write(&path, text).unwrap();
        let err = Journal::open(&path, &input()).unwrap_err();
        assert!(err.is_journal_damaged(), "{err}");
        assert!(!err.is_journal_locked());
        assert!(matches!(err, BulkError::JournalDamaged { .. }));
    }

    /// A journal that cannot be opened at all (its path is a directory): the io::Error the
    /// system gave is kept as the source (issue 18, point 5: "the underlying io::Error is
    /// dropped").
    #[test]
    fn journal_unusable_keeps_its_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Journal::open(dir.path(), &input()).unwrap_err();
        assert!(
            !err.is_journal_locked() && !err.is_journal_damaged(),
            "{err}"
        );
        let io = err
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>());
        assert!(
            io.is_some(),
            "no io::Error source: {err} / {:?}",
            err.source()
        );
    }

    /// An input file that cannot be read: the io::Error (here NotFound) is kept as the source.
    #[test]
    fn input_unreadable_keeps_its_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Input::read(&dir.path().join("missing.csv")).unwrap_err();
        let io = err
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .unwrap_or_else(|| panic!("no io::Error source: {err}"));
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
}

mod cancel_safety {
    use std::time::Duration;

    use rescind::core::CancelOptions;
    use rescind::{CancelRequest, CancelStatus, ErrorKind, Sent, SettledBy};
    use rescind_sim::{FaultAction, FaultRule, Operation, demo};

    use super::{registry, sim};

    /// Bounds an event-driven wait so that a bug fails the test instead of hanging it.
    async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), f)
            .await
            .unwrap_or_else(|_| panic!("{what}: not within 30 s"))
    }

    /// For each whole cancel: the change request is held by the simulator; the caller drops
    /// the cancel future while it waits; the simulator then applies it (the provider finished
    /// after the client gave up). Cancelling again must not apply anything twice and must
    /// settle the outcome as already cancelled (or cancelled, when the provider cannot tell).
    #[tokio::test]
    async fn a_dropped_cancel_then_a_new_one_applies_once() {
        let until = Some(rescind::core::jiff::civil::date(2026, 12, 1));
        for (account, operation, request) in [
            (
                "di",
                Operation::DiCancelOrder,
                CancelRequest::whole(demo::di::ORDER_CANCELLABLE),
            ),
            (
                "arta",
                Operation::ArtaCancelSession,
                CancelRequest::whole(demo::arta::SESSION_NEW.to_string()),
            ),
            (
                "arta",
                Operation::ArtaHold,
                CancelRequest::hold(demo::arta::PENDING, until),
            ),
            (
                "skippay",
                Operation::SkipPayCancelApplication,
                CancelRequest::whole(demo::skippay::PROCESSING),
            ),
            (
                "skippay",
                Operation::SkipPayCancelOrder,
                CancelRequest::whole(demo::skippay::READY),
            ),
        ] {
            let sim = sim().await;
            let registry = std::sync::Arc::new(registry(&sim.base_url()));
            sim.sim().faults().add(
                FaultRule::on(operation, FaultAction::Hold)
                    .apply_late()
                    .times(1),
            );
            let task = {
                let registry = registry.clone();
                let request = request.clone();
                tokio::spawn(async move { registry.cancel(account, request).await })
            };
            bounded("held", sim.sim().wait_held(|h| h.len() == 1)).await;
            task.abort();
            let _ = task.await;
            bounded(
                "client gone",
                sim.sim()
                    .wait_held(|h| h.len() == 1 && !h[0].client_waiting),
            )
            .await;
            let applied = sim.sim().apply_all_held().await;
            assert_eq!(applied.len(), 1, "{account} {operation:?}");
            let before = sim.sim().counters().snapshot().get(operation).applied();
            // One request may apply several changes (Skip Pay's application cancel also
            // cancels its order): what matters is that the second cancel adds none.
            assert!(
                before >= 1,
                "{account}: the held cancel applied: {applied:?}"
            );

            let outcome = registry
                .cancel(account, request.clone())
                .await
                .unwrap_or_else(|e| panic!("{account} {operation:?}: {e}"));
            assert!(
                matches!(
                    outcome.status,
                    CancelStatus::AlreadyCancelled
                        | CancelStatus::Cancelled
                        | CancelStatus::Held { .. }
                ),
                "{account} {operation:?}: {:?}",
                outcome.status
            );
            assert_eq!(
                sim.sim().counters().snapshot().get(operation).applied(),
                before,
                "{account} {operation:?}: nothing applied twice"
            );
        }
    }

    /// A cancel dropped while its login is held: the login is shared (its own task), so a
    /// second cancel neither hangs on a login nobody drives nor sends anything twice; when the
    /// held login's connection closes, the login is tried again once and the cancel goes
    /// through.
    #[tokio::test]
    async fn a_cancel_dropped_during_its_login_leaves_the_next_one_working() {
        let sim = sim().await;
        let registry = std::sync::Arc::new(registry(&sim.base_url()));
        sim.sim().faults().add(
            FaultRule::on(Operation::DiLogin, FaultAction::Hold)
                .apply_late()
                .times(1),
        );
        let target = demo::di::ORDER_CANCELLABLE;
        let first = {
            let registry = registry.clone();
            tokio::spawn(async move { registry.cancel("di", CancelRequest::whole(target)).await })
        };
        bounded("login held", sim.sim().wait_held(|h| h.len() == 1)).await;
        first.abort();
        let _ = first.await;
        let second = {
            let registry = registry.clone();
            tokio::spawn(async move { registry.cancel("di", CancelRequest::whole(target)).await })
        };
        // Close the held login without applying it (a login changes nothing anyway).
        let held = sim.sim().held();
        assert!(sim.sim().discard_held(held[0].id));
        let outcome = bounded("the second cancel", second)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome.status, CancelStatus::Cancelled);
        let counters = sim.sim().counters().snapshot();
        assert_eq!(counters.get(Operation::DiCancelOrder).requests(), 1);
        assert_eq!(counters.get(Operation::DiCancelOrder).applied(), 1);
        assert!(counters.get(Operation::DiLogin).requests() <= 2);
    }

    /// `Canceller::cancel`'s cancel-safety promise said: after a dropped cancel whose change
    /// was sent, "run the same cancel again, which reads first ... rather than applying it
    /// twice". A Skip Pay item cancel with a quantity cannot keep it: the order read back
    /// cannot tell "the first call landed" from "cancel one more", so the same request run
    /// again cancels a second unit. Its docs now say so (read back with `observe`, or use
    /// bulk's journal); this pins the behaviour they describe, so that a change to it (a
    /// client that remembers its unanswered quantity cancels) updates the docs with it.
    #[tokio::test]
    async fn a_dropped_quantity_cancel_run_again_cancels_again_as_documented() {
        let sim = sim().await;
        let registry = std::sync::Arc::new(registry(&sim.base_url()));
        let one_case = rescind::ItemSelector::by_code(demo::skippay::ITEM_CASE).quantity(1.into());
        let request = CancelRequest::items(demo::skippay::READY, vec![one_case]);
        sim.sim().faults().add(
            FaultRule::on(Operation::SkipPayCancelItems, FaultAction::Hold)
                .apply_late()
                .times(1),
        );
        let task = {
            let registry = registry.clone();
            let request = request.clone();
            tokio::spawn(async move { registry.cancel("skippay", request).await })
        };
        bounded("held", sim.sim().wait_held(|h| h.len() == 1)).await;
        task.abort();
        let _ = task.await;
        bounded(
            "client gone",
            sim.sim()
                .wait_held(|h| h.len() == 1 && !h[0].client_waiting),
        )
        .await;
        sim.sim().apply_all_held().await;
        let applied = sim
            .sim()
            .counters()
            .snapshot()
            .get(Operation::SkipPayCancelItems)
            .applied();
        assert!(applied >= 1);

        // What the docs tell the caller to do instead: read back and compare.
        let skippay = registry.account("skippay").unwrap();
        skippay.observe(&request).await.unwrap();

        let again = registry.cancel("skippay", request).await;
        assert_eq!(
            sim.sim()
                .counters()
                .snapshot()
                .get(Operation::SkipPayCancelItems)
                .applied(),
            applied * 2,
            "the same quantity cancel run again: {again:?}"
        );
    }

    /// A deadline already passed sends nothing, at every provider (README: "a deadline already
    /// passed sends nothing (`Timeout`, `NotSent`)"), logins included.
    #[tokio::test]
    async fn a_deadline_already_passed_sends_nothing() {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        let past = tokio::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        for (account, request) in [
            (
                "arta",
                CancelRequest::whole(demo::arta::SESSION_NEW.to_string()),
            ),
            ("di", CancelRequest::whole(demo::di::ORDER_CANCELLABLE)),
            ("skippay", CancelRequest::whole(demo::skippay::READY)),
        ] {
            let err = registry
                .cancel_with(account, request, CancelOptions::new().deadline(past))
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind(), err.sent()),
                (ErrorKind::Timeout, Sent::NotSent),
                "{account}: {err}"
            );
        }
        assert_eq!(sim.sim().counters().snapshot().requests(), 0);
    }

    /// A per-call deadline shorter than a held request: the cancel ends by the deadline with
    /// a timeout that may have been sent; applying the held request afterwards and asking
    /// again settles it, and nothing is applied twice.
    #[tokio::test]
    async fn a_deadline_shorter_than_a_held_request() {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        let target = demo::di::ORDER_CANCELLABLE;
        sim.sim().faults().add(
            FaultRule::on(Operation::DiCancelOrder, FaultAction::Hold)
                .apply_late()
                .times(1),
        );
        let started = std::time::Instant::now();
        let err = bounded(
            "the deadline",
            registry.account("di").unwrap().cancel_with(
                CancelRequest::whole(target),
                CancelOptions::new().timeout(Duration::from_millis(500)),
            ),
        )
        .await
        .expect_err("held past the deadline");
        // Generous bound: the default call timeout is 90 s, so anything near it means the
        // deadline was ignored.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
        assert_eq!(err.reason(), None);

        sim.sim().apply_all_held().await;
        let outcome = registry
            .cancel("di", CancelRequest::whole(target))
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
        assert_eq!(outcome.settled_by, SettledBy::Answer);
        assert_eq!(
            sim.sim()
                .counters()
                .snapshot()
                .get(Operation::DiCancelOrder)
                .applied(),
            1
        );
    }
}

mod serde_names {
    use rescind::core::{Policy, SettledBy};
    use rescind::{CancelStatus, ErrorKind, Provider, Refusal, Sent};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn round_trip<T>(value: T, name: &str)
    where
        T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(json, serde_json::Value::String(name.into()), "{value:?}");
        let back: T = serde_json::from_value(json).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn the_core_enums_serialize_as_their_stable_names_and_back() {
        for kind in [
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::InvalidInput,
            ErrorKind::NotCancellable,
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Timeout,
            ErrorKind::Transport,
            ErrorKind::Decode,
            ErrorKind::Unsupported,
            ErrorKind::Config,
            ErrorKind::UnknownAccount,
            ErrorKind::UnexpectedResponse,
        ] {
            round_trip(kind, kind.as_str());
        }
        for sent in [Sent::NotSent, Sent::Answered, Sent::MaybeSent] {
            round_trip(sent, sent.as_str());
        }
        round_trip(Sent::MaybeSent, "maybe_sent");
        for provider in Provider::ALL {
            round_trip(provider, provider.id());
        }
        round_trip(Provider::SkipPay, "skippay");
        for settled in [SettledBy::Answer, SettledBy::ReadBack] {
            round_trip(settled, settled.as_str());
        }
        round_trip(SettledBy::ReadBack, "read_back");
        for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
            round_trip(policy, policy.as_str());
        }
        for refusal in [
            Refusal::InTransit,
            Refusal::HoldWindowPassed,
            Refusal::Rejected,
            Refusal::NotCancellable,
            Refusal::InvalidRequest,
            Refusal::AlreadyCancelled,
            Refusal::ItemNotFound,
            Refusal::QuantityTooLarge,
            Refusal::NotFound,
        ] {
            round_trip(refusal, refusal.as_str());
        }
    }

    #[test]
    fn cancel_status_is_tagged_by_its_stable_name_and_round_trips() {
        let until = rescind::core::jiff::civil::date(2026, 12, 24);
        for (status, json) in [
            (CancelStatus::Cancelled, r#"{"status":"cancelled"}"#),
            (
                CancelStatus::AlreadyCancelled,
                r#"{"status":"already_cancelled"}"#,
            ),
            (
                CancelStatus::Held { until: Some(until) },
                r#"{"status":"held","until":"2026-12-24"}"#,
            ),
            (CancelStatus::Held { until: None }, r#"{"status":"held"}"#),
            (
                CancelStatus::PartiallyCancelled {
                    cancelled_items: Some(1),
                    remaining_items: Some(2),
                },
                r#"{"status":"partially_cancelled","cancelled_items":1,"remaining_items":2}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&status).unwrap(), json);
            assert_eq!(serde_json::from_str::<CancelStatus>(json).unwrap(), status);
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(json).unwrap()["status"],
                status.as_str()
            );
        }
    }
}

mod sim_api {
    use std::time::Duration;

    use rescind::{CancelRequest, ErrorKind, Sent};
    use rescind_sim::{FaultAction, FaultRule, Operation, demo};

    use super::{registry, sim};

    /// Faults by operation, built without struct literals, and the typed counters: a 503
    /// with `Retry-After` on Skip Pay's whole-order cancel is seen by that operation only.
    #[tokio::test]
    async fn faults_by_operation_with_constructors_and_typed_counters() {
        let sim = sim().await;
        let registry = registry(&sim.base_url());
        let rule = FaultRule::on(
            Operation::SkipPayCancelOrder,
            FaultAction::status_with_retry_after(503, Duration::from_secs(0)),
        );
        sim.sim().faults().add(rule);
        // A Skip Pay cancel with quantities is never resent; a whole-order cancel without
        // them is, so the retries all meet the 503.
        let err = registry
            .cancel("skippay", CancelRequest::whole(demo::skippay::READY))
            .await
            .unwrap_err();
        // A 503 proves nothing; the read-back shows no change yet, which proves nothing
        // either (it may still land): unknown, with the reading before (README, "What proves
        // a change").
        assert_eq!(err.kind(), ErrorKind::Server, "{err}");
        assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
        assert!(err.observed_before().is_some());
        assert_eq!(err.reason(), None);
        let counters = sim.sim().counters().snapshot();
        let order = counters.get(Operation::SkipPayCancelOrder);
        assert!(order.requests() >= 1);
        assert_eq!(order.applied(), 0);
        assert_eq!(counters.get(Operation::SkipPayCancelItems).requests(), 0);
        // The read before (check first) and the read-back after the 503.
        assert_eq!(counters.get(Operation::SkipPayGetApplication).requests(), 2);
    }
}

mod bulk_from_code {
    use rescind::bulk::{Input, Journal, Outcome, Row, Runner};
    use rescind::{CancelStatus, ErrorKind, Provider, Refusal, SettledBy};
    use rescind_sim::demo;

    use super::{registry, sim};

    /// Rows from code, keyed by the caller's ids; each result typed, a refused row's reason a
    /// stable code (not English in `detail`), and the same on a rerun from the journal.
    #[tokio::test]
    async fn typed_results_with_refusal_reasons_kept_across_a_rerun() {
        let sim = sim().await;
        let dir = tempfile::tempdir().unwrap();
        let journal_path = dir.path().join("job.journal.jsonl");
        let rows = || {
            vec![
                Row::cancel("di", demo::di::ORDER_CANCELLABLE).with_key("order-1"),
                Row::cancel("di", demo::di::ORDER_IN_TRANSIT).with_key("order-2"),
                Row::cancel("skippay", demo::skippay::REJECTED).with_key("order-3"),
                Row::hold("di", demo::di::ORDER_NO_DATE, None).with_key("order-4"),
            ]
        };
        let mut runs = Vec::new();
        for _ in 0..2 {
            let input = Input::from_rows(rows());
            let journal = Journal::open(&journal_path, &input).unwrap();
            let report = Runner::new(registry(&sim.base_url()))
                .run(input, journal, |_| {})
                .await
                .unwrap();
            runs.push(report);
        }
        for (run, report) in runs.iter().enumerate() {
            let by_key = |key: &str| {
                report
                    .rows
                    .iter()
                    .find(|r| r.key.as_deref() == Some(key))
                    .unwrap_or_else(|| panic!("run {run}: no row {key}: {report:?}"))
            };
            let done = by_key("order-1");
            assert_eq!(done.outcome, Outcome::Done, "run {run}");
            assert_eq!(done.status, Some(CancelStatus::Cancelled), "run {run}");
            assert_eq!(done.settled_by, Some(SettledBy::Answer), "run {run}");
            assert_eq!(done.provider, Some(Provider::Di), "run {run}");
            assert_eq!(done.reason, None, "run {run}");

            let transit = by_key("order-2");
            assert_eq!(transit.outcome, Outcome::Refused, "run {run}");
            assert_eq!(transit.kind, Some(ErrorKind::NotCancellable), "run {run}");
            assert_eq!(transit.reason, Some(Refusal::InTransit), "run {run}");

            let rejected = by_key("order-3");
            assert_eq!(rejected.outcome, Outcome::Refused, "run {run}");
            assert_eq!(rejected.reason, Some(Refusal::Rejected), "run {run}");

            let hold_at_di = by_key("order-4");
            assert_eq!(hold_at_di.outcome, Outcome::Invalid, "run {run}");
            assert_eq!(hold_at_di.action, "hold", "run {run}");
        }
        assert!(
            runs[1]
                .rows
                .iter()
                .all(|r| r.earlier_run || r.outcome == Outcome::Invalid)
        );
        // The JSON rows give the reason as `refusal`.
        let json = serde_json::to_value(&runs[1].rows).unwrap();
        let refusals: Vec<_> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["refusal"].clone())
            .collect();
        assert!(
            refusals.contains(&serde_json::json!("in_transit")),
            "{json}"
        );
        assert!(refusals.contains(&serde_json::json!("rejected")), "{json}");
    }
}

mod di_clock {
    use rescind::{CancelRequest, Canceller, ErrorKind, Refusal, Sent, di};
    use rescind_sim::{Operation, demo};

    use super::sim;

    /// Di's in-transit rule reads the client's clock, not the wall clock: a client whose clock
    /// says the day before the order's desired delivery date (2099-06-15 in the demo data)
    /// refuses before sending, and one on the demo day cancels.
    #[tokio::test]
    async fn di_in_transit_rule_reads_the_client_clock() {
        let sim = sim().await;
        let client = |now: &str| {
            di::Client::builder()
                .base_url(sim.base_url())
                .credentials(di::Credentials::new(demo::di::USER, demo::di::PASSWORD))
                .clock(rescind::Clock::fixed(now.parse().unwrap()))
                .build()
                .unwrap()
        };
        let late = client("2099-06-14T12:00:00Z");
        let err = late
            .cancel(CancelRequest::whole(demo::di::ORDER_CANCELLABLE))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable, "{err}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.reason(), Some(Refusal::InTransit));
        let counters = sim.sim().counters().snapshot();
        assert_eq!(counters.get(Operation::DiCancelOrder).requests(), 0);

        let today = client(demo::arta::NOW);
        today
            .cancel(CancelRequest::whole(demo::di::ORDER_CANCELLABLE))
            .await
            .unwrap();
    }
}

mod builders {
    use std::time::Duration;

    use rescind::core::{RateLimit, Transport};
    use rescind::{
        CancelOptions, CancelRequest, ErrorKind, HttpClient, Registry, Sent, TransportConfig, arta,
        di, skippay,
    };
    use rescind_sim::{FaultAction, FaultRule, Operation, demo};

    use super::sim;

    const URL: &str = "http://127.0.0.1:9";

    /// The three providers' transports, each built by `f` from its provider's builder.
    fn three(
        arta_f: impl Fn(arta::ClientBuilder) -> arta::ClientBuilder,
        di_f: impl Fn(di::ClientBuilder) -> di::ClientBuilder,
        sp_f: impl Fn(skippay::ClientBuilder) -> skippay::ClientBuilder,
    ) -> [Transport; 3] {
        let a = arta_f(
            arta::Client::builder()
                .api_key(demo::arta::API_KEY)
                .base_url(URL),
        )
        .build()
        .unwrap();
        let d = di_f(
            di::Client::builder()
                .base_url(URL)
                .credentials(di::Credentials::new(demo::di::USER, demo::di::PASSWORD)),
        )
        .build()
        .unwrap();
        let s = sp_f(skippay::Client::builder().base_url(URL).credentials(
            skippay::Credentials::new(demo::skippay::PARTNER, demo::skippay::PASSWORD),
        ))
        .build()
        .unwrap();
        [
            a.transport().clone(),
            d.transport().clone(),
            s.transport().clone(),
        ]
    }

    fn limits(t: &Transport) -> (Option<usize>, Option<RateLimit>, Duration) {
        let c = t.config();
        (c.max_concurrency, c.rate_limit, c.call_timeout)
    }

    /// The same TransportConfig gives the same limits at all three providers (issue 18 point
    /// 4: Arta's builder used to override `max_concurrency(2)` with 15).
    #[test]
    fn the_same_config_gives_the_same_limits_everywhere() {
        let config = TransportConfig::default()
            .with_max_concurrency(2)
            .with_rate_limit(RateLimit::per_minute(100))
            .with_call_timeout(Duration::from_secs(7));
        let ts = three(
            |b| b.config(config.clone()),
            |b| b.config(config.clone()),
            |b| b.config(config.clone()),
        );
        for t in &ts {
            assert_eq!(
                limits(t),
                (
                    Some(2),
                    Some(RateLimit::per_minute(100)),
                    Duration::from_secs(7)
                ),
                "{:?}",
                t.provider()
            );
        }
    }

    /// The builder's setter wins over the config's field, whichever was called first.
    #[test]
    fn a_setter_beats_the_config_in_either_order() {
        let config = TransportConfig::default().with_max_concurrency(2);
        let before = three(
            |b| b.max_concurrency(3).config(config.clone()),
            |b| b.max_concurrency(3).config(config.clone()),
            |b| b.max_concurrency(3).config(config.clone()),
        );
        let after = three(
            |b| b.config(config.clone()).max_concurrency(3),
            |b| b.config(config.clone()).max_concurrency(3),
            |b| b.config(config.clone()).max_concurrency(3),
        );
        for t in before.iter().chain(&after) {
            assert_eq!(t.config().max_concurrency, Some(3), "{:?}", t.provider());
        }
    }

    /// Arta's documented limits are defaults: a config that says nothing about them keeps
    /// them (15 in flight, 970 a minute for a live key; 10 and 485 for a test key), a config
    /// that sets them wins, and `without_rate_limit` removes the pace.
    #[test]
    fn arta_limits_are_defaults_never_overrides() {
        let build = |f: &dyn Fn(arta::ClientBuilder) -> arta::ClientBuilder| {
            f(arta::Client::builder()
                .api_key(demo::arta::API_KEY)
                .base_url(URL))
            .build()
            .unwrap()
            .transport()
            .clone()
        };
        let plain = build(&|b| b);
        assert_eq!(plain.config().max_concurrency, Some(15));
        assert_eq!(plain.config().rate_limit, Some(RateLimit::per_minute(970)));
        let silent = build(&|b| b.config(TransportConfig::default()));
        assert_eq!(silent.config().max_concurrency, Some(15));
        assert_eq!(silent.config().rate_limit, Some(RateLimit::per_minute(970)));
        let test_key = build(&|b| b.key_kind(arta::KeyKind::Test));
        assert_eq!(test_key.config().max_concurrency, Some(10));
        assert_eq!(
            test_key.config().rate_limit,
            Some(RateLimit::per_minute(485))
        );
        let unpaced = build(&|b| b.without_rate_limit().config(TransportConfig::default()));
        assert_eq!(unpaced.config().rate_limit, None);
        assert_eq!(unpaced.config().max_concurrency, Some(15));
    }

    /// One HTTP client shared by every account of a registry built from variables, and the
    /// registry's timeouts reach each client: a held request ends by the registry's call
    /// timeout, not the 90 s default.
    #[tokio::test]
    async fn a_registry_from_variables_takes_settings_from_code() {
        let sim = sim().await;
        let env = rescind_sim::demo_env(&sim.base_url());
        let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let registry: Registry = Registry::builder()
            .http_client(HttpClient::new().unwrap())
            .attempt_timeout(Duration::from_millis(300))
            .call_timeout(Duration::from_millis(800))
            .from_vars(&var)
            .unwrap();
        sim.sim()
            .faults()
            .add(FaultRule::on(Operation::ArtaCancelSession, FaultAction::Hold).times(1));
        let started = std::time::Instant::now();
        let err = registry
            .cancel_with(
                "arta",
                CancelRequest::whole(demo::arta::SESSION_NEW.to_string()),
                CancelOptions::new(),
            )
            .await;
        // The session cancel is idempotent: after the held attempt times out it may be retried
        // or read back; either way the whole call ends by its 800 ms budget (with slack for a
        // loaded machine), never the 90 s default.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}: {err:?}",
            started.elapsed()
        );
        if let Err(err) = err {
            assert!(
                matches!(err.kind(), ErrorKind::Timeout) && err.sent() == Sent::MaybeSent,
                "{err}"
            );
        }
    }
}
