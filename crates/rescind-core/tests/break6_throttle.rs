//! break6: the throttle's lock-free flag (`engaged`), the lock-free retry budget, and
//! `Retry-After` read only for answers that may be retried (51d578b), through the transport
//! and a scripted socket.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rescind_core::retry::{RetryBudget, RetryPolicy};
use rescind_core::{ErrorKind, Provider, Sent, Transport, TransportConfig, deadline};
use support::{Step, get, post, serve};

fn transport(base: &str, retry: RetryPolicy, documented_429: bool) -> Transport {
    Transport::builder(
        if documented_429 {
            Provider::Arta
        } else {
            Provider::SkipPay
        },
        base,
    )
    .config(TransportConfig::default().with_retry(retry))
    .documented_429(documented_429)
    .build()
    .unwrap()
}

fn within(ms: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_millis(ms)
}

/// After a 429: the pause, then one request alone, then one more in flight per answer; 16
/// answers end the throttle (calls then run side by side again); a later 429 pauses the
/// client again (the flag comes back).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ramp_holds_ends_after_sixteen_answers_and_a_later_429_engages_again() {
    let slow = Duration::from_millis(150);
    let mut steps = vec![Step::status(429)];
    // 8 ramp calls side by side (hits 1..=8), each answer slow.
    steps.extend((0..8).map(|_| Step::status(200).with_delay(slow)));
    // 8 more answers, one by one (hits 9..=16): the 16th ends the throttle.
    steps.extend((0..8).map(|_| Step::status(200)));
    // 10 calls side by side, free (hits 17..=26).
    steps.extend((0..10).map(|_| Step::status(200).with_delay(slow)));
    // A later 429 (hit 27), then answers.
    steps.push(Step::status(429));
    steps.push(Step::status(200));
    let server = serve(steps).await;
    let retry = RetryPolicy::default()
        .with_max_attempts(1)
        .with_backoff(Duration::from_millis(400), Duration::from_millis(400));
    let t = transport(&server.base_url, retry, true);

    // The 429, answered as is (no time to wait out the pause).
    let resp = deadline::scope(within(100), t.send(&get())).await.unwrap();
    assert_eq!(resp.status, 429);

    // 8 callers at once: one alone after the pause, then 2, then 4 ... never all 8.
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let t = t.clone();
        set.spawn(async move { t.send(&get()).await.map(|r| r.status) });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), 200);
    }
    let took = started.elapsed();
    assert!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
            <= 4,
        "the ramp let {} requests go at once",
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    // Rounds of 1, 2, 4 (then the last 1): at least 3 slow answers one after another.
    assert!(took >= slow * 3, "8 ramp calls took {took:?}");

    // 8 more answers end the throttle (16 in all).
    for _ in 0..8 {
        assert_eq!(t.send(&get()).await.unwrap().status, 200);
    }
    assert_eq!(server.hits(), 17);

    // Free again: 10 side by side.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let t = t.clone();
        set.spawn(async move { t.send(&get()).await.map(|r| r.status) });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), 200);
    }
    assert!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 6,
        "after the throttle ended calls still went a few at a time: {}",
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    assert_eq!(server.hits(), 27);

    // A later 429 engages the throttle again: a caller that cannot outwait it sends nothing.
    let resp = deadline::scope(within(100), t.send(&get())).await.unwrap();
    assert_eq!(resp.status, 429);
    let err = deadline::scope(within(100), t.clone().send(&get()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(
        err.message(),
        "the provider answered this client 429 (too many requests); its pause ends after the caller's deadline"
    );
    assert_eq!(server.hits(), 28);
}

/// `Retry-After` on a 429 and on a 503 (idempotent) is still waited, for a provider that
/// documents its 429 and for one that does not; on a 2xx it changes nothing.
#[tokio::test]
async fn retry_after_is_honoured_when_retried_and_ignored_on_a_success() {
    let retry =
        RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1));
    for documented in [true, false] {
        for status in [429, 503] {
            let server = serve(vec![
                Step::status(status).with_header("retry-after", "1"),
                Step::status(200),
            ])
            .await;
            let t = transport(&server.base_url, retry.clone(), documented);
            let started = Instant::now();
            let resp = t.send(&get()).await.unwrap();
            assert_eq!((resp.status, resp.attempts), (200, 2), "{status}");
            assert!(
                started.elapsed() >= Duration::from_millis(950),
                "{status} (documented {documented}): Retry-After: 1 waited only {:?}",
                started.elapsed()
            );
        }
    }
    // A 2xx naming a long Retry-After: no pause, no budget spent, the next call goes at once.
    let server = serve(vec![Step::status(200).with_header("retry-after", "3600")]).await;
    let t = transport(&server.base_url, retry.clone(), true);
    for _ in 0..3 {
        let resp = deadline::scope(within(500), t.send(&get())).await.unwrap();
        assert_eq!((resp.status, resp.attempts), (200, 1));
    }
    assert_eq!(t.retry_budget_available(), retry.budget_capacity);
}

#[test]
fn the_retry_budget_never_goes_over_its_capacity_nor_under_zero() {
    let b = RetryBudget::new(10);
    assert_eq!(b.available(), 10);
    b.refund(5);
    assert_eq!(b.available(), 10, "a refund went over a full bucket");
    assert!(b.try_acquire(7));
    assert!(!b.try_acquire(4), "took more than there was");
    assert_eq!(b.available(), 3);
    b.refund(0);
    assert_eq!(b.available(), 3);
    b.refund(u32::MAX);
    assert_eq!(b.available(), 10, "an over-refund wrapped or overran");
    assert!(b.try_acquire(10));
    assert_eq!(b.available(), 0);
    assert!(!b.try_acquire(1));
    assert!(b.try_acquire(0));
    assert_eq!(b.available(), 0);

    let empty = RetryBudget::new(0);
    assert!(!empty.try_acquire(1));
    assert!(empty.try_acquire(0));
    empty.refund(3);
    assert_eq!(empty.available(), 0);
    assert!(!empty.try_acquire(1));
}

#[test]
fn the_retry_budget_adds_up_under_concurrent_acquires_and_refunds() {
    let b = Arc::new(RetryBudget::new(50));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                let mut taken = 0u32;
                for i in 0..20_000u32 {
                    if b.try_acquire(3) {
                        taken += 3;
                    }
                    let a = b.available();
                    assert!(a <= 50, "{a} tokens in a bucket of 50");
                    if i % 2 == 1 && taken > 0 {
                        let back = taken.min(2);
                        b.refund(back);
                        taken -= back;
                    }
                }
                taken
            })
        })
        .collect();
    let held: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    // Refunds are capped at the capacity, so the tokens still held plus those in the bucket
    // can be fewer than 50, never more.
    assert!(b.available() + held <= 50, "{} + {held}", b.available());
    b.refund(held);
    assert!(b.available() <= 50);
}

/// The errors moved out of line (`cold`): the same kinds, sent states and messages.
#[tokio::test]
async fn the_rare_errors_keep_their_kinds_and_messages() {
    // A change answered 200 with a body over the limit is never its success, nor answered.
    let big = Step::Answer {
        status: 200,
        headers: vec![],
        body: vec![b' '; 2048],
        delay: Duration::ZERO,
    };
    let server = serve(vec![big]).await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .config(TransportConfig::default().with_body_limits(1024, 4096))
        .build()
        .unwrap();
    let err = t.send(&post()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert!(
        err.message().starts_with(
            "the provider answered HTTP 200, but its answer is larger than the 1024 byte limit and was not read"
        ) && err.message().contains("whether the change was applied is unknown"),
        "{err}"
    );
    // A read answered so: answered, a decode error.
    let err = t.send(&get()).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Decode, Sent::Answered)
    );

    // No free place under the concurrency limit before the caller's deadline.
    let server = serve(vec![
        Step::status(200).with_delay(Duration::from_millis(400)),
    ])
    .await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .config(TransportConfig::default().with_max_concurrency(1))
        .build()
        .unwrap();
    let holder = tokio::spawn({
        let t = t.clone();
        async move { t.send(&get()).await.map(|r| r.status) }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = deadline::scope(within(50), t.send(&get()))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Timeout, Sent::NotSent)
    );
    assert_eq!(
        err.message(),
        "no free place under the limit of 1 calls in flight within the caller's deadline"
    );
    assert_eq!(holder.await.unwrap().unwrap(), 200);
    // The borrowed place came back: the next call goes at once.
    let resp = deadline::scope(within(1000), t.send(&get())).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(server.hits(), 2);

    // A caller's deadline already passed: nothing sent.
    let err = deadline::scope(
        tokio::time::Instant::now() - Duration::from_millis(1),
        t.send(&post()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.kind(), err.sent(), err.attempts()),
        (ErrorKind::Timeout, Sent::NotSent, 0)
    );
    assert_eq!(
        err.message(),
        "the caller's deadline passed before this request was sent"
    );
    assert_eq!(server.hits(), 2);
}
