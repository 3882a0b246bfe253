//! break18: the attempt now builds `reqwest::Request` in place (`HeaderMap::append`,
//! `timeout_mut`, `body_mut`) and `BaseUrl::join` sets a path as given when the base has no
//! prefix. What goes on the wire must be what the `RequestBuilder` sent: each header once
//! (User-Agent, Accept, the provider's default headers, the request's own, the auth header),
//! the body byte for byte, the path with and without a base prefix, with a query; and the
//! attempt timeout still bounds an attempt; a call dropped after its request went out gives
//! its place back to the next call, and sends nothing more. (Passing tests: the raw request head was not
//! asserted header by header, duplicates included, before.)

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::{ErrorKind, HttpRequest, Sent, TransportConfig};
use support::key_transport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that keeps every request's raw bytes (head and body) and answers 200 `{}`, or
/// never answers when `answer` is false or the path starts with `/slow`.
async fn raw_server(answer: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    kept.lock().unwrap().push(text[..end + 4 + len].to_string());
                    let slow = text.starts_with("GET /slow") || text.starts_with("POST /slow");
                    buf.drain(..end + 4 + len);
                    if !answer || slow {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    let _ = sock
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}")
                        .await;
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

fn headers_of(raw: &str) -> Vec<(String, String)> {
    let head = &raw[..raw.find("\r\n\r\n").unwrap()];
    head.lines()
        .skip(1)
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect()
}

fn one(headers: &[(String, String)], name: &str) -> String {
    let all: Vec<_> = headers.iter().filter(|(k, _)| k == name).collect();
    assert_eq!(all.len(), 1, "`{name}` not exactly once: {headers:?}");
    all[0].1.clone()
}

fn config() -> TransportConfig {
    let mut config = TransportConfig::default();
    config.default_headers.insert(
        HeaderName::from_static("x-provider-version"),
        HeaderValue::from_static("2024-01"),
    );
    config.default_headers.insert(
        HeaderName::from_static("x-tenant"),
        HeaderValue::from_static("t-9"),
    );
    config
}

#[tokio::test]
async fn every_header_goes_once_with_the_body_on_the_path_and_query_as_given() {
    let (base, seen) = raw_server(true).await;
    let body = r#"{"reason":"customer asked","n":[1,2,3]}"#;
    let req = HttpRequest::new(
        "create_thing",
        Method::POST,
        "/things/{id}",
        "/things/a%2Fb",
    )
    .with_query("page", "2")
    .with_query("q", "a b&c")
    .with_header(
        HeaderName::from_static("idempotency-key"),
        HeaderValue::from_static("k-1"),
    )
    .with_json_body(body);

    for (base, prefix) in [
        (base.clone(), ""),
        (format!("{base}/api/v2"), "/api/v2"),
        (format!("{base}/api/v2/"), "/api/v2"),
    ] {
        let t = key_transport(&base, config());
        let resp = t.send(&req).await.unwrap();
        assert_eq!(resp.status, 200);
        let raw = seen.lock().unwrap().pop().unwrap();
        let line = raw.lines().next().unwrap().to_string();
        assert_eq!(
            line,
            format!("POST {prefix}/things/a%2Fb?page=2&q=a+b%26c HTTP/1.1"),
            "base {base}"
        );
        let headers = headers_of(&raw);
        assert_eq!(
            one(&headers, "user-agent"),
            format!("rescind/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(one(&headers, "accept"), "application/json");
        assert_eq!(one(&headers, "content-type"), "application/json");
        assert_eq!(one(&headers, "x-provider-version"), "2024-01");
        assert_eq!(one(&headers, "x-tenant"), "t-9");
        assert_eq!(one(&headers, "idempotency-key"), "k-1");
        assert_eq!(one(&headers, "authorization"), "ARTA_APIKey key-123");
        assert_eq!(one(&headers, "content-length"), body.len().to_string());
        assert!(raw.ends_with(&format!("\r\n\r\n{body}")), "{raw}");
    }

    // A GET: no body, no content type, no content length beyond 0.
    let t = key_transport(&base, config());
    let get = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");
    t.send(&get).await.unwrap();
    let raw = seen.lock().unwrap().pop().unwrap();
    assert!(raw.starts_with("GET /things/1 HTTP/1.1\r\n"), "{raw}");
    let headers = headers_of(&raw);
    assert!(
        headers.iter().all(|(k, _)| k != "content-type"),
        "{headers:?}"
    );
    assert!(raw.ends_with("\r\n\r\n"), "{raw}");
}

#[tokio::test]
async fn the_attempt_timeout_still_ends_an_attempt_that_is_never_answered() {
    let (base, seen) = raw_server(false).await;
    let mut config = config();
    config.attempt_timeout = Duration::from_millis(300);
    config.call_timeout = Duration::from_secs(30);
    config.retry = RetryPolicy::none();
    let t = key_transport(&base, config);
    let req =
        HttpRequest::new("create_thing", Method::POST, "/things", "/things").with_json_body("{}");
    let started = std::time::Instant::now();
    let err = t.send(&req).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(5),
        "took {took:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_call_dropped_after_its_request_went_out_frees_its_place_for_the_next() {
    let (base, seen) = raw_server(true).await;
    let mut config = config().with_max_concurrency(1);
    config.attempt_timeout = Duration::from_secs(30);
    let t = key_transport(&base, config);
    let slow = HttpRequest::new("slow", Method::POST, "/slow", "/slow").with_json_body("{}");
    let fast = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");

    // Dropped once the server has the request.
    let dropped = tokio::time::timeout(Duration::from_millis(300), t.send(&slow)).await;
    assert!(dropped.is_err());
    assert_eq!(seen.lock().unwrap().len(), 1);

    // The only place is free again: the next call goes at once.
    let started = std::time::Instant::now();
    let resp = tokio::time::timeout(Duration::from_secs(5), t.send(&fast))
        .await
        .expect("the next call waited for the dropped call's place")
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the dropped change was sent again: {seen:?}");
    assert!(seen[1].starts_with("GET /things/1 "), "{seen:?}");
}
