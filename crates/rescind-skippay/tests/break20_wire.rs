//! break20: Skip Pay's login and bearer token on the wire next to the client's default headers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rescind_core::http::path_segment;
use rescind_core::http::{HeaderName, HeaderValue};
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::WireRecorder;
use rescind_core::{ErrorKind, TransportConfig};
use rescind_skippay::model::OrderCancelRequest;
use rescind_skippay::{Client, Credentials};

const USERNAME: &str = "eShop";
const PASSWORD: &str = "eShopSecretPassword-9f3k";
const JSON: &str = "application/json; charset=utf-8";
const PREFIX: &str = "/financing/v1/applications/";
const NOT_FOUND: &str =
    r#"{"errors":[{"code":"NOT_FOUND","message":"no such application","severity":"FATAL"}]}"#;

const ACCEPT: HeaderName = HeaderName::from_static("accept");
const AUTHORIZATION: HeaderName = HeaderName::from_static("authorization");
const CONTENT_TYPE: HeaderName = HeaderName::from_static("content-type");
const USER_AGENT: HeaderName = HeaderName::from_static("user-agent");

fn value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

/// Logins answer `sp-tok-<n>`; the first `refusals` other calls an OAuth 401, then a 404.
fn server(refusals: usize) -> WireRecorder {
    let logins = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    WireRecorder::start(move |req| {
        if req.line().contains("/authentication/v1/partner") {
            let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                format!(r#"{{"accessToken":"sp-tok-{n}","expiresIn":7200}}"#),
            )
        } else if calls.fetch_add(1, Ordering::SeqCst) < refusals {
            (
                401,
                r#"{"error":"invalid_token","error_description":"expired"}"#.into(),
            )
        } else {
            (404, NOT_FOUND.into())
        }
    })
}

fn client(base: &str, config: TransportConfig) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .config(config.with_attempt_timeout(Duration::from_secs(10)))
        .build()
        .unwrap()
}

fn defaults() -> TransportConfig {
    // Skip Pay's SDKs send both with a charset on every operation (reference notes §1).
    TransportConfig::default()
        .with_retry(RetryPolicy::none())
        .with_default_header(USER_AGENT, value("shop/1"))
        .with_default_header(ACCEPT, value(JSON))
        .with_default_header(CONTENT_TYPE, value(JSON))
}

#[tokio::test]
async fn login_read_and_cancel_send_each_name_once_with_the_defaults() {
    let server = server(0);
    for (base, prefix) in server.bases("/skip/pay") {
        let client = client(&base, defaults());
        let id = "a b/ø";
        let seg = path_segment("application_id", id).unwrap();
        let err = client.get_application(id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let err = client
            .cancel_order_items(id, &OrderCancelRequest::whole())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let seen = server.take();
        let lines: Vec<&str> = seen.iter().map(|r| r.line()).collect();
        assert_eq!(
            lines,
            [
                format!("POST {prefix}/authentication/v1/partner HTTP/1.1"),
                format!("GET {prefix}{PREFIX}{seg} HTTP/1.1"),
                format!("PUT {prefix}{PREFIX}{seg}/order/cancel HTTP/1.1"),
            ]
        );
        for raw in &seen {
            raw.assert_each_name_once();
            assert_eq!(raw.values("user-agent"), ["shop/1"]);
            assert_eq!(raw.values("accept"), [JSON]);
            assert_eq!(raw.values("content-type"), [JSON]);
        }
        assert!(
            seen[0].values("authorization").is_empty(),
            "{}",
            seen[0].text
        );
        for raw in &seen[1..] {
            let auth = raw.values("authorization");
            assert_eq!(auth.len(), 1, "{}", raw.text);
            assert!(auth[0].starts_with("Bearer sp-tok-"), "{}", raw.text);
            assert!(!raw.text.contains(PASSWORD), "{}", raw.text);
        }
    }
}

#[tokio::test]
async fn a_default_authorization_goes_neither_with_the_login_nor_with_a_call() {
    let server = server(0);
    let client = client(
        &server.base_url(),
        defaults().with_default_header(AUTHORIZATION, value("Basic c3RhbGUtb3RoZXItc2VjcmV0")),
    );
    client.get_application("42").await.unwrap_err();
    let seen = server.take();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for raw in &seen {
        raw.assert_each_name_once();
        assert!(
            !raw.text.contains("c3RhbGUtb3RoZXItc2VjcmV0"),
            "{}",
            raw.text
        );
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer sp-tok-1"]);
}

#[tokio::test]
async fn after_a_refused_token_the_replayed_read_carries_the_new_token_once() {
    let server = server(1);
    let client = client(
        &server.base_url(),
        defaults().with_retry(RetryPolicy::default()),
    );
    client.get_application("42").await.unwrap_err();
    let seen = server.take();
    let lines: Vec<&str> = seen.iter().map(|r| r.line()).collect();
    let login = "POST /authentication/v1/partner HTTP/1.1";
    let read = format!("GET {PREFIX}42 HTTP/1.1");
    assert_eq!(lines, [login, &read, login, &read]);
    for raw in &seen {
        raw.assert_each_name_once();
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer sp-tok-1"]);
    assert_eq!(seen[3].values("authorization"), ["Bearer sp-tok-2"]);
}
