//! The decode figures: a provider's answer read into rescind's typed model, against the same
//! bytes parsed as a `serde_json::Value`.
//!
//! Three ways per body: `sdk` is what a call pays (the provider crate's response reader:
//! status check, `rescind_core::decode` with JSON paths for errors); `typed` is
//! `serde_json::from_slice` into the same model; `value` is `serde_json::from_slice` into a
//! `serde_json::Value`, the baseline.

use std::time::Duration;

use bytes::Bytes;
use rescind_core::HttpResponse;

use crate::{fixtures, measure};

/// One body and the three ways to decode it.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the body is.
    pub name: &'static str,
    /// The answer, as the transport hands it over (status 200).
    pub response: HttpResponse,
    /// The provider crate's response reader.
    pub sdk: fn(&HttpResponse) -> bool,
    /// `serde_json::from_slice` into the typed model.
    pub typed: fn(&[u8]) -> bool,
}

/// A Skip Pay order answer with 200 items, and an Arta hosted session with 50 objects.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "Skip Pay order, 200 items",
            response: HttpResponse::new(200, Bytes::from(fixtures::skippay_order_with_items(200))),
            sdk: |r| rescind_skippay::response::parse_cancel_order_items(r).is_ok(),
            typed: |b| serde_json::from_slice::<rescind_skippay::model::Order>(b).is_ok(),
        },
        Case {
            name: "Arta hosted session, 50 objects",
            response: HttpResponse::new(200, Bytes::from(fixtures::arta_session_with_objects(50))),
            sdk: |r| rescind_arta::response::parse_get_hosted_session(r).is_ok(),
            typed: |b| serde_json::from_slice::<rescind_arta::model::HostedSession>(b).is_ok(),
        },
    ]
}

/// Parses `bytes` as a `serde_json::Value` (the baseline).
pub fn value(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
}

/// The median throughputs of one case, in MB/s (10^6 bytes per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// The body's size in bytes.
    pub bytes: usize,
    /// The provider crate's reader.
    pub sdk: f64,
    /// Plain typed decode.
    pub typed: f64,
    /// `serde_json::Value`.
    pub value: f64,
}

/// Measures `case`: `samples` samples of each way, each at least `min_time` long, interleaved;
/// fails if a decode fails.
pub fn measure(case: &Case, samples: usize, min_time: Duration) -> Result<Figure, String> {
    let body = &case.response.body;
    if !((case.sdk)(&case.response) && (case.typed)(body) && value(body)) {
        return Err(format!("{}: the body does not decode", case.name));
    }
    let mb_per_s = |d: Duration| body.len() as f64 / d.as_secs_f64().max(1e-12) / 1e6;
    let (mut sdk, mut typed, mut val) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples.max(1) {
        sdk.push(mb_per_s(measure::time_per_iter(min_time, || {
            (case.sdk)(&case.response)
        })));
        typed.push(mb_per_s(measure::time_per_iter(min_time, || {
            (case.typed)(body)
        })));
        val.push(mb_per_s(measure::time_per_iter(min_time, || value(body))));
    }
    let med = |v: &[f64]| measure::median(v).unwrap_or(0.0);
    Ok(Figure {
        bytes: body.len(),
        sdk: med(&sdk),
        typed: med(&typed),
        value: med(&val),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_decodes_every_way() {
        for case in cases() {
            let f = measure(&case, 1, Duration::ZERO).unwrap();
            assert!(f.bytes > 10_000, "{}: {} bytes", case.name, f.bytes);
            assert!(f.sdk > 0.0 && f.typed > 0.0 && f.value > 0.0);
        }
    }

    #[test]
    fn a_body_that_does_not_decode_fails_the_measure() {
        let mut case = cases().remove(0);
        case.response = HttpResponse::new(200, Bytes::from_static(b"{\"items\": 3}"));
        assert!(measure(&case, 1, Duration::ZERO).is_err());
    }
}
