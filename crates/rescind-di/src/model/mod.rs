//! Di's request and response types, one file per resource.
//!
//! Every response type ignores fields it does not know (Di: "clients using this API should
//! not fail if new fields are added") and keeps them in an `extra` map, so nothing that came
//! is lost. Numbers and dates are read with [`rescind_core::wire`]'s liberal readers; a known
//! field that does not read and that no cancel needs is skipped and listed by
//! [`OrderDetails::skipped`].

mod cancel;
mod date;
mod details;
mod shipment_number;

pub use cancel::CancelResponse;
pub use details::{EdiStatus, OrderDetails, OrderItem, PickupDetails};
pub use shipment_number::{GS1_SHIPMENT_PREFIX, ShipmentNumber};
