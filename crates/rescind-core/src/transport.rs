//! The one transport: sends [`HttpRequest`]s over `reqwest`, with retries, timeouts,
//! authentication, a concurrency limit, a rate limit ([`RateLimit`]) and tracing.

use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::http::BaseUrl;
use crate::pacer::{NoTurn, Pacer, RateLimit, Throttle};
use crate::retry::{self, AttemptEnd, RetryBudget, RetryClass, RetryPolicy, Wait};
use crate::token::TokenCache;
use crate::{Error, ErrorKind, HttpRequest, HttpResponse, Provider, Sent};

/// The `User-Agent` rescind sends: `rescind/<version>`.
pub const USER_AGENT: &str = concat!("rescind/", env!("CARGO_PKG_VERSION"));

/// How a client authenticates.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    None,
    /// A fixed header, e.g. `Authorization: ARTA_APIKey <key>`. The whole value is secret.
    Header {
        /// The header's name.
        name: HeaderName,
        /// The header's full value.
        value: SecretString,
    },
    /// `Authorization: Bearer <token>` from a login shared through a [`TokenCache`].
    Bearer(Arc<TokenCache>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Header { name, .. } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", &"[redacted]")
                .finish(),
            Auth::Bearer(cache) => f.debug_tuple("Bearer").field(cache).finish(),
        }
    }
}

/// Timeouts, limits and retries of a [`Transport`]. Every default is written on its field.
/// Its Debug output shows a default header's value as `[redacted]` when it is a secret
/// (marked sensitive, or named `Authorization`, `Cookie` or with `key`, `token`, `secret` or
/// `password` in its name).
#[derive(Clone)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Time to open a connection. Default 10 s. Only used when the transport builds its own
    /// `reqwest::Client`.
    pub connect_timeout: Duration,
    /// Time for one attempt, from sending to the last byte of the body. Default 30 s.
    pub attempt_timeout: Duration,
    /// Time for the whole call: the wait for a place under the concurrency limit, the wait for
    /// a login, the waits for the rate limit, every attempt and every backoff, the pauses
    /// after a 429 included (a 429 is retried until this deadline). Default 90 s.
    pub call_timeout: Duration,
    /// The most bytes of an error body kept; the rest is dropped. Default 64 KiB.
    pub error_body_limit: usize,
    /// The most bytes of a success body accepted. Default 16 MiB.
    pub body_limit: usize,
    /// The retry policy. Default [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// The most calls in flight at once; more wait in line, for at most the call timeout.
    /// Default: no limit. A login does not take a place (see the `token` module docs).
    pub max_concurrency: Option<usize>,
    /// The most requests started in any window (a sliding window, e.g. a minute), shared by
    /// every clone of the client: a request past it waits for its turn, for at most what is
    /// left of the call timeout, instead of being sent over the limit. Every attempt counts,
    /// retries and logins included (see the `pacer` module docs). Default: no limit.
    pub rate_limit: Option<RateLimit>,
    /// How long a refused login is remembered: during this time every call that needs a token
    /// fails at once with the refusal, and the credentials are not sent again (a wrong password
    /// costs one login per cool-down, never one per call). Default 5 minutes. Rebuilding the
    /// client forgets the refusal.
    pub login_refusal_cooldown: Duration,
    /// A response header carrying the provider's request id (e.g. `x-arta-request-id`).
    pub request_id_header: Option<HeaderName>,
    /// Headers sent with every request that does not set the same name itself. A default
    /// `User-Agent` or `Accept` replaces the transport's own (`rescind/<version>`,
    /// `application/json`); the credentials always come from the client. Each name goes on
    /// the wire from one source only. A client with credentials never sends a default
    /// header of its credentials' name (`Authorization`), not even with its login: its own
    /// credentials are the only ones it sends.
    pub default_headers: http::HeaderMap,
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("error_body_limit", &self.error_body_limit)
            .field("body_limit", &self.body_limit)
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("login_refusal_cooldown", &self.login_refusal_cooldown)
            .field("request_id_header", &self.request_id_header)
            .field(
                "default_headers",
                &crate::http::shown_headers(&self.default_headers),
            )
            .finish()
    }
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(90),
            error_body_limit: 64 * 1024,
            body_limit: 16 * 1024 * 1024,
            retry: RetryPolicy::default(),
            max_concurrency: None,
            rate_limit: None,
            login_refusal_cooldown: Duration::from_secs(5 * 60),
            request_id_header: None,
            default_headers: http::HeaderMap::new(),
        }
    }
}

impl TransportConfig {
    /// Sets the most calls in flight at once.
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max.max(1));
        self
    }

    /// Sets the rate limit (see [`TransportConfig::rate_limit`]).
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sets how long a refused login is remembered (see
    /// [`TransportConfig::login_refusal_cooldown`]).
    pub fn with_login_refusal_cooldown(mut self, cooldown: Duration) -> Self {
        self.login_refusal_cooldown = cooldown;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets the whole-call timeout.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the response header that carries the provider's request id.
    pub fn with_request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = Some(name);
        self
    }

    /// Adds a header sent with every request that does not set it itself (see
    /// [`TransportConfig::default_headers`]).
    /// A secret's value (see [`TransportConfig`]'s Debug) is marked sensitive, so that HTTP/2
    /// does not index it either.
    pub fn with_default_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if crate::http::is_secret_header(&name, &value) {
            value.set_sensitive(true);
        }
        self.default_headers.insert(name, value);
        self
    }

    /// Sets the success and error body limits.
    pub fn with_body_limits(mut self, body_limit: usize, error_body_limit: usize) -> Self {
        self.body_limit = body_limit;
        self.error_body_limit = error_body_limit;
        self
    }
}

/// What every provider's client builder takes for its transport, and the one rule that says
/// which setting wins. Each provider's `ClientBuilder` has the same setters for it
/// (`transport_settings`, `config`, `configure`, `http_client`, `max_concurrency`,
/// `rate_limit`, `without_rate_limit`, `attempt_timeout`, `call_timeout`, `retry`), with the
/// same signatures and return types.
///
/// # Which setting wins
///
/// For each setting, the first of these that sets it:
///
/// 1. the builder's own setter (`max_concurrency(2)`, `call_timeout(..)`, ...), whenever it was
///    called, before or after `config`;
/// 2. the [`TransportConfig`] given to `config` (or changed by `configure`): its
///    `max_concurrency` and `rate_limit` when they are `Some`, and every other field;
/// 3. the provider's documented limits as defaults (Arta: 15 calls in flight and 970 a minute
///    for a live key; Di and Skip Pay document none), then [`TransportConfig::default`].
///
/// Nothing is overridden silently: a limit set at level 1 or 2 is used as given, even above a
/// provider's documented limit (the provider then answers 429, which is retried).
///
/// ```
/// use std::time::Duration;
/// use rescind_core::{RateLimit, TransportConfig, TransportSettings};
///
/// let given = TransportConfig::default()
///     .with_max_concurrency(2)
///     .with_call_timeout(Duration::from_secs(20));
/// let settings = TransportSettings::new()
///     .call_timeout(Duration::from_secs(5)) // explicit: wins over the config
///     .config(given);
/// let config = settings.resolve(Some(15), Some(RateLimit::per_minute(970)));
/// assert_eq!(config.max_concurrency, Some(2)); // the config's, not the provider's 15
/// assert_eq!(config.rate_limit, Some(RateLimit::per_minute(970))); // provider default
/// assert_eq!(config.call_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct TransportSettings {
    config: Option<TransportConfig>,
    max_concurrency: Option<usize>,
    /// `Some(None)`: explicitly unpaced.
    rate_limit: Option<Option<RateLimit>>,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    http_client: Option<HttpClient>,
}

impl TransportSettings {
    /// Nothing set: every setting from the provider's defaults.
    pub fn new() -> Self {
        TransportSettings::default()
    }

    /// Sets the whole [`TransportConfig`] (level 2 of [the rule](TransportSettings#which-setting-wins)).
    pub fn config(mut self, config: TransportConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Changes the level-2 [`TransportConfig`] in place (starting from the one given to
    /// [`config`](Self::config), or from [`TransportConfig::default`]).
    pub fn configure(mut self, f: impl FnOnce(TransportConfig) -> TransportConfig) -> Self {
        self.config = Some(f(self.config.take().unwrap_or_default()));
        self
    }

    /// Sends through this shared connection pool.
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The most calls in flight at once (at least 1).
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max.max(1));
        self
    }

    /// The most calls started in any window.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(Some(limit));
        self
    }

    /// No pacing, whatever the config or the provider's default says.
    pub fn without_rate_limit(mut self) -> Self {
        self.rate_limit = Some(None);
        self
    }

    /// The time for one attempt ([`TransportConfig::attempt_timeout`]).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The time for a whole call, waits and retries included
    /// ([`TransportConfig::call_timeout`]).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// The retry policy ([`TransportConfig::retry`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The shared connection pool, if one was given.
    pub fn shared_http_client(&self) -> Option<&HttpClient> {
        self.http_client.as_ref()
    }

    /// The configuration by [the rule](TransportSettings#which-setting-wins), with the
    /// provider's documented limits as defaults.
    pub fn resolve(
        &self,
        default_max_concurrency: Option<usize>,
        default_rate_limit: Option<RateLimit>,
    ) -> TransportConfig {
        let mut config = self.config.clone().unwrap_or_default();
        config.max_concurrency = self
            .max_concurrency
            .or(config.max_concurrency)
            .or(default_max_concurrency)
            .map(|n| n.max(1));
        config.rate_limit = match self.rate_limit {
            Some(explicit) => explicit,
            None => config.rate_limit.or(default_rate_limit),
        };
        if let Some(t) = self.attempt_timeout {
            config.attempt_timeout = t;
        }
        if let Some(t) = self.call_timeout {
            config.call_timeout = t;
        }
        if let Some(r) = &self.retry {
            config.retry = r.clone();
        }
        config
    }
}

impl From<TransportConfig> for TransportSettings {
    /// Settings at level 2 of the rule: the config, nothing explicit.
    fn from(config: TransportConfig) -> Self {
        TransportSettings::new().config(config)
    }
}

/// The transport setters every provider's `ClientBuilder` has, the same everywhere: each
/// forwards to the builder's `transport: TransportSettings` field.
#[doc(hidden)]
#[macro_export]
macro_rules! __transport_setters {
    () => {
        /// Replaces every transport setting made so far with `settings` (what a registry
        /// applies to each account it builds; see
        /// [`TransportSettings`](rescind_core::TransportSettings)).
        pub fn transport_settings(mut self, settings: $crate::TransportSettings) -> Self {
            self.transport = settings;
            self
        }

        /// Sets timeouts, limits and retries at once. Level 2 of the rule of
        /// [`TransportSettings`](rescind_core::TransportSettings#which-setting-wins): this
        /// builder's own setters win over it, it wins over the provider's defaults.
        pub fn config(mut self, config: $crate::TransportConfig) -> Self {
            self.transport = self.transport.config(config);
            self
        }

        /// Changes the [`TransportConfig`](rescind_core::TransportConfig) given to
        /// [`config`](Self::config) (or the default one) in place.
        pub fn configure(
            mut self,
            f: impl FnOnce($crate::TransportConfig) -> $crate::TransportConfig,
        ) -> Self {
            self.transport = self.transport.configure(f);
            self
        }

        /// Sends through a connection pool shared with other clients
        /// ([`HttpClient`](rescind_core::HttpClient)). Default: a pool of this client's own.
        pub fn http_client(mut self, client: $crate::HttpClient) -> Self {
            self.transport = self.transport.http_client(client);
            self
        }

        /// Sets the most calls in flight at once (at least 1), over the config and the
        /// provider's default. More calls wait in line, for at most the call timeout.
        pub fn max_concurrency(mut self, max: usize) -> Self {
            self.transport = self.transport.max_concurrency(max);
            self
        }

        /// Sets the most calls started in any window, over the config and the provider's
        /// default. More calls wait their turn.
        pub fn rate_limit(mut self, limit: $crate::RateLimit) -> Self {
            self.transport = self.transport.rate_limit(limit);
            self
        }

        /// Sends without pacing, over the config and the provider's default: for a caller
        /// that paces its calls itself.
        pub fn without_rate_limit(mut self) -> Self {
            self.transport = self.transport.without_rate_limit();
            self
        }

        /// Sets the time for one attempt, over the config.
        pub fn attempt_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.transport = self.transport.attempt_timeout(timeout);
            self
        }

        /// Sets the time for a whole call (waits, attempts and backoffs), over the config.
        pub fn call_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.transport = self.transport.call_timeout(timeout);
            self
        }

        /// Sets the retry policy, over the config.
        pub fn retry(mut self, retry: $crate::retry::RetryPolicy) -> Self {
            self.transport = self.transport.retry(retry);
            self
        }
    };
}

/// A shared HTTP connection pool (TLS by rustls), for clients that should share connections:
/// give the same `HttpClient` to several builders (`http_client(..)` on every provider's
/// builder, [`TransportBuilder::http_client`]). Cheap to clone: clones share the pool.
///
/// It wraps the `reqwest` client this crate uses, without exposing it: a new major version of
/// `reqwest` is not a breaking change of rescind. A caller who needs reqwest's own settings
/// (proxy, TLS roots) enables the feature `reqwest-0-12` and converts a `reqwest::Client`
/// with `HttpClient::from_reqwest` (outside the semver contract of rescind: that feature
/// follows reqwest 0.12).
///
/// Timeouts per attempt and per call are set per request by the [`Transport`]
/// ([`TransportConfig`]), whoever built the pool; the connect timeout is the pool's own.
///
/// ```
/// use std::time::Duration;
/// use rescind_core::{HttpClient, Provider, Transport};
///
/// let pool = HttpClient::with_connect_timeout(Duration::from_secs(3)).unwrap();
/// let a = Transport::builder(Provider::Arta, "https://api.arta.io")
///     .http_client(pool.clone())
///     .build()
///     .unwrap();
/// let b = Transport::builder(Provider::Di, "https://ws.di.no")
///     .http_client(pool)
///     .build()
///     .unwrap();
/// assert!(a.shares_connections_with(&b));
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    connect_timeout: Option<Duration>,
    /// Shared by the clones of one pool: tells pools apart.
    identity: Arc<()>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A pool with the default connect timeout
    /// ([`TransportConfig::connect_timeout`]'s default, 10 s). Fails with
    /// [`ErrorKind::Config`] when the TLS backend cannot start.
    pub fn new() -> Result<HttpClient, Error> {
        HttpClient::with_connect_timeout(TransportConfig::default().connect_timeout)
    }

    /// A pool whose connections must open within `connect_timeout`. Fails with
    /// [`ErrorKind::Config`] when the TLS backend cannot start.
    ///
    /// The pool follows no redirect: a 3xx is the provider's answer, read by the provider
    /// crate like any other undocumented answer. Following one would send a change again, to
    /// another address, unseen by the transport's accounting of attempts (at most once, and
    /// every request counted); none of the three providers documents a redirect.
    pub fn with_connect_timeout(connect_timeout: Duration) -> Result<HttpClient, Error> {
        let inner = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("could not build the HTTP client: {e}")))?;
        Ok(HttpClient {
            inner,
            connect_timeout: Some(connect_timeout),
            identity: Arc::new(()),
        })
    }

    /// Wraps the caller's `reqwest::Client` (its proxy, TLS, connect and redirect settings
    /// apply: build it with `redirect(reqwest::redirect::Policy::none())`, as rescind's own
    /// pool is, so that a redirect answered to a change never sends it again).
    /// Feature `reqwest-0-12`: outside rescind's semver contract, it follows reqwest 0.12.
    #[cfg(feature = "reqwest-0-12")]
    pub fn from_reqwest(client: reqwest::Client) -> HttpClient {
        HttpClient {
            inner: client,
            connect_timeout: None,
            identity: Arc::new(()),
        }
    }

    /// The wrapped `reqwest::Client`. Feature `reqwest-0-12` (see
    /// [`from_reqwest`](HttpClient::from_reqwest)).
    #[cfg(feature = "reqwest-0-12")]
    pub fn as_reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// The connect timeout this pool was built with; `None` for a wrapped `reqwest::Client`,
    /// whose settings rescind does not read.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }
}

#[cfg(feature = "reqwest-0-12")]
impl From<reqwest::Client> for HttpClient {
    fn from(client: reqwest::Client) -> Self {
        HttpClient::from_reqwest(client)
    }
}

/// Builds a [`Transport`].
///
/// ```
/// use rescind_core::{Auth, Provider, Transport, TransportConfig};
/// use rescind_core::secrecy::SecretString;
///
/// let transport = Transport::builder(Provider::Arta, "https://api.arta.io")
///     .auth(Auth::Header {
///         name: http::header::AUTHORIZATION,
///         value: SecretString::from("ARTA_APIKey test-key"),
///     })
///     .config(TransportConfig::default().with_max_concurrency(15))
///     .build()
///     .unwrap();
/// assert_eq!(transport.base_url().as_str(), "https://api.arta.io/");
/// assert!(!format!("{transport:?}").contains("test-key"));
/// ```
#[derive(Debug)]
pub struct TransportBuilder {
    provider: Provider,
    base_url: String,
    auth: Auth,
    config: TransportConfig,
    client: Option<HttpClient>,
    documented_429: bool,
}

impl TransportBuilder {
    /// Says that the provider documents its 429 as a refusal before processing (DESIGN
    /// principle 11: only a documented refusal proves absence). Default `false`.
    ///
    /// - `true` (Arta: reference, x-topic "Rate Limits", "429 Too Many Requests" past the
    ///   limits): a 429 proves the request was not processed; every request, a change that is
    ///   not idempotent included, is retried after it within the call's deadline, and the
    ///   call keeps an exact outcome.
    /// - `false` (Di and Skip Pay document no 429): a 429 to a change proves nothing, like a
    ///   5xx. A change that is not idempotent is not sent again (the call ends with the 429,
    ///   [`Sent::MaybeSent`]: the provider crate settles it by reading back); an idempotent
    ///   one is retried, but the call is [`Sent::MaybeSent`] whatever a later attempt answers.
    ///   Reads and logins change nothing and are retried as after any 429.
    ///
    /// Either way a 429 pauses the whole client (see the `pacer` module docs).
    pub fn documented_429(mut self, documented: bool) -> Self {
        self.documented_429 = documented;
        self
    }

    /// Sets the authentication.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Sets timeouts, limits and retries.
    pub fn config(mut self, config: TransportConfig) -> Self {
        self.config = config;
        self
    }

    /// Sends through the caller's connection pool, shared with other clients (its connect
    /// timeout applies, not [`TransportConfig::connect_timeout`]; per-attempt timeouts are
    /// still set per request). Default: a pool of the transport's own.
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Builds the transport. Fails with [`ErrorKind::Config`] on a bad base URL or header.
    pub fn build(self) -> Result<Transport, Error> {
        let base_url = BaseUrl::parse(&self.base_url)?;
        if let Auth::Header { value, .. } = &self.auth
            && HeaderValue::from_str(value.expose_secret()).is_err()
        {
            return Err(Error::config(
                "the credential contains characters not allowed in an HTTP header",
            )
            .with_provider(self.provider));
        }
        let client = match self.client {
            Some(client) => client,
            None => HttpClient::with_connect_timeout(self.config.connect_timeout)
                .map_err(|e| e.with_provider(self.provider))?,
        };
        let semaphore = self
            .config
            .max_concurrency
            .map(|n| Arc::new(Semaphore::new(n.max(1))));
        let pacer = self.config.rate_limit.map(Pacer::new);
        Ok(Transport {
            inner: Arc::new(Inner {
                provider: self.provider,
                base_url,
                budget: RetryBudget::new(self.config.retry.budget_capacity),
                auth: self.auth,
                config: self.config,
                client,
                semaphore,
                pacer,
                throttle: Throttle::new(),
                documented_429: self.documented_429,
            }),
            login: false,
        })
    }
}

/// Sends requests for one provider account. Cheap to clone; clones share the connection pool,
/// the retry budget, the concurrency limit, the rate limit and the login.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
    /// The view a login flight sends through: it does not take a place under the concurrency
    /// limit, and makes one attempt per request (see `send_inner`).
    login: bool,
}

struct Inner {
    provider: Provider,
    base_url: BaseUrl,
    auth: Auth,
    config: TransportConfig,
    client: HttpClient,
    budget: RetryBudget,
    semaphore: Option<Arc<Semaphore>>,
    pacer: Option<Pacer>,
    /// The pause of the whole client after a 429 (see the `pacer` module).
    throttle: Throttle,
    /// The provider documents its 429 as a refusal ([`TransportBuilder::documented_429`]).
    documented_429: bool,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("provider", &self.inner.provider)
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", &self.inner.auth)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What bounds a call's waits: its own call timeout, or the caller's earlier deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    CallTimeout(Duration),
    Caller,
}

impl Limit {
    /// The deadline of a call started at `started`, and what sets it: the call timeout, or
    /// the caller's deadline (`deadline::scope`) when it comes first.
    pub(crate) fn from(started: Instant, call_timeout: Duration) -> (Instant, Limit) {
        let call_deadline = crate::pacer::later(started, call_timeout);
        match crate::deadline::current() {
            Some(caller) if caller < call_deadline => (caller, Limit::Caller),
            _ => (call_deadline, Limit::CallTimeout(call_timeout)),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::CallTimeout(t) => write!(f, "the call timeout ({t:?})"),
            Limit::Caller => f.write_str("the caller's deadline"),
        }
    }
}

/// What a call has done so far, across its attempts (`Transport::send_inner`).
#[derive(Default)]
struct CallState {
    attempts: u32,
    /// Retries after a failure (not after a 429).
    retries: u32,
    renewed_after_401: bool,
    /// Once any attempt may have been applied, the whole call may have been.
    maybe_sent: bool,
    /// Retries after a 429.
    throttled: u32,
    /// The last 429, the call's answer if its retry finds no turn in time (boxed: rare, and
    /// part of every call's state otherwise).
    last_429: Option<Box<HttpResponse>>,
    /// How long the last 429 took to come back: its retry is not sent with less time than
    /// that left (it would most likely not be answered in time, and would turn the 429, an
    /// answer, into an attempt that may have been applied).
    last_429_took: Duration,
}

impl CallState {
    /// The call as an error about the attempt not made describes it: the attempts before it.
    fn before_this_attempt<'a>(
        &self,
        provider: Provider,
        request: &'a HttpRequest,
    ) -> cold::Call<'a> {
        cold::Call {
            provider,
            request,
            maybe_sent: self.maybe_sent,
            attempts: self.attempts - 1,
        }
    }

    /// The last 429, as the call's answer when its retry cannot be sent in time.
    fn last_429_as_answer(&mut self) -> Option<HttpResponse> {
        let mut resp = *self.last_429.take()?;
        resp.attempts = self.attempts - 1;
        resp.earlier_attempt_maybe_sent = self.maybe_sent;
        Some(resp)
    }
}

/// How a call sends again after an attempt (`Transport::after_attempt`).
enum Retry {
    /// Renew the token of this generation, then send again.
    Renew(u64),
    /// Wait this long, then send again.
    After(Duration),
    /// Send again (after a 429: the wait is the whole client's, at the loop's top).
    Now,
}

/// What one attempt produced.
enum Attempt {
    Answered(HttpResponse),
    Failed { end: AttemptEnd, detail: String },
}

impl Transport {
    /// Starts a transport for `provider` at `base_url`.
    pub fn builder(provider: Provider, base_url: impl Into<String>) -> TransportBuilder {
        TransportBuilder {
            provider,
            base_url: base_url.into(),
            auth: Auth::None,
            config: TransportConfig::default(),
            client: None,
            documented_429: false,
        }
    }

    /// The same transport, for a login flight: its requests do not wait for the concurrency
    /// limit, and are not retried (the token cache retries the login).
    pub(crate) fn for_login(&self) -> Transport {
        Transport {
            inner: self.inner.clone(),
            login: true,
        }
    }

    /// Takes `cost` tokens from the client's retry budget for a retry made outside
    /// `send` (a login flight's next login); false when the budget is spent.
    pub(crate) fn try_spend_retry_budget(&self, cost: u32) -> bool {
        self.inner.budget.try_acquire(cost)
    }

    /// When the client's pause after a 429 ends, if it is paused now (see the `pacer`
    /// module): a login flight answered 429 waits for it.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        self.inner.throttle.paused_until()
    }

    /// The provider this transport talks to.
    pub fn provider(&self) -> Provider {
        self.inner.provider
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base_url
    }

    /// The configuration.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// The token cache, for providers with a login.
    pub fn token_cache(&self) -> Option<&Arc<TokenCache>> {
        match &self.inner.auth {
            Auth::Bearer(cache) => Some(cache),
            _ => None,
        }
    }

    /// Whether this transport and `other` send through the same connection pool (one
    /// [`HttpClient`] given to both builders).
    pub fn shares_connections_with(&self, other: &Transport) -> bool {
        Arc::ptr_eq(&self.inner.client.identity, &other.inner.client.identity)
    }

    /// Retry tokens left in this client's budget.
    pub fn retry_budget_available(&self) -> u32 {
        self.inner.budget.available()
    }

    /// Sends `request`, retrying per the policy, and returns the provider's final answer
    /// whatever its status: the provider crate reads error bodies itself. Fails only when no
    /// answer came (timeout, connection failure), on a login failure (shared by every call
    /// waiting for the same login), or with [`ErrorKind::Timeout`] and [`Sent::NotSent`] when
    /// no place under the concurrency limit, no turn under the rate limit, or no login token,
    /// came within the call timeout (a retry that finds no turn in time fails the same way,
    /// [`Sent::MaybeSent`] if an earlier attempt may have been applied). A 429 is waited out
    /// and retried within the deadline, the whole client pausing (see the `retry` and `pacer`
    /// module docs); a call that the pause keeps from sending before its deadline fails at
    /// once with [`ErrorKind::RateLimited`] and [`Sent::NotSent`], one that was answered 429
    /// returns that answer.
    /// The call timeout counts from this call, waits included; under a caller's deadline
    /// ([`deadline`](crate::deadline)) the earlier of the two ends the call, and no request
    /// starts after the deadline.
    ///
    /// Cancel-safe: dropping the future before a request went out sends nothing; after, the
    /// provider may or may not have applied it (a lost answer), and nothing is resent. The
    /// place under the concurrency limit is given back at once; a login in progress goes on
    /// as a task of its own for the other callers.
    pub fn send<'a>(
        &'a self,
        request: &'a HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + 'a {
        // Nothing happens before the first poll, as with an `async fn`: the span is then
        // opened inside the span the call runs in, with the subscriber in force then.
        Sending {
            transport: self,
            request,
            call: None,
            span: None,
        }
    }

    /// The call's state, in its box, built by a function of its own (not in `Sending`'s
    /// poll frame, which every poll of the call runs with). Boxed: the state of a call is
    /// then held in heap blocks each small enough for the allocator's per-thread cache
    /// (glibc's tcache takes up to 1,032 bytes), instead of one block of several KB in the
    /// provider's cancel, which a multi-thread runtime often frees on another thread than the
    /// one that allocated it (an arena lock; bench `calls`).
    #[inline(never)]
    fn start<'a>(&'a self, request: &'a HttpRequest) -> BoxedCall<'a> {
        Box::pin(self.send_inner(request))
    }

    /// The `rescind.call` span of a call, `None` when no subscriber records it: entering a
    /// span nobody listens to on every poll is work for nothing. Out of line: it runs once per
    /// call, at its first poll.
    #[inline(never)]
    fn call_span(&self, request: &HttpRequest) -> Option<tracing::Span> {
        let span = tracing::info_span!(
            "rescind.call",
            provider = self.inner.provider.id(),
            operation = request.operation,
            method = %request.method,
            path = request.path_template,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        (!span.is_disabled()).then_some(span)
    }

    async fn send_inner(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let inner = &*self.inner;
        // The call timeout bounds every wait of the call: for a place under the limit, for a
        // login, and the attempts. A caller's deadline (`deadline::scope`) shortens it.
        // Locals that no await outlives are kept in blocks of their own: the call's state
        // (a heap block per call) then holds only what its waits need.
        let (deadline, limit) = {
            let started = Instant::now();
            let (deadline, limit) = Limit::from(started, inner.config.call_timeout);
            if limit == Limit::Caller && started >= deadline {
                return Err(cold::caller_deadline_passed(cold::Call {
                    provider: inner.provider,
                    request,
                    maybe_sent: false,
                    attempts: 0,
                }));
            }
            (deadline, limit)
        };
        // A login flight does not take a place under the limit. Its caller may hold a place
        // already (with a limit of 1 it holds the only one), and a 401 in the middle of a call
        // needs a new login while the call keeps its place: taking the token before the place
        // would not cover that case, and giving the place back to log in would let the call
        // lose its turn. Letting the login through costs at most one request beyond the limit,
        // since a client has one login flight at a time.
        let _permit = match &inner.semaphore {
            Some(sem) if !self.login => {
                // A free place is taken at once, without arming a timer for the wait.
                // Borrowed, not owned: no reference count of the semaphore to bump and drop
                // on every request.
                let acquired = match sem.try_acquire() {
                    Ok(permit) => Ok(Ok(permit)),
                    Err(tokio::sync::TryAcquireError::Closed) => Ok(Err(())),
                    Err(tokio::sync::TryAcquireError::NoPermits) => {
                        // Boxed: waiting is rare (see `auth_header_now`'s call site).
                        boxed(|| tokio::time::timeout_at(deadline, sem.acquire()))
                            .await
                            .map(|r| r.map_err(|_| ()))
                    }
                };
                match acquired {
                    Ok(Ok(permit)) => Some(permit),
                    Ok(Err(_)) => return Err(cold::limit_closed(inner.provider, request)),
                    Err(_) => {
                        return Err(cold::no_place(
                            cold::Call {
                                provider: inner.provider,
                                request,
                                maybe_sent: false,
                                attempts: 0,
                            },
                            inner.config.max_concurrency,
                            limit,
                        ));
                    }
                }
            }
            _ => None,
        };
        let mut call = CallState::default();

        loop {
            call.attempts += 1;
            // The header at once when there is one (the common case); a login to wait for is
            // awaited in a box of its own, so that its state is not part of every call's.
            // Not a `match` on `auth_header_now`: its scrutinee (88 bytes) would be held across
            // the wait.
            let auth = {
                let mut auth = self.auth_header_now(request);
                if auth.is_none() {
                    auth = Some(boxed(|| self.login_header(deadline, limit)).await);
                }
                auth.unwrap_or_else(|| unreachable!("set above"))
            };
            let (auth_header, generation) = match auth {
                Ok(auth) => auth,
                Err(e) => return cold::login_failed_or_429(&mut call, e),
            };
            // After a 429 the whole client pauses, then one request goes first (`pacer`), and
            // only then takes its turn under the rate limit: a turn taken before the pause
            // would be counted at its reservation, not at the request's real start, and the
            // window after the pause would take more than the limit.
            // Each wait is boxed, and awaited only when there is one (rare), for the same
            // reason as the login's.
            let turn = loop {
                let waited = if inner.throttle.engaged() {
                    boxed(|| inner.throttle.wait(deadline)).await
                } else {
                    Ok(crate::pacer::Turn::Free)
                };
                let turn = match waited {
                    Ok(turn) => turn,
                    Err(no_turn) => {
                        return cold::no_throttle_turn_or_429(
                            &mut call,
                            inner.provider,
                            request,
                            no_turn,
                            limit,
                        );
                    }
                };
                let Some(pacer) = &inner.pacer else {
                    break turn;
                };
                match pacer.start(deadline) {
                    crate::pacer::Start::Now => break turn,
                    crate::pacer::Start::At(at) => {
                        boxed(|| tokio::time::sleep_until(at)).await;
                        // A 429 answered meanwhile pauses this request too, whether it was
                        // free or held a place in the ramp: it waits for the pause, then takes
                        // a new turn (the one taken here stays counted, which only slows the
                        // next starts, never passes the limit).
                        if inner.throttle.engaged()
                            && (matches!(turn, crate::pacer::Turn::Free)
                                || inner.throttle.paused_until().is_some())
                        {
                            drop(turn);
                            continue;
                        }
                        break turn;
                    }
                    crate::pacer::Start::NoTurn => {
                        return cold::no_rate_turn_or_429(
                            &mut call,
                            inner.provider,
                            request,
                            pacer.limit(),
                            limit,
                        );
                    }
                }
            };
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            if remaining.is_zero() || (call.last_429.is_some() && remaining < call.last_429_took) {
                // No request starts after the deadline, the caller's or the call timeout's:
                // its attempt would have no time to be answered (a wait can wake after the
                // deadline it was sized for, see `pacer::TIMER_RESOLUTION`). Nor does a retry
                // after a 429 with less time left than that 429 took to come back: most
                // likely unanswered in time, it would turn the 429 (an answer: nothing was
                // applied, where the provider documents it) into an attempt that may have
                // been. A retry after a 429 not sent answers that 429.
                return cold::deadline_passed_or_429(&mut call, inner.provider, request, limit);
            }
            let timeout = inner.config.attempt_timeout.min(remaining);
            tracing::trace!(attempt = call.attempts, "sending");
            // `attempt` and what follows from it end in this block: the waits before a retry
            // do not hold them.
            let retry = {
                // Boxed by `attempt` for the same reason as `send_inner` (see `send`).
                let attempt = self
                    .attempt(
                        request,
                        inner.base_url.join(&request.path, &request.query),
                        auth_header,
                        timeout,
                    )
                    .await;
                // The common end on a short path: an answer that is neither retried nor a
                // refused token. Everything else is decided out of line (`after_attempt`), so
                // that the rare paths' code does not sit between the common path's lines
                // (instruction-cache misses, bench `calls`).
                match attempt {
                    Attempt::Answered(resp)
                        if resp.status != 401
                            && retry::classify(
                                AttemptEnd::Status(resp.status),
                                request.idempotent,
                            ) == RetryClass::No =>
                    {
                        inner.throttle.answered(now);
                        return self.answered(request, resp, &call);
                    }
                    other => {
                        match self.after_attempt(
                            request, &mut call, other, now, deadline, limit, generation,
                        ) {
                            ControlFlow::Break(result) => return result,
                            ControlFlow::Continue(retry) => retry,
                        }
                    }
                }
            };
            match retry {
                Retry::Renew(generation) => {
                    if let Auth::Bearer(cache) = &inner.auth {
                        boxed(|| cache.invalidate(generation)).await;
                    }
                }
                Retry::After(delay) => boxed(|| tokio::time::sleep(delay)).await,
                Retry::Now => {}
            }
            drop(turn);
        }
    }

    /// A call's end with an answer: the attempts it took, and whether an earlier attempt may
    /// have been applied; a success gives a token back to the retry budget, and one whose body
    /// was cut at the limit is an error.
    fn answered(
        &self,
        request: &HttpRequest,
        mut resp: HttpResponse,
        call: &CallState,
    ) -> Result<HttpResponse, Error> {
        let inner = &*self.inner;
        resp.attempts = call.attempts;
        resp.earlier_attempt_maybe_sent = call.maybe_sent;
        if resp.is_success() {
            inner.budget.refund(inner.config.retry.success_refund);
            if resp.truncated {
                return Err(cold::too_large(
                    &resp,
                    inner.provider,
                    request,
                    inner.config.body_limit,
                ));
            }
        }
        Ok(resp)
    }

    /// What follows an attempt that did not end the call on the common path: a retry (after
    /// a wait, or after renewing the token), or the call's end (`Break`). Out of line (see the call
    /// site in `send_inner`).
    #[inline(never)]
    #[allow(
        clippy::too_many_arguments,
        reason = "the loop's state, passed as it is"
    )]
    fn after_attempt(
        &self,
        request: &HttpRequest,
        call: &mut CallState,
        attempt: Attempt,
        now: Instant,
        deadline: Instant,
        limit: Limit,
        generation: Option<u64>,
    ) -> ControlFlow<Result<HttpResponse, Error>, Retry> {
        let inner = &*self.inner;
        let policy = &inner.config.retry;
        // A login's request is sent once per login: the token cache retries logins itself, one
        // flight for every waiting caller, with the same policy (see the `token` module), so
        // that retries do not multiply.
        let max_attempts = if self.login { 1 } else { policy.max_attempts };
        // Retries after a 429: bounded apart from failures (see the `retry` module docs).
        let max_throttle_retries = if self.login {
            0
        } else {
            policy.max_throttle_retries
        };
        let attempts = call.attempts;
        let end = match &attempt {
            Attempt::Answered(resp) => AttemptEnd::Status(resp.status),
            Attempt::Failed { end, .. } => *end,
        };
        if matches!(end, AttemptEnd::Status(s) if s != 429) {
            inner.throttle.answered(now);
        }
        if matches!(end, AttemptEnd::TimedOut | AttemptEnd::ConnectionLost) {
            call.maybe_sent = true;
        }
        if end != AttemptEnd::Status(429) {
            // The last 429 answers the call only while it is the last answer: a retry after
            // a 503 or a timeout that cannot be sent in time is not answered by an older 429.
            call.last_429 = None;
        }

        // A refused token: renew once and replay once, never in a loop. A change that is
        // not idempotent is replayed only after the provider's documented refusal of the
        // token: another 401 proves nothing and may follow the change (see `change`).
        if end == AttemptEnd::Status(401)
            && let (Auth::Bearer(cache), Some(_)) = (&inner.auth, generation)
            && !call.renewed_after_401
        {
            let refused = matches!(&attempt, Attempt::Answered(resp) if cache.refuses_token(resp));
            if !request.method.is_safe() && !refused {
                if !request.idempotent {
                    // Fall through: the 401 is the answer, read by the provider crate.
                    call.renewed_after_401 = true;
                } else {
                    // Replayed, but whatever the replay answers, this attempt may have
                    // been applied.
                    call.maybe_sent = true;
                }
            }
        }
        if end == AttemptEnd::Status(401)
            && let (Auth::Bearer(_), Some(generation)) = (&inner.auth, generation)
            && !call.renewed_after_401
        {
            call.renewed_after_401 = true;
            tracing::debug!("401: renewing the token and replaying once");
            return ControlFlow::Continue(Retry::Renew(generation));
        }

        let class = retry::classify(end, request.idempotent);
        // Looked up only when the answer may be retried: not on every success.
        let retry_after = match &attempt {
            Attempt::Answered(resp) if class != RetryClass::No => resp
                .header("retry-after")
                .and_then(|v| retry::parse_retry_after(v, jiff::Timestamp::now())),
            _ => None,
        };
        let mut stop_reason = None;
        if class == RetryClass::Throttled {
            // Where the provider documents its 429 (`documented_429`), it refused the
            // request unprocessed: waiting and sending it again is safe for every request
            // and proves nothing new about an earlier attempt. Elsewhere a 429 to a change
            // proves nothing (DESIGN principle 11): the change may have been applied, so
            // the call is maybe sent, and a change that is not idempotent is not sent
            // again. The pause is the whole client's either way; this call waits for it at
            // the loop's top.
            let cap = inner
                .pacer
                .as_ref()
                .map_or(policy.max_throttle_backoff, |p| p.limit().window());
            let too_long = retry_after.is_some_and(|ra| ra > policy.max_retry_after);
            let jitter = fastrand::f64();
            // How long this 429 took to come back: its retry needs at least as long.
            let took = Instant::now().saturating_duration_since(now);
            let resume = inner.throttle.throttled(now, |strikes| {
                match retry::throttle_wait(policy, strikes, retry_after, cap, jitter) {
                    Wait::Retry(delay) => delay,
                    Wait::TooLong(_) => policy.max_retry_after,
                }
            });
            // A `Retry-After` holds the pause even when this 429 began no round of its own.
            let resume = match retry_after {
                Some(ra) if !too_long => inner
                    .throttle
                    .hold_until(crate::pacer::later(Instant::now(), ra)),
                _ => resume,
            };
            let unproven = !inner.documented_429 && !self.login && !request.method.is_safe();
            if unproven {
                call.maybe_sent = true;
            }
            if unproven && !request.idempotent {
                stop_reason = Some(
                    "an undocumented 429 to a change that is not idempotent: it may have been applied, not resent",
                );
            } else if call.throttled >= max_throttle_retries {
                stop_reason = Some("the policy's retries after a 429 are spent");
            } else if too_long {
                stop_reason = Some("Retry-After is longer than the policy allows");
            } else if resume >= deadline
                || crate::pacer::wait_ends_too_late(resume, Instant::now(), deadline)
                || crate::pacer::later(resume, took) >= deadline
            {
                stop_reason = Some(match limit {
                    Limit::Caller => "no time left before the caller's deadline",
                    Limit::CallTimeout(_) => "no time left before the call timeout",
                });
            } else if let Attempt::Answered(resp) = attempt {
                call.throttled += 1;
                throttle_event(
                    inner.provider,
                    resume.saturating_duration_since(Instant::now()),
                    attempts,
                );
                call.last_429 = Some(Box::new(resp));
                call.last_429_took = took;
                return ControlFlow::Continue(Retry::Now);
            }
        } else if class != RetryClass::No && attempts - call.throttled < max_attempts {
            call.retries += 1;
            match retry::wait_before_retry(policy, call.retries, retry_after, fastrand::f64()) {
                Wait::TooLong(_) => {
                    stop_reason = Some("Retry-After is longer than the policy allows")
                }
                Wait::Retry(delay)
                    if !delay.is_zero()
                        && crate::pacer::later(Instant::now(), delay)
                            >= crate::pacer::latest_wake(deadline) =>
                {
                    stop_reason = Some(match limit {
                        Limit::Caller => "no time left before the caller's deadline",
                        Limit::CallTimeout(_) => "no time left before the call timeout",
                    })
                }
                Wait::Retry(delay) => {
                    let cost = match end {
                        AttemptEnd::TimedOut | AttemptEnd::ConnectionLost => {
                            policy.timeout_retry_cost
                        }
                        _ => policy.retry_cost,
                    };
                    if inner.budget.try_acquire(cost) {
                        // A change answered with a 5xx or a 408 may have been applied
                        // before the answer (only a documented 429 refuses before processing, see
                        // `change`): whatever a later attempt answers, a documented
                        // refusal or Di's `order.cancelled` included, cannot prove that
                        // nothing changed.
                        if !request.method.is_safe()
                            && matches!(end, AttemptEnd::Status(s) if s != 429)
                        {
                            call.maybe_sent = true;
                        }
                        retry_event(
                            inner.provider,
                            end,
                            delay,
                            attempts - call.throttled,
                            policy.max_attempts,
                        );
                        // No delay: sent again now, not on a timer (which would wake at its
                        // next millisecond).
                        return ControlFlow::Continue(if delay.is_zero() {
                            Retry::Now
                        } else {
                            Retry::After(delay)
                        });
                    }
                    stop_reason = Some("the client's retry budget is spent");
                }
            }
        }
        if let Some(reason) = stop_reason {
            tracing::debug!(attempt = attempts, ?end, reason, "not retrying");
        }

        ControlFlow::Break(match attempt {
            Attempt::Answered(resp) => self.answered(request, resp, call),
            Attempt::Failed { end, detail } => {
                let (kind, sent) = match end {
                    AttemptEnd::TimedOut => (ErrorKind::Timeout, Sent::MaybeSent),
                    AttemptEnd::ConnectionLost => (ErrorKind::Transport, Sent::MaybeSent),
                    _ if call.maybe_sent => (ErrorKind::Transport, Sent::MaybeSent),
                    _ => (ErrorKind::Transport, Sent::NotSent),
                };
                Err(Error::new(kind, sent, detail)
                    .with_provider(inner.provider)
                    .with_operation(request.operation)
                    .with_attempts(attempts))
            }
        })
    }

    /// The credentials' header without waiting, or `None` when a login must be awaited first
    /// ([`Transport::login_header`]).
    #[allow(
        clippy::type_complexity,
        reason = "a header and the token's generation"
    )]
    fn auth_header_now(
        &self,
        request: &HttpRequest,
    ) -> Option<Result<(Option<(HeaderName, HeaderValue)>, Option<u64>), Error>> {
        if !request.authenticated {
            return Some(Ok((None, None)));
        }
        Some(match &self.inner.auth {
            Auth::None => Ok((None, None)),
            Auth::Header { name, value } => match HeaderValue::from_str(value.expose_secret()) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    Ok((Some((name.clone(), v)), None))
                }
                Err(_) => Err(Error::config("the credential is not a valid header value")),
            },
            Auth::Bearer(cache) => {
                // Built once per token by the cache, not once per request.
                let (header, generation) = cache.bearer_cached()?;
                Ok((
                    Some((http::header::AUTHORIZATION, header)),
                    Some(generation),
                ))
            }
        })
    }

    /// The bearer header after waiting for a login (the token cache's, one flight for every
    /// waiting caller), when [`Transport::auth_header_now`] has none.
    async fn login_header(
        &self,
        deadline: Instant,
        limit: Limit,
    ) -> Result<(Option<(HeaderName, HeaderValue)>, Option<u64>), Error> {
        let Auth::Bearer(cache) = &self.inner.auth else {
            return Ok((None, None));
        };
        let (header, generation) = cache.bearer_before(self, deadline, limit).await?;
        Ok((
            Some((http::header::AUTHORIZATION, header)),
            Some(generation),
        ))
    }

    /// One attempt: the request is built and handed to reqwest here, synchronously, and the
    /// returned future only waits for the answer and reads it. The URL, the headers and the
    /// builder are then not part of the future: it stays under 1,008 bytes, a small-bin size
    /// of glibc's allocator, where the request's parts kept in it made it 1,024 (a large-bin
    /// size, whose allocation consolidates the allocator's fast bins when its per-thread cache
    /// has none left, as at 64 calls in flight: bench `calls`, `print-type-sizes`). The box
    /// is made here, so that the future is built in this function's frame, not in the
    /// frame of `send_inner`'s poll, which every poll of the call runs with.
    #[inline(never)]
    fn attempt(
        &self,
        request: &HttpRequest,
        url: url::Url,
        auth: Option<(HeaderName, HeaderValue)>,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Attempt> + Send + '_>> {
        let inner = &*self.inner;
        // Built in place rather than through reqwest's `RequestBuilder`, whose every step
        // moves the whole builder (272 bytes): nine copies per request (bench `calls`,
        // memcpy counted with a uprobe). The headers are appended in the builder's order.
        let mut http_request = reqwest::Request::new(request.method.clone(), url);
        *http_request.timeout_mut() = Some(timeout);
        // One source per header name, the most specific first: the request's own headers,
        // then the client's defaults the request does not set, then the transport's own
        // `User-Agent` and `Accept` where neither does, then the credentials. Appending all
        // of them sent a name set at two levels twice (a default content type and the
        // body's), which a server may read as one list or refuse. Names are compared as
        // they are appended (a `contains_key` per header would be code of its own on every
        // request, bench `calls`).
        let headers = http_request.headers_mut();
        headers.reserve(3 + inner.config.default_headers.len() + request.headers.len());
        let auth_name = auth.as_ref().map(|(name, _)| name);
        let (mut user_agent, mut accept, mut credentials_set) = (true, true, false);
        let mut note = |name: &HeaderName| {
            user_agent &= name != http::header::USER_AGENT;
            accept &= name != http::header::ACCEPT;
            credentials_set |= auth_name == Some(name);
        };
        for (name, value) in &request.headers {
            note(name);
            headers.append(name.clone(), value.clone());
        }
        // A default of the credentials' name never goes, not even with a login (sent
        // without credentials): the client's own are the only ones it sends.
        let credential_name = match &inner.auth {
            Auth::None => None,
            Auth::Header { name, .. } => Some(name),
            Auth::Bearer(_) => Some(&http::header::AUTHORIZATION),
        };
        for (name, value) in &inner.config.default_headers {
            if (request.headers.is_empty() || !request.headers.contains_key(name))
                && credential_name != Some(name)
            {
                note(name);
                headers.append(name.clone(), value.clone());
            }
        }
        if user_agent {
            headers.append(
                http::header::USER_AGENT,
                HeaderValue::from_static(USER_AGENT),
            );
        }
        if accept {
            headers.append(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        }
        // The client's credentials, in place of any a request or a default carried.
        if let Some((name, value)) = auth {
            if credentials_set {
                headers.insert(name, value);
            } else {
                headers.append(name, value);
            }
        }
        if let Some(body) = &request.body {
            *http_request.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        let pending = inner.client.inner.execute(http_request);
        Box::pin(async move {
            // The response moves into the body's read at once, not kept beside it in this
            // future's state (see `start_read`).
            let (status, headers, read) = match pending.await {
                Ok(response) => start_read(response, &inner.config),
                Err(e) => return failed(&e, timeout),
            };
            let (body, truncated) = match read.await {
                Ok(v) => v,
                Err(e) => return failed(&e, timeout),
            };
            Attempt::Answered(HttpResponse {
                status,
                request_id: request_id(&headers, inner.config.request_id_header.as_ref()),
                headers,
                body,
                attempts: 1,
                truncated,
                earlier_attempt_maybe_sent: false,
            })
        })
    }
}

/// The future `make` builds, built in its box by a function of its own: built in the
/// caller's poll function, it would take its size of that function's stack frame, which every
/// call's poll runs with, for a wait that is rare (a login, a place, a turn, a delay) or, for
/// the attempt, that the box holds anyway (bench `calls`).
#[inline(never)]
fn boxed<'a, T, F>(make: impl FnOnce() -> F) -> Pin<Box<dyn Future<Output = T> + Send + 'a>>
where
    F: Future<Output = T> + Send + 'a,
{
    Box::pin(make())
}

/// A call's state, in its box (see [`Transport::send`]).
type BoxedCall<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, Error>> + Send + 'a>>;

/// [`Transport::send`]'s future: the call's state in its box, and the call's span when a
/// subscriber records it. A type rather than an `async fn`, so that its poll function is a
/// few instructions and no stack frame of its own between the provider's cancel and the
/// attempt (an `async fn` here had an 840-byte frame; bench `calls`).
struct Sending<'a> {
    transport: &'a Transport,
    request: &'a HttpRequest,
    /// The call's state, from the first poll on (`None` again while being dropped).
    call: Option<BoxedCall<'a>>,
    span: Option<tracing::Span>,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        // The call's state is dropped inside its span, as `Instrumented` does.
        if let Some(span) = &self.span {
            let _entered = span.enter();
            drop(self.call.take());
        }
    }
}

impl Future for Sending<'_> {
    type Output = Result<HttpResponse, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is `Unpin` (references, a box, a span).
        let this = self.get_mut();
        let call = match &mut this.call {
            Some(call) => call,
            None => {
                this.span = this.transport.call_span(this.request);
                this.call.insert(this.transport.start(this.request))
            }
        };
        let result = match &this.span {
            None => std::task::ready!(call.as_mut().poll(cx)),
            Some(span) => std::task::ready!(span.in_scope(|| call.as_mut().poll(cx))),
        };
        Poll::Ready(ended(this.span.as_ref(), result))
    }
}

/// A call's end: its attempts counted for the cancel's span, and recorded on the call's own
/// span (when one is recorded). Out of line: it runs once per call, not on every poll.
#[inline(never)]
fn ended(
    span: Option<&tracing::Span>,
    result: Result<HttpResponse, Error>,
) -> Result<HttpResponse, Error> {
    crate::trace::count_attempts(match &result {
        Ok(resp) => resp.attempts,
        Err(err) => err.attempts(),
    });
    let Some(span) = span else {
        return result;
    };
    match &result {
        Ok(resp) => {
            span.record("status", resp.status);
            span.record("attempts", resp.attempts);
            if let Some(id) = &resp.request_id {
                span.record("request_id", id.as_str());
            }
        }
        Err(err) => {
            if let Some(status) = err.status() {
                span.record("status", status);
            }
            span.record("attempts", err.attempts());
            span.in_scope(|| tracing::debug!(error = %err, "call failed"));
        }
    }
    result
}

/// The errors of `send_inner`'s rare paths, out of line: their formatting would otherwise sit
/// in the middle of every call's code (instruction-cache misses measured by callgrind, bench
/// `calls`).
mod cold {
    use super::{
        CallState, Error, ErrorKind, HttpRequest, HttpResponse, Limit, NoTurn, Provider, RateLimit,
        Sent,
    };

    /// The call an error is about: its provider and request, whether an earlier attempt may
    /// have been applied, and how many attempts were made.
    pub(super) struct Call<'a> {
        pub(super) provider: Provider,
        pub(super) request: &'a HttpRequest,
        pub(super) maybe_sent: bool,
        pub(super) attempts: u32,
    }

    impl Call<'_> {
        fn error(self, kind: ErrorKind, message: String) -> Error {
            let sent = if self.maybe_sent {
                Sent::MaybeSent
            } else {
                Sent::NotSent
            };
            Error::new(kind, sent, message)
                .with_provider(self.provider)
                .with_operation(self.request.operation)
                .with_attempts(self.attempts)
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn limit_closed(provider: Provider, request: &HttpRequest) -> Error {
        Error::config("the transport's concurrency limit was closed")
            .with_provider(provider)
            .with_operation(request.operation)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn no_place(call: Call<'_>, max: Option<usize>, limit: Limit) -> Error {
        let max = max.unwrap_or_default();
        call.error(
            ErrorKind::Timeout,
            format!("no free place under the limit of {max} calls in flight within {limit}"),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn no_rate_turn(call: Call<'_>, rate: RateLimit, limit: Limit) -> Error {
        let (calls, window) = (rate.calls(), rate.window());
        call.error(
            ErrorKind::Timeout,
            format!("no turn under the rate limit of {calls} calls per {window:?} within {limit}"),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn no_throttle_turn(call: Call<'_>, no_turn: NoTurn, limit: Limit) -> Error {
        let message = match no_turn {
            NoTurn::Paused => format!(
                "the provider answered this client 429 (too many requests); its pause ends after {limit}",
            ),
            NoTurn::Ramp => format!(
                "the provider answered this client 429 (too many requests); after the pause its requests resume a few at a time, and no place came free before {limit}",
            ),
        };
        call.error(ErrorKind::RateLimited, message)
    }

    /// A retry after a 429 that found no turn of the rate limit in time: the 429 is the
    /// answer; a first attempt that found none fails.
    #[cold]
    #[inline(never)]
    pub(super) fn no_rate_turn_or_429(
        call: &mut CallState,
        provider: Provider,
        request: &HttpRequest,
        rate: RateLimit,
        limit: Limit,
    ) -> Result<HttpResponse, Error> {
        if let Some(resp) = call.last_429_as_answer() {
            return Ok(resp);
        }
        Err(no_rate_turn(
            call.before_this_attempt(provider, request),
            rate,
            limit,
        ))
    }

    /// A call that the client's pause after a 429 keeps from sending in time: a retry after a
    /// 429 answers that 429, a first attempt fails.
    #[cold]
    #[inline(never)]
    pub(super) fn no_throttle_turn_or_429(
        call: &mut CallState,
        provider: Provider,
        request: &HttpRequest,
        no_turn: NoTurn,
        limit: Limit,
    ) -> Result<HttpResponse, Error> {
        if let Some(resp) = call.last_429_as_answer() {
            tracing::debug!(
                attempt = resp.attempts,
                "not retrying the 429: {limit} comes first"
            );
            return Ok(resp);
        }
        Err(no_throttle_turn(
            call.before_this_attempt(provider, request),
            no_turn,
            limit,
        ))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn caller_deadline_passed(call: Call<'_>) -> Error {
        deadline_passed(call, Limit::Caller)
    }

    fn deadline_passed(call: Call<'_>, limit: Limit) -> Error {
        call.error(
            ErrorKind::Timeout,
            format!("{limit} passed before this request was sent"),
        )
    }

    /// A call whose login failed before its attempt. A retry after a 429 whose login could
    /// not be had in time (the login timed out, or was itself answered 429) answers that 429,
    /// as any retry after a 429 that cannot go in time. Otherwise the login's error, its kind
    /// and status kept, with `Sent` speaking of this call's request, not of the login (a login
    /// that was answered or timed out may have reached the provider; this request did not).
    #[cold]
    #[inline(never)]
    pub(super) fn login_failed_or_429(
        call: &mut CallState,
        e: Error,
    ) -> Result<HttpResponse, Error> {
        if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::RateLimited)
            && let Some(resp) = call.last_429_as_answer()
        {
            tracing::debug!(
                attempt = resp.attempts,
                "not retrying the 429: no login in time"
            );
            return Ok(resp);
        }
        let e = e.with_attempts(call.attempts - 1);
        Err(if call.maybe_sent {
            e.with_sent(Sent::MaybeSent)
        } else if call.attempts == 1 {
            e.with_sent(Sent::NotSent)
        } else {
            // The earlier attempts were answered, and nothing they answered may have been
            // applied.
            e.with_sent(Sent::Answered)
        })
    }

    /// A call whose deadline passed before its next attempt: a retry after a 429 answers
    /// that 429; otherwise it times out, with what its earlier attempts may have sent.
    #[cold]
    #[inline(never)]
    pub(super) fn deadline_passed_or_429(
        call: &mut CallState,
        provider: Provider,
        request: &HttpRequest,
        limit: Limit,
    ) -> Result<HttpResponse, Error> {
        if let Some(resp) = call.last_429_as_answer() {
            tracing::debug!(
                attempt = resp.attempts,
                "not retrying the 429: {limit} passes before it could be answered"
            );
            return Ok(resp);
        }
        Err(deadline_passed(
            call.before_this_attempt(provider, request),
            limit,
        ))
    }

    /// A success whose body is larger than the limit: not read. A change answered so proves
    /// nothing (it may have been applied): never reported as answered (a refusal); see
    /// `change`.
    #[cold]
    #[inline(never)]
    pub(super) fn too_large(
        resp: &HttpResponse,
        provider: Provider,
        request: &HttpRequest,
        body_limit: usize,
    ) -> Error {
        let err = super::error_from_response(
            resp,
            provider,
            request.operation,
            format!(
                "the provider answered HTTP {}, but its answer is larger than the {} byte limit and was not read",
                resp.status, body_limit
            ),
        )
        .with_kind(ErrorKind::Decode);
        if request.method.is_safe() {
            err
        } else {
            crate::change::not_success(err, resp.status)
        }
    }
}

/// The tracing target of the event emitted before each retry (see [`Transport::send`]).
pub const RETRY_EVENT_TARGET: &str = "rescind::retry";

/// One INFO event, target [`RETRY_EVENT_TARGET`], before the transport waits to retry: fields
/// `provider` (its id), `status` (the HTTP status, when the attempt was answered) or `failure`
/// (`timed out`, `connection lost`, `connection refused`), `delay_ms` (the wait), `attempt`
/// (the attempt about to be made, 2 for the first retry) and `max_attempts`. A command-line
/// tool prints it as "Skip Pay answered 503; retrying in 2 s, attempt 2 of 3".
fn retry_event(provider: Provider, end: AttemptEnd, delay: Duration, attempts: u32, max: u32) {
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    let next = attempts + 1;
    match end {
        AttemptEnd::Status(status) => tracing::info!(
            target: RETRY_EVENT_TARGET,
            provider = provider.id(),
            status,
            delay_ms,
            attempt = next,
            max_attempts = max,
            "retrying"
        ),
        other => {
            let failure = match other {
                AttemptEnd::TimedOut => "timed out",
                AttemptEnd::ConnectionLost => "connection lost",
                _ => "connection refused",
            };
            tracing::info!(
                target: RETRY_EVENT_TARGET,
                provider = provider.id(),
                failure,
                delay_ms,
                attempt = next,
                max_attempts = max,
                "retrying"
            )
        }
    }
}

/// The retry event after a 429 (see [`retry_event`]): the same target and fields, `status`
/// 429 and `delay_ms` the client's pause, without `max_attempts` (a 429 is bounded by the
/// call's deadline, not by the attempts). A command-line tool prints it as "Arta answered 429;
/// retrying in 1.6 s".
pub(crate) fn throttle_event(provider: Provider, delay: Duration, attempts: u32) {
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        target: RETRY_EVENT_TARGET,
        provider = provider.id(),
        status = 429u16,
        delay_ms,
        attempt = attempts + 1,
        "retrying"
    );
}

fn request_id(headers: &http::HeaderMap, name: Option<&HeaderName>) -> Option<String> {
    let name = name?;
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An answer's status and headers, and the read of its body, capped at the config's limit
/// for its status. A function of its own, so that the response is moved into the read: kept
/// as a local of the attempt's future, it would be part of that future's state beside the
/// read that holds it too (136 bytes more per call, `print-type-sizes`).
fn start_read(
    mut response: reqwest::Response,
    config: &TransportConfig,
) -> (
    u16,
    http::HeaderMap,
    impl Future<Output = Result<(Bytes, bool), reqwest::Error>> + Send + use<>,
) {
    let status = response.status().as_u16();
    // Taken, not cloned: the body is read from the response without its headers.
    let headers = std::mem::take(response.headers_mut());
    let limit = if (200..300).contains(&status) {
        config.body_limit
    } else {
        config.error_body_limit
    };
    (status, headers, read_capped(response, limit))
}

/// Reads at most `limit` bytes of the body and drops the rest.
///
/// A block that reads the response it captured, rather than an `async fn`: an `async fn`
/// moves its argument into a local of its own, and its state holds the response twice (136
/// bytes more per call, `print-type-sizes`).
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would hold the response twice (see above)"
)]
fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> impl Future<Output = Result<(Bytes, bool), reqwest::Error>> + Send {
    async move {
        // Most answers come in one chunk: that chunk is the body, neither copied nor reallocated.
        let Some(first) = response.chunk().await? else {
            return Ok((Bytes::new(), false));
        };
        if first.len() > limit {
            return Ok((first.slice(..limit), true));
        }
        let Some(second) = response.chunk().await? else {
            return Ok((first, false));
        };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        let mut next = Some(second);
        loop {
            let chunk = match next.take() {
                Some(chunk) => chunk,
                None => match response.chunk().await? {
                    Some(chunk) => chunk,
                    None => break,
                },
            };
            let room = limit - buf.len();
            if chunk.len() > room {
                buf.extend_from_slice(&chunk[..room]);
                return Ok((buf.freeze(), true));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok((buf.freeze(), false))
    }
}

fn failed(e: &reqwest::Error, timeout: Duration) -> Attempt {
    // reqwest's messages carry the URL, never headers; the URL holds no secret (base URLs
    // with credentials are refused).
    if e.is_timeout() {
        Attempt::Failed {
            end: AttemptEnd::TimedOut,
            detail: format!("no answer within {timeout:?}"),
        }
    } else if e.is_connect() {
        Attempt::Failed {
            end: AttemptEnd::ConnectFailed,
            detail: format!("could not connect: {}", error_chain(e)),
        }
    } else {
        Attempt::Failed {
            end: AttemptEnd::ConnectionLost,
            detail: format!("the connection failed: {}", error_chain(e)),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Builds the error for a non-2xx answer with what every provider shares: kind from the status,
/// status, request id, attempts, the capped body, and [`Sent::MaybeSent`] when an earlier
/// attempt of the call may have been applied. Provider crates then add their code and message.
///
/// The error says [`Sent::Answered`] otherwise, which is right for a read and for a documented
/// refusal. For a change request, the provider crate reads the answer by the rule of
/// [`change`](crate::change): whatever is not a documented refusal becomes
/// [`Sent::MaybeSent`] ([`change::unproven`](crate::change::unproven)).
pub fn error_from_response(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
    message: impl Into<String>,
) -> Error {
    let sent = if response.earlier_attempt_maybe_sent {
        Sent::MaybeSent
    } else {
        Sent::Answered
    };
    let retry_after = response
        .header("retry-after")
        .and_then(|v| retry::parse_retry_after(v, jiff::Timestamp::now()));
    let mut err = Error::new(ErrorKind::from_status(response.status), sent, message)
        .with_provider(provider)
        .with_operation(operation)
        .with_status(response.status)
        .with_attempts(response.attempts)
        .with_retry_after(retry_after)
        .with_body(response.body_text());
    if let Some(id) = &response.request_id {
        err = err.with_request_id(id.clone());
    }
    err
}

#[cfg(test)]
mod tests {
    //! The call's end when its deadline passes between two attempts: a sleep sized to end
    //! before the deadline can wake after it (`pacer::TIMER_RESOLUTION`), which no test against a
    //! server can arrange on purpose (the CI run of `bare_429` that found it did by chance).
    use super::*;

    fn post() -> HttpRequest {
        HttpRequest::new("cancel", http::Method::POST, "/x", "/x")
    }

    #[test]
    fn a_retry_after_a_429_whose_deadline_passed_answers_that_429() {
        let mut call = CallState {
            attempts: 3,
            throttled: 2,
            last_429: Some(Box::new(HttpResponse::new(429, "slow down"))),
            ..CallState::default()
        };
        let limit = Limit::CallTimeout(Duration::from_millis(1_500));
        let resp = cold::deadline_passed_or_429(&mut call, Provider::Arta, &post(), limit)
            .expect("the last 429 is the answer");
        // Two attempts were sent; the third, which would start now, was not.
        assert_eq!((resp.status, resp.attempts), (429, 2));
        assert!(!resp.earlier_attempt_maybe_sent);
        assert!(call.last_429.is_none(), "taken");
    }

    #[test]
    fn a_retry_after_a_failure_whose_deadline_passed_times_out_with_what_was_sent() {
        let mut call = CallState {
            attempts: 2,
            retries: 1,
            maybe_sent: true,
            ..CallState::default()
        };
        let limit = Limit::CallTimeout(Duration::from_millis(1_500));
        let err = cold::deadline_passed_or_429(&mut call, Provider::Di, &post(), limit)
            .expect_err("nothing to answer with");
        assert_eq!(
            (err.kind(), err.sent(), err.attempts()),
            (ErrorKind::Timeout, Sent::MaybeSent, 1)
        );
        assert_eq!(
            err.message(),
            "the call timeout (1.5s) passed before this request was sent"
        );

        // Nothing sent before, nothing sent now: not sent, under the caller's deadline.
        let mut first = CallState {
            attempts: 1,
            ..CallState::default()
        };
        let err = cold::deadline_passed_or_429(&mut first, Provider::Di, &post(), Limit::Caller)
            .expect_err("nothing to answer with");
        assert_eq!(
            (err.kind(), err.sent(), err.attempts()),
            (ErrorKind::Timeout, Sent::NotSent, 0)
        );
        assert_eq!(
            err.message(),
            "the caller's deadline passed before this request was sent"
        );
    }
}
