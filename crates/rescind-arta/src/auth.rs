//! Arta's credentials: one API key per client, sent as `Authorization: ARTA_APIKey <key>`.
//!
//! Arta keys are either live or test keys; nothing in the key tells which (only
//! `GET /api_keys` does), so the caller says it with [`KeyKind`] (default live): a test key
//! allows 10 concurrent calls and 500 a minute instead of 15 and 1,000, and
//! [`ClientBuilder::key_kind`](crate::ClientBuilder::key_kind) sets the client's defaults from
//! it.

use std::fmt;

use http::HeaderName;
use rescind_core::secrecy::{ExposeSecret, SecretString};
use rescind_core::{Auth, Error, RateLimit};

/// Which kind of Arta key a client uses, for its documented rate limits (Arta's reference,
/// x-topic "Rate Limits": "live keys: 15 concurrent calls, 1,000 calls per minute; test keys:
/// 10 concurrent calls, 500 calls per minute"). Nothing in a key shows its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyKind {
    /// A live key (the default): 15 calls in flight, 1,000 a minute.
    #[default]
    Live,
    /// A test key: 10 calls in flight, 500 a minute.
    Test,
}

impl KeyKind {
    /// Reads `live` or `test` (any case, surrounding spaces ignored); `None` otherwise.
    pub fn parse(s: &str) -> Option<KeyKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "live" => Some(KeyKind::Live),
            "test" => Some(KeyKind::Test),
            _ => None,
        }
    }

    /// Arta's documented number of calls in flight at once for this kind: 15 or 10.
    pub fn documented_concurrency(self) -> usize {
        match self {
            KeyKind::Live => 15,
            KeyKind::Test => 10,
        }
    }

    /// Arta's documented number of calls a minute for this kind: 1,000 or 500.
    pub fn documented_per_minute(self) -> u32 {
        match self {
            KeyKind::Live => 1_000,
            KeyKind::Test => 500,
        }
    }

    /// The client's default pace for this kind: 97 % of the documented calls a minute
    /// ([`RateLimit::under`]: 970 or 485), since Arta does not document how its minute is
    /// measured.
    pub fn default_rate_limit(self) -> RateLimit {
        RateLimit::under(self.documented_per_minute())
    }
}

/// The authorization scheme, to the letter (the docs' examples; case is not documented as
/// insignificant).
pub const SCHEME: &str = "ARTA_APIKey";

/// A private Arta API key. Never shown by `Debug`, `Display`, errors or logs.
///
/// ```
/// use rescind_arta::ApiKey;
/// let key = ApiKey::new("s0e1t2e3c4a5s6t7r8o9n10o11m12y");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// ```
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }

    /// The key itself, for the rare caller that must hand it on.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Checks the key can be sent: not empty, no whitespace or control characters (which
    /// would break or split the header), and nothing but visible ASCII. Arta's keys are
    /// ASCII tokens (its example: `ARTA_APIKey s0e1t2e3c4a5s6t7r8o9n10o11m12y`, Arta API
    /// reference, "Authentication"); any other character is a typographic quote or dash
    /// pasted with the key, which Arta would refuse on every call. The error never contains
    /// the key.
    pub fn validate(&self) -> Result<(), Error> {
        let key = self.0.expose_secret();
        if key.is_empty() {
            return Err(Error::config("the Arta API key is empty"));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::config(
                "the Arta API key contains whitespace or control characters",
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::config(
                "the Arta API key contains a character that is not visible ASCII \
                 (a typographic quote or dash pasted with it?)",
            ));
        }
        Ok(())
    }

    /// The transport's authentication: the whole header value `ARTA_APIKey <key>` is secret.
    pub fn to_auth(&self) -> Result<Auth, Error> {
        self.validate()?;
        Ok(Auth::Header {
            name: HeaderName::from_static("authorization"),
            value: SecretString::from(format!("{SCHEME} {}", self.0.expose_secret())),
        })
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<SecretString> for ApiKey {
    fn from(key: SecretString) -> Self {
        ApiKey(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_value_is_the_scheme_and_the_key() {
        let auth = ApiKey::new("k-1").to_auth().unwrap();
        match auth {
            Auth::Header { name, value } => {
                assert_eq!(name.as_str(), "authorization");
                assert_eq!(value.expose_secret(), "ARTA_APIKey k-1");
            }
            other => panic!("unexpected auth {other:?}"),
        }
    }

    #[test]
    fn bad_keys_are_config_errors_without_the_key() {
        for bad in ["", "has space", "line\nbreak"] {
            let err = ApiKey::new(bad).to_auth().unwrap_err();
            assert_eq!(err.kind(), rescind_core::ErrorKind::Config);
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad), "{err}");
            }
        }
    }

    #[test]
    fn debug_of_auth_hides_the_key() {
        let auth = ApiKey::new("topsecret").to_auth().unwrap();
        assert!(!format!("{auth:?}").contains("topsecret"));
    }
}
