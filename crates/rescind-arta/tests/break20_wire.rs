//! break20: Arta's API key on the wire next to the client's default headers, and what the
//! builder accepts as a key.

use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderName, HeaderValue};
use rescind_arta::model::NewShipmentException;
use rescind_arta::{ApiKey, Client};
use rescind_core::retry::RetryPolicy;
use rescind_core::testing::WireRecorder;
use rescind_core::{ErrorKind, TransportConfig};

const KEY: &str = "s0e1t2e3c4a5s6t7r8o9n10o11m12y";
const AUTH: &str = "ARTA_APIKey s0e1t2e3c4a5s6t7r8o9n10o11m12y";

fn server() -> WireRecorder {
    WireRecorder::start(|_| (404, r#"{"errors":{"detail":"not found"}}"#.into()))
}

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(RetryPolicy::none())
        .with_attempt_timeout(Duration::from_secs(10))
}

fn value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

#[tokio::test]
async fn the_key_replaces_a_default_authorization_and_every_default_goes_once() {
    let server = server();
    for (base, prefix) in server.bases("/arta/v1") {
        let client = Client::builder()
            .api_key(KEY)
            .base_url(&base)
            .config(
                config()
                    .with_default_header(AUTHORIZATION, value("ARTA_APIKey other-key"))
                    .with_default_header(USER_AGENT, value("ARTA/v1 shop/3"))
                    .with_default_header(ACCEPT, value("application/json"))
                    .with_default_header(CONTENT_TYPE, value("application/json"))
                    .with_default_header(HeaderName::from_static("x-tenant"), value("t1")),
            )
            .build()
            .unwrap();
        client.get_shipment("s-1").await.unwrap_err();
        let raw = server.take_one();
        assert_eq!(raw.line(), format!("GET {prefix}/shipments/s-1 HTTP/1.1"));
        raw.assert_each_name_once();
        assert_eq!(raw.values("authorization"), [AUTH]);
        assert_eq!(raw.values("user-agent"), ["ARTA/v1 shop/3"]);
        assert_eq!(raw.values("x-tenant"), ["t1"]);
        assert!(!raw.text.contains("other-key"), "{}", raw.text);

        let new = NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e");
        client.create_shipment_exception(&new).await.unwrap_err();
        let raw = server.take_one();
        assert_eq!(
            raw.line(),
            format!("POST {prefix}/shipment_exceptions HTTP/1.1")
        );
        raw.assert_each_name_once();
        assert_eq!(raw.values("authorization"), [AUTH]);
        assert_eq!(raw.values("content-type"), ["application/json"]);
        assert_eq!(raw.values("accept"), ["application/json"]);
        assert!(!raw.text.contains("other-key"), "{}", raw.text);
    }
}

#[tokio::test]
async fn the_list_query_and_a_long_prefix_keep_their_place() {
    let server = server();
    let prefix = format!("/{}", "a".repeat(300));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}{prefix}", server.base_url()))
        .config(config())
        .build()
        .unwrap();
    client.list_shipment_exceptions(3, 50).await.unwrap_err();
    let raw = server.take_one();
    assert_eq!(
        raw.line(),
        format!("GET {prefix}/shipment_exceptions?page=3&page_size=50 HTTP/1.1")
    );
    raw.assert_each_name_once();
    assert_eq!(raw.values("authorization"), [AUTH]);
}

#[test]
fn a_key_that_cannot_be_a_header_value_is_refused_when_the_client_is_built() {
    // `ApiKey::validate` "checks the key can be sent": a key with a character a header value
    // cannot carry (non-ASCII, e.g. pasted with a typographic quote or a non-breaking hyphen)
    // must fail `build`, not every call later; and the error never shows the key.
    for bad in [
        "k\u{e9}y-secret",
        "key\u{2011}secret",
        "\u{201c}keysecret\u{201d}",
    ] {
        let err = Client::builder()
            .api_key(ApiKey::new(bad))
            .build()
            .map(|_| ())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}: {err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

#[test]
fn a_default_authorization_does_not_show_in_the_client_s_debug() {
    let client = Client::builder()
        .api_key(KEY)
        .config(config().with_default_header(AUTHORIZATION, value("ARTA_APIKey other-secret")))
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains("other-secret"), "{shown}");
}
