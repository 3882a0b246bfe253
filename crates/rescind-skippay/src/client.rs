//! The Skip Pay [`Client`]: one partner account, one async method per endpoint.

use std::sync::Arc;
use std::time::Duration;

use rescind_core::{
    Auth, Error, ErrorDetail, Policy, Provider, Sent, TokenCache, Transport, TransportSettings,
};

use crate::auth::{Credentials, PartnerLogin};
use crate::model::{
    ApplicationCancelRequest, ApplicationResponse, CancelReason, Order, OrderCancelRequest,
    OrderItem,
};
use crate::request::{self, CANCEL_ORDER_ITEMS};
use crate::response;
use crate::rules;

/// Skip Pay's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.partner.skippay.cz";

/// How long before expiry a token is renewed.
pub const DEFAULT_TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// Builds a [`Client`]. Credentials are required; everything else has a default.
///
/// The same shape as the other providers' builders: `base_url`, and the transport setters
/// (`config`, `configure`, `http_client`, `max_concurrency`, `rate_limit`, `without_rate_limit`,
/// `attempt_timeout`, `call_timeout`, `retry`), then [`build`](ClientBuilder::build). Which
/// setting wins: the rule of
/// [`TransportSettings`](rescind_core::TransportSettings#which-setting-wins) (this builder's
/// setters, then the `TransportConfig` given, then the defaults: Skip Pay documents no
/// concurrency or rate limit, so there is none by default).
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    transport: TransportSettings,
    token_margin: Duration,
    canceller_reason: ApplicationCancelRequest,
    policy: Policy,
}

impl ClientBuilder {
    /// Sets the base URL (default [`DEFAULT_BASE_URL`]; Skip Pay gives partners their test
    /// host).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Sets the partner account.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    rescind_core::__transport_setters!();

    /// Sets how long before expiry the token is renewed (default [`DEFAULT_TOKEN_MARGIN`]).
    pub fn token_margin(mut self, margin: Duration) -> Self {
        self.token_margin = margin;
        self
    }

    /// Sets what the [`Canceller`](rescind_core::Canceller) sends when it cancels an
    /// application still PROCESSING (default: no reason, which Skip Pay reads as
    /// [`CancelReason::Other`]).
    pub fn canceller_reason(mut self, request: ApplicationCancelRequest) -> Self {
        self.canceller_reason = request;
        self
    }

    /// Sets how many requests a cancel spends (default [`Policy::CheckFirst`]: exact outcomes,
    /// what a single CLI call keeps); [`Policy::ChangeFirst`] sends a whole cancel or an item
    /// cancel without quantities without reading the application first. See
    /// [the policies](crate::cancel#policies); a call's
    /// [`CancelOptions`](rescind_core::CancelOptions) overrides it.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the client. Fails with a configuration error without credentials or with a bad
    /// base URL.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::config("Skip Pay needs credentials (username and password)")
                .with_provider(Provider::SkipPay)
        })?;
        rules::validate_application_cancel(&self.canceller_reason)?;
        let cache = Arc::new(TokenCache::new(
            Arc::new(PartnerLogin::new(credentials)),
            self.token_margin,
        ));
        let mut builder = Transport::builder(Provider::SkipPay, self.base_url)
            .auth(Auth::Bearer(cache.clone()))
            .config(self.transport.resolve(None, None))
            // No 429 is documented (reference: none); a 429 to a change proves nothing.
            .documented_429(false);
        if let Some(http) = self.transport.shared_http_client() {
            builder = builder.http_client(http.clone());
        }
        Ok(Client {
            transport: builder.build()?,
            tokens: cache,
            canceller_reason: self.canceller_reason,
            policy: self.policy,
        })
    }
}

/// A Skip Pay partner account. Cheap to clone; clones share the connection pool and the token.
///
/// Every method validates its input before sending and returns the core [`Error`]; see the
/// [crate docs](crate) for an example.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    tokens: Arc<TokenCache>,
    pub(crate) canceller_reason: ApplicationCancelRequest,
    policy: Policy,
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_string(),
            credentials: None,
            transport: TransportSettings::new(),
            token_margin: DEFAULT_TOKEN_MARGIN,
            canceller_reason: ApplicationCancelRequest::default(),
            policy: Policy::CheckFirst,
        }
    }

    /// The client's request [`Policy`] (set with [`ClientBuilder::policy`]).
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The transport (for its configuration and retry budget).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// A client for Skip Pay's production API with default settings: `Client::builder()`
    /// with the credentials. Fails as [`ClientBuilder::build`] does; nothing is sent.
    pub fn new(credentials: Credentials) -> Result<Client, Error> {
        Client::builder().credentials(credentials).build()
    }

    /// The shared login token cache (for its login count, or to prime it with a kept token).
    pub fn token_cache(&self) -> &Arc<TokenCache> {
        &self.tokens
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

    /// Reads an application: its state, state reason, financing type and order.
    ///
    /// Cancel-safe: it only reads; dropping the future midway changes nothing.
    pub async fn get_application(
        &self,
        application_id: &str,
    ) -> Result<ApplicationResponse, Error> {
        let req = request::get_application(application_id)?;
        let resp = self.transport.send(&req).await?;
        response::parse_get_application(&resp)
    }

    /// Marks the whole order ([`OrderCancelRequest::whole`]) or some of its items cancelled.
    /// Skip Pay allows it only while the application is READY; the
    /// [`Canceller`](rescind_core::Canceller) checks that first, this method does not.
    ///
    /// A cancel with quantities is never re-sent after it may have reached Skip Pay. If that
    /// happens (a timeout, a lost connection, an answer that proves nothing: see
    /// [`response::parse_cancel_order_items`]), this method reads the application back and
    /// returns an error with [`Sent::MaybeSent`] whose details list each named item's state
    /// now, or say that the state could not be read: decide from them, do not call again
    /// blindly.
    ///
    /// Cancel-safe in the same sense: dropping the future after the request was sent leaves
    /// the outcome unknown, and the read-back above does not happen. Read the application
    /// with [`Client::get_application`] (or
    /// [`Canceller::observe`](rescind_core::Canceller::observe)) before deciding; a whole-order
    /// cancel can be rerun through the [`Canceller`](rescind_core::Canceller), which reads
    /// first and reports an order already cancelled as such.
    pub async fn cancel_order_items(
        &self,
        application_id: &str,
        request: &OrderCancelRequest,
    ) -> Result<Order, Error> {
        let req = request::cancel_order_items(application_id, request)?;
        let answer = match self.transport.send(&req).await {
            Ok(resp) => response::parse_order_cancel_of(&resp, application_id, req.operation),
            Err(err) => Err(err),
        };
        match answer {
            Err(err) if err.sent() == Sent::MaybeSent && !req.idempotent => {
                Err(self.settle_maybe_sent(application_id, request, err).await)
            }
            other => other,
        }
    }

    /// Cancels an application (for one still PROCESSING, where an order cancel is not
    /// available; or READY before anything is sent) with one of the documented reasons.
    ///
    /// Cancel-safe: dropping the future after the request was sent leaves the outcome
    /// unknown, like a lost answer; read the application's state back with
    /// [`Client::get_application`] to settle it.
    pub async fn cancel_application(
        &self,
        application_id: &str,
        reason: CancelReason,
    ) -> Result<ApplicationResponse, Error> {
        self.cancel_application_with(application_id, &ApplicationCancelRequest::new(reason))
            .await
    }

    /// Cancels an application with a full request (a reason and a custom reason, or neither).
    ///
    /// Cancel-safe as [`Client::cancel_application`] is.
    pub async fn cancel_application_with(
        &self,
        application_id: &str,
        request: &ApplicationCancelRequest,
    ) -> Result<ApplicationResponse, Error> {
        let req = request::cancel_application(application_id, request)?;
        let resp = self.transport.send(&req).await?;
        response::parse_cancel_application(&resp, application_id)
    }

    /// After a partial cancel may have been applied: read the order back and report what it
    /// says about the named items, instead of re-sending.
    async fn settle_maybe_sent(
        &self,
        application_id: &str,
        request: &OrderCancelRequest,
        err: Error,
    ) -> Error {
        let (summary, details) = match self.get_application(application_id).await {
            Ok(app) => match &app.order {
                Some(order) => item_states(order, request),
                None => (
                    "the application was read back without its order: the items' states are unknown".to_string(),
                    Vec::new(),
                ),
            },
            Err(read_err) => (
                format!("reading the order back failed, the items' states are unknown: {read_err}"),
                Vec::new(),
            ),
        };
        let mut settled = Error::new(
            err.kind(),
            Sent::MaybeSent,
            format!(
                "{}; the partial cancel was not re-sent (it has quantities); {summary}",
                err.message()
            ),
        )
        .with_provider(Provider::SkipPay)
        .with_operation(CANCEL_ORDER_ITEMS)
        .with_attempts(err.attempts())
        .with_details(details);
        if let Some(status) = err.status() {
            settled = settled.with_status(status);
        }
        if let Some(id) = err.request_id() {
            settled = settled.with_request_id(id);
        }
        settled.with_source(err)
    }
}

/// One detail per named item with its state now, and a one-line summary.
fn item_states(order: &Order, request: &OrderCancelRequest) -> (String, Vec<ErrorDetail>) {
    let mut details = Vec::new();
    let mut parts = Vec::new();
    for (i, selector) in request.items.iter().enumerate() {
        let matched: Vec<&OrderItem> = order
            .items
            .iter()
            .filter(|item| rules::item_matches(selector, item))
            .collect();
        let state = if matched.is_empty() {
            "unknown (no such item in the order)".to_string()
        } else {
            matched
                .iter()
                .map(|m| {
                    let state = m.state.as_ref().map_or("unknown", |s| s.as_str());
                    match m.quantity {
                        Some(q) => format!("{state} (quantity {q})"),
                        None => state.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        parts.push(format!("items[{i}]: {state}"));
        details.push(
            ErrorDetail::new(format!("state now: {state}")).with_field(format!("items[{i}]")),
        );
    }
    (
        format!("read back, the items are: {}", parts.join("; ")),
        details,
    )
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
                .credentials(Credentials::new("u", "p"))
                .config(given.clone()),
        );
        assert_eq!(c.max_concurrency, Some(2));
        assert_eq!(c.rate_limit, Some(RateLimit::per_minute(30)));
        assert_eq!(c.call_timeout, Duration::from_secs(7));

        // Explicit setters win, called before or after `config`.
        for b in [
            Client::builder()
                .credentials(Credentials::new("u", "p"))
                .max_concurrency(3)
                .call_timeout(Duration::from_secs(4))
                .config(given.clone()),
            Client::builder()
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
            .credentials(Credentials::new("u", "p"))
            .http_client(pool.clone())
            .build()
            .unwrap();
        let b = Client::builder()
            .credentials(Credentials::new("u", "p"))
            .http_client(pool)
            .build()
            .unwrap();
        let own = Client::builder()
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap();
        assert!(a.transport().shares_connections_with(b.transport()));
        assert!(!a.transport().shares_connections_with(own.transport()));
    }
}
