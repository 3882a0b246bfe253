//! Logins that never storm: one login flight serves every waiting caller, success or failure;
//! a credential refusal is remembered for the cool-down; a failing login endpoint is retried
//! with backoff across callers; no wait (for a place under the limit, for a login) outlasts
//! the call timeout; a login never waits for the limit its caller holds.
//!
//! Two harnesses: a scripted [`Login`] under tokio's paused clock, for counts and waits that
//! must not depend on the machine's speed; and real HTTP (httpmock, or the scripted server of
//! `support`) for the whole path through the transport.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::{ExposeSecret, SecretString};
use rescind_core::token::CurrentToken;
use rescind_core::{
    Error, ErrorKind, HttpRequest, HttpResponse, Login, LoginFailure, Provider, Sent, Token,
    TokenCache, Transport, TransportConfig, async_trait,
};
use support::{Step, serve};
use tokio::time::Instant;

const PASSWORD: &str = "hunter2-wrong";

/// What one login of a [`ScriptedLogin`] does.
#[derive(Debug, Clone, Copy)]
enum Script {
    /// Returns a token with this value, valid for an hour.
    Token(&'static str),
    /// Returns a token with this value, valid for 30 s: less than the renewal margin.
    ShortLived(&'static str),
    /// Returns a token with this value after this delay.
    Slow(&'static str, Duration),
    /// Fails with this kind and status, as the provider's answer.
    Fail(ErrorKind, u16),
    /// Never returns.
    Hang,
}

/// A login that plays its script, one entry per login; the last entry repeats.
#[derive(Debug)]
struct ScriptedLogin {
    script: Vec<Script>,
    calls: AtomicUsize,
}

#[async_trait]
impl Login for ScriptedLogin {
    async fn login(&self, _transport: &Transport) -> Result<Token, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        match self.script[n.min(self.script.len() - 1)] {
            Script::Token(v) => Ok(Token::new(SecretString::from(v), Duration::from_secs(3600))),
            Script::ShortLived(v) => Ok(Token::new(SecretString::from(v), Duration::from_secs(30))),
            Script::Slow(v, delay) => {
                tokio::time::sleep(delay).await;
                Ok(Token::new(SecretString::from(v), Duration::from_secs(3600)))
            }
            Script::Fail(kind, status) => Err(Error::new(kind, Sent::Answered, "the login failed")
                .with_provider(Provider::Di)
                .with_operation("login")
                .with_status(status)),
            Script::Hang => std::future::pending().await,
        }
    }
}

/// A transport whose bearer token comes from a [`ScriptedLogin`]. Its base URL is never
/// contacted by the tests that use it (they fail or wait before sending).
struct Harness {
    transport: Transport,
    cache: Arc<TokenCache>,
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(50), Duration::from_millis(400))
}

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(fast_retries())
        .with_call_timeout(Duration::from_secs(10))
}

impl Harness {
    fn new(script: Vec<Script>, config: TransportConfig) -> Harness {
        let login = ScriptedLogin {
            script,
            calls: AtomicUsize::new(0),
        };
        let (transport, cache) = support::login_transport(
            "http://127.0.0.1:9",
            config,
            Arc::new(login),
            Duration::from_secs(60),
        );
        Harness { transport, cache }
    }

    /// `n` concurrent callers asking the cache for a token, each with the call timeout.
    async fn tokens(&self, n: usize) -> Vec<Result<CurrentToken, Error>> {
        join(n, |_| {
            let (t, c) = (self.transport.clone(), self.cache.clone());
            async move { c.current(&t).await }
        })
        .await
    }

    /// `n` concurrent authenticated GETs through the transport.
    async fn calls(&self, n: usize) -> Vec<Result<HttpResponse, Error>> {
        calls(&self.transport, n).await
    }
}

async fn calls(transport: &Transport, n: usize) -> Vec<Result<HttpResponse, Error>> {
    join(n, |_| {
        let t = transport.clone();
        async move { t.send(&get()).await }
    })
    .await
}

fn get() -> HttpRequest {
    HttpRequest::new("get_thing", Method::GET, "/things/1", "/things/1")
}

/// Runs `n` futures as tasks and returns their results in order.
async fn join<F, T>(n: usize, f: impl Fn(usize) -> F) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A transport to `base` whose login posts `PASSWORD` to `/login`.
fn password_transport(base: &str, config: TransportConfig) -> (Transport, Arc<TokenCache>) {
    support::bearer_transport(
        base,
        config,
        PASSWORD,
        Duration::from_secs(3600),
        Duration::from_secs(60),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_of_one_with_a_login_needed_finishes() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/login");
            then.status(200).body(r#"{"token":"fresh"}"#);
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/things/1")
                .header("authorization", "Bearer fresh");
            then.status(200).body("{}");
        })
        .await;
    let (t, cache) = password_transport(
        &server.base_url(),
        config()
            .with_max_concurrency(1)
            .with_call_timeout(Duration::from_secs(30)),
    );
    // Before the fix the first call held the only place and its login waited for it forever:
    // the outer timeout is the test's guard against that hang, far above the real run time.
    let results = tokio::time::timeout(Duration::from_secs(60), calls(&t, 5))
        .await
        .expect("a limit of 1 does not deadlock the login");
    for r in results {
        assert_eq!(r.unwrap().status, 200);
    }
    login.assert_calls_async(1).await;
    api.assert_calls_async(5).await;
    assert_eq!(cache.login_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_calls_with_a_wrong_password_make_one_login() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/login");
            then.status(401).body(r#"{"error":"bad credentials"}"#);
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200);
        })
        .await;
    let (t, cache) = password_transport(&server.base_url(), config());
    for round in 0..2 {
        for r in calls(&t, 200).await {
            let err = r.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
            assert_eq!(err.operation(), Some("login"));
            assert_eq!(err.status(), Some(401));
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(PASSWORD), "round {round}: {text}");
            }
        }
    }
    // 400 calls in two waves, inside the cool-down: one login in all.
    login.assert_calls_async(1).await;
    api.assert_calls_async(0).await;
    assert_eq!(cache.login_count(), 1);
    assert!(cache.is_refused());
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_remembered_until_the_cooldown_has_passed() {
    let cooldown = Duration::from_secs(120);
    let h = Harness::new(
        vec![Script::Fail(ErrorKind::Unauthorized, 401)],
        config().with_login_refusal_cooldown(cooldown),
    );
    let started = Instant::now();
    for r in h.calls(200).await {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
        // The login was answered; the call's own request never went out.
        assert_eq!(err.sent(), Sent::NotSent);
    }
    assert_eq!(h.cache.login_count(), 1);
    // The refusal came back at once: no caller waited for a timeout.
    assert_eq!(started.elapsed(), Duration::ZERO);

    // Just before the end of the cool-down: still no login.
    tokio::time::advance(cooldown - Duration::from_secs(1)).await;
    assert!(h.calls(200).await.iter().all(Result::is_err));
    assert_eq!(h.cache.login_count(), 1);

    // After it: one more login for 200 callers, not 200.
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!(h.calls(200).await.iter().all(Result::is_err));
    assert_eq!(h.cache.login_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_login_failing_twice_then_answering_serves_every_waiter() {
    let h = Harness::new(
        vec![
            Script::Fail(ErrorKind::Server, 503),
            Script::Fail(ErrorKind::Server, 503),
            Script::Token("third-time"),
        ],
        config(),
    );
    for r in h.tokens(50).await {
        assert_eq!(r.unwrap().token.value().expose_secret(), "third-time");
    }
    assert_eq!(h.cache.login_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_login_endpoint_that_keeps_failing_ends_every_waiter_after_the_policys_attempts() {
    let h = Harness::new(vec![Script::Fail(ErrorKind::Server, 503)], config());
    let started = Instant::now();
    for r in h.tokens(40).await {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    }
    // Three logins (the policy's attempts) for 40 callers, well before the call timeout.
    assert_eq!(h.cache.login_count(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // A caller right after gets the failure at once, without a login...
    assert_eq!(
        h.tokens(1).await[0].as_ref().unwrap_err().kind(),
        ErrorKind::Server
    );
    assert_eq!(h.cache.login_count(), 3);
    // ...and once the backoff has passed (at most 400 ms here), a new flight starts.
    tokio::time::advance(Duration::from_millis(500)).await;
    assert!(h.tokens(1).await[0].is_err());
    assert_eq!(h.cache.login_count(), 6);
}

#[tokio::test(start_paused = true)]
async fn a_spent_retry_budget_ends_the_flight_after_one_login() {
    let mut policy = fast_retries();
    policy.budget_capacity = 0;
    let h = Harness::new(
        vec![
            Script::Fail(ErrorKind::Server, 503),
            Script::Token("never-asked"),
        ],
        config().with_retry(policy),
    );
    for r in h.tokens(10).await {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Server);
    }
    assert_eq!(h.cache.login_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_endpoint_answering_503_twice_then_200_serves_every_waiter_over_http() {
    let server = serve(vec![
        Step::status(503),
        Step::status(503),
        Step::Answer {
            status: 200,
            headers: vec![],
            body: br#"{"token":"fresh"}"#.to_vec(),
            delay: Duration::ZERO,
        },
    ])
    .await;
    let (t, cache) = password_transport(
        &server.base_url,
        config().with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        ),
    );
    let results = join(50, |_| {
        let (t, c) = (t.clone(), cache.clone());
        async move { c.current(&t).await }
    })
    .await;
    for r in results {
        assert_eq!(r.unwrap().token.value().expose_secret(), "fresh");
    }
    assert!(server.hits() <= 3, "{} logins", server.hits());
    assert_eq!(server.hits() as u64, cache.login_count());
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_ends_a_caller_whose_deadline_comes_before_the_next_login() {
    let h = Harness::new(
        vec![Script::Fail(ErrorKind::Server, 503)],
        config()
            .with_call_timeout(Duration::from_millis(100))
            .with_retry(
                RetryPolicy::default().with_backoff(Duration::from_secs(5), Duration::from_secs(5)),
            ),
    );
    // The next login may start 2.5 to 5 s later (half to all of the backoff), past every
    // caller's deadline: each gets the 503 at once instead of waiting for nothing.
    let started = Instant::now();
    for r in h.tokens(20).await {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{err}");
        assert_eq!(err.status(), Some(503));
    }
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(h.cache.login_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_login_that_never_answers_ends_every_caller_at_its_call_timeout() {
    let call_timeout = Duration::from_secs(7);
    let h = Harness::new(vec![Script::Hang], config().with_call_timeout(call_timeout));
    let started = Instant::now();
    // Before the fix, nothing bounded this wait: the outer timeout (paused clock) would fire.
    let results = tokio::time::timeout(Duration::from_secs(3600), h.calls(20))
        .await
        .expect("every wait is bounded by the call timeout");
    for r in results {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.sent(), Sent::NotSent, "{err}");
        assert_eq!(err.operation(), Some("login"));
    }
    assert_eq!(started.elapsed(), call_timeout);
    assert_eq!(h.cache.login_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn waits_for_a_place_under_the_limit_are_bounded_by_the_call_timeout() {
    // With a limit of 1 and a login that hangs, one call holds the place while it waits for
    // the login, the others wait in line for the place: every one ends at its call timeout,
    // nothing sent (whichever wait it was in when its deadline came).
    let call_timeout = Duration::from_secs(3);
    let h = Harness::new(
        vec![Script::Hang],
        config()
            .with_max_concurrency(1)
            .with_call_timeout(call_timeout),
    );
    let started = Instant::now();
    let results = tokio::time::timeout(Duration::from_secs(3600), h.calls(5))
        .await
        .expect("bounded");
    for r in results {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.sent(), Sent::NotSent, "{err}");
    }
    assert_eq!(started.elapsed(), call_timeout);
}

#[tokio::test(start_paused = true)]
async fn a_failure_that_waiting_will_not_fix_goes_to_every_waiter_at_once() {
    let h = Harness::new(
        vec![
            Script::Fail(ErrorKind::Decode, 200),
            Script::Token("after-the-backoff"),
        ],
        config(),
    );
    let started = Instant::now();
    for r in h.tokens(30).await {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    }
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(h.cache.login_count(), 1);
    // Past the backoff (at most 50 ms here), the next caller logs in again.
    tokio::time::advance(Duration::from_millis(60)).await;
    assert!(h.tokens(30).await.iter().all(Result::is_ok));
    assert_eq!(h.cache.login_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_does_not_cancel_the_login_others_wait_for() {
    let h = Harness::new(
        vec![Script::Slow("shared", Duration::from_secs(1))],
        config(),
    );
    // The first caller starts the flight, then gives up while the login runs.
    let first = {
        let (t, c) = (h.transport.clone(), h.cache.clone());
        tokio::spawn(async move { c.current(&t).await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.cache.login_count(), 1);
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    for r in h.tokens(10).await {
        assert_eq!(r.unwrap().token.value().expose_secret(), "shared");
    }
    assert_eq!(h.cache.login_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_token_shorter_than_the_margin_serves_the_callers_that_waited_for_it() {
    let h = Harness::new(vec![Script::ShortLived("brief")], config());
    for r in h.tokens(20).await {
        assert_eq!(r.unwrap().token.value().expose_secret(), "brief");
    }
    assert_eq!(h.cache.login_count(), 1);
    // A later caller does not take it (it is inside the margin): it logs in again.
    assert!(h.tokens(1).await[0].is_ok());
    assert_eq!(h.cache.login_count(), 2);
}

#[test]
fn the_default_classification_reads_the_kind() {
    let of = |kind| LoginFailure::of(&Error::new(kind, Sent::Answered, "x"));
    for kind in [
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::InvalidInput,
        ErrorKind::Config,
    ] {
        assert_eq!(of(kind), LoginFailure::Refused, "{kind}");
    }
    for kind in [
        ErrorKind::Server,
        ErrorKind::RateLimited,
        ErrorKind::Timeout,
        ErrorKind::Transport,
    ] {
        assert_eq!(of(kind), LoginFailure::Transient, "{kind}");
    }
    for kind in [
        ErrorKind::Decode,
        ErrorKind::NotFound,
        ErrorKind::UnexpectedResponse,
    ] {
        assert_eq!(of(kind), LoginFailure::Failed, "{kind}");
    }
}
