//! Skip Pay's request and response types, one file per resource.
//!
//! Responses never fail on fields this version does not know, and every enum Skip Pay may
//! extend keeps an unknown value as `Unknown` with its raw text. Money is in minor units
//! as a decimal (Skip Pay types it `number`); quantities and VAT rates are decimals too, never
//! floats. Every number, date and date-time is read with [`rescind_core::wire`]'s liberal
//! readers and written as the document shows. An answer's fields that no cancel needs never
//! block one: they are skipped and listed by `skipped()` (see [`rescind_core::wire::tolerant`]).

mod application;
mod cancel;
mod common;
mod order;
mod outcome;
mod proof;

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
pub(crate) use outcome::AnsweredOrder;
pub use outcome::SkipPayCancel;
pub(crate) use proof::{NamedApplication, OrderProof};
