//! Hosted sessions: Arta Booking pages a client creates for its customer, and cancels.

use jiff::civil::DateTime;
use rescind_core::wire::{Skipped, Tolerant};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{Location, PaymentProcess, Tag, UnitOfMeasurement, WeightUnit};

rescind_core::open_enum! {
    /// A hosted session's status. Arta documents no list: its examples show `new` and
    /// `quoted`, and its Node SDK reuses the quote-request statuses, which are the other
    /// variants here. A session that [`cancel_hosted_session`](crate::Client::cancel_hosted_session)
    /// cancelled is expected to read `cancelled`.
    pub enum HostedSessionStatus {
        /// Created, not yet used (the docs' example).
        New = "new",
        /// Quotes are available.
        Quoted = "quoted",
        /// Quoting is pending.
        Pending = "pending",
        /// Arta works on a custom quote.
        InProgress = "in_progress",
        /// Booked: the session led to a shipment (final).
        Closed = "closed",
        /// Arta could not quote it.
        Disqualified = "disqualified",
        /// Expired after 30 days (final).
        Expired = "expired",
        /// Cancelled (final).
        Cancelled = "cancelled",
    }
}

rescind_core::open_enum! {
    /// The kind of hosted session.
    pub enum HostedSessionType {
        /// The customer books a shipment from an origin.
        Booking = "booking",
        /// The customer books a shipment to a destination (public preview).
        InboundBooking = "inbound_booking",
    }
}

rescind_core::open_enum! {
    /// Whether the shipped goods are for resale, for customs.
    pub enum CustomsEndUse {
        /// For resale.
        ForResale = "for_resale",
        /// Not for resale (Arta's default).
        NotForResale = "not_for_resale",
    }
}

rescind_core::open_enum! {
    /// Who pays duties and taxes.
    pub enum CustomsProcess {
        /// Delivered duty unpaid (Arta's default).
        Ddu = "ddu",
        /// Delivered duty paid.
        Ddp = "ddp",
        /// The customer chooses.
        DdpOptional = "ddp_optional",
    }
}

rescind_core::open_enum! {
    /// How Arta picks the quotes it shows.
    pub enum QuotingStrategy {
        /// The best rate per quote type (Arta's default).
        BestRate = "best_rate",
        /// Several carriers side by side.
        CompareCarriers = "compare_carriers",
        /// Every rate (seen in Arta's Node SDK).
        AllRates = "all_rates",
    }
}

/// A hosted session, as `GET /hosted_sessions/{id}` and `PATCH /hosted_sessions/{id}/cancel`
/// return it.
///
/// The fields of the documented example are all here, plus those the reference lists beyond
/// it (`type`, `customs_*`, `quoting_strategy`, `public_instructions_*`, …). The
/// `private_token` is part of the session's public booking `url`, meant for the customer; it
/// is not the account's API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostedSession {
    /// The session's id (`int64`: read from any integral JSON number).
    #[serde(with = "rescind_core::wire::int")]
    pub id: u64,
    /// The session's status (open: Arta documents no list).
    pub status: HostedSessionStatus,
    /// A brief unique identifier (`DEMO-B49SVZ`).
    #[serde(default)]
    pub shortcode: Option<String>,
    /// `booking` or `inbound_booking`, when Arta says.
    #[serde(default, rename = "type")]
    pub session_type: Option<HostedSessionType>,
    /// The Arta Booking URL of the session.
    #[serde(default)]
    pub url: Option<String>,
    /// Where the customer lands after completing a booking.
    #[serde(default)]
    pub success_url: Option<String>,
    /// Where the customer lands after cancelling a booking.
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// The token in the private URL of the session.
    #[serde(default)]
    pub private_token: Option<String>,
    /// Where the objects are.
    #[serde(default)]
    pub origin: Option<Location>,
    /// Where the objects go, when known.
    #[serde(default)]
    pub destination: Option<Location>,
    /// The objects to ship.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub objects: Vec<ArtaObject>,
    /// Ids of additional services (`signature_delivery`).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub additional_services: Vec<String>,
    /// The insurance type id, if any.
    #[serde(default)]
    pub insurance: Option<String>,
    /// How payment to Arta is handled.
    #[serde(default)]
    pub payment_process: Option<PaymentProcess>,
    /// The quote types the caller asked Arta to return (`premium`, `select`, `parcel`, …).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub preferred_quote_types: Vec<String>,
    /// Parcel transport services the caller prefers, if any.
    #[serde(default)]
    pub preferred_parcel_transport_services: Option<Vec<String>>,
    /// How Arta picks the quotes it shows.
    #[serde(default)]
    pub quoting_strategy: Option<QuotingStrategy>,
    /// Whether the goods are for resale, for customs.
    #[serde(default)]
    pub customs_end_use: Option<CustomsEndUse>,
    /// Who pays duties and taxes.
    #[serde(default)]
    pub customs_process: Option<CustomsProcess>,
    /// Whether the customer may confirm object dimensions (inbound sessions).
    #[serde(default)]
    pub can_user_confirm_object_dimensions: Option<bool>,
    /// The client's own data, returned unchanged (at most 255 characters).
    #[serde(default)]
    pub internal_reference: Option<String>,
    /// A client-defined name that may appear in e-mails and public pages (at most 255).
    #[serde(default)]
    pub public_reference: Option<String>,
    /// Notes for Arta about the request.
    #[serde(default)]
    pub shipping_notes: Option<String>,
    /// Instructions shown on the booking review page.
    #[serde(default)]
    pub public_instructions_booking_review: Option<String>,
    /// Instructions shown on the confirmation page.
    #[serde(default)]
    pub public_instructions_confirmation: Option<String>,
    /// Instructions shown on the location and quotes page.
    #[serde(default)]
    pub public_instructions_location_quotes: Option<String>,
    /// Instructions shown on the payment page.
    #[serde(default)]
    pub public_instructions_payment: Option<String>,
    /// Instructions shown on the object details page (inbound sessions).
    #[serde(default)]
    pub public_instructions_object_details: Option<String>,
    /// Tags of the session.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub tags: Vec<Tag>,
    /// When the session was created (naive, microseconds). Always sent by Arta; optional
    /// here because no decision needs it, so an unreadable one never blocks a cancel.
    #[serde(default, with = "super::timestamp::option")]
    pub created_at: Option<DateTime>,
    /// When the session was last updated (naive, microseconds); optional as `created_at`.
    #[serde(default, with = "super::timestamp::option")]
    pub updated_at: Option<DateTime>,
    /// Fields of the answer that did not read and were skipped (see
    /// [`HostedSession::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

impl HostedSession {
    /// Fields of the answer that did not read and were skipped, with their raw JSON: a cancel
    /// decides on the id and the status alone ([`Tolerant::NEEDED`]). Empty for a clean
    /// answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

impl Tolerant for HostedSession {
    const NEEDED: &'static [&'static str] = &["id", "status"];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

/// An object to ship (a painting, a sculpture…), as Arta returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArtaObject {
    /// The object's id.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub id: Option<u64>,
    /// The object type id (`art`).
    #[serde(default, rename = "type")]
    pub object_type: Option<String>,
    /// The object subtype id (`painting_unframed`), `^[0-9a-z_]{1,56}$`.
    #[serde(default)]
    pub subtype: Option<String>,
    /// Depth, in [`unit_of_measurement`](Self::unit_of_measurement). Arta documents
    /// dimensions as strings without a pattern, and its official client allows a number or a
    /// string: both are read, and kept as text (`2` reads as `"2"`).
    #[serde(default, with = "rescind_core::wire::text_or_number")]
    pub depth: Option<String>,
    /// Height (a number or a string, kept as text).
    #[serde(default, with = "rescind_core::wire::text_or_number")]
    pub height: Option<String>,
    /// Width (a number or a string, kept as text).
    #[serde(default, with = "rescind_core::wire::text_or_number")]
    pub width: Option<String>,
    /// The unit of the dimensions.
    #[serde(default)]
    pub unit_of_measurement: Option<UnitOfMeasurement>,
    /// Weight, in [`weight_unit`](Self::weight_unit) (a number or a string, kept as text).
    #[serde(default, with = "rescind_core::wire::text_or_number")]
    pub weight: Option<String>,
    /// The unit of the weight.
    #[serde(default)]
    pub weight_unit: Option<WeightUnit>,
    /// The declared value (`100.00`).
    #[serde(default, deserialize_with = "rescind_core::wire::decimal::read_option")]
    pub value: Option<Decimal>,
    /// The value's ISO 4217 currency (`USD`).
    #[serde(default)]
    pub value_currency: Option<String>,
    /// Descriptive details.
    #[serde(default)]
    pub details: Option<ObjectDetails>,
    /// Packing subtype ids describing how the object is packed now.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub current_packing: Vec<String>,
    /// Image URLs.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub images: Vec<String>,
    /// Components of a `prepacked_box` object.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub components: Vec<ObjectComponent>,
    /// Customs details.
    #[serde(default)]
    pub customs: Option<ObjectCustoms>,
    /// The client's own data (at most 255 characters).
    #[serde(default)]
    pub internal_reference: Option<String>,
    /// A client-defined name (at most 255 characters).
    #[serde(default)]
    pub public_reference: Option<String>,
}

/// Descriptive details of an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ObjectDetails {
    /// The title (`It's just jazz`).
    #[serde(default)]
    pub title: Option<String>,
    /// The creator (`Robert Irwin`).
    #[serde(default)]
    pub creator: Option<String>,
    /// When the object was created, free text (`1980`).
    #[serde(default)]
    pub creation_date: Option<String>,
    /// Notes about the object.
    #[serde(default)]
    pub notes: Option<String>,
    /// Whether CITES governs the object (default false).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub is_cites: bool,
    /// Whether the object is fragile (default false).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub is_fragile: bool,
    /// Material ids (deprecated by Arta, still sent).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub materials: Vec<String>,
}

/// A component of a `prepacked_box` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectComponent {
    /// The component's id (a UUID).
    #[serde(default)]
    pub id: Option<String>,
    /// The component type id.
    #[serde(default, rename = "type")]
    pub component_type: Option<String>,
    /// The declared value.
    #[serde(default, deserialize_with = "rescind_core::wire::decimal::read_option")]
    pub value: Option<Decimal>,
    /// The value's currency.
    #[serde(default)]
    pub value_currency: Option<String>,
    /// Descriptive details.
    #[serde(default)]
    pub details: Option<ObjectDetails>,
    /// Customs details.
    #[serde(default)]
    pub customs: Option<ObjectCustoms>,
    /// The client's own data.
    #[serde(default)]
    pub internal_reference: Option<String>,
    /// A client-defined name.
    #[serde(default)]
    pub public_reference: Option<String>,
}

/// Customs details of an object or component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ObjectCustoms {
    /// ISO 3166-1 alpha-2 country where it was made.
    #[serde(default)]
    pub country_of_origin: Option<String>,
    /// Harmonized System code.
    #[serde(default)]
    pub hs_code: Option<String>,
    /// The medium (`oil on canvas`).
    #[serde(default)]
    pub medium: Option<String>,
    /// Whether it is in the country under temporary admission.
    #[serde(default)]
    pub temporary_admission: Option<bool>,
}
