//! break9: the rate limit's turn under tokio's paused clock. Until ed5de1b every request under
//! a rate limit waited for its start on a timer (`sleep_until(start)`), even when the start
//! was now, so it was taken at the timer's resolution (1 ms): a clock between two milliseconds
//! waited for the next one, and a caller's deadline inside that millisecond passed before the
//! request was sent. Since then a start the rate limit allows now goes at once, as it does
//! without a rate limit (intended: the wait was the timer's rounding, not the rate limit's).

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

/// Between two milliseconds, under a rate limit with a free start: the call takes as long as
/// it takes without a rate limit (under the paused clock, the answer's wait moves the clock to
/// the runtime's next timer either way): no wait of its own for the timer's next millisecond.
#[tokio::test(start_paused = true)]
async fn between_two_milliseconds_a_free_start_goes_as_without_a_rate_limit() {
    let server = serve(vec![Step::status(200), Step::status(200)]).await;
    let mut took = Vec::new();
    for t in [limited(&server.base_url), unlimited(&server.base_url)] {
        tokio::time::advance(Duration::from_millis(10)).await;
        tokio::time::advance(Duration::from_micros(400)).await;
        let t0 = Instant::now();
        let resp = t.send(&get()).await.unwrap();
        assert_eq!((resp.status, resp.attempts), (200, 1));
        took.push(Instant::now() - t0);
    }
    assert_eq!(took[0], took[1], "with a rate limit, then without");
    assert_eq!(server.hits(), 2);
}

/// ... so a caller's deadline inside that millisecond is no reason not to send: the request
/// goes, as without a rate limit, and its answer does not come within the 300 µs left.
#[tokio::test(start_paused = true)]
async fn a_deadline_inside_the_millisecond_does_not_hold_a_free_start() {
    let server = serve(vec![Step::status(200)]).await;
    let t = limited(&server.base_url);
    tokio::time::advance(Duration::from_micros(400)).await;
    let t0 = Instant::now();
    let err = deadline::scope(t0 + Duration::from_micros(300), t.send(&get()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 1);
}
