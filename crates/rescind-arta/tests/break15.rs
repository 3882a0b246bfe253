//! Outsider probes of issue 15 (branch break15): bodies Arta's documents allow.

use rescind_arta::response::parse_get_hosted_session;
use rescind_core::http::HttpResponse;

const HS: &str = include_str!("fixtures/hosted_session_cancel_200.json");

fn hs(replace: &str, with: &str) -> HttpResponse {
    assert!(HS.contains(replace), "{replace}");
    HttpResponse::new(200, HS.replacen(replace, with, 1))
}

#[test]
fn probe_ids() {
    for (text, ok) in [
        ("42.0", true),
        ("4.2e1", true),
        ("42e0", true),
        ("4200e-2", true),
        ("42.5", false),
        ("-42", false),
        ("1e30", false),
        ("18446744073709551616", false),
    ] {
        let r = parse_get_hosted_session(&hs("\"id\": 42,", &format!("\"id\": {text},")));
        println!(
            "id {text} -> {:?}",
            r.as_ref().map(|s| s.id).map_err(|e| e.to_string())
        );
        assert_eq!(r.is_ok(), ok, "{text}");
        if let Ok(s) = r {
            assert_eq!(s.id, 42);
        }
    }
}

#[test]
fn probe_timestamps() {
    for text in [
        "2021-01-21T17:22:08.818747",
        "2021-01-21T17:22:08",
        "2021-01-21T17:22:08Z",
        "2021-01-21T17:22:08.818747+02:00",
        "2021-01-21",
        "2021-01-21T17:22:08.123456789Z",
        "2021-01-21 17:22:08",
        "garbage",
    ] {
        let r = parse_get_hosted_session(&hs(
            "\"created_at\": \"2021-01-21T17:22:08.818747\",",
            &format!("\"created_at\": \"{text}\","),
        ));
        println!(
            "created_at {text} -> {:?}",
            r.as_ref()
                .map(|s| (format!("{:?}", s.created_at), s.skipped().to_vec()))
                .map_err(|e| e.to_string())
        );
        assert!(r.is_ok(), "{text}");
    }
}
