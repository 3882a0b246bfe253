//! break20: a new user's attempts to break `BaseUrl` (the 256-byte room), `path_with_segment`
//! and the one-source-per-header-name rule of the transport, seen on the wire.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use rescind_core::http::{BaseUrl, HeaderName, HeaderValue, Method, path_with_segment};
use rescind_core::retry::RetryPolicy;
use rescind_core::{ErrorKind, HttpRequest, TransportConfig};
use support::percent::percent_decode;
use support::wire::{RawRequest, WireRecorder};
use support::{bearer_transport, key_transport};
use url::Url;

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(RetryPolicy::none())
        .with_attempt_timeout(Duration::from_secs(10))
}

fn ok_server() -> WireRecorder {
    WireRecorder::start(|req| {
        if req.line().contains("/login ") {
            (200, r#"{"token":"tok-1"}"#.into())
        } else {
            (200, "{}".into())
        }
    })
}

// ---------------------------------------------------------------------------------------------
// BaseUrl
// ---------------------------------------------------------------------------------------------

#[test]
fn a_base_with_a_secret_in_its_query_or_fragment_is_refused_without_echoing_it() {
    // `parse` already hides a base's userinfo ("the input may carry credentials by mistake");
    // a key pasted into the query (`?api_key=`) or the fragment is the same mistake.
    for bad in [
        "https://api.arta.io/?api_key=s3cr3t-k3y",
        "https://api.arta.io/v1?token=s3cr3t-k3y",
        "https://api.arta.io/#s3cr3t-k3y",
        "https://api.arta.io/?password=s3cr3t-k3y#x",
    ] {
        let err = BaseUrl::parse(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert!(!err.to_string().contains("s3cr3t"), "{bad}: {err}");
        assert!(!format!("{err:?}").contains("s3cr3t"), "{bad}: {err:?}");
    }
}

#[test]
fn userinfo_that_is_empty_is_dropped_and_any_other_is_refused() {
    for (base, want) in [
        ("http://@h/p", "http://h/p/"),
        ("http://:@h/p/", "http://h/p/"),
    ] {
        assert_eq!(BaseUrl::parse(base).unwrap().as_str(), want, "{base}");
    }
    for bad in ["http://u@h/", "http://:pw@h/", "http://u:@h/"] {
        let err = BaseUrl::parse(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
    }
}

#[test]
fn a_path_s_question_mark_or_hash_never_becomes_a_query_or_fragment() {
    // A path is "already encoded"; a stray `?` or `#` in it must not start a query (an
    // injected parameter) nor a fragment (a truncated request): both stay in the path.
    for base in [
        "http://h",
        "http://h/",
        "http://h/prefix",
        &format!("http://h/{}/", "p".repeat(300)),
    ] {
        let b = BaseUrl::parse(base).unwrap();
        for path in ["/orders/a?admin=1", "/orders/a#frag", "orders/?#", "/?"] {
            let url = Url::parse(&b.url(path, &[])).unwrap();
            assert_eq!(url.query(), None, "{base} + {path}: {url}");
            assert_eq!(url.fragment(), None, "{base} + {path}: {url}");
            let url = Url::parse(&b.url(path, &[("page".into(), "2".into())])).unwrap();
            assert_eq!(url.query(), Some("page=2"), "{base} + {path}: {url}");
            assert_eq!(url.fragment(), None, "{base} + {path}: {url}");
        }
    }
}

#[test]
fn a_url_is_the_parse_of_base_and_path_for_odd_bases() {
    let long_prefix = format!("http://h:1/{}/", "x".repeat(257));
    let bases = [
        "http://[::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[::ffff:127.0.0.1]:8/a",
        "http://h:65535/a%2Fb/",
        "http://h/%7Euser/",
        "http://h/a%20b",
        "http://xn--bcher-kva.example/p",
        "http://bücher.example/p",
        "http://h/p//",
        "http://h//",
        "http://h///",
        "http://h/p/./q/../",
        "http://h/%2e%2e/",
        "HTTP://H:80/",
        "https://h:443",
        long_prefix.as_str(),
    ];
    for base in bases {
        let Ok(b) = BaseUrl::parse(base) else {
            // An unparsable base must be refused by `Url` as well.
            assert!(
                Url::parse(base).is_err(),
                "{base} refused but `Url` parses it"
            );
            continue;
        };
        for path in [
            "/orders/1".to_string(),
            String::new(),
            "/".to_string(),
            "x".to_string(),
            format!("/{}", "9".repeat(256 - b.as_str().len().min(200))),
            format!("/{}", "9".repeat(1000)),
            path_with_segment("id", "/o/", "../a/b", "/c").unwrap(),
        ] {
            let mut root = Url::parse(base).unwrap().as_str().to_string();
            if !root.ends_with('/') {
                // A base without a trailing `/` gets one: its last segment is a prefix.
                root.push('/');
            }
            let want = Url::parse(&format!("{root}{}", path.trim_start_matches('/'))).unwrap();
            let got = b.url(&path, &[]);
            assert_eq!(got, want.as_str(), "{base} + {path:?}");
            assert!(!got.contains("rrrrrrrr"), "{got}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// path_with_segment on the wire
// ---------------------------------------------------------------------------------------------

fn escaping_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "/",
        "a/b",
        "..%2F",
        "%2F",
        "%2e%2e",
        ".%2E",
        "...",
        "./",
        "../",
        "\\..\\",
        "a\\b",
        "ø",
        "日本",
        "\u{ff0e}\u{ff0e}",
        "\u{2215}",
        "\0",
        "\r\nX-Injected: 1",
        " HTTP/1.1\r\n",
        "?x=1",
        "#f",
        "@evil",
        "//evil.example",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("7".repeat(300));
    ids.push("/".repeat(300));
    ids
}

#[tokio::test]
async fn on_the_wire_an_id_stays_one_segment_that_decodes_to_itself() {
    let server = ok_server();
    let bases = [
        (format!("http://{}", server.addr()), String::new()),
        (format!("http://{}/p%2Fq/", server.addr()), "/p%2Fq".into()),
        (
            format!("http://{}/{}/", server.addr(), "L".repeat(300)),
            format!("/{}", "L".repeat(300)),
        ),
    ];
    for (base, prefix) in bases {
        let t = key_transport(&base, config());
        for id in escaping_ids() {
            let path = path_with_segment("id", "/orders/", &id, "/cancel").unwrap();
            let req = HttpRequest::new("op", Method::GET, "/orders/{id}/cancel", path);
            t.send(&req).await.unwrap();
            let raw = server.take_one();
            raw.assert_each_name_once();
            let target = raw
                .line()
                .strip_prefix("GET ")
                .and_then(|l| l.strip_suffix(" HTTP/1.1"))
                .unwrap_or_else(|| panic!("{id:?}: {}", raw.line()))
                .to_string();
            let rest = target
                .strip_prefix(&format!("{prefix}/orders/"))
                .unwrap_or_else(|| panic!("{id:?}: {target}"));
            let seg = rest
                .strip_suffix("/cancel")
                .unwrap_or_else(|| panic!("{id:?}: {target}"));
            assert!(!seg.contains('/'), "{id:?}: {target}");
            assert!(!seg.contains('?') && !seg.contains('#'), "{id:?}: {target}");
            assert_eq!(percent_decode(seg), id.as_bytes(), "{id:?}: {target}");
            assert!(raw.values("x-injected").is_empty(), "{}", raw.text);
        }
    }
}

#[test]
fn ids_that_are_empty_or_dots_are_refused_and_others_are_not() {
    for bad in ["", ".", ".."] {
        let err = path_with_segment("order_id", "/o/", bad, "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.field(), Some("order_id"));
    }
    // Dots that are not a dot segment after encoding, and long ids, go through encoded.
    assert_eq!(path_with_segment("id", "/o/", "...", "").unwrap(), "/o/...");
    assert_eq!(
        path_with_segment("id", "/o/", ".%2e", "").unwrap(),
        "/o/.%252e"
    );
    let long = "ø".repeat(50_000);
    let p = path_with_segment("id", "/o/", &long, "").unwrap();
    assert_eq!(p.len(), 3 + 50_000 * 6);
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

fn value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

#[tokio::test]
async fn a_default_with_two_values_goes_out_from_that_one_source_and_a_request_s_own_replaces_both()
{
    let server = ok_server();
    let mut cfg = config();
    let x = HeaderName::from_static("x-tag");
    cfg.default_headers.append(x.clone(), value("d1"));
    cfg.default_headers.append(x.clone(), value("d2"));
    let t = key_transport(&server.base_url(), cfg);
    t.send(&HttpRequest::new("op", Method::GET, "/x", "/x"))
        .await
        .unwrap();
    let raw = server.take_one();
    assert_eq!(raw.values("x-tag"), ["d1", "d2"], "{}", raw.text);
    t.send(&HttpRequest::new("op", Method::GET, "/x", "/x").with_header(x, value("r")))
        .await
        .unwrap();
    let raw = server.take_one();
    assert_eq!(raw.values("x-tag"), ["r"], "{}", raw.text);
    raw.assert_each_name_once();
}

#[tokio::test]
async fn every_default_name_and_the_transport_s_own_go_once_on_a_post_with_a_body() {
    let server = ok_server();
    let cfg = config()
        .with_default_header(USER_AGENT, value("shop/2"))
        .with_default_header(ACCEPT, value("application/json; charset=utf-8"))
        .with_default_header(CONTENT_TYPE, value("text/plain"))
        .with_default_header(AUTHORIZATION, value("Basic dXNlcjpwdw=="));
    let t = key_transport(&format!("{}/p/", server.base_url()), cfg);
    let req = HttpRequest::new("op", Method::POST, "/x", "/x").with_json_body("{}");
    t.send(&req).await.unwrap();
    let raw = server.take_one();
    raw.assert_each_name_once();
    assert_eq!(raw.line(), "POST /p/x HTTP/1.1");
    assert_eq!(raw.values("user-agent"), ["shop/2"]);
    assert_eq!(raw.values("accept"), ["application/json; charset=utf-8"]);
    assert_eq!(raw.values("content-type"), ["application/json"]);
    assert_eq!(raw.values("authorization"), ["ARTA_APIKey key-123"]);
    assert!(raw.text.ends_with("\r\n\r\n{}"), "{}", raw.text);
}

/// Whether `raw` carries `secret` anywhere (head or body).
fn carries(raw: &RawRequest, secret: &str) -> bool {
    raw.text.contains(secret)
}

#[tokio::test]
async fn a_default_authorization_never_reaches_the_wire_of_a_bearer_client_not_even_its_login() {
    // "the credentials always come from the client": a stale default `Authorization` is
    // replaced on every call; the login, which has no client credentials in a header, must not
    // carry it either (it is sent to the login endpoint beside the password).
    let server = ok_server();
    let cfg = config().with_default_header(AUTHORIZATION, value("Bearer stale-default-secret"));
    let (t, _cache) = bearer_transport(
        &server.base_url(),
        cfg,
        "pw-1",
        Duration::from_secs(3600),
        Duration::from_secs(1),
    );
    t.send(&HttpRequest::new("op", Method::GET, "/x", "/x"))
        .await
        .unwrap();
    let seen = server.take();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert_eq!(seen[0].line(), "POST /login HTTP/1.1");
    assert_eq!(seen[1].line(), "GET /x HTTP/1.1");
    for raw in &seen {
        raw.assert_each_name_once();
        assert!(
            !carries(raw, "stale-default-secret"),
            "the default Authorization went out:\n{}",
            raw.text
        );
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer tok-1"]);
}

#[tokio::test]
async fn after_a_refused_token_the_replayed_call_carries_the_new_token_once() {
    let logins = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (l, c) = (logins.clone(), calls.clone());
    let server = WireRecorder::start(move |req| {
        if req.line().contains("/login ") {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            (200, format!(r#"{{"token":"tok-{n}"}}"#))
        } else if c.fetch_add(1, Ordering::SeqCst) == 0 {
            (401, r#"{"error":"invalid_token"}"#.into())
        } else {
            (200, "{}".into())
        }
    });
    let cfg = config()
        .with_retry(RetryPolicy::default())
        .with_default_header(AUTHORIZATION, value("Bearer default"));
    let (t, _cache) = bearer_transport(
        &server.base_url(),
        cfg,
        "pw-1",
        Duration::from_secs(3600),
        Duration::from_secs(1),
    );
    t.send(&HttpRequest::new("op", Method::GET, "/x", "/x"))
        .await
        .unwrap();
    let seen = server.take();
    let lines: Vec<&str> = seen.iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        [
            "POST /login HTTP/1.1",
            "GET /x HTTP/1.1",
            "POST /login HTTP/1.1",
            "GET /x HTTP/1.1"
        ]
    );
    for raw in &seen {
        raw.assert_each_name_once();
    }
    assert_eq!(seen[1].values("authorization"), ["Bearer tok-1"]);
    assert_eq!(seen[3].values("authorization"), ["Bearer tok-2"]);
}

#[test]
fn a_default_authorization_s_value_is_not_shown_by_the_transport_s_debug() {
    // The client's own credentials are redacted in `Debug`; a credential given as a default
    // header (which the client's replaces anyway) must not show in the same `Debug` either.
    let cfg = config().with_default_header(AUTHORIZATION, value("Basic c2VjcmV0LWRlZmF1bHQ="));
    let t = key_transport("http://127.0.0.1:9/", cfg.clone());
    let shown = format!("{t:?}");
    assert!(!shown.contains("ARTA_APIKey key-123"), "{shown}");
    assert!(!shown.contains("c2VjcmV0LWRlZmF1bHQ"), "{shown}");
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("c2VjcmV0LWRlZmF1bHQ"), "{shown}");
}
