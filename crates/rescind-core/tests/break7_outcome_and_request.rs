//! Outsider checks of an outcome's `Debug` (it names its native type, never its contents) and
//! of a request's headers (the map that starts small keeps every header, wherever set).

use rescind_core::http::{HeaderMap, HeaderName, HeaderValue, Method};
use rescind_core::{CancelOutcome, CancelStatus, HttpRequest, Provider};

/// A native payload holding something that must never be printed by the outcome.
#[derive(Debug, Clone, PartialEq)]
struct Payload<T> {
    token: String,
    inner: T,
}

#[test]
fn debug_names_the_native_type_never_its_contents() {
    let outcome =
        CancelOutcome::new(Provider::Arta, "42", CancelStatus::Cancelled).with_native(Payload {
            token: "s3cret-token-value".into(),
            inner: vec![1u8, 2, 3],
        });
    let debug = format!("{outcome:?}");
    assert!(
        debug.contains("Payload<alloc::vec::Vec<u8>>"),
        "the native type is not named: {debug}"
    );
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(!format!("{outcome:#?}").contains("s3cret"));
    // The payload is still there, typed.
    assert_eq!(
        outcome.native::<Payload<Vec<u8>>>().unwrap().token,
        "s3cret-token-value"
    );
    assert!(outcome.native::<Payload<Vec<i8>>>().is_none());

    // Replaced: the later type is named; a clone names the same.
    let replaced = outcome.clone().with_native(7u32);
    let debug = format!("{replaced:?}");
    assert!(debug.contains("native: Some(\"u32\")"), "{debug}");
    assert!(!debug.contains("Payload"), "{debug}");
    assert_eq!(format!("{:?}", outcome.clone()), format!("{outcome:?}"));

    // Without a native payload.
    let bare = CancelOutcome::new(Provider::Di, "1", CancelStatus::AlreadyCancelled);
    assert!(format!("{bare:?}").contains("native: None"), "{bare:?}");
    // Equality ignores the native payload, as documented.
    assert_eq!(
        bare.clone().with_native(1u8),
        bare.clone().with_native("other")
    );
}

fn request() -> HttpRequest {
    HttpRequest::new("op", Method::PUT, "/x", "/x")
}

#[test]
fn every_header_is_kept_whatever_the_order_they_are_set_in() {
    // Body first, then headers.
    let req = request()
        .with_json_body("{}")
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        )
        .with_header(
            HeaderName::from_static("x-b"),
            HeaderValue::from_static("2"),
        );
    assert_eq!(req.headers.len(), 3);
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(req.headers["x-a"], "1");
    assert_eq!(req.headers["x-b"], "2");

    // A header set twice keeps the later value, once.
    let req = request()
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        )
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("2"),
        );
    assert_eq!(req.headers.len(), 1);
    assert_eq!(req.headers["x-a"], "2");

    // A body set twice: the later content type.
    let req = request().with_json_body("{}").with_body(
        "a=1",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    assert_eq!(req.headers.len(), 1);
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(req.body_text(), Some("a=1"));

    // Headers put in the public field first (several values of one name included) are kept.
    let mut req = request();
    let mut map = HeaderMap::new();
    map.append("x-many", HeaderValue::from_static("1"));
    map.append("x-many", HeaderValue::from_static("2"));
    req.headers = map;
    let req = req
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("a"),
        )
        .with_json_body("{}");
    assert_eq!(req.headers.get_all("x-many").iter().count(), 2);
    assert_eq!(req.headers["x-a"], "a");
    assert_eq!(req.headers.len(), 4);

    // A map emptied by the caller (its room kept) still takes headers.
    let mut req = request().with_header(
        HeaderName::from_static("x-a"),
        HeaderValue::from_static("1"),
    );
    req.headers.clear();
    let req = req.with_header(
        HeaderName::from_static("x-b"),
        HeaderValue::from_static("2"),
    );
    assert_eq!(req.headers.len(), 1);
    assert_eq!(req.headers["x-b"], "2");
}

#[test]
fn a_sensitive_header_is_redacted_in_debug() {
    let mut value = HeaderValue::from_static("Bearer s3cret");
    value.set_sensitive(true);
    let req = request()
        .with_header(http::header::AUTHORIZATION, value)
        .with_json_body("{}");
    let debug = format!("{req:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
}
