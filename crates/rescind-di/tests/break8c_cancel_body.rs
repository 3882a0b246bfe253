//! Outsider checks (break8c) of Di's cancel answer after `decode::json` started refusing bytes
//! after the value. Di documents no success body: a 2xx is a success when its body is empty or
//! JSON that is not its error envelope (`response::cancel_order`). Bodies around that line.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{ErrorKind, HttpResponse, Sent};
use rescind_di::response::{cancel_order, order_details};
use serde_json::json;

/// FAULT (minor). A 2xx whose body is only form feeds (`\x0c`) is taken as Di's empty success:
/// `cancel_success` tests `u8::is_ascii_whitespace`, which counts the form feed, while JSON's
/// whitespace does not (a form feed before `{}` is refused, so is a lone `\x0b`). Such a body
/// is neither empty nor JSON, so by the rule it proves nothing: `MaybeSent`.
#[test]
fn a_body_of_form_feeds_is_not_the_empty_success() {
    for body in ["\x0c", " \x0c\n", "\x0c\x0c"] {
        let result = cancel_order(&HttpResponse::new(200, body));
        let err = result.expect_err(&format!("{body:?}: read as success"));
        assert_eq!(err.sent(), Sent::MaybeSent, "{body:?}");
    }
}

/// Held. A 2xx whose body is JSON followed by anything but JSON whitespace, JSON preceded by a
/// BOM or a comment, two JSON values, or text is not a success: `MaybeSent`, kind `Decode`,
/// the body kept on the error.
#[test]
fn a_2xx_that_is_not_one_json_value_proves_nothing() {
    for body in [
        &b"{} x"[..],
        b"null x",
        b"{}\0",
        b"null\0",
        b"\xef\xbb\xbf{}",
        b"{}\n{}",
        b"{\"ok\":true}\n{\"ok\":true}\n",
        b"1 2",
        b"// ok\n{}",
        b"{} /* ok */",
        b"OK",
        b"\x0c{}",
        b"\x0b",
        b"{\"statusCode\":400,\"errorKey\":\"order.cancelled\"} x",
    ] {
        let shown = String::from_utf8_lossy(body);
        let err = cancel_order(&HttpResponse::new(200, body.to_vec()))
            .expect_err(&format!("{shown:?}: read as success"));
        assert_eq!(err.sent(), Sent::MaybeSent, "{shown:?}: {err}");
        assert_eq!(err.kind(), ErrorKind::Decode, "{shown:?}: {err}");
        assert!(err.body().is_some(), "{shown:?}");
    }
}

/// Held. Empty, JSON whitespace only, or one JSON value with JSON whitespace around it is the
/// success; the value is kept as it came.
#[test]
fn one_json_value_or_nothing_is_the_success() {
    for (body, expected) in [
        ("", None),
        (" \r\n\t", None),
        ("{}\n", Some(json!({}))),
        (" null ", Some(serde_json::Value::Null)),
        ("\t{\"x\":[1]}\r\n", Some(json!({"x": [1]}))),
    ] {
        let ok =
            cancel_order(&HttpResponse::new(200, body)).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        assert_eq!(ok.body, expected, "{body:?}");
    }
}

/// Held. Di's error envelope followed by bytes on a 4xx is not Di's refusal (`MaybeSent`);
/// the envelope alone is (`Answered`).
#[test]
fn an_envelope_with_bytes_after_it_is_not_a_refusal() {
    let envelope = r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#;
    let err = cancel_order(&HttpResponse::new(400, envelope)).unwrap_err();
    assert_eq!(err.sent(), Sent::Answered, "{err}");
    for tail in [" x", "\0", "\n{}"] {
        let body = format!("{envelope}{tail}");
        let err = cancel_order(&HttpResponse::new(400, body.clone())).unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{body:?}: {err}");
    }
}

/// Held. The order's details (the read before and the read-back) with bytes after them are a
/// decode error, never a reading.
#[test]
fn details_with_bytes_after_them_are_an_error() {
    let details = order(json!({})).to_string();
    assert!(order_details(&HttpResponse::new(200, format!("{details}\n"))).is_ok());
    for tail in [" x", "\0", "\n{}", " // c"] {
        let err = order_details(&HttpResponse::new(200, format!("{details}{tail}"))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{tail:?}");
        assert_eq!(err.sent(), Sent::Answered, "{tail:?}");
    }
}

/// Held. Through the client: a cancel answered `200 {} x` is not reported done; the error
/// says it may have been applied.
#[tokio::test]
async fn the_client_does_not_take_json_with_bytes_after_it() {
    let server = MockServer::start_async().await;
    let _login = mock_login(&server).await;
    let cancel = mock_cancel(&server, 200, "{} x").await;
    let err = client(&server).cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert_eq!(cancel.calls_async().await, 1);
}
