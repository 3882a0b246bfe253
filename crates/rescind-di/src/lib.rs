//! The Di client of rescind: log in to Di's parcel web services (ws.di.no), read a booked
//! order and cancel it.
//!
//! Di (Distribution Innovation AS) distributes parcels in Norway. This crate speaks its JSON
//! web services:
//!
//! | call | Di endpoint |
//! |---|---|
//! | login (automatic) | `POST /ws/json/auth/v-3/login/{minutesValid}` |
//! | [`Client::order_details`] | `GET /ws/json/parcel/booking/v-1/details/{identifier}` |
//! | [`Client::cancel_order`] | `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}` |
//!
//! The client logs in on first use and shares the token among all its calls (renewed before
//! it expires, and once after a 401). Cancels are retried on 500/502/503 and timeouts: a
//! cancel done twice leaves the order cancelled once. The [`Canceller`](rescind_core::Canceller)
//! implementation ([`cancel`]) reads the order first and refuses an order in transit
//! ([`rules`]) without sending anything.
//!
//! ```
//! use rescind_core::{CancelRequest, CancelStatus, Canceller};
//! use rescind_di::{Client, Credentials};
//! # use httpmock::prelude::*;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), rescind_core::Error> {
//! # let server = MockServer::start_async().await;
//! # server.mock_async(|when, then| { when.method(POST).path("/ws/json/auth/v-3/login/60");
//! #     then.status(200).body(r#"{"token":"eyJhbGciOiJIUzUxMiJ9.e30.c2ln"}"#); }).await;
//! # server.mock_async(|when, then| { when.method(GET).path("/ws/json/parcel/booking/v-1/details/70724761617883184");
//! #     then.status(200).body(r#"{"shipmentId":"70724761617883184","ediStatus":"EXPORT_OK","desiredDeliveryDate":"2099-12-31"}"#); }).await;
//! # server.mock_async(|when, then| { when.method(DELETE).path("/ws/json/parcel/booking/v-1/order/cancel/70724761617883184");
//! #     then.status(200); }).await;
//! # let base_url = server.base_url();
//! let client = Client::builder()
//!     .base_url(base_url) // or .test() / .production(): there is no default
//!     .credentials(Credentials::new("wsfoobar", "a-very-very-long-password"))
//!     .minutes_valid(60)
//!     .build()?;
//!
//! // Through the common trait: reads the order, checks the rules, then cancels.
//! let outcome = client.cancel(CancelRequest::whole("(401)70724761617883184")).await?;
//! assert_eq!(outcome.status, CancelStatus::Cancelled);
//! assert_eq!(outcome.target, "70724761617883184");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod auth;
pub mod cancel;
mod client;
#[doc(hidden)]
pub mod conformance;
pub mod error;
pub mod model;
pub mod request;
pub mod response;
pub mod rules;

pub use auth::{Credentials, MinutesValid};
pub use cancel::DiCancel;
pub use client::{Client, ClientBuilder, Environment, PRODUCTION_BASE_URL, TEST_BASE_URL};
pub use error::{ErrorBody, ErrorKey};
pub use model::{
    CancelResponse, EdiStatus, OrderDetails, OrderItem, PickupDetails, ShipmentNumber,
};
