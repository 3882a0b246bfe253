//! The INFO event the transport emits before each retry (target `rescind::retry`), which a
//! command-line tool prints as "Arta answered 503; retrying in 2 s, attempt 2 of 3".
//!
//! Its own test binary: it installs a tracing subscriber for the thread.

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::SecretString;
use rescind_core::{Auth, HttpRequest, Provider, RETRY_EVENT_TARGET, Transport, TransportConfig};
use support::logs::Captured;

#[tokio::test]
async fn each_retry_is_one_info_event_with_its_fields_and_a_change_has_none() {
    let (captured, _guard) = Captured::start(tracing::Level::INFO, false);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/things/1");
            then.status(503).header("retry-after", "1").body("down");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/things");
            then.status(503).body("down");
        })
        .await;
    let transport = Transport::builder(Provider::SkipPay, server.base_url())
        .auth(Auth::Header {
            name: http::header::AUTHORIZATION,
            value: SecretString::from("Bearer t"),
        })
        .config(TransportConfig::default().with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        ))
        .build()
        .unwrap();

    let get = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");
    assert_eq!(transport.send(&get).await.unwrap().attempts, 3);
    let lines = captured.lines_with(RETRY_EVENT_TARGET);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for (line, attempt) in lines.iter().zip([2, 3]) {
        assert!(line.contains(" INFO "), "{line}");
        for field in [
            "provider=\"skippay\"".to_string(),
            "status=503".into(),
            "delay_ms=1000".into(),
            format!("attempt={attempt}"),
            "max_attempts=3".into(),
        ] {
            assert!(line.contains(&field), "`{field}` missing: {line}");
        }
    }

    // A POST is not idempotent: no retry, so no event.
    let post = HttpRequest::new("create_thing", Method::POST, "/things", "/things")
        .with_json_body(r#"{"a":1}"#);
    assert_eq!(transport.send(&post).await.unwrap().attempts, 1);
    assert_eq!(captured.lines_with(RETRY_EVENT_TARGET).len(), 2);
}
