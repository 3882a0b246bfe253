//! The Arta client: one account (one API key), one method per endpoint.

use http::HeaderName;
use rescind_core::wire::Tolerant;
use rescind_core::{Error, HttpRequest, Provider, Transport, TransportConfig};
use serde::de::DeserializeOwned;

use crate::auth::ApiKey;
use crate::model::{HostedSession, NewShipmentException, Page, Shipment, ShipmentException};
use crate::request;
use crate::response::{self, Response};

/// Arta's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.arta.io";

/// The header carrying Arta's request id on every answer.
pub const REQUEST_ID_HEADER: &str = "x-arta-request-id";

/// Arta allows 15 concurrent calls per live key (10 per test key); the client queues beyond
/// this instead of earning 429s.
pub const DEFAULT_MAX_CONCURRENCY: usize = 15;

/// An Arta client for one account. Cheap to clone: clones share connections, the concurrency
/// limit and the retry budget.
///
/// Every method returns the decoded value with Arta's request id ([`Response`]), or an
/// [`Error`] that says whether the request may have reached Arta.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
}

/// Builds a [`Client`]. Only the API key is required.
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: String,
    max_concurrency: usize,
    config: TransportConfig,
    http_client: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            config: TransportConfig::default(),
            http_client: None,
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

    /// Sets the most calls in flight at once (default [`DEFAULT_MAX_CONCURRENCY`]; use 10 for
    /// a test key). More calls wait in line.
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = max.max(1);
        self
    }

    /// Sets the transport's timeouts, limits and retry policy. The request-id header and the
    /// concurrency limit are always set from this builder, over whatever `config` says.
    pub fn config(mut self, config: TransportConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses the caller's `reqwest::Client` (proxy, TLS roots, connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Builds the client. Fails with [`ErrorKind::Config`](rescind_core::ErrorKind) without a
    /// key, with an unusable key, or with a bad base URL; the error never shows the key.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or_else(|| {
            Error::config("an Arta API key is required").with_provider(Provider::Arta)
        })?;
        let auth = key.to_auth().map_err(|e| e.with_provider(Provider::Arta))?;
        let config = self
            .config
            .with_request_id_header(HeaderName::from_static(REQUEST_ID_HEADER))
            .with_max_concurrency(self.max_concurrency);
        let mut builder = Transport::builder(Provider::Arta, self.base_url)
            .auth(auth)
            .config(config);
        if let Some(client) = self.http_client {
            builder = builder.client(client);
        }
        Ok(Client {
            transport: builder.build()?,
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
    pub async fn cancel_hosted_session(&self, id: u64) -> Result<Response<HostedSession>, Error> {
        self.call_tolerant(request::cancel_hosted_session(id)).await
    }

    /// Reads a hosted session: `GET /hosted_sessions/{id}`.
    pub async fn get_hosted_session(&self, id: u64) -> Result<Response<HostedSession>, Error> {
        self.call_tolerant(request::get_hosted_session(id)).await
    }

    /// Reads a shipment: `GET /shipments/{id}` (its status, creation time and exceptions).
    pub async fn get_shipment(&self, id: &str) -> Result<Response<Shipment>, Error> {
        self.call_tolerant(request::get_shipment(id)?).await
    }

    /// Creates a shipment exception: `POST /shipment_exceptions`, 201. **Sent at most once**:
    /// after a timeout the error says [`Sent::MaybeSent`](rescind_core::Sent) and nothing is
    /// resent. This method checks only the request's own format; use
    /// [`Client::hold_shipment`] to check Arta's hold rules first and settle an unknown outcome.
    pub async fn create_shipment_exception(
        &self,
        new: &NewShipmentException,
    ) -> Result<Response<ShipmentException>, Error> {
        self.call_tolerant(request::create_shipment_exception(new)?)
            .await
    }

    /// Reads a shipment exception: `GET /shipment_exceptions/{id}`.
    pub async fn get_shipment_exception(
        &self,
        id: &str,
    ) -> Result<Response<ShipmentException>, Error> {
        self.call_tolerant(request::get_shipment_exception(id)?)
            .await
    }

    /// Lists shipment exceptions, one page: `GET /shipment_exceptions?page=&page_size=`.
    /// `page` starts at 1; `page_size` is 1 to 50.
    pub async fn list_shipment_exceptions(
        &self,
        page: u32,
        page_size: u32,
    ) -> Result<Response<Page<ShipmentException>>, Error> {
        self.call(request::list_shipment_exceptions(page, page_size)?)
            .await
    }
}
