//! The documented shapes of Arta's answers (the API reference's response schemas, and the
//! fields Arta's official Node client adds), for conformance tests:
//! [`rescind_core::wire::shape::generate`] writes bodies the documentation allows, and the
//! client must decode every one; a simulator checks its answers with
//! [`rescind_core::wire::shape::check`].
//!
//! Ids are `int64`, dimensions a number or a string (the Node client allows both), money a
//! string or a number, timestamps naive date-times with microseconds.

use rescind_core::wire::shape::{Field, Shape};

const ID: Shape = Shape::Integer {
    min: 1,
    max: i64::MAX,
};

fn count() -> Shape {
    Shape::Integer {
        min: 0,
        max: 10_000,
    }
}

fn user_id() -> Shape {
    Shape::Integer {
        min: 1,
        max: 1 << 40,
    }
}

/// `Location` (an origin or a destination).
pub fn location() -> Shape {
    Shape::Object(vec![
        Field::optional("title", Shape::Text),
        Field::nullable("address_line_1", Shape::Text),
        Field::nullable("address_line_2", Shape::Text),
        Field::nullable("address_line_3", Shape::Text),
        Field::nullable("city", Shape::Text),
        Field::nullable("region", Shape::Text),
        Field::nullable("postal_code", Shape::Text),
        Field::required("country", Shape::Text),
        Field::optional(
            "contacts",
            Shape::list(Shape::Object(vec![
                Field::required("name", Shape::Text),
                Field::nullable("email_address", Shape::Text),
                Field::nullable("phone_number", Shape::Text),
            ])),
        ),
        Field::optional("access_restrictions", Shape::list(Shape::Text)),
    ])
}

/// `Tag`.
pub fn tag() -> Shape {
    Shape::Object(vec![
        Field::required("id", Shape::Text),
        Field::required("name", Shape::Text),
        Field::nullable("color", Shape::Text),
        Field::nullable("description", Shape::Text),
        Field::optional("is_active", Shape::Bool),
        Field::nullable("created_by", user_id()),
        Field::nullable("updated_by", user_id()),
        Field::optional("created_at", Shape::NaiveDateTime),
        Field::optional("updated_at", Shape::NaiveDateTime),
    ])
}

fn object_details() -> Shape {
    Shape::Object(vec![
        Field::nullable("title", Shape::Text),
        Field::nullable("creator", Shape::Text),
        Field::nullable("creation_date", Shape::Text),
        Field::nullable("notes", Shape::Text),
        Field::optional("is_cites", Shape::Bool),
        Field::optional("is_fragile", Shape::Bool),
        Field::optional("materials", Shape::list(Shape::Text)),
    ])
}

fn customs() -> Shape {
    Shape::Object(vec![
        Field::nullable("country_of_origin", Shape::Text),
        Field::nullable("hs_code", Shape::Text),
        Field::nullable("medium", Shape::Text),
        Field::nullable("temporary_admission", Shape::Bool),
    ])
}

/// An object to ship.
pub fn object() -> Shape {
    Shape::Object(vec![
        Field::nullable("id", ID),
        Field::required("type", Shape::Text),
        Field::required("subtype", Shape::Text),
        Field::required("depth", Shape::NumberOrText),
        Field::required("height", Shape::NumberOrText),
        Field::optional("width", Shape::NumberOrText),
        Field::optional("unit_of_measurement", Shape::Enum(&["in", "cm"])),
        Field::nullable("weight", Shape::NumberOrText),
        Field::optional("weight_unit", Shape::Enum(&["lb", "kg"])),
        Field::required("value", Shape::NumberOrText),
        Field::required("value_currency", Shape::Enum(&["USD", "EUR", "GBP"])),
        Field::optional("details", object_details()),
        Field::optional("current_packing", Shape::list(Shape::Text)),
        Field::optional("images", Shape::list(Shape::Text)),
        Field::optional(
            "components",
            Shape::list(Shape::Object(vec![
                Field::nullable("id", Shape::Text),
                Field::optional("type", Shape::Text),
                Field::optional("value", Shape::NumberOrText),
                Field::optional("value_currency", Shape::Text),
                Field::optional("details", object_details()),
                Field::optional("customs", customs()),
            ])),
        ),
        Field::nullable("customs", customs()),
        Field::nullable("internal_reference", Shape::Text),
        Field::nullable("public_reference", Shape::Text),
    ])
}

fn hosted_session_fields(list_item: bool) -> Vec<Field> {
    let mut fields = vec![
        Field::required("id", ID),
        Field::required(
            "status",
            Shape::Enum(&[
                "new",
                "quoted",
                "pending",
                "in_progress",
                "closed",
                "disqualified",
                "expired",
                "cancelled",
            ]),
        ),
        Field::required("shortcode", Shape::Text),
        Field::nullable("type", Shape::Enum(&["booking", "inbound_booking"])),
        Field::required_nullable("url", Shape::Text),
        Field::required("success_url", Shape::Text),
        Field::required("cancel_url", Shape::Text),
        Field::required("private_token", Shape::Text),
        Field::required("origin", location()),
        Field::required_nullable("destination", location()),
        Field::required("objects", Shape::list(object())),
        Field::required("additional_services", Shape::list(Shape::Text)),
        Field::required_nullable("insurance", Shape::Text),
        Field::required(
            "payment_process",
            Shape::Enum(&["checkout", "invoicing", "checkout_direct"]),
        ),
        Field::required("preferred_quote_types", Shape::list(Shape::Text)),
        Field::required_nullable(
            "preferred_parcel_transport_services",
            Shape::list(Shape::Text),
        ),
        Field::required(
            "quoting_strategy",
            Shape::Enum(&["best_rate", "compare_carriers", "all_rates"]),
        ),
        Field::optional("can_user_confirm_object_dimensions", Shape::Bool),
        Field::required_nullable("internal_reference", Shape::Text),
        Field::required_nullable("public_reference", Shape::Text),
        Field::required_nullable("shipping_notes", Shape::Text),
        Field::required("tags", Shape::list(tag())),
        Field::required("created_at", Shape::NaiveDateTime),
        Field::required("updated_at", Shape::NaiveDateTime),
    ];
    if !list_item {
        fields.extend([
            Field::required(
                "customs_end_use",
                Shape::Enum(&["for_resale", "not_for_resale"]),
            ),
            Field::required(
                "customs_process",
                Shape::Enum(&["ddu", "ddp", "ddp_optional"]),
            ),
            Field::required_nullable("public_instructions_booking_review", Shape::Text),
            Field::required_nullable("public_instructions_confirmation", Shape::Text),
            Field::required_nullable("public_instructions_location_quotes", Shape::Text),
            Field::required_nullable("public_instructions_payment", Shape::Text),
            Field::nullable("public_instructions_object_details", Shape::Text),
        ]);
    }
    fields
}

/// `HostedSession`: `GET /hosted_sessions/{id}` and the cancel's answer.
pub fn hosted_session() -> Shape {
    Shape::Object(hosted_session_fields(false))
}

/// `HostedSessionListItem`: the hosted session without `customs_end_use`, `customs_process`
/// and `public_instructions_*`.
pub fn hosted_session_list_item() -> Shape {
    Shape::Object(hosted_session_fields(true))
}

fn exception_fields(in_shipment: bool) -> Vec<Field> {
    let mut fields = vec![
        Field::required("id", Shape::Text),
        Field::required(
            "type",
            Shape::Enum(&[
                "requested_hold_to_collect",
                "requested_hold_to_deliver",
                "held_at_customs",
                "damaged_items",
                "other",
            ]),
        ),
        Field::required("status", Shape::Enum(&["new", "in_progress", "resolved"])),
        Field::required("source", Shape::Enum(&["api", "arta_team"])),
        Field::required_nullable("hold_until", Shape::Date),
        Field::required_nullable("package_id", ID),
        Field::nullable("object_id", ID),
        Field::required_nullable("resolution", Shape::Text),
        Field::required_nullable("exception_type_label", Shape::Text),
        Field::nullable("user_notes", Shape::list(Shape::Text)),
        Field::required("created_at", Shape::NaiveDateTime),
        Field::required("updated_at", Shape::NaiveDateTime),
    ];
    if !in_shipment {
        fields.push(Field::required("shipment_id", Shape::Text));
    }
    fields
}

/// `ShipmentException`: `POST /shipment_exceptions` (201) and `GET
/// /shipment_exceptions/{id}`.
pub fn shipment_exception() -> Shape {
    Shape::Object(exception_fields(false))
}

/// One page of `GET /shipment_exceptions`.
pub fn shipment_exceptions_page() -> Shape {
    Shape::Object(vec![
        Field::required("items", Shape::list(shipment_exception())),
        Field::required(
            "metadata",
            Shape::Object(vec![
                Field::required("page", Shape::Integer { min: 1, max: 1000 }),
                Field::required("page_size", Shape::Integer { min: 1, max: 50 }),
                Field::required("total_count", count()),
            ]),
        ),
    ])
}

/// `Shipment`: `GET /shipments/{id}`.
pub fn shipment() -> Shape {
    let window = || {
        Shape::Object(vec![
            Field::required_nullable("pickup_start", Shape::Text),
            Field::required_nullable("pickup_end", Shape::Text),
            Field::required_nullable("pickup_window_modifier", Shape::Text),
            Field::required_nullable("delivery_start", Shape::Text),
            Field::required_nullable("delivery_end", Shape::Text),
            Field::required_nullable("delivery_window_modifier", Shape::Text),
        ])
    };
    Shape::Object(vec![
        Field::required("id", Shape::Text),
        Field::required(
            "status",
            Shape::Enum(&[
                "pending",
                "confirmed",
                "collected",
                "in_transit",
                "completed",
                "cancelled",
            ]),
        ),
        Field::required("created_at", Shape::NaiveDateTime),
        Field::required("updated_at", Shape::NaiveDateTime),
        Field::required(
            "exceptions",
            Shape::list(Shape::Object(exception_fields(true))),
        ),
        Field::required("shortcode", Shape::Text),
        Field::required_nullable("hosted_session_id", ID),
        Field::required_nullable(
            "quote_type",
            Shape::Enum(&["premium", "select", "parcel", "self_ship"]),
        ),
        Field::required("payment_process", Shape::Enum(&["checkout", "invoicing"])),
        Field::required("total", Shape::NumberOrText),
        Field::required("total_currency", Shape::Text),
        Field::required("origin", location()),
        Field::required("destination", location()),
        Field::required_nullable("schedule", window()),
        Field::required("object_count", count()),
        Field::required("package_count", count()),
        Field::required_nullable("internal_reference", Shape::Text),
        Field::required_nullable("public_reference", Shape::Text),
        Field::required_nullable("shipping_notes", Shape::Text),
        Field::required("url", Shape::Text),
        Field::required_nullable(
            "eei_form_status",
            Shape::Enum(&["approved", "cleared", "pending", "rejected", "submitted"]),
        ),
        Field::required_nullable("eei_form_url", Shape::Text),
        // Listed without a type or nullability in the reference: taken as nullable.
        Field::nullable("emissions", Shape::NumberOrText),
        Field::nullable("emissions_unit", Shape::Text),
        Field::required_nullable("log_request_id", Shape::Text),
        Field::required("tags", Shape::list(tag())),
        Field::optional("packages", Shape::list(Shape::Any)),
        Field::optional("services", Shape::list(Shape::Any)),
        Field::optional("tracking", Shape::list(Shape::Any)),
        Field::nullable("confirmed_at", Shape::NaiveDateTime),
        Field::nullable("collected_at", Shape::NaiveDateTime),
        Field::nullable("in_transit_at", Shape::NaiveDateTime),
        Field::nullable("completed_at", Shape::NaiveDateTime),
        Field::nullable("cancelled_at", Shape::NaiveDateTime),
    ])
}
