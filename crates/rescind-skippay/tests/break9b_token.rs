//! break9b: Skip Pay's bearer token through the header read without the token cache's lock
//! (21f0ad2), pinned against the parent (7036781): two Skip Pay clients (two caches, two
//! servers) used from the same tasks on a multi-thread runtime. Every request carries its own
//! client's token; a refused token is renewed once for all concurrent 401s; a token inside
//! the renewal margin is never reused.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{ErrorKind, Sent};
use serde_json::json;

async fn refusing<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    let auth = format!("Bearer {token}");
    server
        .mock_async(move |when, then| {
            when.header("authorization", auth);
            then.status(401).json_body(json!({
                "error_description": "The access token is invalid or has expired",
                "error": "invalid_token"
            }));
        })
        .await
}

async fn forbidden<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    let auth = format!("Bearer {token}");
    server
        .mock_async(move |when, then| {
            when.header("authorization", auth);
            then.status(599);
        })
        .await
}

/// Both clients first log in and get a token their provider later refuses (the login mock is
/// then replaced): 64 calls interleaved over both clients on four threads. Each client logs
/// in exactly once more; no request carries the other client's token; every call succeeds
/// with its client's new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_skippay_clients_renew_only_their_own_refused_tokens() {
    let (sa, sb) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let first_a = login_mock_with(&sa, "alpha-1", 7200).await;
    let first_b = login_mock_with(&sb, "beta-1", 7200).await;
    let ok_a = app_mock(&sa, "alpha-1").await;
    let ok_b = app_mock(&sb, "beta-1").await;
    let (ca, cb) = (client(&sa), client(&sb));
    ca.get_application(APP).await.unwrap();
    cb.get_application(APP).await.unwrap();
    // The providers now refuse the first tokens and issue second ones.
    ok_a.delete_async().await;
    ok_b.delete_async().await;
    first_a.delete_async().await;
    first_b.delete_async().await;
    let refused_a = refusing(&sa, "alpha-1").await;
    let refused_b = refusing(&sb, "beta-1").await;
    let login_a = login_mock_with(&sa, "alpha-2", 7200).await;
    let login_b = login_mock_with(&sb, "beta-2", 7200).await;
    let app_a = app_mock(&sa, "alpha-2").await;
    let app_b = app_mock(&sb, "beta-2").await;
    let foreign = [
        forbidden(&sa, "beta-1").await,
        forbidden(&sa, "beta-2").await,
        forbidden(&sb, "alpha-1").await,
        forbidden(&sb, "alpha-2").await,
    ];
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (ca, cb) = (ca.clone(), cb.clone());
            tokio::spawn(async move {
                for j in 0..8 {
                    let c = if (i + j) % 2 == 0 { &ca } else { &cb };
                    c.get_application(APP).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for f in &foreign {
        f.assert_calls_async(0).await;
    }
    login_a.assert_calls_async(1).await;
    login_b.assert_calls_async(1).await;
    app_a.assert_calls_async(32).await;
    app_b.assert_calls_async(32).await;
    for r in [&refused_a, &refused_b] {
        let n = r.calls_async().await;
        assert!((1..=32).contains(&n), "{n}");
    }
    assert_eq!(ca.token_cache().login_count(), 2);
    assert_eq!(cb.token_cache().login_count(), 2);
}

/// A client whose tokens live 30 s (inside the 60 s margin) and one whose tokens live two
/// hours, used in turn from threads of one runtime: the first logs in for every call, the
/// second once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_inside_the_margin_is_never_reused_and_the_other_client_is_unaffected() {
    let (sa, sb) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let login_a = login_mock_with(&sa, "alpha-short", 30).await;
    let login_b = login_mock_with(&sb, "beta-long", 7200).await;
    let app_a = app_mock(&sa, "alpha-short").await;
    let app_b = app_mock(&sb, "beta-long").await;
    let (ca, cb) = (client(&sa), client(&sb));
    for _ in 0..4 {
        let (x, y) = (ca.clone(), cb.clone());
        tokio::spawn(async move { x.get_application(APP).await.unwrap() })
            .await
            .unwrap();
        tokio::spawn(async move { y.get_application(APP).await.unwrap() })
            .await
            .unwrap();
    }
    login_a.assert_calls_async(4).await;
    login_b.assert_calls_async(1).await;
    app_a.assert_calls_async(4).await;
    app_b.assert_calls_async(4).await;
}

/// A replay refused too: the 401 is the call's answer (Unauthorized, answered, 2 attempts),
/// after exactly one renewal; no secret in the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_replay_is_the_answer_after_one_renewal() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let refused = refusing(&server, TOKEN).await;
    let c = client(&server);
    let err = c.get_application(APP).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.code(), Some("invalid_token"));
    login.assert_calls_async(2).await;
    refused.assert_calls_async(2).await;
    for shown in [err.to_string(), format!("{err:?}"), format!("{c:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
}
