//! Outsider checks (break8c) of `decode::json`, `decode::change_response` and the tolerant
//! reader with bytes around one JSON value: what the unit tests in `decode.rs` did not try.

use rescind_core::{ErrorKind, HttpResponse, Provider, Sent, decode, wire::tolerant};

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Session {
    id: u64,
    #[serde(default)]
    url: Option<String>,
}

const ONE: &str = r#"{"id": 7, "url": "u"}"#;

fn not_one_value() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a NUL after it", format!("{ONE}\0").into_bytes()),
        ("NDJSON", format!("{ONE}\n{ONE}\n").into_bytes()),
        ("null after it", format!("{ONE} null").into_bytes()),
        (
            "a line comment after it",
            format!("{ONE} // c").into_bytes(),
        ),
        (
            "a block comment before it",
            format!("/*c*/{ONE}").into_bytes(),
        ),
        (
            "a BOM before it",
            [&b"\xef\xbb\xbf"[..], ONE.as_bytes()].concat(),
        ),
        ("a form feed after it", format!("{ONE}\x0c").into_bytes()),
        ("a vertical tab after it", format!("{ONE}\x0b").into_bytes()),
    ]
}

/// Held. Each reader refuses one value with such bytes around it (`Decode`); a change's 2xx
/// so answered may have been applied; JSON whitespace after it reads.
#[test]
fn one_value_with_bytes_around_it_is_refused_by_every_reader() {
    for (case, body) in not_one_value() {
        let err = decode::json::<Session>(&body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{case}");
        let err = tolerant::decode_with::<Session>(&body, &["id"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "tolerant, {case}");
        let resp = HttpResponse::new(200, body);
        let err = decode::change_response::<Session>(&resp, Provider::Arta, "cancel").unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{case}");
        let err = decode::response::<Session>(&resp, Provider::Arta, "get").unwrap_err();
        assert_eq!(err.sent(), Sent::Answered, "{case}");
    }
    let ok: Session = decode::json(format!("{ONE}\r\n\t ").as_bytes()).unwrap();
    assert_eq!(ok.id, 7);
}

/// Held. A body the tolerant reader would read by skipping a field (`url` a number) is still
/// refused when bytes follow it, and scalars followed by bytes are refused (`null x` read as an
/// `Option`, `1 2`, `"a" "b"`).
#[test]
fn a_body_needing_a_skip_or_a_scalar_with_bytes_after_it_is_refused() {
    let skippable = r#"{"id": 7, "url": 5}"#;
    let (v, skipped) = tolerant::decode_with::<Session>(skippable.as_bytes(), &["id"]).unwrap();
    assert_eq!((v.id, skipped.len()), (7, 1));
    for tail in [" x", "{}", "\0", "\n{\"id\": 8}"] {
        let body = format!("{skippable}{tail}");
        assert!(
            tolerant::decode_with::<Session>(body.as_bytes(), &["id"]).is_err(),
            "{body:?}"
        );
    }
    assert!(decode::json::<Option<Session>>(b"null x").is_err());
    assert!(decode::json::<Option<Session>>(b"null").unwrap().is_none());
    assert!(decode::json::<u64>(b"1 2").is_err());
    assert!(decode::json::<String>(br#""a" "b""#).is_err());
    assert!(decode::json::<serde_json::Value>(b"{}{}").is_err());
}
