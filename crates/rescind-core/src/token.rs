//! A login token shared by all calls of one client: [`TokenCache`].
//!
//! Di and Skip Pay issue a bearer token from a username and password. The cache logs in once
//! for all concurrent callers (single flight), renews the token a margin before it expires, and
//! after a 401 lets the [`Transport`] renew once and replay once: never a loop.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use tokio::sync::RwLock;
use tokio::time::Instant;

use crate::{Error, Transport};

/// A bearer token and when it stops being valid.
#[derive(Clone)]
pub struct Token {
    value: SecretString,
    expires_at: Instant,
}

impl Token {
    /// A token valid for `lifetime` from now. A lifetime past [`Token::MAX_LIFETIME`] (a
    /// provider's answer read wrong, or an absurd one) is taken as that: it never overflows
    /// the clock.
    pub fn new(value: SecretString, lifetime: Duration) -> Self {
        let now = Instant::now();
        Token {
            value,
            expires_at: now + lifetime.min(Self::MAX_LIFETIME),
        }
    }

    /// The longest lifetime a token is given: one year.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

    /// The secret value.
    pub fn value(&self) -> &SecretString {
        &self.value
    }

    /// Whether the token is still valid `margin` from now.
    pub fn valid_for(&self, margin: Duration) -> bool {
        Instant::now()
            .checked_add(margin)
            .is_some_and(|t| t < self.expires_at)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[redacted]")
            .field(
                "expires_in",
                &self.expires_at.saturating_duration_since(Instant::now()),
            )
            .finish()
    }
}

/// How a provider logs in. Implemented by the provider crates; called by the [`TokenCache`].
#[async_trait]
pub trait Login: Send + Sync + fmt::Debug {
    /// Logs in once and returns the token. `transport` sends the (anonymous) login request.
    async fn login(&self, transport: &Transport) -> Result<Token, Error>;
}

/// A token, with the generation it belongs to, as handed to a caller.
#[derive(Debug, Clone)]
pub struct CurrentToken {
    /// The token.
    pub token: Token,
    /// Which login produced it; pass it back to [`TokenCache::invalidate`] after a 401.
    pub generation: u64,
}

/// Shares one login between every call of a client. See the [module docs](self).
pub struct TokenCache {
    login: Arc<dyn Login>,
    margin: Duration,
    state: RwLock<Option<CurrentToken>>,
    generation: AtomicU64,
    logins: AtomicU64,
}

impl TokenCache {
    /// A cache that renews `margin` before expiry (60 s is a good default).
    pub fn new(login: Arc<dyn Login>, margin: Duration) -> Self {
        TokenCache {
            login,
            margin,
            state: RwLock::new(None),
            generation: AtomicU64::new(0),
            logins: AtomicU64::new(0),
        }
    }

    /// Puts a token in the cache as if a login had returned it (tests, or a token kept from
    /// an earlier process).
    pub async fn prime(&self, token: Token) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.state.write().await = Some(CurrentToken { token, generation });
    }

    /// A valid token: the cached one, or a new login shared with every concurrent caller.
    pub async fn current(&self, transport: &Transport) -> Result<CurrentToken, Error> {
        if let Some(cur) = self.state.read().await.as_ref()
            && cur.token.valid_for(self.margin)
        {
            return Ok(cur.clone());
        }
        // Single flight: one caller logs in while holding the write lock; the others wait for
        // it and then find the new token.
        let mut state = self.state.write().await;
        if let Some(cur) = state.as_ref()
            && cur.token.valid_for(self.margin)
        {
            return Ok(cur.clone());
        }
        self.logins.fetch_add(1, Ordering::SeqCst);
        tracing::debug!("logging in");
        let token = self.login.login(transport).await?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let cur = CurrentToken { token, generation };
        *state = Some(cur.clone());
        Ok(cur)
    }

    /// Forgets the token of `generation` after the provider refused it. A newer token (another
    /// caller already renewed) is kept, so concurrent 401s cause one login, not many.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.write().await;
        if state.as_ref().is_some_and(|c| c.generation == generation) {
            *state = None;
        }
    }

    /// How many logins this cache has made.
    pub fn login_count(&self) -> u64 {
        self.logins.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("login", &self.login)
            .field("margin", &self.margin)
            .field("logins", &self.login_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn absurd_lifetimes_and_margins_do_not_overflow() {
        let t = Token::new(SecretString::from("t"), Duration::MAX);
        assert!(t.valid_for(Duration::from_secs(364 * 24 * 60 * 60)));
        assert!(!t.valid_for(Token::MAX_LIFETIME + Duration::from_secs(1)));
        assert!(!t.valid_for(Duration::MAX));
    }

    #[test]
    fn debug_hides_the_token() {
        let t = Token::new(
            SecretString::from("eyJ.secret.sig"),
            Duration::from_secs(60),
        );
        let text = format!("{t:?}");
        assert!(!text.contains("eyJ.secret.sig"), "{text}");
        assert!(text.contains("[redacted]"));
        assert_eq!(t.value().expose_secret(), "eyJ.secret.sig");
    }

    #[tokio::test(start_paused = true)]
    async fn validity_respects_the_margin() {
        let t = Token::new(SecretString::from("x"), Duration::from_secs(100));
        assert!(t.valid_for(Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(41)).await;
        assert!(!t.valid_for(Duration::from_secs(60)));
        assert!(t.valid_for(Duration::ZERO));
    }
}
