//! **rescind**: cancel and hold orders, shipments and checkout sessions at Arta, Di and Skip
//! Pay, through one async trait or each provider alone.
//!
//! This facade re-exports [`rescind_core`] (the [`Canceller`] trait, [`CancelRequest`],
//! [`CancelOutcome`], [`Error`]) and, behind one cargo feature per provider, each provider's
//! crate under its own module:
//!
//! | feature | module | provider |
//! |---|---|---|
//! | `arta` | `rescind::arta` | Arta: cancel hosted sessions, hold shipments |
//! | `di` | `rescind::di` | Di: cancel booked parcel orders |
//! | `skippay` | `rescind::skippay` | Skip Pay: cancel whole orders or some items |
//!
//! With the `bulk` feature (on by default), [`bulk`] runs many cancels from a CSV or JSON Lines
//! file with a journal that survives a crash and never cancels twice.
//!
//! All three providers are on by default. The features are additive: any subset builds. A [`Registry`]
//! holds several accounts by name, built in code or [from the environment](mod@env).
//!
//! The examples below run against `rescind-sim`, the local simulator of the three providers,
//! with its demo data set; against the real providers only the base URL and credentials change.
//!
//! # Arta: cancel a hosted session, hold a shipment
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = rescind_sim::Simulator::new()
//! #     .clock(rescind_sim::Clock::fixed(rescind_sim::arta::DEMO_NOW.parse()?))
//! #     .start().await?;
//! # let base_url = sim.base_url();
//! use rescind::{CancelRequest, CancelStatus, Canceller, arta};
//!
//! let client = arta::Client::builder()
//!     .api_key("sim_arta_demo_0123456789abcdef")
//!     .base_url(&base_url) // https://api.arta.io by default
//!     .build()?;
//! let outcome = client.cancel(CancelRequest::whole("42")).await?;
//! assert_eq!(outcome.status, CancelStatus::Cancelled);
//! assert!(outcome.request_id.is_some()); // Arta's x-arta-request-id
//!
//! let until = rescind::core::jiff::civil::date(2026, 12, 1);
//! let held = client
//!     .cancel(CancelRequest::hold("6b12c76a-5217-4cd6-82d8-7aa5265ebaad", Some(until)))
//!     .await?;
//! assert_eq!(held.status, CancelStatus::Held { until: Some(until) });
//! # Ok(())
//! # }
//! ```
//!
//! # Di: cancel a booked parcel order
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = rescind_sim::Simulator::new().start().await?;
//! # let base_url = sim.base_url();
//! use rescind::{CancelRequest, CancelStatus, Canceller, ErrorKind, Sent, di};
//!
//! let client = di::Client::builder()
//!     .base_url(&base_url) // or .test() / .production(): there is no default
//!     .credentials(di::Credentials::new("wsfoobar", "a-very-very-long-password"))
//!     .build()?;
//! let outcome = client.cancel(CancelRequest::whole("(401)70724760000000101")).await?;
//! assert_eq!(outcome.status, CancelStatus::Cancelled);
//!
//! // An order already in transit is refused before anything is sent.
//! let err = client.cancel(CancelRequest::whole("70724760000000102")).await.unwrap_err();
//! assert_eq!((err.kind(), err.sent()), (ErrorKind::NotCancellable, Sent::NotSent));
//! # Ok(())
//! # }
//! ```
//!
//! # Skip Pay: cancel some items, then the whole order
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = rescind_sim::Simulator::new().start().await?;
//! # let base_url = sim.base_url();
//! use rescind::{CancelRequest, CancelStatus, Canceller, ItemSelector, skippay};
//!
//! let client = skippay::Client::builder()
//!     .base_url(&base_url) // https://api.partner.skippay.cz by default
//!     .credentials(skippay::Credentials::new("eShop", "eShopSecretPassword"))
//!     .build()?;
//! let two_cases = ItemSelector::by_code("CASE-3").quantity(2.into());
//! let outcome = client.cancel(CancelRequest::items("11200a0ee1", vec![two_cases])).await?;
//! assert!(matches!(outcome.status, CancelStatus::PartiallyCancelled { .. }));
//!
//! let outcome = client.cancel(CancelRequest::whole("11200a0ee1")).await?;
//! assert_eq!(outcome.status, CancelStatus::Cancelled);
//! # Ok(())
//! # }
//! ```
//!
//! # One call site for every provider: the registry
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = rescind_sim::Simulator::new().start().await?;
//! # let base_url = sim.base_url();
//! use std::sync::Arc;
//! use rescind::{CancelRequest, CancelStatus, Registry, arta, di};
//!
//! let mut registry = Registry::new();
//! registry.insert(
//!     "arta-live",
//!     Arc::new(arta::Client::builder().api_key("sim_arta_demo_0123456789abcdef").base_url(&base_url).build()?),
//! )?;
//! registry.insert(
//!     "di-oslo",
//!     Arc::new(
//!         di::Client::builder()
//!             .base_url(&base_url)
//!             .credentials(di::Credentials::new("wsfoobar", "a-very-very-long-password"))
//!             .build()?,
//!     ),
//! )?;
//!
//! for (account, target) in [("arta-live", "43"), ("di-oslo", "70724760000000104")] {
//!     let outcome = registry.cancel(account, CancelRequest::whole(target)).await?;
//!     assert_eq!(outcome.status, CancelStatus::AlreadyCancelled);
//! }
//! // An account that is not configured is an error, and nothing is sent anywhere.
//! assert!(registry.cancel("arta-test", CancelRequest::whole("42")).await.is_err());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "bulk")]
pub mod bulk;
#[cfg(any(feature = "arta", feature = "di", feature = "skippay"))]
mod details;
pub mod env;
mod registry;

#[cfg(any(feature = "arta", feature = "di", feature = "skippay"))]
pub use details::Details;
pub use env::RegistryBuilder;
pub use registry::Registry;
pub use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Clock,
    Error, ErrorDetail, ErrorKind, HttpClient, ItemSelector, Observation, Policy, Provider,
    Refusal, Scope, Sent, SettledBy, Settlement, TransportConfig, TransportSettings, async_trait,
    settle,
};

/// The core crate, for the transport, retry policy and other shared building blocks.
pub use rescind_core as core;

/// Arta: cancel hosted sessions, hold shipments (feature `arta`).
#[cfg(feature = "arta")]
pub use rescind_arta as arta;

/// Di (ws.di.no): log in, read and cancel booked parcel orders (feature `di`).
#[cfg(feature = "di")]
pub use rescind_di as di;

/// Skip Pay: cancel whole orders or some of their items (the `rescind-skippay` crate).
#[cfg(feature = "skippay")]
pub use rescind_skippay as skippay;
