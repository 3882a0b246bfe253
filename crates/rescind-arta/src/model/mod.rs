//! Arta's resources as typed values, one file per resource.
//!
//! Every model decodes Arta's JSON as documented and ignores fields it does not know (Arta adds
//! fields without notice). Values Arta may extend (statuses, types, units) are open enums that
//! keep an unknown value as its raw string. Timestamps are Arta's naive date-times with
//! microseconds (`2021-01-21T17:22:08.818747`, no zone), decoded as [`jiff::civil::DateTime`];
//! money is a [`rust_decimal::Decimal`], never a float.
//!
//! Readers are liberal ([`rescind_core::wire`]): ids read from any integral JSON spelling
//! (`42`, `42.0`, `4.2e1`), money from a string or a number, dimensions from a number or a
//! string (kept as text), timestamps with or without fraction digits, with an offset (converted
//! to UTC) or as a date alone (midnight), and `null` lists as empty. Answers of the operations a
//! cancel or a hold relies on decode tolerantly: a malformed field no decision needs is skipped
//! and listed by the model's `skipped()` (see [`rescind_core::wire::tolerant`]).

mod common;
mod hosted_session;
mod outcome;
mod shipment;
mod shipment_exception;
pub mod timestamp;

pub use common::{
    Contact, Location, Page, PageMetadata, PaymentProcess, Tag, UnitOfMeasurement, WeightUnit,
};
pub use hosted_session::{
    ArtaObject, CustomsEndUse, CustomsProcess, HostedSession, HostedSessionStatus,
    HostedSessionType, ObjectComponent, ObjectCustoms, ObjectDetails, QuotingStrategy,
};
pub use outcome::ArtaCancel;
pub use shipment::{EeiFormStatus, QuoteType, Shipment, ShipmentSchedule, ShipmentStatus};
pub use shipment_exception::{
    ExceptionSource, ExceptionStatus, NewShipmentException, ShipmentException,
    ShipmentExceptionType,
};
