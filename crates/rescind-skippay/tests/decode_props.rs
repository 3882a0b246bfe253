//! Property tests of Skip Pay's decoders and parsers: the login, application, order cancel and
//! error readers, the cancel planner fed with what was decoded, and the application id in the
//! path. Arbitrary bytes and mutated fixtures give a value or an error, never a panic; a non-2xx
//! answer is never read as a success; decode errors name the JSON path (snapshot).
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test -p rescind-skippay
//! --test decode_props` for a long run.

use std::time::Duration;

use proptest::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::testing::mutate;
use rescind_core::{Error, ErrorKind, HttpResponse, Sent};
use rescind_skippay::model::{ApplicationResponse, CancelItem, Order, OrderCancelRequest};
use rescind_skippay::{error, request, response, rules};

const FIXTURES: &[&str] = &[
    "application_ready.json",
    "order_cancel_200.json",
    "order_cancel_422.json",
    "login_200.json",
    "error_401_invalid_token.json",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// Runs every reader on one answer and checks what each must keep.
fn check(status: u16, body: Vec<u8>, quantity: Decimal) -> Result<(), TestCaseError> {
    let resp = HttpResponse::new(status, body).with_request_id("req-1");
    let answered = |change: bool, r: Result<(), Error>| -> Result<(), TestCaseError> {
        match r {
            Ok(()) => prop_assert!(resp.is_success(), "HTTP {status} read as a success"),
            Err(err) => {
                prop_assert_eq!(err.status(), Some(status));
                // The rule of `rescind_core::change`: for a change, only a documented refusal
                // (or a 429) proves nothing was applied; everything else may have been.
                let refusal = resp.status == 429 || error::is_documented_refusal(&resp);
                let sent = if change && !refusal {
                    Sent::MaybeSent
                } else {
                    Sent::Answered
                };
                prop_assert_eq!(err.sent(), sent);
                if resp.is_success() {
                    prop_assert_eq!(err.kind(), ErrorKind::Decode);
                }
                prop_assert!(!err.to_string().is_empty());
            }
        }
        Ok(())
    };
    answered(false, response::parse_login(&resp).map(|_| ()))?;
    answered(
        false,
        response::parse_get_application(&resp).map(|app| {
            round_trip(&app);
            // What was decoded feeds the cancel rules: they decide, never panic.
            for request in [
                OrderCancelRequest::whole(),
                OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(quantity)]),
                OrderCancelRequest::items(vec![CancelItem::by_ean("888462064002")]),
            ] {
                let _ = rules::plan(&app, &request);
            }
        }),
    )?;
    answered(
        true,
        response::parse_application(&resp, request::CANCEL_APPLICATION).map(|_| ()),
    )?;
    answered(
        true,
        response::parse_cancel_order_items(&resp).map(|order| round_trip(&order)),
    )?;
    if !resp.is_success() {
        for op in [
            request::LOGIN,
            request::GET_APPLICATION,
            request::CANCEL_ORDER_ITEMS,
        ] {
            let err = error::from_response(&resp, op);
            prop_assert_eq!(err.status(), Some(status));
            let _ = error::errors_of(&err);
        }
    }
    Ok(())
}

fn round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    // Compared as written: what a tolerant read skipped (`skipped()`) is not written.
    let written = serde_json::to_vec(value).unwrap();
    let again: T = serde_json::from_slice(&written)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&written)));
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(value).unwrap(),
        "{}",
        String::from_utf8_lossy(&written)
    );
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(200u16),
        1 => proptest::sample::select(vec![204u16, 400, 401, 403, 404, 422, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)
}

fn quantity() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ONE),
        Just(Decimal::MAX),
        (any::<i64>(), 0u32..4).prop_map(|(n, scale)| Decimal::new(n, scale)),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes(status in status(), body in proptest::collection::vec(any::<u8>(), 0..512), q in quantity()) {
        check(status, body, q)?;
    }

    #[test]
    fn fixtures_with_byte_edits(name in proptest::sample::select(FIXTURES), status in status(), edits in edits(), q in quantity()) {
        check(status, mutate::bytes(&fixture(name), &edits), q)?;
    }

    #[test]
    fn fixtures_with_one_field_replaced(name in proptest::sample::select(FIXTURES), status in status(), index in any::<usize>(), pick in any::<u8>(), q in quantity()) {
        let body = mutate::replace_node(&fixture_json(name), index, mutate::replacement(pick));
        check(status, serde_json::to_vec(&body).unwrap(), q)?;
    }

    #[test]
    fn fixtures_with_one_key_removed(name in proptest::sample::select(FIXTURES), index in any::<usize>(), q in quantity()) {
        check(200, serde_json::to_vec(&mutate::remove_key(&fixture_json(name), index)).unwrap(), q)?;
    }

    #[test]
    fn login_lifetimes_are_bounded(expires_in in prop_oneof![
        any::<u64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<u8>().prop_map(mutate::replacement),
    ]) {
        let body = serde_json::json!({"accessToken": "t", "expiresIn": expires_in});
        let resp = HttpResponse::new(200, serde_json::to_vec(&body).unwrap());
        if let Err(err) = response::parse_login(&resp) {
            prop_assert_eq!(err.kind(), ErrorKind::Decode);
        }
    }

    #[test]
    fn application_ids_stay_in_their_segment(id in any::<String>()) {
        for req in [
            request::get_application(&id),
            request::cancel_order_items(&id, &OrderCancelRequest::whole()),
        ] {
            match req {
                Ok(req) => {
                    let rest = req.path.trim_start_matches("/financing/v1/applications/");
                    let segment = rest.split('/').next().unwrap();
                    prop_assert!(!segment.is_empty() && segment != "." && segment != "..");
                    prop_assert!(!rest.contains('?') && !rest.contains('#'), "{}", req.path);
                    prop_assert!(rest == segment || rest == format!("{segment}/order/cancel"), "{}", req.path);
                }
                Err(err) => {
                    prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
                    prop_assert_eq!(err.sent(), Sent::NotSent);
                    prop_assert_eq!(err.field(), Some("application_id"));
                }
            }
        }
    }
}

/// A login that says its token lives for ever is believed for a day at most.
#[test]
fn a_huge_expires_in_is_capped() {
    for expires_in in ["1e300", "18446744073709551615", "1.7976931348623157e308"] {
        let body = format!(r#"{{"accessToken": "t", "expiresIn": {expires_in}}}"#);
        let token = response::parse_login(&HttpResponse::new(200, body)).unwrap();
        assert!(
            token.valid_for(Duration::from_secs(23 * 3600)),
            "{expires_in}"
        );
        assert!(
            !token.valid_for(Duration::from_secs(25 * 3600)),
            "{expires_in}"
        );
    }
}

/// Decode errors name the JSON path of the bad value.
#[test]
fn decode_errors_name_the_json_path() {
    let mut rows = Vec::new();
    for (name, pointer, value) in [
        (
            "application_ready.json",
            "/order/items/1/quantity",
            serde_json::json!("lots"),
        ),
        ("application_ready.json", "/state", serde_json::json!(3)),
        // A fraction of a minor unit reads now (`number`); an item's state is needed.
        (
            "order_cancel_200.json",
            "/items/0/state",
            serde_json::json!(1.5),
        ),
    ] {
        let mut body = fixture_json(name);
        *body
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{name} {pointer}")) = value;
        let resp = HttpResponse::new(200, serde_json::to_vec(&body).unwrap());
        let err = if name.starts_with("application") {
            response::parse_get_application(&resp)
                .map(|_: ApplicationResponse| ())
                .unwrap_err()
        } else {
            response::parse_cancel_order_items(&resp)
                .map(|_: Order| ())
                .unwrap_err()
        };
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.json_path().is_some(), "{err}");
        rows.push(serde_json::json!({
            "fixture": name,
            "changed": pointer,
            "json_path": err.json_path(),
            "display": err.to_string(),
        }));
    }
    insta::assert_json_snapshot!("decode_errors", rows);
}
