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
//!
//! # After a 429: the whole client pauses
//!
//! The pacer counts only this client's calls; the provider counts every call of the key (Arta:
//! per API key, x-topic "Rate Limits"), another program's on a shared key included. When a 429
//! comes anyway, the transport's throttle (one per client, shared like the pacer, present
//! with or without a rate limit) pauses **every caller of the client**, not only the one that
//! was answered:
//!
//! - the pause is the `Retry-After` the 429 named (at most the policy's cap), else a backoff
//!   doubled for each 429 in a row on the client, capped by the pacer's window or, without a
//!   pacer, by the policy's documented default ([`retry::throttle_backoff`]);
//! - 429s to requests sent before the pause began (they were in flight when the key filled)
//!   do not double it: one pause per round;
//! - when the pause ends, **one request goes first**; the other callers wait for its answer.
//!   Each answer that is not a 429 lets one more request be in flight (a slow start, as TCP's),
//!   and 16 of them end the throttle; a 429 starts the next pause (longer while 429s come in
//!   a row), one at a time again. A run that meets a full key so pays about one 429 per
//!   round, not one per caller, and a key full of calls in flight (Arta's concurrent limit)
//!   is not answered with a burst of every waiting caller;
//! - one slow answer does not hold every caller: when no place has been given for the length
//!   of the last pause (at least 10 ms, at most 5 s) and every place is
//!   still in flight, one more request goes (a probe), and so on once per that interval
//!   while no answer comes. A request hanging for its whole attempt timeout (30 s by default)
//!   so costs the other callers one probe interval, not the attempt timeout;
//! - no caller waits past its deadline: one whose deadline comes first (or within the timer's
//!   resolution of the pause's end: 1 ms, as it may wake that late) ends at once with
//!   [`ErrorKind::RateLimited`](crate::ErrorKind), as it would after the 429 itself.
//!
//! [`retry::throttle_backoff`]: crate::retry::throttle_backoff

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How far [`later`] goes at most: 30 years, "never" for any call (tokio's own far future).
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `at + wait`, never overflowing the clock: a wait past [`FAR`] (an absurd `Retry-After`
/// with no cap, a `Duration::MAX` timeout) is taken as 30 years, which outlasts any deadline.
/// How late a wait may wake: tokio's timer has a resolution of one millisecond (its `time`
/// module docs), so a sleep sized to end just before a deadline can end after it. No request
/// is made to wait for a start within this of its deadline: its attempt would have no time to
/// be answered (a rate limit's turn, the end of a pause after a 429, a retry's delay).
pub(crate) const TIMER_RESOLUTION: Duration = Duration::from_millis(1);

/// The latest instant a wait before a request may end, for a request that must start by
/// `deadline` ([`TIMER_RESOLUTION`]).
pub(crate) fn latest_wake(deadline: Instant) -> Instant {
    deadline.checked_sub(TIMER_RESOLUTION).unwrap_or(deadline)
}

/// Whether a start at `at`, waited for on a timer (it is later than `now`), would end too
/// close to `deadline`: within the timer's resolution of it, or after it.
pub(crate) fn wait_ends_too_late(at: Instant, now: Instant, deadline: Instant) -> bool {
    at > now && at >= latest_wake(deadline)
}

pub(crate) fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait.min(FAR))
        .or_else(|| at.checked_add(Duration::from_secs(24 * 60 * 60)))
        .unwrap_or(at)
}

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
            now.max(later(oldest, self.limit.window))
        };
        // A start now needs no wait; a start later is waited for on a timer, which may wake
        // up to its resolution late (`TIMER_RESOLUTION`).
        if at > deadline || wait_ends_too_late(at, now, deadline) {
            return None;
        }
        // A start waited for on a timer may come up to its resolution late: counted at its
        // latest, so that the window after it is never shorter than the limit's.
        starts.push_back(if at > now {
            later(at, TIMER_RESOLUTION)
        } else {
            at
        });
        while starts.len() > calls {
            starts.pop_front();
        }
        Some(at)
    }

    /// Reserves a request's start ([`Pacer::reserve`] from now): at once, later (to wait for
    /// on a timer), or none before `deadline`. A start now needs no timer: tokio's would round
    /// it up to its next millisecond.
    pub(crate) fn start(&self, deadline: Instant) -> Start {
        let now = Instant::now();
        match self.reserve(now, deadline) {
            None => Start::NoTurn,
            Some(at) if at <= now => Start::Now,
            Some(at) => Start::At(at),
        }
    }

    /// Waits for a start under the limit, as the transport does; false (nothing reserved, no
    /// wait) when none comes before `deadline`. The transport awaits the timer in a box of its
    /// own, only when there is one (`Transport::send_inner`).
    #[cfg(test)]
    pub(crate) async fn wait(&self, deadline: Instant) -> bool {
        match self.start(deadline) {
            Start::Now => true,
            Start::At(at) => {
                tokio::time::sleep_until(at).await;
                true
            }
            Start::NoTurn => false,
        }
    }
}

/// When a request may start under the rate limit ([`Pacer::start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Now.
    Now,
    /// At this instant.
    At(Instant),
    /// Not before the deadline: nothing reserved.
    NoTurn,
}

/// After a pause, requests go one at a time, then one more in flight for each answer that is
/// not a 429; this many such answers end the throttle (module docs, "After a 429").
pub(crate) const RAMP_END: u32 = 16;

/// The longest a ramp waits for an answer before it lets one more request go (module docs,
/// "After a 429"): one slow answer holds the other callers at most this long.
pub(crate) const RAMP_PROBE_MAX: Duration = Duration::from_secs(5);

/// The shortest probe interval of the ramp.
const RAMP_PROBE_MIN: Duration = Duration::from_millis(10);

/// The pause of one client after a 429 (module docs, "After a 429").
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Whether `state.strikes > 0`, kept beside it (written under the lock): the common case,
    /// a client never answered 429, reads it without taking the lock, so that calls in
    /// flight on several threads do not all write one shared lock per request.
    engaged: AtomicBool,
    state: Mutex<ThrottleState>,
    /// Wakes the callers waiting for a place in the ramp.
    ramp: Notify,
}

#[derive(Debug)]
struct ThrottleState {
    /// 429s in a row on the client, one per round (back to 1 when another answer comes in
    /// the ramp); 0: not throttled.
    strikes: u32,
    /// No request starts before this.
    until: Instant,
    /// When the current round began: a 429 to a request sent before it does not count again.
    round: Instant,
    /// Requests in flight in the ramp after the pause.
    in_flight: u32,
    /// How many may be: 1 after a 429, one more for each other answer.
    allowed: u32,
    /// When the ramp last gave a place (the end of the pause before the first).
    given: Instant,
    /// How long a ramp waits for an answer before giving one more place: the last pause's
    /// length, between [`RAMP_PROBE_MIN`] and [`RAMP_PROBE_MAX`].
    probe: Duration,
}

impl ThrottleState {
    /// When the ramp lets one more request go though every place is in flight.
    fn probe_at(&self) -> Instant {
        later(self.given, self.probe)
    }
}

/// Why [`Throttle::wait`] gave no turn before the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoTurn {
    /// The pause after a 429 ends after the deadline.
    Paused,
    /// The pause is over, but every place in the ramp was in flight until the deadline.
    Ramp,
}

/// What [`Throttle::wait`] gives a caller.
#[derive(Debug)]
pub(crate) enum Turn<'a> {
    /// The client is not throttled: send.
    Free,
    /// A place in the ramp after a pause: send, and hold it until the answer is recorded.
    Ramp(#[allow(dead_code, reason = "held for its Drop")] RampPlace<'a>),
}

/// A place in the ramp after a pause; dropping it lets another caller go.
#[derive(Debug)]
pub(crate) struct RampPlace<'a> {
    throttle: &'a Throttle,
}

impl Drop for RampPlace<'_> {
    fn drop(&mut self) {
        let mut state = self.throttle.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.throttle.ramp.notify_waiters();
    }
}

impl Throttle {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Throttle {
            engaged: AtomicBool::new(false),
            state: Mutex::new(ThrottleState {
                strikes: 0,
                until: now,
                round: now,
                in_flight: 0,
                allowed: 1,
                given: now,
                probe: RAMP_PROBE_MIN,
            }),
            ramp: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThrottleState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the client is paused or ramping after a 429 ([`Throttle::wait`] may wait);
    /// read without the lock.
    pub(crate) fn engaged(&self) -> bool {
        self.engaged.load(Ordering::Acquire)
    }

    /// Waits for the pause to end and, while the client is throttled, for a place in the ramp
    /// (or the ramp's probe interval, module docs); an error saying why when no turn comes
    /// before `deadline` (at once when the pause is known to outlast it).
    pub(crate) async fn wait(&self, deadline: Instant) -> Result<Turn<'_>, NoTurn> {
        if !self.engaged.load(Ordering::Acquire) {
            return Ok(Turn::Free);
        }
        loop {
            let place_freed = self.ramp.notified();
            tokio::pin!(place_freed);
            let sleep_until = {
                let mut state = self.lock();
                if state.strikes == 0 {
                    return Ok(Turn::Free);
                }
                let now = Instant::now();
                if state.until > now {
                    // Waited for on a timer, which may wake late (`TIMER_RESOLUTION`).
                    if state.until >= latest_wake(deadline) {
                        return Err(NoTurn::Paused);
                    }
                    Some(state.until)
                } else if state.in_flight < state.allowed || now >= state.probe_at() {
                    // A free place, or none given for a probe interval: one more goes.
                    state.in_flight += 1;
                    state.given = now;
                    return Ok(Turn::Ramp(RampPlace { throttle: self }));
                } else {
                    // Registered under the lock: a place freed cannot be missed.
                    place_freed.as_mut().enable();
                    None
                }
            };
            match sleep_until {
                Some(at) => tokio::time::sleep_until(at).await,
                None => {
                    let probe_at = self.lock().probe_at();
                    let latest = latest_wake(deadline);
                    if tokio::time::timeout_at(latest.min(probe_at), place_freed)
                        .await
                        .is_err()
                        && Instant::now() >= latest
                    {
                        return Err(NoTurn::Ramp);
                    }
                }
            }
        }
    }

    /// When the current pause ends, if the client is paused now.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        let state = self.lock();
        (state.strikes > 0 && state.until > Instant::now()).then_some(state.until)
    }

    /// A 429 answered a request sent at `sent_at`. Unless the request was sent before the
    /// current round began (or at its very instant), it starts the next round: one strike
    /// more, no request before `pause(strikes)` from now, then one at a time. Returns when
    /// requests may start again.
    pub(crate) fn throttled(
        &self,
        sent_at: Instant,
        pause: impl FnOnce(u32) -> Duration,
    ) -> Instant {
        let mut state = self.lock();
        if state.strikes == 0 || sent_at > state.round {
            let now = Instant::now();
            state.strikes = state.strikes.saturating_add(1);
            self.engaged.store(true, Ordering::Release);
            state.round = now;
            state.until = state.until.max(later(now, pause(state.strikes)));
            state.allowed = 1;
            state.given = state.until;
            state.probe = state
                .until
                .saturating_duration_since(now)
                .clamp(RAMP_PROBE_MIN, RAMP_PROBE_MAX);
        }
        state.until
    }

    /// A 429 whose `Retry-After` names when the provider takes requests again: the pause
    /// lasts at least until `at`, whether or not the 429 began a round (a 429 to a request
    /// sent before the current round counts no strike, but its `Retry-After` is the provider's
    /// word). Returns when requests may start again.
    pub(crate) fn hold_until(&self, at: Instant) -> Instant {
        let mut state = self.lock();
        if state.strikes > 0 && at > state.until {
            state.until = at;
            state.given = state.given.max(at);
        }
        state.until
    }

    /// Another answer came to a request sent at `sent_at`: sent in the current round, it
    /// proves the provider takes requests again: the next 429 pauses from the first step, one
    /// more request may be in flight, and after [`RAMP_END`] such answers the throttle ends
    /// for every caller.
    pub(crate) fn answered(&self, sent_at: Instant) {
        // Not throttled (the common case): nothing to record, and no lock taken. A 429
        // recorded by another call at this very moment concerns requests sent before its
        // round began, as this one was, which do not count in the ramp anyway.
        if !self.engaged.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        if state.strikes > 0 && sent_at > state.round {
            // The run of 429s is broken: the next one pauses from the first step again.
            state.strikes = 1;
            state.allowed += 1;
            if state.allowed > RAMP_END {
                state.strikes = 0;
                state.allowed = 1;
                self.engaged.store(false, Ordering::Release);
            }
            drop(state);
            self.ramp.notify_waiters();
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
    async fn a_429_pauses_every_caller_then_one_goes_and_each_answer_lets_one_more_go() {
        let throttle = std::sync::Arc::new(Throttle::new());
        let t0 = Instant::now();
        assert!(matches!(throttle.wait(far()).await, Ok(Turn::Free)));
        // A 429: one second's pause for everyone.
        let until = throttle.throttled(t0, |strikes| {
            assert_eq!(strikes, 1);
            Duration::from_secs(1)
        });
        assert_eq!(until, t0 + Duration::from_secs(1));
        // Another 429 to a request sent before the round began counts no second strike.
        let again = throttle.throttled(t0, |_| panic!("a stale 429 doubled the pause"));
        assert_eq!(again, until);
        // A caller whose deadline comes before the pause ends is refused at once.
        assert!(
            throttle
                .wait(t0 + Duration::from_millis(500))
                .await
                .is_err()
        );
        assert_eq!(Instant::now(), t0);
        // Four callers, each answered 500 ms after it is sent (within the probe interval,
        // the pause's 1 s): after the pause one goes, its answer lets two go, their answers
        // the last.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..4 {
            let throttle = throttle.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let turn = throttle.wait(far()).await;
                let sent = Instant::now();
                tx.send((matches!(turn, Ok(Turn::Ramp(_))), sent - t0))
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
                throttle.answered(sent);
                drop(turn);
            });
        }
        drop(tx);
        let mut seen = Vec::new();
        while let Some(sent) = rx.recv().await {
            seen.push(sent);
        }
        let ms = Duration::from_millis;
        assert_eq!(
            seen,
            vec![
                (true, ms(1_000)),
                (true, ms(1_500)),
                (true, ms(1_500)),
                (true, ms(2_000)),
            ]
        );
        // 4 answers of 16: still ramping, one more each.
        for _ in 0..RAMP_END - 4 {
            assert!(matches!(throttle.wait(far()).await, Ok(Turn::Ramp(_))));
            throttle.answered(Instant::now());
        }
        assert!(matches!(throttle.wait(far()).await, Ok(Turn::Free)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_in_the_ramp_doubles_the_pause_and_a_place_dropped_passes_the_turn() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        let pause = |strikes: u32| Duration::from_secs(1) * 2u32.pow(strikes - 1);
        throttle.throttled(t0, pause);
        let Ok(Turn::Ramp(first)) = throttle.wait(far()).await else {
            panic!("no turn after the pause");
        };
        let sent = Instant::now();
        assert_eq!(sent, t0 + Duration::from_secs(1));
        // Answered 429: the second strike, two seconds.
        let until = throttle.throttled(sent, pause);
        assert_eq!(until, sent + Duration::from_secs(2));
        drop(first);
        let Ok(Turn::Ramp(second)) = throttle.wait(far()).await else {
            panic!("no turn after the second pause");
        };
        assert_eq!(Instant::now(), until);
        // One at a time: no second place until the first is given back...
        assert!(
            throttle
                .wait(Instant::now() + Duration::from_secs(1))
                .await
                .is_err()
        );
        // ...and a place that ends without an answer (timed out, dropped) passes the turn.
        drop(second);
        assert!(matches!(throttle.wait(far()).await, Ok(Turn::Ramp(_))));
        // An answer to a request sent before the round does not count.
        throttle.answered(t0);
        let (a, b) = (
            throttle.wait(far()).await,
            throttle.wait(Instant::now()).await,
        );
        assert!(matches!(a, Ok(Turn::Ramp(_))) && b.is_err());
        drop(a);
        // One that does lets two be in flight.
        throttle.answered(Instant::now());
        let (a, b) = (throttle.wait(far()).await, throttle.wait(far()).await);
        assert!(matches!((&a, &b), (Ok(Turn::Ramp(_)), Ok(Turn::Ramp(_)))));
        drop((a, b));
        // That answer broke the run of 429s: the next is the second strike, not the third.
        throttle.throttled(Instant::now(), |strikes| {
            assert_eq!(strikes, 2);
            Duration::from_secs(1)
        });
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

    #[tokio::test(start_paused = true)]
    async fn no_wait_is_made_for_a_start_within_the_timers_resolution_of_the_deadline() {
        let pacer = Pacer::new(RateLimit::per_minute(1).with_window(Duration::from_secs(60)));
        let t0 = Instant::now();
        // A start now needs no timer: it goes even with less than a millisecond left.
        assert_eq!(pacer.start(t0 + Duration::from_micros(300)), Start::Now);
        // The next start is a minute away: refused when the deadline is within a millisecond
        // of it (the timer may wake that late), and nothing is reserved...
        let next = t0 + Duration::from_secs(60);
        assert_eq!(
            pacer.start(next + Duration::from_micros(500)),
            Start::NoTurn
        );
        assert_eq!(pacer.start(next + TIMER_RESOLUTION), Start::NoTurn);
        // ...waited for when a millisecond and more is left.
        assert_eq!(
            pacer.start(next + TIMER_RESOLUTION + Duration::from_micros(1)),
            Start::At(next)
        );

        // The same for the end of a pause after a 429.
        let throttle = Throttle::new();
        let until = throttle.throttled(t0, |_| Duration::from_millis(200));
        assert!(matches!(
            throttle.wait(until + Duration::from_micros(999)).await,
            Err(NoTurn::Paused)
        ));
        assert_eq!(Instant::now(), t0, "refused without waiting");
        assert!(matches!(
            throttle.wait(until + Duration::from_millis(2)).await,
            Ok(Turn::Ramp(_))
        ));
        assert_eq!(Instant::now(), until);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_in_the_ramp_lets_one_more_go_each_probe_interval() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        let pause = Duration::from_millis(200);
        throttle.throttled(t0, |_| pause);
        let Ok(Turn::Ramp(slow)) = throttle.wait(far()).await else {
            panic!("no turn after the pause");
        };
        assert_eq!(Instant::now(), t0 + pause);
        // The first request hangs: after one probe interval (the pause's length) one more
        // goes, and one more after the next.
        let Ok(Turn::Ramp(probe)) = throttle.wait(far()).await else {
            panic!("no probe");
        };
        assert_eq!(Instant::now(), t0 + pause * 2);
        let Ok(Turn::Ramp(again)) = throttle.wait(far()).await else {
            panic!("no second probe");
        };
        assert_eq!(Instant::now(), t0 + pause * 3);
        // A deadline before the next probe: refused as a ramp without a place, not a pause,
        // once no request could start with the timer's resolution left before it.
        let before = Instant::now() + pause / 2;
        assert!(matches!(throttle.wait(before).await, Err(NoTurn::Ramp)));
        assert_eq!(Instant::now(), before - TIMER_RESOLUTION);
        drop((slow, probe, again));
        // A pause that outlasts the deadline is told apart.
        throttle.throttled(Instant::now(), |_| Duration::from_secs(60));
        assert!(matches!(
            throttle.wait(Instant::now() + Duration::from_secs(1)).await,
            Err(NoTurn::Paused)
        ));
        // The probe interval is at most RAMP_PROBE_MAX, however long the pause.
        tokio::time::advance(Duration::from_secs(60)).await;
        let Ok(Turn::Ramp(_hung)) = throttle.wait(far()).await else {
            panic!("no turn after the long pause");
        };
        let start = Instant::now();
        let Ok(Turn::Ramp(_probe)) = throttle.wait(far()).await else {
            panic!("no probe after a long pause");
        };
        assert_eq!(Instant::now(), start + RAMP_PROBE_MAX);
    }
}
