//! Shapes shared by several resources: locations, contacts, tags, pages, units.

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

rescind_core::open_enum! {
    /// How payment to Arta is handled for shipments booked through a hosted session or a
    /// shipment. The reference documents `checkout` and `invoicing`; Arta's own Node SDK also
    /// accepts `checkout_direct`.
    pub enum PaymentProcess {
        /// The customer pays at checkout.
        Checkout = "checkout",
        /// Arta invoices the account.
        Invoicing = "invoicing",
        /// The customer pays Arta directly at checkout (seen in Arta's Node SDK).
        CheckoutDirect = "checkout_direct",
    }
}

rescind_core::open_enum! {
    /// The unit of an object's or package's dimensions.
    pub enum UnitOfMeasurement {
        /// Inches.
        Inches = "in",
        /// Centimetres.
        Centimeters = "cm",
    }
}

rescind_core::open_enum! {
    /// The unit of an object's or package's weight.
    pub enum WeightUnit {
        /// Pounds.
        Pounds = "lb",
        /// Kilograms.
        Kilograms = "kg",
    }
}

/// A place: an origin or a destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Location {
    /// The title or name of the location (`Warehouse`).
    #[serde(default)]
    pub title: Option<String>,
    /// First line of the address.
    #[serde(default)]
    pub address_line_1: Option<String>,
    /// Second line of the address.
    #[serde(default)]
    pub address_line_2: Option<String>,
    /// Third line of the address.
    #[serde(default)]
    pub address_line_3: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Region; two letters for US states and Canadian provinces.
    #[serde(default)]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: Option<String>,
    /// People to contact at the location.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub contacts: Vec<Contact>,
    /// Ids of access restriction types (deprecated by Arta, still sent).
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub access_restrictions: Vec<String>,
}

/// A person to contact at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Contact {
    /// The contact's name (required by Arta).
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Phone number, as written by the client.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// A tag attached to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The tag's id (a UUID).
    pub id: String,
    /// The tag's name: lower-case letters, digits and dashes, 1 to 50 characters.
    pub name: String,
    /// The colour as six upper-case hex digits without `#` (`FF0000`).
    #[serde(default)]
    pub color: Option<String>,
    /// A brief description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the tag is active; inactive tags cannot be attached to new resources.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// The user who created the tag, when known.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub created_by: Option<i64>,
    /// The user who last edited the tag, when known.
    #[serde(default, with = "rescind_core::wire::int::option")]
    pub updated_by: Option<i64>,
    /// When the tag was created (naive, microseconds).
    #[serde(default, with = "super::timestamp::option")]
    pub created_at: Option<DateTime>,
    /// When the tag was last updated (naive, microseconds).
    #[serde(default, with = "super::timestamp::option")]
    pub updated_at: Option<DateTime>,
}

/// One page of a list: `{"items": [...], "metadata": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page (`null` reads as none).
    #[serde(
        default = "Vec::new",
        deserialize_with = "rescind_core::wire::null_as_default",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub items: Vec<T>,
    /// Where this page is in the whole list.
    pub metadata: PageMetadata,
}

impl<T> Page<T> {
    /// Whether pages after this one exist, from `page * page_size < total_count`.
    pub fn has_more(&self) -> bool {
        let seen = u64::from(self.metadata.page).saturating_mul(u64::from(self.metadata.page_size));
        seen < self.metadata.total_count
    }
}

/// Where a [`Page`] is in the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageMetadata {
    /// The page number, from 1.
    #[serde(with = "rescind_core::wire::int")]
    pub page: u32,
    /// Items per page (Arta allows at most 50).
    #[serde(with = "rescind_core::wire::int")]
    pub page_size: u32,
    /// Items in the whole list.
    #[serde(with = "rescind_core::wire::int")]
    pub total_count: u64,
}
