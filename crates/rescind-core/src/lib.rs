//! The core of rescind: the [`Canceller`] trait every provider implements, the request and
//! outcome types it speaks, the one [`Error`] type, and the one HTTP [`Transport`].
//!
//! You rarely depend on this crate alone: a provider crate (`rescind-arta`, `rescind-di`,
//! `rescind-skippay`) or the `rescind` facade re-exports what you need. This crate is where the
//! shared vocabulary is defined:
//!
//! - [`Canceller`]: `cancel(CancelRequest) -> Result<CancelOutcome, Error>`, object safe, so
//!   `Arc<dyn Canceller>` works for any provider.
//! - [`CancelRequest`]: a target id and a [`Scope`]: the whole target, some items
//!   ([`ItemSelector`]), or a hold with an optional end date.
//! - [`CancelOutcome`]: what happened, as a [`CancelStatus`] (cancelled, partially cancelled,
//!   already cancelled, held), with the provider's request id and its typed response.
//! - [`Error`]: an [`ErrorKind`] to branch on, and [`Sent`]: whether the request may have reached
//!   the provider. A cancel whose outcome is unknown is never reported as a success.
//!
//! ```
//! use rescind_core::{CancelOutcome, CancelStatus, Error, ErrorKind, Provider, Sent};
//!
//! fn report(result: Result<CancelOutcome, Error>) -> String {
//!     match result {
//!         Ok(outcome) if outcome.is_cancelled() => format!("{}: {}", outcome.target, outcome.status),
//!         Ok(outcome) => format!("{}: {}", outcome.target, outcome.status),
//!         Err(err) if err.sent() == Sent::MaybeSent => format!("unknown, check the target: {err}"),
//!         Err(err) if err.kind() == ErrorKind::NotCancellable => format!("refused: {err}"),
//!         Err(err) => format!("failed: {err}"),
//!     }
//! }
//!
//! let done = CancelOutcome::new(Provider::Di, "70724761617883184", CancelStatus::AlreadyCancelled);
//! assert_eq!(report(Ok(done)), "70724761617883184: already cancelled");
//! let refused = Error::not_cancellable(Sent::NotSent, "the parcel is in transit");
//! assert_eq!(report(Err(refused)), "refused: not cancellable: the parcel is in transit (nothing was sent)");
//! ```
//!
//! Provider crates are *sans-IO*: they build [`HttpRequest`]s and read [`HttpResponse`]s as
//! plain data; the [`Transport`] sends them with retries ([`retry`]), timeouts, a concurrency
//! limit, authentication (a fixed header, or a login shared through a [`TokenCache`]) and a
//! `tracing` span per call that never records credentials.

#![forbid(unsafe_code)]

mod canceller;
pub mod change;
mod clock;
mod credentials;
pub mod deadline;
pub mod decode;
mod error;
pub mod http;
mod observation;
pub mod open_enum;
mod options;
mod outcome;
pub mod pacer;
mod plan;
mod provider;
mod request;
pub mod retry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod token;
pub mod trace;
mod transport;
pub mod wire;

pub use canceller::Canceller;
pub use clock::Clock;
pub use credentials::Credentials;
pub use error::{Error, ErrorDetail, ErrorKind, Sent};
pub use http::{HttpRequest, HttpResponse};
pub use observation::{Observation, ObservedHold, ObservedItem, Settlement, settle};
pub use options::{CancelOptions, Policy};
pub use outcome::{CancelOutcome, CancelStatus, SettledBy};
pub use pacer::RateLimit;
pub use plan::{Plan, Prediction, Refusal};
pub use provider::{Capabilities, Provider};
pub use request::{CancelRequest, ItemSelector, Scope};
pub use token::{Login, LoginFailure, Token, TokenCache};
pub use transport::{
    Auth, HttpClient, RETRY_EVENT_TARGET, Transport, TransportBuilder, TransportConfig,
    TransportSettings, USER_AGENT, error_from_response,
};

/// Re-exported so that users and provider crates name one version: the third-party crates
/// whose types appear in the public API (the public dependency policy, checked by
/// `cargo xtask public-api`).
pub use async_trait::async_trait;
pub use bytes;
pub use jiff;
pub use rust_decimal;
pub use secrecy;
pub use serde_json;
pub use tokio;

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
