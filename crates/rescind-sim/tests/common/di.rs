//! The harness of the Di SDK tests (`di_sdk.rs`): the client with fast retries, the fault
//! tests' world (one user, one cancellable order), faults on the cancel, what the simulator
//! counted, and the assertion tails that say whether the order was cancelled, and how often.

#![allow(dead_code)] // each test file uses its own part of it

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::date;
use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelOutcome, CancelRequest, CancelStatus, Canceller, TransportConfig};
use rescind_di::{Client, Credentials};
use rescind_sim::di::{DiOrder, DiUser, DiWorld};
use rescind_sim::{FaultAction, FaultRule, RunningSimulator, Simulator, World};

pub const USER: &str = "wsfoobar";
pub const PASSWORD: &str = "a-very-very-long-password";
pub const CANCEL_PATTERN: &str = "/ws/json/parcel/booking/v-1/order/cancel/*";
pub const DETAILS_PATTERN: &str = "/ws/json/parcel/booking/v-1/details/*";
/// A cancellable order of the fault tests' world.
pub const ORDER: &str = "70724760000000001";

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn fast_config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_millis(300))
}

pub fn client_as(
    running: &RunningSimulator,
    user: &str,
    password: &str,
    config: TransportConfig,
) -> Client {
    Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new(user, password))
        .minutes_valid(60)
        .config(config)
        .build()
        .unwrap()
}

pub fn client(running: &RunningSimulator) -> Client {
    client_as(running, USER, PASSWORD, fast_config())
}

pub fn cancel_hits(running: &RunningSimulator, id: &str) -> u64 {
    running.sim().counters().hit_count(&format!(
        "DELETE /ws/json/parcel/booking/v-1/order/cancel/{id}"
    ))
}

pub fn applied(running: &RunningSimulator, id: &str) -> u64 {
    running
        .sim()
        .counters()
        .applied_count(&format!("di:order:{id}:cancel"))
}

pub fn login_hits(running: &RunningSimulator) -> u64 {
    running
        .sim()
        .counters()
        .hit_count("POST /ws/json/auth/v-3/login/60")
}

pub fn edi_status(running: &RunningSimulator, id: &str) -> String {
    running
        .sim()
        .world()
        .di
        .order(id)
        .unwrap()
        .edi_status
        .as_str()
        .to_owned()
}

/// One user, one cancellable order (desired delivery in 2099).
pub fn fault_world() -> World {
    let mut world = World::default();
    world.di = DiWorld::default()
        .with_user(DiUser::new(USER, PASSWORD, &[1234]))
        .with_order(DiOrder::new(ORDER, 1234).with_desired_delivery_date(date(2099, 1, 1)));
    world
}

pub async fn fault_sim() -> RunningSimulator {
    Simulator::new().seed(fault_world()).start().await.unwrap()
}

pub fn on_cancel(action: FaultAction) -> FaultRule {
    FaultRule::new(CANCEL_PATTERN, action).method("DELETE")
}

/// Asserts the order was cancelled exactly once, after `hits` requests to the cancel.
pub fn assert_cancelled_once(running: &RunningSimulator, hits: u64) {
    assert_eq!(cancel_hits(running, ORDER), hits);
    assert_eq!(applied(running, ORDER), 1);
    assert_eq!(edi_status(running, ORDER), "CANCELLED");
}

pub fn assert_not_cancelled(running: &RunningSimulator, hits: u64) {
    assert_eq!(cancel_hits(running, ORDER), hits);
    assert_eq!(applied(running, ORDER), 0);
    assert_eq!(edi_status(running, ORDER), "EXPORT_OK");
}

/// Di's order details (`GET`) answered with `action`.
pub fn on_details(action: FaultAction) -> FaultRule {
    FaultRule::new(DETAILS_PATTERN, action).method("GET")
}

/// Di's login answered with `action`.
pub fn on_login(action: FaultAction) -> FaultRule {
    FaultRule::new("/ws/json/auth/v-3/login/*", action)
}

/// Asserts the call's outcome is "cancelled", and that the order was cancelled exactly once
/// after `hits` requests to the cancel.
pub fn assert_outcome_cancelled_once(
    outcome: &CancelOutcome,
    running: &RunningSimulator,
    hits: u64,
) {
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert_cancelled_once(running, hits);
}

/// Di's cancel (`DELETE`) answered only after `delay`; the caller says how often.
pub fn on_cancel_delayed(delay: Duration) -> FaultRule {
    FaultRule::delay(CANCEL_PATTERN, delay).method("DELETE")
}

/// Given this fault: the simulator answers by `rule` from now on.
pub fn given(running: &RunningSimulator, rule: FaultRule) {
    running.sim().faults().add(rule);
}

/// The fault tests' simulator, given `rule`.
pub async fn fault_sim_given(rule: FaultRule) -> RunningSimulator {
    let running = fault_sim().await;
    given(&running, rule);
    running
}

/// The demo user's client with `config`.
pub fn client_with(running: &RunningSimulator, config: TransportConfig) -> Client {
    client_as(running, USER, PASSWORD, config)
}

/// A whole cancel of [`ORDER`] through the `Canceller`, by a new client with fast retries.
pub async fn cancel_whole(
    running: &RunningSimulator,
) -> Result<CancelOutcome, rescind_core::Error> {
    client(running).cancel(CancelRequest::whole(ORDER)).await
}
