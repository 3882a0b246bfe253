//! The harness of the Skip Pay SDK tests (`skippay_sdk.rs`): the simulator, the client with
//! fast retries, the demo orders, faults on the order cancel, and what the simulator counted
//! and stores, read back for the assertions.

#![allow(dead_code)] // each test file uses its own part of it

use std::str::FromStr;
use std::time::Duration;

use rescind_core::TransportConfig;
use rescind_core::retry::RetryPolicy;
use rescind_core::rust_decimal::Decimal;
use rescind_sim::{FaultAction, FaultRule, RunningSimulator, Simulator};
use rescind_skippay::model::{CancelItem, Order, OrderCancelRequest, OrderState};
use rescind_skippay::{Client, Credentials};

// The demo's applications, as the simulator names them.
pub use rescind_sim::demo::skippay::READY_TWO_ITEMS as READY_TWO;
pub use rescind_sim::demo::skippay::{
    CANCELLED, ORDER_CANCELLED, PROCESSING, READY, REJECTED, SHIPPED, VALIDATING,
};

pub const ORDER_CANCEL: &str = "/financing/v1/applications/*/order/cancel";

pub fn fast(c: TransportConfig) -> TransportConfig {
    c.with_retry(
        RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
    )
    .with_attempt_timeout(Duration::from_millis(500))
}

pub fn client(running: &RunningSimulator) -> Client {
    client_with(running, fast)
}

pub fn client_with(
    running: &RunningSimulator,
    config: impl FnOnce(TransportConfig) -> TransportConfig,
) -> Client {
    Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new("eShop", "eShopSecretPassword"))
        .configure(config)
        .build()
        .unwrap()
}

pub async fn start() -> RunningSimulator {
    Simulator::new().start().await.unwrap()
}

pub fn hits(running: &RunningSimulator, method: &str, id: &str, suffix: &str) -> u64 {
    running
        .sim()
        .counters()
        .hit_count(&format!("{method} /financing/v1/applications/{id}{suffix}"))
}

pub fn puts(running: &RunningSimulator, id: &str) -> u64 {
    hits(running, "PUT", id, "/order/cancel")
}

pub fn applied(running: &RunningSimulator, key: &str) -> u64 {
    running.sim().counters().applied_count(key)
}

/// The order as the simulator stores it (its own types, not the client's).
pub fn order_of(running: &RunningSimulator, id: &str) -> rescind_sim::skippay::Order {
    running
        .sim()
        .world()
        .skippay
        .application(id)
        .unwrap()
        .order
        .clone()
}

/// (state, quantity) of the lines with `code`.
pub fn lines(order: &Order, code: &str) -> Vec<(OrderState, Decimal)> {
    order
        .items
        .iter()
        .filter(|i| i.code.as_deref() == Some(code))
        .map(|i| (i.state.clone().unwrap(), i.quantity.unwrap()))
        .collect()
}

/// (state, quantity) of the lines with `code`, in the simulator's stored order.
pub fn sim_lines(order: &rescind_sim::skippay::Order, code: &str) -> Vec<(OrderState, Decimal)> {
    order
        .items
        .iter()
        .filter(|i| i.code.as_deref() == Some(code))
        .map(|i| (OrderState::from(i.state.as_str()), i.quantity))
        .collect()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn untouched(running: &RunningSimulator, id: &str) {
    let order = order_of(running, id);
    assert!(
        order
            .items
            .iter()
            .all(|i| i.state == rescind_sim::skippay::OrderState::Processing),
        "{order:?}"
    );
    assert_eq!(
        running.sim().counters().snapshot().applied.len(),
        0,
        "nothing applied"
    );
}

/// A client whose attempts may take 5 s, so that a slow answer is not taken for a lost one.
pub fn patient_client(running: &RunningSimulator) -> Client {
    client_with(running, |c| {
        fast(c).with_attempt_timeout(Duration::from_secs(5))
    })
}

/// A 429 naming `wait` in its `Retry-After`.
pub fn throttled_for(wait: Duration) -> FaultAction {
    FaultAction::status_with_retry_after(429, wait)
}

/// Skip Pay's order cancel (`PUT .../order/cancel`) answered with `action`; the caller says
/// how often (`.times(n)`) and when (`.after_apply()`).
pub fn order_cancel(action: FaultAction) -> FaultRule {
    FaultRule::new(ORDER_CANCEL, action).method("PUT")
}

/// Skip Pay's order cancel answered only after `delay`; the caller says how often.
pub fn order_cancel_delayed(delay: Duration) -> FaultRule {
    FaultRule::delay(ORDER_CANCEL, delay).method("PUT")
}

/// Given this fault: the simulator answers by `rule` from now on.
pub fn given(running: &RunningSimulator, rule: FaultRule) {
    running.sim().faults().add(rule);
}

/// A cancel of `quantity` of the line `code` (a change that is not idempotent).
pub fn quantity(code: &str, quantity: &str) -> OrderCancelRequest {
    OrderCancelRequest::items(vec![CancelItem::by_code(code).quantity(dec(quantity))])
}

/// How many times the simulator applied `change` (`cancel`, `reduce`) to line `code` of `id`.
pub fn item_applied(running: &RunningSimulator, id: &str, code: &str, change: &str) -> u64 {
    applied(running, &format!("skippay:item:{id}/{code}:{change}"))
}

/// How many times the simulator applied a whole cancel of order `id`.
pub fn order_applied(running: &RunningSimulator, id: &str) -> u64 {
    applied(running, &format!("skippay:order:{id}:cancel"))
}
