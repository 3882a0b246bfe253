//! break10b: neighbours of the break10 deadline rules that `break10_deadline.rs` does not
//! cover, from outside through the transport and a scripted socket that notes when (tokio's
//! clock) and where each request arrived:
//!
//! 1. no HTTP attempt starts once the call's deadline has passed;
//! 2. no request waits for a start (a rate-limit turn, the end of the client's pause after a
//!    429, a ramp probe, a retry delay) that would end within 1 ms of its deadline; a start
//!    allowed right now still goes with less than 1 ms left;
//! 3. a retry after a 429 that cannot be sent in time answers that 429; a retry after
//!    anything else (503, 408, timeout, 401 renewal) is never answered by an older 429;
//! 4. `Sent` never says NotSent when a change may have reached the server, `attempts` is what
//!    the server saw, a change that is not idempotent is never sent twice.
//!
//! Plus the pacer's own promise (module docs): no window of the rate limit holds more than its
//! calls, also after a pause of the whole client.
//!
//! Paused-clock tests are deterministic (loopback answers arrive before the clock may move);
//! real-time tests assert only what holds whatever the timing.

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
    Step, describe, get, header_transport, idempotent_post, marked_429, post, quick, serve,
    token_answer,
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);
const US: Duration = Duration::from_micros(1);

/// A Di-like client: a bearer token from `/login` (a new token lives an hour), renewed
/// `margin` before it expires; no documented 429.
fn bearer_transport(
    base: &str,
    config: TransportConfig,
    margin: Duration,
) -> (Transport, Arc<TokenCache>) {
    support::bearer_transport(base, config, "pw", Duration::from_secs(3600), margin)
}

// ---------------------------------------------------------------------------------------
// The rate limit after a pause

/// Rate limit 2 per 100 ms. A call is answered 429 `Retry-After: 1`: its retry reserves its
/// turn of the rate limit at once (t0), then waits for the whole client's pause (t0 + 1 s).
/// Two more calls made when the pause ends find the window of t0 holding two reservations
/// and go at once: three requests start at t0 + 1 s, in one window of two (pacer docs:
/// "no window of that length, wherever it starts, holds more than `calls` starts"; "Waiting
/// never sends over the limit").
#[tokio::test(start_paused = true)]
async fn after_a_pause_the_rate_limit_still_holds_in_every_window() {
    let server = serve(vec![marked_429("first", "1"), Step::status(200)]).await;
    let limit = RateLimit::per_minute(2).with_window(Duration::from_millis(100));
    let t = header_transport(
        &server.base_url,
        Provider::Arta,
        TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(limit),
    );
    let first = t.send(&get()).await;
    assert!(
        matches!(&first, Ok(r) if (r.status, r.attempts) == (200, 2)),
        "{}",
        describe(&first)
    );
    for _ in 0..2 {
        let r = t.send(&get()).await;
        assert!(matches!(&r, Ok(r) if r.status == 200), "{}", describe(&r));
    }
    let starts = server.times_of("/things/1");
    let t0 = starts[0];
    let rel: Vec<Duration> = starts.iter().map(|s| *s - t0).collect();
    for (i, s) in starts.iter().enumerate() {
        let in_window = starts[i..]
            .iter()
            .take_while(|t| **t < *s + limit.window())
            .count();
        assert!(
            in_window <= 2,
            "{in_window} starts in one window of {:?} from #{i} (limit 2): starts at {rel:?}",
            limit.window()
        );
    }
}

// ---------------------------------------------------------------------------------------
// A retry after a 429 that needs a login first

/// Di, an idempotent change: its first attempt (with a token that expires during it) is
/// answered 429 `Retry-After: 1` a second later. Its retry needs a login first; the login
/// cannot give a token before the caller's deadline (it is answered 429 `Retry-After: 20`, or
/// it hangs). The retry after the call's 429 cannot be sent in time: the call's answer is that
/// 429 (rule 3), not the login's 429 nor a timeout waiting for a token.
#[tokio::test(start_paused = true)]
async fn a_retry_after_a_429_that_waits_for_a_login_it_cannot_get_in_time_answers_the_429() {
    let mut problems = Vec::new();
    for (label, login_step) in [
        (
            "login answered 429 Retry-After 20",
            marked_429("login", "20"),
        ),
        (
            "login hangs",
            token_answer().with_delay(Duration::from_secs(60)),
        ),
    ] {
        let server = serve(vec![
            marked_429("call", "1").with_delay(Duration::from_secs(1)),
            login_step,
            Step::status(200),
        ])
        .await;
        let (t, cache) = bearer_transport(
            &server.base_url,
            TransportConfig::default().with_retry(quick()),
            Duration::from_secs(1),
        );
        // Valid beyond the 1 s margin at t0, not any more at t0 + 1 s.
        cache
            .prime(Token::new(
                SecretString::from("old"),
                Duration::from_millis(1500),
            ))
            .await;
        let t0 = Instant::now();
        let result = deadline::scope(t0 + Duration::from_secs(5), t.send(&idempotent_post())).await;
        let what = format!(
            "{label}: {}; server saw {:?}",
            describe(&result),
            server.paths()
        );
        match &result {
            Ok(resp) => {
                if (resp.status, resp.attempts, resp.earlier_attempt_maybe_sent) != (429, 1, true)
                    || !String::from_utf8_lossy(&resp.body).contains("call")
                {
                    problems.push(format!("not the call's 429: {what}"));
                }
            }
            Err(_) => problems.push(format!(
                "the retry after the call's 429 could not be sent in time, yet the call is not answered by that 429: {what}"
            )),
        }
        if server.times_of("/c").len() != 1 {
            problems.push(format!("the change was sent again: {what}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same client, the login itself answered 429 with `Retry-After: 1` (the client pauses
/// until t0 + 1 s): a caller whose deadline is within 1 ms after the pause's end does not wait
/// for it (rule 2: a wait for the end of the pause that ends within the timer's resolution of
/// the deadline is not made), and gets the login's 429 at once, as the token module promises
/// "a caller whose deadline comes before the pause ends"; nothing more is sent for it. With
/// 2 ms left after the pause, it waits, and the call goes.
#[tokio::test(start_paused = true)]
async fn a_login_pause_that_ends_within_a_millisecond_of_the_deadline_is_not_waited_for() {
    let mut problems = Vec::new();
    for (after_pause, waits) in [
        (Duration::ZERO, false),
        (US * 500, false),
        (MS, false),
        (MS * 2, true),
    ] {
        let server = serve(vec![
            marked_429("login", "1"),
            token_answer(),
            Step::status(200),
        ])
        .await;
        let (t, _cache) = bearer_transport(
            &server.base_url,
            TransportConfig::default().with_retry(quick()),
            Duration::from_secs(60),
        );
        let t0 = Instant::now();
        let result =
            deadline::scope(t0 + Duration::from_secs(1) + after_pause, t.send(&get())).await;
        let took = Instant::now() - t0;
        let what = format!(
            "deadline = pause end + {after_pause:?}: {} after {took:?}; server saw {:?}",
            describe(&result),
            server.paths()
        );
        if waits {
            if !matches!(&result, Ok(r) if (r.status, r.attempts) == (200, 1)) {
                problems.push(format!("expected the call to go after the pause: {what}"));
            }
            continue;
        }
        if took != Duration::ZERO || server.hits() != 1 {
            problems.push(format!(
                "waited for a pause ending within 1 ms of the deadline: {what}"
            ));
            continue;
        }
        match &result {
            Err(e)
                if (e.kind(), e.sent(), e.attempts())
                    == (ErrorKind::RateLimited, Sent::NotSent, 0) => {}
            _ => problems.push(format!("not the login's 429 at once: {what}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Di, an idempotent change, with a token: 429 (`Retry-After: 1`), then at t0 + 1 s its retry
/// is answered 401: the token is renewed, and the login hangs past the caller's deadline. The
/// last attempt was a 401, not a 429: the call is not answered by its older 429 (rule 3), it
/// is maybe sent (a 429 and a 401 to an undocumented change prove nothing), and counts the two
/// attempts the server saw.
#[tokio::test(start_paused = true)]
async fn a_401_renewal_after_a_429_that_cannot_log_in_in_time_is_not_answered_by_the_429() {
    let server = serve(vec![
        marked_429("call", "1"),
        Step::status(401),
        token_answer().with_delay(Duration::from_secs(60)),
        Step::status(200),
    ])
    .await;
    let (t, cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_retry(quick()),
        Duration::from_secs(60),
    );
    cache
        .prime(Token::new(
            SecretString::from("old"),
            Duration::from_secs(3600),
        ))
        .await;
    let t0 = Instant::now();
    let result = deadline::scope(t0 + Duration::from_secs(3), t.send(&idempotent_post())).await;
    let what = format!("{}; server saw {:?}", describe(&result), server.paths());
    let err = result.as_ref().expect_err(&what);
    assert_ne!(err.status(), Some(429), "{what}");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{what}");
    assert_eq!((err.sent(), err.attempts()), (Sent::MaybeSent, 2), "{what}");
    assert_eq!(server.times_of("/c").len(), 2, "{what}");
}

/// Di, a change that is not idempotent, under a pause: its 429 (undocumented) may have been
/// applied, so it is never sent again, whatever follows; a 401 before it that is a documented
/// refusal is replayed once after a login, and the 429 after it ends the call (maybe sent,
/// two attempts, one login).
#[tokio::test(start_paused = true)]
async fn a_change_that_is_not_idempotent_refused_401_then_429_is_sent_twice_at_most_and_maybe_sent()
{
    let server = serve(vec![
        Step::status(401),
        token_answer(),
        marked_429("call", "1"),
        Step::status(200),
    ])
    .await;
    let (t, cache) = bearer_transport(
        &server.base_url,
        TransportConfig::default().with_retry(quick()),
        Duration::from_secs(60),
    );
    cache
        .prime(Token::new(
            SecretString::from("old"),
            Duration::from_secs(3600),
        ))
        .await;
    let result = deadline::scope(Instant::now() + Duration::from_secs(10), t.send(&post())).await;
    let what = format!("{}; server saw {:?}", describe(&result), server.paths());
    let resp = result.as_ref().expect(&what);
    assert_eq!(
        (resp.status, resp.attempts, resp.earlier_attempt_maybe_sent),
        (429, 2, true),
        "{what}"
    );
    assert_eq!(server.times_of("/things").len(), 2, "{what}");
    assert_eq!(server.times_of("/login").len(), 1, "{what}");
}

// ---------------------------------------------------------------------------------------
// A start allowed now, with less than 1 ms left

/// A 429 with `Retry-After: 0` (or a 503 with `Retry-After: 0`) and a backoff of zero: the
/// retry is allowed right now, no timer is waited for, so it goes even with 500 µs left
/// (rule 2, second half), as a first attempt or a free rate-limit turn does.
#[tokio::test(start_paused = true)]
async fn a_retry_allowed_right_now_goes_with_less_than_a_millisecond_left() {
    let mut problems = Vec::new();
    for first in [
        Step::status(429).with_header("retry-after", "0"),
        Step::status(503).with_header("retry-after", "0"),
    ] {
        let status = match &first {
            Step::Answer { status, .. } => *status,
            Step::Drop => 0,
        };
        for provider in [Provider::Arta, Provider::Di] {
            let server = serve(vec![first.clone(), Step::status(200)]).await;
            let t = header_transport(
                &server.base_url,
                provider,
                TransportConfig::default().with_retry(
                    RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO),
                ),
            );
            let t0 = Instant::now();
            let result = deadline::scope(t0 + US * 500, t.send(&get())).await;
            let what = format!(
                "{provider:?}, first answered {status}: {}; server saw {}",
                describe(&result),
                server.hits()
            );
            // The retry went (the server saw it). Its answer comes back over loopback: on a
            // loaded machine the paused clock may move to the deadline while it is in
            // transit, and the call then ends timed out, maybe sent, which is as true.
            let answered = matches!(&result, Ok(r) if (r.status, r.attempts) == (200, 2));
            let cut = matches!(&result, Err(e) if (e.kind(), e.sent(), e.attempts()) == (ErrorKind::Timeout, Sent::MaybeSent, 2));
            if server.hits() != 2 || !(answered || cut) {
                problems.push(format!("a retry allowed now was not sent: {what}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The ramp after a pause, with a caller's deadline

/// A 429 `Retry-After: 1` at t0; at t0 + 1 s the first request of the ramp hangs. Another
/// caller waits for a place: the ramp lets one more go at the probe (t0 + 2 s). A caller whose
/// deadline is within 1 ms after the probe does not get it: it ends `RateLimited`, not sent, 0
/// attempts, before its deadline, and nothing of it reaches the server; with more than 1 ms
/// left it is sent at the probe.
#[tokio::test(start_paused = true)]
async fn a_ramp_probe_within_a_millisecond_of_the_deadline_is_not_waited_for() {
    let mut problems = Vec::new();
    for (after_probe, sent) in [
        (Duration::ZERO, false),
        (US * 500, false),
        (MS, false),
        (MS + US, true),
        (MS * 3, true),
    ] {
        let server = serve(vec![
            marked_429("first", "1"),
            Step::status(200).with_delay(Duration::from_secs(60)),
            Step::status(200),
        ])
        .await;
        let t = header_transport(
            &server.base_url,
            Provider::Arta,
            TransportConfig::default().with_retry(quick()),
        );
        let t0 = Instant::now();
        // Answered 429 at once: the client pauses for 1 s, past this call's deadline.
        let first = deadline::scope(t0 + Duration::from_millis(900), t.send(&get())).await;
        assert!(
            matches!(&first, Ok(r) if r.status == 429),
            "{}",
            describe(&first)
        );
        // The ramp's first request, at t0 + 1 s, hangs.
        let hung = tokio::spawn({
            let t = t.clone();
            async move { t.send(&get()).await }
        });
        tokio::time::sleep_until(t0 + Duration::from_secs(1)).await;
        while server.hits() < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(server.times_of("/things/1")[1], t0 + Duration::from_secs(1));
        let probe_at = t0 + Duration::from_secs(2);
        let result = deadline::scope(probe_at + after_probe, t.send(&get())).await;
        let ended = Instant::now();
        let what = format!(
            "deadline = probe + {after_probe:?}: {} at t0 + {:?}; server saw {:?} at {:?}",
            describe(&result),
            ended - t0,
            server.paths(),
            server
                .times_of("/things/1")
                .iter()
                .map(|s| *s - t0)
                .collect::<Vec<_>>()
        );
        hung.abort();
        if sent {
            // Sent at the probe; its answer over loopback may find the paused clock moved to
            // the deadline on a loaded machine (then timed out, maybe sent: as true).
            let answered = matches!(&result, Ok(r) if (r.status, r.attempts) == (200, 1));
            let cut = matches!(&result, Err(e) if (e.kind(), e.sent(), e.attempts()) == (ErrorKind::Timeout, Sent::MaybeSent, 1));
            if !(answered || cut) || server.times_of("/things/1").get(2) != Some(&probe_at) {
                problems.push(format!("expected a send at the probe: {what}"));
            }
        } else {
            let ok = matches!(&result, Err(e) if (e.kind(), e.sent(), e.attempts()) == (ErrorKind::RateLimited, Sent::NotSent, 0));
            // It may wake at the probe itself (the timer rounds its wait up to the
            // millisecond), but ends before its deadline without sending.
            if !ok || server.hits() != 2 || ended >= probe_at + after_probe.max(US) {
                problems.push(format!(
                    "expected RateLimited before the probe, not sent: {what}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Several calls sharing one pause

/// Three calls of one client under a pause (`Retry-After: 1` at t0, one of them was answered
/// so), each with a deadline at t0 + 4 s. At t0 + 1 s one of them goes first and hangs; at
/// the probe (t0 + 2 s) another goes and is answered 429 `Retry-After: 5`: the pause now
/// outlasts every deadline. Whichever call was which: the hanging one times out maybe sent;
/// the one answered 429 (its last attempt) answers that 429; the third never sent again:
/// the first call answers its own 429, a fresh one is RateLimited, not sent. The attempts
/// reported add up to what the server saw, and every answer is the call's last.
#[tokio::test(start_paused = true)]
async fn one_calls_429_extending_the_pause_ends_the_others_truthfully() {
    let server = serve(vec![
        marked_429("a1", "1"),
        Step::status(200).with_delay(Duration::from_secs(60)),
        marked_429("probe", "5"),
        Step::status(200),
    ])
    .await;
    let t = header_transport(
        &server.base_url,
        Provider::Di,
        TransportConfig::default().with_retry(quick()),
    );
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(4);
    let a = tokio::spawn({
        let t = t.clone();
        async move { deadline::scope(end, t.send(&idempotent_post())).await }
    });
    while server.hits() < 1 {
        tokio::task::yield_now().await;
    }
    tokio::task::yield_now().await;
    let others: Vec<_> = (0..2)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { deadline::scope(end, t.send(&idempotent_post())).await })
        })
        .collect();
    let mut results = vec![a.await.unwrap()];
    for o in others {
        results.push(o.await.unwrap());
    }
    let all: Vec<String> = results.iter().map(describe).collect();
    let what = format!(
        "{all:?}; server saw {:?} at {:?}",
        server.paths(),
        server
            .times_of("/c")
            .iter()
            .map(|s| *s - t0)
            .collect::<Vec<_>>()
    );
    assert_eq!(server.hits(), 3, "{what}");
    let attempts: u32 = results
        .iter()
        .map(|r| match r {
            Ok(resp) => resp.attempts,
            Err(e) => e.attempts(),
        })
        .sum();
    assert_eq!(attempts, 3, "{what}");
    let timeouts = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.kind() == ErrorKind::Timeout && e.sent() == Sent::MaybeSent))
        .count();
    assert_eq!(timeouts, 1, "one call hung until its deadline: {what}");
    for r in &results {
        match r {
            Ok(resp) => {
                assert_eq!(resp.status, 429, "{what}");
                // Di: a 429 to a change proves nothing.
                assert!(resp.earlier_attempt_maybe_sent, "{what}");
            }
            Err(e) if e.kind() == ErrorKind::Timeout => {
                assert_ne!(e.status(), Some(429), "{what}");
            }
            Err(e) => assert_eq!(
                (e.kind(), e.sent(), e.attempts()),
                (ErrorKind::RateLimited, Sent::NotSent, 0),
                "{what}"
            ),
        }
    }
    // The first call's result: its 429 if its last attempt was a 429.
    match &results[0] {
        Ok(resp) => assert!(resp.attempts >= 1, "{what}"),
        Err(e) => assert_eq!(
            (e.kind(), e.attempts()),
            (ErrorKind::Timeout, 2),
            "the first call, answered 429, ended otherwise than with its 429 or its hung retry: {what}"
        ),
    }
}

// ---------------------------------------------------------------------------------------
// 408 and 503 after a 429, at the deadline's edge

/// 429 (`Retry-After: 1`), then at t0 + 1 s a 408 (or a 503) with `Retry-After: 1`: the retry
/// after it would start at t0 + 2 s. Deadlines at, just before and just after the instants
/// where it can and cannot go: when it cannot, the call ends with the 408 / 503 (the last
/// answer, rule 3), never the older 429; when it can, it goes at t0 + 2 s. Reads and an
/// idempotent change at Arta and Di.
#[tokio::test(start_paused = true)]
async fn a_408_or_503_after_a_429_at_the_deadlines_edges_is_never_answered_by_the_429() {
    let mut problems = Vec::new();
    for failure in [408u16, 503] {
        for provider in [Provider::Arta, Provider::Di] {
            for request in [get(), idempotent_post()] {
                for (deadline_after_2s, retried) in [
                    (-(MS.as_micros() as i64), false),
                    (0, false),
                    (500, false),
                    (1_000, false),
                    (1_001, true),
                    (5_000, true),
                ] {
                    let server = serve(vec![
                        marked_429("first", "1"),
                        Step::status(failure).with_header("retry-after", "1"),
                        Step::status(200),
                    ])
                    .await;
                    let t = header_transport(
                        &server.base_url,
                        provider,
                        TransportConfig::default().with_retry(quick()),
                    );
                    let t0 = Instant::now();
                    let at = if deadline_after_2s < 0 {
                        t0 + Duration::from_secs(2) - US * deadline_after_2s.unsigned_abs() as u32
                    } else {
                        t0 + Duration::from_secs(2) + US * deadline_after_2s as u32
                    };
                    let result = deadline::scope(at, t.send(&request)).await;
                    let what = format!(
                        "{provider:?} {} {failure}, deadline t0 + 2 s {deadline_after_2s:+} µs: {}; server saw {}",
                        request.method,
                        describe(&result),
                        server.hits()
                    );
                    let expected_hits = if retried { 3 } else { 2 };
                    if server.hits() != expected_hits {
                        problems.push(format!("expected {expected_hits} requests: {what}"));
                        continue;
                    }
                    match &result {
                        Ok(resp) if retried => {
                            if (resp.status, resp.attempts) != (200, 3) {
                                problems.push(what);
                            } else if request.method == Method::POST
                                && !resp.earlier_attempt_maybe_sent
                            {
                                problems.push(format!(
                                    "a change answered {failure} may have been applied: {what}"
                                ));
                            }
                        }
                        Ok(resp) => {
                            if (resp.status, resp.attempts) != (failure, 2) {
                                problems.push(format!("not the last answer: {what}"));
                            }
                        }
                        Err(e) => problems.push(format!("no error expected ({e}): {what}")),
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Retry-After as an HTTP date

/// A 429 whose `Retry-After` is an HTTP date 3 s ahead (by the wall clock), with a caller
/// deadline 1 s ahead: the retry cannot go in time, so the 429 is the answer at once (no
/// waiting for the deadline), one request, and the next call of the client, paused, sends
/// nothing. Real time: asserts only what holds whatever the timing.
#[tokio::test]
async fn a_retry_after_date_past_the_deadline_answers_the_429_at_once() {
    for provider in [Provider::Arta, Provider::Di] {
        let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&at)
            .unwrap();
        let server = serve(vec![
            Step::status(429).with_header("retry-after", &date),
            Step::status(200),
        ])
        .await;
        let t = header_transport(
            &server.base_url,
            provider,
            TransportConfig::default().with_retry(quick()),
        );
        let started = std::time::Instant::now();
        let result = deadline::scope(
            Instant::now() + Duration::from_secs(1),
            t.send(&idempotent_post()),
        )
        .await;
        let what = format!("{provider:?} Retry-After {date}: {}", describe(&result));
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "waited: {what}"
        );
        let resp = result.as_ref().expect(&what);
        assert_eq!((resp.status, resp.attempts), (429, 1), "{what}");
        assert_eq!(
            resp.earlier_attempt_maybe_sent,
            provider == Provider::Di,
            "{what}"
        );
        let next =
            deadline::scope(Instant::now() + Duration::from_millis(500), t.send(&post())).await;
        let what = format!("next call: {}", describe(&next));
        let err = next.as_ref().expect_err(&what);
        assert_eq!(
            (err.kind(), err.sent(), err.attempts()),
            (ErrorKind::RateLimited, Sent::NotSent, 0),
            "{what}"
        );
        assert_eq!(server.hits(), 1, "{what}");
    }
}

/// A 429 whose `Retry-After` is an HTTP date in the past: no pause beyond the backoff, the
/// retry goes (Arta and Di, an idempotent change) and is answered.
#[tokio::test]
async fn a_retry_after_date_in_the_past_retries() {
    for provider in [Provider::Arta, Provider::Di] {
        let server = serve(vec![
            Step::status(429).with_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
            Step::status(200),
        ])
        .await;
        let t = header_transport(
            &server.base_url,
            provider,
            TransportConfig::default().with_retry(quick()),
        );
        let result = deadline::scope(
            Instant::now() + Duration::from_secs(2),
            t.send(&idempotent_post()),
        )
        .await;
        let what = format!("{provider:?}: {}", describe(&result));
        let resp = result.as_ref().expect(&what);
        assert_eq!((resp.status, resp.attempts), (200, 2), "{what}");
        assert_eq!(
            resp.earlier_attempt_maybe_sent,
            provider == Provider::Di,
            "{what}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// A storm with logins, 401s, 408s, 429s, 503s and timeouts

/// A Di-like client under a random storm (429 with and without `Retry-After`, 503, 408, 401
/// and a hanging answer), with short caller deadlines, concurrent calls of reads, idempotent
/// changes and changes that are not: whatever the timing, a change that is not idempotent
/// reaches the server at most once (at most twice after a documented 401 refusal), a call
/// never reports more attempts than the server saw plus the one cut in flight, a change that
/// reached the server is never `NotSent`, and an answered call's answer is never a 429 when
/// its last attempt was answered otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_with_logins_and_401s_reports_only_what_the_server_saw() {
    let mut rng = fastrand::Rng::with_seed(1010);
    for round in 0..24u32 {
        // One request path per call, to count each call's requests apart; logins answer a
        // token except when a step says otherwise.
        let steps: Vec<Step> = (0..600)
            .map(|_| match rng.u32(0..20) {
                0..=2 => Step::status(503),
                3 => Step::status(408),
                4 => Step::status(401),
                5 => Step::status(200).with_delay(Duration::from_millis(30)),
                6..=8 => Step::status(429).with_header("retry-after", "0"),
                9..=11 => Step::status(429),
                _ => token_answer(),
            })
            .collect();
        let server = serve(steps).await;
        let (t, cache) = bearer_transport(
            &server.base_url,
            TransportConfig::default()
                .with_retry(
                    RetryPolicy::default()
                        .with_max_attempts(6)
                        .with_backoff(US * 300, MS * 2)
                        .with_max_throttle_backoff(MS * 3),
                )
                .with_attempt_timeout(Duration::from_millis(10)),
            Duration::from_secs(60),
        );
        cache
            .prime(Token::new(
                SecretString::from("old"),
                Duration::from_secs(3600),
            ))
            .await;
        let mut calls = Vec::new();
        for i in 0..6u32 {
            let kind = (round + i) % 3;
            let path = format!("/r{round}/c{i}");
            let request = match kind {
                0 => HttpRequest::new("get", Method::GET, "/r/{c}", path.clone()),
                1 => HttpRequest::new("cancel", Method::POST, "/r/{c}", path.clone())
                    .with_json_body("{}")
                    .idempotent(true),
                _ => HttpRequest::new("hold", Method::POST, "/r/{c}", path.clone())
                    .with_json_body("{}"),
            };
            let at = Instant::now() + Duration::from_micros(u64::from(rng.u32(0..40_000)));
            let t = t.clone();
            calls.push((
                path,
                kind,
                tokio::spawn(async move { deadline::scope(at, t.send(&request)).await }),
            ));
        }
        let mut results = Vec::new();
        for (path, kind, call) in calls {
            results.push((path, kind, call.await.unwrap()));
        }
        // Let cut attempts land.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for (path, kind, result) in &results {
            let statuses = server.statuses_of(path);
            let hits = statuses.len() as u32;
            let what = format!(
                "round {round} {path} kind {kind}: server saw {statuses:?}; {}",
                describe(result)
            );
            match result {
                Ok(resp) => {
                    assert_eq!(resp.attempts, hits, "{what}");
                    // The answer is the last one the server gave, never an older 429.
                    assert_eq!(statuses.last(), Some(&resp.status), "{what}");
                }
                Err(e) => {
                    assert!(hits <= e.attempts() && e.attempts() <= hits + 1, "{what}");
                    // A change answered anything but a documented refusal of its token may
                    // have been applied.
                    if *kind != 0 && statuses.iter().any(|&s| s != 401) {
                        assert_ne!(e.sent(), Sent::NotSent, "{what}");
                    }
                }
            }
            if *kind == 2 {
                // A 401 that the login documents as a refusal is replayed once.
                assert!(
                    hits <= 2,
                    "a change that is not idempotent sent {hits} times: {what}"
                );
            }
        }
    }
}

/// A first attempt waiting for a login that hangs: the wait ends at the deadline that comes
/// first, and the error names it (it named the call timeout even when the caller's deadline
/// ended the wait). Nothing of this call was sent.
#[tokio::test(start_paused = true)]
async fn a_login_wait_names_the_deadline_that_ended_it() {
    for (label, caller, expected) in [
        (
            "caller's deadline first",
            Some(Duration::from_secs(5)),
            "no login token before the caller's deadline",
        ),
        (
            "call timeout first",
            Some(Duration::from_secs(60)),
            "no login token within the call timeout (10s)",
        ),
        (
            "no caller's deadline",
            None,
            "no login token within the call timeout (10s)",
        ),
    ] {
        let server = serve(vec![token_answer().with_delay(Duration::from_secs(600))]).await;
        let (t, _cache) = bearer_transport(
            &server.base_url,
            TransportConfig::default().with_call_timeout(Duration::from_secs(10)),
            Duration::from_secs(1),
        );
        let t0 = Instant::now();
        let result = match caller {
            Some(d) => deadline::scope(t0 + d, t.send(&idempotent_post())).await,
            None => t.send(&idempotent_post()).await,
        };
        let err = result.expect_err(label);
        assert_eq!(
            (err.kind(), err.sent(), err.attempts()),
            (ErrorKind::Timeout, Sent::NotSent, 0),
            "{label}: {err}"
        );
        assert!(err.message().starts_with(expected), "{label}: {err}");
        assert!(server.times_of("/c").is_empty(), "{label}");
    }
}
