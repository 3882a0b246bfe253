//! Property tests of core's parsers: `Retry-After`, path segments, JSON decoding. Arbitrary
//! input gives a value or an error, never a panic, and the values are right.
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test -p rescind-core
//! --test props` for a long run.

use std::time::Duration;

mod support;
use support::percent::percent_decode;

use proptest::prelude::*;
use rescind_core::ErrorKind;
use rescind_core::http::{BaseUrl, path_segment};
use rescind_core::retry::parse_retry_after;

fn timestamp() -> impl Strategy<Value = jiff::Timestamp> {
    // 1970..2200, to the second.
    (0i64..7_258_118_400).prop_map(|s| jiff::Timestamp::from_second(s).unwrap())
}

proptest! {
    #[test]
    fn retry_after_never_panics(value in any::<String>(), now in timestamp()) {
        let _ = parse_retry_after(&value, now);
    }

    #[test]
    fn retry_after_near_misses_never_panic(
        value in "[ 0-9A-Za-z,:+-]{0,40}",
        now in timestamp(),
    ) {
        let _ = parse_retry_after(&value, now);
    }

    #[test]
    fn retry_after_seconds_are_read_or_saturate(digits in "[0-9]{1,40}", pad in " {0,3}") {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let got = parse_retry_after(&format!("{pad}{digits}{pad}"), now);
        let want = digits.parse::<u64>().unwrap_or(u64::MAX);
        prop_assert_eq!(got, Some(Duration::from_secs(want)));
    }

    #[test]
    fn retry_after_http_dates_are_relative_to_now(at in timestamp(), now in timestamp()) {
        let value = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&at).unwrap();
        let got = parse_retry_after(&value, now).unwrap();
        let want = (at.as_second() - now.as_second()).max(0);
        prop_assert_eq!(got, Duration::from_secs(want.unsigned_abs()), "{}", value);
    }

    #[test]
    fn a_path_segment_is_one_segment_that_decodes_back(value in any::<String>()) {
        match path_segment("id", &value) {
            Ok(segment) => {
                prop_assert!(segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", segment);
                prop_assert_ne!(segment.as_str(), ".");
                prop_assert_ne!(segment.as_str(), "..");
                let decoded = String::from_utf8(percent_decode(&segment)).unwrap();
                prop_assert_eq!(decoded.as_str(), value.as_str());
                // Joined under a base with a prefix, it stays one segment of that prefix.
                let base = BaseUrl::parse("http://127.0.0.1:1/prefix").unwrap();
                let url = ::url::Url::parse(&base.url(&format!("/things/{segment}/cancel"), &[])).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments, vec!["prefix", "things", segment.as_str(), "cancel"]);
            }
            Err(err) => {
                prop_assert!(value.is_empty() || value == "." || value == "..", "{:?}", value);
                prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
                prop_assert_eq!(err.field(), Some("id"));
            }
        }
    }

    #[test]
    fn path_like_ids_stay_in_their_segment(
        parts in proptest::collection::vec(prop_oneof![
            Just("..".to_string()), Just("/".to_string()), Just("%2F".to_string()),
            Just(" ".to_string()), Just("?".to_string()), Just("#".to_string()),
            Just("\\".to_string()), Just(".".to_string()), "[a-z0-9]{1,3}",
        ], 1..8),
    ) {
        let value: String = parts.concat();
        if let Ok(segment) = path_segment("id", &value) {
            prop_assert!(!segment.contains('/') && !segment.contains('?') && !segment.contains('#'));
            let base = BaseUrl::parse("http://127.0.0.1:1/prefix/").unwrap();
            let url = ::url::Url::parse(&base.url(&format!("/things/{segment}"), &[])).unwrap();
            prop_assert_eq!(url.path_segments().unwrap().count(), 3, "{}", url);
            prop_assert!(url.query().is_none() && url.fragment().is_none());
        }
    }

    #[test]
    fn json_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Model { id: u64, items: Vec<Item> }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Item { code: Option<String>, quantity: f64 }
        if let Err(err) = rescind_core::decode::json::<Model>(&bytes) {
            prop_assert_eq!(err.kind(), ErrorKind::Decode);
            prop_assert!(!err.to_string().is_empty());
        }
    }
}
