//! Credentials and Di's login (LoginV3).
//!
//! `POST /ws/json/auth/v-3/login/{minutesValid}` with `{"username": ..., "password": ...}`
//! answers `{"token": "<JWT>"}`, sent afterwards as `Authorization: Bearer <token>`. Di has no
//! refresh: "a new token should be obtained after expiry by calling this endpoint again, not
//! each time another endpoint is used". The core [`TokenCache`](rescind_core::TokenCache) does
//! exactly that; [`DiLogin`] is the login it calls.

use std::time::Duration;

use base64::Engine as _;
use jiff::Timestamp;
use rescind_core::{
    Clock, Error, HttpResponse, Login, LoginFailure, Token, Transport, async_trait,
};

use crate::{request, response};

/// A Di web-service user: username and password, both kept secret (never in `Debug`, errors
/// or logs). The core type, shared with the other providers that log in.
///
/// ```
/// use rescind_di::Credentials;
/// let creds = Credentials::new("wsfoobar", "a-very-very-long-password");
/// let shown = format!("{creds:?}");
/// assert!(!shown.contains("wsfoobar") && !shown.contains("a-very"));
/// ```
pub use rescind_core::Credentials;

/// How long a login token is asked to be valid: 1 to 1440 minutes (24 h), Di's limits.
///
/// ```
/// use rescind_di::MinutesValid;
/// assert_eq!(MinutesValid::new(60).unwrap().get(), 60);
/// assert!(MinutesValid::new(0).is_err());
/// assert!(MinutesValid::new(1441).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MinutesValid(u16);

impl MinutesValid {
    /// The shortest validity Di accepts.
    pub const MIN: MinutesValid = MinutesValid(1);
    /// The longest validity Di accepts (24 hours), and the default: Di asks clients to log in
    /// once per validity period, and this crate keeps the token in memory only.
    pub const MAX: MinutesValid = MinutesValid(1440);

    /// Checks `minutes` against Di's limits.
    pub fn new(minutes: u32) -> Result<MinutesValid, Error> {
        match u16::try_from(minutes) {
            Ok(m) if (Self::MIN.0..=Self::MAX.0).contains(&m) => Ok(MinutesValid(m)),
            _ => Err(Error::invalid_input(
                "minutes_valid",
                format!("must be between 1 and 1440 (Di's limit for a login token); got {minutes}"),
            )),
        }
    }

    /// The number of minutes.
    pub fn get(self) -> u16 {
        self.0
    }

    /// As a duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0) * 60)
    }
}

impl Default for MinutesValid {
    fn default() -> Self {
        MinutesValid::MAX
    }
}

/// How long a freshly issued token lives.
///
/// From the JWT's claims when its payload decodes (no signature check: we are not the
/// audience that verifies it): `exp - iat` when both are there, which does not depend on our
/// clock agreeing with Di's; else `exp - now` when that is positive. Otherwise, the
/// `minutesValid` we asked for. Never longer than Di's longest token (1440 minutes), whatever
/// the claims say.
pub fn token_lifetime(token: &str, minutes_valid: MinutesValid, now: Timestamp) -> Duration {
    let Some(claims) = jwt_claims(token) else {
        return minutes_valid.duration();
    };
    let exp = claims.get("exp").and_then(as_seconds);
    let iat = claims.get("iat").and_then(as_seconds);
    let seconds = match (exp, iat) {
        (Some(exp), Some(iat)) if exp > iat => Some(exp.saturating_sub(iat)),
        (Some(exp), _) if exp > now.as_second() => Some(exp.saturating_sub(now.as_second())),
        _ => None,
    };
    match seconds {
        // Di issues tokens for at most 1440 minutes: a longer claim is not believed (a token
        // thought valid for years would only be renewed after a refused call).
        Some(s) => Duration::from_secs(s.unsigned_abs()).min(MinutesValid::MAX.duration()),
        None => minutes_valid.duration(),
    }
}

fn as_seconds(v: &serde_json::Value) -> Option<i64> {
    // NumericDate may be fractional.
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

/// The JSON object in the middle of `header.payload.signature`, if there is one.
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Di's login, called by the client's [`TokenCache`](rescind_core::TokenCache).
#[derive(Debug, Clone)]
pub struct DiLogin {
    credentials: Credentials,
    minutes_valid: MinutesValid,
    clock: Clock,
}

impl DiLogin {
    /// A login for `credentials`, asking for tokens valid `minutes_valid`.
    pub fn new(credentials: Credentials, minutes_valid: MinutesValid) -> Self {
        DiLogin {
            credentials,
            minutes_valid,
            clock: Clock::system(),
        }
    }

    /// Reads the time from `clock` (to turn a token's `exp` into a lifetime). Default: the
    /// system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The validity asked for.
    pub fn minutes_valid(&self) -> MinutesValid {
        self.minutes_valid
    }
}

#[async_trait]
impl Login for DiLogin {
    async fn login(&self, transport: &Transport) -> Result<Token, Error> {
        let req = request::login(&self.credentials, self.minutes_valid)?;
        let resp = transport.send(&req).await?;
        response::login(&resp, self.minutes_valid, self.clock.now())
    }

    /// Di's refusals of the login: 401 ("Authentication Failure", the wrong username or
    /// password), 403 ("Access denied") and 400 (a body or `minutesValid` Di cannot read: the
    /// same request is refused again) are [`LoginFailure::Refused`]: the core remembers them
    /// for the cool-down and does not send these credentials again meanwhile. Anything else is
    /// read by kind ([`LoginFailure::of`]: 5xx and timeouts are transient). Source: Di's
    /// status table, the same on its Cancel, Booking and Label pages (reference notes §2b).
    fn classify(&self, error: &Error) -> LoginFailure {
        match error.status() {
            Some(400 | 401 | 403) => LoginFailure::Refused,
            _ => LoginFailure::of(error),
        }
    }

    /// Only a 401 with Di's error envelope (`statusCode`/`errorKey`, e.g.
    /// `authentication.missing`, reference notes §2a) refuses a token; another 401 (a
    /// gateway's page) proves nothing, so the call that got it may have been applied.
    fn refuses_token(&self, response: &HttpResponse) -> bool {
        crate::error::is_envelope(&response.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            e.encode(r#"{"alg":"HS512"}"#),
            e.encode(payload)
        )
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    #[test]
    fn lifetime_from_exp_minus_iat() {
        let t = jwt(r#"{"sub":"ws","iat":1699999000,"exp":1700085400}"#);
        assert_eq!(
            token_lifetime(&t, MinutesValid::new(5).unwrap(), now()),
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn lifetime_from_exp_alone_and_fractional() {
        let t = jwt(r#"{"exp":1700000600.5}"#);
        assert_eq!(
            token_lifetime(&t, MinutesValid::MAX, now()),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn falls_back_to_minutes_valid() {
        let five = MinutesValid::new(5).unwrap();
        for token in [
            "not-a-jwt".to_string(),
            "a.b.c".to_string(),
            jwt(r#"{"sub":"no exp"}"#),
            jwt(r#"{"exp":1600000000}"#), // already past by our clock, no iat
            jwt(r#"{"exp":"soon"}"#),
            jwt("[1,2]"),
            format!("{}.extra", jwt(r#"{"exp":1800000000}"#)),
        ] {
            assert_eq!(
                token_lifetime(&token, five, now()),
                Duration::from_secs(300),
                "{token}"
            );
        }
    }

    #[test]
    fn absurd_claims_are_capped_and_never_overflow() {
        let day = Duration::from_secs(86_400);
        for payload in [
            r#"{"exp":1800000000}"#,
            r#"{"exp":9223372036854775807,"iat":-1}"#,
            r#"{"exp":9223372036854775807,"iat":-9223372036854775808}"#,
            r#"{"exp":1e300,"iat":-1e300}"#,
            r#"{"exp":1e300}"#,
        ] {
            assert_eq!(
                token_lifetime(&jwt(payload), MinutesValid::new(5).unwrap(), now()),
                day,
                "{payload}"
            );
        }
    }

    #[test]
    fn padded_payload_decodes() {
        let e = base64::engine::general_purpose::URL_SAFE;
        let t = format!("h.{}.s", e.encode(r#"{"exp": 1700000060}"#));
        assert!(t.contains('='), "{t}");
        assert_eq!(
            token_lifetime(&t, MinutesValid::MAX, now()),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn minutes_valid_limits() {
        assert!(MinutesValid::new(1).is_ok());
        assert!(MinutesValid::new(1440).is_ok());
        for bad in [0, 1441, 70_000] {
            let err = MinutesValid::new(bad).unwrap_err();
            assert_eq!(err.field(), Some("minutes_valid"));
        }
        assert_eq!(MinutesValid::default().get(), 1440);
    }

    #[test]
    fn empty_credentials_are_refused() {
        assert!(
            Credentials::new("", "x")
                .check(rescind_core::Provider::Di)
                .is_err()
        );
        assert!(
            Credentials::new("u", "")
                .check(rescind_core::Provider::Di)
                .is_err()
        );
        assert!(
            Credentials::new("u", "p")
                .check(rescind_core::Provider::Di)
                .is_ok()
        );
    }
}
