//! Property tests of Di's decoders and parsers: the login, cancel, details and error readers,
//! the token expiry reader and the shipment number. Arbitrary bytes and mutated fixtures give a
//! value or an error, never a panic; a non-2xx answer is never read as a success; a token's
//! lifetime is never longer than Di issues; decode errors name the JSON path (snapshot).
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test -p rescind-di
//! --test decode_props` for a long run.

use std::time::Duration;

use base64::Engine as _;
use jiff::Timestamp;
use proptest::prelude::*;
use rescind_core::testing::mutate;
use rescind_core::{Error, ErrorKind, HttpResponse, Sent};
use rescind_di::auth::token_lifetime;
use rescind_di::model::OrderDetails;
use rescind_di::{ErrorBody, MinutesValid, ShipmentNumber, error, request, response};

const FIXTURES: &[&str] = &[
    "login_response.json",
    "order_details.json",
    "order_details_pickup.json",
    "error_authentication_missing.json",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn now() -> Timestamp {
    Timestamp::from_second(1_767_225_700).unwrap()
}

/// Di's longest token: 1440 minutes.
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs every reader on one answer and checks what each must keep.
fn check(status: u16, body: Vec<u8>) -> Result<(), TestCaseError> {
    let resp = HttpResponse::new(status, body).with_request_id("req-1");
    let answered_as = |change: bool, r: Result<(), Error>| -> Result<(), TestCaseError> {
        match r {
            Ok(()) => prop_assert!(resp.is_success(), "HTTP {status} read as a success"),
            Err(err) => {
                prop_assert_eq!(err.status(), Some(status));
                // The rule of `rescind_core::change`: for a change, only a documented refusal
                // (Di's envelope on a 4xx, or a 429) proves nothing was applied.
                let refusal = status == 429
                    || ((400..500).contains(&status) && error::is_envelope(&resp.body));
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
    let answered = |r: Result<(), Error>| answered_as(false, r);
    answered(response::login(&resp, MinutesValid::new(60).unwrap(), now()).map(|_| ()))?;
    answered_as(
        true,
        response::cancel_order(&resp).map(|c| {
            assert_eq!(c.status, status);
        }),
    )?;
    answered(response::order_details(&resp).map(|d| {
        let written = serde_json::to_vec(&d).unwrap();
        let again: OrderDetails = serde_json::from_slice(&written).unwrap();
        // Compared as written: what a tolerant read skipped (`skipped()`) is not written.
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&d).unwrap(),
            "{}",
            String::from_utf8_lossy(&written)
        );
        // What was decoded feeds the transit rules: they decide or fail, never panic.
        let _ = rescind_di::rules::cancellability(&d, now());
    }))?;
    let _ = ErrorBody::parse(&resp.body);
    if !resp.is_success() {
        let err = error::from_response(&resp, "cancel_order");
        prop_assert_eq!(err.status(), Some(status));
    }
    Ok(())
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(200u16),
        1 => proptest::sample::select(vec![204u16, 400, 401, 403, 404, 405, 409, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)
}

fn jwt(payload: &[u8]) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        e.encode(r#"{"alg":"HS512"}"#),
        e.encode(payload)
    )
}

fn claim() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        (1_700_000_000i64..1_900_000_000).prop_map(serde_json::Value::from),
        any::<u8>().prop_map(mutate::replacement),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes(status in status(), body in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(status, body)?;
    }

    #[test]
    fn fixtures_with_byte_edits(name in proptest::sample::select(FIXTURES), status in status(), edits in edits()) {
        check(status, mutate::bytes(&fixture(name), &edits))?;
    }

    #[test]
    fn fixtures_with_one_field_replaced(name in proptest::sample::select(FIXTURES), status in status(), index in any::<usize>(), pick in any::<u8>()) {
        let body = mutate::replace_node(&fixture_json(name), index, mutate::replacement(pick));
        check(status, serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn fixtures_with_one_key_removed(name in proptest::sample::select(FIXTURES), index in any::<usize>()) {
        check(200, serde_json::to_vec(&mutate::remove_key(&fixture_json(name), index)).unwrap())?;
    }

    #[test]
    fn token_lifetime_of_any_token(token in any::<String>(), minutes in 1u32..=1440) {
        let lifetime = token_lifetime(&token, MinutesValid::new(minutes).unwrap(), now());
        prop_assert!(lifetime <= LONGEST);
    }

    #[test]
    fn token_lifetime_of_any_claims(exp in proptest::option::of(claim()), iat in proptest::option::of(claim()), minutes in 1u32..=1440) {
        let mut claims = serde_json::Map::new();
        if let Some(exp) = exp { claims.insert("exp".into(), exp); }
        if let Some(iat) = iat { claims.insert("iat".into(), iat); }
        let token = jwt(&serde_json::to_vec(&claims).unwrap());
        let minutes_valid = MinutesValid::new(minutes).unwrap();
        let lifetime = token_lifetime(&token, minutes_valid, now());
        prop_assert!(lifetime <= LONGEST, "{:?} from {:?}", lifetime, claims);
        // The login answer with that token gives a token, whatever its claims.
        let body = serde_json::to_vec(&serde_json::json!({ "token": token })).unwrap();
        prop_assert!(response::login(&HttpResponse::new(200, body), minutes_valid, now()).is_ok());
    }

    #[test]
    fn token_lifetime_of_any_payload(payload in proptest::collection::vec(any::<u8>(), 0..128)) {
        let lifetime = token_lifetime(&jwt(&payload), MinutesValid::MAX, now());
        prop_assert!(lifetime <= LONGEST);
    }

    #[test]
    fn shipment_numbers(input in any::<String>()) {
        shipment_number(&input)?;
    }

    #[test]
    fn shipment_number_near_misses(input in "(\\(401\\))?[0-9 ./%A-F()]{0,40}") {
        shipment_number(&input)?;
    }
}

fn shipment_number(input: &str) -> Result<(), TestCaseError> {
    match ShipmentNumber::parse(input) {
        Ok(n) => {
            prop_assert!(!n.as_str().is_empty() && n.as_str().len() <= 30);
            prop_assert!(n.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(input.ends_with(n.as_str()));
            let req = request::cancel_order(&n).unwrap();
            prop_assert_eq!(
                req.path,
                format!("/ws/json/parcel/booking/v-1/order/cancel/{}", n.as_str())
            );
        }
        Err(err) => {
            prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
            prop_assert_eq!(err.sent(), Sent::NotSent);
            prop_assert_eq!(err.field(), Some("identifier"));
        }
    }
    // Whatever the identifier, the details path keeps it in its one segment.
    if let Ok(req) = request::order_details(input) {
        let rest = req
            .path
            .trim_start_matches("/ws/json/parcel/booking/v-1/details/");
        prop_assert!(
            !rest.contains('/') && !rest.contains('?') && !rest.contains('#'),
            "{}",
            req.path
        );
        prop_assert!(rest != "." && rest != ".." && !rest.is_empty());
    }
    Ok(())
}

/// Decode errors name the JSON path of the bad value.
#[test]
fn decode_errors_name_the_json_path() {
    let mut rows = Vec::new();
    for (name, pointer, value) in [
        (
            "order_details.json",
            "/desiredDeliveryDate",
            serde_json::json!("31.12.2026"),
        ),
        // A parcel no decision needs is skipped (see `tolerant_reads`); `ediStatus` is needed.
        ("order_details.json", "/ediStatus", serde_json::json!(7)),
        (
            "order_details_pickup.json",
            "/pickupDetails/pickupDate",
            serde_json::json!("20261301"),
        ),
    ] {
        let mut body = fixture_json(name);
        *body
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{name} {pointer}")) = value;
        let resp = HttpResponse::new(200, serde_json::to_vec(&body).unwrap());
        let err = response::order_details(&resp).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.json_path().is_some(), "{err}");
        rows.push(serde_json::json!({
            "fixture": name,
            "changed": pointer,
            "json_path": err.json_path(),
            "display": err.to_string(),
        }));
    }
    let err = response::login(
        &HttpResponse::new(200, r#"{"token": 42}"#),
        MinutesValid::MAX,
        now(),
    )
    .unwrap_err();
    rows.push(serde_json::json!({
        "fixture": "login",
        "changed": "/token",
        "json_path": err.json_path(),
        "display": err.to_string(),
    }));
    insta::assert_json_snapshot!("decode_errors", rows);
}
