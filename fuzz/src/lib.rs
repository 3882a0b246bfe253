//! The fuzz targets' bodies, shared by the libFuzzer targets (`fuzz_targets/`) and the stable
//! `replay` runner. Each takes arbitrary bytes: the first byte picks the decoder and the
//! status, the rest is the body. A target panics only when a decoder panics or lies (a non-2xx
//! answer read as a success, an error that loses its status).

use rescind_core::{HttpResponse, Sent};

/// The fuzz targets, by name.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("arta", arta),
    ("di", di),
    ("skippay", skippay),
    ("core", core),
];

const STATUSES: &[u16] = &[
    200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503,
];

fn split(data: &[u8]) -> (u8, u16, &[u8]) {
    match data.split_first() {
        Some((&selector, body)) => (
            selector,
            STATUSES[usize::from(selector >> 4) % STATUSES.len()],
            body,
        ),
        None => (0, 200, &[]),
    }
}

fn check<T>(resp: &HttpResponse, result: Result<T, rescind_core::Error>) {
    match result {
        Ok(_) => assert!(resp.is_success(), "HTTP {} read as a success", resp.status),
        Err(err) => {
            assert_eq!(err.status(), Some(resp.status));
            assert_ne!(err.sent(), Sent::NotSent);
            let _ = err.to_string();
        }
    }
}

/// Arta's response and error decoders.
pub fn arta(data: &[u8]) {
    use rescind_arta::{error, response};
    let (selector, status, body) = split(data);
    let resp = HttpResponse::new(status, body.to_vec());
    match selector % 7 {
        0 => check(&resp, response::parse_cancel_hosted_session(&resp)),
        1 => check(&resp, response::parse_get_hosted_session(&resp)),
        2 => check(&resp, response::parse_get_shipment(&resp)),
        3 => check(&resp, response::parse_create_shipment_exception(&resp)),
        4 => check(&resp, response::parse_get_shipment_exception(&resp)),
        5 => check(&resp, response::parse_list_shipment_exceptions(&resp)),
        _ => {
            let _ = error::ErrorBody::parse(body);
            let _ = error::from_response(&resp, "get_shipment");
        }
    }
}

/// Di's login, cancel, details and error readers, and the token expiry reader.
pub fn di(data: &[u8]) {
    use rescind_di::{MinutesValid, error, response};
    let (selector, status, body) = split(data);
    let resp = HttpResponse::new(status, body.to_vec());
    let now = rescind_core::jiff::Timestamp::from_second(1_767_225_700).unwrap_or_default();
    match selector % 5 {
        0 => check(&resp, response::login(&resp, MinutesValid::MAX, now)),
        1 => check(&resp, response::cancel_order(&resp)),
        2 => {
            if let Ok(details) = response::order_details(&resp) {
                let _ = rescind_di::rules::cancellability(&details, now);
            }
        }
        3 => {
            let lifetime = rescind_di::auth::token_lifetime(
                &String::from_utf8_lossy(body),
                MinutesValid::MAX,
                now,
            );
            assert!(lifetime <= MinutesValid::MAX.duration());
        }
        _ => {
            let _ = error::ErrorBody::parse(body);
            let _ = error::from_response(&resp, "cancel_order");
        }
    }
}

/// Skip Pay's login, application, order cancel and error readers, and the planner.
pub fn skippay(data: &[u8]) {
    use rescind_skippay::model::{CancelItem, OrderCancelRequest};
    use rescind_skippay::{error, request, response, rules};
    let (selector, status, body) = split(data);
    let resp = HttpResponse::new(status, body.to_vec());
    match selector % 5 {
        0 => check(&resp, response::parse_login(&resp)),
        1 => {
            let app = response::parse_get_application(&resp);
            if let Ok(app) = &app {
                for req in [
                    OrderCancelRequest::whole(),
                    OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(1.into())]),
                ] {
                    let _ = rules::plan(app, &req);
                }
            }
            check(&resp, app);
        }
        2 => check(
            &resp,
            response::parse_application(&resp, request::CANCEL_APPLICATION),
        ),
        3 => check(&resp, response::parse_cancel_order_items(&resp)),
        _ => {
            let err = error::from_response(&resp, request::CANCEL_ORDER_ITEMS);
            let _ = error::errors_of(&err);
        }
    }
}

/// Core's parsers and the identifier parsers: `Retry-After`, path segments, Di shipment
/// numbers, Arta hosted session ids, Skip Pay application ids.
pub fn core(data: &[u8]) {
    let (selector, _, body) = split(data);
    let text = String::from_utf8_lossy(body);
    let now = rescind_core::jiff::Timestamp::from_second(1_767_225_700).unwrap_or_default();
    match selector % 5 {
        0 => {
            let _ = rescind_core::retry::parse_retry_after(&text, now);
        }
        1 => {
            if let Ok(segment) = rescind_core::http::path_segment("id", &text) {
                assert!(!segment.contains('/') && segment != "." && segment != "..");
            }
        }
        2 => {
            if let Ok(n) = rescind_di::ShipmentNumber::parse(&text) {
                assert!(n.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
        3 => {
            if let Ok(n) = rescind_arta::rules::parse_hosted_session_id("id", &text) {
                assert_eq!(Ok(n), text.parse::<u64>());
            }
        }
        _ => {
            if let Ok(req) = rescind_skippay::request::get_application(&text) {
                let rest = req.path.trim_start_matches("/financing/v1/applications/");
                assert!(!rest.contains('/'), "{}", req.path);
            }
        }
    }
}

/// Seed inputs of `target`: the providers' fixtures (`tests/fixtures/`) behind every selector
/// byte, and a few identifiers and header values for `core`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let bodies: Vec<&[u8]> = match target {
        "arta" => vec![
            include_bytes!("../../crates/rescind-arta/tests/fixtures/hosted_session_cancel_200.json"),
            include_bytes!("../../crates/rescind-arta/tests/fixtures/shipment_pending.json"),
            include_bytes!("../../crates/rescind-arta/tests/fixtures/shipment_exception_201.json"),
            include_bytes!("../../crates/rescind-arta/tests/fixtures/shipment_exceptions_page.json"),
            include_bytes!("../../crates/rescind-arta/tests/fixtures/error_404_detail.json"),
        ],
        "di" => vec![
            include_bytes!("../../crates/rescind-di/tests/fixtures/login_response.json"),
            include_bytes!("../../crates/rescind-di/tests/fixtures/order_details.json"),
            include_bytes!("../../crates/rescind-di/tests/fixtures/order_details_pickup.json"),
            include_bytes!("../../crates/rescind-di/tests/fixtures/error_authentication_missing.json"),
            b"eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ3c2Zvb2JhciIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MzEyMDAwLCJ1c2VySWQiOjQyNDIsInJvbGVzIjpbIldFQlNFUlZJQ0UiXX0.bm90LWEtcmVhbC1zaWduYXR1cmU",
        ],
        "skippay" => vec![
            include_bytes!("../../crates/rescind-skippay/tests/fixtures/application_ready.json"),
            include_bytes!("../../crates/rescind-skippay/tests/fixtures/order_cancel_200.json"),
            include_bytes!("../../crates/rescind-skippay/tests/fixtures/order_cancel_422.json"),
            include_bytes!("../../crates/rescind-skippay/tests/fixtures/login_200.json"),
            include_bytes!("../../crates/rescind-skippay/tests/fixtures/error_401_invalid_token.json"),
        ],
        _ => vec![
            b"120",
            b"Wed, 21 Oct 2015 07:28:00 GMT",
            b"(401)70724761617883184",
            b"42",
            b"../11200a0ee1%2F",
        ],
    };
    let mut seeds = Vec::new();
    for body in bodies {
        // Every decoder with a 2xx status (selector < 48) and with a few errors.
        for selector in [0u8, 1, 2, 3, 4, 5, 6, 16, 32, 48, 64, 112, 160, 192] {
            let mut seed = vec![selector];
            seed.extend_from_slice(body);
            seeds.push(seed);
        }
    }
    seeds
}
