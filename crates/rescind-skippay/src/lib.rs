//! **rescind-skippay**: the Skip Pay client of the rescind SDK. Cancel a whole order or some
//! of its items, cancel an application still being processed, and read an application's state.
//!
//! Skip Pay (formerly MALL Pay) is a Czech buy-now-pay-later provider. Its partner API logs in
//! with a username and password (`POST /authentication/v1/partner`) and then uses a bearer
//! token; this crate does the login for you, once for all calls, and renews the token.
//!
//! - [`Client::cancel_order_items`]: `PUT /financing/v1/applications/{id}/order/cancel`, the
//!   whole order (`{}`) or some items ([`model::CancelItem`]), only while the application is
//!   READY.
//! - [`Client::get_application`]: `GET /financing/v1/applications/{id}`.
//! - [`Client::cancel_application`]: `PUT /financing/v1/applications/{id}/cancel`, with one of
//!   the documented [`model::CancelReason`]s, for applications still PROCESSING.
//! - [`Client`] implements the core [`Canceller`](rescind_core::Canceller): it reads the
//!   application and applies Skip Pay's rules ([`rules::plan`]) before sending anything.
//!
//! Requests are built and responses read without a network ([`request`], [`response`]); the
//! core [`Transport`](rescind_core::Transport) sends them.
//!
//! ```
//! use rescind_skippay::{Client, Credentials};
//! use rescind_skippay::model::{CancelItem, OrderCancelRequest};
//! use rescind_core::rust_decimal::Decimal;
//! use httpmock::prelude::*;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = MockServer::start_async().await;
//! server.mock_async(|when, then| {
//!     when.method(POST).path("/authentication/v1/partner");
//!     then.status(200).json_body(serde_json::json!({"accessToken": "tok", "expiresIn": 7200}));
//! }).await;
//! let cancel = server.mock_async(|when, then| {
//!     when.method(PUT)
//!         .path("/financing/v1/applications/11200a0ee1/order/cancel")
//!         .header("authorization", "Bearer tok")
//!         .body(r#"{"items":[{"code":"EXC4677-1a","quantity":2.5}]}"#);
//!     then.status(200).json_body(serde_json::json!({
//!         "number": "AA234", "state": "PROCESSING", "items": [],
//!         "applicationInfo": {"id": "11200a0ee1", "state": "READY", "stateReason": "READY_TO_SHIP"}
//!     }));
//! }).await;
//!
//! let client = Client::builder()
//!     .base_url(server.base_url())
//!     .credentials(Credentials::new("eShop", "eShopSecretPassword"))
//!     .build()?;
//! let request = OrderCancelRequest::items(vec![
//!     CancelItem::by_code("EXC4677-1a").quantity(Decimal::new(25, 1)),
//! ]);
//! let order = client.cancel_order_items("11200a0ee1", &request).await?;
//! assert_eq!(order.number.as_deref(), Some("AA234"));
//! cancel.assert_async().await;
//! # Ok::<(), rescind_core::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod auth;
pub mod cancel;
mod client;
#[doc(hidden)]
pub mod conformance;
pub mod error;
pub mod model;
pub mod request;
pub mod response;
pub mod rules;

pub use auth::{Credentials, PartnerLogin};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TOKEN_MARGIN};
pub use error::{ErrorEntry, ErrorsResponse, OAuthError, Severity};
pub use model::SkipPayCancel;

/// The core crate, re-exported so that users name one version.
pub use rescind_core;
