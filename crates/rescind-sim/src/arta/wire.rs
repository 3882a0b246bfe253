//! Arta's resources as the simulator stores and serves them, written from Arta's reference
//! (`HostedSession`, `HostedSessionListItem`, `Shipment`, `ShipmentException` of the
//! api-reference schemas) and never from a client crate's models, so that a client's mistake
//! cannot hide in both.
//!
//! The stored form is also the seed-file form: each type reads leniently (fields a seed leaves
//! out or sets to `null` take the documented default) and writes every documented field of its
//! shape. Nested objects the rules never look at (locations, objects, tags, a shipment's
//! packages) are kept as JSON, as sent or seeded.

use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Arta's naive timestamps: `YYYY-MM-DDTHH:MM:SS.ffffff`, always six fractional digits (the
/// reference: "A NaiveDatetime-formatted timestamp ... with microsecond precision").
pub mod timestamp {
    use super::*;

    /// Formats `dt` as Arta writes it, truncated to microseconds.
    pub fn format(dt: DateTime) -> String {
        format!(
            "{}.{:06}",
            dt.strftime("%Y-%m-%dT%H:%M:%S"),
            dt.subsec_nanosecond() / 1_000
        )
    }

    pub(crate) fn serialize<S: Serializer>(dt: &DateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*dt))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
        DateTime::deserialize(d)
    }

    /// The same for `Option<DateTime>` (`null` when absent).
    pub(crate) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            dt: &Option<DateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match dt {
                Some(dt) => s.serialize_str(&format(*dt)),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime>, D::Error> {
            Option::<DateTime>::deserialize(d)
        }
    }
}

/// `null` reads as the type's default (a seed may write `"quoting_strategy": null`).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Hosted session statuses the simulator knows. Arta documents no list (`status: string`);
/// these are its examples (`new`, `quoted`) and the quote-request lifecycle Arta's Node SDK
/// reuses. A seed may hold any other string; it is served as is.
pub mod session_status {
    /// Created, not yet used.
    pub const NEW: &str = "new";
    /// Cancelled (final).
    pub const CANCELLED: &str = "cancelled";
    /// Booked: a shipment exists (final).
    pub const CLOSED: &str = "closed";
    /// Expired after 30 days (final).
    pub const EXPIRED: &str = "expired";
}

/// `customs_end_use`: `for_resale` or `not_for_resale` (Arta's default).
pub const CUSTOMS_END_USES: [&str; 2] = ["for_resale", "not_for_resale"];
/// `customs_process`: `ddu` (Arta's default), `ddp` or `ddp_optional`.
pub const CUSTOMS_PROCESSES: [&str; 3] = ["ddu", "ddp", "ddp_optional"];
/// `quoting_strategy`: `best_rate` (Arta's default) or `compare_carriers`.
pub const QUOTING_STRATEGIES: [&str; 2] = ["best_rate", "compare_carriers"];

fn default_customs_end_use() -> String {
    "not_for_resale".into()
}
fn default_customs_process() -> String {
    "ddu".into()
}
fn default_quoting_strategy() -> String {
    "best_rate".into()
}
fn default_payment_process() -> String {
    "invoicing".into()
}
fn default_session_type() -> String {
    "booking".into()
}
fn string_or_default<'de, D: Deserializer<'de>>(
    d: D,
    default: fn() -> String,
) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default))
}
fn customs_end_use<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_default(d, default_customs_end_use)
}
fn customs_process<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_default(d, default_customs_process)
}
fn quoting_strategy<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_default(d, default_quoting_strategy)
}
fn payment_process<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_default(d, default_payment_process)
}
fn session_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_default(d, default_session_type)
}

/// A hosted session (`HostedSession` of Arta's reference). Every documented field is written;
/// the list item leaves out [`NOT_IN_LIST`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostedSession {
    /// `int64`.
    pub id: u64,
    /// `string`, no documented enum (see [`session_status`]).
    pub status: String,
    /// A brief unique identifier (`DEMO-B49SVZ`).
    #[serde(default, deserialize_with = "null_default")]
    pub shortcode: String,
    /// `booking` or `inbound_booking` (default `booking`).
    #[serde(
        rename = "type",
        default = "default_session_type",
        deserialize_with = "session_type"
    )]
    pub session_type: String,
    /// The Arta Booking URL (`string | null`).
    #[serde(default)]
    pub url: Option<String>,
    /// Where the customer lands after a booking.
    #[serde(default, deserialize_with = "null_default")]
    pub success_url: String,
    /// Where the customer lands after cancelling a booking.
    #[serde(default, deserialize_with = "null_default")]
    pub cancel_url: String,
    /// The token of the session's private URL.
    #[serde(default, deserialize_with = "null_default")]
    pub private_token: String,
    /// `Location` (an object; `null` only for an inbound session, which has a destination).
    #[serde(default)]
    pub origin: Value,
    /// `NullableLocation | null`.
    #[serde(default)]
    pub destination: Value,
    /// `[Object]`, as sent (dimensions normalised to strings, ids assigned).
    #[serde(default, deserialize_with = "null_default")]
    pub objects: Vec<Value>,
    /// `[string]`.
    #[serde(default, deserialize_with = "null_default")]
    pub additional_services: Vec<String>,
    /// `string | null`.
    #[serde(default)]
    pub insurance: Option<String>,
    /// `checkout` or `invoicing` (read-only; the simulator's accounts are invoiced).
    #[serde(
        default = "default_payment_process",
        deserialize_with = "payment_process"
    )]
    pub payment_process: String,
    /// `[string]`.
    #[serde(default, deserialize_with = "null_default")]
    pub preferred_quote_types: Vec<String>,
    /// `[string] | null`.
    #[serde(default)]
    pub preferred_parcel_transport_services: Option<Vec<String>>,
    /// `best_rate` (default) or `compare_carriers`.
    #[serde(
        default = "default_quoting_strategy",
        deserialize_with = "quoting_strategy"
    )]
    pub quoting_strategy: String,
    /// `for_resale` or `not_for_resale` (default).
    #[serde(
        default = "default_customs_end_use",
        deserialize_with = "customs_end_use"
    )]
    pub customs_end_use: String,
    /// `ddu` (default), `ddp` or `ddp_optional`.
    #[serde(
        default = "default_customs_process",
        deserialize_with = "customs_process"
    )]
    pub customs_process: String,
    /// `boolean` (default false).
    #[serde(default, deserialize_with = "null_default")]
    pub can_user_confirm_object_dimensions: bool,
    /// `string | null`, at most 255 characters.
    #[serde(default)]
    pub internal_reference: Option<String>,
    /// `string | null`, at most 255 characters.
    #[serde(default)]
    pub public_reference: Option<String>,
    /// `string | null`.
    #[serde(default)]
    pub shipping_notes: Option<String>,
    /// `string` (`null` in Arta's example when not set).
    #[serde(default)]
    pub public_instructions_booking_review: Option<String>,
    /// `string` (`null` in Arta's example when not set).
    #[serde(default)]
    pub public_instructions_confirmation: Option<String>,
    /// `string` (`null` in Arta's example when not set).
    #[serde(default)]
    pub public_instructions_location_quotes: Option<String>,
    /// `string` (`null` in Arta's example when not set).
    #[serde(default)]
    pub public_instructions_payment: Option<String>,
    /// `string` (`null` in Arta's example when not set; inbound sessions).
    #[serde(default)]
    pub public_instructions_object_details: Option<String>,
    /// `[Tag]`.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<Value>,
    /// Naive, microseconds.
    #[serde(with = "timestamp")]
    pub created_at: DateTime,
    /// Naive, microseconds.
    #[serde(with = "timestamp")]
    pub updated_at: DateTime,
}

/// The fields a hosted session list item (`HostedSessionListItem`) leaves out.
pub const NOT_IN_LIST: [&str; 7] = [
    "customs_end_use",
    "customs_process",
    "public_instructions_booking_review",
    "public_instructions_confirmation",
    "public_instructions_location_quotes",
    "public_instructions_payment",
    "public_instructions_object_details",
];

impl HostedSession {
    /// The session as `GET /hosted_sessions/{id}` and the cancel answer it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The session as an item of `GET /hosted_sessions`.
    pub fn to_list_item(&self) -> Value {
        let mut v = self.to_json();
        if let Some(map) = v.as_object_mut() {
            for key in NOT_IN_LIST {
                map.remove(key);
            }
        }
        v
    }
}

/// Shipment statuses (`status` enum of Arta's `Shipment`).
pub const SHIPMENT_STATUSES: [&str; 6] = [
    "pending",
    "confirmed",
    "collected",
    "in_transit",
    "completed",
    "cancelled",
];

/// A shipment exception (`ShipmentException`; in a shipment's `exceptions` without
/// `shipment_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShipmentException {
    /// `uuid`.
    pub id: String,
    /// The exception type id (`requested_hold_to_collect`, `prepayment_required`, ...).
    #[serde(rename = "type")]
    pub exception_type: String,
    /// `new`, `in_progress` or `resolved`.
    pub status: String,
    /// `api`, `arta_team`, ...
    #[serde(default, deserialize_with = "null_default")]
    pub source: String,
    /// `date | null`.
    #[serde(default)]
    pub hold_until: Option<Date>,
    /// The shipment's id: written by `/shipment_exceptions`, left out inside a shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    /// `int64 | null`.
    #[serde(default)]
    pub package_id: Option<i64>,
    /// `string | null`.
    #[serde(default)]
    pub resolution: Option<String>,
    /// `string | null`.
    #[serde(default)]
    pub exception_type_label: Option<String>,
    /// Naive, microseconds.
    #[serde(with = "timestamp")]
    pub created_at: DateTime,
    /// Naive, microseconds.
    #[serde(with = "timestamp")]
    pub updated_at: DateTime,
}

/// A shipment (`Shipment`): the fields the rules use are typed; every other documented field
/// is kept as JSON in [`Shipment::fields`] and served with the documented defaults filled in
/// ([`Shipment::to_json`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Shipment {
    /// `uuid`.
    pub id: String,
    /// One of [`SHIPMENT_STATUSES`].
    pub status: String,
    /// A brief identifier (`DEMO-B8FIRV`).
    #[serde(default)]
    pub shortcode: Option<String>,
    /// The hosted session it was booked through (`int | null`).
    #[serde(default)]
    pub hosted_session_id: Option<u64>,
    /// Naive, microseconds.
    #[serde(with = "timestamp")]
    pub created_at: DateTime,
    /// Naive, microseconds; served as `created_at` when a seed leaves it out.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<DateTime>,
    /// When it was confirmed (newer reference versions).
    #[serde(default, with = "timestamp::option")]
    pub confirmed_at: Option<DateTime>,
    /// When it was collected.
    #[serde(default, with = "timestamp::option")]
    pub collected_at: Option<DateTime>,
    /// When it went in transit.
    #[serde(default, with = "timestamp::option")]
    pub in_transit_at: Option<DateTime>,
    /// When it was completed.
    #[serde(default, with = "timestamp::option")]
    pub completed_at: Option<DateTime>,
    /// When it was cancelled.
    #[serde(default, with = "timestamp::option")]
    pub cancelled_at: Option<DateTime>,
    /// Its exceptions (holds among them).
    #[serde(default, deserialize_with = "null_default")]
    pub exceptions: Vec<ShipmentException>,
    /// Every other field, as seeded.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// The other documented fields of a shipment and what the simulator serves when a seed
/// leaves one out.
fn shipment_defaults() -> [(&'static str, Value); 27] {
    use serde_json::json;
    [
        ("customs_end_use", json!("not_for_resale")),
        ("customs_process", json!("ddu")),
        ("destination", Value::Null),
        ("eei_form_status", Value::Null),
        ("eei_form_url", Value::Null),
        ("emissions", Value::Null),
        ("emissions_unit", Value::Null),
        ("insurance_policy", Value::Null),
        ("internal_reference", Value::Null),
        ("log_request_id", Value::Null),
        ("object_count", json!(0)),
        ("origin", Value::Null),
        ("package_count", json!(0)),
        ("packages", json!([])),
        ("payment_process", json!("invoicing")),
        ("public_reference", Value::Null),
        ("quote_type", Value::Null),
        ("schedule", Value::Null),
        ("services", json!([])),
        ("shipping_notes", Value::Null),
        ("tags", json!([])),
        ("total", Value::Null),
        ("total_currency", Value::Null),
        ("tracking", json!([])),
        ("url", Value::Null),
        ("shortcode", Value::Null),
        ("hosted_session_id", Value::Null),
    ]
}

impl Shipment {
    /// The shipment as `GET /shipments/{id}` answers it: every documented field.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(map) = v.as_object_mut() {
            if self.updated_at.is_none() {
                map.insert(
                    "updated_at".into(),
                    Value::String(timestamp::format(self.created_at)),
                );
            }
            for (key, default) in shipment_defaults() {
                if !map.contains_key(key) {
                    map.insert(key.into(), default);
                }
            }
        }
        v
    }
}
