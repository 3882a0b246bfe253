//! **rescind-arta**: the [Arta](https://api-reference.arta.io) client of the rescind SDK.
//! Cancel hosted sessions, put shipments on hold, and read what decides whether you may.
//!
//! Usable alone (it needs only `rescind-core`) or through the `rescind` facade's `arta`
//! feature and the [`Canceller`](rescind_core::Canceller) trait.
//!
//! | method | endpoint |
//! |---|---|
//! | [`Client::cancel_hosted_session`] | `PATCH /hosted_sessions/{id}/cancel` |
//! | [`Client::get_hosted_session`] | `GET /hosted_sessions/{id}` |
//! | [`Client::get_shipment`] | `GET /shipments/{id}` |
//! | [`Client::create_shipment_exception`] | `POST /shipment_exceptions` |
//! | [`Client::get_shipment_exception`] | `GET /shipment_exceptions/{id}` |
//! | [`Client::list_shipment_exceptions`] | `GET /shipment_exceptions` |
//! | [`Client::hold_shipment`] | read, check the [`rules`], create once, settle by reading back |
//!
//! What the client takes care of:
//!
//! - **Auth**: `Authorization: ARTA_APIKey <key>`; the key is never shown in `Debug`, errors
//!   or logs.
//! - **Limits**: at most 15 calls in flight per client (Arta's limit for a live key;
//!   configurable); a 429 is retried with backoff.
//! - **Retry safety**: the cancel is idempotent and retried after timeouts; the exception
//!   create is not, and is never resent. [`Client::hold_shipment`] settles an unknown outcome
//!   by reading the shipment's exceptions back.
//! - **Errors**: every documented error body ([`error`]) maps to a core
//!   [`ErrorKind`](rescind_core::ErrorKind), with Arta's messages and its
//!   `x-arta-request-id` kept; results carry the request id too ([`Response`]).
//! - **Forward compatibility**: unknown fields are ignored, unknown statuses and types are
//!   kept as their raw strings.
//!
//! # The `Canceller` trait
//!
//! [`Client`] implements [`rescind_core::Canceller`]:
//!
//! - `Scope::Whole`: the target is a hosted session id, digits only (`"42"`); anything else is
//!   invalid input, before sending. Under `Policy::CheckFirst` (the default) the session is
//!   **read first**: one already `cancelled` is reported as `AlreadyCancelled` and no cancel
//!   is sent (Arta documents only 200 and 404 for the cancel, not what a second cancel does);
//!   under `Policy::ChangeFirst` the cancel is sent first, one request, and the outcome says
//!   it cannot tell "cancelled before" (see [`cancel`]'s policies). A 200 to the cancel is `Cancelled`. A
//!   refused cancel (400, 409, 422) or one whose outcome stays unknown after retries is
//!   settled by reading the session again.
//! - `Scope::Hold`: the target is a shipment id; see [`Client::hold_shipment`]. The outcome is
//!   `Held { until }`, with the exception as its native value.
//! - `Scope::Items`: `Unsupported`, before sending.
//!
//! # Readings of ambiguous docs
//!
//! - The hold window: `hold_until` up to the shipment's creation date **plus 30 days,
//!   inclusive**; see [`rules`] for why this satisfies both of Arta's phrasings.
//! - A shipment in a status Arta does not document is not `pending` or `confirmed`, so a hold
//!   is refused.
//! - An unresolved `requested_hold_to_collect` exception to the same date (or any, when no
//!   date is asked) already holds the shipment: reported as held, nothing posted.
//!
//! # Example
//!
//! ```
//! use rescind_arta::{Client, model::HostedSessionStatus};
//! use rescind_core::{CancelRequest, CancelStatus, Canceller};
//!
//! # let server = httpmock::MockServer::start();
//! # let session = |status: &str| include_str!("../tests/fixtures/hosted_session_cancel_200.json")
//! #     .replace(r#""status": "new""#, &format!(r#""status": "{status}""#));
//! # server.mock(|when, then| {
//! #     when.method("GET").path("/hosted_sessions/42");
//! #     then.status(200).header("x-arta-request-id", "req-1").body(session("new"));
//! # });
//! # let cancel = server.mock(|when, then| {
//! #     when.method("PATCH").path("/hosted_sessions/42/cancel")
//! #         .header("authorization", "ARTA_APIKey my-key");
//! #     then.status(200).header("x-arta-request-id", "req-2").body(session("cancelled"));
//! # });
//! # let base_url = server.base_url();
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let client = Client::builder()
//!     .api_key("my-key")
//!     .base_url(base_url) // default: https://api.arta.io
//!     .build()?;
//!
//! // Arta's own API: the typed hosted session, with the request id.
//! let session = client.get_hosted_session(42).await?;
//! assert_eq!(session.status, HostedSessionStatus::New);
//! assert_eq!(session.request_id.as_deref(), Some("req-1"));
//!
//! // The common trait: a whole cancel of hosted session 42.
//! let outcome = client.cancel(CancelRequest::whole("42")).await?;
//! assert_eq!(outcome.status, CancelStatus::Cancelled);
//! assert_eq!(outcome.request_id.as_deref(), Some("req-2"));
//! # cancel.assert_calls(1);
//! # Ok::<(), rescind_core::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

pub mod auth;
pub mod cancel;
pub mod client;
#[doc(hidden)]
pub mod conformance;
pub mod error;
mod hold;
pub mod model;
pub mod request;
pub mod response;
pub mod rules;

pub use auth::{ApiKey, KeyKind};
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_CONCURRENCY, REQUEST_ID_HEADER,
};
pub use hold::{Hold, HoldSettled};
pub use model::ArtaCancel;
pub use response::Response;
