//! break20: Di's login and bearer token on the wire next to the client's default headers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::HeaderValue;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::WireRecorder;
use rescind_core::{ErrorKind, TransportConfig};
use rescind_di::{Client, Credentials};

const USERNAME: &str = "wsfoobar";
const PASSWORD: &str = "a-very-very-long-password";
const CANCEL: &str = "/ws/json/parcel/booking/v-1/order/cancel/";
const ENVELOPE_401: &str =
    r#"{"statusCode":401,"errorKey":"authentication.missing","errorMap":{}}"#;

fn value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

/// Logins answer `di-tok-<n>`; the first `refusals` other calls a 401 envelope, then 200.
fn server(refusals: usize) -> WireRecorder {
    let logins = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    WireRecorder::start(move |req| {
        if req.line().contains("/ws/json/auth/v-3/login/") {
            let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
            (200, format!(r#"{{"token":"di-tok-{n}"}}"#))
        } else if calls.fetch_add(1, Ordering::SeqCst) < refusals {
            (401, ENVELOPE_401.into())
        } else {
            (200, String::new())
        }
    })
}

fn client(base: &str, config: TransportConfig) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(config.with_attempt_timeout(Duration::from_secs(10)))
        .build()
        .unwrap()
}

fn defaults() -> TransportConfig {
    TransportConfig::default()
        .with_retry(RetryPolicy::none())
        .with_default_header(USER_AGENT, value("shop/1"))
        .with_default_header(ACCEPT, value("application/json"))
        .with_default_header(CONTENT_TYPE, value("application/json"))
}

#[tokio::test]
async fn login_and_cancel_send_each_name_once_with_the_defaults() {
    let server = server(0);
    for (base, prefix) in server.bases("/di/gw") {
        let client = client(&base, defaults());
        client.cancel_order("70724761617883184").await.unwrap();
        let seen = server.take();
        assert_eq!(seen.len(), 2, "{seen:#?}");
        assert_eq!(
            seen[0].line(),
            format!("POST {prefix}/ws/json/auth/v-3/login/60 HTTP/1.1")
        );
        assert_eq!(
            seen[1].line(),
            format!("DELETE {prefix}{CANCEL}70724761617883184 HTTP/1.1")
        );
        for raw in &seen {
            raw.assert_each_name_once();
            assert_eq!(raw.values("user-agent"), ["shop/1"]);
            assert_eq!(raw.values("accept"), ["application/json"]);
            assert_eq!(raw.values("content-type"), ["application/json"]);
        }
        assert!(
            seen[0].values("authorization").is_empty(),
            "{}",
            seen[0].text
        );
        // One client (one login) per base: the server counts its logins across them.
        let auth = seen[1].values("authorization");
        assert_eq!(auth.len(), 1, "{}", seen[1].text);
        assert!(auth[0].starts_with("Bearer di-tok-"), "{}", seen[1].text);
        assert!(!seen[1].text.contains(PASSWORD), "{}", seen[1].text);
    }
}

#[tokio::test]
async fn a_default_authorization_goes_neither_with_the_login_nor_with_a_call() {
    // The login carries the password in its body; a default `Authorization` (stale, or
    // another service's) sent with it hands that secret to Di's login endpoint too.
    let server = server(0);
    let client = client(
        &server.base_url(),
        defaults().with_default_header(AUTHORIZATION, value("Bearer stale-other-secret")),
    );
    client.cancel_order("70724761617883184").await.unwrap();
    let seen = server.take();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for raw in &seen {
        raw.assert_each_name_once();
        assert!(!raw.text.contains("stale-other-secret"), "{}", raw.text);
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer di-tok-1"]);
}

#[tokio::test]
async fn after_a_refused_token_the_replayed_cancel_carries_the_new_token_once() {
    let server = server(1);
    let client = client(
        &server.base_url(),
        defaults().with_retry(RetryPolicy::default()),
    );
    client.cancel_order("70724761617883184").await.unwrap();
    let seen = server.take();
    let lines: Vec<&str> = seen.iter().map(|r| r.line()).collect();
    let login = "POST /ws/json/auth/v-3/login/60 HTTP/1.1";
    let cancel = format!("DELETE {CANCEL}70724761617883184 HTTP/1.1");
    assert_eq!(lines, [login, &cancel, login, &cancel]);
    for raw in &seen {
        raw.assert_each_name_once();
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer di-tok-1"]);
    assert_eq!(seen[3].values("authorization"), ["Bearer di-tok-2"]);
}

#[tokio::test]
async fn an_id_that_would_leave_its_segment_is_refused_before_anything_is_sent() {
    let server = server(0);
    let client = client(&server.base_url(), defaults());
    for bad in [
        "7/../8",
        "%2F7",
        "7?x=1",
        "7#x",
        "\u{ff17}",
        "7\r\nx: y",
        "",
    ] {
        let err = client.cancel_order(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
    }
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[test]
fn the_client_s_debug_shows_no_credential() {
    let client = client(
        "http://127.0.0.1:9/",
        defaults().with_default_header(AUTHORIZATION, value("Bearer stale-other-secret")),
    );
    let shown = format!("{client:?}");
    assert!(
        !shown.contains(USERNAME) && !shown.contains(PASSWORD),
        "{shown}"
    );
    assert!(!shown.contains("stale-other-secret"), "{shown}");
}
