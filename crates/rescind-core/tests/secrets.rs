//! No credential appears in tracing output, in Debug or Display of clients, tokens and errors.

mod support;

use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::secrecy::SecretString;
use rescind_core::{Auth, HttpRequest, Provider, TokenCache, Transport, error_from_response};
use support::PasswordLogin;
use support::logs::Captured;

const API_KEY: &str = "ARTA_APIKey sk-live-0123456789";
const PASSWORD: &str = "correct-horse-battery";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.payload.signature";

#[tokio::test]
async fn secrets_never_reach_logs_debug_or_errors() {
    let (captured, _guard) = Captured::start(tracing::Level::TRACE, true);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/login");
            then.status(200).body(format!(r#"{{"token":"{TOKEN}"}}"#));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/a");
            then.status(401).body(r#"{"detail":"bad key"}"#);
        })
        .await;

    let header = Transport::builder(Provider::Arta, server.base_url())
        .auth(Auth::Header {
            name: http::header::AUTHORIZATION,
            value: SecretString::from(API_KEY),
        })
        .build()
        .unwrap();
    let cache = Arc::new(TokenCache::new(
        Arc::new(PasswordLogin {
            password: SecretString::from(PASSWORD),
            lifetime: Duration::from_secs(600),
        }),
        Duration::from_secs(1),
    ));
    let bearer = Transport::builder(Provider::Di, server.base_url())
        .auth(Auth::Bearer(cache.clone()))
        .build()
        .unwrap();

    let req = HttpRequest::new("get_a", Method::GET, "/a", "/a");
    let mut texts = Vec::new();
    for t in [&header, &bearer] {
        let resp = t.send(&req).await.unwrap();
        let err = error_from_response(&resp, t.provider(), "get_a", "refused");
        texts.push(format!("{err}\n{err:?}\n{t:?}"));
    }
    texts.push(format!("{cache:?}"));
    let logs = captured.text();
    texts.push(logs.clone());

    // The capture saw the calls, so an empty log cannot pass this test.
    assert!(logs.contains("rescind.call"), "{logs}");
    assert!(
        logs.contains("operation=\"get_a\"") || logs.contains("operation=get_a"),
        "{logs}"
    );
    for text in texts {
        for secret in [API_KEY, "sk-live-0123456789", PASSWORD, TOKEN] {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked in:\n{text}"
            );
        }
    }
}
