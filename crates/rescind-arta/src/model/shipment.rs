//! Shipments: what a hold applies to, read to check the hold rules and to settle an unknown
//! outcome.

use jiff::civil::DateTime;
use rescind_core::wire::{Skipped, Tolerant};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{Location, PaymentProcess, Tag};
use super::shipment_exception::ShipmentException;

rescind_core::open_enum! {
    /// A shipment's status. Arta's lifecycle: pending → confirmed → collected or in transit →
    /// completed; cancelled is coordinated with Arta's staff.
    pub enum ShipmentStatus {
        /// Booked, under review.
        Pending = "pending",
        /// Confirmed by Arta.
        Confirmed = "confirmed",
        /// Collected from the origin.
        Collected = "collected",
        /// On its way.
        InTransit = "in_transit",
        /// Delivered.
        Completed = "completed",
        /// Cancelled.
        Cancelled = "cancelled",
    }
}

rescind_core::open_enum! {
    /// The quote type a shipment was booked with.
    pub enum QuoteType {
        /// Premium (white glove).
        Premium = "premium",
        /// Select.
        Select = "select",
        /// Parcel.
        Parcel = "parcel",
        /// Self ship.
        SelfShip = "self_ship",
    }
}

rescind_core::open_enum! {
    /// The status of a shipment's electronic export information form (the reference's
    /// versions list different values; all are known here).
    pub enum EeiFormStatus {
        /// Not required.
        NotRequired = "not_required",
        /// Required.
        Required = "required",
        /// Pending.
        Pending = "pending",
        /// Submitted.
        Submitted = "submitted",
        /// Approved.
        Approved = "approved",
        /// Cleared.
        Cleared = "cleared",
        /// Rejected.
        Rejected = "rejected",
    }
}

/// A shipment, as `GET /shipments/{id}` returns it: the fields the hold rules need (`status`,
/// `created_at`, `exceptions`) and those a person needs to recognise it. Fields not modelled
/// (packages, services, tracking, insurance policy) are ignored when decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Shipment {
    /// The shipment's id (a UUID).
    pub id: String,
    /// The status; a hold needs `pending` or `confirmed`.
    pub status: ShipmentStatus,
    /// When the shipment was created (naive, microseconds); a hold ends at most 30 days after.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime,
    /// When the shipment was last updated.
    #[serde(default, with = "super::timestamp::option")]
    pub updated_at: Option<DateTime>,
    /// Holds, delays and other exceptions of the shipment (without `shipment_id`).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub exceptions: Vec<ShipmentException>,
    /// A brief identifier (`DEMO-B8FIRV`).
    #[serde(default)]
    pub shortcode: Option<String>,
    /// The hosted session the shipment was booked through, if any.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub hosted_session_id: Option<u64>,
    /// The quote type booked.
    #[serde(default)]
    pub quote_type: Option<QuoteType>,
    /// How payment to Arta is handled.
    #[serde(default)]
    pub payment_process: Option<PaymentProcess>,
    /// The total price (Arta writes money as a string; a number reads too).
    #[serde(default, deserialize_with = "rescind_core::wire::decimal::read_option")]
    pub total: Option<Decimal>,
    /// The total's ISO 4217 currency.
    #[serde(default)]
    pub total_currency: Option<String>,
    /// Where the shipment starts.
    #[serde(default)]
    pub origin: Option<Location>,
    /// Where the shipment goes.
    #[serde(default)]
    pub destination: Option<Location>,
    /// The pickup and delivery windows.
    #[serde(default)]
    pub schedule: Option<ShipmentSchedule>,
    /// How many objects it carries.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub object_count: Option<u64>,
    /// How many packages it carries.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub package_count: Option<u64>,
    /// The client's own data.
    #[serde(default)]
    pub internal_reference: Option<String>,
    /// A client-defined name.
    #[serde(default)]
    pub public_reference: Option<String>,
    /// Notes for Arta.
    #[serde(default)]
    pub shipping_notes: Option<String>,
    /// The shipment's tracking page on Arta.
    #[serde(default)]
    pub url: Option<String>,
    /// The EEI form status, when a form exists.
    #[serde(default)]
    pub eei_form_status: Option<EeiFormStatus>,
    /// The id of the API request that created the shipment (to find its log).
    #[serde(default)]
    pub log_request_id: Option<String>,
    /// Tags of the shipment.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub tags: Vec<Tag>,
    /// When the shipment was confirmed (newer API versions).
    #[serde(default, with = "super::timestamp::option")]
    pub confirmed_at: Option<DateTime>,
    /// When it was collected (newer API versions).
    #[serde(default, with = "super::timestamp::option")]
    pub collected_at: Option<DateTime>,
    /// When it went in transit (newer API versions).
    #[serde(default, with = "super::timestamp::option")]
    pub in_transit_at: Option<DateTime>,
    /// When it was completed (newer API versions).
    #[serde(default, with = "super::timestamp::option")]
    pub completed_at: Option<DateTime>,
    /// When it was cancelled (newer API versions).
    #[serde(default, with = "super::timestamp::option")]
    pub cancelled_at: Option<DateTime>,
    /// Fields of the answer that did not read and were skipped (see [`Shipment::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

impl Shipment {
    /// Fields of the answer that did not read and were skipped, with their raw JSON: a hold
    /// decides on the id, status, `created_at` and the exceptions' id, type, status and
    /// `hold_until` ([`Tolerant::NEEDED`]). Empty for a clean answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

impl Tolerant for Shipment {
    const NEEDED: &'static [&'static str] = &[
        "id",
        "status",
        "created_at",
        "exceptions[].id",
        "exceptions[].type",
        "exceptions[].status",
        "exceptions[].hold_until",
    ];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

/// A shipment's pickup and delivery windows, as Arta writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ShipmentSchedule {
    /// Start of the pickup window.
    #[serde(default)]
    pub pickup_start: Option<String>,
    /// End of the pickup window.
    #[serde(default)]
    pub pickup_end: Option<String>,
    /// `after`, `by`, `on` or `between`.
    #[serde(default)]
    pub pickup_window_modifier: Option<String>,
    /// Start of the delivery window.
    #[serde(default)]
    pub delivery_start: Option<String>,
    /// End of the delivery window.
    #[serde(default)]
    pub delivery_end: Option<String>,
    /// `after`, `by`, `on` or `between`.
    #[serde(default)]
    pub delivery_window_modifier: Option<String>,
}
