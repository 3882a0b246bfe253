//! break6: Skip Pay's `deliveryCarrier`, read by its own visitor since 51d578b (no longer
//! `#[serde(untagged)]`), in every form and in odd ones, alone and inside the order answer of
//! a cancel through the client.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_skippay::model::{CarrierId, DeliveryCarrier, OrderCancelRequest, OrderState};

const PATH: &str = "/financing/v1/applications/11200a0ee1/order/cancel";

/// The seed's order answer with its `deliveryCarrier` value replaced by `carrier` (raw JSON
/// text, so that duplicate keys survive).
fn order_with_carrier(carrier: &str) -> String {
    let documented = "\"deliveryCarrier\": {\n\"carrierId\": \"DPD\"\n}";
    assert!(ORDER_200.contains(documented), "the fixture changed");
    ORDER_200.replace(documented, &format!("\"deliveryCarrier\": {carrier}"))
}

fn carrier(json: &str) -> Result<DeliveryCarrier, serde_json::Error> {
    serde_json::from_str(json)
}

/// A carrier object naming a field twice is ambiguous (which one did Skip Pay mean?). Before
/// 51d578b serde's derived reader refused it ("duplicate field"), and the order answer then
/// skipped the carrier and listed it in `skipped()`; the hand-written visitor silently kept
/// the last value.
#[test]
fn a_carrier_naming_a_field_twice_is_refused_not_read_as_its_last_value() {
    for twice in [
        r#"{"carrierId": "DPD", "carrierId": "PPL"}"#,
        r#"{"carrierId": "DPD", "carrierId": null, "carrierCustom": "x"}"#,
        r#"{"carrierCustom": "a", "carrierCustom": "b"}"#,
        r#"{"carrierId": null, "carrierId": "GLS"}"#,
    ] {
        let err = carrier(twice).expect_err(twice).to_string();
        assert!(err.contains("duplicate field"), "{twice}: {err}");

        let resp = rescind_core::HttpResponse::new(200, order_with_carrier(twice));
        let order = rescind_skippay::response::parse_cancel_order_items(&resp).unwrap();
        assert_eq!(order.delivery_carrier, None, "{twice}");
        assert_eq!(order.skipped().len(), 1, "{twice}");
        assert_eq!(order.skipped()[0].path, "deliveryCarrier", "{twice}");
        // The cancel's own facts still read.
        assert_eq!(order.items[0].state, Some(OrderState::Processing));
    }
}

/// Forms that held: the documented objects, the older bare string, escapes, nulls, unknown
/// keys with nested values, an unknown id (kept as unknown), and non-objects refused naming
/// what a carrier is.
#[test]
fn the_forms_of_a_carrier_read_as_documented() {
    assert_eq!(
        carrier(r#"{"carrierId": "D\u0050D"}"#).unwrap(),
        DeliveryCarrier::Predefined(CarrierId::Dpd)
    );
    assert_eq!(
        carrier(r#"{"carrier\u0049d": "PPL"}"#).unwrap(),
        DeliveryCarrier::Predefined(CarrierId::Ppl)
    );
    assert_eq!(
        carrier(r#"{"x": {"carrierId": "PPL", "y": [[], {}, null, 1e300]}, "carrierCustom": "Kurýr \"A\"\n"}"#)
            .unwrap(),
        DeliveryCarrier::Custom("Kurýr \"A\"\n".into())
    );
    let unknown = carrier(r#"{"carrierId": "TELEPORT"}"#).unwrap();
    match unknown {
        DeliveryCarrier::Predefined(id) => {
            assert!(id.is_unknown());
            assert_eq!(id.as_str(), "TELEPORT");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        carrier(r#""My courier""#).unwrap(),
        DeliveryCarrier::Custom("My courier".into())
    );
    assert_eq!(
        carrier(r#""""#).unwrap(),
        DeliveryCarrier::Custom(String::new())
    );
    for bad in [
        "42",
        "true",
        "null",
        r#"["DPD"]"#,
        "{}",
        r#"{"carrierId": null, "carrierCustom": null}"#,
        r#"{"carrierId": 7}"#,
        r#"{"carrierId": {"id": "DPD"}}"#,
        r#"{"carrierCustom": ["a"]}"#,
        r#"{"carrierId": "DPD", "carrierCustom": 5}"#,
    ] {
        assert!(carrier(bad).is_err(), "{bad} read as {:?}", carrier(bad));
    }
    let err = carrier("{}").unwrap_err().to_string();
    assert!(
        err.contains("carrierId") && err.contains("carrierCustom"),
        "{err}"
    );
    // `null` where the order has no carrier.
    let resp = rescind_core::HttpResponse::new(200, order_with_carrier("null"));
    let order = rescind_skippay::response::parse_cancel_order_items(&resp).unwrap();
    assert_eq!(order.delivery_carrier, None);
    assert!(order.skipped().is_empty());
}

/// Odd carriers in the answer of a cancel through the client: the cancel's answer still
/// reads (the carrier decides nothing), an unreadable carrier is skipped and listed, never
/// guessed.
#[tokio::test]
async fn a_cancel_answered_with_an_odd_carrier_still_reads() {
    let cases: [(&str, Option<DeliveryCarrier>); 6] = [
        (
            r#""DPD""#,
            Some(DeliveryCarrier::Predefined(CarrierId::Dpd)),
        ),
        (
            r#"{"carrierCustom": "x", "carrierId": "GLS", "z": {"a": [1]}}"#,
            Some(DeliveryCarrier::Predefined(CarrierId::Gls)),
        ),
        (
            r#"{"carrierId": null, "carrierCustom": "Bike \u0042rno"}"#,
            Some(DeliveryCarrier::Custom("Bike Brno".into())),
        ),
        ("42", None),
        (r#"["DPD"]"#, None),
        (r#"{"carrierId": "DPD", "carrierId": "PPL"}"#, None),
    ];
    for (raw, expected) in cases {
        let server = MockServer::start_async().await;
        let _login = login_mock(&server).await;
        let body = order_with_carrier(raw);
        let cancel = server
            .mock_async(|when, then| {
                when.method(PUT).path(PATH).body("{}");
                then.status(200).body(body);
            })
            .await;
        let order = client(&server)
            .cancel_order_items(APP, &OrderCancelRequest::whole())
            .await
            .unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(order.delivery_carrier, expected, "{raw}");
        assert_eq!(
            order
                .skipped()
                .iter()
                .map(|s| s.path.as_str())
                .collect::<Vec<_>>(),
            if expected.is_none() {
                vec!["deliveryCarrier"]
            } else {
                vec![]
            },
            "{raw}"
        );
        assert_eq!(order.number.as_deref(), Some("AA234"));
        cancel.assert_calls_async(1).await;
    }
}
