//! break19: Skip Pay's application paths are built with `path_with_segment` (prefix, encoded
//! id, suffix in one allocation), and a request's first header (the body's content type) is
//! appended. Every path must be `/financing/v1/applications/` + `path_segment(id)` + its
//! suffix, the same ids refused naming `application_id`, and on the wire (a base with and
//! without a prefix) the exact request line, the body, and each header once.

use std::net::SocketAddr;
use std::time::Duration;

use rescind_core::http::{Method, path_segment};
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::{RawRequest, WireRecorder};
use rescind_core::{ErrorKind, Sent, TransportConfig};
use rescind_skippay::model::{ApplicationCancelRequest, CancelReason, OrderCancelRequest};
use rescind_skippay::{Client, Credentials, request};

const USERNAME: &str = "eShop";
const PASSWORD: &str = "eShopSecretPassword-9f3k";
const TOKEN: &str = "TokenForPartnerTokenForPartnerTokenForPartner-7q";
const PREFIX: &str = "/financing/v1/applications/";
const JSON: &str = "application/json; charset=utf-8";

fn odd_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "11200a0ee1",
        "42",
        "AbC-._~",
        "a b",
        "a/b",
        "/",
        "a/order/cancel",
        "a?b=c",
        "a#b",
        "%",
        "%2F",
        "%2e%2e",
        "../11200a0ee1",
        "..%2F",
        "...",
        " .",
        "ø",
        "Ωmega-日本語-😀",
        "\u{ff0e}\u{ff0e}",
        "(401)70724761617883184",
        "a+b&c;d,e:f@g",
        "a\\b",
        "\t\r\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("7".repeat(300));
    ids.push("ø".repeat(200));
    ids
}

/// The three application paths of `id`, with their method, suffix and operation.
fn requests(id: &str) -> Vec<(rescind_core::HttpRequest, Method, &'static str)> {
    vec![
        (request::get_application(id).unwrap(), Method::GET, ""),
        (
            request::cancel_order_items(id, &OrderCancelRequest::whole()).unwrap(),
            Method::PUT,
            "/order/cancel",
        ),
        (
            request::cancel_application(
                id,
                &ApplicationCancelRequest::new(CancelReason::ByCustomer),
            )
            .unwrap(),
            Method::PUT,
            "/cancel",
        ),
    ]
}

#[test]
fn every_application_path_is_the_prefix_the_segment_and_the_suffix() {
    for id in odd_ids() {
        let seg = path_segment("application_id", &id).unwrap();
        for (req, method, suffix) in requests(&id) {
            assert_eq!(req.path, format!("{PREFIX}{seg}{suffix}"), "{id:?}");
            assert_eq!(req.method, method);
            assert_eq!(
                req.path_template,
                format!("/financing/v1/applications/{{applicationId}}{suffix}")
            );
            let all: Vec<_> = req.headers.iter().collect();
            if method == Method::GET {
                assert!(all.is_empty(), "{req:?}");
                assert!(req.body.is_none());
            } else {
                assert_eq!(all.len(), 1, "{req:?}");
                assert_eq!(all[0].0.as_str(), "content-type");
                assert_eq!(all[0].1, JSON);
            }
        }
    }
    assert_eq!(
        request::get_application("a b/order/cancel").unwrap().path,
        "/financing/v1/applications/a%20b%2Forder%2Fcancel"
    );
}

#[test]
fn empty_dot_and_dot_dot_are_refused_naming_application_id() {
    for bad in ["", ".", ".."] {
        let errors = [
            request::get_application(bad).unwrap_err(),
            request::cancel_order_items(bad, &OrderCancelRequest::whole()).unwrap_err(),
            request::cancel_application(
                bad,
                &ApplicationCancelRequest::new(CancelReason::ByCustomer),
            )
            .unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
            assert_eq!(err.sent(), Sent::NotSent);
            assert_eq!(err.field(), Some("application_id"), "{bad:?}: {err}");
            assert_eq!(
                err.to_string(),
                path_segment("application_id", bad).unwrap_err().to_string(),
                "{bad:?}"
            );
        }
    }
}

/// A Skip Pay that keeps every request's raw head and body: the login answers a token,
/// anything else a 404 in Skip Pay's envelope.
fn server() -> WireRecorder {
    WireRecorder::start(|req| {
        if req.line().contains("/authentication/v1/partner") {
            (
                200,
                format!(r#"{{"accessToken":"{TOKEN}","expiresIn":7200}}"#),
            )
        } else {
            (
                404,
                r#"{"errors":[{"code":"NOT_FOUND","message":"no such application","severity":"FATAL"}]}"#.to_string(),
            )
        }
    })
}

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .config(
            TransportConfig::default()
                .with_retry(RetryPolicy::none())
                .with_attempt_timeout(Duration::from_secs(10)),
        )
        .build()
        .unwrap()
}

fn assert_head(raw: &RawRequest, line: &str, body: Option<&str>, addr: SocketAddr) {
    assert_eq!(raw.line(), line, "{}", raw.text);
    raw.assert_each_name_once();
    assert_eq!(raw.values("authorization"), vec![format!("Bearer {TOKEN}")]);
    assert_eq!(raw.values("host"), vec![addr.to_string()]);
    match body {
        Some(body) => {
            assert_eq!(raw.values("content-type"), vec![JSON]);
            assert!(
                raw.text.ends_with(&format!("\r\n\r\n{body}")),
                "{}",
                raw.text
            );
        }
        None => {
            assert!(raw.values("content-type").is_empty(), "{}", raw.text);
            assert!(raw.text.ends_with("\r\n\r\n"), "{}", raw.text);
        }
    }
    assert!(!raw.text.contains("rrrrrrrr"), "{}", raw.text);
}

#[tokio::test]
async fn on_the_wire_every_id_reaches_its_one_segment_under_the_base_s_prefix() {
    let server = server();
    let addr = server.addr();
    for (base, prefix) in server.bases("/skip/pay") {
        let client = client(&base);
        client.login().await.unwrap();
        let login = server.take_one();
        assert_eq!(
            login.line(),
            format!("POST {prefix}/authentication/v1/partner HTTP/1.1")
        );
        login.assert_each_name_once();
        assert_eq!(login.values("content-type"), vec![JSON]);
        assert!(login.values("authorization").is_empty(), "{}", login.text);

        for id in odd_ids() {
            let seg = path_segment("application_id", &id).unwrap();
            let err = client.get_application(&id).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{id:?}: {err}");
            assert_head(
                &server.take_one(),
                &format!("GET {prefix}{PREFIX}{seg} HTTP/1.1"),
                None,
                addr,
            );

            let err = client
                .cancel_order_items(&id, &OrderCancelRequest::whole())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{id:?}: {err}");
            assert_head(
                &server.take_one(),
                &format!("PUT {prefix}{PREFIX}{seg}/order/cancel HTTP/1.1"),
                Some("{}"),
                addr,
            );

            let reason = ApplicationCancelRequest::new(CancelReason::ByCustomer);
            let err = client
                .cancel_application_with(&id, &reason)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{id:?}: {err}");
            let body = request::cancel_application(&id, &reason).unwrap();
            assert_head(
                &server.take_one(),
                &format!("PUT {prefix}{PREFIX}{seg}/cancel HTTP/1.1"),
                Some(body.body_text().unwrap()),
                addr,
            );
        }
        for bad in ["", ".", ".."] {
            let err = client.get_application(bad).await.unwrap_err();
            assert_eq!(err.field(), Some("application_id"), "{err}");
            let err = client
                .cancel_order_items(bad, &OrderCancelRequest::whole())
                .await
                .unwrap_err();
            assert_eq!(err.field(), Some("application_id"), "{err}");
            let err = client
                .cancel_application(bad, CancelReason::ByCustomer)
                .await
                .unwrap_err();
            assert_eq!(err.field(), Some("application_id"), "{err}");
        }
        assert!(server.requests().is_empty(), "a refused id was sent");
    }
}
