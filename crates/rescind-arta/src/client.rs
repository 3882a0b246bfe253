//! The Arta client: one account (one API key), one method per endpoint.

use http::HeaderName;
use rescind_core::wire::Tolerant;
use rescind_core::{Error, HttpRequest, Policy, Provider, Transport, TransportSettings};
use serde::de::DeserializeOwned;

use crate::auth::{ApiKey, KeyKind};
use crate::model::{HostedSession, NewShipmentException, Page, Shipment, ShipmentException};
use crate::request;
use crate::response::{self, Response};

/// Arta's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.arta.io";

/// The header carrying Arta's request id on every answer.
pub const REQUEST_ID_HEADER: &str = "x-arta-request-id";

/// Arta allows 15 concurrent calls per live key (10 per test key, see [`KeyKind`]); the client
/// queues beyond this instead of earning 429s.
pub const DEFAULT_MAX_CONCURRENCY: usize = 15;

/// An Arta client for one account. Cheap to clone: clones share connections, the concurrency
/// limit, the rate limit and the retry budget.
///
/// Every method returns the decoded value with Arta's request id ([`Response`]), or an
/// [`Error`] that says whether the request may have reached Arta.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    policy: Policy,
}

/// Builds a [`Client`]. Only the API key is required.
///
/// The same shape as the other providers' builders: `base_url`, and the transport setters
/// (`config`, `configure`, `http_client`, `max_concurrency`, `rate_limit`, `without_rate_limit`,
/// `attempt_timeout`, `call_timeout`, `retry`), then [`build`](ClientBuilder::build).
///
/// # Limits: which setting wins
///
/// The client stays under Arta's documented limits for its [`KeyKind`] (default live): at
/// most 15 calls in flight (10 for a test key) and 970 calls in any minute (485), 97 % of the
/// documented 1,000 (500) since Arta does not say how its minute is measured. Each setting is
/// taken by the rule of [`TransportSettings`](rescind_core::TransportSettings#which-setting-wins),
/// explicit before default, never silently replaced:
///
/// 1. this builder's [`max_concurrency`](ClientBuilder::max_concurrency) /
///    [`rate_limit`](ClientBuilder::rate_limit) / [`without_rate_limit`](ClientBuilder::without_rate_limit)
///    (and the timeouts and retry setters);
/// 2. the [`TransportConfig`](rescind_core::TransportConfig) given to
///    [`config`](ClientBuilder::config), when its `max_concurrency` / `rate_limit` is `Some`;
/// 3. the key kind's default ([`KeyKind::documented_concurrency`],
///    [`KeyKind::default_rate_limit`]).
///
/// ```
/// use rescind_arta::{Client, KeyKind};
///
/// let client = Client::builder().api_key("k").key_kind(KeyKind::Test).build().unwrap();
/// let config = client.transport().config();
/// assert_eq!(config.max_concurrency, Some(10));
/// assert_eq!(config.rate_limit.map(|r| r.calls()), Some(485));
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: String,
    key_kind: KeyKind,
    transport: TransportSettings,
    policy: Policy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            key_kind: KeyKind::Live,
            transport: TransportSettings::new(),
            policy: Policy::CheckFirst,
        }
    }
}

impl ClientBuilder {
    /// Sets the private API key (required).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Sets the base URL (default [`DEFAULT_BASE_URL`]); a simulator or a test server on
    /// loopback, for instance. A path prefix is kept.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Says which kind of key this is (default [`KeyKind::Live`]): sets the defaults of the
    /// concurrency and rate limits (see [the rule](ClientBuilder#limits-which-setting-wins)).
    pub fn key_kind(mut self, kind: KeyKind) -> Self {
        self.key_kind = kind;
        self
    }

    rescind_core::__transport_setters!();

    /// Sets how many requests a cancel spends (default [`Policy::CheckFirst`]: exact outcomes,
    /// what a single CLI call keeps); [`Policy::ChangeFirst`] sends the hosted session's
    /// cancel without reading it first. See [the policies](crate::cancel#policies); a call's
    /// [`CancelOptions`](rescind_core::CancelOptions) overrides it.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the client. Fails with [`ErrorKind::Config`](rescind_core::ErrorKind) without a
    /// key, with an unusable key, or with a bad base URL; the error never shows the key.
    /// Nothing is sent.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or_else(|| {
            Error::config("an Arta API key is required").with_provider(Provider::Arta)
        })?;
        let auth = key.to_auth().map_err(|e| e.with_provider(Provider::Arta))?;
        let config = self
            .transport
            .resolve(
                Some(self.key_kind.documented_concurrency()),
                Some(self.key_kind.default_rate_limit()),
            )
            .with_request_id_header(HeaderName::from_static(REQUEST_ID_HEADER));
        // Arta documents its 429 as the answer past its limits (reference, x-topic "Rate
        // Limits": "Exceeding → 429 Too Many Requests", with retry logic recommended): a
        // refusal before processing, so a change is retried after it with an exact outcome.
        let mut builder = Transport::builder(Provider::Arta, self.base_url)
            .auth(auth)
            .config(config)
            .documented_429(true);
        if let Some(client) = self.transport.shared_http_client() {
            builder = builder.http_client(client.clone());
        }
        Ok(Client {
            transport: builder.build()?,
            policy: self.policy,
        })
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for Arta's production API with default settings.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Client, Error> {
        Client::builder().api_key(api_key).build()
    }

    /// The client's request [`Policy`] (set with [`ClientBuilder::policy`]).
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The transport, for its configuration and retry budget.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends a request and reads its answer (a change's unreadable 2xx answer as
    /// [`response::parse_change`] does).
    async fn call<T: DeserializeOwned>(&self, req: HttpRequest) -> Result<Response<T>, Error> {
        let resp = self.transport.send(&req).await?;
        if req.method.is_safe() {
            response::parse(&resp, req.operation)
        } else {
            response::parse_change(&resp, req.operation)
        }
    }

    /// [`Client::call`] for a model that names what its operations decide on: a malformed
    /// field none needs is skipped, not an error ([`response::parse_tolerant`]).
    async fn call_tolerant<T: Tolerant>(&self, req: HttpRequest) -> Result<Response<T>, Error> {
        let resp = self.transport.send(&req).await?;
        response::parse_tolerant(&resp, req.operation, !req.method.is_safe())
    }

    /// Cancels a hosted session: `PATCH /hosted_sessions/{id}/cancel`. Returns the session as
    /// Arta answers it. Idempotent, so it is retried after timeouts and 5xx. A missing session
    /// is [`ErrorKind::NotFound`](rescind_core::ErrorKind).
    ///
    /// Cancel-safe: dropping the future after the request was sent leaves the outcome
    /// unknown, like a lost answer. The cancel is idempotent: call it again, or read the
    /// session back with [`Client::get_hosted_session`], to settle it.
    pub async fn cancel_hosted_session(&self, id: u64) -> Result<Response<HostedSession>, Error> {
        self.call_tolerant(request::cancel_hosted_session(id)).await
    }

    /// Reads a hosted session: `GET /hosted_sessions/{id}`.
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn get_hosted_session(&self, id: u64) -> Result<Response<HostedSession>, Error> {
        self.call_tolerant(request::get_hosted_session(id)).await
    }

    /// Reads a shipment: `GET /shipments/{id}` (its status, creation time and exceptions).
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn get_shipment(&self, id: &str) -> Result<Response<Shipment>, Error> {
        self.call_tolerant(request::get_shipment(id)?).await
    }

    /// Creates a shipment exception: `POST /shipment_exceptions`, 201. **Sent at most once**:
    /// after a timeout the error says [`Sent::MaybeSent`](rescind_core::Sent) and nothing is
    /// resent. This method checks only the request's own format; use
    /// [`Client::hold_shipment`] to check Arta's hold rules first and settle an unknown outcome.
    ///
    /// Cancel-safe in the same sense: dropping the future after the request was sent leaves
    /// unknown whether the exception was created, like a lost answer. Do not call it again
    /// blindly: read the shipment's exceptions back ([`Client::get_shipment`], or
    /// [`Canceller::observe`](rescind_core::Canceller::observe)), or use
    /// [`Client::hold_shipment`], which reads them before sending and so never holds twice.
    pub async fn create_shipment_exception(
        &self,
        new: &NewShipmentException,
    ) -> Result<Response<ShipmentException>, Error> {
        self.call_tolerant(request::create_shipment_exception(new)?)
            .await
    }

    /// Reads a shipment exception: `GET /shipment_exceptions/{id}`.
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn get_shipment_exception(
        &self,
        id: &str,
    ) -> Result<Response<ShipmentException>, Error> {
        self.call_tolerant(request::get_shipment_exception(id)?)
            .await
    }

    /// Lists shipment exceptions, one page: `GET /shipment_exceptions?page=&page_size=`.
    /// `page` starts at 1; `page_size` is 1 to 50.
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn list_shipment_exceptions(
        &self,
        page: u32,
        page_size: u32,
    ) -> Result<Response<Page<ShipmentException>>, Error> {
        self.call(request::list_shipment_exceptions(page, page_size)?)
            .await
    }
}

#[cfg(test)]
mod limit_tests {
    use std::time::Duration;

    use rescind_core::{RateLimit, TransportConfig};

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

        let c = config(Client::builder().api_key("k").config(given.clone()));
        assert_eq!(c.max_concurrency, Some(2));
        assert_eq!(c.rate_limit, Some(RateLimit::per_minute(30)));
        assert_eq!(c.call_timeout, Duration::from_secs(7));

        // Explicit setters win, called before or after `config`.
        for b in [
            Client::builder()
                .api_key("k")
                .max_concurrency(3)
                .call_timeout(Duration::from_secs(4))
                .config(given.clone()),
            Client::builder()
                .api_key("k")
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
                .api_key("k")
                .configure(|c| c.with_attempt_timeout(Duration::from_secs(2)))
                .retry(RetryPolicy::default().with_max_attempts(1))
                .without_rate_limit(),
        );
        assert_eq!(c.attempt_timeout, Duration::from_secs(2));
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.max_concurrency, Some(15));

        // One pool, shared.
        let pool = rescind_core::HttpClient::new().unwrap();
        let a = Client::builder()
            .api_key("k")
            .http_client(pool.clone())
            .build()
            .unwrap();
        let b = Client::builder()
            .api_key("k")
            .http_client(pool)
            .build()
            .unwrap();
        let own = Client::builder().api_key("k").build().unwrap();
        assert!(a.transport().shares_connections_with(b.transport()));
        assert!(!a.transport().shares_connections_with(own.transport()));
    }

    fn limits(builder: ClientBuilder) -> (Option<usize>, Option<RateLimit>) {
        let client = builder.api_key("k").build().unwrap();
        let config = client.transport().config();
        (config.max_concurrency, config.rate_limit)
    }

    #[test]
    fn explicit_settings_beat_the_key_kinds_defaults() {
        // Defaults from the key kind.
        assert_eq!(
            limits(Client::builder()),
            (Some(15), Some(RateLimit::per_minute(970)))
        );
        assert_eq!(
            limits(Client::builder().key_kind(KeyKind::Test)),
            (Some(10), Some(RateLimit::per_minute(485)))
        );
        // The config's explicit values beat the key kind, whichever is set first.
        let config = TransportConfig::default()
            .with_max_concurrency(3)
            .with_rate_limit(RateLimit::per_minute(100));
        let from_config = (Some(3), Some(RateLimit::per_minute(100)));
        assert_eq!(
            limits(
                Client::builder()
                    .config(config.clone())
                    .key_kind(KeyKind::Test)
            ),
            from_config
        );
        assert_eq!(
            limits(
                Client::builder()
                    .key_kind(KeyKind::Test)
                    .config(config.clone())
            ),
            from_config
        );
        // The builder's own setters beat the config.
        let window = RateLimit::per_minute(7).with_window(Duration::from_millis(600));
        assert_eq!(
            limits(
                Client::builder()
                    .max_concurrency(2)
                    .rate_limit(window)
                    .config(config.clone())
            ),
            (Some(2), Some(window))
        );
        assert_eq!(
            limits(Client::builder().without_rate_limit().config(config)),
            (Some(3), None)
        );
    }
}
