//! Every error shape Di documents, and the ones it may send, mapped into the core error.

mod common;

use common::fixture;
use rescind_core::{ErrorKind, HttpResponse, Sent};
use rescind_di::error::{self, ErrorBody, ErrorKey, is_already_cancelled};

fn cases() -> Vec<(&'static str, u16, String)> {
    vec![
        ("seed sample: authentication.missing", 401, fixture("error_authentication_missing.json")),
        ("authentication.* not listed", 401, r#"{"statusCode":401,"errorKey":"authentication.expired","errorMap":{}}"#.into()),
        ("no.access.api", 403, r#"{"statusCode":403,"errorKey":"no.access.api","errorMap":{}}"#.into()),
        ("no.access.shop.id", 403, r#"{"statusCode":403,"errorKey":"no.access.shop.id","errorMap":{"shopId":"1234"}}"#.into()),
        ("cannot.find.order", 404, r#"{"statusCode":404,"errorKey":"cannot.find.order","errorMap":{}}"#.into()),
        ("order.cancelled", 400, r#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#.into()),
        ("order.exported", 400, r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#.into()),
        ("error.parcel.final.status", 400, r#"{"statusCode":400,"errorKey":"error.parcel.final.status","errorMap":{}}"#.into()),
        ("400 with an errorMap", 400, r#"{"statusCode":400,"errorKey":"failed.to.parse.request","errorMap":{"identifier":"not recognised","limits":{"max":35}}}"#.into()),
        ("unknown key", 400, r#"{"statusCode":400,"errorKey":"order.on.fire","errorMap":{}}"#.into()),
        ("empty key", 400, r#"{"statusCode":400,"errorKey":"","errorMap":{}}"#.into()),
        ("null key and map", 403, r#"{"statusCode":403,"errorKey":null,"errorMap":null}"#.into()),
        ("unknown fields, statusCode as text", 400, r#"{"statusCode":"400","errorKey":"order.exported","errorMap":{},"message":"Exported","path":"/ws/json/x"}"#.into()),
        ("405", 405, r#"{"statusCode":405,"errorKey":"","errorMap":{}}"#.into()),
        ("500 json", 500, r#"{"statusCode":500,"errorKey":"","errorMap":{}}"#.into()),
        ("500 html", 500, "<html><head><title>500 Internal Server Error</title></head><body>Oops</body></html>".into()),
        ("502 empty", 502, String::new()),
        ("401 empty", 401, String::new()),
        ("418 unexpected", 418, "I'm a teapot".into()),
    ]
}

#[test]
fn every_shape_maps_to_a_kind_with_its_facts() {
    let table: Vec<_> = cases()
        .into_iter()
        .map(|(name, status, body)| {
            let resp = HttpResponse::new(status, body);
            let err = error::from_response(&resp, "cancel_order");
            assert_eq!(err.sent(), Sent::Answered, "{name}");
            assert_eq!(err.status(), Some(status), "{name}");
            assert_eq!(err.body(), Some(resp.body_text().as_str()), "{name}: the body is kept");
            serde_json::json!({
                "case": name,
                "kind": err.kind().as_str(),
                "code": err.code(),
                "details": err.details().iter().map(|d| serde_json::json!({"field": d.field, "message": d.message})).collect::<Vec<_>>(),
                "display": err.to_string(),
            })
        })
        .collect();
    insta::assert_json_snapshot!("error_mapping", table);
}

#[test]
fn the_seed_sample_decodes_typed() {
    let body = ErrorBody::parse(fixture("error_authentication_missing.json").as_bytes()).unwrap();
    assert_eq!(body.status_code, Some(401));
    assert_eq!(body.key(), Some(ErrorKey::AuthenticationMissing));
    assert!(body.error_map.is_empty());
}

#[test]
fn order_cancelled_is_recognised_as_already_cancelled() {
    let resp = HttpResponse::new(
        400,
        r#"{"statusCode":400,"errorKey":"order.cancelled","errorMap":{}}"#,
    );
    let err = error::from_response(&resp, "cancel_order");
    assert!(is_already_cancelled(&err));
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    let resp = HttpResponse::new(
        400,
        r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#,
    );
    assert!(!is_already_cancelled(&error::from_response(
        &resp,
        "cancel_order"
    )));
}

#[test]
fn an_error_after_a_maybe_sent_attempt_says_so() {
    let mut resp = HttpResponse::new(500, "");
    resp.earlier_attempt_maybe_sent = true;
    let err = error::from_response(&resp, "cancel_order");
    assert_eq!(err.sent(), Sent::MaybeSent);
}
