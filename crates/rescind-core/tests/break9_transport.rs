//! break9: the transport's rare paths, pinned as the parent (801d525) behaves, through a
//! scripted socket (`support::serve`: answers in order, whatever the path): the 401
//! renew-once-and-replay for changes, retries that run out of budget or of time, a 429 with a
//! rate limit and a concurrency limit, no turn of the rate limit for the retry after a 429,
//! a login failing under several callers, an oversized body, and calls dropped mid-wait.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::SecretString;
use rescind_core::{
    Error, ErrorKind, HttpRequest, HttpResponse, Login, Provider, RateLimit, Sent, Token,
    TokenCache, Transport, TransportConfig, async_trait, deadline,
};
use support::{Step, get, post, serve};
use tokio::time::Instant;

/// A PUT: a change, idempotent.
fn put() -> HttpRequest {
    HttpRequest::new("put_thing", Method::PUT, "/things/{id}", "/things/1")
        .with_json_body(r#"{"a":1}"#)
        .idempotent(true)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn within(n: u64) -> Instant {
    Instant::now() + ms(n)
}

fn fast() -> RetryPolicy {
    RetryPolicy::default().with_backoff(ms(1), ms(5))
}

fn transport(base: &str, config: TransportConfig, documented_429: bool) -> Transport {
    Transport::builder(
        if documented_429 {
            Provider::Arta
        } else {
            Provider::SkipPay
        },
        base,
    )
    .config(config)
    .documented_429(documented_429)
    .build()
    .unwrap()
}

/// A login that sends nothing: token `t<n>` for the n-th login, or a failure from login
/// number `fail_from` on; `refuses` says whether a 401 is the documented refusal of a token.
#[derive(Debug)]
struct LocalLogin {
    refuses: bool,
    fail_from: usize,
    fail_kind: ErrorKind,
    delay: Duration,
    logins: AtomicUsize,
}

impl LocalLogin {
    fn new(refuses: bool) -> LocalLogin {
        LocalLogin {
            refuses,
            fail_from: usize::MAX,
            fail_kind: ErrorKind::Unauthorized,
            delay: Duration::ZERO,
            logins: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Login for LocalLogin {
    async fn login(&self, _transport: &Transport) -> Result<Token, Error> {
        let n = self.logins.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if n >= self.fail_from {
            return Err(
                Error::new(self.fail_kind, Sent::Answered, "the login was refused")
                    .with_provider(Provider::Di)
                    .with_operation("login")
                    .with_status(if self.fail_kind == ErrorKind::Unauthorized {
                        401
                    } else {
                        503
                    }),
            );
        }
        Ok(Token::new(
            SecretString::from(format!("t{n}")),
            Duration::from_secs(3600),
        ))
    }

    fn refuses_token(&self, _response: &HttpResponse) -> bool {
        self.refuses
    }
}

/// [`bearer`] with the fast retry policy and a login whose 401s are documented refusals of
/// the token when `refuses`.
fn fast_bearer(base: &str, refuses: bool) -> (Transport, Arc<TokenCache>) {
    fast_bearer_with(base, LocalLogin::new(refuses))
}

/// [`bearer`] with the fast retry policy and `login`.
fn fast_bearer_with(base: &str, login: LocalLogin) -> (Transport, Arc<TokenCache>) {
    bearer(
        base,
        Arc::new(login),
        TransportConfig::default().with_retry(fast()),
    )
}

fn bearer(
    base: &str,
    login: Arc<LocalLogin>,
    config: TransportConfig,
) -> (Transport, Arc<TokenCache>) {
    support::login_transport(base, config, login, Duration::from_secs(60))
}

// ---------------------------------------------------------------------------------------
// 401: renew once, replay once

/// A documented refusal of the token (the default `refuses_token`): every request, a change
/// that is not idempotent included, is replayed once with a new token, and the replay's
/// answer is read as if it came first.
#[tokio::test]
async fn a_documented_401_to_a_post_renews_and_replays_once_and_proves_nothing_was_sent_before() {
    let server = serve(vec![Step::status(401), Step::status(201)]).await;
    let login = Arc::new(LocalLogin::new(true));
    let (t, cache) = bearer(
        &server.base_url,
        login.clone(),
        TransportConfig::default().with_retry(fast()),
    );
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (201, 2));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 2);
    assert_eq!(cache.login_count(), 2);

    // Two refusals in a row: the second 401 is the answer, no third request, no loop.
    let server = serve(vec![Step::status(401)]).await;
    let (t, cache) = fast_bearer(&server.base_url, true);
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (401, 2));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 2);
    assert_eq!(cache.login_count(), 2);
}

/// A 401 that is not the documented refusal, to a change that is not idempotent: the 401 is
/// the answer (the change may have been applied before it), not replayed, no new login.
#[tokio::test]
async fn an_undocumented_401_to_a_post_is_the_answer_and_nothing_is_replayed() {
    let server = serve(vec![Step::status(401), Step::status(201)]).await;
    let (t, cache) = fast_bearer(&server.base_url, false);
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (401, 1));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 1);
    assert_eq!(cache.login_count(), 1);
    // The token was not invalidated: the next call sends with it, no login.
    let resp = t.send(&get()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (201, 1));
    assert_eq!(cache.login_count(), 1);
}

/// The same 401 to an idempotent change: replayed once with a new token, and the call stays
/// maybe sent whatever the replay answers (a refusal included).
#[tokio::test]
async fn an_undocumented_401_to_an_idempotent_change_is_replayed_and_stays_maybe_sent() {
    let server = serve(vec![Step::status(401), Step::status(422)]).await;
    let (t, cache) = fast_bearer(&server.base_url, false);
    let resp = t.send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (422, 2));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 2);
    assert_eq!(cache.login_count(), 2);
    // A read: replayed, proves nothing either way (safe): not maybe sent.
    let server = serve(vec![Step::status(401), Step::status(200)]).await;
    let (t, _cache) = fast_bearer(&server.base_url, false);
    let resp = t.send(&get()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (200, 2));
    assert!(!resp.earlier_attempt_maybe_sent);
}

/// The renewal's login fails after the 401: the login's error, with the attempts so far; its
/// `sent` is kept for a read (the second attempt never went), `MaybeSent` for an idempotent
/// change whose first attempt may have been applied.
#[tokio::test]
async fn a_login_failing_after_a_401_ends_the_call_with_the_logins_error() {
    let server = serve(vec![Step::status(401), Step::status(200)]).await;
    let (t, cache) = fast_bearer_with(
        &server.base_url,
        LocalLogin {
            fail_from: 1,
            ..LocalLogin::new(true)
        },
    );
    let err = t.send(&get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.operation(), Some("login"));
    assert_eq!(err.status(), Some(401));
    assert_eq!(server.hits(), 1);
    assert_eq!(cache.login_count(), 2);

    let server = serve(vec![Step::status(401), Step::status(200)]).await;
    let (t, _cache) = fast_bearer_with(
        &server.base_url,
        LocalLogin {
            fail_from: 1,
            ..LocalLogin::new(false)
        },
    );
    let err = t.send(&put()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.hits(), 1);
}

/// A login refused while several callers wait for it: one login, every caller gets its
/// error, not sent, no attempt, and nothing reaches the API.
#[tokio::test]
async fn a_login_refused_under_several_waiting_callers_ends_each_unsent() {
    let server = serve(vec![Step::status(200)]).await;
    let login = Arc::new(LocalLogin {
        fail_from: 0,
        delay: ms(50),
        ..LocalLogin::new(true)
    });
    let (t, cache) = bearer(
        &server.base_url,
        login.clone(),
        TransportConfig::default()
            .with_retry(fast())
            .with_max_concurrency(2),
    );
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let t = t.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    t.send(&get()).await
                } else {
                    t.send(&post()).await
                }
            })
        })
        .collect();
    for c in calls {
        let err = c.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.status(), Some(401));
    }
    assert_eq!(login.logins.load(Ordering::SeqCst), 1);
    assert_eq!(cache.login_count(), 1);
    assert_eq!(server.hits(), 0);
}

/// A login that keeps failing transiently under callers whose deadline is short: each ends
/// with the login's error or a timeout, never sent.
#[tokio::test]
async fn a_login_failing_transiently_ends_short_deadline_callers_unsent() {
    let server = serve(vec![Step::status(200)]).await;
    let login = Arc::new(LocalLogin {
        fail_from: 0,
        fail_kind: ErrorKind::Server,
        delay: ms(20),
        ..LocalLogin::new(true)
    });
    let (t, _cache) = bearer(
        &server.base_url,
        login.clone(),
        TransportConfig::default()
            .with_retry(RetryPolicy::default().with_backoff(ms(300), ms(300))),
    );
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { deadline::scope(within(150), t.send(&post())).await })
        })
        .collect();
    for c in calls {
        let err = c.await.unwrap().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Server | ErrorKind::Timeout),
            "{err}"
        );
        assert_eq!(err.sent(), Sent::NotSent, "{err}");
        assert_eq!(err.attempts(), 0);
    }
    assert_eq!(server.hits(), 0);
}

// ---------------------------------------------------------------------------------------
// Retries: the budget, the deadline, Retry-After

/// A retry the budget cannot pay: the answer as it came (attempts 1, not maybe sent for a
/// 503 whose retry never went); a lost connection: Transport, MaybeSent.
#[tokio::test]
async fn retries_that_run_out_of_budget_end_with_the_last_attempt() {
    // Room for one retry after a 503 (5), none after a lost connection (10).
    let policy = fast().with_budget_capacity(9);
    let server = serve(vec![
        Step::status(503),
        Step::status(503),
        Step::status(503),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(policy.clone()),
        true,
    );
    let resp = t.send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (503, 2));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(t.retry_budget_available(), 4);
    // The budget is the client's: the next call retries nothing.
    let resp = t.clone().send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (503, 1));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 3);

    let server = serve(vec![Step::Drop, Step::status(200)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(policy),
        true,
    );
    let err = t.send(&get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.hits(), 1);
    assert_eq!(t.retry_budget_available(), 9);
}

/// A success refunds the budget (one token), up to its capacity; a success whose body is over
/// the limit refunds it too, and is a Decode error: maybe sent after the 503 to the change
/// (answered when it came first, below).
#[tokio::test]
async fn a_body_over_the_limit_is_an_error_after_its_retries_and_refunds_the_budget() {
    let big = Step::Answer {
        status: 200,
        headers: vec![],
        body: vec![b'x'; 2048],
        delay: Duration::ZERO,
    };
    let server = serve(vec![Step::status(503), big.clone(), Step::status(200)]).await;
    let policy = fast().with_budget_capacity(20);
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(policy)
            .with_body_limits(1024, 64),
        true,
    );
    let err = t.send(&put()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.attempts(), 2);
    assert!(err.to_string().contains("1024 byte limit"), "{err}");
    assert_eq!(server.hits(), 2);
    // 20 - 5 for the retry + 1 for the (oversized) success.
    assert_eq!(t.retry_budget_available(), 16);
    // The third step: a read, answered at once.
    assert_eq!(t.send(&get()).await.unwrap().attempts, 1);

    // Oversized on the first attempt: a change's unread 2xx proves nothing (maybe sent), a
    // read's is answered; one attempt each, not retried.
    for (req, sent) in [(post(), Sent::MaybeSent), (get(), Sent::Answered)] {
        let server = serve(vec![big.clone()]).await;
        let t = transport(
            &server.base_url,
            TransportConfig::default().with_body_limits(1024, 64),
            true,
        );
        let err = t.send(&req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert_eq!(err.sent(), sent, "{err}");
        assert_eq!(err.attempts(), 1);
        assert_eq!(server.hits(), 1);
    }

    // An error body over its cap is cut, not an error; it is the answer.
    let server = serve(vec![Step::Answer {
        status: 422,
        headers: vec![],
        body: vec![b'y'; 500],
        delay: Duration::ZERO,
    }])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_body_limits(1024, 64),
        true,
    );
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (422, 1));
    assert_eq!(resp.body.len(), 64);
    assert!(resp.truncated);
}

/// A retry whose delay would end after the caller's deadline is not waited for: the answer
/// as it came, at once.
#[tokio::test]
async fn a_retry_delay_past_the_callers_deadline_ends_with_the_answer_at_once() {
    let server = serve(vec![
        Step::status(503).with_header("retry-after", "1"),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast()),
        true,
    );
    let started = std::time::Instant::now();
    let resp = deadline::scope(within(300), t.send(&put())).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (503, 1));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert!(started.elapsed() < ms(250), "{:?}", started.elapsed());
    assert_eq!(server.hits(), 1);
    // A Retry-After over the policy's cap: not retried either.
    let server = serve(vec![
        Step::status(503).with_header("retry-after", "120"),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast()),
        true,
    );
    let resp = t.send(&get()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (503, 1));
    assert_eq!(server.hits(), 1);
}

/// Under a rate limit, a retry after 503s with no turn before the call timeout: a Timeout
/// with the attempts made, maybe sent for an idempotent change, not for a read.
#[tokio::test]
async fn a_retry_with_no_turn_of_the_rate_limit_fails_with_the_attempts_made() {
    for (req, sent) in [(put(), Sent::MaybeSent), (get(), Sent::NotSent)] {
        let server = serve(vec![Step::status(503)]).await;
        let t = transport(
            &server.base_url,
            TransportConfig::default()
                .with_retry(fast().with_max_attempts(5))
                .with_rate_limit(RateLimit::per_minute(2).with_window(Duration::from_secs(3600))),
            true,
        );
        let err = t.send(&req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.sent(), sent, "{err}");
        assert_eq!(err.attempts(), 2);
        assert!(err.to_string().contains("rate limit of 2 calls"), "{err}");
        assert_eq!(server.hits(), 2);
    }
}

// ---------------------------------------------------------------------------------------
// 429 with a rate limit and a concurrency limit

/// A 429 with `Retry-After: 1` under a rate limit and a concurrency limit of 1: the call
/// waits the pause out holding its place, the retry takes a turn; another caller waits for
/// the place and then goes; no failure attempt and no budget token spent.
#[tokio::test]
async fn a_429_with_retry_after_under_both_limits_waits_holding_the_place() {
    let server = serve(vec![
        Step::status(429).with_header("retry-after", "1"),
        Step::status(200),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast().with_max_attempts(1))
            .with_rate_limit(RateLimit::per_minute(10).with_window(Duration::from_secs(2)))
            .with_max_concurrency(1),
        true,
    );
    let started = std::time::Instant::now();
    let first = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&post()).await })
    };
    tokio::time::sleep(ms(100)).await;
    let second = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    let first = first.await.unwrap().unwrap();
    assert_eq!((first.status, first.attempts), (200, 2));
    assert!(!first.earlier_attempt_maybe_sent);
    let second = second.await.unwrap().unwrap();
    assert_eq!((second.status, second.attempts), (200, 1));
    assert!(started.elapsed() >= ms(950), "{:?}", started.elapsed());
    assert_eq!(server.hits(), 3);
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 1);
    assert_eq!(
        t.retry_budget_available(),
        RetryPolicy::default().budget_capacity
    );
}

/// A 429 without `Retry-After`, undocumented (Skip Pay, Di): a POST is not resent and the
/// answer is maybe sent; a PUT is retried after the backoff and stays maybe sent.
#[tokio::test]
async fn an_undocumented_429_without_retry_after_under_both_limits() {
    let config = || {
        TransportConfig::default()
            .with_retry(fast().with_max_attempts(1))
            .with_rate_limit(RateLimit::per_minute(10).with_window(Duration::from_secs(2)))
            .with_max_concurrency(2)
    };
    let server = serve(vec![Step::status(429), Step::status(201)]).await;
    let t = transport(&server.base_url, config(), false);
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (429, 1));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 1);

    let server = serve(vec![Step::status(429), Step::status(204)]).await;
    let t = transport(&server.base_url, config(), false);
    let resp = t.send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (204, 2));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 2);
}

/// The retry after a 429 finds no turn of the rate limit before the caller's deadline: the
/// 429 is the answer (attempts 1), nothing more is sent; a later call with no turn fails
/// unsent (Timeout).
#[tokio::test]
async fn the_retry_after_a_429_with_no_turn_of_the_rate_limit_answers_the_429() {
    let server = serve(vec![Step::status(429), Step::status(200)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(RetryPolicy::default().with_backoff(ms(20), ms(20)))
            .with_rate_limit(RateLimit::per_minute(1).with_window(Duration::from_secs(3))),
        true,
    );
    let resp = deadline::scope(within(1000), t.send(&post()))
        .await
        .unwrap();
    assert_eq!((resp.status, resp.attempts), (429, 1));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 1);
    // Time for the pause to pass (20 ms, jittered) but not for the window.
    tokio::time::sleep(ms(100)).await;
    let err = deadline::scope(within(1000), t.send(&get()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert_eq!(server.hits(), 1);
}

/// The policy's retries after a 429 are spent: the last 429 is the answer, with every
/// attempt counted.
#[tokio::test]
async fn the_last_429_is_the_answer_once_the_throttle_retries_are_spent() {
    let server = serve(vec![Step::status(429)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(
            RetryPolicy::default()
                .with_backoff(ms(5), ms(5))
                .with_max_throttle_retries(2),
        ),
        true,
    );
    let resp = t.send(&post()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (429, 3));
    assert!(!resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 3);
}

/// 503 then 429 then 200 for an idempotent change: the 503 makes it maybe sent, the 429
/// costs no failure attempt (max 2), and the budget pays one retry.
#[tokio::test]
async fn a_5xx_then_a_429_then_an_answer_counts_attempts_apart() {
    let server = serve(vec![
        Step::status(503),
        Step::status(429),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast().with_max_attempts(2)),
        true,
    );
    let resp = t.send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (200, 3));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(server.hits(), 3);
    assert_eq!(
        t.retry_budget_available(),
        RetryPolicy::default().budget_capacity - 5 + 1
    );
}

// ---------------------------------------------------------------------------------------
// Cancel-safety: a call dropped mid-wait sends nothing more

/// Dropped during the delay before a retry (after a 503), during the pause after a 429,
/// while waiting for a place, and while waiting for a turn of the rate limit: nothing more is
/// sent, later.
#[tokio::test]
async fn a_call_dropped_mid_wait_sends_nothing_more() {
    // The retry delay: the 503's Retry-After sets it to 1 s (a backoff's full jitter could
    // make it shorter than the 5 ms before the drop, and the retry would go first).
    let server = serve(vec![
        Step::status(503).with_header("retry-after", "1"),
        Step::status(200),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(RetryPolicy::default().with_backoff(ms(400), ms(400))),
        true,
    );
    let _ = tokio::time::timeout(ms(5), t.send(&put())).await;
    tokio::time::sleep(ms(1200)).await;
    assert!(server.hits() <= 1);

    // The pause after a 429.
    let server = serve(vec![Step::status(429), Step::status(200)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(RetryPolicy::default().with_backoff(ms(800), ms(800))),
        true,
    );
    assert!(
        tokio::time::timeout(ms(200), t.send(&post()))
            .await
            .is_err()
    );
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(ms(1000)).await;
    assert_eq!(server.hits(), 1);

    // A place under the limit, held by a slow call.
    let server = serve(vec![Step::status(200).with_delay(ms(300))]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_max_concurrency(1),
        true,
    );
    let slow = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    tokio::time::sleep(ms(50)).await;
    assert!(tokio::time::timeout(ms(50), t.send(&post())).await.is_err());
    assert_eq!(slow.await.unwrap().unwrap().status, 200);
    tokio::time::sleep(ms(100)).await;
    assert_eq!(server.hits(), 1);

    // A turn of the rate limit: the reservation stays taken (the next caller waits for the
    // window after it).
    let server = serve(vec![Step::status(200)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_rate_limit(RateLimit::per_minute(1).with_window(ms(400))),
        true,
    );
    let started = std::time::Instant::now();
    t.send(&get()).await.unwrap();
    assert!(
        tokio::time::timeout(ms(100), t.send(&post()))
            .await
            .is_err()
    );
    assert_eq!(server.hits(), 1);
    let resp = t.send(&get()).await.unwrap();
    assert_eq!(resp.attempts, 1);
    assert!(started.elapsed() >= ms(780), "{:?}", started.elapsed());
    assert_eq!(server.hits(), 2);
}

/// A change whose answer never comes before the attempt timeout: Timeout, maybe sent, sent
/// once; an idempotent one is retried and the retry's answer comes back maybe sent.
#[tokio::test]
async fn an_attempt_timeout_is_maybe_sent_and_only_idempotent_changes_are_repeated() {
    let server = serve(vec![
        Step::status(201).with_delay(ms(500)),
        Step::status(201),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast())
            .with_attempt_timeout(ms(100)),
        true,
    );
    let err = t.send(&post()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 1);
    tokio::time::sleep(ms(500)).await;
    assert_eq!(server.hits(), 1);

    let server = serve(vec![
        Step::status(201).with_delay(ms(500)),
        Step::status(204),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast())
            .with_attempt_timeout(ms(100)),
        true,
    );
    let resp = t.send(&put()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (204, 2));
    assert!(resp.earlier_attempt_maybe_sent);
    assert_eq!(
        t.retry_budget_available(),
        RetryPolicy::default().budget_capacity - 10 + 1
    );
}
