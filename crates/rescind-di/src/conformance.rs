//! The documented shape of Di's details answer (the details API page: `shipmentId`,
//! `ediStatus`, `shopid`/`shopId`, `shopName`, `desiredDeliveryDate`, `pickupDetails`,
//! `items[]`), for conformance tests: [`rescind_core::wire::shape::generate`] writes bodies the
//! documentation allows, and the client must decode every one; a simulator checks its answers
//! with [`rescind_core::wire::shape::check`].
//!
//! Dates are `YYYY-MM-DD` or `YYYYMMDD` (Di's two sources disagree); the fields Di marks as
//! work in progress may be absent or `null`.

use rescind_core::wire::shape::{Field, Shape};

/// `GET /ws/json/parcel/booking/v-1/details/{identifier}`.
pub fn order_details() -> Shape {
    Shape::Object(vec![
        Field::required("shipmentId", Shape::Text),
        Field::nullable(
            "ediStatus",
            Shape::Enum(&[
                "ATTEMPTING_EXPORT",
                "EXPORT_OK",
                "EXPORT_FAILED_WILL_RETRY",
                "EXPORT_FAILED_PERMANENTLY",
                "CANCELLED",
                "PASSIVE_RETURN",
            ]),
        ),
        Field::nullable(
            "shopId",
            Shape::Integer {
                min: 1,
                max: 1 << 31,
            },
        ),
        Field::nullable("shopName", Shape::Text),
        Field::nullable("desiredDeliveryDate", Shape::DateOrCompact),
        Field::nullable(
            "pickupDetails",
            Shape::Object(vec![
                Field::nullable("returnCode", Shape::Text),
                Field::nullable("placement", Shape::Text),
                Field::nullable("pickupDate", Shape::DateOrCompact),
                Field::nullable("possiblePickupDates", Shape::list(Shape::DateOrCompact)),
            ]),
        ),
        Field::nullable(
            "items",
            Shape::list(Shape::Object(vec![
                Field::nullable("trackingReference", Shape::Text),
                Field::nullable("labellessCode", Shape::Text),
            ])),
        ),
    ])
}
