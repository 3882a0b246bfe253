//! Arta's documented rate limits, per API key: a live key may have 15 calls in flight and make
//! 1,000 calls a minute, a test key 10 and 500 (Arta's reference, x-topic "Rate Limits").
//! "Exceeding these limits will return a `429 Too Many Requests`".
//!
//! What the reference does not say, and what the simulator chose:
//!
//! - **The window** is a sliding minute: a call is refused when the key made the limit's
//!   number of accepted calls in the last minute ([`RateLimits::minute_ms`], shorter in tests).
//! - **Refused calls do not count**: neither in flight nor toward the minute, so a client that
//!   backs off is not punished twice.
//! - **The body** is Arta's error envelope, `{"errors": {"detail": "..."}}`, with the
//!   `x-arta-request-id` header like every Arta answer.
//! - **`Retry-After`**: Arta documents no header, so by default the simulator sends none: a
//!   client must cope with a bare 429, as it would at Arta. A test that wants to see a client
//!   honour one turns it on ([`RateLimits::with_retry_after`], or `retry_after` in
//!   `POST /__sim/arta/rate_limits`): then the per-minute limit's 429 says the whole seconds
//!   (at least 1) until the oldest call of the window leaves it; the concurrent limit's never
//!   does (no time can be known: a slot frees when a call in flight ends).
//! - **Which calls**: every call that carries a key the simulator knows, on Arta's paths;
//!   an unknown key is answered 401 by the handler, unlimited. Admin routes are never limited.
//! - **Time** is the real time (a scaled minute with [`RateLimits::minute_ms`]), not the
//!   simulator's [`Clock`](crate::Clock), which tests stop. `POST /__sim/reset` puts the
//!   settings back to the seed's but keeps the calls in flight and the minute's count.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

use super::support;
use crate::Sim;

/// The limits of one kind of key ([`LIVE`], [`TEST`], or [`KeyLimits::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyLimits {
    /// Calls in flight at once.
    pub concurrent: usize,
    /// Calls accepted in one minute.
    pub per_minute: usize,
}

impl KeyLimits {
    /// `concurrent` calls in flight at once and `per_minute` calls accepted in one minute.
    pub const fn new(concurrent: usize, per_minute: usize) -> Self {
        KeyLimits {
            concurrent,
            per_minute,
        }
    }
}

/// A live key: 15 concurrent calls, 1,000 a minute.
pub const LIVE: KeyLimits = KeyLimits {
    concurrent: 15,
    per_minute: 1_000,
};

/// A test key: 10 concurrent calls, 500 a minute.
pub const TEST: KeyLimits = KeyLimits {
    concurrent: 10,
    per_minute: 500,
};

fn yes() -> bool {
    true
}

fn minute() -> u64 {
    60_000
}

/// The settings of the rate limits, part of [`ArtaWorld`](super::ArtaWorld) and of a seed file
/// (`"rate_limits": {"enabled": true, "minute_ms": 60000, "hold_ms": 0}`; every field may be
/// left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RateLimits {
    /// Whether the limits apply (default true). Throughput benchmarks turn them off
    /// ([`Fleet::world`](crate::fleet::Fleet::world) does).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How long a minute lasts, in milliseconds (default 60,000): a test makes it short
    /// (600 ms) to see the per-minute limit reset without waiting.
    #[serde(default = "minute")]
    pub minute_ms: u64,
    /// How long each accepted call stays in flight before it is handled, in milliseconds
    /// (default 0): models Arta's processing time, so that a test can hold calls open and
    /// reach the concurrent limit.
    pub hold_ms: u64,
    /// Whether the per-minute limit's 429 carries a `Retry-After` (default false: Arta
    /// documents none).
    pub retry_after: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::documented()
    }
}

impl RateLimits {
    /// Arta's limits with a real minute.
    pub fn documented() -> Self {
        RateLimits {
            enabled: true,
            minute_ms: minute(),
            hold_ms: 0,
            retry_after: false,
        }
    }

    /// No limits.
    pub fn off() -> Self {
        RateLimits {
            enabled: false,
            ..RateLimits::documented()
        }
    }

    /// The limits with a minute of `minute_ms` milliseconds.
    pub fn with_minute_ms(mut self, minute_ms: u64) -> Self {
        self.minute_ms = minute_ms.max(1);
        self
    }

    /// Each accepted call stays in flight `hold_ms` milliseconds before it is handled.
    pub fn with_hold_ms(mut self, hold_ms: u64) -> Self {
        self.hold_ms = hold_ms;
        self
    }

    /// Whether the per-minute limit's 429 says when to come back (`Retry-After`, whole
    /// seconds). Off by default: Arta documents no such header.
    pub fn with_retry_after(mut self, on: bool) -> Self {
        self.retry_after = on;
        self
    }
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The key has its limit of calls in flight.
    Concurrent(usize),
    /// The key made its limit of calls in the last minute; a slot frees after this long.
    PerMinute(usize, Duration),
}

#[derive(Debug, Default)]
struct KeyState {
    in_flight: usize,
    accepted: VecDeque<Instant>,
}

/// The calls in flight and the recent calls of every key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Limiter {
    keys: Arc<Mutex<HashMap<String, KeyState>>>,
}

impl Limiter {
    /// Takes a slot for a call of `key` at `now`, or says why not.
    pub(crate) fn admit(
        &self,
        key: &str,
        limits: KeyLimits,
        minute: Duration,
        now: Instant,
    ) -> Result<Slot, Refusal> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let state = keys.entry(key.to_string()).or_default();
        while let Some(&first) = state.accepted.front() {
            if now.saturating_duration_since(first) >= minute {
                state.accepted.pop_front();
            } else {
                break;
            }
        }
        if state.in_flight >= limits.concurrent {
            return Err(Refusal::Concurrent(limits.concurrent));
        }
        if state.accepted.len() >= limits.per_minute {
            let oldest = state.accepted.front().copied().unwrap_or(now);
            let wait = minute.saturating_sub(now.saturating_duration_since(oldest));
            return Err(Refusal::PerMinute(limits.per_minute, wait));
        }
        state.in_flight += 1;
        state.accepted.push_back(now);
        Ok(Slot {
            limiter: self.clone(),
            key: key.to_string(),
        })
    }
}

/// A call in flight; its slot frees when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    limiter: Limiter,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut keys = self.limiter.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = keys.get_mut(&self.key) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
    }
}

/// The middleware's state.
#[derive(Debug, Clone)]
pub(crate) struct LimitState {
    pub(crate) sim: Sim,
    pub(crate) limiter: Limiter,
}

/// Applies the limits of the call's key, if the key is known and the limits are on.
pub(crate) async fn limit(
    State(state): State<LimitState>,
    request: Request,
    next: Next,
) -> Response {
    let key = support::api_key(request.headers()).map(str::to_owned);
    let setting = key.as_deref().and_then(|key| {
        state.sim.store().rest(|r| {
            let limits = r.world.arta.rate_limits;
            if !limits.enabled {
                return None;
            }
            Some((r.world.arta.key_limits(key)?, limits))
        })
    });
    let (Some(key), Some((kind, settings))) = (key, setting) else {
        return next.run(request).await;
    };
    let minute = Duration::from_millis(settings.minute_ms.max(1));
    match state.limiter.admit(&key, kind, minute, Instant::now()) {
        Ok(slot) => {
            if settings.hold_ms > 0 {
                tokio::time::sleep(Duration::from_millis(settings.hold_ms)).await;
            }
            let response = next.run(request).await;
            drop(slot);
            response
        }
        Err(refusal) => too_many_requests(refusal, settings.retry_after),
    }
}

/// The 429 answer.
pub(crate) fn too_many_requests(refusal: Refusal, retry_after: bool) -> Response {
    let detail = match refusal {
        Refusal::Concurrent(n) => {
            format!("Too Many Requests: this API key already has {n} concurrent calls in flight")
        }
        Refusal::PerMinute(n, _) => {
            format!("Too Many Requests: this API key made {n} calls in the last minute")
        }
    };
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"errors": {"detail": detail}})),
    )
        .into_response();
    if let (Refusal::PerMinute(_, wait), true) = (refusal, retry_after) {
        let secs = wait.as_millis().div_ceil(1_000).max(1);
        let secs = u64::try_from(secs).unwrap_or(u64::MAX);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// `GET /__sim/arta/rate_limits`.
pub(crate) async fn admin_get(State(sim): State<Sim>) -> Response {
    Json(sim.store().rest(|r| r.world.arta.rate_limits)).into_response()
}

/// `POST /__sim/arta/rate_limits` with some of `enabled`, `minute_ms`, `hold_ms`,
/// `retry_after`.
pub(crate) async fn admin_set(
    State(sim): State<Sim>,
    headers: http::HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, super::error::ArtaError> {
    let input = support::json_object(&headers, &body)?;
    let bad = |k: &str, what: &str| super::error::ArtaError::bad_request(format!("{k}: {what}"));
    let mut limits = sim.store().rest(|r| r.world.arta.rate_limits);
    for (key, value) in &input {
        match (key.as_str(), value) {
            ("enabled", serde_json::Value::Bool(b)) => limits.enabled = *b,
            ("enabled", _) => return Err(bad(key, "must be true or false")),
            ("minute_ms", v) => match v.as_u64().filter(|m| *m > 0) {
                Some(m) => limits.minute_ms = m,
                None => {
                    return Err(bad(
                        key,
                        "must be a whole number of milliseconds, 1 or more",
                    ));
                }
            },
            ("hold_ms", v) => match v.as_u64() {
                Some(m) => limits.hold_ms = m,
                None => return Err(bad(key, "must be a whole number of milliseconds")),
            },
            ("retry_after", serde_json::Value::Bool(b)) => limits.retry_after = *b,
            ("retry_after", _) => return Err(bad(key, "must be true or false")),
            _ => {
                return Err(bad(
                    key,
                    "unknown setting (enabled, minute_ms, hold_ms, retry_after)",
                ));
            }
        }
    }
    sim.store().rest_mut(|r| r.world.arta.rate_limits = limits);
    Ok(Json(limits).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_millis(600);

    #[test]
    fn the_eleventh_concurrent_call_of_a_test_key_is_refused_until_one_ends() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        let slots: Vec<Slot> = (0..10)
            .map(|_| limiter.admit("k", TEST, MINUTE, t0).unwrap())
            .collect();
        assert_eq!(
            limiter.admit("k", TEST, MINUTE, t0).unwrap_err(),
            Refusal::Concurrent(10)
        );
        // Another key has its own limits.
        assert!(limiter.admit("other", TEST, MINUTE, t0).is_ok());
        drop(slots);
        assert!(limiter.admit("k", TEST, MINUTE, t0).is_ok());
    }

    #[test]
    fn a_live_key_allows_15_in_flight() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        let _slots: Vec<Slot> = (0..15)
            .map(|_| limiter.admit("k", LIVE, MINUTE, t0).unwrap())
            .collect();
        assert_eq!(
            limiter.admit("k", LIVE, MINUTE, t0).unwrap_err(),
            Refusal::Concurrent(15)
        );
    }

    #[test]
    fn the_per_minute_limit_slides_and_says_when_a_slot_frees() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..500u64 {
            let at = t0 + Duration::from_millis(i / 100);
            drop(limiter.admit("k", TEST, MINUTE, at).unwrap());
        }
        let at = t0 + Duration::from_millis(100);
        match limiter.admit("k", TEST, MINUTE, at) {
            Err(Refusal::PerMinute(500, wait)) => assert_eq!(wait, Duration::from_millis(500)),
            other => panic!("{other:?}"),
        }
        // Refused calls do not count: one minute after the first 100 calls, 100 slots are free.
        for _ in 0..100 {
            drop(limiter.admit("k", TEST, MINUTE, t0 + MINUTE).unwrap());
        }
        assert!(limiter.admit("k", TEST, MINUTE, t0 + MINUTE).is_err());
        // A minute after the last call, the window is empty.
        for _ in 0..500 {
            let later = t0 + MINUTE * 2 + Duration::from_millis(5);
            drop(limiter.admit("k", TEST, MINUTE, later).unwrap());
        }
    }

    #[test]
    fn the_answer_is_arta_s_envelope_with_retry_after_on_the_minute_limit_only_when_asked() {
        let r = too_many_requests(Refusal::PerMinute(500, Duration::from_millis(1_200)), true);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let r = too_many_requests(Refusal::PerMinute(500, Duration::from_millis(10)), true);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = too_many_requests(Refusal::Concurrent(10), true);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
        // Arta documents no Retry-After: by default there is none.
        let r = too_many_requests(Refusal::PerMinute(500, Duration::from_millis(1_200)), false);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}
