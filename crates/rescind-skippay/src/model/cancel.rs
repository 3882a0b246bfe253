//! The body of an order cancel (`OrderItemsChangeRequest`): the whole order, or some items.

use rescind_core::ItemSelector;
use rescind_core::rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{Amount, ItemType, VatAmount};

/// Names one order item to cancel, as it was sent when the application was created, with an
/// optional quantity.
///
/// **Every identifier given must match the item exactly** (Skip Pay's rule): a selector with a
/// code and an EAN selects only an item with both that code and that EAN. Give at least one of
/// [`code`](CancelItem::code), [`ean`](CancelItem::ean), [`name`](CancelItem::name) and
/// [`item_type`](CancelItem::item_type). Without a quantity, the item's whole quantity is
/// cancelled.
///
/// ```
/// use rescind_skippay::model::{CancelItem, ItemType};
/// use rescind_core::rust_decimal::Decimal;
///
/// let item = CancelItem::by_code("EXC4677-1a")
///     .ean("888462064002")
///     .quantity(Decimal::new(25, 1)); // 2.5
/// assert_eq!(
///     serde_json::to_string(&item).unwrap(),
///     r#"{"code":"EXC4677-1a","ean":"888462064002","quantity":2.5}"#
/// );
/// assert_eq!(CancelItem::by_type(ItemType::ShippingFee).item_type, Some(ItemType::ShippingFee));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CancelItem {
    /// The e-shop's item code (at most 200 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The EAN (at most 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ean: Option<String>,
    /// The item's name (at most 255 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The item's type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub item_type: Option<ItemType>,
    /// How many pieces to cancel: at least 1, at most 3 decimal places. Sent as a JSON number
    /// with the decimal's exact text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rescind_core::wire::decimal::option"
    )]
    pub quantity: Option<Decimal>,
}

impl CancelItem {
    /// Selects the item with this code.
    pub fn by_code(code: impl Into<String>) -> Self {
        CancelItem {
            code: Some(code.into()),
            ..CancelItem::default()
        }
    }

    /// Selects the item with this EAN.
    pub fn by_ean(ean: impl Into<String>) -> Self {
        CancelItem {
            ean: Some(ean.into()),
            ..CancelItem::default()
        }
    }

    /// Selects the item with this name.
    pub fn by_name(name: impl Into<String>) -> Self {
        CancelItem {
            name: Some(name.into()),
            ..CancelItem::default()
        }
    }

    /// Selects the item of this type (e.g. the shipping fee).
    pub fn by_type(item_type: ItemType) -> Self {
        CancelItem {
            item_type: Some(item_type),
            ..CancelItem::default()
        }
    }

    /// Adds a code that must match too.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Adds an EAN that must match too.
    pub fn ean(mut self, ean: impl Into<String>) -> Self {
        self.ean = Some(ean.into());
        self
    }

    /// Adds a name that must match too.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a type that must match too.
    pub fn item_type(mut self, item_type: ItemType) -> Self {
        self.item_type = Some(item_type);
        self
    }

    /// Cancels only this many pieces.
    pub fn quantity(mut self, quantity: Decimal) -> Self {
        self.quantity = Some(quantity);
        self
    }

    /// Whether no identifier is set.
    pub fn has_no_identifier(&self) -> bool {
        self.code.is_none() && self.ean.is_none() && self.name.is_none() && self.item_type.is_none()
    }
}

impl From<&ItemSelector> for CancelItem {
    fn from(s: &ItemSelector) -> Self {
        CancelItem {
            code: s.code.clone(),
            ean: s.ean.clone(),
            name: s.name.clone(),
            item_type: s.item_type.as_deref().map(ItemType::from),
            quantity: s.quantity,
        }
    }
}

/// What to cancel in an order. [`OrderCancelRequest::whole`] sends `{}` (every item not yet
/// marked; never an empty body); [`OrderCancelRequest::items`] sends the items.
///
/// ```
/// use rescind_skippay::model::{CancelItem, OrderCancelRequest};
/// assert_eq!(serde_json::to_string(&OrderCancelRequest::whole()).unwrap(), "{}");
/// let some = OrderCancelRequest::items(vec![CancelItem::by_code("SKU-1")]);
/// assert_eq!(serde_json::to_string(&some).unwrap(), r#"{"items":[{"code":"SKU-1"}]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderCancelRequest {
    /// The items to cancel; empty means every item not yet marked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CancelItem>,
    /// The total price of the cancelled items, in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price: Option<Amount>,
    /// The VAT of the cancelled items, per VAT rate, in minor units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub total_vat: Vec<VatAmount>,
}

impl OrderCancelRequest {
    /// Cancels the whole order (every item not yet marked): the body `{}`.
    pub fn whole() -> Self {
        OrderCancelRequest::default()
    }

    /// Cancels these items.
    pub fn items(items: Vec<CancelItem>) -> Self {
        OrderCancelRequest {
            items,
            ..OrderCancelRequest::default()
        }
    }

    /// Sets the total price of the cancelled items.
    pub fn total_price(mut self, total_price: Amount) -> Self {
        self.total_price = Some(total_price);
        self
    }

    /// Adds a VAT amount at one rate.
    pub fn total_vat(mut self, vat: VatAmount) -> Self {
        self.total_vat.push(vat);
        self
    }

    /// Whether this cancels the whole order (no item named).
    pub fn is_whole(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether sending this twice could cancel more than once: an item cancel with a quantity
    /// (two cancels of 1 piece are 2 pieces). Such a request is never re-sent after it may have
    /// reached Skip Pay.
    pub fn has_quantities(&self) -> bool {
        self.items.iter().any(|i| i.quantity.is_some())
    }
}
