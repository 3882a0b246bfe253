//! The transport through a real socket: request shape, retries, Retry-After, timeouts, faults,
//! body caps, the concurrency limit, the retry budget and the token cache.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::secrecy::SecretString;
use rescind_core::{
    Auth, ErrorKind, HttpRequest, Provider, RateLimit, Sent, Token, TokenCache, Transport,
    TransportConfig, error_from_response,
};
use support::{Step, fast_retries, serve};

fn transport(base: &str, config: TransportConfig) -> Transport {
    Transport::builder(Provider::Arta, base)
        .auth(Auth::Header {
            name: http::header::AUTHORIZATION,
            value: SecretString::from("ARTA_APIKey key-123"),
        })
        .config(config)
        // Arta documents its 429 (reference, x-topic "Rate Limits").
        .documented_429(true)
        .build()
        .unwrap()
}

fn get(path: &'static str) -> HttpRequest {
    HttpRequest::new("get_thing", Method::GET, "/things/{id}", path)
}

fn post(path: &'static str) -> HttpRequest {
    HttpRequest::new("create_thing", Method::POST, "/things", path).with_json_body(r#"{"a":1}"#)
}

#[tokio::test]
async fn sends_method_prefixed_path_user_agent_auth_and_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/prefix/things")
                .query_param("page", "2")
                .header("authorization", "ARTA_APIKey key-123")
                .header(
                    "user-agent",
                    format!("rescind/{}", env!("CARGO_PKG_VERSION")),
                )
                .header("content-type", "application/json")
                .body(r#"{"a":1}"#);
            then.status(201)
                .header("x-arta-request-id", "req-7")
                .body("{}");
        })
        .await;
    let t = transport(
        &format!("{}/prefix", server.base_url()),
        TransportConfig::default()
            .with_request_id_header(http::HeaderName::from_static("x-arta-request-id")),
    );
    let resp = t
        .send(&post("/things").with_query("page", "2"))
        .await
        .unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(resp.request_id.as_deref(), Some("req-7"));
    assert_eq!(resp.attempts, 1);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn idempotent_5xx_is_retried_up_to_max_attempts() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/things/1");
            then.status(503).body("down");
        })
        .await;
    let t = transport(
        &server.base_url(),
        TransportConfig::default().with_retry(fast_retries()),
    );
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!(resp.status, 503);
    assert_eq!(resp.attempts, 3);
    mock.assert_calls_async(3).await;
}

#[tokio::test]
async fn non_idempotent_5xx_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/things");
            then.status(500);
        })
        .await;
    let t = transport(
        &server.base_url(),
        TransportConfig::default().with_retry(fast_retries()),
    );
    let resp = t.send(&post("/things")).await.unwrap();
    assert_eq!(resp.status, 500);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(404);
        })
        .await;
    let t = transport(
        &server.base_url(),
        TransportConfig::default().with_retry(fast_retries()),
    );
    assert_eq!(t.send(&get("/things/1")).await.unwrap().status, 404);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn throttled_post_is_retried_and_retry_after_is_waited() {
    let server = serve(vec![
        Step::status(429).with_header("retry-after", "1"),
        Step::status(201),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let started = Instant::now();
    let resp = t.send(&post("/things")).await.unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(resp.attempts, 2);
    assert_eq!(server.hits(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not waited"
    );
}

#[tokio::test]
async fn retry_after_beyond_the_cap_stops_and_is_reported() {
    let server = serve(vec![Step::status(429).with_header("retry-after", "3600")]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!(resp.status, 429);
    assert_eq!(server.hits(), 1);
    let err = error_from_response(&resp, Provider::Arta, "get_thing", "throttled");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(err.sent(), Sent::Answered);
}

#[tokio::test]
async fn lost_connection_retries_idempotent_requests() {
    let server = serve(vec![Step::Drop, Step::status(200)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.attempts, 2);
    assert!(
        resp.earlier_attempt_maybe_sent,
        "the dropped attempt may have been applied"
    );
}

#[tokio::test]
async fn lost_connection_on_a_post_is_maybe_sent_and_not_repeated() {
    let server = serve(vec![Step::Drop, Step::status(201)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let err = t.send(&post("/things")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.outcome_unknown());
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_5xx_after_a_lost_attempt_is_reported_as_maybe_sent() {
    let server = serve(vec![Step::Drop, Step::status(503)]).await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries().with_max_attempts(2)),
    );
    let resp = t.send(&get("/things/1")).await.unwrap();
    let err = error_from_response(&resp, Provider::Arta, "get_thing", "server error");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.sent(), Sent::MaybeSent);
}

#[tokio::test]
async fn attempt_timeout_is_maybe_sent_and_post_is_tried_once() {
    let server = serve(vec![Step::status(200).with_delay(Duration::from_secs(5))]).await;
    let config = TransportConfig::default()
        .with_retry(fast_retries())
        .with_attempt_timeout(Duration::from_millis(200));
    let t = transport(&server.base_url, config);
    let err = t.send(&post("/things")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(server.hits(), 1);

    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 3);
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn call_timeout_bounds_the_whole_call() {
    let server = serve(vec![Step::status(200).with_delay(Duration::from_secs(5))]).await;
    let config = TransportConfig::default()
        .with_retry(fast_retries().with_max_attempts(10))
        .with_attempt_timeout(Duration::from_secs(2))
        .with_call_timeout(Duration::from_millis(300));
    let t = transport(&server.base_url, config);
    let started = Instant::now();
    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the call timeout was not applied"
    );
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = transport(
        &format!("http://{addr}"),
        TransportConfig::default().with_retry(fast_retries()),
    );
    let err = t.send(&post("/things")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 3, "a refused connection is safe to retry");
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn error_bodies_are_capped_and_oversized_successes_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/things");
            then.status(500).body("x".repeat(200 * 1024));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/things/1");
            then.status(200).body("y".repeat(2048));
        })
        .await;
    let t = transport(
        &server.base_url(),
        TransportConfig::default()
            .with_retry(fast_retries())
            .with_body_limits(1024, 64 * 1024),
    );
    let resp = t.send(&post("/things")).await.unwrap();
    assert_eq!(resp.body.len(), 64 * 1024);
    assert!(resp.truncated);

    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.sent(), Sent::Answered);
    assert!(err.to_string().contains("larger than the"), "{err}");
}

#[tokio::test]
async fn concurrency_limit_queues_calls() {
    let server = serve(vec![
        Step::status(200).with_delay(Duration::from_millis(100)),
    ])
    .await;
    let t = transport(
        &server.base_url,
        TransportConfig::default().with_max_concurrency(2),
    );
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get("/things/1")).await.unwrap().status })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 200);
    }
    assert_eq!(server.hits(), 6);
    assert_eq!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}

#[tokio::test]
async fn a_call_with_no_turn_under_the_rate_limit_before_its_timeout_fails_unsent_at_once() {
    let server = serve(vec![Step::status(200)]).await;
    // Two calls an hour; a call may wait 30 s: the third has no turn in time.
    let t = transport(
        &server.base_url,
        TransportConfig::default()
            .with_rate_limit(RateLimit::per_minute(2).with_window(Duration::from_secs(3600)))
            .with_call_timeout(Duration::from_secs(30)),
    );
    assert_eq!(t.send(&get("/things/1")).await.unwrap().status, 200);
    assert_eq!(t.clone().send(&get("/things/1")).await.unwrap().status, 200);
    let started = Instant::now();
    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert!(err.to_string().contains("rate limit of 2 calls"), "{err}");
    // Refused before waiting, not after the call timeout.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn every_retry_takes_a_turn_under_the_rate_limit() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    let t = transport(
        &server.base_url(),
        TransportConfig::default()
            .with_retry(fast_retries().with_max_attempts(5))
            .with_rate_limit(RateLimit::per_minute(2).with_window(Duration::from_secs(3600))),
    );
    // Two attempts have turns; the third would wait an hour, past the call timeout.
    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 2);
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn an_empty_retry_budget_stops_retries_for_every_call() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    // Room for exactly one retry.
    let policy = fast_retries().with_budget_capacity(5);
    let t = transport(
        &server.base_url(),
        TransportConfig::default().with_retry(policy),
    );
    assert_eq!(t.send(&get("/things/1")).await.unwrap().attempts, 2);
    assert_eq!(t.retry_budget_available(), 0);
    assert_eq!(t.clone().send(&get("/things/1")).await.unwrap().attempts, 1);
    mock.assert_calls_async(3).await;
}

fn bearer_transport(base: &str) -> (Transport, Arc<TokenCache>) {
    support::bearer_transport(
        base,
        TransportConfig::default().with_retry(fast_retries()),
        "hunter2",
        Duration::from_secs(3600),
        Duration::from_secs(60),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_with_an_expired_token_log_in_once() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/login")
                .body(r#"{"password":"hunter2"}"#);
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
    let (t, cache) = bearer_transport(&server.base_url());
    cache
        .prime(Token::new(SecretString::from("stale"), Duration::ZERO))
        .await;

    let calls: Vec<_> = (0..200)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get("/things/1")).await.map(|r| r.status) })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap(), 200);
    }
    login.assert_calls_async(1).await;
    api.assert_calls_async(200).await;
    assert_eq!(cache.login_count(), 1);
}

#[tokio::test]
async fn a_401_renews_once_and_replays_once() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/login");
            then.status(200).body(r#"{"token":"new"}"#);
        })
        .await;
    let old = server
        .mock_async(|when, then| {
            when.method(GET).header("authorization", "Bearer old");
            then.status(401);
        })
        .await;
    let new = server
        .mock_async(|when, then| {
            when.method(GET).header("authorization", "Bearer new");
            then.status(200);
        })
        .await;
    let (t, cache) = bearer_transport(&server.base_url());
    cache
        .prime(Token::new(
            SecretString::from("old"),
            Duration::from_secs(3600),
        ))
        .await;
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!(resp.status, 200);
    old.assert_calls_async(1).await;
    new.assert_calls_async(1).await;
    login.assert_calls_async(1).await;
}

/// The `Authorization` value is built once per token and kept with it: a new token (here
/// primed, as a login would bring it) is sent from the next call on, never the old header.
#[tokio::test]
async fn the_header_follows_the_token_it_was_built_from() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET).header("authorization", "Bearer first");
            then.status(200);
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET).header("authorization", "Bearer second");
            then.status(200);
        })
        .await;
    let (t, cache) = bearer_transport(&server.base_url());
    for (token, calls) in [("first", 2), ("second", 3)] {
        cache
            .prime(Token::new(
                SecretString::from(token),
                Duration::from_secs(3600),
            ))
            .await;
        for _ in 0..calls {
            assert_eq!(t.send(&get("/things/1")).await.unwrap().status, 200);
        }
    }
    first.assert_calls_async(2).await;
    second.assert_calls_async(3).await;
    assert_eq!(cache.login_count(), 0);
}

#[tokio::test]
async fn a_token_refused_twice_is_an_answer_not_a_loop() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/login");
            then.status(200).body(r#"{"token":"also-refused"}"#);
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(401);
        })
        .await;
    let (t, _cache) = bearer_transport(&server.base_url());
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!(resp.status, 401);
    api.assert_calls_async(2).await;
    login.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_failed_login_is_an_error_and_sends_nothing_else() {
    let server = MockServer::start_async().await;
    server
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
    let (t, _cache) = bearer_transport(&server.base_url());
    let err = t.send(&get("/things/1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.operation(), Some("login"));
    assert!(!err.to_string().contains("hunter2"));
    api.assert_calls_async(0).await;
}

/// A caller's deadline (`deadline::scope`, `CancelOptions::deadline`) shortens the call
/// timeout: a change still unanswered when it passes is a Timeout that may have been sent, and
/// no request starts after it.
#[tokio::test]
async fn a_caller_deadline_bounds_the_call_and_no_request_starts_after_it() {
    use rescind_core::deadline;

    let server = serve(vec![Step::status(200).with_delay(Duration::from_secs(5))]).await;
    let config = TransportConfig::default()
        .with_retry(fast_retries().with_max_attempts(10))
        .with_attempt_timeout(Duration::from_secs(30))
        .with_call_timeout(Duration::from_secs(60));
    let t = transport(&server.base_url, config);

    // In flight when the deadline passes: Timeout, MaybeSent, sent once.
    let started = Instant::now();
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    let err = deadline::scope(until, t.send(&post("/things")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(server.hits(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the caller's deadline was not applied"
    );

    // A read is retried while time is left, never past the deadline.
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    let err = deadline::scope(until, t.send(&get("/things/1")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(8));

    // Already passed: nothing is sent.
    let hits = server.hits();
    let past = tokio::time::Instant::now();
    let err = deadline::scope(past, t.send(&post("/things")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert!(err.to_string().contains("deadline"), "{err}");
    assert_eq!(server.hits(), hits, "a request started after the deadline");
}

/// A deadline later than the call timeout does not extend it.
#[tokio::test]
async fn a_later_caller_deadline_keeps_the_call_timeout() {
    let server = serve(vec![Step::status(200).with_delay(Duration::from_secs(5))]).await;
    let config = TransportConfig::default()
        .with_retry(fast_retries().with_max_attempts(1))
        .with_call_timeout(Duration::from_millis(300));
    let t = transport(&server.base_url, config);
    let started = Instant::now();
    let far = tokio::time::Instant::now() + Duration::from_secs(3600);
    let err = rescind_core::deadline::scope(far, t.send(&get("/things/1")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // Had the far deadline replaced the call timeout, the 5 s answer would have come.
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// One pool given to two transports is shared; two pools are not.
#[test]
fn an_http_client_is_shared_by_the_transports_it_is_given_to() {
    let pool = rescind_core::HttpClient::with_connect_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(pool.connect_timeout(), Some(Duration::from_secs(2)));
    let build = |pool: Option<rescind_core::HttpClient>| {
        let mut b = Transport::builder(Provider::Di, "http://127.0.0.1:9");
        if let Some(pool) = pool {
            b = b.http_client(pool);
        }
        b.build().unwrap()
    };
    let a = build(Some(pool.clone()));
    let b = build(Some(pool));
    let c = build(None);
    assert!(a.shares_connections_with(&b));
    assert!(a.shares_connections_with(&a.clone()));
    assert!(!a.shares_connections_with(&c));
    assert!(!format!("{:?}", a).contains("reqwest"));
}

/// A redirect is an answer, not an instruction: following a 307 would send the change a second
/// time, to another address, unseen by the attempt count (HttpClient's docs).
#[tokio::test]
async fn a_redirect_is_returned_not_followed_and_the_change_is_sent_once() {
    let server = MockServer::start_async().await;
    let change = server
        .mock_async(|when, then| {
            when.method(POST).path("/prefix/things");
            then.status(307).header("location", "/prefix/elsewhere");
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/prefix/things/1");
            then.status(301).header("location", "/prefix/elsewhere");
        })
        .await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/prefix/elsewhere");
            then.status(200).body("{}");
        })
        .await;
    let t = transport(
        &server.url("/prefix"),
        TransportConfig::default().with_retry(fast_retries()),
    );

    let resp = t.send(&post("/things")).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (307, 1));
    assert_eq!(resp.header("location"), Some("/prefix/elsewhere"));
    let resp = t.send(&get("/things/1")).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (301, 1));

    change.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
    elsewhere.assert_calls_async(0).await;
}

/// Every redirect status, to a change: returned as it came, the change sent once, the other
/// address never asked (reqwest would turn a 301/302/303 into a GET and keep a 307/308's body).
#[tokio::test]
async fn no_redirect_status_sends_a_change_again() {
    for status in [301, 302, 303, 307, 308] {
        let server = MockServer::start_async().await;
        let change = server
            .mock_async(|when, then| {
                when.method(POST).path("/prefix/things");
                then.status(status).header("location", "/prefix/elsewhere");
            })
            .await;
        let elsewhere = server
            .mock_async(|when, then| {
                when.path("/prefix/elsewhere");
                then.status(200).body("{}");
            })
            .await;
        let t = transport(
            &server.url("/prefix"),
            TransportConfig::default().with_retry(fast_retries()),
        );
        let resp = t.send(&post("/things")).await.unwrap();
        assert_eq!((resp.status, resp.attempts), (status, 1), "{status}");
        change.assert_calls_async(1).await;
        elsewhere.assert_calls_async(0).await;
    }
}
