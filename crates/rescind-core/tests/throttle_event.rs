//! The retry event after a 429 (target `rescind::retry`), which a command-line tool prints as
//! "Arta answered 429; retrying in 1.6 s": the same event as after a failure, without
//! `max_attempts` (a 429 is bounded by the call's deadline, not by the attempts), and a
//! failure's event after 429s still counts only the failures' attempts.
//!
//! Its own test binary: it installs a tracing subscriber for the thread.

mod support;

use std::time::Duration;

use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::{HttpRequest, Provider, RETRY_EVENT_TARGET, Transport, TransportConfig};
use support::logs::Captured;
use support::{Step, serve};

#[tokio::test]
async fn a_429_is_announced_with_its_wait_and_without_the_failures_count() {
    let (captured, _guard) = Captured::start(tracing::Level::INFO, false);

    let server = serve(vec![
        Step::status(429),
        Step::status(429),
        Step::status(503),
        Step::status(200),
    ])
    .await;
    let transport = Transport::builder(Provider::Arta, &server.base_url)
        .config(
            TransportConfig::default().with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(20), Duration::from_millis(20)),
            ),
        )
        .build()
        .unwrap();
    let get = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");
    let resp = transport.send(&get).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (200, 4));

    let text = captured.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(RETRY_EVENT_TARGET))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    for (line, attempt) in lines[..2].iter().zip([2, 3]) {
        assert!(line.contains(" INFO "), "{line}");
        for field in [
            "provider=\"arta\"".to_string(),
            "status=429".into(),
            "delay_ms=".into(),
            format!("attempt={attempt}"),
        ] {
            assert!(line.contains(&field), "`{field}` missing: {line}");
        }
        assert!(!line.contains("max_attempts"), "{line}");
    }
    // The 503 is the first failure: its retry is attempt 2 of 3 of the failures' count.
    for field in ["status=503", "attempt=2", "max_attempts=3"] {
        assert!(lines[2].contains(field), "`{field}` missing: {}", lines[2]);
    }
}
