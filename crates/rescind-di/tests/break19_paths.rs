//! break19: Di's cancel and details read build their paths with `path_with_segment`, the
//! details read borrowing its identifier when it is used as it is, and a request's first header
//! (the content type) is appended. The paths must be what `details_identifier` and
//! `path_segment` gave, `(401)` stripped, every other input refused as before naming
//! `identifier`; on the wire (a base with and without a prefix) the exact request line and each
//! header once.

use std::net::SocketAddr;
use std::time::Duration;

use http::Method;
use rescind_core::http::path_segment;
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::{RawRequest, WireRecorder};
use rescind_core::{ErrorKind, Sent, TransportConfig};
use rescind_di::request::{self, details_identifier};
use rescind_di::{Client, Credentials, ShipmentNumber};

const USERNAME: &str = "wsfoobar";
const PASSWORD: &str = "a-very-very-long-password";
const CANCEL_PREFIX: &str = "/ws/json/parcel/booking/v-1/order/cancel/";
const DETAILS_PREFIX: &str = "/ws/json/parcel/booking/v-1/details/";

fn token() -> String {
    let path = format!(
        "{}/tests/fixtures/login_response.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["token"].as_str().unwrap().to_string()
}

/// Identifiers the details read takes, with the one it must put in the path.
fn good_identifiers() -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = [
        ("70724761617883184", "70724761617883184"),
        ("(401)70724761617883184", "70724761617883184"),
        ("(401)0", "0"),
        ("00370724760010119754", "00370724760010119754"),
        ("TRACKREF42", "TRACKREF42"),
        ("abcXYZ019", "abcXYZ019"),
        ("7", "7"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    ids.push(("A".repeat(35), "A".repeat(35)));
    ids.push((format!("(401){}", "9".repeat(30)), "9".repeat(30)));
    ids
}

/// Inputs refused by the details read, as `details_identifier` refuses them.
fn bad_identifiers() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        ".",
        "..",
        "...",
        "(401)",
        "(401)(401)7",
        "(401)7a",
        "(401) 7",
        "(00)370724760010119754",
        "(401",
        "401)7",
        "a b",
        "a/b",
        "../7",
        "%2F",
        "%37",
        "7?x",
        "7#x",
        "ø",
        "７",
        "7\n",
        " 7",
        "7-8",
        "7.8",
        "7_8",
        "7~8",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("A".repeat(36));
    ids.push(format!("(401){}", "9".repeat(31)));
    ids
}

#[test]
fn the_details_path_is_the_prefix_and_the_checked_identifier() {
    for (input, bare) in good_identifiers() {
        let req = request::order_details(&input).unwrap();
        assert_eq!(req.path, format!("{DETAILS_PREFIX}{bare}"), "{input:?}");
        // What it was: `details_identifier` then `path_segment`.
        let before = path_segment("identifier", &details_identifier(&input).unwrap()).unwrap();
        assert_eq!(req.path, format!("{DETAILS_PREFIX}{before}"), "{input:?}");
        assert_eq!(details_identifier(&input).unwrap(), bare);
        assert_eq!(req.method, Method::GET);
        assert_eq!(req.path_template, request::ORDER_DETAILS_PATH);
        assert_eq!(req.operation, request::operation::ORDER_DETAILS);
        let all: Vec<_> = req.headers.iter().collect();
        assert_eq!(all.len(), 1, "{req:?}");
        assert_eq!(all[0].0, http::header::CONTENT_TYPE);
        assert_eq!(all[0].1, "application/json");
        assert!(req.body.is_none() && req.query.is_empty());
        assert!(req.idempotent && req.authenticated);
    }
}

#[test]
fn the_details_read_refuses_what_details_identifier_refuses_naming_identifier() {
    for input in bad_identifiers() {
        let err = request::order_details(&input).unwrap_err();
        let before = details_identifier(&input).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}: {err}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.field(), Some("identifier"), "{input:?}: {err}");
        assert_eq!(err.to_string(), before.to_string(), "{input:?}");
    }
}

#[test]
fn the_cancel_path_is_the_prefix_and_the_bare_number() {
    for input in [
        "70724761617883184",
        "(401)70724761617883184",
        "0",
        "(401)0",
        "000000000000000000000000000000",
    ] {
        let number = ShipmentNumber::parse(input).unwrap();
        let req = request::cancel_order(&number).unwrap();
        assert_eq!(
            req.path,
            format!("{CANCEL_PREFIX}{}", input.trim_start_matches("(401)")),
            "{input}"
        );
        assert_eq!(req.method, Method::DELETE);
        assert_eq!(req.path_template, request::CANCEL_ORDER_PATH);
        let all: Vec<_> = req.headers.iter().collect();
        assert_eq!(all.len(), 1, "{req:?}");
        assert_eq!(all[0].0, http::header::CONTENT_TYPE);
        assert_eq!(all[0].1, "application/json");
        assert!(req.body.is_none());
        assert!(req.idempotent);
    }
}

/// A Di that keeps every request's raw head and body: the login answers the fixture's token,
/// a cancel an empty 200, anything else Di's 404 envelope.
fn server() -> WireRecorder {
    WireRecorder::start(|req| {
        if req.line().contains("/ws/json/auth/v-3/login/") {
            (200, format!(r#"{{"token":"{}"}}"#, token()))
        } else if req.line().starts_with("DELETE ") {
            (200, String::new())
        } else {
            (
                404,
                r#"{"statusCode":404,"errorKey":"cannot.find.order","errorMap":{}}"#.to_string(),
            )
        }
    })
}

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(60)
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::none())
                .with_attempt_timeout(Duration::from_secs(10)),
        )
        .build()
        .unwrap()
}

/// The head of one request: its line, and each header once with the content type and the
/// bearer token.
fn assert_head(raw: &RawRequest, line: &str, addr: SocketAddr) {
    assert_eq!(raw.line(), line, "{}", raw.text);
    raw.assert_each_name_once();
    assert_eq!(raw.values("content-type"), vec!["application/json"]);
    assert_eq!(
        raw.values("authorization"),
        vec![format!("Bearer {}", token())]
    );
    assert_eq!(raw.values("host"), vec![addr.to_string()]);
    assert!(raw.text.ends_with("\r\n\r\n"), "{}", raw.text);
    assert!(!raw.text.contains("rrrrrrrr"), "{}", raw.text);
}

#[tokio::test]
async fn on_the_wire_the_cancel_and_the_read_go_to_the_bare_number_under_the_prefix() {
    let server = server();
    let addr = server.addr();
    for (base, prefix) in server.bases("/di/gw") {
        let client = client(&base);
        client.login().await.unwrap();
        let login = server.take();
        assert_eq!(login.len(), 1, "{login:?}");
        assert_eq!(
            login[0].line(),
            format!("POST {prefix}/ws/json/auth/v-3/login/60 HTTP/1.1")
        );
        login[0].assert_each_name_once();
        assert_eq!(login[0].values("content-type"), vec!["application/json"]);
        assert!(
            login[0].values("authorization").is_empty(),
            "{}",
            login[0].text
        );

        for input in ["70724761617883184", "(401)70724761617883184"] {
            client.cancel_order(input).await.unwrap();
            let raw = server.take();
            assert_eq!(raw.len(), 1, "{raw:?}");
            assert_head(
                &raw[0],
                &format!("DELETE {prefix}{CANCEL_PREFIX}70724761617883184 HTTP/1.1"),
                addr,
            );
        }
        for (input, bare) in good_identifiers() {
            let err = client.order_details(&input).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{input:?}: {err}");
            let raw = server.take();
            assert_eq!(raw.len(), 1, "{raw:?}");
            assert_head(
                &raw[0],
                &format!("GET {prefix}{DETAILS_PREFIX}{bare} HTTP/1.1"),
                addr,
            );
        }
        for input in bad_identifiers() {
            let err = client.order_details(&input).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}: {err}");
            assert_eq!(err.field(), Some("identifier"), "{input:?}: {err}");
            let err = client.cancel_order(&input).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}: {err}");
            assert_eq!(err.field(), Some("identifier"), "{input:?}: {err}");
        }
        let raw = server.take();
        assert!(raw.is_empty(), "a refused identifier was sent: {raw:?}");
    }
}

#[tokio::test]
async fn a_default_content_type_and_the_cancel_s_own_go_once() {
    // Di's pages ask for the content type on every call: a user who sets it as a default
    // header for all of them must not make the cancel send it twice.
    let server = server();
    let addr = server.addr();
    let client = Client::builder()
        .base_url(format!("http://{addr}/prefix/"))
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::none())
                .with_default_header(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                ),
        )
        .build()
        .unwrap();
    client.cancel_order("70724761617883184").await.unwrap();
    let raw = server.take();
    assert_eq!(raw.len(), 2, "{raw:?}");
    for raw in &raw {
        assert_eq!(
            raw.values("content-type"),
            vec!["application/json"],
            "{}",
            raw.text
        );
        raw.assert_each_name_once();
    }
}
