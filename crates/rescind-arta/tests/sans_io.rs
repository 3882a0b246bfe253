//! Requests and answers as plain data: every operation's request, the documented examples
//! decoded, every error shape mapped, unknown fields and values kept. No network.

mod common;

use common::{fixture, fixture_json};
use http::Method;
use rescind_arta::model::{
    ExceptionStatus, HostedSession, HostedSessionStatus, NewShipmentException, Page,
    PaymentProcess, Shipment, ShipmentException, ShipmentExceptionType, ShipmentStatus, WeightUnit,
};
use rescind_arta::{request, response};
use rescind_core::jiff::civil::{date, datetime};
use rescind_core::{ErrorKind, HttpResponse, Sent};
use serde_json::{Value, json};

fn ok(body: impl Into<String>) -> HttpResponse {
    HttpResponse::new(200, body.into()).with_request_id("FkBjuxbwLLTx4RoAARkx")
}

fn body_json(req: &rescind_core::HttpRequest) -> Value {
    serde_json::from_str(req.body_text().expect("a UTF-8 body")).unwrap()
}

// ---- requests ------------------------------------------------------------------------------

#[test]
fn cancel_hosted_session_request() {
    let req = request::cancel_hosted_session(42);
    assert_eq!(req.operation, "cancel_hosted_session");
    assert_eq!(req.method, Method::PATCH);
    assert_eq!(req.path, "/hosted_sessions/42/cancel");
    assert_eq!(
        req.path_template,
        "/hosted_sessions/{hosted_session_id}/cancel"
    );
    assert!(req.body.is_none(), "the cancel has no body");
    assert!(req.query.is_empty());
    assert!(
        req.idempotent,
        "the cancel is idempotent and may be retried"
    );
    assert!(req.authenticated);
}

#[test]
fn get_hosted_session_request() {
    let req = request::get_hosted_session(u64::MAX);
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.path, "/hosted_sessions/18446744073709551615");
    assert!(req.body.is_none() && req.idempotent && req.authenticated);
}

#[test]
fn get_shipment_request_encodes_the_id() {
    let req = request::get_shipment("5baff45a-281d-416e-9310-a4a7c637952e").unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.path, "/shipments/5baff45a-281d-416e-9310-a4a7c637952e");
    assert!(req.body.is_none() && req.idempotent);
    let req = request::get_shipment("../admin?x#y").unwrap();
    assert_eq!(req.path, "/shipments/..%2Fadmin%3Fx%23y");
    for bad in ["", ".", ".."] {
        let err = request::get_shipment(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.operation(), Some("get_shipment"));
    }
}

#[test]
fn create_shipment_exception_request_matches_the_seed() {
    let new =
        NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e").until(date(2023, 8, 15));
    let req = request::create_shipment_exception(&new).unwrap();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/shipment_exceptions");
    assert!(
        !req.idempotent,
        "a repeated POST would create a second exception"
    );
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    let body = body_json(&req);
    // The seed's own request example, same inputs: the same JSON.
    assert_eq!(body, fixture_json("shipment_exception_create_request.json"));
    insta::assert_json_snapshot!("create_shipment_exception_body", body);
}

#[test]
fn create_shipment_exception_without_date_omits_hold_until() {
    let new = NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e");
    let req = request::create_shipment_exception(&new).unwrap();
    assert!(
        !req.body_text().unwrap().contains("hold_until"),
        "omitted, not null"
    );
    insta::assert_json_snapshot!(
        "create_shipment_exception_body_without_date",
        body_json(&req)
    );
}

#[test]
fn create_shipment_exception_refuses_a_bad_shipment_id() {
    for bad in ["", "   ", "a\u{0}b"] {
        let err = request::create_shipment_exception(&NewShipmentException::hold(bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("shipment_id"));
        assert_eq!(err.sent(), Sent::NotSent);
    }
}

#[test]
fn get_shipment_exception_request() {
    let req = request::get_shipment_exception("d686ad3b-33fd-454c-a7aa-94b1ecbc539f").unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(
        req.path,
        "/shipment_exceptions/d686ad3b-33fd-454c-a7aa-94b1ecbc539f"
    );
    assert!(request::get_shipment_exception("..").is_err());
}

#[test]
fn list_shipment_exceptions_request() {
    let req = request::list_shipment_exceptions(2, 50).unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.path, "/shipment_exceptions");
    assert_eq!(
        req.query,
        vec![
            ("page".to_string(), "2".to_string()),
            ("page_size".to_string(), "50".to_string())
        ]
    );
    assert_eq!(
        request::list_shipment_exceptions(1, 51)
            .unwrap_err()
            .field(),
        Some("page_size")
    );
    assert_eq!(
        request::list_shipment_exceptions(0, 20)
            .unwrap_err()
            .field(),
        Some("page")
    );
}

// ---- documented answers decoded -------------------------------------------------------------

#[test]
fn hosted_session_seed_decodes() {
    let r = response::parse_cancel_hosted_session(&ok(fixture("hosted_session_cancel_200.json")))
        .unwrap();
    assert_eq!(r.request_id.as_deref(), Some("FkBjuxbwLLTx4RoAARkx"));
    assert_eq!(r.http_status, 200);
    let s: &HostedSession = &r;
    assert_eq!(s.id, 42);
    assert_eq!(s.status, HostedSessionStatus::New);
    assert_eq!(
        s.created_at,
        Some(datetime(2021, 1, 21, 17, 22, 8, 818_747_000))
    );
    assert_eq!(s.payment_process, Some(PaymentProcess::Invoicing));
    let object = &s.objects[0];
    assert_eq!(object.value, Some("100.00".parse().unwrap()));
    assert_eq!(object.weight_unit, Some(WeightUnit::Pounds));
    assert_eq!(
        object.details.as_ref().unwrap().title.as_deref(),
        Some("It's just jazz")
    );
    let contact = &s.origin.as_ref().unwrap().contacts[0];
    assert_eq!(contact.email_address.as_deref(), Some("mary@example.com"));
    insta::assert_json_snapshot!("hosted_session_seed_000", s);
    // The same body through the GET's reader.
    let g =
        response::parse_get_hosted_session(&ok(fixture("hosted_session_cancel_200.json"))).unwrap();
    assert_eq!(g.value, r.value);
}

#[test]
fn hosted_session_keeps_every_seed_value_on_reencoding() {
    // Everything the seed sends comes back out unchanged (nothing dropped or altered).
    let r =
        response::parse_get_hosted_session(&ok(fixture("hosted_session_cancel_200.json"))).unwrap();
    let out = serde_json::to_value(&r.value).unwrap();
    let seed = fixture_json("hosted_session_cancel_200.json");
    fn contains(out: &Value, seed: &Value, path: &str) {
        match seed {
            Value::Object(map) => {
                for (k, v) in map {
                    contains(&out[k], v, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    contains(&out[i], v, &format!("{path}[{i}]"));
                }
            }
            v => assert_eq!(out, v, "at {path}"),
        }
    }
    contains(&out, &seed, "");
}

#[test]
fn shipment_exception_seed_decodes() {
    let resp =
        HttpResponse::new(201, fixture("shipment_exception_201.json")).with_request_id("r-201");
    let r = response::parse_create_shipment_exception(&resp).unwrap();
    assert_eq!(r.http_status, 201);
    assert_eq!(r.request_id.as_deref(), Some("r-201"));
    assert_eq!(r.exception_type, ShipmentExceptionType::HeldAtCustoms);
    assert_eq!(r.status, ExceptionStatus::New);
    assert_eq!(r.package_id, Some(4_366_794));
    assert_eq!(
        r.created_at,
        Some(datetime(2023, 5, 26, 19, 33, 19, 693_833_000))
    );
    insta::assert_json_snapshot!("shipment_exception_seed_001", r.value);
    let g = response::parse_get_shipment_exception(&ok(fixture("shipment_exception_201.json")))
        .unwrap();
    assert_eq!(g.value, r.value);
}

#[test]
fn shipment_decodes() {
    let r = response::parse_get_shipment(&ok(fixture("shipment_pending.json"))).unwrap();
    let s: &Shipment = &r;
    assert_eq!(s.status, ShipmentStatus::Pending);
    assert_eq!(s.created_at, datetime(2021, 1, 21, 21, 0, 58, 403_150_000));
    assert_eq!(s.exceptions.len(), 1);
    assert_eq!(s.exceptions[0].shipment_id, None);
    assert_eq!(s.total, Some("1250.00".parse().unwrap()));
    insta::assert_json_snapshot!("shipment", s);
}

#[test]
fn shipment_exception_page_decodes() {
    let r = response::parse_list_shipment_exceptions(&ok(fixture("shipment_exceptions_page.json")))
        .unwrap();
    let page: &Page<ShipmentException> = &r;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.metadata.total_count, 1);
    assert!(!page.has_more());
    insta::assert_json_snapshot!("shipment_exceptions_page", page);
}

#[test]
fn a_shipment_with_timestamps_of_newer_versions_decodes() {
    let body = common::shipment_with(|v| {
        v["confirmed_at"] = "2021-01-22T10:00:00.000001".into();
        v["cancelled_at"] = Value::Null;
    });
    let r = response::parse_get_shipment(&ok(body)).unwrap();
    assert_eq!(r.confirmed_at, Some(datetime(2021, 1, 22, 10, 0, 0, 1_000)));
    assert_eq!(r.cancelled_at, None);
}

// ---- forward compatibility ------------------------------------------------------------------

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["brand_new"] = json!({"nested": [1, 2]});
    v["objects"][0]["brand_new"] = json!(true);
    v["objects"][0]["details"]["brand_new"] = json!("x");
    v["origin"]["brand_new"] = json!(null);
    v["origin"]["contacts"][0]["brand_new"] = json!(1);
    let r = response::parse_get_hosted_session(&ok(v.to_string())).unwrap();
    assert_eq!(r.id, 42);

    let mut e = fixture_json("shipment_exception_201.json");
    e["brand_new"] = json!({"a": 1});
    assert!(response::parse_get_shipment_exception(&ok(e.to_string())).is_ok());

    let s = common::shipment_with(|v| v["brand_new"] = json!([{"x": 1}]));
    assert!(response::parse_get_shipment(&ok(s)).is_ok());
}

#[test]
fn unknown_enum_values_are_kept_as_sent() {
    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["status"] = "archived".into();
    v["payment_process"] = "pay_later".into();
    v["objects"][0]["weight_unit"] = "st".into();
    v["objects"][0]["unit_of_measurement"] = "mm".into();
    let r = response::parse_get_hosted_session(&ok(v.to_string())).unwrap();
    assert!(r.status.is_unknown());
    assert_eq!(r.status.as_str(), "archived");
    assert_eq!(r.payment_process.as_ref().unwrap().as_str(), "pay_later");
    let out = serde_json::to_value(&r.value).unwrap();
    assert_eq!(out["status"], "archived");
    assert_eq!(out["objects"][0]["weight_unit"], "st");
    assert_eq!(out["objects"][0]["unit_of_measurement"], "mm");

    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["payment_process"] = "checkout_direct".into();
    let r = response::parse_get_hosted_session(&ok(v.to_string())).unwrap();
    assert_eq!(r.payment_process, Some(PaymentProcess::CheckoutDirect));

    let mut e = fixture_json("shipment_exception_201.json");
    e["status"] = "escalated".into();
    e["type"] = "stuck_in_snow".into();
    e["source"] = "carrier".into();
    let r = response::parse_get_shipment_exception(&ok(e.to_string())).unwrap();
    assert_eq!(r.status.as_str(), "escalated");
    assert_eq!(r.exception_type.as_str(), "stuck_in_snow");
    assert_eq!(r.source.as_ref().unwrap().as_str(), "carrier");

    let s = common::shipment_with(|v| v["status"] = "lost".into());
    let r = response::parse_get_shipment(&ok(s)).unwrap();
    assert_eq!(r.status.as_str(), "lost");
    assert!(!rescind_arta::rules::hold_allowed_in(&r.status));
}

#[test]
fn every_documented_shipment_status_is_known() {
    for s in [
        "pending",
        "confirmed",
        "collected",
        "in_transit",
        "completed",
        "cancelled",
    ] {
        assert!(!ShipmentStatus::from(s).is_unknown(), "{s}");
    }
    for s in ["new", "in_progress", "resolved"] {
        assert!(!ExceptionStatus::from(s).is_unknown(), "{s}");
    }
}

#[test]
fn a_bad_success_body_is_a_decode_error_with_its_path() {
    // Fields no decision needs are skipped and reported, not errors.
    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["objects"][0]["details"]["is_fragile"] = "maybe".into();
    v["created_at"] = "yesterday".into();
    let session = response::parse_get_hosted_session(&ok(v.to_string())).unwrap();
    assert_eq!(session.status, HostedSessionStatus::New);
    assert_eq!(session.created_at, None);
    let mut skipped: Vec<&str> = session.skipped().iter().map(|s| s.path.as_str()).collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["created_at", "objects[0].details.is_fragile"]);

    // The status is what a cancel decides on: its failure names the path.
    let mut v = fixture_json("hosted_session_cancel_200.json");
    v["status"] = 7.into();
    let err = response::parse_get_hosted_session(&ok(v.to_string())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("status"));
    assert_eq!(err.request_id(), Some("FkBjuxbwLLTx4RoAARkx"));

    for body in ["", "<html><body>OK</body></html>"] {
        // A cancel Arta accepted (200) whose answer is unreadable may have been applied.
        let err = response::parse_cancel_hosted_session(&ok(body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body:?}");
        assert_eq!(err.sent(), Sent::MaybeSent);
        // A read's unreadable answer is just that.
        let err = response::parse_get_hosted_session(&ok(body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body:?}");
        assert_eq!(err.sent(), Sent::Answered);
    }
}

// ---- errors ---------------------------------------------------------------------------------

/// One row of the error table snapshot.
fn error_row(status: u16, body: &str) -> Value {
    let resp = HttpResponse::new(status, body.to_string()).with_request_id("FkBjuxbwLLTx4RoAARkx");
    let err = response::parse_get_shipment(&resp).unwrap_err();
    assert_eq!(
        err.request_id(),
        Some("FkBjuxbwLLTx4RoAARkx"),
        "request id kept"
    );
    assert_eq!(err.status(), Some(status));
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.body(), Some(body), "raw body kept");
    json!({
        "status": status,
        "body": body,
        "kind": err.kind().as_str(),
        "message": err.message(),
        "provider_message": err.provider_message(),
        "field": err.field(),
        "details": err.details().iter().map(|d| json!({"field": d.field, "message": d.message})).collect::<Vec<_>>(),
        "display": err.to_string(),
    })
}

#[test]
fn every_error_shape_maps_to_its_kind() {
    let rows = vec![
        error_row(404, &fixture("error_404_detail.json")),
        error_row(400, r#"{"errors":{"detail":"hold_until is invalid"}}"#),
        error_row(401, r#"{"errors":{"detail":"Unauthorized"}}"#),
        error_row(403, ""),
        error_row(
            422,
            r##"{"errors":{"location/close_time":["must be at least 3 hours after collection_time"],"#":["a error","another error"]}}"##,
        ),
        error_row(422, r#"{"errors":{"property":"is not in correct format"}}"#),
        error_row(400, r#"{"errors":["service.declared_value is required"]}"#),
        error_row(429, ""),
        error_row(
            500,
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        ),
        error_row(502, r#"{"message":"bad gateway"}"#),
        error_row(
            418,
            r#"{"errors":{"teapot_code":"I'm a teapot"},"extra":1}"#,
        ),
    ];
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "not_found",
            "invalid_input",
            "unauthorized",
            "forbidden",
            "invalid_input",
            "invalid_input",
            "invalid_input",
            "rate_limited",
            "server",
            "server",
            "unexpected_response"
        ]
    );
    insta::assert_json_snapshot!("error_shapes", rows);
}

#[test]
fn every_operation_reads_errors_the_same_way() {
    let resp = HttpResponse::new(404, fixture("error_404_detail.json")).with_request_id("r-404");
    let errs = [
        response::parse_cancel_hosted_session(&resp).unwrap_err(),
        response::parse_get_hosted_session(&resp).unwrap_err(),
        response::parse_get_shipment(&resp).unwrap_err(),
        response::parse_create_shipment_exception(&resp).unwrap_err(),
        response::parse_get_shipment_exception(&resp).unwrap_err(),
        response::parse_list_shipment_exceptions(&resp).unwrap_err(),
    ];
    let ops: Vec<_> = errs.iter().map(|e| e.operation().unwrap()).collect();
    assert_eq!(
        ops,
        [
            "cancel_hosted_session",
            "get_hosted_session",
            "get_shipment",
            "create_shipment_exception",
            "get_shipment_exception",
            "list_shipment_exceptions"
        ]
    );
    for e in &errs {
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.request_id(), Some("r-404"));
        assert_eq!(e.provider_message(), Some("string"));
    }
}

#[test]
fn an_error_after_a_lost_attempt_stays_maybe_sent() {
    let mut resp = HttpResponse::new(500, "");
    resp.earlier_attempt_maybe_sent = true;
    let err = response::parse_cancel_hosted_session(&resp).unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
}
