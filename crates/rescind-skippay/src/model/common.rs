//! Types shared by several resources: money, VAT, addresses, files, item types.

use rescind_core::open_enum;
use rescind_core::rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

open_enum! {
    /// An ISO 4217 currency. Skip Pay accepts CZK and EUR.
    pub enum Currency {
        /// Czech koruna.
        Czk = "CZK",
        /// Euro.
        Eur = "EUR",
    }
}

/// An amount of money in **minor units** (`12590` is 125.90 CZK), never a float.
///
/// Skip Pay's document types `amount` as `number` (OpenAPI `Amount`), so it is a decimal: it
/// reads `12590`, `12590.0`, `1.259e4` or `"12590"` exactly, and a fraction of a minor unit is
/// kept as sent. It is written as a JSON number with its exact text (`12590`).
///
/// ```
/// use rescind_skippay::model::Amount;
/// let a: Amount = serde_json::from_str(r#"{"amount": 12590.0, "currency": "CZK"}"#).unwrap();
/// assert_eq!(a, Amount::czk(12590));
/// assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"amount":12590,"currency":"CZK"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Amount {
    /// The amount in minor units (hellers, cents).
    #[serde(with = "rescind_core::wire::decimal")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Amount {
    /// An amount in minor units (an integer or a [`Decimal`]).
    pub fn new(amount: impl Into<Decimal>, currency: Currency) -> Self {
        Amount {
            amount: amount.into(),
            currency,
        }
    }

    /// CZK in hellers (`Amount::czk(12590)` is 125.90 CZK).
    pub fn czk(amount: impl Into<Decimal>) -> Self {
        Amount::new(amount, Currency::Czk)
    }

    /// EUR in cents.
    pub fn eur(amount: impl Into<Decimal>) -> Self {
        Amount::new(amount, Currency::Eur)
    }
}

/// An amount of VAT in minor units at one VAT rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VatAmount {
    /// The VAT in minor units (`number` in Skip Pay's document: a decimal, as [`Amount`]).
    #[serde(with = "rescind_core::wire::decimal")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
    /// The VAT rate in percent (`15` is 15 %; `0` is allowed). A decimal, written as a JSON
    /// number.
    #[serde(with = "rescind_core::wire::decimal")]
    pub vat_rate: Decimal,
}

impl VatAmount {
    /// A VAT amount in minor units at `vat_rate` percent.
    pub fn new(amount: impl Into<Decimal>, currency: Currency, vat_rate: Decimal) -> Self {
        VatAmount {
            amount: amount.into(),
            currency,
            vat_rate,
        }
    }
}

open_enum! {
    /// The type of an order item.
    pub enum ItemType {
        /// Goods.
        Physical = "PHYSICAL",
        /// A discount.
        Discount = "DISCOUNT",
        /// Shipping.
        ShippingFee = "SHIPPING_FEE",
        /// Sales tax.
        SalesTax = "SALES_TAX",
        /// A digital good.
        Digital = "DIGITAL",
        /// A gift card.
        GiftCard = "GIFT_CARD",
        /// Store credit.
        StoreCredit = "STORE_CREDIT",
        /// A fee.
        Fee = "FEE",
        /// Insurance.
        Insurance = "INSURANCE",
    }
}

open_enum! {
    /// The type of an address.
    pub enum AddressType {
        /// Permanent address.
        Permanent = "PERMANENT",
        /// Contact address.
        Contact = "CONTACT",
        /// Delivery address.
        Delivery = "DELIVERY",
        /// Billing address.
        Billing = "BILLING",
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// The name on the address.
    pub name: Option<String>,
    /// ISO 3166 alpha-2 country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Street or city part.
    pub street_address: Option<String>,
    /// Street number.
    pub street_number: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// The address's type.
    pub address_type: Option<AddressType>,
}

/// A file the provider hosts: a name and a URL (document URLs work for one hour).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileRef {
    /// The file name.
    pub filename: Option<String>,
    /// The file's URL.
    pub url: Option<String>,
}
