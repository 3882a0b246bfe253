//! The documented shapes of Skip Pay's answers (`skippay-openapi.yaml`, components/schemas),
//! for conformance tests: [`rescind_core::wire::shape::generate`] writes bodies the document
//! allows, and the client must decode every one; a simulator checks its answers with
//! [`rescind_core::wire::shape::check`].
//!
//! Every `number` of the document (amounts, VAT rates, quantities) is [`Shape::Number`]; the
//! required lists and `nullable` flags are the document's.

use rescind_core::wire::shape::{Field, Shape};

const CURRENCIES: &[&str] = &["CZK", "EUR"];
const ITEM_TYPES: &[&str] = &[
    "PHYSICAL",
    "DISCOUNT",
    "SHIPPING_FEE",
    "SALES_TAX",
    "DIGITAL",
    "GIFT_CARD",
    "STORE_CREDIT",
    "FEE",
    "INSURANCE",
];
const ORDER_STATES: &[&str] = &["PROCESSING", "SENT", "DELIVERED", "RETURNED", "CANCELLED"];
const APPLICATION_STATES: &[&str] = &["PROCESSING", "READY", "REJECTED", "CANCELLED"];
const STATE_REASONS: &[&str] = &[
    "PROCESSING_REDIRECT_NEEDED",
    "PROCESSING_PREAPPROVED",
    "PROCESSING_VALIDATION_IN_PROGRESS",
    "REJECTED",
    "CANCELLED_NOT_PAID",
    "READY_TO_SHIP",
    "READY_SHIPPED",
    "READY_DELIVERED",
    "READY_PAID",
    "CANCELLED_RETURNED",
];

/// `Amount`: `amount` (`number`, minor units) and `currency`, both required.
pub fn amount() -> Shape {
    Shape::Object(vec![
        Field::required("amount", Shape::Number { places: 2 }),
        Field::required("currency", Shape::Enum(CURRENCIES)),
    ])
}

/// `VatAmount`: an [`amount`] with a required `vatRate` (`number`).
pub fn vat_amount() -> Shape {
    Shape::Object(vec![
        Field::required("amount", Shape::Number { places: 2 }),
        Field::required("currency", Shape::Enum(CURRENCIES)),
        Field::required("vatRate", Shape::Number { places: 2 }),
    ])
}

/// `Address`.
pub fn address() -> Shape {
    Shape::Object(vec![
        Field::nullable("name", Shape::Text),
        Field::required("country", Shape::Text),
        Field::required("city", Shape::Text),
        Field::required("streetAddress", Shape::Text),
        Field::nullable("streetNumber", Shape::Text),
        Field::required("zip", Shape::Text),
        Field::required(
            "addressType",
            Shape::Enum(&["PERMANENT", "CONTACT", "DELIVERY", "BILLING"]),
        ),
    ])
}

fn file() -> Shape {
    Shape::Object(vec![
        Field::required("filename", Shape::Text),
        Field::required("url", Shape::Text),
    ])
}

fn delivery_carrier() -> Shape {
    Shape::OneOf(vec![
        Shape::Object(vec![Field::required(
            "carrierId",
            Shape::Enum(&["DPD", "PPL", "ZASILKOVNA", "CZ_POST_HAND", "GLS"]),
        )]),
        Shape::Object(vec![Field::required("carrierCustom", Shape::Text)]),
    ])
}

/// `OrderItemResponse`.
pub fn order_item() -> Shape {
    Shape::Object(vec![
        Field::required("code", Shape::Text),
        Field::nullable("ean", Shape::Text),
        Field::required("name", Shape::Text),
        Field::optional("type", Shape::Enum(ITEM_TYPES)),
        Field::nullable("variant", Shape::Text),
        Field::nullable("description", Shape::Text),
        Field::nullable("producer", Shape::Text),
        Field::nullable("categories", Shape::list(Shape::Text)),
        Field::required("totalPrice", amount()),
        Field::required("totalVat", vat_amount()),
        Field::nullable("productUrl", Shape::Text),
        Field::required("state", Shape::Enum(ORDER_STATES)),
        Field::required_nullable("sentDate", Shape::Date),
        Field::required_nullable("deliveryDate", Shape::Date),
        Field::required_nullable("deliveryTrackingNumber", Shape::Text),
        Field::optional("image", file()),
        Field::required("unitPrice", amount()),
        Field::required("unitVat", vat_amount()),
        Field::required("quantity", Shape::Number { places: 3 }),
    ])
}

fn order_fields() -> Vec<Field> {
    vec![
        Field::required("number", Shape::Text),
        Field::optional("variableSymbols", Shape::list(Shape::Text)),
        Field::required("totalPrice", amount()),
        Field::required("totalVat", Shape::list(vat_amount())),
        Field::optional("addresses", Shape::list(address())),
        Field::optional(
            "deliveryType",
            Shape::Enum(&[
                "DELIVERY_CARRIER",
                "PERSONAL_BRANCH",
                "PERSONAL_PARTNER",
                "ONLINE",
            ]),
        ),
        Field::optional("deliveryCarrier", delivery_carrier()),
        Field::optional("channel", Shape::Enum(&["ESHOP", "BRANCH", "TELEPHONE"])),
        Field::nullable("reservationDate", Shape::DateTimeOffset),
        Field::required("state", Shape::Enum(ORDER_STATES)),
        Field::required_nullable("deliveryDate", Shape::Date),
        Field::required_nullable("deliveryTrackingNumber", Shape::Text),
        Field::required_nullable("sentDate", Shape::Date),
        Field::optional(
            "documents",
            Shape::list(Shape::Object(vec![
                Field::required(
                    "type",
                    Shape::Enum(&["INVOICE", "PROFORMA_INVOICE", "CREDIT_NOTE", "OTHER"]),
                ),
                Field::required("file", file()),
                Field::nullable("description", Shape::Text),
                Field::optional(
                    "extraData",
                    Shape::Object(vec![Field::nullable("variableSymbol", Shape::Text)]),
                ),
            ])),
        ),
        Field::required("items", Shape::list(order_item())),
        Field::required_nullable("merchantId", Shape::Text),
    ]
}

fn application_base() -> Shape {
    Shape::Object(vec![
        Field::required("id", Shape::Text),
        Field::required("state", Shape::Enum(APPLICATION_STATES)),
        Field::required("stateReason", Shape::Enum(STATE_REASONS)),
    ])
}

/// `OrderResponse`: the order inside an application.
pub fn order() -> Shape {
    Shape::Object(order_fields())
}

/// `OrderExtendedResponse`: the answer of an order cancel.
pub fn order_extended() -> Shape {
    let mut fields = order_fields();
    fields.push(Field::required("applicationInfo", application_base()));
    Shape::Object(fields)
}

/// `ApplicationResponse`: the application read and the application cancel's answer.
pub fn application() -> Shape {
    Shape::Object(vec![
        Field::required("id", Shape::Text),
        Field::required("state", Shape::Enum(APPLICATION_STATES)),
        Field::required("stateReason", Shape::Enum(STATE_REASONS)),
        Field::required(
            "customer",
            Shape::Object(vec![
                Field::nullable("titleBefore", Shape::Text),
                Field::nullable("titleAfter", Shape::Text),
                Field::required("email", Shape::Text),
                Field::optional("addresses", Shape::list(address())),
                Field::nullable("tin", Shape::Text),
                Field::nullable("vatin", Shape::Text),
                Field::optional(
                    "extraData",
                    Shape::Object(vec![
                        Field::nullable("transactionsNumber", Shape::Number { places: 0 }),
                        Field::optional("transactionsSum", amount()),
                        Field::nullable("latestTransactionDate", Shape::Date),
                        Field::nullable("pageTotalTime", Shape::Number { places: 0 }),
                        Field::nullable("tags", Shape::list(Shape::Text)),
                    ]),
                ),
                Field::required("firstName", Shape::Text),
                Field::required("lastName", Shape::Text),
                Field::required("fullName", Shape::Text),
                Field::required("phone", Shape::Text),
            ]),
        ),
        Field::required("order", order()),
        Field::required("type", Shape::Enum(&["DEFERRED_PAYMENT", "PAY_IN_THREE"])),
        Field::required("agreementTermsAndConditions", Shape::Bool),
        Field::required("gatewayRedirectUrl", Shape::Text),
        Field::optional(
            "recurrence",
            Shape::Object(vec![
                Field::required("id", Shape::Text),
                Field::required(
                    "state",
                    Shape::Enum(&["APPROVING", "READY", "CANCELLED", "EXPIRED"]),
                ),
            ]),
        ),
    ])
}

/// `PartnerLoginResult`: `accessToken` (required, nullable) and `expiresIn` (`number`).
pub fn login() -> Shape {
    Shape::Object(vec![
        Field::required("accessToken", Shape::Text),
        Field::optional("expiresIn", Shape::Number { places: 3 }),
    ])
}
