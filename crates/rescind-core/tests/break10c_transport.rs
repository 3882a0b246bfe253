//! break10c: the rate limit, the client's pause after a 429, the deadline's last millisecond
//! and the login wait, tried from outside through the transport and a scripted socket that
//! notes when (tokio's clock) each request arrived:
//!
//! 1. no window of the rate limit holds more than its calls as the server sees them: after a
//!    late timer, with clones, calls dropped mid-wait, logins interleaved (logins count);
//! 2. after a 429 the whole client pauses, a request waiting for its turn of the rate limit
//!    included, also one that holds a place in the ramp;
//! 3. no wait for a start within 1 ms of the deadline; a start allowed now goes at once;
//! 4. a retry after a 429 that cannot go in time answers that 429;
//! 5. a wait for a login token names the deadline that ended it, and ends at it.
//!
//! Paused-clock tests are deterministic (loopback answers arrive before the clock may move).

mod support;

use std::sync::Arc;
use std::time::Duration;

use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::SecretString;
use rescind_core::{
    ErrorKind, HttpRequest, Provider, RateLimit, Sent, Token, TokenCache, Transport,
    TransportConfig, deadline,
};
use support::{
    Seen, Step, describe, get, header_transport, idempotent_post, marked_429, quick, serve,
    token_answer,
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);
const US: Duration = Duration::from_micros(1);

/// A Di-like client: a bearer token from `/login` living `lifetime`, renewed `margin` before
/// it expires.
fn bearer_transport(
    base: &str,
    config: TransportConfig,
    lifetime: Duration,
    margin: Duration,
) -> (Transport, Arc<TokenCache>) {
    support::bearer_transport(base, config, "pw", lifetime, margin)
}

/// The arrivals, relative to `t0`, with their path and status, for messages.
fn timeline(seen: &[Seen], t0: Instant) -> String {
    seen.iter()
        .map(|s| format!("{:?} {} {}", s.at - t0, s.path, s.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every window of `limit`'s length, wherever it starts, holds at most its calls (arrivals
/// sorted by time); the first offending window when not.
fn window_overflow(seen: &[Seen], limit: RateLimit, t0: Instant) -> Option<String> {
    let mut starts: Vec<Instant> = seen.iter().map(|s| s.at).collect();
    starts.sort();
    for (i, s) in starts.iter().enumerate() {
        let inside = starts[i..]
            .iter()
            .take_while(|t| **t < *s + limit.window())
            .count();
        if inside > limit.calls() as usize {
            let rel: Vec<Duration> = starts[i..i + inside].iter().map(|t| *t - t0).collect();
            return Some(format!(
                "{inside} starts in one window of {:?} (limit {}): {rel:?}",
                limit.window(),
                limit.calls()
            ));
        }
    }
    None
}

/// With answers given at once, a 429 with `Retry-After: r` arriving at `t` pauses the whole
/// client until `t + r` at least: no request may arrive strictly inside it. Only pauses known
/// to have begun at `t` are checked: some request arrives exactly at `t + r` (the ramp's
/// first), so the client read the 429 at `t` (under the paused clock, the clock may move while
/// an answer is in transit on a loaded machine: a request sent before the client read the 429
/// is no fault).
fn sent_during_a_pause(seen: &[Seen], t0: Instant) -> Option<String> {
    for s in seen.iter().filter(|s| s.status == 429) {
        let Some(r) = s.retry_after.filter(|r| *r > 0) else {
            continue;
        };
        let end = s.at + Duration::from_secs(r);
        if !seen.iter().any(|o| o.at == end) {
            continue;
        }
        if let Some(inside) = seen.iter().find(|o| o.at > s.at && o.at < end) {
            return Some(format!(
                "a 429 (Retry-After {r}) at {:?} paused the client until {:?}, yet {} arrived at {:?}",
                s.at - t0,
                end - t0,
                inside.path,
                inside.at - t0
            ));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// 2. A 429 while a request of the ramp waits for its turn of the rate limit

/// Rate limit 3 per 10 s. Call A is answered 429 `Retry-After: 1` at t0: the client pauses
/// until t0 + 1 s. Calls B and C arrive during the pause. At t0 + 1 s one goes first (the
/// ramp), answered 200 after 100 ms: two places in the ramp. The next two take them at
/// t0 + 1.1 s: one has a free turn of the rate limit and is answered 429 `Retry-After: 20`
/// (the client pauses until t0 + 21.1 s); the other, whose turn comes at t0 + 10 s (the
/// window of t0), was waiting for it when the 429 came. It must be paused too (CHANGELOG:
/// "a 429 answered while a request waits for its turn pauses it too"; pacer docs: the pause
/// is "every caller of the client"): nothing may reach the server before t0 + 21.1 s.
#[tokio::test(start_paused = true)]
async fn a_ramp_request_waiting_for_its_rate_turn_when_a_429_comes_is_paused_too() {
    let server = serve(vec![
        marked_429("A", "1"),
        Step::status(200).with_delay(MS * 100),
        marked_429("second", "20"),
        Step::status(200),
    ])
    .await;
    let limit = RateLimit::per_minute(3).with_window(Duration::from_secs(10));
    let t = header_transport(
        &server.base_url,
        Provider::Arta,
        TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(limit)
            .with_call_timeout(Duration::from_secs(60)),
    );
    let t0 = Instant::now();
    let mut calls = Vec::new();
    {
        let t = t.clone();
        calls.push(tokio::spawn(async move { t.send(&get()).await }));
    }
    tokio::time::sleep(MS * 500).await;
    for _ in 0..2 {
        let t = t.clone();
        calls.push(tokio::spawn(async move { t.send(&get()).await }));
    }
    let mut results = Vec::new();
    for c in calls {
        results.push(describe(&c.await.unwrap()));
    }
    let seen = server.seen();
    let what = format!("server saw [{}]; calls {results:?}", timeline(&seen, t0));
    assert!(seen.len() >= 4, "{what}");
    assert_eq!(seen[2].status, 429, "{what}");
    // The 429 was read at once: its own retry goes when the pause ends, t0 + 21.1 s.
    assert!(
        seen.iter().any(|s| s.at == t0 + MS * 21_100),
        "inconclusive (the 429 was not read at once): {what}"
    );
    if let Some(fault) = sent_during_a_pause(&seen, t0) {
        panic!("{fault}; {what}");
    }
    assert!(window_overflow(&seen, limit, t0).is_none(), "{what}");
}

/// The same with a request that waits for its turn without a place in the ramp (the client
/// not throttled when it took its turn): limit 1 per second, X goes at t0 and is answered
/// 429 `Retry-After: 2` at t0 + 0.5 s; Y took its turn for t0 + 1 s before. Its deadline is
/// the end of the pause plus 0, 0.5 or 1 ms: it does not wait for a pause ending within 1 ms
/// of it (rule 3), it ends at t0 + 1 s `RateLimited`, nothing sent; with 2 ms left it is
/// paused, and is sent after t0 + 2.5 s or not at all.
#[tokio::test(start_paused = true)]
async fn a_request_waiting_for_its_turn_when_a_429_comes_does_not_wait_for_a_pause_ending_at_its_deadline()
 {
    let mut problems = Vec::new();
    for (after_pause, waits) in [
        (Duration::ZERO, false),
        (US * 500, false),
        (MS, false),
        (MS * 2, true),
    ] {
        let server = serve(vec![
            marked_429("X", "2").with_delay(MS * 500),
            Step::status(200),
        ])
        .await;
        let t = header_transport(
            &server.base_url,
            Provider::Arta,
            TransportConfig::default()
                .with_retry(quick())
                .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(1))),
        );
        let t0 = Instant::now();
        let x = {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get()).await })
        };
        tokio::task::yield_now().await;
        let pause_end = t0 + MS * 2500;
        let y = {
            let t = t.clone();
            tokio::spawn(async move {
                let r = deadline::scope(pause_end + after_pause, t.send(&idempotent_post())).await;
                (r, Instant::now())
            })
        };
        let (y, y_end) = y.await.unwrap();
        let x = x.await.unwrap();
        let seen = server.seen();
        let what = format!(
            "deadline = pause end + {after_pause:?}: Y {} at {:?}; X {}; server saw [{}]",
            describe(&y),
            y_end - t0,
            describe(&x),
            timeline(&seen, t0)
        );
        let y_sent = server.times_of("/c");
        if !waits {
            if y_end - t0 != Duration::from_secs(1) || !y_sent.is_empty() {
                problems.push(format!("waited for a pause ending at its deadline: {what}"));
            }
            match &y {
                Err(e)
                    if (e.kind(), e.sent(), e.attempts())
                        == (ErrorKind::RateLimited, Sent::NotSent, 0) => {}
                _ => problems.push(format!("not RateLimited, not sent: {what}")),
            }
        } else if y_sent.iter().any(|s| *s < pause_end) {
            problems.push(format!("sent during the pause: {what}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// 1. The rate limit's window as the server sees it

/// Limit 1 per 10 ms, the clock between two milliseconds (t0 + 0.5 ms, as a real clock always
/// is). R1 goes at once (t0 + 0.5 ms). R2's turn is t0 + 10.5 ms: it waits on a timer, which
/// wakes up to a millisecond late (`pacer::TIMER_RESOLUTION`: "the timer may wake that late";
/// here at t0 + 11.5 ms), and R2 reaches the server then. R3, made about t0 + 21 ms, is given
/// its turn "now" because the window is counted from R2's reserved start (10.5 ms), not from
/// when R2 really went: R2 and R3 reach the server less than 10 ms apart, two starts in one
/// window of 10 ms with a limit of 1 (pacer docs: "no window of that length, wherever it
/// starts, holds more than `calls` starts"; "Waiting never sends over the limit").
#[tokio::test(start_paused = true)]
async fn a_turn_the_timer_wakes_late_for_still_keeps_every_window_under_the_limit() {
    let server = serve(vec![Step::status(200)]).await;
    let limit = RateLimit::per_minute(1).with_window(MS * 10);
    let t = header_transport(
        &server.base_url,
        Provider::Arta,
        TransportConfig::default().with_rate_limit(limit),
    );
    let t0 = Instant::now();
    tokio::time::advance(US * 500).await;
    let r1 = t.send(&get()).await;
    assert!(matches!(&r1, Ok(r) if r.status == 200), "{}", describe(&r1));
    let r2 = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    tokio::time::sleep_until(t0 + MS * 20).await;
    tokio::time::advance(US * 500).await;
    let r3 = t.send(&get()).await;
    let r2 = r2.await.unwrap();
    let seen = server.seen();
    let what = format!(
        "R2 {}, R3 {}; server saw [{}]",
        describe(&r2),
        describe(&r3),
        timeline(&seen, t0)
    );
    assert_eq!(seen.len(), 3, "{what}");
    if let Some(fault) = window_overflow(&seen, limit, t0) {
        panic!("{fault}; {what}");
    }
}

/// A login is a request the provider counts (pacer docs: "Every attempt is paced, retries and
/// logins included"). Limit 2 per second, a Di-like client with no token: the first call's
/// login takes the first turn at t0, the call the second; a second call made at t0 must wait
/// for t0 + 1 s. What the server sees: at most 2 starts, logins included, in any second.
#[tokio::test(start_paused = true)]
async fn a_login_takes_a_turn_of_the_rate_limit() {
    let server = serve(vec![token_answer()]).await;
    let limit = RateLimit::per_minute(2).with_window(Duration::from_secs(1));
    let (t, _cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_rate_limit(limit),
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );
    let t0 = Instant::now();
    let a = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    let b = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&idempotent_post()).await })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let seen = server.seen();
    let what = format!(
        "a {}, b {}; server saw [{}]",
        describe(&a),
        describe(&b),
        timeline(&seen, t0)
    );
    assert_eq!(server.times_of("/login").len(), 1, "{what}");
    assert_eq!(seen.len(), 3, "{what}");
    if let Some(fault) = window_overflow(&seen, limit, t0) {
        panic!("logins do not count: {fault}; {what}");
    }
}

/// A storm on one Di-like client and its clones, under a rate limit of 3 per 200 ms: logins
/// (tokens living 300 ms, renewed 100 ms before), 429s with `Retry-After: 1` or `0` or none,
/// 503s, 401s, calls dropped mid-wait (a `timeout` around `send`) and callers' deadlines.
/// Answers come at once, so the server's arrival times are the starts: no window of 200 ms
/// holds more than 3 of them, logins included, and none arrives inside a pause named by a
/// 429's `Retry-After`.
#[tokio::test(start_paused = true)]
async fn a_storm_with_clones_drops_and_logins_keeps_the_window_and_the_pauses() {
    let mut problems = Vec::new();
    let limit = RateLimit::per_minute(3).with_window(MS * 200);
    for seed in 0..12u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let steps: Vec<Step> = (0..400)
            .map(|_| match rng.u32(0..20) {
                0..=1 => Step::status(503),
                2 => Step::status(401),
                3 => Step::status(429).with_header("retry-after", "1"),
                4 => Step::status(429).with_header("retry-after", "0"),
                5 => Step::status(429),
                _ => token_answer(),
            })
            .collect();
        let server = serve(steps).await;
        let (t, _cache) = bearer_transport(
            &server.base_url,
            TransportConfig::default()
                .with_rate_limit(limit)
                .with_retry(
                    RetryPolicy::default()
                        .with_backoff(MS, MS * 20)
                        .with_max_throttle_backoff(MS * 50),
                )
                .with_call_timeout(Duration::from_secs(4)),
            MS * 300,
            MS * 100,
        );
        let t0 = Instant::now();
        let mut calls = Vec::new();
        for i in 0..14u32 {
            let t = t.clone();
            let start = MS * rng.u32(0..1500);
            let caller = MS * rng.u32(50..3000);
            let drop_after = (rng.u32(0..4) == 0).then(|| MS * rng.u32(1..400));
            let request = match i % 3 {
                0 => get(),
                1 => idempotent_post(),
                _ => HttpRequest::new("hold", Method::POST, "/h", "/h").with_json_body("{}"),
            };
            calls.push(tokio::spawn(async move {
                tokio::time::sleep(start).await;
                let call = deadline::scope(Instant::now() + caller, t.send(&request));
                match drop_after {
                    Some(d) => tokio::time::timeout(d, call).await.ok(),
                    None => Some(call.await),
                }
            }));
        }
        for c in calls {
            let _ = c.await.unwrap();
        }
        // Let anything still paced land.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let seen = server.seen();
        let what = format!("seed {seed}: server saw [{}]", timeline(&seen, t0));
        if let Some(fault) = window_overflow(&seen, limit, t0) {
            problems.push(format!("{fault}; {what}"));
        }
        if let Some(fault) = sent_during_a_pause(&seen, t0) {
            problems.push(format!("{fault}; {what}"));
        }
        if !seen.iter().any(|s| s.path == "/login") {
            problems.push(format!("no login in the storm: {what}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of 12 seeds:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// 3. A start allowed now, under a rate limit

/// Zero backoff, a 429 `Retry-After: 0`, a rate limit with free turns, 500 µs left, the
/// clock between two milliseconds: the retry is allowed now and goes at once (rule 3). Under
/// the paused clock on a loaded machine the clock may move while the 429 is in transit (the
/// call then ends after t0, its deadline passed): such a try proves nothing and is repeated;
/// a try where the clock stood still must end with the retry's 200.
#[tokio::test(start_paused = true)]
async fn a_retry_after_0_under_a_rate_limit_with_free_turns_goes_at_once() {
    let mut conclusive = 0;
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let server = serve(vec![
            Step::status(429).with_header("retry-after", "0"),
            Step::status(200),
        ])
        .await;
        let t = header_transport(
            &server.base_url,
            Provider::Arta,
            TransportConfig::default()
                .with_rate_limit(RateLimit::per_minute(10).with_window(Duration::from_secs(1)))
                .with_retry(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO)),
        );
        tokio::time::sleep(MS * 10).await;
        tokio::time::advance(US * 300).await;
        let t0 = Instant::now();
        let result = deadline::scope(t0 + US * 500, t.send(&get())).await;
        let took = Instant::now() - t0;
        let what = format!(
            "{} after {took:?}; server saw {}",
            describe(&result),
            server.hits()
        );
        outcomes.push(what.clone());
        if took == Duration::ZERO {
            conclusive += 1;
            assert!(
                matches!(&result, Ok(r) if (r.status, r.attempts) == (200, 2)),
                "a retry allowed now was not sent: {what}"
            );
        }
    }
    assert!(conclusive > 0, "no conclusive try: {outcomes:#?}");
}

/// Two requests in flight at t0. A's is answered 429 (no `Retry-After`) at t0 + 100 ms: the
/// client pauses for the backoff (about 1 ms), A's retry goes and is answered. B's is
/// answered 429 `Retry-After: 5` at t0 + 200 ms. B was sent before the round of A's 429
/// began, so it does not count a second strike (pacer docs: "do not double it"); but the
/// provider said to wait 5 s ("the pause is the `Retry-After` the 429 named"): nothing of the
/// client, B's own retry least of all, may be sent before t0 + 5.2 s.
#[tokio::test(start_paused = true)]
async fn a_429_to_a_request_sent_before_the_round_still_waits_its_retry_after() {
    let server = serve(vec![
        Step::status(429).with_delay(MS * 100),
        marked_429("B", "5").with_delay(MS * 200),
        Step::status(200),
    ])
    .await;
    let t = header_transport(
        &server.base_url,
        Provider::Arta,
        TransportConfig::default().with_retry(quick()),
    );
    let t0 = Instant::now();
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get()).await })
        })
        .collect();
    let mut results = Vec::new();
    for c in calls {
        results.push(describe(&c.await.unwrap()));
    }
    let seen = server.seen();
    let what = format!("server saw [{}]; calls {results:?}", timeline(&seen, t0));
    let b = seen
        .iter()
        .find(|s| s.retry_after == Some(5))
        .expect("B's 429 was served");
    // Answered 200 ms after it arrived (its step's delay).
    let answered = b.at + MS * 200;
    let end = answered + Duration::from_secs(5);
    let early: Vec<Duration> = seen
        .iter()
        .filter(|s| s.at >= answered && s.at < end)
        .map(|s| s.at - t0)
        .collect();
    assert!(
        early.is_empty(),
        "sent at {early:?}, inside the Retry-After of 5 s named by the 429 answered at {:?}: {what}",
        answered - t0
    );
}

// ---------------------------------------------------------------------------------------
// 4. A retry after a 429 with no turn of the rate limit in time

/// Limit 1 per 10 s, Di, an idempotent change: answered 429 `Retry-After: 1`; its retry's
/// turn of the rate limit is t0 + 10 s, after the caller's deadline (t0 + 5 s): it cannot be
/// sent in time, so the call's answer is that 429 (one attempt, maybe sent: Di's 429 proves
/// nothing), at once, and nothing more reaches the server.
#[tokio::test(start_paused = true)]
async fn a_retry_after_a_429_with_no_rate_turn_in_time_answers_the_429_at_once() {
    let server = serve(vec![marked_429("call", "1"), Step::status(200)]).await;
    let t = header_transport(
        &server.base_url,
        Provider::Di,
        TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(10))),
    );
    let t0 = Instant::now();
    let result = deadline::scope(t0 + Duration::from_secs(5), t.send(&idempotent_post())).await;
    let took = Instant::now() - t0;
    let what = format!(
        "{} after {took:?}; server saw {:?}",
        describe(&result),
        server.paths()
    );
    let resp = result.as_ref().expect(&what);
    assert_eq!(
        (resp.status, resp.attempts, resp.earlier_attempt_maybe_sent),
        (429, 1, true),
        "{what}"
    );
    assert!(
        String::from_utf8_lossy(&resp.body).contains("call"),
        "{what}"
    );
    assert_eq!(server.hits(), 1, "{what}");
    assert!(took <= Duration::from_secs(1), "{what}");
}

// ---------------------------------------------------------------------------------------
// 5. A wait for a login token: which deadline ended it

/// `TokenCache::current` (what Di's and Skip Pay's `Client::login` call) under a caller's
/// deadline of 5 s, the call timeout 10 s, the login hanging: the wait ends at the caller's
/// deadline (deadline module: "every request of a cancel honours" it; no caller waits past
/// it) and says so.
#[tokio::test(start_paused = true)]
async fn a_token_wait_under_a_callers_deadline_ends_at_it_and_names_it() {
    let server = serve(vec![token_answer().with_delay(Duration::from_secs(600))]).await;
    let (t, cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_call_timeout(Duration::from_secs(10)),
        Duration::from_secs(3600),
        Duration::from_secs(1),
    );
    let t0 = Instant::now();
    let result = deadline::scope(t0 + Duration::from_secs(5), cache.current(&t)).await;
    let took = Instant::now() - t0;
    let err = result.expect_err("the login hangs");
    let what = format!("after {took:?}: {err}");
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::Timeout, Sent::NotSent),
        "{what}"
    );
    assert_eq!(
        took,
        Duration::from_secs(5),
        "the wait for a token outlived the caller's deadline: {what}"
    );
    assert!(
        err.message()
            .starts_with("no login token before the caller's deadline"),
        "{what}"
    );
}

/// `TokenCache::current_before(transport, t0 + 3 s)` outside any scope, the call timeout 10 s,
/// the login hanging: the wait ends at t0 + 3 s, the deadline it was given; it must not say
/// it ended "within the call timeout (10s)".
#[tokio::test(start_paused = true)]
async fn a_token_wait_with_its_own_deadline_does_not_blame_the_call_timeout() {
    let server = serve(vec![token_answer().with_delay(Duration::from_secs(600))]).await;
    let (t, cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_call_timeout(Duration::from_secs(10)),
        Duration::from_secs(3600),
        Duration::from_secs(1),
    );
    let t0 = Instant::now();
    let err = cache
        .current_before(&t, t0 + Duration::from_secs(3))
        .await
        .expect_err("the login hangs");
    let took = Instant::now() - t0;
    let what = format!("after {took:?}: {err}");
    assert_eq!(took, Duration::from_secs(3), "{what}");
    assert!(
        !err.message().contains("call timeout"),
        "the wait ended at the deadline given, not the call timeout: {what}"
    );
}

/// A call's retry after a 401 waits for a new login, which hangs; the caller's deadline
/// (5 s) comes before the call timeout (10 s): the error names the caller's deadline, comes at
/// it, counts the one attempt the server saw, and is not `NotSent` (the GET was answered).
#[tokio::test(start_paused = true)]
async fn a_renewal_wait_after_a_401_names_the_callers_deadline() {
    let server = serve(vec![
        Step::status(401),
        token_answer().with_delay(Duration::from_secs(600)),
    ])
    .await;
    let (t, cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_call_timeout(Duration::from_secs(10)),
        Duration::from_secs(3600),
        Duration::from_secs(1),
    );
    cache
        .prime(Token::new(
            SecretString::from("old"),
            Duration::from_secs(3600),
        ))
        .await;
    let t0 = Instant::now();
    let result = deadline::scope(t0 + Duration::from_secs(5), t.send(&get())).await;
    let took = Instant::now() - t0;
    let what = format!(
        "{} after {took:?}; server saw {:?}",
        describe(&result),
        server.paths()
    );
    let err = result.as_ref().expect_err(&what);
    assert_eq!(took, Duration::from_secs(5), "{what}");
    assert_eq!(
        (err.kind(), err.attempts()),
        (ErrorKind::Timeout, 1),
        "{what}"
    );
    assert_ne!(err.sent(), Sent::NotSent, "{what}");
    assert!(
        err.message()
            .starts_with("no login token before the caller's deadline"),
        "{what}"
    );
}
