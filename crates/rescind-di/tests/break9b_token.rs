//! break9b: Di's bearer token through the header read without the token cache's lock
//! (21f0ad2), pinned against the parent (7036781): two Di clients (two caches, two servers)
//! used from the same tasks on a multi-thread runtime, each primed with a token its provider
//! refuses. Every request carries its own client's token; each client renews once (one login
//! for all its concurrent 401s) and each call replays at most once.

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::secrecy::SecretString;
use rescind_core::{ErrorKind, Sent, Token};
use rescind_di::Client;

struct Side<'a> {
    login: httpmock::Mock<'a>,
    stale: httpmock::Mock<'a>,
    details: httpmock::Mock<'a>,
    cancel: httpmock::Mock<'a>,
    foreign: Vec<httpmock::Mock<'a>>,
}

/// A Di server whose login answers `token`, which refuses `stale` with Di's envelope and
/// answers 599 to any request carrying one of `foreign`.
async fn side<'a>(
    server: &'a MockServer,
    token: &str,
    stale: &str,
    foreign: [&str; 2],
) -> Side<'a> {
    let body = format!(r#"{{"token": "{token}"}}"#);
    let login = server
        .mock_async(move |when, then| {
            when.method(POST).path("/ws/json/auth/v-3/login/60");
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let stale_h = bearer(stale);
    let stale = server
        .mock_async(move |when, then| {
            when.header("authorization", stale_h);
            then.status(401)
                .header("content-type", "application/json")
                .body(fixture("error_authentication_missing.json"));
        })
        .await;
    let fresh = bearer(token);
    let details = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .header("authorization", fresh.clone());
            then.status(200)
                .body(format!(r#"{{"shipmentId":"{SHIPMENT}"}}"#));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"))
                .header("authorization", fresh.clone());
            then.status(200);
        })
        .await;
    let mut mocks = Vec::new();
    for f in foreign {
        let h = bearer(f);
        mocks.push(
            server
                .mock_async(move |when, then| {
                    when.header("authorization", h);
                    then.status(599);
                })
                .await,
        );
    }
    let foreign = mocks;
    Side {
        login,
        stale,
        details,
        cancel,
        foreign,
    }
}

async fn primed(server: &MockServer, stale: &str) -> Client {
    let c = client(server);
    c.token_cache()
        .prime(Token::new(
            SecretString::from(stale.to_string()),
            Duration::from_secs(3600),
        ))
        .await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_di_clients_on_the_same_threads_renew_only_their_own_tokens() {
    let (sa, sb) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let a = side(
        &sa,
        "alpha-fresh",
        "alpha-stale",
        ["beta-fresh", "beta-stale"],
    )
    .await;
    let b = side(
        &sb,
        "beta-fresh",
        "beta-stale",
        ["alpha-fresh", "alpha-stale"],
    )
    .await;
    let (ca, cb) = (
        primed(&sa, "alpha-stale").await,
        primed(&sb, "beta-stale").await,
    );
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (ca, cb) = (ca.clone(), cb.clone());
            tokio::spawn(async move {
                for j in 0..10 {
                    let c = if (i + j) % 2 == 0 { &ca } else { &cb };
                    if j % 5 == 4 {
                        c.cancel_order(SHIPMENT).await.unwrap();
                    } else {
                        c.order_details(SHIPMENT).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for (s, c) in [(&a, &ca), (&b, &cb)] {
        s.login.assert_calls_async(1).await;
        for f in &s.foreign {
            f.assert_calls_async(0).await;
        }
        s.details.assert_calls_async(32).await;
        s.cancel.assert_calls_async(8).await;
        // Each call carried the refused token at most once.
        let stale = s.stale.calls_async().await;
        assert!((1..=40).contains(&stale), "{stale}");
        assert_eq!(c.token_cache().login_count(), 1);
    }
}

/// A cancel whose replay is refused too: Unauthorized, answered, two attempts, two logins;
/// the other client, used in between, untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_401_ends_the_call_and_leaves_the_other_client_alone() {
    let (sa, sb) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    // Server A's login keeps answering the token it refuses.
    let a = side(
        &sa,
        "alpha-stale",
        "alpha-stale",
        ["beta-fresh", "beta-stale"],
    )
    .await;
    let b = side(
        &sb,
        "beta-fresh",
        "beta-stale",
        ["alpha-fresh", "alpha-stale"],
    )
    .await;
    let ca = client(&sa);
    let cb = client(&sb);
    cb.order_details(SHIPMENT).await.unwrap();
    let err = ca.cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.code(), Some("authentication.missing"));
    assert!(!err.to_string().contains("alpha-stale"));
    assert!(!format!("{err:?}").contains("alpha-stale"));
    assert!(!format!("{err:?}").contains(PASSWORD));
    cb.order_details(SHIPMENT).await.unwrap();
    a.login.assert_calls_async(2).await;
    a.stale.assert_calls_async(2).await;
    b.login.assert_calls_async(1).await;
    b.details.assert_calls_async(2).await;
    for f in a.foreign.iter().chain(&b.foreign) {
        f.assert_calls_async(0).await;
    }
    assert!(!format!("{ca:?}").contains("alpha-stale"));
}
