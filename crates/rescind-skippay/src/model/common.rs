//! Types shared by several resources: money, VAT, addresses, files, item types.

use rescind_core::jiff::civil::Date;
use rescind_core::open_enum;
use rescind_core::rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Amount {
    /// The amount in minor units (hellers, cents).
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
}

impl Amount {
    /// An amount in minor units.
    pub fn new(amount: i64, currency: Currency) -> Self {
        Amount { amount, currency }
    }

    /// CZK in hellers (`Amount::czk(12590)` is 125.90 CZK).
    pub fn czk(amount: i64) -> Self {
        Amount::new(amount, Currency::Czk)
    }

    /// EUR in cents.
    pub fn eur(amount: i64) -> Self {
        Amount::new(amount, Currency::Eur)
    }
}

/// An amount of VAT in minor units at one VAT rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VatAmount {
    /// The VAT in minor units.
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
    /// The VAT rate in percent (`15` is 15 %; `0` is allowed). A decimal, written as a JSON
    /// number.
    #[serde(with = "crate::model::number")]
    pub vat_rate: Decimal,
}

impl VatAmount {
    /// A VAT amount in minor units at `vat_rate` percent.
    pub fn new(amount: i64, currency: Currency, vat_rate: Decimal) -> Self {
        VatAmount {
            amount,
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

/// Reads an optional date written `2017-01-17`; a date-time (`2017-01-17T10:00:00+01:00`) is
/// accepted too and gives its date, since the docs call these fields "date and time".
pub(crate) fn option_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Date>, D::Error> {
    let Some(raw) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let date_part = raw
        .get(..10)
        .filter(|_| raw.len() == 10 || raw.as_bytes().get(10) == Some(&b'T'));
    date_part
        .and_then(|d| d.parse::<Date>().ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("`{raw}` is not a date (YYYY-MM-DD)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct D {
        #[serde(default, deserialize_with = "option_date")]
        d: Option<Date>,
    }

    #[test]
    fn dates_read_with_or_without_time() {
        let d: D = serde_json::from_str(r#"{"d":"2017-01-17"}"#).unwrap();
        assert_eq!(d.d, Some(rescind_core::jiff::civil::date(2017, 1, 17)));
        let d: D = serde_json::from_str(r#"{"d":"2017-01-17T10:00:00+01:00"}"#).unwrap();
        assert_eq!(d.d, Some(rescind_core::jiff::civil::date(2017, 1, 17)));
        let d: D = serde_json::from_str(r#"{"d":null}"#).unwrap();
        assert_eq!(d.d, None);
        let d: D = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(d.d, None);
        assert!(serde_json::from_str::<D>(r#"{"d":"17.1.2017"}"#).is_err());
    }
}
