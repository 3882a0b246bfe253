//! `cancel_order`: the request (checked against the seed's curl example), the identifier
//! rule, the answers Di may give, and retries.

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use rescind_core::secrecy::SecretString;
use rescind_core::{ErrorKind, HttpResponse, Sent, Token, TransportConfig};
use rescind_di::{ShipmentNumber, request, response};

/// The seed's curl example, read into (method, url, headers).
fn seed_curl() -> (String, String, Vec<(String, String)>) {
    let text = fixture("cancel_request.curl");
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "\\").collect();
    let method = words[words.iter().position(|w| *w == "-X").unwrap() + 1].to_string();
    let url = words
        .iter()
        .find(|w| w.starts_with("https://"))
        .unwrap()
        .to_string();
    let headers = text
        .split("-H '")
        .skip(1)
        .map(|h| {
            let h = &h[..h.find('\'').unwrap()];
            let (name, value) = h.split_once(": ").unwrap();
            (name.to_ascii_lowercase(), value.to_string())
        })
        .collect();
    (method, url, headers)
}

#[test]
fn request_matches_the_seed_curl_example() {
    let (method, url, headers) = seed_curl();
    assert_eq!(method, "DELETE");
    let path = url.strip_prefix(rescind_di::TEST_BASE_URL).unwrap();
    let number = path.rsplit('/').next().unwrap();
    let req = request::cancel_order(&ShipmentNumber::parse(number).unwrap()).unwrap();
    assert_eq!(req.method.as_str(), method);
    assert_eq!(req.path, path);
    assert_eq!(
        req.path_template,
        "/ws/json/parcel/booking/v-1/order/cancel/{identifier}"
    );
    assert_eq!(req.headers["content-type"], "application/json");
    assert!(headers.contains(&("content-type".into(), "application/json".into())));
    assert!(req.authenticated, "the transport adds the Bearer header");
    assert!(req.body.is_none(), "the example sends no body");
    assert!(req.idempotent);
}

#[tokio::test]
async fn the_seed_curl_request_through_the_stack() {
    let (_, url, headers) = seed_curl();
    let path = url
        .strip_prefix(rescind_di::TEST_BASE_URL)
        .unwrap()
        .to_string();
    let server = MockServer::start_async().await;
    let login = mock_login(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            let mut when = when.method(DELETE).path(path.clone());
            for (name, value) in &headers {
                when = when.header(name.as_str(), value.as_str());
            }
            then.status(200);
        })
        .await;
    let client = client(&server);
    // The example's token, literally.
    client
        .token_cache()
        .prime(Token::new(
            SecretString::from("$SECRET_WS_TOKEN"),
            Duration::from_secs(3600),
        ))
        .await;
    let resp = client.cancel_order("70724761603243701").await.unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.is_empty());
    cancel.assert_calls_async(1).await;
    login.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_gs1_prefix_is_stripped() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT))
                .header("content-type", "application/json");
            then.status(204);
        })
        .await;
    let client = client(&server);
    for id in [SHIPMENT.to_string(), format!("(401){SHIPMENT}")] {
        let resp = client.cancel_order(&id).await.unwrap();
        assert_eq!(resp.status, 204);
    }
    cancel.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_bad_identifier_sends_nothing() {
    let server = MockServer::start_async().await;
    let anything = mock_anything(&server).await;
    let client = client(&server);
    for id in [
        "",
        "(00)370724760010119754",
        "7072 4761",
        "../../auth",
        "ABC",
    ] {
        let err = client.cancel_order(id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{id:?}");
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.field(), Some("identifier"));
    }
    anything.assert_calls_async(0).await;
}

#[test]
fn success_answers_are_kept_as_they_came() {
    let cases = [
        ("200 empty", HttpResponse::new(200, "")),
        ("204", HttpResponse::new(204, "")),
        ("200 whitespace", HttpResponse::new(200, " \n")),
        (
            "200 unknown json",
            HttpResponse::new(
                200,
                r#"{"status":"CANCELLED","shipmentId":"70724761617883184","eventApiKey":71}"#,
            )
            .with_request_id("req-7"),
        ),
        ("200 json string", HttpResponse::new(200, r#""OK""#)),
    ];
    let decoded: Vec<_> = cases
        .into_iter()
        .map(|(name, resp)| serde_json::json!({"case": name, "decoded": response::cancel_order(&resp).unwrap()}))
        .collect();
    insta::assert_json_snapshot!("cancel_success_answers", decoded);
}

/// The rule of `rescind_core::change`: a 2xx that is not a success proves nothing.
#[test]
fn a_2xx_that_is_not_a_success_may_have_been_applied() {
    for body in [
        r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#,
        r#"{"errorKey":"something.new"}"#,
        "<html><body>Bad Gateway</body></html>",
        r#"{"status": "CANC"#,
        "Order cancelled",
    ] {
        let err = response::cancel_order(&HttpResponse::new(200, body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        assert_eq!(err.sent(), Sent::MaybeSent, "{body}");
        assert!(
            err.to_string()
                .contains("whether the change was applied is unknown"),
            "{err}"
        );
    }
}

/// A refusal is a 4xx with Di's envelope, or a 429; a 4xx without it proves nothing.
#[test]
fn only_the_envelope_on_a_4xx_and_a_429_prove_a_refusal() {
    let envelope = r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#;
    for (status, body, sent) in [
        (400, envelope, Sent::Answered),
        (
            404,
            r#"{"statusCode":404,"errorKey":"cannot.find.order"}"#,
            Sent::Answered,
        ),
        (
            403,
            r#"{"statusCode":403,"errorKey":"no.access.api"}"#,
            Sent::Answered,
        ),
        (429, "", Sent::Answered),
        (404, "<html>Not Found</html>", Sent::MaybeSent),
        (400, "", Sent::MaybeSent),
        (408, "", Sent::MaybeSent),
        (500, envelope, Sent::MaybeSent),
        (502, "<html>Bad Gateway</html>", Sent::MaybeSent),
    ] {
        let err = response::cancel_order(&HttpResponse::new(status, body)).unwrap_err();
        assert_eq!(err.sent(), sent, "{status} {body}");
    }
}

#[tokio::test]
async fn server_errors_are_retried_because_the_cancel_is_idempotent() {
    for status in [500, 502, 503] {
        let server = MockServer::start_async().await;
        mock_login(&server).await;
        let cancel = server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status)
                    .body("<html><body>Service Unavailable</body></html>");
            })
            .await;
        let err = client(&server).cancel_order(SHIPMENT).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{status}");
        // A 5xx proves nothing about a change: it may have been applied.
        assert_eq!(err.sent(), Sent::MaybeSent);
        assert_eq!(err.attempts(), 3);
        assert!(
            err.to_string().contains("not Di's JSON error body"),
            "{err}"
        );
        cancel.assert_calls_async(3).await;
    }
}

#[tokio::test]
async fn a_timeout_is_retried_and_reported_as_maybe_sent() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).delay(Duration::from_millis(600));
        })
        .await;
    let client = client_with(
        &server,
        fast_config().with_attempt_timeout(Duration::from_millis(100)),
    );
    let err = client.cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.attempts(), 3);
    cancel.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_405_is_not_retried_and_blames_us() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(405)
                .body(r#"{"statusCode":405,"errorKey":"","errorMap":{}}"#);
        })
        .await;
    let err = client(&server).cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert!(err.to_string().contains("bug in rescind-di"), "{err}");
    assert_eq!(err.code(), None, "an empty errorKey is no code");
    cancel.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refusal_keeps_key_error_map_and_request_id() {
    let server = MockServer::start_async().await;
    mock_login(&server).await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(400)
                .header("x-request-id", "di-req-42")
                .body(r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{"shipmentId":"70724761617883184"},"timestamp":"2026-01-01T10:00:00"}"#);
        })
        .await;
    let config: TransportConfig =
        fast_config().with_request_id_header(http::HeaderName::from_static("x-request-id"));
    let err = client_with(&server, config)
        .cancel_order(SHIPMENT)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCancellable);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.code(), Some("order.exported"));
    assert_eq!(err.request_id(), Some("di-req-42"));
    assert_eq!(err.details()[0].code.as_deref(), Some("order.exported"));
    assert_eq!(err.details()[1].field.as_deref(), Some("shipmentId"));
    let body = rescind_di::ErrorBody::from_error(&err).unwrap();
    assert_eq!(body.error_map["shipmentId"], "70724761617883184");
    assert_eq!(body.extra["timestamp"], "2026-01-01T10:00:00");
    assert!(err.to_string().contains("[request id di-req-42]"), "{err}");
    cancel.assert_calls_async(1).await;
}
