//! The admin endpoints over HTTP, with a plain HTTP client.

use rescind_sim::{Clock, Simulator};
use serde_json::{Value, json};

#[tokio::test]
async fn clock_faults_counters_and_state_over_http() {
    let running = Simulator::new()
        .clock(Clock::fixed("2026-03-29T00:30:00Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base = running.base_url();
    let http = reqwest::Client::new();

    let clock: Value = http
        .get(format!("{base}/__sim/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock, json!({"now": "2026-03-29T00:30:00Z", "fixed": true}));
    let clock: Value = http
        .post(format!("{base}/__sim/clock"))
        .json(&json!({"advance_seconds": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["now"], "2026-03-29T01:30:00Z");
    assert_eq!(
        running.sim().clock().now().to_string(),
        "2026-03-29T01:30:00Z"
    );

    let rule = json!({"method": "PATCH", "path": "/hosted_sessions/*/cancel", "action": {"kind": "drop"}, "apply": true, "times": 1});
    let resp = http
        .post(format!("{base}/__sim/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let faults: Value = http
        .get(format!("{base}/__sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults[0]["path"], "/hosted_sessions/*/cancel");
    assert_eq!(faults[0]["apply"], true);

    let reset = http
        .post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(running.sim().faults().list().is_empty());

    let state: Value = http
        .get(format!("{base}/__sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        state.get("arta").is_some() && state.get("di").is_some() && state.get("skippay").is_some()
    );

    let counters: Value = http
        .get(format!("{base}/__sim/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counters["applied"], json!({}));
    running.shutdown().await;
}
