//! Outsider probes of issue 15 (branch break15): bodies Skip Pay's document allows.

use rescind_core::http::HttpResponse;
use rescind_core::rust_decimal::Decimal;
use rescind_skippay::response::{parse_cancel_order_items, parse_get_application};
use serde_json::{Value, json};
use std::str::FromStr;

const APP_READY: &str = include_str!("fixtures/application_ready.json");
const ORDER_200: &str = include_str!("fixtures/order_cancel_200.json");

type Edit = Box<dyn Fn(&mut Value)>;

fn app_with(f: impl FnOnce(&mut Value)) -> HttpResponse {
    let mut v: Value = serde_json::from_str(APP_READY).unwrap();
    f(&mut v);
    HttpResponse::new(200, serde_json::to_vec(&v).unwrap())
}

fn raw_app(replace: &str, with: &str) -> HttpResponse {
    assert!(APP_READY.contains(replace), "{replace}");
    HttpResponse::new(200, APP_READY.replacen(replace, with, 1))
}

#[test]
fn probe_numbers_in_amounts() {
    for (text, want) in [
        ("12590.0", Some("12590")),
        ("1.259e4", Some("12590")),
        ("1.259E+4", Some("12590")),
        ("-0.0", Some("0")),
        ("0.1", Some("0.1")),
        ("12345678901234567.89", Some("12345678901234567.89")),
        ("\"12590\"", Some("12590")),
    ] {
        let resp = raw_app("\"amount\": 12590,", &format!("\"amount\": {text},"));
        let app = parse_get_application(&resp).unwrap_or_else(|e| panic!("{text}: {e}"));
        let got = app.order.unwrap().items[0]
            .total_price
            .clone()
            .map(|a| a.amount);
        println!("{text} -> {got:?}");
        if let Some(w) = want {
            assert_eq!(got, Some(Decimal::from_str(w).unwrap()), "{text}");
        }
    }
}

#[test]
fn probe_huge_amount_is_skipped_not_fatal() {
    for text in [
        "1e30",
        "1e400",
        "-1e400",
        "123456789012345678901234567890123",
    ] {
        let resp = raw_app("\"amount\": 12590,", &format!("\"amount\": {text},"));
        let r = parse_get_application(&resp);
        println!(
            "{text} -> {:?}",
            r.as_ref()
                .map(|a| a.skipped().to_vec())
                .map_err(|e| e.to_string())
        );
        assert!(r.is_ok(), "{text}: {:?}", r.err().map(|e| e.to_string()));
    }
}

#[test]
fn probe_broken_unneeded_fields() {
    let resp = app_with(|v| {
        v["customer"] = json!(42);
        v["gatewayRedirectUrl"] = json!({"x":1});
        v["agreementTermsAndConditions"] = json!("yes");
        v["order"]["addresses"] = json!("nope");
        v["order"]["documents"] = json!(7);
        v["order"]["items"][0]["totalPrice"] = json!({"amount": "abc", "currency": 5});
        v["order"]["items"][0]["image"] = json!(5);
        v["order"]["items"][0]["deliveryDate"] = json!("not a date");
        v["order"]["deliveryDate"] = json!("2017-13-45");
        v["financingType"] = json!(12);
        v["stateReason"] = json!([1]);
        v["extraUnknown"] = json!({"a": [1, 2]});
    });
    let app = parse_get_application(&resp).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<&str> = app.skipped().iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "agreementTermsAndConditions",
            "customer",
            "gatewayRedirectUrl",
            "order.addresses",
            "order.deliveryDate",
            "order.documents",
            "order.items[0].deliveryDate",
            "order.items[0].image",
            "order.items[0].totalPrice",
            "stateReason",
        ]
    );
    // What the cancel decides on is intact.
    let order = app.order.as_ref().unwrap();
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].quantity, Some(Decimal::from(2)));
}

#[test]
fn probe_nulls_everywhere_in_order_cancel() {
    let mut v: Value = serde_json::from_str(ORDER_200).unwrap();
    fn nullify(v: &mut Value, keep: &[&str], path: &str) {
        if let Value::Object(m) = v {
            for (k, x) in m.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if keep.contains(&p.as_str()) {
                    nullify(x, keep, &p);
                    continue;
                }
                if x.is_object() || x.is_array() {
                    nullify(x, keep, &p);
                } else {
                    *x = Value::Null;
                }
            }
        } else if let Value::Array(a) = v {
            for x in a {
                nullify(x, keep, &format!("{path}[]"));
            }
        }
    }
    nullify(
        &mut v,
        &["state", "items[].state", "items[].code", "items[].quantity"],
        "",
    );
    let r = parse_cancel_order_items(&HttpResponse::new(200, serde_json::to_vec(&v).unwrap()));
    println!(
        "{:?}",
        r.as_ref()
            .map(|o| o.skipped().to_vec())
            .map_err(|e| e.to_string())
    );
    assert!(r.is_ok());
}

/// Issue 15, case 1, second half: the order cancel's answer with every amount and rate as a
/// whole-number float (and in exponent form) is the applied cancel, not an unknown outcome.
#[test]
fn order_cancel_answer_with_float_amounts_is_read() {
    let text = ORDER_200
        .replace("\"amount\": 12590", "\"amount\": 12590.0")
        .replace("\"vatRate\": 15", "\"vatRate\": 1.5e1");
    assert_ne!(text, ORDER_200);
    let order = parse_cancel_order_items(&HttpResponse::new(200, text)).unwrap();
    assert!(order.skipped().is_empty(), "{:?}", order.skipped());
    assert_eq!(
        order.total_price.as_ref().map(|a| a.amount),
        Some(Decimal::from(12590))
    );
    assert_eq!(order.total_vat[0].vat_rate, Decimal::from(15));
}

/// A broken NEEDED field fails the read with its path (the cancel is not sent blindly).
#[test]
fn broken_needed_fields_fail_with_their_path() {
    for (path, f) in [
        (
            "`state`",
            Box::new(|v: &mut Value| v["state"] = json!(5)) as Edit,
        ),
        ("`id`", Box::new(|v: &mut Value| v["id"] = json!(5))),
        (
            "`order.items`",
            Box::new(|v: &mut Value| v["order"]["items"] = json!("x")),
        ),
        (
            "`order.state`",
            Box::new(|v: &mut Value| v["order"]["state"] = json!(1)),
        ),
        (
            "`order.items[0].state`",
            Box::new(|v: &mut Value| v["order"]["items"][0]["state"] = json!(3)),
        ),
        (
            "`order.items[0].quantity`",
            Box::new(|v: &mut Value| v["order"]["items"][0]["quantity"] = json!("abc")),
        ),
        (
            "`order.items[0].quantity`",
            Box::new(|v: &mut Value| v["order"]["items"][0]["quantity"] = json!(1e30)),
        ),
    ] {
        let err = parse_get_application(&app_with(f)).unwrap_err().to_string();
        assert!(err.contains(path), "{path}: {err}");
    }
}
