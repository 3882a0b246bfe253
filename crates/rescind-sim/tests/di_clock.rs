//! The Di client's rules read the client's clock (`ClientBuilder::clock`): given the
//! simulator's fixed clock, the SDK's plain `cancel` and `plan` (no `now` of the caller's)
//! agree with the simulator at the transit boundary, whatever the system time.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::date;
use rescind_core::retry::RetryPolicy;
use rescind_core::{
    CancelRequest, CancelStatus, Canceller, ErrorKind, Refusal, Sent, TransportConfig,
};
use rescind_di::{Client, Credentials};
use rescind_sim::di::{DiOrder, DiUser, DiWorld};
use rescind_sim::{Clock, Simulator, World};

const USER: &str = "wsfoobar";
const PASSWORD: &str = "a-very-very-long-password";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn the_sdk_on_the_simulators_clock_agrees_with_the_simulator() {
    // Desired delivery 2026-03-31: in transit from 2026-03-30 00:00 CEST = 03-29 22:00Z.
    let mut world = World::default();
    world.di = DiWorld::default()
        .with_user(DiUser::new(USER, PASSWORD, &[1234]))
        .with_order(
            DiOrder::new("70724760000000011", 1234).with_desired_delivery_date(date(2026, 3, 31)),
        )
        .with_order(
            DiOrder::new("70724760000000012", 1234).with_desired_delivery_date(date(2026, 3, 31)),
        );
    let running = Simulator::new()
        .seed(world)
        .clock(Clock::fixed(ts("2026-03-29T21:59:59Z")))
        .start()
        .await
        .unwrap();
    let sim_clock = running.sim().clock().clone();
    let client = Client::builder()
        .base_url(running.base_url())
        .credentials(Credentials::new(USER, PASSWORD))
        .minutes_valid(60)
        .config(TransportConfig::default().with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        ))
        .clock(rescind_core::Clock::from_fn({
            let c = sim_clock.clone();
            move || c.now()
        }))
        .build()
        .unwrap();
    assert_eq!(client.now(), ts("2026-03-29T21:59:59Z"));

    // One second before the boundary: the plan says cancel, and the cancel is applied.
    let request = CancelRequest::whole("70724760000000011");
    assert_eq!(client.plan(&request).await.prediction.as_str(), "cancel");
    let outcome = client.cancel(request).await.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);

    // At the boundary (both clocks moved together): the SDK refuses before sending, with
    // the reason the simulator would give (`order.exported`: in transit).
    sim_clock.set(ts("2026-03-29T22:00:00Z"));
    let request = CancelRequest::whole("70724760000000012");
    let plan = client.plan(&request).await;
    assert_eq!(
        serde_json::to_value(&plan.prediction).unwrap()["reason"],
        "in_transit"
    );
    let err = client.cancel(request).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.sent(), err.reason()),
        (
            ErrorKind::NotCancellable,
            Sent::NotSent,
            Some(Refusal::InTransit)
        )
    );
    let applied = running.sim().counters().snapshot().applied;
    assert_eq!(applied.len(), 1, "{applied:?}");
}
