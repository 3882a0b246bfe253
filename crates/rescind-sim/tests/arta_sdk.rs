//! The SDK's Arta client (`rescind-arta`) against the simulator, end to end: every
//! operation, every refusal, and every fault kind on the cancel and on the hold.

use std::time::Duration;

use rescind_arta::model::{ExceptionStatus, HostedSessionStatus, NewShipmentException};
use rescind_arta::{Client, HoldSettled};
use rescind_core::jiff::civil::{Date, date};
use rescind_core::retry::RetryPolicy;
use rescind_core::{
    CancelRequest, CancelStatus, Canceller, ErrorKind, ItemSelector, Sent, TransportConfig,
};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW, demo};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};

const CANCEL_PATH: &str = "/hosted_sessions/*/cancel";
const HOLD_PATH: &str = "/shipment_exceptions";
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

/// Fast retries; an attempt timeout generous enough for a loaded test machine.
fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_secs(10))
}

/// Fast retries and a short attempt timeout, for the delay faults.
fn short_timeout() -> TransportConfig {
    config().with_attempt_timeout(ATTEMPT_TIMEOUT)
}

fn client_with(running: &RunningSimulator, key: &str, config: TransportConfig) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(running.base_url())
        .config(config)
        .build()
        .unwrap()
}

fn client(running: &RunningSimulator) -> Client {
    client_with(running, DEMO_API_KEY, config())
}

fn hits(running: &RunningSimulator, route: &str) -> u64 {
    running.sim().counters().hit_count(route)
}

fn applied(running: &RunningSimulator, key: &str) -> u64 {
    running.sim().counters().applied_count(key)
}

fn cancels_of_42(running: &RunningSimulator) -> u64 {
    applied(running, "arta:hosted_session:42:cancel")
}

fn holds_of(running: &RunningSimulator, shipment: &str) -> u64 {
    applied(running, &format!("arta:shipment:{shipment}:hold"))
}

async fn status_of_42(running: &RunningSimulator) -> HostedSessionStatus {
    client(running)
        .get_hosted_session(demo::SESSION_NEW)
        .await
        .unwrap()
        .status
        .clone()
}

const PATCH_42: &str = "PATCH /hosted_sessions/42/cancel";
const POST_HOLD: &str = "POST /shipment_exceptions";

fn get_shipment_route(id: &str) -> String {
    format!("GET /shipments/{id}")
}

const DEC_1: Date = date(2026, 12, 1);

// ---- every operation ------------------------------------------------------------------------

#[tokio::test]
async fn every_native_operation() {
    let running = start().await;
    let c = client(&running);

    let s = c.get_hosted_session(42).await.unwrap();
    assert_eq!(s.status, HostedSessionStatus::New);
    assert!(s.request_id.as_deref().unwrap().starts_with("Fsim"));

    let s = c.cancel_hosted_session(42).await.unwrap();
    assert_eq!(s.status, HostedSessionStatus::Cancelled);
    assert_eq!(s.http_status, 200);
    assert!(s.request_id.is_some());
    assert_eq!(cancels_of_42(&running), 1);

    let sh = c.get_shipment(demo::PENDING).await.unwrap();
    assert_eq!(sh.status.as_str(), "pending");
    assert_eq!(sh.exceptions.len(), 1);

    let e = c
        .create_shipment_exception(&NewShipmentException::hold(demo::PENDING).until(DEC_1))
        .await
        .unwrap();
    assert_eq!(e.http_status, 201);
    assert_eq!(e.status, ExceptionStatus::New);
    assert_eq!(e.hold_until, Some(DEC_1));
    assert_eq!(e.shipment_id.as_deref(), Some(demo::PENDING));
    assert!(e.is_active_hold());

    let read = c.get_shipment_exception(&e.id).await.unwrap();
    assert_eq!(read.value, e.value);

    let page = c.list_shipment_exceptions(1, 2).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.metadata.total_count, 3);
    assert!(page.has_more());
    let last = c.list_shipment_exceptions(2, 2).await.unwrap();
    assert_eq!(last.items.len(), 1);
    assert!(!last.has_more());

    let sh = c.get_shipment(demo::PENDING).await.unwrap();
    assert_eq!(sh.exceptions.len(), 2);
    assert!(sh.exceptions.iter().any(|x| x.id == e.id));

    let err = c.get_hosted_session(999).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.provider_message(), Some("Not Found"));
    assert!(err.request_id().is_some());
    let err = c.get_shipment("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = c.get_shipment_exception("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_changes_nothing() {
    let running = start().await;
    let c = client_with(&running, "not-the-key", config());
    let err = c.cancel(CancelRequest::whole("42")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.provider_message(), Some("Unauthorized"));
    assert!(err.request_id().is_some());
    assert_eq!(hits(&running, "GET /hosted_sessions/42"), 1);
    assert_eq!(hits(&running, PATCH_42), 0);
    let err = c
        .cancel(CancelRequest::hold(demo::PENDING, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(hits(&running, POST_HOLD), 0);
    assert_eq!(status_of_42(&running).await, HostedSessionStatus::New);
}

// ---- the Canceller: whole cancels -----------------------------------------------------------

#[tokio::test]
async fn whole_cancels_through_the_trait() {
    let running = start().await;
    let c: Box<dyn Canceller> = Box::new(client(&running));

    let out = c.cancel(CancelRequest::whole("42")).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert!(out.request_id.is_some());
    assert_eq!(cancels_of_42(&running), 1);
    assert_eq!(hits(&running, PATCH_42), 1);

    // Again: read first, already cancelled, nothing sent.
    let out = c.cancel(CancelRequest::whole("42")).await.unwrap();
    assert_eq!(out.status, CancelStatus::AlreadyCancelled);
    assert_eq!(hits(&running, PATCH_42), 1);
    assert_eq!(cancels_of_42(&running), 1);

    let out = c.cancel(CancelRequest::whole("43")).await.unwrap();
    assert_eq!(out.status, CancelStatus::AlreadyCancelled);
    assert_eq!(hits(&running, "PATCH /hosted_sessions/43/cancel"), 0);

    // Closed: Arta refuses (422); the client reads back and reports the refusal.
    let err = c.cancel(CancelRequest::whole("44")).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.sent(), Sent::Answered);
    assert!(err.to_string().contains("closed"), "{err}");
    assert_eq!(hits(&running, "PATCH /hosted_sessions/44/cancel"), 1);
    assert_eq!(hits(&running, "GET /hosted_sessions/44"), 2);

    let err = c.cancel(CancelRequest::whole("999")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(hits(&running, "PATCH /hosted_sessions/999/cancel"), 0);

    // Refused before sending.
    let before = running.sim().counters().snapshot().hits;
    let err = c.cancel(CancelRequest::whole("abc")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.sent(), Sent::NotSent);
    let err = c
        .cancel(CancelRequest::items("42", vec![ItemSelector::by_code("x")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(running.sim().counters().snapshot().hits, before);
}

// ---- the Canceller: holds -------------------------------------------------------------------

#[tokio::test]
async fn holds_through_the_trait() {
    let running = start().await;
    let c: Box<dyn Canceller> = Box::new(client(&running));

    let out = c
        .cancel(CancelRequest::hold(demo::PENDING, Some(DEC_1)))
        .await
        .unwrap();
    assert_eq!(out.status, CancelStatus::Held { until: Some(DEC_1) });
    assert!(out.request_id.is_some());
    assert_eq!(holds_of(&running, demo::PENDING), 1);

    // Day 30 after creation (2026-11-20) is allowed, on both sides.
    let out = c
        .cancel(CancelRequest::hold(
            demo::CONFIRMED,
            Some(date(2026, 12, 18)),
        ))
        .await
        .unwrap();
    assert!(matches!(out.status, CancelStatus::Held { .. }));

    // The seed's existing hold: reported, nothing posted.
    let posts = hits(&running, POST_HOLD);
    let out = c
        .cancel(CancelRequest::hold(demo::HELD, None))
        .await
        .unwrap();
    assert_eq!(
        out.status,
        CancelStatus::Held {
            until: Some(date(2026, 12, 10))
        }
    );
    assert!(out.note.is_some());
    assert_eq!(hits(&running, POST_HOLD), posts);
    assert_eq!(holds_of(&running, demo::HELD), 0);
}

#[tokio::test]
async fn hold_refusals() {
    let running = start().await;
    let c: Box<dyn Canceller> = Box::new(client(&running));

    // Refused by the client's own rules, before posting.
    for (shipment, until, kind) in [
        (demo::IN_TRANSIT, None, ErrorKind::NotCancellable),
        (demo::COMPLETED, Some(DEC_1), ErrorKind::NotCancellable),
        (
            demo::PENDING,
            Some(date(2026, 12, 21)),
            ErrorKind::InvalidInput,
        ),
        (demo::PENDING_OLD, Some(DEC_1), ErrorKind::InvalidInput),
    ] {
        let err = c
            .cancel(CancelRequest::hold(shipment, until))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{shipment}: {err}");
        assert_eq!(err.sent(), Sent::NotSent, "{shipment}");
    }
    assert_eq!(hits(&running, POST_HOLD), 0);

    // A past date inside the window: neither the client nor the simulator refuses it (Arta
    // documents no such rule); the hold is created and reported held until that date.
    let outcome = c
        .cancel(CancelRequest::hold(demo::PENDING, Some(date(2026, 11, 23))))
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        CancelStatus::Held {
            until: Some(date(2026, 11, 23))
        },
        "{outcome:?}"
    );
    assert!(outcome.request_id.is_some());
    assert_eq!(hits(&running, POST_HOLD), 1);

    // The server's own refusals, met by the native create (which checks only formats).
    let native = client(&running);
    let err = native
        .create_shipment_exception(&NewShipmentException::hold(demo::IN_TRANSIT))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.field(), Some("shipment_id"));
    assert!(err.to_string().contains("pending or confirmed"), "{err}");
    let err = native
        .create_shipment_exception(
            &NewShipmentException::hold(demo::PENDING).until(date(2026, 12, 21)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("hold_until"));
    let err = native
        .create_shipment_exception(&NewShipmentException::hold("no-such-shipment"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider_message(), Some("does not exist"));
    let err = native.list_shipment_exceptions(1, 51).await.unwrap_err();
    assert_eq!(err.sent(), Sent::NotSent);
    // Only the hold with a past date above was applied.
    assert_eq!(running.sim().counters().snapshot().applied.len(), 1);

    // A shipment moved on by the carrier after the client read it: the simulator refuses.
    running.sim().with_world(|_| ()); // (state is changed through the admin endpoint below)
    let http = reqwest::Client::new();
    let resp = http
        .post(format!(
            "{}/__sim/arta/shipments/{}/status",
            running.base_url(),
            demo::CONFIRMED
        ))
        .json(&serde_json::json!({"status": "collected"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let err = c
        .cancel(CancelRequest::hold(demo::CONFIRMED, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
}

// ---- faults on the cancel (idempotent: the SDK may resend) ----------------------------------

/// Runs a whole cancel of session 42 with `rule` in force and returns the result.
async fn cancel_with(
    running: &RunningSimulator,
    rule: FaultRule,
    config: TransportConfig,
) -> Result<rescind_core::CancelOutcome, rescind_core::Error> {
    running.sim().faults().add(rule.method("PATCH"));
    client_with(running, DEMO_API_KEY, config)
        .cancel(CancelRequest::whole("42"))
        .await
}

#[tokio::test]
async fn cancel_retries_429_with_retry_after() {
    let running = start().await;
    let rule = FaultRule::new(
        CANCEL_PATH,
        FaultAction::status_with_retry_after(429, std::time::Duration::from_secs(1)),
    )
    .times(1);
    let started = std::time::Instant::now();
    let out = cancel_with(&running, rule, config()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert_eq!(hits(&running, PATCH_42), 2);
    assert_eq!(cancels_of_42(&running), 1);
}

#[tokio::test]
async fn cancel_retries_5xx_and_reports_when_they_persist() {
    for status in [500, 502, 503] {
        let running = start().await;
        let rule = FaultRule::new(CANCEL_PATH, FaultAction::status(status)).times(1);
        let out = cancel_with(&running, rule, config()).await.unwrap();
        assert_eq!(out.status, CancelStatus::Cancelled, "{status}");
        assert_eq!(hits(&running, PATCH_42), 2, "{status}");
        assert_eq!(cancels_of_42(&running), 1, "{status}");
    }

    // Every attempt 503: a 5xx proves nothing about a change, so the session is read back
    // (unchanged) and the error says the outcome is unknown; it is not sent a fourth time.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::status(503));
    let err = cancel_with(&running, rule, config()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.observed_before().is_some(), "{err}");
    assert!(
        err.to_string()
            .contains("check with `rescind arta show-session 42`"),
        "{err}"
    );
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 3);
    assert_eq!(hits(&running, PATCH_42), 3);
    assert_eq!(cancels_of_42(&running), 0);
    running.sim().faults().clear();
    assert_eq!(status_of_42(&running).await, HostedSessionStatus::New);
}

#[tokio::test]
async fn cancel_after_a_delay_past_the_attempt_timeout() {
    let running = start().await;
    let rule = FaultRule::delay(CANCEL_PATH, ATTEMPT_TIMEOUT * 3).times(1);
    let out = cancel_with(&running, rule, short_timeout()).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert_eq!(hits(&running, PATCH_42), 2, "timed out, then resent");
    // Whether or not the slow first attempt was applied too, the session changed once.
    tokio::time::sleep(ATTEMPT_TIMEOUT * 4).await;
    assert_eq!(cancels_of_42(&running), 1);
}

#[tokio::test]
async fn cancel_after_a_drop_before_the_answer() {
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Drop).times(1);
    let out = cancel_with(&running, rule, config()).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert_eq!(hits(&running, PATCH_42), 2);
    assert_eq!(cancels_of_42(&running), 1);
}

#[tokio::test]
async fn cancel_after_a_drop_after_apply_is_applied_exactly_once() {
    // Once: the resend meets a cancelled session, which answers 200 unchanged.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Drop)
        .after_apply()
        .times(1);
    let out = cancel_with(&running, rule, config()).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert_eq!(hits(&running, PATCH_42), 2);
    assert_eq!(cancels_of_42(&running), 1);

    // Every time: the SDK gives up resending, reads back and settles it as cancelled.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Drop).after_apply();
    let out = cancel_with(&running, rule, config()).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert!(
        out.note
            .as_deref()
            .unwrap()
            .contains("reading the session back")
    );
    assert_eq!(hits(&running, PATCH_42), 3);
    assert_eq!(hits(&running, "GET /hosted_sessions/42"), 2);
    assert_eq!(cancels_of_42(&running), 1);
}

#[tokio::test]
async fn cancel_drops_every_time_without_applying_is_maybe_sent() {
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Drop);
    let err = cancel_with(&running, rule, config()).await.unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(hits(&running, PATCH_42), 3);
    assert_eq!(hits(&running, "GET /hosted_sessions/42"), 2, "read back");
    assert_eq!(cancels_of_42(&running), 0);
}

#[tokio::test]
async fn cancel_answers_that_cannot_be_read() {
    // Malformed JSON, an empty body, an oversized body: 200s that are not the documented
    // success answer prove nothing (rescind_core::change). Not retried by the transport (an
    // answer came); the read back finds nothing applied, so the idempotent cancel is sent once
    // more, and that one is answered.
    let limits = config().with_body_limits(64 * 1024, 16 * 1024);
    for action in [
        FaultAction::MalformedJson,
        FaultAction::Empty,
        FaultAction::oversized(256 * 1024),
    ] {
        let running = start().await;
        let rule = FaultRule::new(CANCEL_PATH, action.clone()).times(1);
        let outcome = cancel_with(&running, rule, limits.clone()).await.unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{action:?}");
        assert!(
            outcome
                .note
                .as_deref()
                .unwrap_or("")
                .contains("sent once more"),
            "{action:?}: {outcome:?}"
        );
        assert_eq!(hits(&running, PATCH_42), 2, "{action:?}");
        assert_eq!(hits(&running, "GET /hosted_sessions/42"), 2, "read back");
        assert_eq!(cancels_of_42(&running), 1, "{action:?}");
    }

    // The same after the change was applied: reading the session back settles it.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::MalformedJson)
        .after_apply()
        .times(1);
    let outcome = cancel_with(&running, rule, config()).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(outcome.settled_by_read_back());
    assert_eq!(hits(&running, PATCH_42), 1);
    assert_eq!(cancels_of_42(&running), 1);
    assert_eq!(status_of_42(&running).await, HostedSessionStatus::Cancelled);
}

#[tokio::test]
async fn cancel_behind_an_html_error_page() {
    // One 502 HTML page from a proxy: retried.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Html).times(1);
    let out = cancel_with(&running, rule, config()).await.unwrap();
    assert_eq!(out.status, CancelStatus::Cancelled);
    assert_eq!(hits(&running, PATCH_42), 2);

    // Always: a server error that keeps the raw page and says it is not Arta's shape.
    let running = start().await;
    let rule = FaultRule::new(CANCEL_PATH, FaultAction::Html);
    let err = cancel_with(&running, rule, config()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().contains("not its JSON"), "{err}");
    assert_eq!(cancels_of_42(&running), 0);
}

// ---- faults on the hold (not idempotent: the SDK never re-POSTs blindly) --------------------

async fn hold_with(
    running: &RunningSimulator,
    rule: FaultRule,
    config: TransportConfig,
) -> Result<rescind_arta::Hold, rescind_core::Error> {
    running.sim().faults().add(rule.method("POST"));
    client_with(running, DEMO_API_KEY, config)
        .hold_shipment(demo::PENDING, Some(DEC_1))
        .await
}

#[tokio::test]
async fn hold_retries_a_429_which_applied_nothing() {
    let running = start().await;
    let rule = FaultRule::new(
        HOLD_PATH,
        FaultAction::status_with_retry_after(429, std::time::Duration::from_secs(1)),
    )
    .times(1);
    let hold = hold_with(&running, rule, config()).await.unwrap();
    assert_eq!(hold.settled, HoldSettled::Created);
    assert_eq!(hits(&running, POST_HOLD), 2);
    assert_eq!(holds_of(&running, demo::PENDING), 1);
}

#[tokio::test]
async fn hold_does_not_resend_after_5xx() {
    for status in [500, 502, 503] {
        let running = start().await;
        let rule = FaultRule::new(HOLD_PATH, FaultAction::status(status)).times(1);
        let err = hold_with(&running, rule, config()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{status}");
        // A 5xx proves nothing: the read-back shows no hold (yet), the outcome is unknown.
        assert_eq!(err.sent(), Sent::MaybeSent, "{status}");
        assert!(err.observed_before().is_some(), "{status}");
        assert_eq!(hits(&running, POST_HOLD), 1, "{status}: never resent");
        assert_eq!(holds_of(&running, demo::PENDING), 0, "{status}");
    }
}

#[tokio::test]
async fn hold_after_a_drop_before_the_answer_stays_maybe_sent() {
    let running = start().await;
    let rule = FaultRule::new(HOLD_PATH, FaultAction::Drop).times(1);
    let err = hold_with(&running, rule, config()).await.unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(
        err.to_string().contains("no new requested_hold_to_collect"),
        "{err}"
    );
    assert_eq!(hits(&running, POST_HOLD), 1, "never resent");
    assert_eq!(
        hits(&running, &get_shipment_route(demo::PENDING)),
        2,
        "read back"
    );
    assert_eq!(holds_of(&running, demo::PENDING), 0);
}

#[tokio::test]
async fn hold_after_a_drop_after_apply_is_found_by_reading_back() {
    let running = start().await;
    let rule = FaultRule::new(HOLD_PATH, FaultAction::Drop)
        .after_apply()
        .times(1);
    let hold = hold_with(&running, rule, config()).await.unwrap();
    assert_eq!(hold.settled, HoldSettled::FoundAfterUnknownOutcome);
    assert_eq!(hold.until(), Some(DEC_1));
    assert_eq!(hold.exception.shipment_id.as_deref(), Some(demo::PENDING));
    assert_eq!(hits(&running, POST_HOLD), 1);
    assert_eq!(holds_of(&running, demo::PENDING), 1, "exactly once");

    // Through the trait, a second hold to the same date finds it and posts nothing.
    let out = client(&running)
        .cancel(CancelRequest::hold(demo::PENDING, Some(DEC_1)))
        .await
        .unwrap();
    assert_eq!(out.status, CancelStatus::Held { until: Some(DEC_1) });
    assert_eq!(hits(&running, POST_HOLD), 1);
    assert_eq!(holds_of(&running, demo::PENDING), 1);
}

#[tokio::test]
async fn hold_after_a_delay_past_the_attempt_timeout_ends_held_once() {
    let running = start().await;
    let rule = FaultRule::delay(HOLD_PATH, ATTEMPT_TIMEOUT * 2).times(1);
    let first = hold_with(&running, rule, short_timeout()).await;
    assert_eq!(hits(&running, POST_HOLD), 1, "never resent");
    match &first {
        Err(err) => assert_eq!(err.sent(), Sent::MaybeSent),
        Ok(hold) => assert_eq!(hold.settled, HoldSettled::FoundAfterUnknownOutcome),
    }
    // Let the slow request finish (or not), then ask again: one hold in the end.
    tokio::time::sleep(ATTEMPT_TIMEOUT * 3).await;
    let again = client(&running)
        .hold_shipment(demo::PENDING, Some(DEC_1))
        .await
        .unwrap();
    let applied = holds_of(&running, demo::PENDING);
    assert_eq!(applied, 1);
    let shipment = client(&running).get_shipment(demo::PENDING).await.unwrap();
    let active = shipment
        .exceptions
        .iter()
        .filter(|e| e.is_active_hold())
        .count();
    assert_eq!(active, 1);
    assert!(matches!(
        again.settled,
        HoldSettled::AlreadyHeld | HoldSettled::Created
    ));
}

#[tokio::test]
async fn hold_answers_that_cannot_be_read() {
    let limits = config().with_body_limits(64 * 1024, 16 * 1024);
    for action in [
        FaultAction::MalformedJson,
        FaultAction::Empty,
        FaultAction::oversized(256 * 1024),
    ] {
        let running = start().await;
        let rule = FaultRule::new(HOLD_PATH, action.clone()).times(1);
        let err = hold_with(&running, rule, limits.clone()).await.unwrap_err();
        // Accepted (200) but unreadable: unknown, settled by reading the shipment back,
        // which shows no hold.
        assert_eq!(err.sent(), Sent::MaybeSent, "{action:?}: {err}");
        assert_eq!(hits(&running, POST_HOLD), 1, "{action:?}");
        assert_eq!(holds_of(&running, demo::PENDING), 0, "{action:?}");
    }
    let running = start().await;
    let rule = FaultRule::new(HOLD_PATH, FaultAction::Html).times(1);
    let err = hold_with(&running, rule, config()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        hits(&running, POST_HOLD),
        1,
        "a 502 on a POST is not resent"
    );
    assert_eq!(holds_of(&running, demo::PENDING), 0);
}
