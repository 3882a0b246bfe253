//! `/hosted_sessions`: create, list, read, cancel.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::error::ArtaError;
use super::support::{self, Authorized, PageQuery, QueryParams};
use super::wire::{
    CUSTOMS_END_USES, CUSTOMS_PROCESSES, HostedSession, QUOTING_STRATEGIES, session_status,
    timestamp,
};
use crate::Sim;

/// Statuses in which a cancel is refused (final states other than `cancelled`).
fn cancel_refused_in(status: &str) -> bool {
    status == session_status::CLOSED || status == session_status::EXPIRED
}

fn parse_id(id: &str) -> Result<u64, ArtaError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArtaError::not_found());
    }
    id.parse().map_err(|_| ArtaError::not_found())
}

/// `GET /hosted_sessions/{id}`.
pub(crate) async fn get(
    _: Authorized,
    State(sim): State<Sim>,
    Path(id): Path<String>,
) -> Result<Response, ArtaError> {
    let id = parse_id(&id)?;
    let body = sim
        .store()
        .sessions
        .with(&id, |s| s.rendered(|s| support::json_bytes(&s.to_json())))
        .ok_or_else(ArtaError::not_found)?;
    Ok(support::json_answer(StatusCode::OK, body))
}

/// `PATCH /hosted_sessions/{id}/cancel`.
pub(crate) async fn cancel(
    _: Authorized,
    State(sim): State<Sim>,
    Path(id): Path<String>,
) -> Result<Response, ArtaError> {
    let id = parse_id(&id)?;
    let now = support::now(&sim);
    let (body, changed) = sim
        .store()
        .sessions
        .with(&id, |slot| {
            if slot.get().status == session_status::CANCELLED {
                return Ok((slot.rendered(|s| support::json_bytes(&s.to_json())), false));
            }
            let session = slot.get();
            if cancel_refused_in(&session.status) {
                return Err(ArtaError::detail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "hosted session {id} is {} and can no longer be cancelled",
                        session.status
                    ),
                ));
            }
            let session = slot.get_mut();
            session.status = session_status::CANCELLED.into();
            session.updated_at = now;
            Ok((slot.rendered(|s| support::json_bytes(&s.to_json())), true))
        })
        .ok_or_else(ArtaError::not_found)??;
    if changed {
        sim.counters()
            .applied(format!("arta:hosted_session:{id}:cancel"));
    }
    Ok(support::json_answer(StatusCode::OK, body))
}

/// `GET /hosted_sessions`: one page of list items.
pub(crate) async fn list(
    _: Authorized,
    State(sim): State<Sim>,
    query: QueryParams,
) -> Result<Response, ArtaError> {
    let query = query.map_err(|e| ArtaError::bad_request(e.body_text()))?;
    let page = PageQuery::read(&query)?;
    let sessions = sim.store().sessions.all();
    let body = page.page(
        sessions,
        |s| (s.created_at, s.updated_at, format!("{:020}", s.id)),
        HostedSession::to_list_item,
    );
    Ok(Json(body).into_response())
}

/// `POST /hosted_sessions` with `{"hosted_session": {...}}`: 201 with the new session.
pub(crate) async fn create(
    _: Authorized,
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ArtaError> {
    let input = support::envelope(&headers, &body, "hosted_session")?;
    let now = support::now(&sim);
    let mut session = new_session(&input, now)?;
    let mut created = None;
    sim.store()
        .sessions
        .insert(|existing| {
            let id = existing.iter().map(|s| s.id).max().unwrap_or(0) + 1;
            let token = support::uuid();
            session.id = id;
            session.url = Some(format!("https://book.arta.io/b/{id}/{token}"));
            session.private_token = token;
            created = Some(session.clone());
            Ok::<_, std::convert::Infallible>(session)
        })
        .unwrap_or_else(|never| match never {});
    let session = created.expect("the session was created");
    sim.counters()
        .applied(format!("arta:hosted_session:{}:create", session.id));
    Ok((StatusCode::CREATED, Json(session.to_json())).into_response())
}

fn bad(path: &str, message: impl std::fmt::Display) -> ArtaError {
    ArtaError::bad_request(format!("{path}: {message}"))
}

/// A string or `null`/absent.
fn opt_string(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ArtaError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(&join(path, key), "must be a string")),
    }
}

/// A string of at most 255 characters (`internal_reference`, `public_reference`).
fn opt_reference(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ArtaError> {
    let value = opt_string(map, key, path)?;
    if value.as_ref().is_some_and(|s| s.chars().count() > 255) {
        return Err(bad(&join(path, key), "should be at most 255 character(s)"));
    }
    Ok(value)
}

/// A list of strings (absent or `null` is empty).
fn string_list(map: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, ArtaError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(bad(&join(path, key), "must be a list of strings")),
            })
            .collect(),
        Some(_) => Err(bad(&join(path, key), "must be a list of strings")),
    }
}

fn opt_bool(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, ArtaError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(&join(path, key), "must be true or false")),
    }
}

/// One of `allowed`, or `default` when absent or `null`.
fn one_of(
    map: &Map<String, Value>,
    key: &str,
    allowed: &[&str],
    default: &str,
) -> Result<String, ArtaError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(default.into()),
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(v.clone()),
        Some(_) => Err(bad(key, format!("must be one of {}", allowed.join(", ")))),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A `Location`: an object whose documented fields have their documented types.
fn location(value: &Value, path: &str) -> Result<Value, ArtaError> {
    let Value::Object(map) = value else {
        return Err(bad(path, "must be an object"));
    };
    for key in [
        "title",
        "address_line_1",
        "address_line_2",
        "address_line_3",
        "city",
        "region",
        "postal_code",
        "country",
    ] {
        opt_string(map, key, path)?;
    }
    if let Some(Value::String(country)) = map.get("country")
        && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(bad(
            &join(path, "country"),
            "must be an ISO 3166-1 alpha-2 code (`US`)",
        ));
    }
    let mut out = map.clone();
    let contacts = match map.get("contacts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(contacts)) => contacts.clone(),
        Some(_) => return Err(bad(&join(path, "contacts"), "must be a list")),
    };
    for (i, contact) in contacts.iter().enumerate() {
        let at = format!("{}[{i}]", join(path, "contacts"));
        let Value::Object(c) = contact else {
            return Err(bad(&at, "must be an object"));
        };
        for key in ["name", "email_address", "phone_number"] {
            opt_string(c, key, &at)?;
        }
    }
    out.insert("contacts".into(), Value::Array(contacts));
    out.insert(
        "access_restrictions".into(),
        json!(string_list(map, "access_restrictions", path)?),
    );
    Ok(Value::Object(out))
}

/// A dimension or weight: a JSON number or a string holding one, not negative; served as a
/// string, as Arta's reference types it (`depth string`). Arta's own Node SDK sends numbers or
/// strings.
fn measure(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<Value>, ArtaError> {
    let text = match map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            return Err(bad(
                &join(path, key),
                "must be a number or a numeric string",
            ));
        }
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && !text.is_empty() => Ok(Some(Value::String(text))),
        _ => Err(bad(
            &join(path, key),
            format!("must be a number, 0 or more, got `{text}`"),
        )),
    }
}

/// Money as Arta's reference writes it: `^(0|([1-9]+[0-9]*))(\.[0-9]{1,2})?$`.
fn is_money(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok =
        frac.is_none_or(|f| (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

/// An `Object` of the create request, checked field by field and completed with the
/// documented defaults and a new id.
fn object(value: &Value, path: &str) -> Result<Value, ArtaError> {
    let Value::Object(map) = value else {
        return Err(bad(path, "must be an object"));
    };
    let mut out = map.clone();
    for key in ["depth", "height", "width", "weight"] {
        match measure(map, key, path)? {
            Some(v) => out.insert(key.into(), v),
            None => out.remove(key),
        };
    }
    for (key, allowed) in [
        ("unit_of_measurement", &["in", "cm"]),
        ("weight_unit", &["lb", "kg"]),
    ] {
        match map.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if allowed.contains(&v.as_str()) => {}
            Some(_) => {
                return Err(bad(
                    &join(path, key),
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
        }
    }
    opt_string(map, "type", path)?;
    if let Some(subtype) = opt_string(map, "subtype", path)?
        && (!(1..=56).contains(&subtype.len())
            || !subtype
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    {
        return Err(bad(&join(path, "subtype"), "must match ^[0-9a-z_]{1,56}$"));
    }
    match map.get("value") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if is_money(v) => {}
        Some(_) => {
            return Err(bad(
                &join(path, "value"),
                "must be an amount as a string with at most two decimals (`100.00`)",
            ));
        }
    }
    let currency = opt_string(map, "value_currency", path)?.unwrap_or_else(|| "USD".into());
    if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(bad(&join(path, "value_currency"), "must match ^[A-Z]{3}$"));
    }
    out.insert("value_currency".into(), json!(currency));
    let details_path = join(path, "details");
    let details = match map.get("details") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(_) => return Err(bad(&details_path, "must be an object")),
    };
    let mut details_out = details.clone();
    for key in ["title", "creator", "creation_date", "notes"] {
        details_out.insert(key.into(), json!(opt_string(&details, key, &details_path)?));
    }
    for key in ["is_cites", "is_fragile"] {
        details_out.insert(
            key.into(),
            json!(opt_bool(&details, key, &details_path)?.unwrap_or(false)),
        );
    }
    details_out.insert(
        "materials".into(),
        json!(string_list(&details, "materials", &details_path)?),
    );
    out.insert("details".into(), Value::Object(details_out));
    for key in ["current_packing", "images"] {
        out.insert(key.into(), json!(string_list(map, key, path)?));
    }
    for key in ["internal_reference", "public_reference"] {
        out.insert(key.into(), json!(opt_reference(map, key, path)?));
    }
    out.insert("id".into(), json!(fastrand::u32(10_000..u32::MAX)));
    Ok(Value::Object(out))
}

/// A tag name as Arta's reference allows it: `^[a-z0-9-]{1,50}$`; the simulator creates the
/// tag (every documented field of `Tag`).
fn tag(value: &Value, path: &str, now: &str) -> Result<Value, ArtaError> {
    match value {
        Value::String(name)
            if (1..=50).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            Ok(json!({
                "id": support::uuid(),
                "name": name,
                "color": "000000",
                "description": null,
                "is_active": true,
                "created_by": null,
                "updated_by": null,
                "created_at": now,
                "updated_at": now,
            }))
        }
        _ => Err(bad(path, "must be a tag name matching ^[a-z0-9-]{1,50}$")),
    }
}

/// Checks a create body as Arta's reference describes it (`BookingSession` or
/// `InboundBookingSession`) and returns the new session, without id, token and url. Refusals
/// are 400 with a detail naming the field, the only error the reference documents for this
/// operation. Unknown fields are ignored.
fn new_session(
    input: &Map<String, Value>,
    now: jiff::civil::DateTime,
) -> Result<HostedSession, ArtaError> {
    if input.contains_key("request_id") {
        return Err(ArtaError::bad_request(
            "request_id: the simulator has no quote requests to share; create a booking \
             session (objects and origin) instead",
        ));
    }
    let session_type = one_of(input, "type", &["booking", "inbound_booking"], "booking")?;
    let present = |k: &str| input.get(k).is_some_and(|v| !v.is_null());
    if session_type == "booking" {
        for required in ["objects", "origin"] {
            if !present(required) {
                return Err(bad(required, "can't be blank"));
            }
        }
    } else if !present("destination") {
        return Err(bad("destination", "can't be blank"));
    }
    let objects = match input.get("objects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(objects)) => objects
            .iter()
            .enumerate()
            .map(|(i, o)| object(o, &format!("objects[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(bad("objects", "must be a list")),
    };
    if session_type == "booking" && objects.is_empty() {
        return Err(bad("objects", "must list at least one object"));
    }
    let origin = match input.get("origin") {
        None | Some(Value::Null) => Value::Null,
        Some(v) => location(v, "origin")?,
    };
    let destination = match input.get("destination") {
        None | Some(Value::Null) => Value::Null,
        Some(v) => location(v, "destination")?,
    };
    let stamp = timestamp::format(now);
    let tags = match input.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .enumerate()
            .map(|(i, n)| tag(n, &format!("tags[{i}]"), &stamp))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("tags", "must be a list of tag names")),
    };
    let preferred_parcel_transport_services = match input.get("preferred_parcel_transport_services")
    {
        None | Some(Value::Null) => None,
        Some(_) => Some(string_list(
            input,
            "preferred_parcel_transport_services",
            "",
        )?),
    };
    let instruction = |key: &str| opt_string(input, key, "");
    Ok(HostedSession {
        id: 0,
        status: session_status::NEW.into(),
        shortcode: support::shortcode(),
        session_type,
        url: None,
        success_url: opt_string(input, "success_url", "")?.unwrap_or_default(),
        cancel_url: opt_string(input, "cancel_url", "")?.unwrap_or_default(),
        private_token: String::new(),
        origin,
        destination,
        objects,
        additional_services: string_list(input, "additional_services", "")?,
        insurance: opt_string(input, "insurance", "")?,
        payment_process: "invoicing".into(),
        preferred_quote_types: string_list(input, "preferred_quote_types", "")?,
        preferred_parcel_transport_services,
        quoting_strategy: one_of(input, "quoting_strategy", &QUOTING_STRATEGIES, "best_rate")?,
        customs_end_use: one_of(
            input,
            "customs_end_use",
            &CUSTOMS_END_USES,
            "not_for_resale",
        )?,
        customs_process: one_of(input, "customs_process", &CUSTOMS_PROCESSES, "ddu")?,
        can_user_confirm_object_dimensions: opt_bool(
            input,
            "can_user_confirm_object_dimensions",
            "",
        )?
        .unwrap_or(false),
        internal_reference: opt_reference(input, "internal_reference", "")?,
        public_reference: opt_reference(input, "public_reference", "")?,
        shipping_notes: opt_string(input, "shipping_notes", "")?,
        public_instructions_booking_review: instruction("public_instructions_booking_review")?,
        public_instructions_confirmation: instruction("public_instructions_confirmation")?,
        public_instructions_location_quotes: instruction("public_instructions_location_quotes")?,
        public_instructions_payment: instruction("public_instructions_payment")?,
        public_instructions_object_details: instruction("public_instructions_object_details")?,
        tags,
        created_at: now,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(objects: Value) -> Map<String, Value> {
        match json!({"origin": {"city": "New York", "country": "US"}, "objects": objects}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn now() -> jiff::civil::DateTime {
        jiff::civil::datetime(2026, 11, 24, 12, 0, 0, 0)
    }

    #[test]
    fn dimensions_are_read_as_numbers_or_strings_and_served_as_strings() {
        let s = new_session(
            &input(json!([{"depth": 2, "height": "24", "width": 36.5, "weight": "1"}])),
            now(),
        )
        .unwrap();
        let o = &s.objects[0];
        assert_eq!(o["depth"], "2");
        assert_eq!(o["height"], "24");
        assert_eq!(o["width"], "36.5");
        assert_eq!(o["value_currency"], "USD");
        assert_eq!(s.quoting_strategy, "best_rate");
        assert_eq!(s.customs_end_use, "not_for_resale");
        assert_eq!(s.customs_process, "ddu");
    }

    #[test]
    fn invalid_object_fields_are_refused_with_their_path() {
        for (object, path) in [
            (json!({"depth": "two"}), "objects[0].depth"),
            (json!({"depth": -1}), "objects[0].depth"),
            (json!({"depth": true}), "objects[0].depth"),
            (
                json!({"unit_of_measurement": "mm"}),
                "objects[0].unit_of_measurement",
            ),
            (json!({"value": "10.001"}), "objects[0].value"),
            (
                json!({"value_currency": "usd"}),
                "objects[0].value_currency",
            ),
            (json!({"subtype": "Painting"}), "objects[0].subtype"),
            (
                json!({"details": {"is_fragile": "yes"}}),
                "objects[0].details.is_fragile",
            ),
            (json!({"images": [1]}), "objects[0].images"),
        ] {
            let err = new_session(&input(json!([object])), now()).unwrap_err();
            let body = format!("{err:?}");
            assert!(body.contains(path), "{path}: {body}");
        }
    }

    #[test]
    fn money_pattern() {
        for ok in ["0", "100", "100.00", "1.5"] {
            assert!(is_money(ok), "{ok}");
        }
        for no in ["", "01", "1.", "1.234", "-1", "1e3"] {
            assert!(!is_money(no), "{no}");
        }
    }
}
