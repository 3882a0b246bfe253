//! Property tests of Arta's decoders and id parsers: arbitrary bytes and mutated fixtures give
//! a value or an error, never a panic; a non-2xx answer is never read as a success; a decoded
//! value reads back the same once written; decode errors name the JSON path (snapshots).
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test -p rescind-arta
//! --test decode_props` for a long run.

use proptest::prelude::*;
use rescind_arta::error::{ErrorBody, from_response};
use rescind_arta::{request, response, rules};
use rescind_core::testing::mutate;
use rescind_core::{Error, ErrorKind, HttpResponse, Sent};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// Every success decoder with the fixture it reads.
const DECODERS: &[(&str, &str)] = &[
    ("cancel_hosted_session", "hosted_session_cancel_200.json"),
    ("get_hosted_session", "hosted_session_cancel_200.json"),
    ("get_shipment", "shipment_pending.json"),
    ("create_shipment_exception", "shipment_exception_201.json"),
    ("get_shipment_exception", "shipment_exception_201.json"),
    ("list_shipment_exceptions", "shipment_exceptions_page.json"),
];

/// A decoded value must read back the same once written: the model keeps what it was sent.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    r: Result<response::Response<T>, Error>,
) -> Result<(), Error> {
    let r = r?;
    let written = serde_json::to_vec(&r.value).expect("a decoded value can be written");
    let again: T = serde_json::from_slice(&written)
        .unwrap_or_else(|e| panic!("{e}: {}\n{:?}", String::from_utf8_lossy(&written), r.value));
    // Compared as written: what a tolerant read skipped (`skipped()`) is not written.
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&r.value).unwrap(),
        "{}",
        String::from_utf8_lossy(&written)
    );
    Ok(())
}

fn decode(operation: &str, resp: &HttpResponse) -> Result<(), Error> {
    match operation {
        "cancel_hosted_session" => round_trips(response::parse_cancel_hosted_session(resp)),
        "get_hosted_session" => round_trips(response::parse_get_hosted_session(resp)),
        "get_shipment" => round_trips(response::parse_get_shipment(resp)),
        "create_shipment_exception" => round_trips(response::parse_create_shipment_exception(resp)),
        "get_shipment_exception" => round_trips(response::parse_get_shipment_exception(resp)),
        "list_shipment_exceptions" => round_trips(response::parse_list_shipment_exceptions(resp)),
        other => unreachable!("{other}"),
    }
}

/// The properties every answer must keep, whatever its body.
fn check(operation: &str, status: u16, body: Vec<u8>) -> Result<(), TestCaseError> {
    let resp = HttpResponse::new(status, body).with_request_id("req-1");
    match decode(operation, &resp) {
        Ok(()) => prop_assert!(resp.is_success(), "HTTP {status} read as a success"),
        Err(err) => {
            prop_assert_eq!(err.status(), Some(status));
            // The rule of `rescind_core::change`: for a change, only a documented refusal (or
            // a 429) proves nothing was applied; everything else may have been.
            let change = matches!(
                operation,
                "cancel_hosted_session" | "create_shipment_exception"
            );
            let refusal = status == 429 || rescind_arta::error::is_documented_refusal(&resp);
            let sent = if change && !refusal {
                Sent::MaybeSent
            } else {
                Sent::Answered
            };
            prop_assert_eq!(err.sent(), sent);
            prop_assert_eq!(err.request_id(), Some("req-1"));
            if resp.is_success() {
                prop_assert_eq!(err.kind(), ErrorKind::Decode);
            } else {
                prop_assert_eq!(err.kind(), ErrorKind::from_status(status));
            }
            prop_assert!(!err.to_string().is_empty());
        }
    }
    Ok(())
}

fn decoder() -> impl Strategy<Value = (&'static str, &'static str)> {
    proptest::sample::select(DECODERS)
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(200u16),
        1 => Just(201u16),
        1 => proptest::sample::select(vec![204u16, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)
}

proptest! {
    #[test]
    fn arbitrary_bytes((op, _) in decoder(), status in status(), body in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(op, status, body)?;
    }

    #[test]
    fn fixtures_with_byte_edits((op, name) in decoder(), status in status(), edits in edits()) {
        check(op, status, mutate::bytes(&fixture(name), &edits))?;
    }

    #[test]
    fn fixtures_with_one_field_replaced((op, name) in decoder(), index in any::<usize>(), pick in any::<u8>()) {
        let body = mutate::replace_node(&fixture_json(name), index, mutate::replacement(pick));
        check(op, 200, serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn fixtures_with_one_key_removed((op, name) in decoder(), index in any::<usize>()) {
        let body = mutate::remove_key(&fixture_json(name), index);
        check(op, 200, serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn error_bodies(status in 400u16..600, edits in edits(), index in any::<usize>(), pick in any::<u8>()) {
        let valid = fixture_json("error_404_detail.json");
        for body in [
            mutate::bytes(&fixture("error_404_detail.json"), &edits),
            serde_json::to_vec(&mutate::replace_node(&valid, index, mutate::replacement(pick))).unwrap(),
        ] {
            let _ = ErrorBody::parse(&body);
            let err = from_response(&HttpResponse::new(status, body), "get_shipment");
            prop_assert_eq!(err.kind(), ErrorKind::from_status(status));
            prop_assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn hosted_session_ids(id in any::<String>()) {
        match rules::parse_hosted_session_id("id", &id) {
            Ok(n) => {
                prop_assert!(id.bytes().all(|b| b.is_ascii_digit()), "{:?}", id);
                prop_assert_eq!(Ok(n), id.parse::<u64>());
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
                prop_assert_eq!(err.field(), Some("id"));
            }
        }
    }

    #[test]
    fn shipment_ids_stay_in_their_segment(id in any::<String>()) {
        let _ = rules::check_shipment_id("shipment_id", &id);
        for req in [request::get_shipment(&id), request::get_shipment_exception(&id)] {
            match req {
                Ok(req) => {
                    let rest = req.path.splitn(3, '/').nth(2).unwrap();
                    prop_assert!(!rest.contains('/') && !rest.contains('?') && !rest.contains('#'), "{}", req.path);
                    prop_assert!(rest != "." && rest != "..");
                }
                Err(err) => {
                    prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
                    prop_assert_eq!(err.sent(), Sent::NotSent);
                }
            }
        }
    }
}

/// Decode errors name the JSON path of the bad value.
#[test]
fn decode_errors_name_the_json_path() {
    let mut rows = Vec::new();
    let cases: [(&str, &str, &str, serde_json::Value); 4] = [
        (
            "get_hosted_session",
            "hosted_session_cancel_200.json",
            "/id",
            "x".into(),
        ),
        (
            "get_shipment",
            "shipment_pending.json",
            "/created_at",
            "2021-02-30T00:00:00.000000".into(),
        ),
        (
            "list_shipment_exceptions",
            "shipment_exceptions_page.json",
            "/items/0/type",
            5.into(),
        ),
        (
            "create_shipment_exception",
            "shipment_exception_201.json",
            "/hold_until",
            "soon".into(),
        ),
    ];
    for (op, name, pointer, value) in cases {
        let mut body = fixture_json(name);
        *body.pointer_mut(pointer).unwrap() = value;
        let resp = HttpResponse::new(200, serde_json::to_vec(&body).unwrap());
        let err = decode(op, &resp).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.json_path().is_some(), "{err}");
        rows.push(serde_json::json!({
            "operation": op,
            "changed": pointer,
            "json_path": err.json_path(),
            "display": err.to_string(),
        }));
    }
    insta::assert_json_snapshot!("decode_errors", rows);
}
