//! Outsider checks (break8c) of Arta's change answers and reads after `decode::json` started
//! refusing bytes after the value: the hosted-session cancel and the hold (a shipment
//! exception, 201) answered with the documented body and bytes around it, and the reads.

mod common;

use common::*;
use rescind_arta::response::{
    parse_cancel_hosted_session, parse_create_shipment_exception, parse_get_hosted_session,
    parse_get_shipment,
};
use rescind_core::{ErrorKind, HttpResponse, Sent};

/// The bytes around a documented body that make it something other than one JSON value.
fn not_one_value(body: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a letter after it", format!("{body} x").into_bytes()),
        ("a NUL after it", format!("{body}\0").into_bytes()),
        ("null after it", format!("{body} null").into_bytes()),
        ("NDJSON", format!("{body}\n{body}\n").into_bytes()),
        ("a comment after it", format!("{body} // ok").into_bytes()),
        (
            "a comment before it",
            format!("/* ok */{body}").into_bytes(),
        ),
        (
            "a BOM before it",
            [&b"\xef\xbb\xbf"[..], body.as_bytes()].concat(),
        ),
        ("a form feed after it", format!("{body}\x0c").into_bytes()),
    ]
}

/// Held. The hosted-session cancel (200) and the hold (201) answered with their documented body
/// and such bytes prove nothing (`MaybeSent`, `Decode`); with JSON whitespace after it they read.
#[test]
fn change_answers_with_bytes_around_them_prove_nothing() {
    let session = fixture("hosted_session_cancel_200.json");
    let exception = fixture("shipment_exception_201.json");
    assert!(
        parse_cancel_hosted_session(&HttpResponse::new(200, format!("{session}\r\n\t "))).is_ok()
    );
    assert!(
        parse_create_shipment_exception(&HttpResponse::new(201, format!("{exception}\n"))).is_ok()
    );
    for (case, body) in not_one_value(session.trim()) {
        let err = parse_cancel_hosted_session(&HttpResponse::new(200, body)).unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "cancel, {case}: {err}");
        assert_eq!(err.kind(), ErrorKind::Decode, "cancel, {case}");
    }
    for (case, body) in not_one_value(exception.trim()) {
        let err = parse_create_shipment_exception(&HttpResponse::new(201, body)).unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "hold, {case}: {err}");
        assert_eq!(err.kind(), ErrorKind::Decode, "hold, {case}");
    }
}

/// Held. Arta's error envelope on a 404 is its refusal (`Answered`); followed by bytes it is
/// not (`MaybeSent`), and a JSON list is never the envelope.
#[test]
fn an_envelope_with_bytes_after_it_or_a_list_is_not_a_refusal() {
    let envelope = fixture("error_404_detail.json");
    let err = parse_cancel_hosted_session(&HttpResponse::new(404, envelope.clone())).unwrap_err();
    assert_eq!(err.sent(), Sent::Answered, "{err}");
    for (case, body) in not_one_value(envelope.trim())
        .into_iter()
        .chain([("a list", b"[[\"Not found.\"]]".to_vec())])
    {
        let err = parse_cancel_hosted_session(&HttpResponse::new(404, body)).unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}");
    }
}

/// Held. Reads (the hosted session, the shipment read before a hold and to settle it) with
/// such bytes are decode errors (`Answered`), never a reading.
#[test]
fn reads_with_bytes_around_them_are_errors() {
    let session = fixture("hosted_session_cancel_200.json");
    let shipment = fixture("shipment_pending.json");
    for (case, body) in not_one_value(session.trim()) {
        let err = parse_get_hosted_session(&HttpResponse::new(200, body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "session, {case}");
        assert_eq!(err.sent(), Sent::Answered, "session, {case}");
    }
    for (case, body) in not_one_value(shipment.trim()) {
        let err = parse_get_shipment(&HttpResponse::new(200, body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "shipment, {case}");
        assert_eq!(err.sent(), Sent::Answered, "shipment, {case}");
    }
}
