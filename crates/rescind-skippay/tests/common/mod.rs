//! Shared test helpers: a mock Skip Pay, a client pointed at it, documented bodies.
#![allow(dead_code)]

use std::time::Duration;

use httpmock::Mock;
use httpmock::prelude::*;
use rescind_core::retry::RetryPolicy;
use rescind_skippay::{Client, Credentials};
use serde_json::{Value, json};

pub const USERNAME: &str = "eShop";
pub const PASSWORD: &str = "eShopSecretPassword-9f3k";
pub const TOKEN: &str = "TokenForPartnerTokenForPartnerTokenForPartner-7q";
pub const APP: &str = "11200a0ee1";
/// Both policies, for tests that hold under either.
pub const POLICIES: [rescind_core::Policy; 2] = [
    rescind_core::Policy::CheckFirst,
    rescind_core::Policy::ChangeFirst,
];
/// The application of [`APP`], its order cancel and its application cancel.
pub const APP_PATH: &str = "/financing/v1/applications/11200a0ee1";
pub const ORDER_CANCEL: &str = "/financing/v1/applications/11200a0ee1/order/cancel";
pub const APP_CANCEL: &str = "/financing/v1/applications/11200a0ee1/cancel";

/// The seed's 200 example of the order cancel, byte for byte.
pub const ORDER_200: &str = include_str!("../fixtures/order_cancel_200.json");
/// The seed's 422 example of the order cancel, byte for byte.
pub const ORDER_422: &str = include_str!("../fixtures/order_cancel_422.json");

pub fn client(server: &MockServer) -> Client {
    client_with(server, |b| b)
}

pub fn client_with(
    server: &MockServer,
    f: impl FnOnce(rescind_skippay::ClientBuilder) -> rescind_skippay::ClientBuilder,
) -> Client {
    let builder = Client::builder()
        .base_url(server.base_url())
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .configure(|c| {
            c.with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
        });
    f(builder).build().expect("client builds")
}

/// A login that returns [`TOKEN`] for 2 hours.
pub async fn login_mock(server: &MockServer) -> Mock<'_> {
    login_mock_with(server, TOKEN, 7200).await
}

pub async fn login_mock_with<'a>(server: &'a MockServer, token: &str, expires_in: u64) -> Mock<'a> {
    let token = token.to_string();
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/authentication/v1/partner")
                .header("content-type", "application/json; charset=utf-8")
                .json_body(json!({"username": USERNAME, "password": PASSWORD}));
            then.status(200)
                .header("content-type", "application/json; charset=utf-8")
                .json_body(json!({"accessToken": token, "expiresIn": expires_in}));
        })
        .await
}

/// `GET` of the application answered READY, only for requests that carry `Bearer {token}`.
pub async fn app_mock<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let auth = format!("Bearer {token}");
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(format!("/financing/v1/applications/{APP}"))
                .header("authorization", auth);
            then.status(200)
                .json_body(application("READY", "READY_TO_SHIP", "PROCESSING", vec![]));
        })
        .await
}

pub fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// An order item as Skip Pay returns it (values from the documentation's examples).
pub fn item(code: &str, state: &str, quantity: Value) -> Value {
    json!({
        "code": code,
        "ean": "888462064002",
        "name": format!("Item {code}"),
        "type": "PHYSICAL",
        "totalPrice": {"amount": 12590, "currency": "CZK"},
        "totalVat": {"amount": 2185, "currency": "CZK", "vatRate": 21},
        "state": state,
        "sentDate": null,
        "deliveryDate": null,
        "deliveryTrackingNumber": null,
        "unitPrice": {"amount": 12590, "currency": "CZK"},
        "unitVat": {"amount": 2185, "currency": "CZK", "vatRate": 21},
        "quantity": quantity
    })
}

/// An application (`ApplicationResponse`), built from the OpenAPI document's field examples
/// (the document has no example of the whole object).
pub fn application(state: &str, reason: &str, order_state: &str, items: Vec<Value>) -> Value {
    json!({
        "id": APP,
        "state": state,
        "stateReason": reason,
        "type": "DEFERRED_PAYMENT",
        "agreementTermsAndConditions": true,
        "gatewayRedirectUrl": "http://myredirectURL.com",
        "customer": {
            "email": "john.newborn@country.com",
            "firstName": "John",
            "lastName": "Newborn",
            "fullName": "Ing. John Newborn, Csc.",
            "phone": "+420123456789",
            "addresses": []
        },
        "order": order(order_state, items)
    })
}

pub fn order(state: &str, items: Vec<Value>) -> Value {
    json!({
        "number": "AA234",
        "variableSymbols": ["1234567890"],
        "totalPrice": {"amount": 25180, "currency": "CZK"},
        "totalVat": [{"amount": 4370, "currency": "CZK", "vatRate": 21}],
        "state": state,
        "deliveryDate": null,
        "deliveryTrackingNumber": null,
        "sentDate": null,
        "items": items,
        "merchantId": null
    })
}

/// An order as the order cancel answers it.
pub fn order_answer(state: &str, items: Vec<Value>, app_state: &str) -> Value {
    let mut o = order(state, items);
    o["applicationInfo"] = json!({"id": APP, "state": app_state, "stateReason": "READY_TO_SHIP"});
    o
}

pub fn errors_body(code: &str, message: &str, ticket: &str) -> Value {
    json!({"errors": [{
        "code": code,
        "message": message,
        "severity": "ERROR",
        "attribute": null,
        "ticketId": ticket
    }]})
}

/// A READY application (ready to ship, its order PROCESSING) with these items.
pub fn ready(items: Vec<Value>) -> Value {
    application("READY", "READY_TO_SHIP", "PROCESSING", items)
}

/// Two open items: `A` (2 pieces) and `B` (1 piece), PROCESSING.
pub fn open_items() -> Vec<Value> {
    vec![
        item("A", "PROCESSING", json!(2)),
        item("B", "PROCESSING", json!(1)),
    ]
}

/// The same two items, CANCELLED.
pub fn all_cancelled() -> Vec<Value> {
    vec![
        item("A", "CANCELLED", json!(2)),
        item("B", "CANCELLED", json!(1)),
    ]
}

/// An order cancel's answer for [`APP`] (READY): the order and both items in `state`.
pub fn answer(state: &str) -> Value {
    let items = vec![item("A", state, json!(2)), item("B", state, json!(1))];
    order_answer(state, items, "READY")
}

/// [`answer`]`(state)` with its `applicationInfo` replaced by `info`, as bytes.
pub fn answer_with_info(state: &str, info: Value) -> Vec<u8> {
    let mut v = answer(state);
    v["applicationInfo"] = info;
    v.to_string().into_bytes()
}

/// `text` with its first `from` replaced by `to` (the edits JSON values cannot express).
pub fn edit(text: &str, from: &str, to: &str) -> Vec<u8> {
    assert!(text.contains(from), "{from} not in {text}");
    text.replacen(from, to, 1).into_bytes()
}

/// The order reader (`parse_cancel_order_items_of`, the reader before the proof) on a 200
/// answer `body` for [`APP`].
pub fn read_of(body: &[u8]) -> Result<rescind_skippay::model::Order, rescind_core::Error> {
    rescind_skippay::response::parse_cancel_order_items_of(
        &rescind_core::HttpResponse::new(200, body.to_vec()),
        APP,
    )
}

/// The mocks of [`skip_pay_answering`]: the application's reads and the order cancel.
pub struct OrderCancelMocks<'a> {
    pub get: Mock<'a>,
    pub order_cancel: Mock<'a>,
}

/// Skip Pay whose application always reads `app` (the read first and every read back), and
/// whose order cancel answers 200 with `answer`, byte for byte.
pub async fn skip_pay_answering(
    server: &MockServer,
    app: Value,
    answer: Vec<u8>,
) -> OrderCancelMocks<'_> {
    let _ = login_mock(server).await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(APP_PATH);
            then.status(200).json_body(app);
        })
        .await;
    let order_cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(ORDER_CANCEL);
            then.status(200)
                .header("content-type", "application/json")
                .body(answer);
        })
        .await;
    OrderCancelMocks { get, order_cancel }
}
