//! break10: "no attempt starts once the call's deadline has passed; a retry after a 429 then
//! answers that 429; a retry whose wait would end within 1 ms of the deadline is not made"
//! (327db22), pinned from outside through the transport and a scripted socket.
//!
//! Deterministic cases (a rate limit, a pause of the whole client, a paused clock) check the
//! neighbours of the fix: the wait that ends the call is the pacer's or the throttle's, and the
//! attempt before it answered something other than a 429. Timing-sensitive storms loop many
//! deadlines and assert only what must hold whatever the timing: what the call reports sent
//! against what the server saw, and that a call whose last attempt was not a 429 never answers
//! with an older 429.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{
    Error, ErrorKind, HttpRequest, HttpResponse, Provider, RateLimit, Sent, Transport,
    TransportConfig, deadline,
};
use support::{Scripted, Step, get, serve};
use tokio::time::Instant;

/// A POST that the provider documents as idempotent (an Arta cancel, a Di cancel): retried
/// after a 503 or a lost answer.
fn idempotent_post() -> HttpRequest {
    HttpRequest::new("cancel_thing", rescind_core::http::Method::POST, "/c", "/c")
        .with_json_body(r#"{"a":1}"#)
        .idempotent(true)
}

fn transport(base: &str, provider: Provider, config: TransportConfig) -> Transport {
    Transport::builder(provider, base)
        .config(config)
        .documented_429(provider == Provider::Arta)
        .build()
        .unwrap()
}

/// A backoff of 1 ms (a 429's pause 0.5 to 1 ms, a 503's retry 0 to 1 ms).
fn quick() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1))
}

/// Inside a loop over cases: records a broken expectation and goes on with the next case, so
/// that a failure lists every case that breaks, not the first.
macro_rules! expect {
    ($problems:ident, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $problems.push(format!($($msg)+));
            continue;
        }
    };
}

fn describe(result: &Result<HttpResponse, Error>) -> String {
    match result {
        Ok(resp) => format!(
            "Ok(status {}, attempts {}, earlier_attempt_maybe_sent {})",
            resp.status, resp.attempts, resp.earlier_attempt_maybe_sent
        ),
        Err(e) => format!(
            "Err(kind {:?}, sent {:?}, attempts {}, status {:?}: {e})",
            e.kind(),
            e.sent(),
            e.attempts(),
            e.status()
        ),
    }
}

/// 429, then 503 (a transient failure, retried), then the retry finds no turn under the rate
/// limit before the call timeout. The attempt that is not made is a retry after a 503, not
/// after a 429: the call ends `Timeout` ("no turn under the rate limit ... within the call
/// timeout"), as the transport documents for a retry that finds no turn, and does not answer
/// with the 429 of its first attempt (the 503 came after it).
#[tokio::test]
async fn a_retry_after_a_503_that_follows_a_429_and_finds_no_rate_turn_is_not_answered_by_the_old_429()
 {
    let mut problems = Vec::new();
    for (provider, request) in [
        (Provider::Arta, get()),
        (Provider::Arta, idempotent_post()),
        (Provider::Di, get()),
        (Provider::Di, idempotent_post()),
    ] {
        let server = serve(vec![
            Step::status(429),
            Step::status(503),
            Step::status(200),
        ])
        .await;
        let config = TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(RateLimit::per_minute(2))
            .with_call_timeout(Duration::from_secs(5));
        let t = transport(&server.base_url, provider, config);
        let result = t.send(&request).await;
        let what = format!("{provider:?} {}: {}", request.method, describe(&result));
        expect!(
            problems,
            server.hits() == 2,
            "{what}: server saw {}",
            server.hits()
        );
        let Err(err) = result else {
            problems.push(format!(
                "the last attempt was answered 503, yet the call answered: {what}"
            ));
            continue;
        };
        expect!(problems, err.kind() == ErrorKind::Timeout, "{what}");
        expect!(problems, err.attempts() == 2, "{what}");
        expect!(
            problems,
            err.message()
                == "no turn under the rate limit of 2 calls per 60s within the call timeout (5s)",
            "{what}"
        );
        // A POST answered 503 may have been applied.
        expect!(
            problems,
            request.method != rescind_core::http::Method::POST || err.sent() == Sent::MaybeSent,
            "{what}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same through a timed-out attempt: 429, then an attempt that gets no answer within its
/// attempt timeout (it may have been applied), then no rate turn. Not the 429 as the answer:
/// the call timed out, maybe sent.
#[tokio::test]
async fn a_retry_after_a_timed_out_attempt_that_follows_a_429_is_not_answered_by_the_old_429() {
    let mut problems = Vec::new();
    for provider in [Provider::Arta, Provider::Di] {
        let server = serve(vec![
            Step::status(429),
            Step::status(200).with_delay(Duration::from_millis(800)),
            Step::status(200),
        ])
        .await;
        let config = TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(RateLimit::per_minute(2))
            .with_attempt_timeout(Duration::from_millis(100))
            .with_call_timeout(Duration::from_secs(5));
        let t = transport(&server.base_url, provider, config);
        let result = t.send(&idempotent_post()).await;
        let what = format!("{provider:?}: {}", describe(&result));
        expect!(
            problems,
            server.hits() == 2,
            "{what}: server saw {}",
            server.hits()
        );
        let Err(err) = result else {
            problems.push(format!(
                "the last attempt timed out, yet the call answered: {what}"
            ));
            continue;
        };
        expect!(
            problems,
            (err.kind(), err.sent(), err.status()) == (ErrorKind::Timeout, Sent::MaybeSent, None),
            "{what}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// 429, then 503 (its retry waits the 503's `Retry-After`, 1 s); meanwhile another caller of
/// the client, probing the ramp, is answered 429 with `Retry-After: 20`: the whole client
/// pauses past the first call's deadline. The first call's retry after its 503 finds no turn:
/// it ends as a call that the pause keeps from sending (`RateLimited`, an error), not with the
/// 429 of its first attempt as its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_503_that_a_later_pause_keeps_from_sending_is_not_answered_by_the_old_429()
{
    let mut problems = Vec::new();
    for provider in [Provider::Arta, Provider::Di] {
        let server = serve(vec![
            Step::status(429),
            Step::status(503).with_header("retry-after", "1"),
            Step::status(429).with_header("retry-after", "20"),
            Step::status(200),
        ])
        .await;
        let config = TransportConfig::default()
            .with_retry(quick())
            .with_call_timeout(Duration::from_secs(5));
        let t = transport(&server.base_url, provider, config);
        let first = tokio::spawn({
            let t = t.clone();
            async move { t.send(&idempotent_post()).await }
        });
        // The 503 came: the first call waits its second's Retry-After.
        let waited = std::time::Instant::now();
        while server.hits() < 2 {
            assert!(waited.elapsed() < Duration::from_secs(4), "no 503 yet");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let other =
            deadline::scope(Instant::now() + Duration::from_millis(300), t.send(&get())).await;
        assert_eq!(server.hits(), 3, "the other call: {}", describe(&other));
        assert!(
            matches!(&other, Ok(r) if r.status == 429),
            "{}",
            describe(&other)
        );
        let result = first.await.unwrap();
        let what = format!("{provider:?}: {}", describe(&result));
        expect!(
            problems,
            server.hits() == 3,
            "{what}: server saw {}",
            server.hits()
        );
        let Err(err) = result else {
            problems.push(format!(
                "the last attempt was answered 503, yet the call answered: {what}"
            ));
            continue;
        };
        expect!(
            problems,
            (err.kind(), err.sent(), err.attempts())
                == (ErrorKind::RateLimited, Sent::MaybeSent, 2),
            "{what}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A retry after a 429 whose turn under the rate limit comes 0.5 ms before the caller's
/// deadline: its wait ends within tokio's timer resolution of the deadline, so it is not made
/// (CHANGELOG, "Fixed"): the 429 is the answer, and nothing more reaches the server. (A paused
/// clock: the first attempt starts at `t0`, its window's end is `t0 + 1 s`.)
#[tokio::test(start_paused = true)]
async fn a_retry_after_a_429_whose_rate_turn_ends_within_a_millisecond_of_the_deadline_is_not_made()
{
    let mut problems = Vec::new();
    for provider in [Provider::Arta, Provider::Di] {
        let server = serve(vec![Step::status(429), Step::status(200)]).await;
        let config = TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(1)));
        let t = transport(&server.base_url, provider, config);
        let t0 = Instant::now();
        let result = deadline::scope(
            t0 + Duration::from_secs(1) + Duration::from_micros(500),
            t.send(&get()),
        )
        .await;
        let what = format!("{provider:?}: {}", describe(&result));
        expect!(
            problems,
            server.hits() == 1,
            "a retry was sent with less than 1 ms left ({} requests): {what}",
            server.hits()
        );
        expect!(
            problems,
            matches!(&result, Ok(r) if (r.status, r.attempts) == (429, 1)),
            "{what}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same, the turn exactly at the deadline: the wait ends at the deadline, no attempt
/// starts, the 429 is the answer.
#[tokio::test(start_paused = true)]
async fn a_retry_after_a_429_whose_rate_turn_is_the_deadline_answers_the_429() {
    for provider in [Provider::Arta, Provider::Di] {
        let server = serve(vec![Step::status(429), Step::status(200)]).await;
        let config = TransportConfig::default()
            .with_retry(quick())
            .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(1)));
        let t = transport(&server.base_url, provider, config);
        let t0 = Instant::now();
        let result = deadline::scope(t0 + Duration::from_secs(1), t.send(&idempotent_post())).await;
        let what = format!("{provider:?}: {}", describe(&result));
        assert_eq!(server.hits(), 1, "{what}");
        let resp = result.expect(&what);
        assert_eq!((resp.status, resp.attempts), (429, 1), "{what}");
        // Di documents no 429: a change answered so may have been applied.
        assert_eq!(
            resp.earlier_attempt_maybe_sent,
            provider == Provider::Di,
            "{what}"
        );
    }
}

/// A first attempt whose turn under the rate limit is exactly the caller's deadline: it is
/// not sent, and not waited for (a wait ending within the timer's resolution of the deadline
/// is not made): `Timeout`, not sent, the rate limit and the caller's deadline named.
#[tokio::test(start_paused = true)]
async fn a_first_attempt_whose_rate_turn_is_the_deadline_is_not_sent() {
    let server = serve(vec![Step::status(200)]).await;
    let config = TransportConfig::default()
        .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(1)));
    let t = transport(&server.base_url, Provider::Arta, config);
    let t0 = Instant::now();
    assert_eq!(t.send(&get()).await.unwrap().status, 200);
    let result = deadline::scope(t0 + Duration::from_secs(1), t.send(&idempotent_post())).await;
    let what = describe(&result);
    assert_eq!(server.hits(), 1, "{what}");
    let err = result.expect_err(&what);
    assert_eq!(
        (err.kind(), err.sent(), err.attempts()),
        (ErrorKind::Timeout, Sent::NotSent, 0),
        "{what}"
    );
    assert_eq!(
        err.message(),
        "no turn under the rate limit of 1 calls per 1s within the caller's deadline"
    );
    assert_eq!(Instant::now(), t0, "refused without waiting for the turn");
}

/// What the server saw of one call, checked against what the call reports.
fn check_truthful(
    label: &str,
    request: &HttpRequest,
    documented_429: bool,
    statuses: &[u16],
    result: &Result<HttpResponse, Error>,
) {
    let hits = statuses.len() as u32;
    let what = format!(
        "{label}: server saw {statuses:?}; call {}",
        describe(result)
    );
    let is_change = request.method != rescind_core::http::Method::GET;
    match result {
        Ok(resp) => {
            // The answer is the last one the server gave, never an older one.
            assert_eq!(statuses.last(), Some(&resp.status), "{what}");
            assert_eq!(resp.attempts, hits, "{what}");
            if is_change {
                // Earlier attempts of a change: a 503 or an undocumented 429 may have been
                // applied; documented 429s never.
                let earlier = &statuses[..statuses.len() - 1];
                let may = earlier.iter().any(|&s| s != 429 || !documented_429)
                    || (resp.status == 429 && !documented_429);
                if resp.status == 429 && !documented_429 {
                    assert!(resp.earlier_attempt_maybe_sent, "{what}");
                } else {
                    assert_eq!(resp.earlier_attempt_maybe_sent, may, "{what}");
                }
            }
        }
        Err(err) => {
            // An attempt cut by the deadline reached the server or not: at most what the
            // call counts, never more.
            assert!(hits <= err.attempts(), "{what}");
            assert!(
                err.attempts() <= hits + 1,
                "more attempts reported than made: {what}"
            );
            if err
                .message()
                .contains("passed before this request was sent")
            {
                assert_eq!(err.kind(), ErrorKind::Timeout, "{what}");
                assert_eq!(err.attempts(), hits, "{what}");
                // The attempt not made is a retry after the last answer: after a 429, that
                // 429 is the call's answer, not a timeout.
                assert_ne!(
                    statuses.last(),
                    Some(&429),
                    "a retry after a 429 ended Timeout: {what}"
                );
            }
            match err.sent() {
                Sent::NotSent => {
                    if is_change {
                        assert!(
                            hits == 0 || (statuses.iter().all(|&s| s == 429) && documented_429),
                            "not sent, but the server saw it: {what}"
                        );
                    }
                    if hits == 0 {
                        assert_eq!(err.attempts(), 0, "{what}");
                    }
                }
                Sent::MaybeSent => {}
                Sent::Answered => panic!("the transport never answers with an error: {what}"),
                _ => {}
            }
            if is_change && hits > 0 && statuses.iter().any(|&s| s != 429 || !documented_429) {
                assert_eq!(err.sent(), Sent::MaybeSent, "{what}");
            }
        }
    }
}

fn statuses_seen(server: &Scripted, steps: &[Step]) -> Vec<u16> {
    (0..server.hits())
        .map(|i| match &steps[i.min(steps.len() - 1)] {
            Step::Answer { status, .. } => *status,
            Step::Drop => 0,
        })
        .collect()
}

/// A 429 storm (some with `Retry-After: 0`, a few 503s mixed in) against short call timeouts
/// and caller deadlines from already past to 40 ms ahead, for a provider that documents its
/// 429 and one that does not, a read and a change: whatever the timing, what the call reports
/// matches what the server saw, and no retry after a 429 ends `Timeout` before being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storms_of_429s_and_503s_at_many_deadline_edges_report_only_what_the_server_saw() {
    let mut rng = fastrand::Rng::with_seed(10);
    for round in 0..48u32 {
        let provider = if round % 2 == 0 {
            Provider::Arta
        } else {
            Provider::Di
        };
        let request = if round % 4 < 2 {
            get()
        } else {
            idempotent_post()
        };
        let steps: Vec<Step> = (0..400)
            .map(|_| match rng.u32(0..10) {
                0 => Step::status(503),
                1 | 2 => Step::status(429).with_header("retry-after", "0"),
                _ => Step::status(429),
            })
            .collect();
        let server = serve(steps.clone()).await;
        let config = TransportConfig::default()
            .with_retry(
                RetryPolicy::default()
                    .with_max_attempts(50)
                    .with_max_throttle_retries(200)
                    .with_backoff(Duration::from_micros(300), Duration::from_millis(2))
                    .with_max_throttle_backoff(Duration::from_millis(3)),
            )
            .with_call_timeout(Duration::from_millis(u64::from(1 + round % 12)));
        let t = transport(&server.base_url, provider, config);
        // A caller deadline from 1 ms past to ~40 ms ahead, or none (the call timeout).
        let offset = i64::from(rng.u32(0..42)) - 2;
        let result = if offset < 0 {
            t.send(&request).await
        } else {
            let at = Instant::now() + Duration::from_micros(offset as u64 * 997);
            deadline::scope(at, t.send(&request)).await
        };
        // Let a cut attempt land, then read what the server saw.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let seen = statuses_seen(&server, &steps);
        check_truthful(
            &format!(
                "round {round} {provider:?} {} offset {offset}",
                request.method
            ),
            &request,
            provider == Provider::Arta,
            &seen,
            &result,
        );
    }
}

/// A caller's deadline already past, or passing in the same instant, with the client paused
/// after a 429 or not: nothing is sent, `Timeout` or `RateLimited`, not sent, 0 attempts.
#[tokio::test]
async fn a_deadline_already_past_sends_nothing_paused_or_not() {
    let server = serve(vec![
        Step::status(429).with_header("retry-after", "5"),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        Provider::Arta,
        TransportConfig::default().with_retry(quick()),
    );
    for past in [
        Duration::ZERO,
        Duration::from_millis(1),
        Duration::from_secs(1),
    ] {
        let at = Instant::now() - past;
        let err = deadline::scope(at, t.send(&idempotent_post()))
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.sent(), err.attempts()),
            (ErrorKind::Timeout, Sent::NotSent, 0),
            "{err}"
        );
    }
    assert_eq!(server.hits(), 0);
    // Paused for 5 s by a 429.
    let resp = deadline::scope(Instant::now() + Duration::from_millis(200), t.send(&get()))
        .await
        .unwrap();
    assert_eq!(resp.status, 429);
    for ahead in [0u64, 1, 3, 50] {
        let at = Instant::now() + Duration::from_millis(ahead);
        let err = deadline::scope(at, t.send(&idempotent_post()))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Timeout | ErrorKind::RateLimited),
            "{err}"
        );
        assert_eq!((err.sent(), err.attempts()), (Sent::NotSent, 0), "{err}");
        assert_eq!(err.status(), None, "{err}");
    }
    assert_eq!(server.hits(), 1);
}

/// A wait for a place under the concurrency limit (1) that ends around the caller's
/// deadline, at many offsets: the waiting call is either sent (and then answered or cut) or
/// not sent at all with `Timeout`, `NotSent`, 0 attempts, and the server never sees it then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_under_the_concurrency_limit_freed_near_the_deadline_is_reported_truthfully() {
    for round in 0..30u64 {
        let hold = Duration::from_millis(20);
        let server = serve(vec![Step::status(200).with_delay(hold)]).await;
        let t = transport(
            &server.base_url,
            Provider::Di,
            TransportConfig::default()
                .with_retry(RetryPolicy::none())
                .with_max_concurrency(1),
        );
        let holder = tokio::spawn({
            let t = t.clone();
            async move { t.send(&get()).await }
        });
        // The holder has its place (its request reached the server).
        let waited = std::time::Instant::now();
        while server.hits() < 1 {
            assert!(waited.elapsed() < Duration::from_secs(5));
            tokio::task::yield_now().await;
        }
        // Deadlines from before to after the holder's answer (about 20 ms from now).
        let at = Instant::now() + Duration::from_micros(14_000 + round * 400);
        let result = deadline::scope(at, t.send(&idempotent_post())).await;
        holder.await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mine = server.hits() - 1;
        let what = format!("round {round}: server saw {mine}; {}", describe(&result));
        match &result {
            Ok(resp) => assert_eq!((resp.status, mine), (200, 1), "{what}"),
            Err(err) if err.sent() == Sent::NotSent => {
                assert_eq!(
                    (err.kind(), err.attempts(), mine),
                    (ErrorKind::Timeout, 0, 0),
                    "{what}"
                );
            }
            Err(err) => {
                assert_eq!(
                    (err.kind(), err.sent(), err.attempts()),
                    (ErrorKind::Timeout, Sent::MaybeSent, 1),
                    "{what}"
                );
                assert!(mine <= 1, "{what}");
            }
        }
        assert!(server.max_in_flight.load(Ordering::SeqCst) <= 1);
    }
}
