//! Shipment exceptions: holds, delays and other interruptions of a shipment. A client creates
//! one kind, `requested_hold_to_collect`, to put a shipment on hold.

use jiff::civil::{Date, DateTime};
use rescind_core::wire::{Skipped, Tolerant};
use serde::{Deserialize, Serialize};

rescind_core::open_enum! {
    /// An exception's status.
    pub enum ExceptionStatus {
        /// Just raised.
        New = "new",
        /// Being worked on.
        InProgress = "in_progress",
        /// Resolved: no longer holds the shipment.
        Resolved = "resolved",
    }
}

rescind_core::open_enum! {
    /// Who raised an exception.
    pub enum ExceptionSource {
        /// Through the API (a client's hold).
        Api = "api",
        /// Arta's team.
        ArtaTeam = "arta_team",
    }
}

rescind_core::open_enum! {
    /// The type of an exception, from Arta's shipment exception types metadata. Only
    /// `requested_hold_to_collect` can be created by a client.
    pub enum ShipmentExceptionType {
        /// The client asked Arta to hold the shipment before collection (a hold).
        RequestedHoldToCollect = "requested_hold_to_collect",
        /// The client asked Arta to hold delivery.
        RequestedHoldToDeliver = "requested_hold_to_deliver",
        /// A change of address was requested.
        ChangeOfAddressRequest = "change_of_address_request",
        /// Customs needs information.
        CustomsInformationRequired = "customs_information_required",
        /// Items were damaged.
        DamagedItems = "damaged_items",
        /// Direct payment is required.
        DirectPaymentRequired = "direct_payment_required",
        /// Held at customs.
        HeldAtCustoms = "held_at_customs",
        /// Object details are inaccurate.
        InaccurateObjectDetails = "inaccurate_object_details",
        /// The address is incorrect.
        IncorrectAddress = "incorrect_address",
        /// The label is on hold (self ship).
        LabelHold = "label_hold",
        /// Lost in transit.
        LostInTransit = "lost_in_transit",
        /// Not ready for delivery.
        NotReadyForDelivery = "not_ready_for_delivery",
        /// Not ready for release.
        NotReadyForRelease = "not_ready_for_release",
        /// Something else.
        Other = "other",
        /// Prepayment is required.
        PrepaymentRequired = "prepayment_required",
        /// The wrong item.
        WrongItem = "wrong_item",
    }
}

/// A shipment exception, as `POST /shipment_exceptions` (201) and `GET
/// /shipment_exceptions/{id}` return it, and as a shipment lists its `exceptions` (there
/// without `shipment_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShipmentException {
    /// The exception's id (a UUID).
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub exception_type: ShipmentExceptionType,
    /// Its status.
    pub status: ExceptionStatus,
    /// Who raised it (`api`, `arta_team`).
    #[serde(default)]
    pub source: Option<ExceptionSource>,
    /// The last day of a hold, if set (`YYYY-MM-DD`; the date part of a date-time reads
    /// too).
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub hold_until: Option<Date>,
    /// The shipment (a UUID); absent when listed inside a shipment.
    #[serde(default)]
    pub shipment_id: Option<String>,
    /// The package concerned, if any.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub package_id: Option<u64>,
    /// The object concerned, if any (seen in Arta's Node SDK).
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub object_id: Option<u64>,
    /// How it was resolved.
    #[serde(default)]
    pub resolution: Option<String>,
    /// A label giving context about the type.
    #[serde(default)]
    pub exception_type_label: Option<String>,
    /// Notes from the user (seen in Arta's Node SDK).
    #[serde(default)]
    pub user_notes: Option<Vec<String>>,
    /// When it was raised (naive, microseconds). Always sent by Arta; optional here because
    /// no decision needs it, so an unreadable one never blocks a hold.
    #[serde(default, with = "super::timestamp::option")]
    pub created_at: Option<DateTime>,
    /// When it was last updated (naive, microseconds).
    #[serde(default, with = "super::timestamp::option")]
    pub updated_at: Option<DateTime>,
    /// Fields of the answer that did not read and were skipped (see
    /// [`ShipmentException::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

impl Tolerant for ShipmentException {
    const NEEDED: &'static [&'static str] = &["id", "type", "status", "hold_until"];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

impl ShipmentException {
    /// Fields of the answer that did not read and were skipped, with their raw JSON: a hold
    /// decides on the id, type, status and `hold_until` ([`Tolerant::NEEDED`]). Empty for a
    /// clean answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Whether this is a client's hold that still holds the shipment: type
    /// `requested_hold_to_collect` and not `resolved`.
    pub fn is_active_hold(&self) -> bool {
        self.exception_type == ShipmentExceptionType::RequestedHoldToCollect
            && self.status != ExceptionStatus::Resolved
    }
}

/// The body of `POST /shipment_exceptions`: a hold of a shipment, optionally until a date.
///
/// Serialized as `{"shipment_exception": {"type": "requested_hold_to_collect",
/// "shipment_id": "...", "hold_until": "YYYY-MM-DD"}}`; without a date, `hold_until` is left
/// out (not `null`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewShipmentException {
    /// The shipment to hold.
    pub shipment_id: String,
    /// The last day of the hold, if any.
    pub hold_until: Option<Date>,
}

impl NewShipmentException {
    /// A hold of `shipment_id` without an end date.
    pub fn hold(shipment_id: impl Into<String>) -> Self {
        NewShipmentException {
            shipment_id: shipment_id.into(),
            hold_until: None,
        }
    }

    /// Sets the last day of the hold.
    pub fn until(mut self, date: Date) -> Self {
        self.hold_until = Some(date);
        self
    }

    /// Sets or clears the last day of the hold.
    pub fn until_opt(mut self, date: Option<Date>) -> Self {
        self.hold_until = date;
        self
    }
}

/// The only type a client may create.
const HOLD_TO_COLLECT: &str = "requested_hold_to_collect";

#[derive(Serialize)]
struct Envelope<'a> {
    shipment_exception: Wire<'a>,
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    exception_type: &'static str,
    shipment_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_until: Option<Date>,
}

impl Serialize for NewShipmentException {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Envelope {
            shipment_exception: Wire {
                exception_type: HOLD_TO_COLLECT,
                shipment_id: &self.shipment_id,
                hold_until: self.hold_until,
            },
        }
        .serialize(serializer)
    }
}
