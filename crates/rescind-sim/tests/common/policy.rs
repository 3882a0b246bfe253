//! The harness shared by the policy tests (`policy_requests.rs`, `break17.rs`): one client per
//! provider on the in-process simulator, with a given [`Policy`], fast retries, and the demo
//! data's targets.

#![allow(dead_code)] // each test file uses its own part of it

use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{Canceller, Policy, TransportConfig};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, RunningSimulator, Simulator};

pub const DI_CANCELLABLE: &str = "70724760000000101";
pub const DI_IN_TRANSIT: &str = "70724760000000102";
pub const DI_CANCELLED: &str = "70724760000000104";
pub const SP_READY: &str = "11200a0ee1";
pub const SP_READY_TWO: &str = "11200a0ee2";
pub const SP_PROCESSING: &str = "11200a0ee3";
pub const SP_CANCELLED: &str = "11200a0ee6";
pub const SP_ORDER_CANCELLED: &str = "11200a0ee8";

/// Retries a millisecond apart, so that tests of faults are quick.
pub fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_secs(10))
}

/// Which provider's client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Arta,
    Di,
    SkipPay,
}

/// A client of `who` on `running`, with `policy`.
pub fn canceller(who: Who, running: &RunningSimulator, policy: Policy) -> Box<dyn Canceller> {
    match who {
        Who::Arta => Box::new(
            rescind_arta::Client::builder()
                .api_key(DEMO_API_KEY)
                .base_url(running.base_url())
                .config(config())
                .policy(policy)
                .build()
                .unwrap(),
        ),
        Who::Di => {
            let (user, password) = rescind_sim::di::DEMO_USER;
            Box::new(
                rescind_di::Client::builder()
                    .base_url(running.base_url())
                    .credentials(rescind_di::Credentials::new(user, password))
                    .config(config())
                    .policy(policy)
                    .build()
                    .unwrap(),
            )
        }
        Who::SkipPay => {
            let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
            Box::new(
                rescind_skippay::Client::builder()
                    .base_url(running.base_url())
                    .credentials(rescind_skippay::Credentials::new(user, password))
                    .configure(|_| config())
                    .policy(policy)
                    .build()
                    .unwrap(),
            )
        }
    }
}

/// The simulator with the demo data, its clock fixed at the demo's "now".
pub async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}
