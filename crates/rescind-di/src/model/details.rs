//! `GET /ws/json/parcel/booking/v-1/details/{identifier}`: an order's current state.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use rescind_core::wire::{Skipped, Tolerant};

use super::date;

rescind_core::open_enum! {
    /// Where Di is in exporting the order to the carrier (`ediStatus`). Di may add values;
    /// those decode as `Unknown` with the raw string kept.
    pub enum EdiStatus {
        /// Di is exporting the order to the carrier.
        AttemptingExport = "ATTEMPTING_EXPORT",
        /// The order was exported to the carrier.
        ExportOk = "EXPORT_OK",
        /// The export failed; Di will try again.
        ExportFailedWillRetry = "EXPORT_FAILED_WILL_RETRY",
        /// The export failed for good.
        ExportFailedPermanently = "EXPORT_FAILED_PERMANENTLY",
        /// The order is cancelled (marked "work in progress" in Di's docs).
        Cancelled = "CANCELLED",
        /// A passive return (marked "work in progress" in Di's docs).
        PassiveReturn = "PASSIVE_RETURN",
    }
}

/// An order as the details API reports it.
///
/// Only `shipmentId` is required; Di marks `shopId`, `shopName`, `desiredDeliveryDate` and
/// `pickupDetails` as work in progress, so they are optional, and unknown fields are kept in
/// [`extra`](OrderDetails::extra).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderDetails {
    /// The shipment ("message") number, e.g. `70724760322123456`.
    pub shipment_id: String,
    /// The export status; `None` when Di sends none.
    #[serde(default)]
    pub edi_status: Option<EdiStatus>,
    /// The shop the order belongs to. Di's page spells it both `shopid` and `shopId`.
    #[serde(default, alias = "shopid", with = "rescind_core::wire::int::option")]
    pub shop_id: Option<i64>,
    /// The shop's name.
    #[serde(default)]
    pub shop_name: Option<String>,
    /// The day the consignee wants the parcel. The order is in transit, and no longer
    /// cancellable, from the day before (see [`rules`](crate::rules)).
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub desired_delivery_date: Option<Date>,
    /// Set for pick-up shipments (C2C / C2B).
    #[serde(default)]
    pub pickup_details: Option<PickupDetails>,
    /// The parcels of the order, one per label.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub items: Vec<OrderItem>,
    /// Fields this version does not know, as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Known fields that did not read and were skipped (see [`OrderDetails::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

/// A cancel decides on the shipment number, `ediStatus`, the desired delivery date and the
/// pick-up date (see [`rules::cancellability`](crate::rules::cancellability)); anything else
/// that does not read is skipped.
impl Tolerant for OrderDetails {
    const NEEDED: &'static [&'static str] = &[
        "shipmentId",
        "ediStatus",
        "desiredDeliveryDate",
        "pickupDetails.pickupDate",
    ];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

impl OrderDetails {
    /// Whether Di reports the order as cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.edi_status == Some(EdiStatus::Cancelled)
    }

    /// Known fields that did not read and were skipped, with their raw JSON: none that a
    /// cancel decides on ([`Tolerant::NEEDED`]). Empty for a clean answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Whether the order is a pick-up shipment (it has a pick-up date).
    pub fn is_pickup(&self) -> bool {
        self.pickup_details
            .as_ref()
            .is_some_and(|p| p.pickup_date.is_some())
    }
}

/// The pick-up of a pick-up shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PickupDetails {
    /// The return code the carrier's driver uses.
    #[serde(default)]
    pub return_code: Option<String>,
    /// Where the parcel is to be picked up (free text).
    #[serde(default)]
    pub placement: Option<String>,
    /// The day of the pick-up. Cancellable until 23:00 Oslo time the day before.
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub pickup_date: Option<Date>,
    /// Days the pick-up could move to.
    #[serde(default, deserialize_with = "date::de_list")]
    pub possible_pickup_dates: Vec<Date>,
    /// Fields this version does not know, as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One parcel of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderItem {
    /// The parcel's tracking reference.
    #[serde(default)]
    pub tracking_reference: Option<String>,
    /// The code of a parcel sent without a label.
    #[serde(default)]
    pub labelless_code: Option<String>,
    /// Fields this version does not know, as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
