//! break9: the pause and the ramp after a 429 under several callers, pinned as the parent
//! (801d525) behaves: a caller whose deadline comes before the pause ends, one whose deadline
//! comes while the ramp's only place is in flight, the caller that holds it, and the
//! messages, kinds and attempts of each.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{ErrorKind, Provider, RateLimit, Sent, Transport, TransportConfig, deadline};
use support::{Step, get, post, serve};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn callers_during_the_pause_and_the_ramp_end_as_the_parent_ends_them() {
    let server = serve(vec![
        Step::status(429).with_header("retry-after", "1"),
        Step::status(200).with_delay(ms(1500)),
        Step::status(200),
    ])
    .await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::default().with_backoff(ms(5), ms(5)))
                .with_rate_limit(RateLimit::per_minute(50).with_window(Duration::from_secs(10)))
                .with_max_concurrency(4),
        )
        .documented_429(true)
        .build()
        .unwrap();
    let t0 = Instant::now();
    // A: answered 429, waits the 1 s pause, goes first in the ramp, answered at ~2.5 s.
    let a = {
        let t = t.clone();
        tokio::spawn(async move { deadline::scope(t0 + ms(5000), t.send(&post())).await })
    };
    tokio::time::sleep(ms(100)).await;
    assert_eq!(server.hits(), 1);
    // B: its deadline (1.5 s) comes after the pause but while A holds the ramp's place (the
    // probe interval is the pause's 1 s: no probe before 2 s).
    let b = {
        let t = t.clone();
        tokio::spawn(async move { deadline::scope(t0 + ms(1500), t.send(&get())).await })
    };
    // C: its deadline (0.5 s) comes before the pause ends: refused at once.
    let c_started = Instant::now();
    let c = deadline::scope(t0 + ms(500), t.send(&post()))
        .await
        .unwrap_err();
    assert!(c_started.elapsed() < ms(100), "{:?}", c_started.elapsed());
    assert_eq!(c.kind(), ErrorKind::RateLimited, "{c}");
    assert_eq!(c.sent(), Sent::NotSent);
    assert_eq!(c.attempts(), 0);
    assert_eq!(
        c.message(),
        "the provider answered this client 429 (too many requests); its pause ends after the caller's deadline"
    );

    let b = b.await.unwrap().unwrap_err();
    assert_eq!(b.kind(), ErrorKind::RateLimited, "{b}");
    assert_eq!(b.sent(), Sent::NotSent);
    assert_eq!(b.attempts(), 0);
    assert_eq!(
        b.message(),
        "the provider answered this client 429 (too many requests); after the pause its requests resume a few at a time, and no place came free before the caller's deadline"
    );
    let b_ended = t0.elapsed();
    assert!(b_ended >= ms(1450) && b_ended < ms(2000), "{b_ended:?}");

    let a = a.await.unwrap().unwrap();
    assert_eq!((a.status, a.attempts), (200, 2));
    assert!(!a.earlier_attempt_maybe_sent);
    assert!(t0.elapsed() >= ms(2400), "{:?}", t0.elapsed());
    assert_eq!(server.hits(), 2);
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 1);

    // After A's answer the ramp has two places: a read goes at once.
    let d = t.send(&get()).await.unwrap();
    assert_eq!((d.status, d.attempts), (200, 1));
    assert_eq!(server.hits(), 3);
    assert_eq!(
        t.retry_budget_available(),
        RetryPolicy::default().budget_capacity
    );
}

/// A retry after a 429 that finds the ramp's only place taken: the 429 is its answer, with
/// the one attempt it made (a stale 429: its request was sent before the pause began, so it
/// does not pause the client again). Its 429 took 1.2 s to come back and its deadline leaves
/// less than that: the retry is not tried at all, and the call ends with the 429 as soon as
/// it comes (it used to wait for a place until its deadline, then answer the same 429; see
/// `throttle::a_429_is_not_retried_with_less_time_left_than_it_took_to_come_back`).
#[tokio::test]
async fn a_retry_after_a_slow_stale_429_with_no_time_left_answers_the_429_at_once() {
    let server = serve(vec![
        // X (t = 0): 429 after 100 ms, Retry-After 1: the client pauses until ~1.1 s.
        Step::status(429)
            .with_header("retry-after", "1")
            .with_delay(ms(100)),
        // E (t = 20 ms): 429 after 1.2 s, when A holds the ramp's place.
        Step::status(429).with_delay(ms(1200)),
        // A (waits the pause): the ramp's first place, answered after 1.5 s.
        Step::status(200).with_delay(ms(1500)),
        Step::status(200),
    ])
    .await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::default().with_backoff(ms(5), ms(5))),
        )
        .documented_429(true)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let x = {
        let t = t.clone();
        tokio::spawn(async move { deadline::scope(t0 + ms(500), t.send(&get())).await })
    };
    tokio::time::sleep(ms(20)).await;
    let e = {
        let t = t.clone();
        tokio::spawn(async move { deadline::scope(t0 + ms(1800), t.send(&post())).await })
    };
    tokio::time::sleep(ms(180)).await;
    assert_eq!(server.hits(), 2);
    let a = {
        let t = t.clone();
        tokio::spawn(async move { deadline::scope(t0 + ms(5000), t.send(&get())).await })
    };
    let x = x.await.unwrap().unwrap();
    assert_eq!((x.status, x.attempts), (429, 1));
    let e = e.await.unwrap().unwrap();
    let e_ended = t0.elapsed();
    assert_eq!((e.status, e.attempts), (429, 1));
    assert!(!e.earlier_attempt_maybe_sent);
    assert!(e_ended >= ms(1200) && e_ended < ms(1700), "{e_ended:?}");
    let a = a.await.unwrap().unwrap();
    assert_eq!((a.status, a.attempts), (200, 1));
    assert_eq!(server.hits(), 3);
    assert_eq!(
        t.retry_budget_available(),
        RetryPolicy::default().budget_capacity
    );
}
