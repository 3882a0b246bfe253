//! `PUT /financing/v1/applications/{id}/order/cancel`: bodies, the documented answer, every
//! error shape, validation, and retry safety.

mod common;

use std::str::FromStr;
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{ErrorKind, Sent};
use rescind_skippay::model::{
    Amount, CancelItem, Currency, DeliveryCarrier, ItemType, OrderCancelRequest, OrderState,
    VatAmount,
};
use rescind_skippay::request;
use serde_json::{Value, json};

const PATH: &str = "/financing/v1/applications/11200a0ee1/order/cancel";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// The body of the order cancel request, as text and as a JSON value.
fn body(req: &OrderCancelRequest) -> (String, Value) {
    let http = request::cancel_order_items(APP, req).unwrap();
    let text = http.body_text().unwrap().to_string();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

#[test]
fn request_line_and_headers() {
    let http = request::cancel_order_items(APP, &OrderCancelRequest::whole()).unwrap();
    assert_eq!(http.method, "PUT");
    assert_eq!(http.path, PATH);
    assert_eq!(
        http.path_template,
        "/financing/v1/applications/{applicationId}/order/cancel"
    );
    assert!(http.authenticated);
    assert_eq!(
        http.headers.get("content-type").unwrap(),
        "application/json; charset=utf-8"
    );
}

#[test]
fn the_application_id_cannot_leave_its_path_segment() {
    let http = request::cancel_order_items("a/../b c", &OrderCancelRequest::whole()).unwrap();
    assert_eq!(
        http.path,
        "/financing/v1/applications/a%2F..%2Fb%20c/order/cancel"
    );
    for bad in ["", ".", ".."] {
        let err = request::cancel_order_items(bad, &OrderCancelRequest::whole()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("application_id"));
    }
}

#[test]
fn whole_order_body_is_an_empty_object() {
    let (text, _) = body(&OrderCancelRequest::whole());
    assert_eq!(text, "{}");
}

#[test]
fn body_with_code_only() {
    let (text, value) = body(&OrderCancelRequest::items(vec![CancelItem::by_code(
        "EXC4677-1a",
    )]));
    assert_eq!(text, r#"{"items":[{"code":"EXC4677-1a"}]}"#);
    insta::assert_json_snapshot!("body_code_only", value);
}

#[test]
fn body_with_several_identifiers() {
    let req = OrderCancelRequest::items(vec![
        CancelItem::by_code("EXC4677-1a")
            .ean("888462064002")
            .name("iPhone 6s 32GB SpaceGray")
            .item_type(ItemType::Physical),
        CancelItem::by_type(ItemType::ShippingFee),
    ]);
    let (_, value) = body(&req);
    insta::assert_json_snapshot!("body_several_identifiers", value);
}

#[test]
fn body_with_quantities_keeps_their_exact_text() {
    let req = OrderCancelRequest::items(vec![
        CancelItem::by_code("A").quantity(dec("1")),
        CancelItem::by_code("B").quantity(dec("2.5")),
        CancelItem::by_code("C").quantity(dec("1.125")),
        CancelItem::by_code("D").quantity(dec("3.000")),
    ])
    .total_price(Amount::czk(12590))
    .total_vat(VatAmount::new(2185, Currency::Czk, dec("21")))
    .total_vat(VatAmount::new(0, Currency::Czk, dec("0")));
    let (text, value) = body(&req);
    // Numbers, not strings, and never through f64 formatting.
    assert_eq!(
        text,
        concat!(
            r#"{"items":[{"code":"A","quantity":1},{"code":"B","quantity":2.5},"#,
            r#"{"code":"C","quantity":1.125},{"code":"D","quantity":3}],"#,
            r#""totalPrice":{"amount":12590,"currency":"CZK"},"#,
            r#""totalVat":[{"amount":2185,"currency":"CZK","vatRate":21},"#,
            r#"{"amount":0,"currency":"CZK","vatRate":0}]}"#
        )
    );
    insta::assert_json_snapshot!("body_quantities_and_totals", value);
}

#[test]
fn only_a_cancel_with_quantities_is_not_idempotent() {
    let whole = request::cancel_order_items(APP, &OrderCancelRequest::whole()).unwrap();
    assert!(whole.idempotent);
    let items = request::cancel_order_items(
        APP,
        &OrderCancelRequest::items(vec![CancelItem::by_code("A")]),
    )
    .unwrap();
    assert!(items.idempotent);
    let quantities = request::cancel_order_items(
        APP,
        &OrderCancelRequest::items(vec![
            CancelItem::by_code("A"),
            CancelItem::by_code("B").quantity(Decimal::ONE),
        ]),
    )
    .unwrap();
    assert!(!quantities.idempotent);
}

#[test]
fn every_validation_failure_names_its_field() {
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(OrderCancelRequest, &str)> = vec![
        (
            OrderCancelRequest::items(vec![CancelItem::default()]),
            "items[0]",
        ),
        (
            OrderCancelRequest::items(vec![
                CancelItem::by_code("A"),
                CancelItem::by_code(long(201)),
            ]),
            "items[1].code",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_code("")]),
            "items[0].code",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_ean(long(65))]),
            "items[0].ean",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_name(long(256))]),
            "items[0].name",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(dec("0.5"))]),
            "items[0].quantity",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(dec("0"))]),
            "items[0].quantity",
        ),
        (
            OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(dec("-2"))]),
            "items[0].quantity",
        ),
        (
            OrderCancelRequest::items(vec![
                CancelItem::by_code("A"),
                CancelItem::by_code("B").quantity(dec("1.1255")),
            ]),
            "items[1].quantity",
        ),
        (
            OrderCancelRequest::whole().total_price(Amount::czk(-1)),
            "totalPrice.amount",
        ),
        (
            OrderCancelRequest::whole().total_price(Amount::new(100, Currency::from("USD"))),
            "totalPrice.currency",
        ),
        (
            OrderCancelRequest::whole().total_vat(VatAmount::new(1, Currency::Czk, dec("-1"))),
            "totalVat[0].vatRate",
        ),
        (
            OrderCancelRequest::whole()
                .total_vat(VatAmount::new(1, Currency::Czk, dec("21")))
                .total_vat(VatAmount::new(1, Currency::from("GBP"), dec("21"))),
            "totalVat[1].currency",
        ),
        (
            OrderCancelRequest::whole().total_vat(VatAmount::new(-5, Currency::Eur, dec("20"))),
            "totalVat[0].amount",
        ),
    ];
    for (req, field) in cases {
        let err = request::cancel_order_items(APP, &req).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{field}");
        assert_eq!(err.sent(), Sent::NotSent, "{field}");
        assert_eq!(err.field(), Some(field), "{err}");
    }
    // At the limits, everything passes.
    let ok = OrderCancelRequest::items(vec![
        CancelItem::by_code(long(200))
            .ean(long(64))
            .name("ž".repeat(255))
            .quantity(dec("1.125")),
        CancelItem::by_code("B").quantity(dec("2.5000")),
    ]);
    request::cancel_order_items(APP, &ok).unwrap();
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(PATH);
            then.status(200);
        })
        .await;
    let req = OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(dec("0.5"))]);
    let err = client(&server)
        .cancel_order_items(APP, &req)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("items[0].quantity"));
    login.assert_calls_async(0).await;
    cancel.assert_calls_async(0).await;
}

#[tokio::test]
async fn whole_cancel_sends_an_empty_object_with_the_token() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(PATH)
                .header("authorization", bearer())
                .header("content-type", "application/json; charset=utf-8")
                .body("{}");
            then.status(200).body(ORDER_200);
        })
        .await;
    let order = client(&server)
        .cancel_order_items(APP, &OrderCancelRequest::whole())
        .await
        .unwrap();
    assert_eq!(order.number.as_deref(), Some("AA234"));
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn partial_cancel_sends_its_body_exactly() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(PATH)
                .body(r#"{"items":[{"code":"EXC4677-1a","ean":"888462064002","quantity":1.125}]}"#);
            then.status(200).body(ORDER_200);
        })
        .await;
    let req = OrderCancelRequest::items(vec![
        CancelItem::by_code("EXC4677-1a")
            .ean("888462064002")
            .quantity(dec("1.125")),
    ]);
    client(&server).cancel_order_items(APP, &req).await.unwrap();
    cancel.assert_calls_async(1).await;
}

#[test]
fn the_documented_answer_decodes() {
    let order = rescind_skippay::response::parse_cancel_order_items(
        &rescind_core::HttpResponse::new(200, ORDER_200),
    )
    .unwrap();
    assert_eq!(
        order.delivery_carrier,
        Some(DeliveryCarrier::Predefined(
            rescind_skippay::model::CarrierId::Dpd
        ))
    );
    assert_eq!(order.items[0].quantity, Some(Decimal::ONE));
    assert_eq!(order.items[0].state, Some(OrderState::Processing));
    insta::assert_json_snapshot!(
        "order_cancel_200_decoded",
        serde_json::to_value(&order).unwrap()
    );
}

#[test]
fn unknown_fields_and_enum_values_decode() {
    let mut v: Value = serde_json::from_str(ORDER_200).unwrap();
    v["state"] = json!("LOST_IN_SPACE");
    v["brandNewField"] = json!({"x": [1, 2]});
    v["channel"] = json!("METAVERSE");
    v["deliveryCarrier"] = json!({"carrierCustom": "Bike courier Brno"});
    v["items"][0]["type"] = json!("NFT");
    v["items"][0]["state"] = json!("TELEPORTED");
    v["items"][0]["quantity"] = json!(2.5);
    v["items"][0]["extra"] = json!(true);
    v["documents"][0]["type"] = json!("RECEIPT");
    v["applicationInfo"]["state"] = json!("FROZEN");
    v["applicationInfo"]["stateReason"] = json!("FROZEN_BY_COURT");
    v["totalPrice"]["currency"] = json!("HUF");
    let resp = rescind_core::HttpResponse::new(200, serde_json::to_vec(&v).unwrap());
    let order = rescind_skippay::response::parse_cancel_order_items(&resp).unwrap();
    assert_eq!(order.state.as_ref().unwrap().as_str(), "LOST_IN_SPACE");
    assert_eq!(order.channel.as_ref().unwrap().as_str(), "METAVERSE");
    assert_eq!(
        order.delivery_carrier,
        Some(DeliveryCarrier::Custom("Bike courier Brno".into()))
    );
    assert_eq!(order.items[0].item_type.as_ref().unwrap().as_str(), "NFT");
    assert!(order.items[0].state.as_ref().unwrap().is_unknown());
    assert_eq!(order.items[0].quantity, Some(dec("2.5")));
    assert_eq!(
        order.documents[0].document_type.as_ref().unwrap().as_str(),
        "RECEIPT"
    );
    let info = order.application_info.as_ref().unwrap();
    assert_eq!(info.state.as_str(), "FROZEN");
    assert_eq!(
        info.state_reason.as_ref().unwrap().as_str(),
        "FROZEN_BY_COURT"
    );
    assert_eq!(order.total_price.as_ref().unwrap().currency.as_str(), "HUF");
    // Written back unchanged.
    let back = serde_json::to_value(&order).unwrap();
    assert_eq!(back["items"][0]["quantity"], json!(2.5));
    assert_eq!(
        back["deliveryCarrier"],
        json!({"carrierCustom": "Bike courier Brno"})
    );
}

#[test]
fn a_bad_unneeded_field_is_skipped_and_a_bad_needed_one_names_the_json_path() {
    // A price nobody decides on does not read: skipped, reported, the answer still reads.
    let mut v: Value = serde_json::from_str(ORDER_200).unwrap();
    v["items"][0]["totalPrice"]["amount"] = json!("lots");
    let resp = rescind_core::HttpResponse::new(200, serde_json::to_vec(&v).unwrap());
    let order = rescind_skippay::response::parse_cancel_order_items(&resp).unwrap();
    assert_eq!(order.items[0].total_price, None);
    assert_eq!(order.items[0].state, Some(OrderState::Processing));
    assert_eq!(order.skipped().len(), 1);
    assert_eq!(order.skipped()[0].path, "items[0].totalPrice");
    assert_eq!(
        order.skipped()[0].raw,
        r#"{"amount":"lots","currency":"CZK"}"#
    );
    // An item's state is what the cancel decides on: its failure names the path, and the
    // accepted cancel's outcome is unknown.
    v["items"][0]["state"] = json!(7);
    let resp = rescind_core::HttpResponse::new(200, serde_json::to_vec(&v).unwrap());
    let err = rescind_skippay::response::parse_cancel_order_items(&resp).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.json_path(), Some("items[0].state"));
}

async fn error_for(status: u16, body: &'static [u8]) -> rescind_core::Error {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(move |when, then| {
            when.method(PUT).path(PATH);
            then.status(status).body(body);
        })
        .await;
    let err = client(&server)
        .cancel_order_items(APP, &OrderCancelRequest::whole())
        .await
        .unwrap_err();
    // 4xx are never retried.
    cancel.assert_calls_async(1).await;
    err
}

#[tokio::test]
async fn documented_error_codes_map_to_kinds() {
    let table: [(u16, &str, ErrorKind); 4] = [
        (400, "INVALID_REQUEST", ErrorKind::InvalidInput),
        (404, "OBJECT_NOT_FOUND", ErrorKind::NotFound),
        (422, "NOT_SUPPORTED", ErrorKind::NotCancellable),
        (422, "TOTAL_PRICE_LIMIT_EXCEEDED", ErrorKind::NotCancellable),
    ];
    for (status, code, kind) in table {
        let body = errors_body(
            code,
            "Described by Skip Pay",
            "UAT1:AMS:20160516-091658.450:45e4",
        );
        let body: &'static [u8] = Box::leak(serde_json::to_vec(&body).unwrap().into_boxed_slice());
        let err = error_for(status, body).await;
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.sent(), Sent::Answered);
        assert_eq!(err.provider_message(), Some("Described by Skip Pay"));
        assert_eq!(err.request_id(), Some("UAT1:AMS:20160516-091658.450:45e4"));
        // A whole-order cancel is named apart from an item cancel (same endpoint).
        assert_eq!(err.operation(), Some("cancel_order"));
    }
}

#[tokio::test]
async fn the_documented_422_example_keeps_its_unknown_code_and_every_field() {
    let err = error_for(422, ORDER_422.as_bytes()).await;
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.code(), Some("ERR_1000_SOME_ERROR_CODE"));
    assert_eq!(err.request_id(), Some("UAT1:AMS:20160516-091658.450:45e4"));
    assert_eq!(err.details().len(), 1);
    assert_eq!(
        err.details()[0].field.as_deref(),
        Some("personalBirthNumber")
    );
    let entries = rescind_skippay::error::errors_of(&err).unwrap();
    assert_eq!(
        entries.errors[0].severity,
        Some(rescind_skippay::Severity::Error)
    );
    assert_eq!(
        err.to_string(),
        "Skip Pay cancel_order: not cancellable: Some error/validation message description \
         (HTTP 422, code ERR_1000_SOME_ERROR_CODE) [request id UAT1:AMS:20160516-091658.450:45e4]"
    );
}

#[tokio::test]
async fn an_unknown_code_on_400_is_kept_as_invalid_input() {
    let body = br#"{"errors":[{"code":"ITEM_AMBIGUOUS","message":"Two items match","severity":"WARN","ticketId":"T-9"}]}"#;
    let err = error_for(400, body).await;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.code(), Some("ITEM_AMBIGUOUS"));
    assert_eq!(err.request_id(), Some("T-9"));
}

#[tokio::test]
async fn every_entry_is_kept() {
    let body = br#"{"errors":[
        {"code":"INVALID_REQUEST","message":"quantity too precise","severity":"ERROR","attribute":"items[0].quantity","ticketId":"T-1"},
        {"code":"INVALID_REQUEST","message":"unknown item","severity":"WARN","attribute":"items[1].code","ticketId":"T-1","newField":1}
    ],"extra":"ignored"}"#;
    let err = error_for(400, body).await;
    assert_eq!(err.details().len(), 2);
    assert_eq!(err.details()[1].field.as_deref(), Some("items[1].code"));
    assert_eq!(err.details()[1].message, "unknown item");
    assert!(
        err.to_string()
            .contains("also: items[1].code: unknown item (INVALID_REQUEST)"),
        "{err}"
    );
    let entries = rescind_skippay::error::errors_of(&err).unwrap();
    assert_eq!(
        entries.errors[1].severity,
        Some(rescind_skippay::Severity::Warn)
    );
}

#[tokio::test]
async fn an_unknown_severity_still_reads() {
    let body = br#"{"errors":[{"code":"NOT_SUPPORTED","message":"m","severity":"FATAL"}]}"#;
    let err = error_for(422, body).await;
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    let entries = rescind_skippay::error::errors_of(&err).unwrap();
    assert_eq!(
        entries.errors[0].severity.as_ref().unwrap().as_str(),
        "FATAL"
    );
}

#[tokio::test]
async fn html_and_empty_bodies_keep_the_status() {
    let err = error_for(404, b"<html><body>Not Found</body></html>").await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains("not Skip Pay's error JSON"),
        "{err}"
    );
    assert_eq!(err.body(), Some("<html><body>Not Found</body></html>"));
    let err = error_for(422, b"").await;
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert!(err.to_string().contains("empty body"), "{err}");
    let err = error_for(418, b"{}").await;
    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
}

#[tokio::test]
async fn a_whole_cancel_is_retried_after_a_server_error() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(PATH);
            then.status(503).body("<html>maintenance</html>");
        })
        .await;
    let err = client(&server)
        .cancel_order_items(APP, &OrderCancelRequest::whole())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 3);
    cancel.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_partial_cancel_with_quantities_is_never_resent_and_is_settled_by_reading_back() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(PATH);
            then.status(200)
                .delay(Duration::from_millis(1500))
                .body(ORDER_200);
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/financing/v1/applications/{APP}"));
            then.status(200).json_body(application(
                "READY",
                "READY_TO_SHIP",
                "PROCESSING",
                vec![
                    item("A", "CANCELLED", json!(2)),
                    item("B", "PROCESSING", json!(3)),
                ],
            ));
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| c.with_attempt_timeout(Duration::from_millis(300)))
    });
    let req = OrderCancelRequest::items(vec![
        CancelItem::by_code("A"),
        CancelItem::by_code("B").quantity(dec("1.5")),
        CancelItem::by_code("Z"),
    ]);
    let err = client.cancel_order_items(APP, &req).await.unwrap_err();
    cancel.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let states: Vec<(Option<&str>, &str)> = err
        .details()
        .iter()
        .map(|d| (d.field.as_deref(), d.message.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            (Some("items[0]"), "state now: CANCELLED (quantity 2)"),
            (Some("items[1]"), "state now: PROCESSING (quantity 3)"),
            (
                Some("items[2]"),
                "state now: unknown (no such item in the order)"
            ),
        ]
    );
    assert!(err.to_string().contains("not re-sent"), "{err}");
}

#[tokio::test]
async fn when_the_read_back_fails_the_states_are_unknown() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT).path(PATH);
            then.status(200)
                .delay(Duration::from_millis(1500))
                .body(ORDER_200);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/financing/v1/applications/{APP}"));
            then.status(404)
                .json_body(errors_body("APPLICATION_NOT_FOUND", "gone", "T-2"));
        })
        .await;
    let client = client_with(&server, |b| {
        b.configure(|c| c.with_attempt_timeout(Duration::from_millis(300)))
    });
    let req = OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(dec("2"))]);
    let err = client.cancel_order_items(APP, &req).await.unwrap_err();
    cancel.assert_calls_async(1).await;
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(err.to_string().contains("states are unknown"), "{err}");
}
