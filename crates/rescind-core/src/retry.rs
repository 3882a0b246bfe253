//! When to try a request again, and how long to wait: pure functions, tested by table.
//!
//! The rule that matters for cancels: **a request that may have reached the provider is sent
//! again only if repeating it cannot do more than once** ([`HttpRequest::idempotent`]). A
//! non-idempotent request (an Arta hold) is retried only when it surely did not arrive or was
//! refused unprocessed (a refused connection, a 429 where the provider documents it);
//! otherwise the provider crate settles the outcome by reading the target's state.
//!
//! # A 429 is a signal to slow down, not a failure
//!
//! Arta documents a `429 Too Many Requests` past its limits and recommends "retry logic with
//! exponential backoff"; it documents no `Retry-After` (reference, x-topic "Rate Limits"). Di
//! and Skip Pay document no limit at all, and no 429. Only a documented refusal proves that a
//! change was not applied (DESIGN principle 11), so what a 429 proves depends on the provider
//! (`TransportBuilder::documented_429`, set by each provider crate):
//!
//! - **where the provider documents it (Arta)**, a 429 refuses the request before processing
//!   (RFC 6585, section 4; see [`change`](crate::change)): retrying it is safe for every
//!   request, changes included, and never makes the call "may have been sent";
//! - **elsewhere (Di, Skip Pay)**, a 429 to a change proves nothing, like a 5xx: the call is
//!   "may have been sent" ([`Sent::MaybeSent`](crate::Sent)); a change that is not idempotent
//!   is not sent again (the provider crate settles it by reading back), an idempotent one is
//!   retried as below. Reads and logins change nothing and are retried as below.
//!
//! The transport treats a 429 apart from failures:
//!
//! - it waits and tries again **within the call's deadline** (the call timeout, or the
//!   caller's earlier deadline), up to [`RetryPolicy::max_throttle_retries`] times; these
//!   retries take nothing from [`RetryPolicy::max_attempts`] nor from the retry budget, which
//!   bound failures (5xx, timeouts, lost connections);
//! - the wait is the provider's `Retry-After` when it names one (at most
//!   [`RetryPolicy::max_retry_after`]: a longer one ends the call's retries at once, and
//!   pauses the client for that cap), else [`throttle_backoff`]: exponential from
//!   [`RetryPolicy::initial_backoff`], doubled for each 429 in a row **on the client**, half of
//!   it jittered, capped by the client's rate-limit window when it has one (a bare 429 can need
//!   up to one window to clear: the provider counts calls we do not see, another program's on a
//!   shared key) and by [`RetryPolicy::max_throttle_backoff`] (30 s) when it has none;
//! - the wait is the **whole client's**: every caller of the client (every clone, every worker
//!   of a bulk run on the account) holds its next request until it ends, then one request goes
//!   first and each answer that is not a 429 lets one more go (see the `pacer` module), so
//!   that a full key is not answered with a burst of requests that can only earn more 429s;
//! - a login answered 429 is waited out the same way by the token cache's flight, within the
//!   waiting callers' deadlines (see the `token` module);
//! - a call whose next try would start after its deadline, or with less time left before it
//!   than the last 429 took to come back (most likely unanswered in time, the try would turn
//!   an answer into an attempt that may have been applied), ends at once with the provider's
//!   last 429 ([`ErrorKind::RateLimited`](crate::ErrorKind), [`Sent::Answered`](crate::Sent));
//!   one that never sent because of the pause ends with `RateLimited` and
//!   [`Sent::NotSent`](crate::Sent).
//!
//! [`HttpRequest::idempotent`]: crate::HttpRequest::idempotent

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEnd {
    /// The provider answered with this HTTP status.
    Status(u16),
    /// The connection could not be made: nothing was sent.
    ConnectFailed,
    /// No answer within the attempt timeout: the request may have been applied.
    TimedOut,
    /// The connection broke after the request was (perhaps) sent: it may have been applied.
    ConnectionLost,
}

/// What [`classify`] says about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Do not retry: success, a definitive answer, or unsafe to repeat.
    No,
    /// Retry: the provider is throttling us (429).
    Throttled,
    /// Retry: a transient fault (5xx, a connection that failed before sending, or, for an
    /// idempotent request, a timeout or a lost connection).
    Transient,
}

/// Classifies one attempt. Pure: the whole table is in this function and its tests.
///
/// | attempt ended with | idempotent | not idempotent |
/// |---|---|---|
/// | 2xx, 3xx, 4xx other than 408 and 429 | no | no |
/// | 429 | throttled | throttled (a 429 is refused before any processing) |
/// | 408, 500, 502, 503, 504 | transient | no (it may have been applied) |
/// | other 5xx | no | no |
/// | connection refused (nothing sent) | transient | transient |
/// | timeout, connection lost | transient | no (it may have been applied) |
pub fn classify(end: AttemptEnd, idempotent: bool) -> RetryClass {
    match end {
        AttemptEnd::Status(429) => RetryClass::Throttled,
        AttemptEnd::Status(408 | 500 | 502 | 503 | 504) if idempotent => RetryClass::Transient,
        AttemptEnd::Status(_) => RetryClass::No,
        AttemptEnd::ConnectFailed => RetryClass::Transient,
        AttemptEnd::TimedOut | AttemptEnd::ConnectionLost if idempotent => RetryClass::Transient,
        AttemptEnd::TimedOut | AttemptEnd::ConnectionLost => RetryClass::No,
    }
}

/// The retry settings of one client.
///
/// Defaults: 3 attempts in all, backoff from 200 ms doubling up to 10 s with full jitter, a
/// `Retry-After` honoured up to 30 s (a longer one ends the retries and is reported in the
/// error), and a retry budget of 100 tokens shared by all calls of the client (a retry costs 5,
/// a retry after a timeout or lost connection 10, a success gives 1 back).
///
/// A 429 is bounded apart (module docs, "A 429 is a signal to slow down"): it is retried until
/// the call's deadline, at most 20 times ([`max_throttle_retries`](Self::max_throttle_retries)),
/// after a backoff from 200 ms doubling per 429 in a row up to the client's rate-limit window
/// (Arta: a minute) or, for a client without one (Di, Skip Pay document no limits), up to 30 s
/// ([`max_throttle_backoff`](Self::max_throttle_backoff)); it costs no attempt of
/// `max_attempts` and no budget token. Source: Arta's reference, x-topic "Rate Limits"
/// ("429 Too Many Requests"; "we recommend implementing retry logic with exponential
/// backoff"; no `Retry-After` documented).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The backoff before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// The largest backoff, before jitter.
    pub max_backoff: Duration,
    /// The longest `Retry-After` we wait for; past it we stop and report the rate limit.
    pub max_retry_after: Duration,
    /// The retry budget's capacity in tokens.
    pub budget_capacity: u32,
    /// Tokens a retry after a throttle or a 5xx costs.
    pub retry_cost: u32,
    /// Tokens a retry after a timeout or a lost connection costs.
    pub timeout_retry_cost: u32,
    /// Tokens a successful call gives back.
    pub success_refund: u32,
    /// Retries after a 429 in one call, counted apart from
    /// [`max_attempts`](Self::max_attempts) and free of the retry budget. Default 20: the
    /// call's deadline ends a long run of 429s first. 0 answers the first 429.
    pub max_throttle_retries: u32,
    /// The longest wait after a 429 without `Retry-After` when the client has no rate limit
    /// (with one, its window is the cap: a bare 429 can need up to one window to clear).
    /// Default 30 s.
    pub max_throttle_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
            budget_capacity: 100,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
            max_throttle_retries: 20,
            max_throttle_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries, not even after a 429.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_throttle_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of attempts in all (at least 1).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the initial and the largest backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest `Retry-After` waited for.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets the most retries after a 429 in one call (see
    /// [`max_throttle_retries`](Self::max_throttle_retries)).
    pub fn with_max_throttle_retries(mut self, retries: u32) -> Self {
        self.max_throttle_retries = retries;
        self
    }

    /// Sets the longest wait after a bare 429 for a client without a rate limit (see
    /// [`max_throttle_backoff`](Self::max_throttle_backoff)).
    pub fn with_max_throttle_backoff(mut self, max: Duration) -> Self {
        self.max_throttle_backoff = max;
        self
    }

    /// Sets the retry budget's capacity.
    pub fn with_budget_capacity(mut self, capacity: u32) -> Self {
        self.budget_capacity = capacity;
        self
    }
}

/// The delay before retry number `retry` (1 for the first retry), given a uniform random
/// `jitter` in `[0, 1)`: `min(initial * 2^(retry-1), max) * jitter` ("full jitter").
pub fn backoff(policy: &RetryPolicy, retry: u32, jitter: f64) -> Duration {
    let exp = retry.saturating_sub(1).min(31);
    let base = policy
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    base.mul_f64(jitter.clamp(0.0, 1.0))
}

/// What to do before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait this long, then retry.
    Retry(Duration),
    /// Do not retry: the provider asks for a longer wait than the policy allows.
    TooLong(Duration),
}

/// The wait before retry number `retry`: the jittered backoff, but never less than the
/// provider's `Retry-After`; a `Retry-After` above [`RetryPolicy::max_retry_after`] ends the
/// retries.
pub fn wait_before_retry(
    policy: &RetryPolicy,
    retry: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Wait {
    let delay = backoff(policy, retry, jitter);
    match retry_after {
        Some(ra) if ra > policy.max_retry_after => Wait::TooLong(ra),
        Some(ra) => Wait::Retry(delay.max(ra)),
        None => Wait::Retry(delay),
    }
}

/// The wait after the `strike`-th 429 in a row on one client (1 for the first) that named no
/// `Retry-After`, given a uniform random `jitter` in `[0, 1)`: with
/// `base = min(initial * 2^(strike-1), cap)`, `base / 2 + base / 2 * jitter` ("equal jitter":
/// the wait grows with the strikes, and clients sharing a key are spread). `cap` is the
/// client's rate-limit window, or [`RetryPolicy::max_throttle_backoff`] without one.
pub fn throttle_backoff(policy: &RetryPolicy, strike: u32, cap: Duration, jitter: f64) -> Duration {
    let exp = strike.saturating_sub(1).min(31);
    let base = policy.initial_backoff.saturating_mul(1u32 << exp).min(cap);
    let half = base / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// The wait after the `strike`-th 429 in a row on one client: the provider's `Retry-After`
/// when it names one, but never less than [`throttle_backoff`]; a `Retry-After` above
/// [`RetryPolicy::max_retry_after`] is [`Wait::TooLong`].
pub fn throttle_wait(
    policy: &RetryPolicy,
    strike: u32,
    retry_after: Option<Duration>,
    cap: Duration,
    jitter: f64,
) -> Wait {
    let delay = throttle_backoff(policy, strike, cap, jitter);
    match retry_after {
        Some(ra) if ra > policy.max_retry_after => Wait::TooLong(ra),
        Some(ra) => Wait::Retry(delay.max(ra)),
        None => Wait::Retry(delay),
    }
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. A date in the past is zero; anything
/// else unreadable is `None`.
///
/// ```
/// use std::time::Duration;
/// use rescind_core::retry::parse_retry_after;
/// let now: jiff::Timestamp = "2015-10-21T07:27:00Z".parse().unwrap();
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values instead of failing: they are far above any cap anyway.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let secs = at.as_millisecond().saturating_sub(now.as_millisecond());
    Some(Duration::from_millis(u64::try_from(secs).unwrap_or(0)))
}

/// A token bucket bounding the retries of one client, so that a provider in trouble is not
/// hammered by every call retrying at once. Shared by all calls of a
/// [`Transport`](crate::Transport); an empty bucket means "no retry", even if attempts remain.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    /// Lock-free: every successful answer refunds, and a full bucket (the common case) is
    /// only read, so calls on several threads do not all write one shared lock per request.
    tokens: AtomicU32,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: AtomicU32::new(capacity),
        }
    }

    /// Takes `cost` tokens if there are that many; false (and nothing taken) otherwise.
    pub fn try_acquire(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Gives `amount` tokens back, up to the capacity.
    pub fn refund(&self, amount: u32) {
        if amount == 0 || self.tokens.load(Ordering::Acquire) >= self.capacity {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity).then(|| t.saturating_add(amount).min(self.capacity))
            });
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttemptEnd::*;
    use RetryClass::*;

    #[test]
    fn classifier_table() {
        // (attempt end, idempotent, expected)
        let table = [
            (Status(200), true, No),
            (Status(204), false, No),
            (Status(301), true, No),
            (Status(400), true, No),
            (Status(401), true, No),
            (Status(403), true, No),
            (Status(404), true, No),
            (Status(405), true, No),
            (Status(408), true, Transient),
            (Status(408), false, No),
            (Status(409), true, No),
            (Status(422), true, No),
            (Status(429), true, Throttled),
            (Status(429), false, Throttled),
            (Status(500), true, Transient),
            (Status(500), false, No),
            (Status(501), true, No),
            (Status(502), true, Transient),
            (Status(502), false, No),
            (Status(503), true, Transient),
            (Status(503), false, No),
            (Status(504), true, Transient),
            (Status(504), false, No),
            (Status(505), true, No),
            (ConnectFailed, true, Transient),
            (ConnectFailed, false, Transient),
            (TimedOut, true, Transient),
            (TimedOut, false, No),
            (ConnectionLost, true, Transient),
            (ConnectionLost, false, No),
        ];
        for (end, idempotent, expected) in table {
            assert_eq!(
                classify(end, idempotent),
                expected,
                "{end:?} idempotent={idempotent}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_caps_with_full_jitter() {
        let p =
            RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff(&p, 1, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(&p, 2, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(&p, 3, 1.0), Duration::from_millis(400));
        assert_eq!(backoff(&p, 5, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&p, 40, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&p, 3, 0.5), Duration::from_millis(200));
        assert_eq!(backoff(&p, 3, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_a_floor_and_is_capped() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_max_retry_after(Duration::from_secs(5));
        assert_eq!(
            wait_before_retry(&p, 1, Some(Duration::from_secs(2)), 1.0),
            Wait::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            wait_before_retry(&p, 5, Some(Duration::ZERO), 1.0),
            Wait::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            wait_before_retry(&p, 1, Some(Duration::from_secs(6)), 1.0),
            Wait::TooLong(Duration::from_secs(6))
        );
        assert_eq!(
            wait_before_retry(&p, 1, None, 0.5),
            Wait::Retry(Duration::from_millis(50))
        );
    }

    #[test]
    fn a_429_backs_off_from_the_initial_wait_doubling_up_to_the_cap_half_jittered() {
        let p = RetryPolicy::default(); // 200 ms initial
        let minute = Duration::from_secs(60);
        assert_eq!(
            throttle_backoff(&p, 1, minute, 1.0),
            Duration::from_millis(200)
        );
        assert_eq!(
            throttle_backoff(&p, 1, minute, 0.0),
            Duration::from_millis(100)
        );
        assert_eq!(
            throttle_backoff(&p, 4, minute, 1.0),
            Duration::from_millis(1_600)
        );
        // 200 ms * 2^9 = 102.4 s: capped by the window, at least half of it.
        assert_eq!(throttle_backoff(&p, 10, minute, 1.0), minute);
        assert_eq!(throttle_backoff(&p, 10, minute, 0.0), minute / 2);
        assert_eq!(throttle_backoff(&p, 99, minute, 0.5), minute * 3 / 4);
        // Without a pacer, the documented default cap.
        assert_eq!(
            throttle_backoff(&p, 99, p.max_throttle_backoff, 1.0),
            Duration::from_secs(30)
        );
        // A Retry-After is a floor, and past the cap it ends the retries.
        assert_eq!(
            throttle_wait(&p, 1, Some(Duration::from_secs(2)), minute, 1.0),
            Wait::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            throttle_wait(&p, 1, Some(Duration::ZERO), minute, 1.0),
            Wait::Retry(Duration::from_millis(200))
        );
        assert_eq!(
            throttle_wait(&p, 1, Some(Duration::from_secs(31)), minute, 1.0),
            Wait::TooLong(Duration::from_secs(31))
        );
        assert_eq!(
            throttle_wait(&p, 2, None, minute, 0.0),
            Wait::Retry(Duration::from_millis(200))
        );
    }

    #[test]
    fn a_429_is_bounded_apart_and_none_never_retries_it() {
        let p = RetryPolicy::default();
        assert_eq!((p.max_attempts, p.max_throttle_retries), (3, 20));
        assert_eq!(p.max_throttle_backoff, Duration::from_secs(30));
        assert_eq!(RetryPolicy::none().max_throttle_retries, 0);
        let p = p
            .with_max_throttle_retries(2)
            .with_max_throttle_backoff(Duration::from_secs(5));
        assert_eq!(
            (p.max_throttle_retries, p.max_throttle_backoff),
            (2, Duration::from_secs(5))
        );
    }

    #[test]
    fn parses_retry_after_forms() {
        let now: jiff::Timestamp = "2015-10-21T07:28:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "tomorrow", "Wed, 99 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn budget_takes_refunds_and_caps() {
        let b = RetryBudget::new(10);
        assert!(b.try_acquire(5));
        assert!(b.try_acquire(5));
        assert!(!b.try_acquire(1));
        assert_eq!(b.available(), 0);
        b.refund(3);
        assert_eq!(b.available(), 3);
        b.refund(100);
        assert_eq!(b.available(), 10);
    }
}
