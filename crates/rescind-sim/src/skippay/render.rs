//! Skip Pay's answers as typed views that borrow the stored state and serialize straight to
//! bytes (`serde_json::to_vec`), with no `serde_json::Value` tree in between: an order cancel
//! renders its answer once per request, and a tree of small maps cost more than the rest of
//! the request (issue 17).
//!
//! The fields of every view are declared in the byte order of their JSON names, the order in
//! which a `serde_json::Map` (a `BTreeMap` in this build) writes them, so the bytes are those
//! the simulator served when it built trees (tested below). What is written, and why (required
//! fields, `null` only where nullable, optional fields left out when absent), is documented on
//! [`wire::order_json`](super::wire::order_json), [`wire::item_json`](super::wire::item_json)
//! and [`wire::customer_json`](super::wire::customer_json), from Skip Pay's OpenAPI document
//! (`OrderResponse`, `OrderItemResponse`, `CustomerResponse`, `ApplicationResponse`,
//! `OrderExtendedResponse`, `ApplicationBaseResponse`, `ErrorResponse`).

use std::borrow::Cow;

use bytes::Bytes;
use jiff::civil::Date;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::Application;
use super::wire::{
    Amount, ApplicationState, FinancingType, Order, OrderItem, OrderState, StateReason, VatAmount,
};

/// A view's bytes (a view of stored state always serializes; an empty body would show a bug).
pub(crate) fn to_bytes<T: Serialize>(view: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(view).unwrap_or_default())
}

/// A decimal as a JSON number: an integer when it is whole, else a float (as
/// [`wire::decimal_to_json`](super::wire::decimal_to_json)), `null` if it has no float.
struct Number(Decimal);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0.normalize();
        if d.fract().is_zero()
            && let Some(i) = d.to_i64()
        {
            return s.serialize_i64(i);
        }
        match d.to_f64() {
            Some(f) => s.serialize_f64(f),
            None => s.serialize_unit(),
        }
    }
}

/// `Amount`.
#[derive(Serialize)]
struct AmountView<'a> {
    amount: i64,
    currency: &'a str,
}

impl<'a> AmountView<'a> {
    fn of(a: &'a Amount) -> Self {
        AmountView {
            amount: a.amount,
            currency: &a.currency,
        }
    }
}

/// `VatAmount`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VatView<'a> {
    amount: i64,
    currency: &'a str,
    vat_rate: Number,
}

impl<'a> VatView<'a> {
    fn of(v: &'a VatAmount) -> Self {
        VatView {
            amount: v.amount,
            currency: &v.currency,
            vat_rate: Number(v.vat_rate),
        }
    }
}

/// `FileResponse`.
#[derive(Serialize)]
struct FileView<'a> {
    filename: &'a str,
    url: &'a str,
}

/// `amount / quantity`, rounded half away from zero (the amount itself for a quantity 0).
fn scaled(amount: i64, quantity: Decimal) -> i64 {
    if quantity.is_zero() {
        return amount;
    }
    (Decimal::from(amount) / quantity)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(amount)
}

/// `OrderItemResponse` (fields in the byte order of their names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemView<'a> {
    categories: Option<&'a [String]>,
    code: &'a str,
    delivery_date: Option<Date>,
    delivery_tracking_number: Option<&'a str>,
    description: Option<&'a str>,
    ean: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<FileView<'a>>,
    name: &'a str,
    producer: Option<&'a str>,
    product_url: Option<&'a str>,
    quantity: Number,
    sent_date: Option<Date>,
    state: OrderState,
    total_price: AmountView<'a>,
    total_vat: VatView<'a>,
    #[serde(rename = "type")]
    item_type: Option<&'a str>,
    unit_price: AmountView<'a>,
    unit_vat: VatView<'a>,
    variant: Option<&'a str>,
}

impl<'a> ItemView<'a> {
    /// The view of `item`: `unitPrice` and `unitVat` derived from the line's totals when the
    /// create did not give them.
    pub(crate) fn of(item: &'a OrderItem) -> Self {
        let unit_price = match &item.unit_price {
            Some(a) => AmountView::of(a),
            None => AmountView {
                amount: scaled(item.total_price.amount, item.quantity),
                currency: &item.total_price.currency,
            },
        };
        let unit_vat = match &item.unit_vat {
            Some(v) => VatView::of(v),
            None => VatView {
                amount: scaled(item.total_vat.amount, item.quantity),
                currency: &item.total_vat.currency,
                vat_rate: Number(item.total_vat.vat_rate),
            },
        };
        ItemView {
            categories: item.categories.as_deref(),
            code: item.code.as_deref().unwrap_or_default(),
            delivery_date: item.delivery_date,
            delivery_tracking_number: item.delivery_tracking_number.as_deref(),
            description: item.description.as_deref(),
            ean: item.ean.as_deref(),
            image: item.image.as_ref().map(|f| FileView {
                filename: &f.filename,
                url: &f.url,
            }),
            name: item.name.as_deref().unwrap_or_default(),
            producer: item.producer.as_deref(),
            product_url: item.product_url.as_deref(),
            quantity: Number(item.quantity),
            sent_date: item.sent_date,
            state: item.state,
            total_price: AmountView::of(&item.total_price),
            total_vat: VatView::of(&item.total_vat),
            item_type: item.item_type.as_deref(),
            unit_price,
            unit_vat,
            variant: item.variant.as_deref(),
        }
    }
}

/// The items of an order, serialized one by one as they are viewed (no vector of views).
struct ItemsView<'a>(&'a [OrderItem]);

impl Serialize for ItemsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ItemView::of))
    }
}

/// An order's VAT per rate.
struct VatsView<'a>(&'a [VatAmount]);

impl Serialize for VatsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(VatView::of))
    }
}

/// `ApplicationBaseResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationInfoView<'a> {
    id: &'a str,
    state: ApplicationState,
    state_reason: StateReason,
}

/// `OrderResponse`, and `OrderExtendedResponse` when `application_info` is there (fields in
/// the byte order of their names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderView<'a> {
    addresses: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    application_info: Option<ApplicationInfoView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_carrier: Option<&'a Value>,
    delivery_date: Option<Date>,
    delivery_tracking_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_type: Option<&'a str>,
    documents: &'a [Value],
    items: ItemsView<'a>,
    merchant_id: Option<&'a str>,
    number: &'a str,
    reservation_date: Option<&'a str>,
    sent_date: Option<Date>,
    state: OrderState,
    total_price: AmountView<'a>,
    total_vat: VatsView<'a>,
    variable_symbols: &'a [String],
}

impl<'a> OrderView<'a> {
    /// `OrderResponse`.
    pub(crate) fn of(order: &'a Order) -> Self {
        OrderView {
            addresses: &order.addresses,
            application_info: None,
            channel: order.channel.as_deref(),
            delivery_carrier: order.delivery_carrier.as_ref(),
            delivery_date: order.delivery_date,
            delivery_tracking_number: order.delivery_tracking_number.as_deref(),
            delivery_type: order.delivery_type.as_deref(),
            documents: &order.documents,
            items: ItemsView(&order.items),
            merchant_id: order.merchant_id.as_deref(),
            number: &order.number,
            reservation_date: order.reservation_date.as_deref(),
            sent_date: order.sent_date,
            state: order.state,
            total_price: AmountView::of(&order.total_price),
            total_vat: VatsView(&order.total_vat),
            variable_symbols: &order.variable_symbols,
        }
    }

    /// `OrderExtendedResponse`: the application's order plus `applicationInfo`.
    pub(crate) fn extended(app: &'a Application) -> Self {
        OrderView {
            application_info: Some(ApplicationInfoView {
                id: &app.id,
                state: app.state,
                state_reason: app.reason(),
            }),
            ..OrderView::of(&app.order)
        }
    }
}

/// `CustomerResponse` (fields in the byte order of their names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerView<'a> {
    addresses: Cow<'a, Value>,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra_data: Option<&'a Value>,
    first_name: Cow<'a, str>,
    full_name: Cow<'a, str>,
    last_name: Cow<'a, str>,
    phone: &'a str,
    tin: Option<&'a str>,
    title_after: Option<&'a str>,
    title_before: Option<&'a str>,
    vatin: Option<&'a str>,
}

impl<'a> CustomerView<'a> {
    /// The view of the customer the create sent, with the names it left out derived from the
    /// others (see [`wire::customer_json`](super::wire::customer_json)).
    pub(crate) fn of(customer: &'a Map<String, Value>) -> Self {
        let text = |k: &str| customer.get(k).and_then(Value::as_str);
        let (first, last, full) = (text("firstName"), text("lastName"), text("fullName"));
        let (first, last): (Cow<'a, str>, Cow<'a, str>) = match (first, last, full) {
            (Some(f), Some(l), _) => (f.into(), l.into()),
            (f, l, Some(full)) => {
                let full = full.trim();
                let (rest, tail) = full.rsplit_once(' ').unwrap_or((full, full));
                (
                    f.unwrap_or_else(|| rest.trim()).into(),
                    l.unwrap_or(tail).into(),
                )
            }
            (f, l, None) => (f.unwrap_or_default().into(), l.unwrap_or_default().into()),
        };
        let full: Cow<'a, str> = match full {
            Some(full) => full.into(),
            None => format!("{first} {last}").trim().to_string().into(),
        };
        CustomerView {
            addresses: customer
                .get("addresses")
                .filter(|a| a.is_array())
                .map_or_else(|| Cow::Owned(Value::Array(Vec::new())), Cow::Borrowed),
            email: text("email").unwrap_or_default(),
            extra_data: customer.get("extraData").filter(|e| e.is_object()),
            first_name: first,
            full_name: full,
            last_name: last,
            phone: text("phone").unwrap_or_default(),
            tin: text("tin"),
            title_after: text("titleAfter"),
            title_before: text("titleBefore"),
            vatin: text("vatin"),
        }
    }
}

/// `ApplicationResponse` (fields in the byte order of their names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationView<'a> {
    agreement_terms_and_conditions: bool,
    customer: CustomerView<'a>,
    gateway_redirect_url: Cow<'a, str>,
    id: &'a str,
    order: OrderView<'a>,
    state: ApplicationState,
    state_reason: StateReason,
    #[serde(rename = "type")]
    financing_type: &'a FinancingType,
}

/// The customer of an application that has none: every required field empty.
static NO_CUSTOMER: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> ApplicationView<'a> {
    /// The view of `app`: every required field (`gatewayRedirectUrl` too, which is not
    /// nullable), the customer as `CustomerResponse`, the order as `OrderResponse`.
    pub(crate) fn of(app: &'a Application) -> Self {
        ApplicationView {
            agreement_terms_and_conditions: app.agreement_terms_and_conditions,
            customer: CustomerView::of(app.customer.as_ref().unwrap_or(&NO_CUSTOMER)),
            gateway_redirect_url: match &app.gateway_redirect_url {
                Some(url) => url.into(),
                None => super::gateway_url(&app.id).into(),
            },
            id: &app.id,
            order: OrderView::of(&app.order),
            state: app.state,
            state_reason: app.reason(),
            financing_type: &app.financing_type,
        }
    }
}

/// One error of `ErrorResponse` (fields in the byte order of their names; `attribute` is
/// optional and not nullable: there only when an attribute is at fault).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attribute: Option<&'a str>,
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
    pub(crate) severity: &'a str,
    pub(crate) ticket_id: &'a str,
}

/// `ErrorResponse`: `{"errors": [...]}`.
#[derive(Serialize)]
pub(crate) struct ErrorsView<'a> {
    pub(crate) errors: [ErrorView<'a>; 1],
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::World;

    /// The bytes of a view are those of its value written as a `serde_json::Value` (keys in
    /// map order): the bytes the simulator served when it built trees.
    fn same_bytes_as_a_tree<T: Serialize>(view: &T) -> Value {
        let bytes = to_bytes(view);
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            serde_json::to_string(&value).unwrap(),
            "the view's keys are not in map order"
        );
        value
    }

    #[test]
    fn every_demo_application_renders_as_a_tree_would() {
        let world = World::demo().skippay;
        assert!(!world.applications.is_empty());
        for app in &world.applications {
            let v = same_bytes_as_a_tree(&ApplicationView::of(app));
            assert_eq!(v["id"], app.id.as_str());
            assert_eq!(
                v["order"]["items"].as_array().unwrap().len(),
                app.order.items.len()
            );
            let v = same_bytes_as_a_tree(&OrderView::extended(app));
            assert_eq!(v["applicationInfo"]["id"], app.id.as_str());
            assert_eq!(v["number"], app.order.number.as_str());
        }
    }

    #[test]
    fn every_optional_field_when_present_keeps_map_order() {
        let mut app = World::demo().skippay.applications.remove(0);
        app.order.delivery_type = Some("DELIVERY_CARRIER".into());
        app.order.delivery_carrier = Some(json!({"name": "PPL", "id": 1}));
        app.order.channel = Some("ESHOP".into());
        app.order.reservation_date = Some("2026-12-01".into());
        app.order.merchant_id = Some("M1".into());
        app.order.sent_date = Some(jiff::civil::date(2026, 11, 2));
        app.gateway_redirect_url = None;
        app.customer = Some(
            json!({"email": "a@b.cz", "phone": "+420", "fullName": "Ing. John Newborn",
                   "titleBefore": "Ing.", "titleAfter": "Ph.D.", "tin": "1", "vatin": "CZ1",
                   "extraData": {"b": 1, "a": [2]}, "addresses": [{"city": "Praha"}]})
            .as_object()
            .unwrap()
            .clone(),
        );
        let item = &mut app.order.items[0];
        item.image = Some(super::super::wire::FileRef {
            filename: "a.png".into(),
            url: "https://x/a.png".into(),
        });
        item.categories = Some(vec!["A".into()]);
        item.ean = Some("123".into());
        item.sent_date = Some(jiff::civil::date(2026, 11, 2));
        item.quantity = Decimal::new(25, 1);
        let v = same_bytes_as_a_tree(&ApplicationView::of(&app));
        assert_eq!(v["order"]["deliveryCarrier"]["name"], "PPL");
        assert_eq!(v["order"]["channel"], "ESHOP");
        assert_eq!(v["order"]["items"][0]["image"]["filename"], "a.png");
        assert_eq!(v["order"]["items"][0]["quantity"], json!(2.5));
        assert_eq!(v["customer"]["firstName"], "Ing. John");
        assert_eq!(v["customer"]["lastName"], "Newborn");
        assert_eq!(v["customer"]["extraData"], json!({"a": [2], "b": 1}));
        assert_eq!(
            v["gatewayRedirectUrl"],
            super::super::gateway_url(&app.id).as_str()
        );
        same_bytes_as_a_tree(&OrderView::extended(&app));
    }

    #[test]
    fn an_error_keeps_map_order_with_and_without_attribute() {
        for attribute in [None, Some("items[0].quantity")] {
            let v = same_bytes_as_a_tree(&ErrorsView {
                errors: [ErrorView {
                    attribute,
                    code: "INVALID_REQUEST",
                    message: "m",
                    severity: "ERROR",
                    ticket_id: "T",
                }],
            });
            assert_eq!(
                v["errors"][0].get("attribute").is_some(),
                attribute.is_some()
            );
        }
    }
}
