//! Skip Pay's bodies as the simulator stores and serves them, written from Skip Pay's OpenAPI
//! document (`ApplicationResponse`, `OrderResponse`, `OrderExtendedResponse`,
//! `OrderItemResponse`, `CustomerResponse`, `Amount`, `VatAmount`, `FileResponse`) and never
//! from a client crate's models, so that a client's mistake cannot hide in both.
//!
//! The stored form (camelCase, the seed-file form) reads leniently: what a seed leaves out
//! takes its documented default (an item's state PROCESSING, its quantity 1). The answers
//! write every field the document lists as required (`null` only where it is `nullable`), and
//! leave out an optional, non-nullable field that has no value (an item's `image`, an error's
//! `attribute`). The simulator serializes them straight to bytes through typed views that
//! borrow the stored state (no `serde_json::Value` tree); [`order_json`], [`item_json`] and
//! [`customer_json`] give the same answers as values.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::render::{CustomerView, ItemView, OrderView};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, as the document lists them.
            pub const ALL: &'static [&'static str] = &[$($text),*];

            /// The value as Skip Pay writes it.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value written `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// `ApplicationBaseResponse.state`.
    ApplicationState {
        /// Being processed.
        Processing = "PROCESSING",
        /// Approved.
        Ready = "READY",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

wire_enum! {
    /// `ApplicationBaseResponse.stateReason`.
    StateReason {
        /// The customer must be redirected to the gateway.
        ProcessingRedirectNeeded = "PROCESSING_REDIRECT_NEEDED",
        /// Pre-approved.
        ProcessingPreapproved = "PROCESSING_PREAPPROVED",
        /// Skip Pay validates the application.
        ProcessingValidationInProgress = "PROCESSING_VALIDATION_IN_PROGRESS",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled, not paid.
        CancelledNotPaid = "CANCELLED_NOT_PAID",
        /// Approved, to be shipped.
        ReadyToShip = "READY_TO_SHIP",
        /// Shipped.
        ReadyShipped = "READY_SHIPPED",
        /// Delivered.
        ReadyDelivered = "READY_DELIVERED",
        /// Paid.
        ReadyPaid = "READY_PAID",
        /// Cancelled after a return.
        CancelledReturned = "CANCELLED_RETURNED",
    }
}

wire_enum! {
    /// `OrderDeliveryState`, of an order and of each item.
    OrderState {
        /// Not yet marked.
        Processing = "PROCESSING",
        /// Marked as sent.
        Sent = "SENT",
        /// Marked as delivered.
        Delivered = "DELIVERED",
        /// Marked as returned.
        Returned = "RETURNED",
        /// Marked as cancelled.
        Cancelled = "CANCELLED",
    }
}

// Written by hand: the enum comes from `wire_enum!`, whose derives are shared by enums with no
// default.
#[allow(clippy::derivable_impls)]
impl Default for OrderState {
    fn default() -> Self {
        OrderState::Processing
    }
}

/// `FinancingType`: `DEFERRED_PAYMENT` or `PAY_IN_THREE`; a seed may hold another value, which
/// every operation refuses with `NOT_SUPPORTED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum FinancingType {
    /// Pay later.
    DeferredPayment,
    /// Pay in three parts.
    PayInThree,
    /// A type the document does not list.
    Other(String),
}

impl From<String> for FinancingType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "DEFERRED_PAYMENT" => FinancingType::DeferredPayment,
            "PAY_IN_THREE" => FinancingType::PayInThree,
            _ => FinancingType::Other(s),
        }
    }
}

impl From<FinancingType> for String {
    fn from(t: FinancingType) -> Self {
        t.to_string()
    }
}

impl FinancingType {
    /// Whether the document does not list it.
    pub fn is_unknown(&self) -> bool {
        matches!(self, FinancingType::Other(_))
    }
}

impl fmt::Display for FinancingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FinancingType::DeferredPayment => "DEFERRED_PAYMENT",
            FinancingType::PayInThree => "PAY_IN_THREE",
            FinancingType::Other(s) => s,
        })
    }
}

/// A JSON number as a decimal: the document types amounts, rates and quantities as `number`,
/// so `12590`, `12590.0` and `1.259e4` are the same value.
pub(crate) fn number_to_decimal(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .map(|d| d.normalize())
}

/// A decimal as a JSON number: an integer when it is whole, else a float (quantities have at
/// most 3 decimal places, rates a few: exact enough).
pub(crate) fn decimal_to_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return json!(i);
    }
    d.to_f64().map_or(Value::Null, |f| json!(f))
}

/// Serde for decimals written as JSON numbers.
pub(crate) mod number {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        decimal_to_json(*d).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => number_to_decimal(&n)
                .ok_or_else(|| serde::de::Error::custom(format!("`{n}` is not a decimal"))),
            other => Err(serde::de::Error::custom(format!(
                "expected a number, got {other}"
            ))),
        }
    }
}

fn one() -> Decimal {
    Decimal::ONE
}

/// Minor units from a JSON number that is whole (`12590` or `12590.0`).
pub(crate) fn whole_minor_units(n: &serde_json::Number) -> Option<i64> {
    let d = number_to_decimal(n)?;
    if d.fract().is_zero() {
        d.to_i64()
    } else {
        None
    }
}

mod minor_units {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => whole_minor_units(&n).ok_or_else(|| {
                serde::de::Error::custom(format!("`{n}` is not a whole number of minor units"))
            }),
            other => Err(serde::de::Error::custom(format!(
                "expected a number, got {other}"
            ))),
        }
    }
}

/// `Amount`: minor units (12590 is 125.90) and an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Amount {
    /// Minor units.
    #[serde(with = "minor_units")]
    pub amount: i64,
    /// `CZK` or `EUR`.
    pub currency: String,
}

/// `VatAmount`: an [`Amount`] and its VAT rate (15 is 15 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VatAmount {
    /// Minor units.
    #[serde(with = "minor_units")]
    pub amount: i64,
    /// `CZK` or `EUR`.
    pub currency: String,
    /// The rate, 0 or more.
    #[serde(with = "number")]
    pub vat_rate: Decimal,
}

/// An item's image as stored: the URL the request gave, or content it uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileRef {
    /// The file name.
    pub filename: String,
    /// Where it is served.
    pub url: String,
}

/// One line of an order (`OrderItemResponse`): the item's identifiers and prices, its state
/// and quantity. A partially cancelled item is two lines (see the module docs of
/// [`skippay`](super)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderItem {
    /// The e-shop's code (required).
    pub code: Option<String>,
    /// EAN (nullable).
    #[serde(default)]
    pub ean: Option<String>,
    /// Name (required).
    pub name: Option<String>,
    /// `ItemType` (nullable).
    #[serde(default, rename = "type")]
    pub item_type: Option<String>,
    /// Variant (nullable).
    #[serde(default)]
    pub variant: Option<String>,
    /// Description (nullable).
    #[serde(default)]
    pub description: Option<String>,
    /// Producer (nullable).
    #[serde(default)]
    pub producer: Option<String>,
    /// Categories (nullable).
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// The price of the line.
    pub total_price: Amount,
    /// The VAT of the line.
    pub total_vat: VatAmount,
    /// The item's page (nullable).
    #[serde(default)]
    pub product_url: Option<String>,
    /// Its state (PROCESSING when a seed leaves it out).
    #[serde(default)]
    pub state: OrderState,
    /// Sent on (nullable).
    #[serde(default)]
    pub sent_date: Option<Date>,
    /// Delivered on (nullable).
    #[serde(default)]
    pub delivery_date: Option<Date>,
    /// Tracking number (nullable).
    #[serde(default)]
    pub delivery_tracking_number: Option<String>,
    /// The image, if the create sent one (optional, not nullable: left out when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<FileRef>,
    /// The price of one piece; `totalPrice / quantity` when the create did not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Amount>,
    /// The VAT of one piece; `totalVat / quantity` when the create did not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_vat: Option<VatAmount>,
    /// The quantity (1 when a seed leaves it out).
    #[serde(default = "one", with = "number")]
    pub quantity: Decimal,
}

/// An order (`OrderResponse`), stored with its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Order {
    /// The e-shop's order number.
    pub number: String,
    /// Variable symbols.
    #[serde(default)]
    pub variable_symbols: Vec<String>,
    /// The total price, as created (a cancel does not change it).
    pub total_price: Amount,
    /// The total VAT per rate, as created.
    #[serde(default)]
    pub total_vat: Vec<VatAmount>,
    /// `Address`es, as sent.
    #[serde(default)]
    pub addresses: Vec<Value>,
    /// `DeliveryType` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_type: Option<String>,
    /// `DeliveryCarrier` (optional), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_carrier: Option<Value>,
    /// The sales channel (optional; the document's pages list it with default `ESHOP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Until when the goods are reserved (nullable), as sent.
    #[serde(default)]
    pub reservation_date: Option<String>,
    /// The order's state.
    #[serde(default)]
    pub state: OrderState,
    /// Delivered on (nullable).
    #[serde(default)]
    pub delivery_date: Option<Date>,
    /// Tracking number (nullable).
    #[serde(default)]
    pub delivery_tracking_number: Option<String>,
    /// Sent on (nullable).
    #[serde(default)]
    pub sent_date: Option<Date>,
    /// `DocumentResponse`s, as stored.
    #[serde(default)]
    pub documents: Vec<Value>,
    /// The lines.
    #[serde(default)]
    pub items: Vec<OrderItem>,
    /// Merchant id (nullable).
    #[serde(default)]
    pub merchant_id: Option<String>,
}

/// An item as `OrderItemResponse`: every required field (`unitPrice` and `unitVat` derived
/// from the line's totals when the create did not give them), `null` only where nullable,
/// `image` only when there is one. The simulator serves the same fields as bytes, through
/// the typed views of `render.rs`; this is their value.
pub fn item_json(item: &OrderItem) -> Value {
    to_value(&ItemView::of(item))
}

/// An order as `OrderResponse` (optional fields `deliveryType`, `deliveryCarrier` and
/// `channel` only when they have a value).
pub fn order_json(order: &Order) -> Value {
    to_value(&OrderView::of(order))
}

/// A customer as `CustomerResponse`: `email`, `phone`, `firstName`, `lastName` and `fullName`
/// are required and not nullable, so the names the create did not give are derived from the
/// others (`fullName` is `firstName lastName`; from a `fullName` alone, `lastName` is its last
/// word and `firstName` the rest, or the one word itself); titles, `tin` and `vatin` are
/// nullable; `addresses` is a list.
pub fn customer_json(customer: &Map<String, Value>) -> Value {
    to_value(&CustomerView::of(customer))
}

/// A view's value (views of stored state always serialize).
fn to_value<T: Serialize>(view: &T) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_json_form() {
        let n: serde_json::Number = serde_json::from_str("12590.0").unwrap();
        assert_eq!(whole_minor_units(&n), Some(12590));
        let n: serde_json::Number = serde_json::from_str("1.259e4").unwrap();
        assert_eq!(whole_minor_units(&n), Some(12590));
        let n: serde_json::Number = serde_json::from_str("125.9").unwrap();
        assert_eq!(whole_minor_units(&n), None);
        assert_eq!(decimal_to_json(Decimal::new(25, 1)), json!(2.5));
        assert_eq!(decimal_to_json(Decimal::new(30, 1)), json!(3));
    }

    #[test]
    fn an_item_without_unit_prices_or_image_is_served_as_documented() {
        let item: OrderItem = serde_json::from_value(json!({
            "code": "C", "name": "N",
            "totalPrice": {"amount": 1000.0, "currency": "CZK"},
            "totalVat": {"amount": 210, "currency": "CZK", "vatRate": 21},
            "quantity": 4
        }))
        .unwrap();
        let v = item_json(&item);
        assert_eq!(v["unitPrice"], json!({"amount": 250, "currency": "CZK"}));
        assert_eq!(v["unitVat"]["amount"], 53);
        assert_eq!(v["state"], "PROCESSING");
        assert!(v.get("image").is_none(), "{v}");
        assert!(v["sentDate"].is_null());
    }

    #[test]
    fn customer_names_are_completed() {
        let c = |v: Value| customer_json(v.as_object().unwrap());
        let v = c(json!({"email": "a@b.cz", "phone": "+420", "fullName": "Ing. John Newborn"}));
        assert_eq!(v["firstName"], "Ing. John");
        assert_eq!(v["lastName"], "Newborn");
        let v = c(
            json!({"email": "a@b.cz", "phone": "+420", "firstName": "John", "lastName": "Newborn"}),
        );
        assert_eq!(v["fullName"], "John Newborn");
        assert!(v["tin"].is_null());
        assert_eq!(v["addresses"], json!([]));
    }
}
