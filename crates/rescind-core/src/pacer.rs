//! A client's request pacer: at most `calls` requests start in any window of `window`
//! (a sliding window), shared by every clone of a client and every worker of a bulk run.
//!
//! Providers document a number of calls a minute per key (Arta: 1,000 for a live key, 500 for
//! a test key, reference x-topic "Rate Limits") but not how the minute is measured. A sliding
//! window is the strictest reading: no window of that length, wherever it starts, holds more
//! than `calls` starts. Provider crates set `calls` a little under the documented number (see
//! [`RateLimit::under`]) so that the time a request takes to reach the provider, which differs
//! from one request to the next, cannot push a window over.
//!
//! Every attempt is paced, retries and logins included: each is a call the provider counts
//! (DESIGN principle 13, "every request counts"). Waiting never sends over the limit; a wait
//! longer than what is left of the call timeout fails the call at once with
//! [`ErrorKind::Timeout`](crate::ErrorKind) and [`Sent::NotSent`](crate::Sent), before any
//! waiting, and reserves nothing.
//!
//! The pacer is written here rather than taken from `governor`: it uses `tokio`'s clock, so
//! tests pace with a paused clock (`governor` reads its own clock, `quanta`), and it is a
//! queue of the last `calls` start times (one `Instant` each, 16 bytes) behind one mutex.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// At most [`calls`](RateLimit::calls) requests start in any [`window`](RateLimit::window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    calls: u32,
    window: Duration,
}

/// The share of a provider's documented limit that [`RateLimit::under`] paces at: 97 %.
///
/// The sliding window already keeps every window of our own starts at or under the limit,
/// wherever the provider's window starts; the margin only absorbs the spread of the time
/// requests take to reach the provider (a few calls at 1,000 a minute: 3 % is 30 calls for a
/// live Arta key, 15 for a test key). A larger margin costs every bulk run its share of time:
/// 95 % made 10,000 calls take 1.053 × N / limit (issue 17, BENCHMARKS.md).
pub const PACING_SHARE_PERCENT: u32 = 97;

impl RateLimit {
    /// At most `calls` starts in any minute (at least 1).
    pub fn per_minute(calls: u32) -> Self {
        RateLimit {
            calls: calls.max(1),
            window: Duration::from_secs(60),
        }
    }

    /// 97 % ([`PACING_SHARE_PERCENT`]) of a documented `calls` a minute, rounded down, at
    /// least 1: Arta's 1,000 gives 970, its 500 gives 485.
    pub fn under(documented_per_minute: u32) -> Self {
        let paced = u64::from(documented_per_minute) * u64::from(PACING_SHARE_PERCENT) / 100;
        RateLimit::per_minute(u32::try_from(paced).unwrap_or(u32::MAX))
    }

    /// The same number of calls in a window of `window` instead of a minute (at least 1 ms):
    /// for tests against a simulator with a scaled minute.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_millis(1));
        self
    }

    /// The most starts in one window.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The window's length.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The shared state of one client's [`RateLimit`].
#[derive(Debug)]
pub(crate) struct Pacer {
    limit: RateLimit,
    /// The start times given out, oldest first; at most `calls` of them. A start time may be
    /// in the future: the caller that holds it is waiting for it.
    starts: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Pacer {
            limit,
            starts: Mutex::new(VecDeque::with_capacity(limit.calls as usize)),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Reserves the earliest start at which a request keeps every window under the limit, and
    /// returns it; `None` (nothing reserved) when that start is after `deadline`. Reservations
    /// are made in the order callers arrive, so no caller is overtaken.
    pub(crate) fn reserve(&self, now: Instant, deadline: Instant) -> Option<Instant> {
        let mut starts = self.starts.lock().unwrap_or_else(|e| e.into_inner());
        let calls = self.limit.calls as usize;
        let at = if starts.len() < calls {
            now
        } else {
            // The start `calls` places back must have left the window.
            let oldest = starts[starts.len() - calls];
            now.max(oldest + self.limit.window)
        };
        if at > deadline {
            return None;
        }
        starts.push_back(at);
        while starts.len() > calls {
            starts.pop_front();
        }
        Some(at)
    }

    /// Waits for a start under the limit; false (nothing reserved, no wait) when none comes
    /// before `deadline`.
    pub(crate) async fn wait(&self, deadline: Instant) -> bool {
        match self.reserve(Instant::now(), deadline) {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    #[test]
    fn under_takes_ninety_five_percent() {
        assert_eq!(RateLimit::under(1_000).calls(), 970);
        assert_eq!(RateLimit::under(500).calls(), 485);
        assert_eq!(RateLimit::under(1).calls(), 1);
        assert_eq!(RateLimit::per_minute(0).calls(), 1);
        assert_eq!(RateLimit::per_minute(5).window(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_calls_of_a_window_go_at_once_the_next_wait_for_the_window() {
        let pacer = Pacer::new(RateLimit::per_minute(3).with_window(Duration::from_secs(10)));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(pacer.wait(far()).await);
            assert_eq!(Instant::now(), t0);
        }
        assert!(pacer.wait(far()).await);
        assert_eq!(Instant::now(), t0 + Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_anywhere_holds_more_than_the_limit() {
        let limit = RateLimit::per_minute(7).with_window(Duration::from_millis(600));
        let pacer = std::sync::Arc::new(Pacer::new(limit));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..50u64 {
            let pacer = pacer.clone();
            set.spawn(async move {
                // Callers arrive spread out, some during others' waits.
                tokio::time::sleep(Duration::from_millis(i * 37 % 500)).await;
                assert!(pacer.wait(far()).await);
                Instant::now()
            });
        }
        let mut starts = Vec::new();
        while let Some(t) = set.join_next().await {
            starts.push(t.unwrap());
        }
        starts.sort();
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|t| **t < *s + limit.window())
                .count();
            assert!(in_window <= 7, "{in_window} starts in one window from #{i}");
        }
        // 50 calls at 7 a window take at least 7 windows after the first.
        let span = *starts.last().unwrap() - starts[0];
        assert!(span >= limit.window() * 7, "{span:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_start_after_the_deadline_is_refused_at_once_and_not_reserved() {
        let pacer = Pacer::new(RateLimit::per_minute(1).with_window(Duration::from_secs(60)));
        let t0 = Instant::now();
        assert!(pacer.wait(far()).await);
        // The next start is a minute away; a deadline in 10 s refuses without waiting.
        assert!(!pacer.wait(t0 + Duration::from_secs(10)).await);
        assert_eq!(Instant::now(), t0);
        // The refusal took no place: the next caller still starts after one window.
        assert!(pacer.wait(far()).await);
        assert_eq!(Instant::now(), t0 + Duration::from_secs(60));
    }
}
