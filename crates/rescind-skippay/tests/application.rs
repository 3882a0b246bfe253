//! `GET /financing/v1/applications/{id}` and `PUT /financing/v1/applications/{id}/cancel`.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{ErrorKind, Sent};
use rescind_skippay::model::{
    ApplicationCancelRequest, ApplicationState, CancelReason, FinancingType, StateReason,
};
use rescind_skippay::request;
use serde_json::json;

const CANCEL_PATH: &str = "/financing/v1/applications/11200a0ee1/cancel";

#[test]
fn get_request_line() {
    let req = request::get_application(APP).unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, APP_PATH);
    assert!(req.body.is_none());
    assert!(req.idempotent);
}

#[tokio::test]
async fn get_application_decodes_state_type_and_order() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let body = application(
        "READY",
        "READY_TO_SHIP",
        "PROCESSING",
        vec![
            item("A", "PROCESSING", json!(2)),
            item("B", "CANCELLED", json!(1.5)),
        ],
    );
    let get = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(APP_PATH)
                .header("authorization", bearer());
            then.status(200).json_body(body);
        })
        .await;
    let app = client(&server).get_application(APP).await.unwrap();
    get.assert_calls_async(1).await;
    assert_eq!(app.state, ApplicationState::Ready);
    assert_eq!(app.state_reason, Some(StateReason::ReadyToShip));
    assert_eq!(app.financing_type, Some(FinancingType::DeferredPayment));
    insta::assert_json_snapshot!(
        "application_ready_decoded",
        serde_json::to_value(&app).unwrap()
    );
}

#[tokio::test]
async fn get_application_errors() {
    let table = [
        (404, "APPLICATION_NOT_FOUND", ErrorKind::NotFound),
        (400, "INVALID_REQUEST", ErrorKind::InvalidInput),
        (422, "UNPROCESSABLE", ErrorKind::InvalidInput),
    ];
    for (status, code, kind) in table {
        let server = MockServer::start_async().await;
        let _login = login_mock(&server).await;
        server
            .mock_async(move |when, then| {
                when.method(GET).path(APP_PATH);
                then.status(status).json_body(errors_body(code, "m", "T-3"));
            })
            .await;
        let err = client(&server).get_application(APP).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.request_id(), Some("T-3"));
        assert_eq!(err.operation(), Some("get_application"));
    }
}

#[test]
fn cancel_bodies_for_every_reason() {
    let bodies: Vec<String> = CancelReason::KNOWN
        .iter()
        .map(|r| {
            request::cancel_application(APP, &ApplicationCancelRequest::new(r.clone()))
                .unwrap()
                .body_text()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        bodies,
        [
            r#"{"reason":"APPLICATION_CANCELLED_CARRIER_CHANGED"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_CART_CONTENT_CHANGED"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_BY_CUSTOMER"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_BY_ERP"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_EXPIRED"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_UNFINISHED"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_BY_ESHOP_RULES"}"#,
            r#"{"reason":"APPLICATION_CANCELLED_OTHER"}"#,
        ]
    );
    let none = request::cancel_application(APP, &ApplicationCancelRequest::default()).unwrap();
    assert_eq!(none.body_text(), Some("{}"));
    let other =
        request::cancel_application(APP, &ApplicationCancelRequest::other("Duplicate order"))
            .unwrap();
    assert_eq!(other.method, "PUT");
    assert_eq!(other.path, CANCEL_PATH);
    assert!(other.idempotent);
    insta::assert_json_snapshot!(
        "cancel_application_body_other",
        serde_json::from_str::<serde_json::Value>(other.body_text().unwrap()).unwrap()
    );
}

#[test]
fn a_custom_reason_needs_the_reason_other() {
    let mut req = ApplicationCancelRequest::new(CancelReason::ByCustomer);
    req.custom_reason = Some("because".into());
    let err = request::cancel_application(APP, &req).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("customReason"));
}

#[tokio::test]
async fn cancel_application_through_the_stack() {
    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(CANCEL_PATH)
                .header("authorization", bearer())
                .header("content-type", "application/json; charset=utf-8")
                .body(r#"{"reason":"APPLICATION_CANCELLED_BY_CUSTOMER"}"#);
            then.status(200).json_body(application(
                "CANCELLED",
                "CANCELLED_NOT_PAID",
                "CANCELLED",
                vec![],
            ));
        })
        .await;
    let app = client(&server)
        .cancel_application(APP, CancelReason::ByCustomer)
        .await
        .unwrap();
    assert_eq!(app.state, ApplicationState::Cancelled);
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn cancel_application_errors() {
    let table = [
        (400, "INVALID_REQUEST", ErrorKind::InvalidInput),
        (404, "OBJECT_NOT_FOUND", ErrorKind::NotFound),
        (422, "UNPROCESSABLE", ErrorKind::NotCancellable),
        (422, "APPLICATION_REJECTED", ErrorKind::NotCancellable),
        (
            422,
            "APPLICATION_ALREADY_CANCELLED",
            ErrorKind::NotCancellable,
        ),
        (
            422,
            "APPLICATION_VALIDATION_IN_PROGRESS",
            ErrorKind::NotCancellable,
        ),
        (422, "APPLICATION_PAID", ErrorKind::NotCancellable),
        (422, "NOT_SUPPORTED", ErrorKind::NotCancellable),
        (422, "SOMETHING_NEW", ErrorKind::NotCancellable),
    ];
    for (status, code, kind) in table {
        let server = MockServer::start_async().await;
        let _login = login_mock(&server).await;
        let cancel = server
            .mock_async(move |when, then| {
                when.method(PUT).path(CANCEL_PATH);
                then.status(status).json_body(errors_body(
                    code,
                    "Application can not be cancelled",
                    "T-4",
                ));
            })
            .await;
        let err = client(&server)
            .cancel_application(APP, CancelReason::Other)
            .await
            .unwrap_err();
        cancel.assert_calls_async(1).await;
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.sent(), Sent::Answered);
        assert_eq!(err.request_id(), Some("T-4"));
        assert_eq!(err.operation(), Some("cancel_application"));
    }
}
