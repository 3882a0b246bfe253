//! Outsider probes of issue 15 (branch break15): bodies Di's documents allow.

use rescind_core::http::HttpResponse;
use rescind_di::response::order_details;

const PICKUP: &str = include_str!("fixtures/order_details_pickup.json");

fn with(replace: &str, by: &str) -> HttpResponse {
    assert!(PICKUP.contains(replace), "{replace}");
    HttpResponse::new(200, PICKUP.replacen(replace, by, 1))
}

#[test]
fn probe_broken_unneeded() {
    let r = order_details(&with("\"shopid\": 16,", "\"shopid\": \"x\", \"zzz\": [1],"));
    println!(
        "{:?}",
        r.as_ref()
            .map(|o| o.skipped().to_vec())
            .map_err(|e| e.to_string())
    );
    assert!(r.is_ok());
    let r = order_details(&with(
        "\"possiblePickupDates\": [\"20260330\", \"20260331\"]",
        "\"possiblePickupDates\": [\"bad\", 5]",
    ));
    println!(
        "{:?}",
        r.as_ref()
            .map(|o| o.skipped().to_vec())
            .map_err(|e| e.to_string())
    );
    assert!(r.is_ok());
    let r = order_details(&with("\"items\": [", "\"items\": 5, \"x\": ["));
    println!(
        "{:?}",
        r.as_ref()
            .map(|o| o.skipped().to_vec())
            .map_err(|e| e.to_string())
    );
    assert_eq!(r.unwrap().skipped()[0].path, "items");
    for s in [
        "\"ediStatus\": 5",
        "\"ediStatus\": null",
        "\"ediStatus\": \"NEW_THING\"",
    ] {
        let r = order_details(&with("\"ediStatus\": \"ATTEMPTING_EXPORT\"", s));
        println!(
            "{s} -> {:?}",
            r.as_ref()
                .map(|o| format!("{:?}", o.edi_status))
                .map_err(|e| e.to_string())
        );
    }
    for s in [
        "\"shipmentId\": 70724761617883184",
        "\"shipmentId\": null",
        "\"shipmentId\": 7.0724761617883184e16",
    ] {
        let r = order_details(&with("\"shipmentId\": \"70724761617883184\"", s));
        println!(
            "{s} -> {:?}",
            r.as_ref()
                .map(|o| format!("{:?}", o.shipment_id))
                .map_err(|e| e.to_string())
        );
    }
}

#[test]
fn documented_date_forms_read_and_broken_needed_dates_fail() {
    for d in ["\"20260330\"", "\"2026-03-30\""] {
        let o = order_details(&with(
            "\"pickupDate\": \"20260330\"",
            &format!("\"pickupDate\": {d}"),
        ))
        .unwrap();
        assert_eq!(
            o.pickup_details.unwrap().pickup_date,
            Some(rescind_core::jiff::civil::date(2026, 3, 30))
        );
        let o = order_details(&with(
            "\"desiredDeliveryDate\": null",
            &format!("\"desiredDeliveryDate\": {d}"),
        ))
        .unwrap();
        assert_eq!(
            o.desired_delivery_date,
            Some(rescind_core::jiff::civil::date(2026, 3, 30))
        );
    }
    let err = order_details(&with(
        "\"pickupDate\": \"20260330\"",
        "\"pickupDate\": \"3026-13-40\"",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("`pickupDetails.pickupDate`"), "{err}");
    let err = order_details(&with(
        "\"desiredDeliveryDate\": null",
        "\"desiredDeliveryDate\": 20260330",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("`desiredDeliveryDate`"), "{err}");
}
