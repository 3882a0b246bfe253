//! break19: `path_with_segment(field, prefix, value, suffix)` builds a path in one allocation,
//! copying an id of unreserved characters as it is. It must give exactly
//! `prefix + path_segment(field, value)? + suffix` for every value, and refuse the same values
//! (empty, `.`, `..`) with the same error, naming the field.

mod support;
use support::percent::percent_decode;

use proptest::prelude::*;
use rescind_core::ErrorKind;
use rescind_core::http::{path_segment, path_with_segment};

/// What the path was before: `prefix + path_segment(..)? + suffix`.
fn before(field: &str, prefix: &str, value: &str, suffix: &str) -> Result<String, String> {
    path_segment(field, value)
        .map(|seg| format!("{prefix}{seg}{suffix}"))
        .map_err(|e| format!("{:?} {e}", e.kind()))
}

fn now(field: &str, prefix: &str, value: &str, suffix: &str) -> Result<String, String> {
    path_with_segment(field, prefix, value, suffix).map_err(|e| format!("{:?} {e}", e.kind()))
}

/// RFC 3986 unreserved characters, all of them.
const UNRESERVED: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Ids a user may paste: every ASCII character alone and among unreserved ones, the characters
/// that would reach another path or end it, unicode, `%` sequences, dot segments, long ids.
fn odd_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "42",
        "70724761617883184",
        "(401)70724761617883184",
        "(00)370724760010119754",
        "11200a0ee1",
        "a b",
        "a/b",
        "/",
        "//",
        "a?b",
        "?",
        "a#b",
        "#",
        "%",
        "%2F",
        "%2f",
        "%2e%2e",
        "%2E.",
        ".%2e",
        "%00",
        "%%",
        "..%2F..%2Fadmin",
        "../admin",
        "./x",
        "...",
        "....",
        ".a",
        "a.",
        " .",
        ". ",
        " ..",
        ".. ",
        "\t",
        "\n",
        "\r\n",
        "\0",
        "\u{7f}",
        "ø",
        "Ärta-Ωmega",
        "日本語",
        "😀",
        "e\u{301}",
        "\u{feff}id",
        "\u{2024}\u{2024}",
        "\u{ff0e}\u{ff0e}",
        "a+b",
        "a&b=c",
        "a;b",
        "a,b",
        "a:b",
        "@",
        "[::1]",
        "a\\b",
        "\"quoted\"",
        "<tag>",
        "{x}",
        "a|b",
        "^`",
        "~",
        "-",
        "_",
        "~~~",
        "A-Za-z0-9-._~",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push(UNRESERVED.to_string());
    for b in 0u8..0x80 {
        let c = b as char;
        ids.push(c.to_string());
        ids.push(format!("abc{c}"));
        ids.push(format!("{c}abc"));
        ids.push(format!("{UNRESERVED}{c}"));
    }
    ids.push("7".repeat(300));
    ids.push("7".repeat(100_000));
    ids.push("ø".repeat(10_000));
    ids.push(format!("{}/{}", "a".repeat(255), "b".repeat(255)));
    ids.push("%".repeat(1000));
    ids.push("😀".repeat(1000));
    ids
}

#[test]
fn every_odd_id_gives_what_path_segment_gave_with_any_prefix_and_suffix() {
    let affixes = [
        ("", ""),
        ("/shipments/", ""),
        ("/shipment_exceptions/", ""),
        ("/ws/json/parcel/booking/v-1/order/cancel/", ""),
        ("/ws/json/parcel/booking/v-1/details/", ""),
        ("/financing/v1/applications/", ""),
        ("/financing/v1/applications/", "/order/cancel"),
        ("/financing/v1/applications/", "/cancel"),
        ("ø/", "/ø?x#y"),
    ];
    for id in odd_ids() {
        for (prefix, suffix) in affixes {
            let got = now("shipment_id", prefix, &id, suffix);
            let want = before("shipment_id", prefix, &id, suffix);
            assert_eq!(got, want, "id {id:?} between {prefix:?} and {suffix:?}");
        }
    }
}

#[test]
fn the_encoded_segment_never_holds_a_character_outside_unreserved_or_a_percent_escape() {
    for id in odd_ids() {
        if id == "." {
            continue; // refused, below
        }
        let path = path_with_segment("id", "/p/", &id, "/s").unwrap();
        let seg = &path["/p/".len()..path.len() - "/s".len()];
        let bytes = seg.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let upper_hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
                assert!(
                    i + 2 < bytes.len() && upper_hex(bytes[i + 1]) && upper_hex(bytes[i + 2]),
                    "id {id:?}: a `%` that is not an escape at {i} in {seg:?}"
                );
                i += 3;
            } else {
                assert!(
                    UNRESERVED.as_bytes().contains(&b),
                    "id {id:?}: {:?} left as it is in {seg:?}",
                    b as char
                );
                i += 1;
            }
        }
        // And it decodes back to the id, byte for byte.
        let decoded = percent_decode(seg);
        assert_eq!(decoded, id.as_bytes(), "id {id:?} encoded as {seg:?}");
    }
}

#[test]
fn an_id_of_unreserved_characters_is_copied_as_it_is_and_one_more_character_encodes_all_else() {
    assert_eq!(
        path_with_segment("id", "/p/", UNRESERVED, "/s").unwrap(),
        format!("/p/{UNRESERVED}/s")
    );
    // The fast path ends at the first other character, wherever it is.
    assert_eq!(
        path_with_segment("id", "/p/", "abc~!", "").unwrap(),
        "/p/abc~%21"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "!abc~", "").unwrap(),
        "/p/%21abc~"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "a.b/c.d", "").unwrap(),
        "/p/a.b%2Fc.d"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "ab\u{e9}", "").unwrap(),
        "/p/ab%C3%A9"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "%2F", "").unwrap(),
        "/p/%252F"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "a b?c#d", "/cancel").unwrap(),
        "/p/a%20b%3Fc%23d/cancel"
    );
    assert_eq!(
        path_with_segment("id", "/p/", "(401)7", "").unwrap(),
        "/p/%28401%297"
    );
    // Neither prefix nor suffix is encoded: they are the caller's path.
    assert_eq!(
        path_with_segment("id", "/a b/", "x", "?q#f").unwrap(),
        "/a b/x?q#f"
    );
}

#[test]
fn empty_dot_and_dot_dot_are_refused_as_path_segment_refuses_them_naming_the_field() {
    for field in [
        "shipment_id",
        "shipment_exception_id",
        "identifier",
        "application_id",
    ] {
        for bad in ["", ".", ".."] {
            for (prefix, suffix) in [("", ""), ("/orders/", "/cancel")] {
                let err = path_with_segment(field, prefix, bad, suffix).unwrap_err();
                let old = path_segment(field, bad).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
                assert_eq!(err.to_string(), old.to_string(), "{bad:?}");
                assert_eq!(err.field(), old.field(), "{bad:?}");
                assert_eq!(err.field(), Some(field), "{bad:?}");
                assert!(err.to_string().contains(field), "{bad:?}: {err}");
            }
        }
    }
    // Near misses are ids, not dot segments: accepted and kept.
    for ok in [
        "...",
        ". ",
        " .",
        ".. ",
        "%2e",
        "%2e%2e",
        "\u{ff0e}\u{ff0e}",
    ] {
        assert!(path_with_segment("id", "/p/", ok, "").is_ok(), "{ok:?}");
    }
}

fn any_id() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9._~-]{0,300}",
        "[A-Za-z0-9._~%/?# -]{0,40}",
        "[.]{0,4}",
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #[test]
    fn path_with_segment_is_prefix_path_segment_suffix(
        field in "[a-z_]{1,20}",
        prefix in any::<String>(),
        value in any_id(),
        suffix in any::<String>(),
    ) {
        prop_assert_eq!(
            now(&field, &prefix, &value, &suffix),
            before(&field, &prefix, &value, &suffix)
        );
    }
}
