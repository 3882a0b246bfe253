//! break19: Arta's shipment and shipment exception reads build their paths with
//! `path_with_segment` (an id of unreserved characters copied as it is), and a request's first
//! header is appended. The path must be `/shipments/` + `path_segment(id)` for every id, the
//! same ids refused naming the field and the operation, and on the wire (a base with and
//! without a prefix) the exact request line and each header once.

use std::net::SocketAddr;
use std::time::Duration;

use http::Method;
use rescind_arta::model::NewShipmentException;
use rescind_arta::{Client, request};
use rescind_core::http::path_segment;
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::{RawRequest, WireRecorder};
use rescind_core::{ErrorKind, Provider, Sent, TransportConfig};

const KEY: &str = "s0e1t2e3c4a5s6t7r8o9n10o11m12y";
const AUTH: &str = "ARTA_APIKey s0e1t2e3c4a5s6t7r8o9n10o11m12y";

/// Ids a user may paste where Arta's are UUIDs.
fn odd_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "5baff45a-281d-416e-9310-a4a7c637952e",
        "42",
        "AbC-._~",
        "a b",
        "a/b",
        "/",
        "a?b=c",
        "?",
        "a#b",
        "#",
        "%",
        "%2F",
        "%2e%2e",
        "../admin",
        "..%2Fadmin",
        "...",
        "./",
        " .",
        "ø",
        "Ωmega-日本語-😀",
        "e\u{301}",
        "\u{ff0e}\u{ff0e}",
        "(401)70724761617883184",
        "a+b&c;d,e:f@g",
        "a\\b",
        "\t\r\n",
        "\0",
        "[::1]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("7".repeat(300));
    ids.push("ø".repeat(200));
    ids.push(format!("{}?{}", "a".repeat(250), "b".repeat(10)));
    ids
}

#[test]
fn the_read_paths_are_the_prefix_and_path_segment_of_any_id() {
    for id in odd_ids() {
        let req = request::get_shipment(&id).unwrap();
        assert_eq!(
            req.path,
            format!("/shipments/{}", path_segment("shipment_id", &id).unwrap()),
            "{id:?}"
        );
        assert_eq!(req.method, Method::GET);
        assert_eq!(req.path_template, "/shipments/{shipment_id}");
        assert_eq!(req.operation, "get_shipment");
        assert!(req.headers.is_empty(), "{req:?}");
        assert!(req.body.is_none() && req.query.is_empty());
        assert!(req.idempotent && req.authenticated);

        let req = request::get_shipment_exception(&id).unwrap();
        assert_eq!(
            req.path,
            format!(
                "/shipment_exceptions/{}",
                path_segment("shipment_exception_id", &id).unwrap()
            ),
            "{id:?}"
        );
        assert_eq!(req.method, Method::GET);
        assert_eq!(
            req.path_template,
            "/shipment_exceptions/{shipment_exception_id}"
        );
        assert_eq!(req.operation, "get_shipment_exception");
        assert!(req.headers.is_empty(), "{req:?}");
        assert!(req.body.is_none() && req.query.is_empty());
    }
    // To the letter, a few.
    let path = |id: &str| request::get_shipment(id).unwrap().path;
    assert_eq!(path("a b/c?d#e"), "/shipments/a%20b%2Fc%3Fd%23e");
    assert_eq!(path("%2F"), "/shipments/%252F");
    assert_eq!(path("ø"), "/shipments/%C3%B8");
    assert_eq!(path("..."), "/shipments/...");
    assert_eq!(path("A-z_0.9~"), "/shipments/A-z_0.9~");
}

#[test]
fn empty_dot_and_dot_dot_are_refused_naming_the_field_and_operation() {
    for bad in ["", ".", ".."] {
        let err = request::get_shipment(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.field(), Some("shipment_id"), "{bad:?}: {err}");
        assert_eq!(err.operation(), Some("get_shipment"), "{bad:?}: {err}");
        assert_eq!(err.provider(), Some(Provider::Arta), "{bad:?}: {err}");
        assert!(err.to_string().contains("shipment_id"), "{err}");

        let err = request::get_shipment_exception(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
        assert_eq!(err.field(), Some("shipment_exception_id"), "{err}");
        assert_eq!(err.operation(), Some("get_shipment_exception"), "{err}");
        assert_eq!(err.provider(), Some(Provider::Arta), "{err}");
    }
}

#[test]
fn a_new_exception_s_only_header_is_its_content_type() {
    let new = NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e");
    let req = request::create_shipment_exception(&new).unwrap();
    let all: Vec<_> = req.headers.iter().collect();
    assert_eq!(all.len(), 1, "{req:?}");
    assert_eq!(all[0].0, http::header::CONTENT_TYPE);
    assert_eq!(all[0].1, "application/json");
}

/// A server that keeps every request's raw head and body and answers Arta's 404.
fn server() -> WireRecorder {
    WireRecorder::start(|_| (404, r#"{"errors":{"detail":"not found"}}"#.into()))
}

fn client(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::none())
                .with_attempt_timeout(Duration::from_secs(10)),
        )
        .build()
        .unwrap()
}

fn assert_get_head(raw: &RawRequest, target: &str, addr: SocketAddr) {
    assert_eq!(raw.line(), format!("GET {target} HTTP/1.1"), "{}", raw.text);
    raw.assert_each_name_once();
    assert_eq!(raw.values("authorization"), vec![AUTH.to_string()]);
    assert_eq!(raw.values("accept"), vec!["application/json"]);
    assert_eq!(raw.values("host"), vec![addr.to_string()]);
    assert!(raw.values("content-type").is_empty(), "{}", raw.text);
    assert!(raw.text.ends_with("\r\n\r\n"), "{}", raw.text);
    assert!(!raw.text.contains("rrrrrrrr"), "{}", raw.text);
}

#[tokio::test]
async fn on_the_wire_every_id_reaches_its_one_segment_under_the_base_s_prefix() {
    let server = server();
    let addr = server.addr();
    for (base, prefix) in server.bases("/arta/v1") {
        let client = client(&base);
        for id in odd_ids() {
            let err = client.get_shipment(&id).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{base} {id:?}: {err}");
            let seg = path_segment("shipment_id", &id).unwrap();
            assert_get_head(
                &server.take_one(),
                &format!("{prefix}/shipments/{seg}"),
                addr,
            );

            let err = client.get_shipment_exception(&id).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{base} {id:?}: {err}");
            assert_get_head(
                &server.take_one(),
                &format!("{prefix}/shipment_exceptions/{seg}"),
                addr,
            );
        }
        // The list, with its query; the create, with its body and one content type.
        client.list_shipment_exceptions(2, 50).await.unwrap_err();
        assert_get_head(
            &server.take_one(),
            &format!("{prefix}/shipment_exceptions?page=2&page_size=50"),
            addr,
        );
        let new = NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e");
        client.create_shipment_exception(&new).await.unwrap_err();
        let raw = server.take_one();
        assert_eq!(
            raw.line(),
            format!("POST {prefix}/shipment_exceptions HTTP/1.1")
        );
        raw.assert_each_name_once();
        assert_eq!(raw.values("content-type"), vec!["application/json"]);
        assert_eq!(raw.values("authorization"), vec![AUTH.to_string()]);
        let body = request::create_shipment_exception(&new).unwrap();
        assert!(
            raw.text
                .ends_with(&format!("\r\n\r\n{}", body.body_text().unwrap())),
            "{}",
            raw.text
        );
    }
}

#[tokio::test]
async fn a_refused_id_sends_nothing() {
    let server = server();
    for (base, _) in server.bases("/arta/v1") {
        let client = client(&base);
        for bad in ["", ".", ".."] {
            let err = client.get_shipment(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert_eq!(err.field(), Some("shipment_id"), "{err}");
            let err = client.get_shipment_exception(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert_eq!(err.field(), Some("shipment_exception_id"), "{err}");
        }
    }
    let seen = server.requests();
    assert!(seen.is_empty(), "{seen:?}");
}
