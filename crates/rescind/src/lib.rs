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
//! All three are on by default. The features are additive: any subset builds.
//!
//! ```
//! use rescind::{CancelRequest, Scope};
//! let request = CancelRequest::whole("70724761617883184");
//! assert_eq!(request.scope, Scope::Whole);
//! ```

#![forbid(unsafe_code)]

pub mod env;
mod registry;

pub use registry::Registry;
pub use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorDetail,
    ErrorKind, ItemSelector, Provider, Scope, Sent, async_trait,
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
