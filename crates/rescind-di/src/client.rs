//! [`Client`] and [`ClientBuilder`]: one Di web-service user at one environment.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rescind_core::{
    Auth, Clock, Error, Policy, Provider, TokenCache, Transport, TransportSettings,
};

use crate::auth::{Credentials, DiLogin, MinutesValid};
use crate::model::{CancelResponse, OrderDetails, ShipmentNumber};
use crate::{request, response};

/// Di's test environment.
pub const TEST_BASE_URL: &str = "https://staging-ws.di.no";
/// Di's production environment.
pub const PRODUCTION_BASE_URL: &str = "https://ws.di.no";

/// Where the client sends its requests. There is no default: production must be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://staging-ws.di.no`: Di asks integrators to develop against it.
    Test,
    /// `https://ws.di.no`: real parcels.
    Production,
    /// Another base URL (a proxy, a simulator); paths are appended to it.
    Custom(String),
}

impl Environment {
    /// The base URL.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Test => TEST_BASE_URL,
            Environment::Production => PRODUCTION_BASE_URL,
            Environment::Custom(url) => url,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Test => f.write_str("test"),
            Environment::Production => f.write_str("production"),
            Environment::Custom(url) => write!(f, "custom ({url})"),
        }
    }
}

/// A Di client: one web-service user, one environment, one shared login.
///
/// Cheap to clone: clones share the connection pool, the token and the retry budget. Build it
/// with [`Client::builder`]. Its native methods return Di's own types; the
/// [`Canceller`](rescind_core::Canceller) implementation adds the rules (see
/// [`cancel`](crate::cancel)).
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    tokens: Arc<TokenCache>,
    environment: Environment,
    check_transit_rules: bool,
    clock: Clock,
    policy: Policy,
}

impl Client {
    /// Starts a builder. Choose the environment ([`ClientBuilder::test`],
    /// [`ClientBuilder::production`] or [`ClientBuilder::base_url`]) and the credentials.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `environment` with default settings: `Client::builder()` with the
    /// environment and the credentials. Fails as [`ClientBuilder::build`] does; nothing is sent.
    pub fn new(environment: Environment, credentials: Credentials) -> Result<Client, Error> {
        Client::builder()
            .environment(environment)
            .credentials(credentials)
            .build()
    }

    /// Cancels a whole order (all its parcels), without checking the rules first:
    /// `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}`.
    ///
    /// `identifier` is the shipment number, with or without the GS1 `(401)` prefix; anything
    /// else is refused before sending. Di answers a refused cancel with an error whose
    /// [`code`](Error::code) is its `errorKey` (`order.cancelled`, `order.exported`, ...); see
    /// [`error`](crate::error).
    ///
    /// Cancel-safe: dropping the future after the request was sent leaves the outcome
    /// unknown, like a lost answer. Read the order back with [`Client::order_details`] (its
    /// status), or cancel again: a cancel Di already applied is refused with
    /// `order.cancelled`, which the [`Canceller`](rescind_core::Canceller) reports as already
    /// cancelled. Nothing is applied twice.
    pub async fn cancel_order(&self, identifier: &str) -> Result<CancelResponse, Error> {
        let number = ShipmentNumber::parse(identifier)?;
        self.cancel_shipment(&number).await
    }

    /// [`Client::cancel_order`] with an already checked shipment number.
    ///
    /// Cancel-safe as [`Client::cancel_order`] is.
    pub async fn cancel_shipment(&self, number: &ShipmentNumber) -> Result<CancelResponse, Error> {
        let req = request::cancel_order(number)?;
        let resp = self.transport.send(&req).await?;
        response::cancel_order(&resp)
    }

    /// Reads an order: `GET /ws/json/parcel/booking/v-1/details/{identifier}`. `identifier`
    /// is a shipment number (with or without `(401)`), a tracking reference or a return code.
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn order_details(&self, identifier: &str) -> Result<OrderDetails, Error> {
        let req = request::order_details(identifier)?;
        let resp = self.transport.send(&req).await?;
        response::order_details(&resp)
    }

    /// Logs in now if there is no valid token (otherwise the first call does): checks the
    /// credentials early.
    ///
    /// Cancel-safe: the login runs as a task of its own (one flight shared by every caller
    /// that needs a token, see [`TokenCache`]); dropping this future stops only the wait, and
    /// the next call uses the flight's token.
    pub async fn login(&self) -> Result<(), Error> {
        self.tokens.current(&self.transport).await.map(|_| ())
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The shared login token cache (e.g. [`TokenCache::login_count`]).
    pub fn token_cache(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// The transport, for its configuration and retry budget.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The clock the rules read (see [`ClientBuilder::clock`]).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, by [`Client::clock`].
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Whether the [`Canceller`](rescind_core::Canceller) refuses in-transit orders itself
    /// (see [`ClientBuilder::check_transit_rules`]).
    pub fn checks_transit_rules(&self) -> bool {
        self.check_transit_rules
    }

    /// The client's request [`Policy`] (set with [`ClientBuilder::policy`]).
    pub fn policy(&self) -> Policy {
        self.policy
    }
}

/// Builds a [`Client`]. See [`Client::builder`].
///
/// The same shape as the other providers' builders: `base_url`, and the transport setters
/// (`config`, `configure`, `http_client`, `max_concurrency`, `rate_limit`, `without_rate_limit`,
/// `attempt_timeout`, `call_timeout`, `retry`), then [`build`](ClientBuilder::build). Which
/// setting wins: the rule of
/// [`TransportSettings`](rescind_core::TransportSettings#which-setting-wins) (this builder's
/// setters, then the `TransportConfig` given, then the defaults: Di documents no concurrency
/// or rate limit, so there is none by default).
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    environment: Option<Environment>,
    credentials: Option<Credentials>,
    minutes_valid: Option<u32>,
    transport: TransportSettings,
    skip_transit_rules: bool,
    clock: Option<Clock>,
    policy: Policy,
}

impl ClientBuilder {
    /// Uses Di's test environment, `https://staging-ws.di.no`.
    pub fn test(self) -> Self {
        self.environment(Environment::Test)
    }

    /// Uses Di's production environment, `https://ws.di.no`.
    pub fn production(self) -> Self {
        self.environment(Environment::Production)
    }

    /// Uses another base URL (a proxy, a simulator, a mock server).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }

    /// Sets the environment.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Sets the web-service user.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// How long each login token is asked to be valid, in minutes: 1 to 1440 (checked by
    /// [`build`](ClientBuilder::build)). Default 1440.
    pub fn minutes_valid(mut self, minutes: u32) -> Self {
        self.minutes_valid = Some(minutes);
        self
    }

    /// Whether the [`Canceller`](rescind_core::Canceller) applies Di's transit rules
    /// ([`rules`](crate::rules)) to the order it read and refuses an order in transit without
    /// sending the cancel. Default `true`.
    ///
    /// Turn it off when your orders' details lack the dates the rules need (Di marks
    /// `desiredDeliveryDate` and `pickupDetails` as work in progress, and an order without
    /// either counts as in transit from booking): Di then decides, and its refusal
    /// (`order.exported`, ...) still comes back as
    /// [`ErrorKind::NotCancellable`](rescind_core::ErrorKind). `CANCELLED` is still reported
    /// as already cancelled.
    pub fn check_transit_rules(mut self, check: bool) -> Self {
        self.skip_transit_rules = !check;
        self
    }

    rescind_core::__transport_setters!();

    /// The clock every rule that depends on the time reads: the transit rules of the
    /// [`Canceller`](rescind_core::Canceller) and of its plans ([`rules::cancellability`]),
    /// and the lifetime of a login token read from its `exp`. Default: the system clock
    /// ([`Clock::system`]). Set it to a simulator's clock (or [`Clock::fixed`]) so the client
    /// and the simulator agree on "now".
    ///
    /// [`rules::cancellability`]: crate::rules::cancellability
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Sets how many requests a cancel spends (default [`Policy::CheckFirst`]: exact outcomes,
    /// what a single CLI call keeps); [`Policy::ChangeFirst`] sends the cancel without reading
    /// the order first, since Di refuses an order in transit itself. See
    /// [the policies](crate::cancel#policies); a call's
    /// [`CancelOptions`](rescind_core::CancelOptions) overrides it.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the client. Fails with [`ErrorKind::Config`](rescind_core::ErrorKind) when no
    /// environment was chosen, the credentials are missing or empty, or the base URL is bad,
    /// and with [`ErrorKind::InvalidInput`](rescind_core::ErrorKind) when `minutes_valid` is
    /// outside 1..=1440. Nothing is sent: the first call logs in.
    pub fn build(self) -> Result<Client, Error> {
        let environment = self.environment.ok_or_else(|| {
            Error::config(
                "choose a Di environment: .test() (staging-ws.di.no), .production() (ws.di.no) or .base_url(..)",
            )
            .with_provider(Provider::Di)
        })?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::config("Di needs the credentials of a web-service user: .credentials(..)")
                .with_provider(Provider::Di)
        })?;
        credentials
            .check(Provider::Di)
            .map_err(|e| e.with_provider(Provider::Di))?;
        let minutes_valid = match self.minutes_valid {
            Some(m) => MinutesValid::new(m).map_err(|e| e.with_provider(Provider::Di))?,
            None => MinutesValid::default(),
        };
        let clock = self.clock.unwrap_or_default();
        let tokens = Arc::new(TokenCache::new(
            Arc::new(DiLogin::new(credentials, minutes_valid).with_clock(clock.clone())),
            renewal_margin(minutes_valid),
        ));
        let mut builder = Transport::builder(Provider::Di, environment.base_url())
            .auth(Auth::Bearer(tokens.clone()))
            .config(self.transport.resolve(None, None))
            // No 429 is documented (reference: none); a 429 to a change proves nothing.
            .documented_429(false);
        if let Some(client) = self.transport.shared_http_client() {
            builder = builder.http_client(client.clone());
        }
        Ok(Client {
            transport: builder.build()?,
            tokens,
            environment,
            check_transit_rules: !self.skip_transit_rules,
            clock,
            policy: self.policy,
        })
    }
}

/// Renew a minute before expiry, or a fifth of the validity for short tokens (a 1-minute token
/// with a 60 s margin would never be used).
fn renewal_margin(minutes_valid: MinutesValid) -> Duration {
    Duration::from_secs(60).min(minutes_valid.duration() / 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule of `TransportSettings`, the same at every provider: the builder's setter,
    /// then the config given, then the provider's default; never a silent override.
    #[test]
    fn the_same_transport_config_gives_the_same_limits() {
        use std::time::Duration;

        use rescind_core::retry::RetryPolicy;
        use rescind_core::{RateLimit, TransportConfig};

        let given = TransportConfig::default()
            .with_max_concurrency(2)
            .with_rate_limit(RateLimit::per_minute(30))
            .with_call_timeout(Duration::from_secs(7));
        let config = |b: ClientBuilder| b.build().unwrap().transport().config().clone();

        let c = config(
            Client::builder()
                .test()
                .credentials(Credentials::new("u", "p"))
                .config(given.clone()),
        );
        assert_eq!(c.max_concurrency, Some(2));
        assert_eq!(c.rate_limit, Some(RateLimit::per_minute(30)));
        assert_eq!(c.call_timeout, Duration::from_secs(7));

        // Explicit setters win, called before or after `config`.
        for b in [
            Client::builder()
                .test()
                .credentials(Credentials::new("u", "p"))
                .max_concurrency(3)
                .call_timeout(Duration::from_secs(4))
                .config(given.clone()),
            Client::builder()
                .test()
                .credentials(Credentials::new("u", "p"))
                .config(given.clone())
                .max_concurrency(3)
                .call_timeout(Duration::from_secs(4)),
        ] {
            let c = config(b);
            assert_eq!(c.max_concurrency, Some(3));
            assert_eq!(c.call_timeout, Duration::from_secs(4));
            assert_eq!(c.rate_limit, Some(RateLimit::per_minute(30)));
        }
        let c = config(
            Client::builder()
                .test()
                .credentials(Credentials::new("u", "p"))
                .configure(|c| c.with_attempt_timeout(Duration::from_secs(2)))
                .retry(RetryPolicy::default().with_max_attempts(1))
                .without_rate_limit(),
        );
        assert_eq!(c.attempt_timeout, Duration::from_secs(2));
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.max_concurrency, None);

        // One pool, shared.
        let pool = rescind_core::HttpClient::new().unwrap();
        let a = Client::builder()
            .test()
            .credentials(Credentials::new("u", "p"))
            .http_client(pool.clone())
            .build()
            .unwrap();
        let b = Client::builder()
            .test()
            .credentials(Credentials::new("u", "p"))
            .http_client(pool)
            .build()
            .unwrap();
        let own = Client::builder()
            .test()
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap();
        assert!(a.transport().shares_connections_with(b.transport()));
        assert!(!a.transport().shares_connections_with(own.transport()));
    }
    use rescind_core::ErrorKind;

    #[test]
    fn no_silent_production_default() {
        let err = Client::builder()
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains(".production()"), "{err}");
    }

    #[test]
    fn environments_have_their_urls() {
        let c = Client::builder()
            .test()
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap();
        assert_eq!(
            c.transport().base_url().as_str(),
            "https://staging-ws.di.no/"
        );
        let c = Client::builder()
            .production()
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap();
        assert_eq!(c.transport().base_url().as_str(), "https://ws.di.no/");
        assert_eq!(c.environment(), &Environment::Production);
    }

    #[test]
    fn credentials_and_minutes_are_checked() {
        let err = Client::builder().test().build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = Client::builder()
            .test()
            .credentials(Credentials::new("u", ""))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = Client::builder()
            .test()
            .credentials(Credentials::new("u", "p"))
            .minutes_valid(0)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("minutes_valid"));
    }

    #[test]
    fn margin_fits_short_tokens() {
        assert_eq!(renewal_margin(MinutesValid::MAX), Duration::from_secs(60));
        assert_eq!(renewal_margin(MinutesValid::MIN), Duration::from_secs(12));
    }
}
