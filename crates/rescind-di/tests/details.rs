//! `order_details`: the request, the documented fields decoded, and forward compatibility.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{ErrorKind, HttpResponse, Sent};
use rescind_di::{EdiStatus, request, response};

#[test]
fn request_is_a_get_by_identifier() {
    let req = request::order_details(&format!("(401){SHIPMENT}")).unwrap();
    assert_eq!(req.method, http::Method::GET);
    assert_eq!(req.path, format!("{DETAILS_PREFIX}{SHIPMENT}"));
    assert_eq!(
        req.path_template,
        "/ws/json/parcel/booking/v-1/details/{identifier}"
    );
    assert!(req.body.is_none() && req.authenticated && req.idempotent);
    // Tracking references and return codes are identifiers of the details API too.
    let req = request::order_details("370724760010119754").unwrap();
    assert_eq!(req.path, format!("{DETAILS_PREFIX}370724760010119754"));
    let err = request::order_details("(00)370724760010119754").unwrap_err();
    assert_eq!(
        (err.kind(), err.sent()),
        (ErrorKind::InvalidInput, Sent::NotSent)
    );
}

#[test]
fn documented_fields_decode() {
    let details =
        response::order_details(&HttpResponse::new(200, fixture("order_details.json"))).unwrap();
    assert_eq!(details.edi_status, Some(EdiStatus::ExportOk));
    assert_eq!(
        details.desired_delivery_date,
        Some(jiff::civil::date(2026, 3, 31))
    );
    insta::assert_json_snapshot!("order_details", details);
}

#[test]
fn pickup_order_decodes_with_other_spellings() {
    let details = response::order_details(&HttpResponse::new(
        200,
        fixture("order_details_pickup.json"),
    ))
    .unwrap();
    assert_eq!(details.shop_id, Some(16), "`shopid` is read as shopId");
    assert!(details.is_pickup());
    insta::assert_json_snapshot!("order_details_pickup", details);
}

#[test]
fn unknown_fields_and_values_are_kept() {
    let body = r#"{
        "shipmentId": "70724761617883184",
        "ediStatus": "EXPORT_PAUSED",
        "items": null,
        "carrier": {"id": 7},
        "pickupDetails": {"pickupDate": "2026-03-30T00:00:00", "possiblePickupDates": null, "slot": "AM"}
    }"#;
    let details = response::order_details(&HttpResponse::new(200, body)).unwrap();
    let status = details.edi_status.clone().unwrap();
    assert!(status.is_unknown());
    assert_eq!(status.as_str(), "EXPORT_PAUSED");
    assert!(details.items.is_empty());
    assert_eq!(details.extra["carrier"]["id"], 7);
    let pickup = details.pickup_details.as_ref().unwrap();
    assert_eq!(pickup.extra["slot"], "AM");
    // Written back, every unknown thing is still there.
    let again = serde_json::to_value(&details).unwrap();
    assert_eq!(again["ediStatus"], "EXPORT_PAUSED");
    assert_eq!(again["carrier"]["id"], 7);
}

#[test]
fn every_documented_edi_status_is_known() {
    for raw in [
        "ATTEMPTING_EXPORT",
        "EXPORT_OK",
        "EXPORT_FAILED_WILL_RETRY",
        "EXPORT_FAILED_PERMANENTLY",
        "CANCELLED",
        "PASSIVE_RETURN",
    ] {
        assert!(!EdiStatus::from(raw).is_unknown(), "{raw}");
    }
    assert_eq!(EdiStatus::KNOWN.len(), 6);
}

#[test]
fn a_bad_body_names_the_field() {
    let resp = HttpResponse::new(
        200,
        r#"{"shipmentId":"1","desiredDeliveryDate":"31.03.2026"}"#,
    );
    let err = response::order_details(&resp).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("desiredDeliveryDate"));
    let err = response::order_details(&HttpResponse::new(200, r#"{"ediStatus":"EXPORT_OK"}"#))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "shipmentId is required");
    let err =
        response::order_details(&HttpResponse::new(200, "<html>maintenance</html>")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn details_through_the_stack() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture("order_details_pickup.json"));
        })
        .await;
    let got = client(&server)
        .order_details(&format!("(401){SHIPMENT}"))
        .await
        .unwrap();
    assert_eq!(got.shipment_id, SHIPMENT);
    details.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_unknown_order_is_not_found() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(404)
                .body(r#"{"statusCode":404,"errorKey":"cannot.find.order","errorMap":{}}"#);
        })
        .await;
    let err = client(&server).order_details(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("cannot.find.order"));
    assert_eq!(err.operation(), Some("order_details"));
    details.assert_calls_async(1).await;
}
