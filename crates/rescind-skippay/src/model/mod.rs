//! Skip Pay's request and response types, one file per resource.
//!
//! Responses never fail on fields this version does not know, and every enum Skip Pay may
//! extend keeps an unknown value as `Unknown` with its raw text. Money is in minor units
//! (`i64`), quantities and VAT rates are decimals, never floats.

mod application;
mod cancel;
mod common;
pub(crate) mod number;
mod order;

pub use application::{
    ApplicationCancelRequest, ApplicationInfo, ApplicationResponse, ApplicationState, CancelReason,
    Customer, FinancingType, Recurrence, RecurrenceState, StateReason,
};
pub use cancel::{CancelItem, OrderCancelRequest};
pub use common::{Address, AddressType, Amount, Currency, FileRef, ItemType, VatAmount};
pub use order::{
    CarrierId, Channel, DeliveryCarrier, DeliveryType, Document, DocumentExtraData, DocumentType,
    Order, OrderExtendedResponse, OrderItem, OrderState,
};
