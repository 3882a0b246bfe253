//! break9: the rate limit's turn under tokio's paused clock, pinned as the parent (801d525)
//! behaves: every request under a rate limit waits for its start on a timer
//! (`sleep_until(start)`), even when the start is now, so the start is taken at the timer's
//! resolution (1 ms): a clock between two milliseconds waits for the next one, and a caller's
//! deadline inside that millisecond passes before the request is sent.

mod support;

use std::time::Duration;

use rescind_core::{ErrorKind, Provider, RateLimit, Sent, Transport, TransportConfig, deadline};
use support::{Step, get, serve};
use tokio::time::Instant;

fn limited(base: &str) -> Transport {
    Transport::builder(Provider::Arta, base)
        .config(
            TransportConfig::default()
                .with_rate_limit(RateLimit::per_minute(100).with_window(Duration::from_secs(60))),
        )
        .documented_429(true)
        .build()
        .unwrap()
}

fn unlimited(base: &str) -> Transport {
    Transport::builder(Provider::Arta, base)
        .config(TransportConfig::default())
        .documented_429(true)
        .build()
        .unwrap()
}

/// On a whole millisecond, a start allowed now goes at once, with or without a rate limit.
#[tokio::test(start_paused = true)]
async fn on_a_whole_millisecond_a_free_start_goes_at_once() {
    let server = serve(vec![Step::status(200)]).await;
    let t = limited(&server.base_url);
    let t0 = Instant::now();
    let resp = t.send(&get()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (200, 1));
    assert_eq!(Instant::now() - t0, Duration::ZERO);
    let resp = deadline::scope(t0 + Duration::from_micros(300), t.send(&get()))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(server.hits(), 2);
}

/// Between two milliseconds, without a rate limit, with a caller's deadline 300 µs away: the
/// request is sent at once (and its answer does not come within the 300 µs left).
#[tokio::test(start_paused = true)]
async fn between_two_milliseconds_without_a_rate_limit_the_request_is_sent_at_once() {
    let server = serve(vec![Step::status(200)]).await;
    let t = unlimited(&server.base_url);
    tokio::time::advance(Duration::from_micros(400)).await;
    let t0 = Instant::now();
    let err = deadline::scope(t0 + Duration::from_micros(300), t.send(&get()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 1);
}

/// Between two milliseconds, under a rate limit with a free start: the parent waits for the
/// timer's next millisecond before sending.
#[tokio::test(start_paused = true)]
async fn between_two_milliseconds_a_free_start_waits_for_the_next_millisecond() {
    let server = serve(vec![Step::status(200)]).await;
    let t = limited(&server.base_url);
    tokio::time::advance(Duration::from_micros(400)).await;
    let t0 = Instant::now();
    let resp = t.send(&get()).await.unwrap();
    assert_eq!((resp.status, resp.attempts), (200, 1));
    let waited = Instant::now() - t0;
    assert!(
        waited > Duration::ZERO && waited <= Duration::from_millis(2),
        "{waited:?}"
    );
    assert_eq!(server.hits(), 1);
}

/// ... so a caller's deadline inside that millisecond passes first: Timeout, not sent.
#[tokio::test(start_paused = true)]
async fn a_deadline_inside_the_millisecond_passes_before_the_turn() {
    let server = serve(vec![Step::status(200)]).await;
    let t = limited(&server.base_url);
    tokio::time::advance(Duration::from_micros(400)).await;
    let t0 = Instant::now();
    let err = deadline::scope(t0 + Duration::from_micros(300), t.send(&get()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert_eq!(
        err.message(),
        "the caller's deadline passed before this request was sent"
    );
    assert_eq!(server.hits(), 0);
}
