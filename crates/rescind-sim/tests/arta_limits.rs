//! Arta's documented rate limits in the simulator, over plain HTTP: per key, 15 calls in
//! flight and 1,000 a minute for a live key, 10 and 500 for a test key; past them, 429 in
//! Arta's error envelope.

use std::time::Duration;

use rescind_sim::arta::{DEMO_API_KEY, RateLimits};
use rescind_sim::{RunningSimulator, Simulator, World};
use serde_json::Value;

const TEST_KEY: &str = "sim_arta_test_key_0123456789";

async fn start(limits: RateLimits) -> RunningSimulator {
    let mut world = World::demo();
    world.arta.test_api_keys.push(TEST_KEY.into());
    world.arta.rate_limits = limits;
    Simulator::new().seed(world).start().await.unwrap()
}

/// `n` reads of hosted session 42 with `key`, all sent at once on their own connections:
/// (status, Retry-After, request id, body) of each.
async fn burst(
    running: &RunningSimulator,
    key: &str,
    n: usize,
) -> Vec<(u16, Option<String>, bool, Value)> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let url = format!("{}/hosted_sessions/42", running.base_url());
        let auth = format!("ARTA_APIKey {key}");
        set.spawn(async move {
            // One client per call: no connection is shared, every call is in flight at once.
            let resp = reqwest::Client::new()
                .get(url)
                .header("authorization", auth)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let request_id = resp.headers().contains_key("x-arta-request-id");
            let body: Value = resp.json().await.unwrap();
            (status, retry_after, request_id, body)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

/// Calls stay in flight long enough that all of a burst meets: the refused ones answer at
/// once, the accepted ones after the hold.
const HOLD_MS: u64 = 1_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_concurrent_calls_on_a_test_key_get_429s_past_the_tenth() {
    let running = start(RateLimits::documented().with_hold_ms(HOLD_MS)).await;
    let answers = burst(&running, TEST_KEY, 30).await;
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    assert_eq!(ok, 10, "{answers:?}");
    assert_eq!(refused.len(), 20, "{answers:?}");
    for (_, retry_after, request_id, body) in refused {
        let detail = body["errors"]["detail"].as_str().unwrap();
        assert!(detail.contains("10 concurrent calls"), "{detail}");
        assert!(retry_after.is_none(), "no time is known for a slot to free");
        assert!(request_id, "every Arta answer has a request id");
    }
    // Once they ended, the key is free again.
    let again = burst(&running, TEST_KEY, 1).await;
    assert_eq!(again[0].0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_key_has_fifteen_calls_in_flight() {
    let running = start(RateLimits::documented().with_hold_ms(HOLD_MS)).await;
    let answers = burst(&running, DEMO_API_KEY, 20).await;
    assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 15);
    assert_eq!(answers.iter().filter(|a| a.0 == 429).count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_minute_limit_of_a_test_key_is_500_and_resets_with_the_minute() {
    // A minute of 20 s: the 500 calls take far less on any machine, and the reset is seen by
    // waiting for the `Retry-After` the simulator gives when asked to (Arta documents none).
    let running = start(
        RateLimits::documented()
            .with_minute_ms(20_000)
            .with_retry_after(true),
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/hosted_sessions/42", running.base_url());
    let auth = format!("ARTA_APIKey {TEST_KEY}");
    for i in 0..500 {
        let resp = client
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "call {i}");
    }
    let resp = client
        .get(&url)
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["errors"]["detail"]
            .as_str()
            .unwrap()
            .contains("500 calls in the last minute")
    );
    // The live demo key is not affected by the test key's minute.
    let resp = client
        .get(&url)
        .header("authorization", format!("ARTA_APIKey {DEMO_API_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_minute_resets_the_count() {
    // A minute of 3 s: 10 callers (the test key's concurrency) reach 500 calls well inside it,
    // then a caller that waits for `Retry-After` is served again.
    let running = start(
        RateLimits::documented()
            .with_minute_ms(3_000)
            .with_retry_after(true),
    )
    .await;
    let url = format!("{}/hosted_sessions/42", running.base_url());
    let auth = format!("ARTA_APIKey {TEST_KEY}");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (url, auth) = (url.clone(), auth.clone());
        set.spawn(async move {
            let client = reqwest::Client::new();
            for _ in 0..100 {
                let resp = client
                    .get(&url)
                    .header("authorization", &auth)
                    .send()
                    .await
                    .unwrap();
                if resp.status() == 429 {
                    let header = resp.headers().get("retry-after").cloned();
                    return header.map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                }
                assert_eq!(resp.status(), 200);
            }
            None
        });
    }
    let mut waits = Vec::new();
    while let Some(r) = set.join_next().await {
        waits.extend(r.unwrap());
    }
    // 1,000 calls were tried against a limit of 500: some were refused, each saying when to
    // come back (at most the 3 s minute).
    assert!(
        !waits.is_empty(),
        "no 429 for 1,000 calls against a limit of 500"
    );
    let wait = waits.into_iter().max().unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let resp = reqwest::Client::new()
        .get(&url)
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_off_serve_every_call_and_an_unknown_key_is_401_not_429() {
    let running = start(RateLimits::off().with_hold_ms(0)).await;
    let answers = burst(&running, TEST_KEY, 30).await;
    assert!(answers.iter().all(|a| a.0 == 200));
    let running = start(RateLimits::documented().with_hold_ms(HOLD_MS)).await;
    let answers = burst(&running, "not-a-key", 20).await;
    assert!(answers.iter().all(|a| a.0 == 401), "{answers:?}");
}

#[test]
fn the_demo_world_has_the_limits_on_and_its_key_is_live() {
    let world = World::demo();
    assert!(world.arta.rate_limits.enabled);
    assert_eq!(world.arta.rate_limits.minute_ms, 60_000);
    assert_eq!(
        world.arta.key_limits(DEMO_API_KEY),
        Some(rescind_sim::arta::limits::LIVE)
    );
}

/// 200 hosted sessions cancelled at once through the SDK with its default settings (15 calls
/// in flight, the live key's limit; 10 for a test key, as `rescind_arta` advises) while every
/// call stays in flight 20 ms: the client queues instead of earning 429s, so each call is
/// sent exactly once. A client sending 64 at once is the control: it meets 429s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_defaults_keep_a_bulk_run_free_of_429s() {
    use rescind_core::{CancelRequest, CancelStatus, Canceller};

    const N: u64 = 200;
    // The last run is the control: a client that sends 64 at once does meet 429s.
    for (key, concurrency, hold_ms) in [
        (DEMO_API_KEY, None, 20),
        (TEST_KEY, Some(10), 20),
        (DEMO_API_KEY, Some(64), 200),
    ] {
        let control = concurrency == Some(64);
        let mut world = World::demo();
        world.arta.test_api_keys.push(TEST_KEY.into());
        world.arta.rate_limits = RateLimits::documented().with_hold_ms(hold_ms);
        let session = world.arta.hosted_sessions[0].clone();
        for i in 0..N {
            let mut s = session.clone();
            s.id = 20_000 + i;
            world.arta.hosted_sessions.push(s);
        }
        let running = Simulator::new().seed(world).start().await.unwrap();
        let mut builder = rescind_arta::Client::builder()
            .api_key(key)
            .base_url(running.base_url());
        if let Some(n) = concurrency {
            builder = builder.max_concurrency(n);
        }
        let client = std::sync::Arc::new(builder.build().unwrap());
        let mut set = tokio::task::JoinSet::new();
        for i in 0..N {
            let client = client.clone();
            set.spawn(async move {
                client
                    .cancel(CancelRequest::whole((20_000 + i).to_string()))
                    .await
            });
        }
        let mut rate_limited = 0;
        while let Some(outcome) = set.join_next().await {
            match outcome.unwrap() {
                Ok(outcome) => assert_eq!(outcome.status, CancelStatus::Cancelled, "{outcome:?}"),
                Err(e) if control && e.kind() == rescind_core::ErrorKind::RateLimited => {
                    rate_limited += 1
                }
                Err(e) => panic!("{key}: {e}"),
            }
        }
        let hits = running.sim().counters().snapshot().hits;
        if control {
            assert!(
                rate_limited > 0 || hits.values().any(|n| *n > 1),
                "64 calls at once on a live key: some must have met a 429"
            );
            continue;
        }
        for (route, n) in &hits {
            assert!(
                *n <= 1,
                "{key}: {route} was sent {n} times: a 429 was met and retried"
            );
        }
        for i in 0..N {
            let route = format!("PATCH /hosted_sessions/{}/cancel", 20_000 + i);
            assert_eq!(hits.get(&route), Some(&1), "{route}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_endpoint_turns_the_limits_off_and_on() {
    let running = start(RateLimits::documented().with_hold_ms(HOLD_MS)).await;
    let http = reqwest::Client::new();
    let url = format!("{}/__sim/arta/rate_limits", running.base_url());
    let got: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["enabled"], true);
    assert_eq!(got["minute_ms"], 60_000);
    let set = http
        .post(&url)
        .json(&serde_json::json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(set["enabled"], false);
    assert_eq!(set["hold_ms"], HOLD_MS, "fields left out keep their value");
    let answers = burst(&running, TEST_KEY, 12).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
    for bad in [
        serde_json::json!({"enabled": "no"}),
        serde_json::json!({"minute_ms": 0}),
        serde_json::json!({"speed": 1}),
    ] {
        let resp = http.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
    assert!(!running.sim().world().arta.rate_limits.enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_per_minute_429_has_no_retry_after_as_arta_documents_none() {
    let running = start(RateLimits::documented().with_minute_ms(20_000)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/hosted_sessions/42", running.base_url());
    let auth = format!("ARTA_APIKey {TEST_KEY}");
    let mut refused = None;
    for _ in 0..501 {
        let resp = client
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            refused = Some(resp);
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    let resp = refused.expect("the 501st call of a minute on a test key is refused");
    assert!(resp.headers().get("retry-after").is_none(), "{resp:?}");
}
