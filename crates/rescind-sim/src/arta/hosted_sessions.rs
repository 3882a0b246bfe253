//! `/hosted_sessions`: create, list, read, cancel.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use rescind_arta::model::{HostedSession, HostedSessionStatus};
use serde_json::{Map, Value, json};

use super::error::ArtaError;
use super::support::{self, Authorized, PageQuery, QueryParams};
use crate::Sim;

/// Fields a list item leaves out (Arta's `HostedSessionListItem`).
const NOT_IN_LIST: [&str; 7] = [
    "customs_end_use",
    "customs_process",
    "public_instructions_booking_review",
    "public_instructions_confirmation",
    "public_instructions_location_quotes",
    "public_instructions_payment",
    "public_instructions_object_details",
];

/// Statuses in which a cancel is refused (final states other than `cancelled`).
fn cancel_refused_in(status: &HostedSessionStatus) -> bool {
    matches!(
        status,
        HostedSessionStatus::Closed | HostedSessionStatus::Expired
    )
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
    let session = sim
        .with_world(|w| w.arta.hosted_sessions.iter().find(|s| s.id == id).cloned())
        .ok_or_else(ArtaError::not_found)?;
    Ok(Json(session).into_response())
}

/// `PATCH /hosted_sessions/{id}/cancel`.
pub(crate) async fn cancel(
    _: Authorized,
    State(sim): State<Sim>,
    Path(id): Path<String>,
) -> Result<Response, ArtaError> {
    let id = parse_id(&id)?;
    let now = support::now(&sim);
    let (session, changed) = sim.with_world(|w| {
        let session = w
            .arta
            .hosted_sessions
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(ArtaError::not_found)?;
        if session.status == HostedSessionStatus::Cancelled {
            return Ok((session.clone(), false));
        }
        if cancel_refused_in(&session.status) {
            return Err(ArtaError::detail(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "hosted session {id} is {} and can no longer be cancelled",
                    session.status
                ),
            ));
        }
        session.status = HostedSessionStatus::Cancelled;
        session.updated_at = Some(now);
        Ok((session.clone(), true))
    })?;
    if changed {
        sim.counters()
            .applied(format!("arta:hosted_session:{id}:cancel"));
    }
    Ok(Json(session).into_response())
}

/// `GET /hosted_sessions`: one page of list items.
pub(crate) async fn list(
    _: Authorized,
    State(sim): State<Sim>,
    query: QueryParams,
) -> Result<Response, ArtaError> {
    let query = query.map_err(|e| ArtaError::bad_request(e.body_text()))?;
    let page = PageQuery::read(&query)?;
    let sessions = sim.with_world(|w| w.arta.hosted_sessions.clone());
    let body = page.page(
        sessions,
        |s| {
            (
                s.created_at.unwrap_or_default(),
                s.updated_at.unwrap_or_default(),
                format!("{:020}", s.id),
            )
        },
        list_item,
    );
    Ok(Json(body).into_response())
}

fn list_item(session: &HostedSession) -> Value {
    let mut v = support::to_value(session);
    if let Some(map) = v.as_object_mut() {
        for key in NOT_IN_LIST {
            map.remove(key);
        }
    }
    v
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
    let fields = session_fields(&input)?;
    let id = sim.with_world(|w| {
        let id = w
            .arta
            .hosted_sessions
            .iter()
            .map(|s| s.id)
            .max()
            .unwrap_or(0)
            + 1;
        let mut value = fields;
        let token = support::uuid();
        value.insert("id".into(), json!(id));
        value.insert(
            "url".into(),
            json!(format!("https://book.arta.io/b/{id}/{token}")),
        );
        value.insert("private_token".into(), json!(token));
        value.insert("created_at".into(), json!(timestamp(now)));
        value.insert("updated_at".into(), json!(timestamp(now)));
        let session: HostedSession = decode(Value::Object(value))?;
        w.arta.hosted_sessions.push(session.clone());
        Ok::<_, ArtaError>((id, session))
    })?;
    let (id, session) = id;
    sim.counters()
        .applied(format!("arta:hosted_session:{id}:create"));
    Ok((StatusCode::CREATED, Json(session)).into_response())
}

fn timestamp(dt: jiff::civil::DateTime) -> String {
    rescind_arta::model::timestamp::format(dt)
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ArtaError> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| ArtaError::bad_request(format!("{}: {}", e.path(), e.inner())))
}

/// Checks a create body as Arta's reference describes it and returns the session's fields
/// (without id, token, url and timestamps). Refusals are 400 with a detail, the only error
/// the reference documents for this operation.
fn session_fields(input: &Map<String, Value>) -> Result<Map<String, Value>, ArtaError> {
    if input.contains_key("request_id") {
        return Err(ArtaError::bad_request(
            "request_id: the simulator has no quote requests to share; create a booking \
             session (objects and origin) instead",
        ));
    }
    let session_type = match input.get("type") {
        None | Some(Value::Null) => "booking",
        Some(Value::String(t)) if t == "booking" || t == "inbound_booking" => t.as_str(),
        Some(_) => {
            return Err(ArtaError::bad_request(
                "type: must be booking or inbound_booking",
            ));
        }
    };
    let present = |k: &str| input.get(k).is_some_and(|v| !v.is_null());
    if session_type == "booking" {
        for required in ["objects", "origin"] {
            if !present(required) {
                return Err(ArtaError::bad_request(format!(
                    "{required}: can't be blank"
                )));
            }
        }
        if input
            .get("objects")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            return Err(ArtaError::bad_request(
                "objects: must list at least one object",
            ));
        }
    } else if !present("destination") {
        return Err(ArtaError::bad_request("destination: can't be blank"));
    }
    let one_of = |k: &str, allowed: &[&str], default: &str| -> Result<Value, ArtaError> {
        match input.get(k) {
            None | Some(Value::Null) => Ok(json!(default)),
            Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(json!(v)),
            Some(_) => Err(ArtaError::bad_request(format!(
                "{k}: must be one of {}",
                allowed.join(", ")
            ))),
        }
    };
    for reference in ["internal_reference", "public_reference"] {
        if let Some(Value::String(s)) = input.get(reference)
            && s.chars().count() > 255
        {
            return Err(ArtaError::bad_request(format!(
                "{reference}: should be at most 255 character(s)"
            )));
        }
    }

    let mut out = Map::new();
    out.insert("status".into(), json!("new"));
    out.insert("type".into(), json!(session_type));
    out.insert("shortcode".into(), json!(support::shortcode()));
    out.insert("payment_process".into(), json!("invoicing"));
    out.insert(
        "customs_end_use".into(),
        one_of(
            "customs_end_use",
            &["for_resale", "not_for_resale"],
            "not_for_resale",
        )?,
    );
    out.insert(
        "customs_process".into(),
        one_of("customs_process", &["ddu", "ddp", "ddp_optional"], "ddu")?,
    );
    out.insert(
        "quoting_strategy".into(),
        one_of(
            "quoting_strategy",
            &["best_rate", "compare_carriers"],
            "best_rate",
        )?,
    );
    for key in [
        "origin",
        "destination",
        "success_url",
        "cancel_url",
        "insurance",
        "internal_reference",
        "public_reference",
        "shipping_notes",
        "public_instructions_booking_review",
        "public_instructions_confirmation",
        "public_instructions_location_quotes",
        "public_instructions_payment",
        "public_instructions_object_details",
        "preferred_parcel_transport_services",
        "can_user_confirm_object_dimensions",
    ] {
        if let Some(v) = input.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    for list in ["additional_services", "preferred_quote_types"] {
        out.insert(
            list.into(),
            input.get(list).cloned().unwrap_or_else(|| json!([])),
        );
    }
    let mut objects = match input.get("objects") {
        Some(Value::Array(objects)) => objects.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(ArtaError::bad_request("objects: must be a list")),
    };
    for object in &mut objects {
        match object {
            Value::Object(map) => {
                map.insert("id".into(), json!(fastrand::u32(10_000..u32::MAX)));
            }
            _ => return Err(ArtaError::bad_request("objects: each must be an object")),
        }
    }
    out.insert("objects".into(), Value::Array(objects));
    let tags = match input.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| match n {
                Value::String(name) => Ok(json!({
                    "id": support::uuid(),
                    "name": name,
                    "color": "000000",
                    "is_active": true,
                })),
                _ => Err(ArtaError::bad_request("tags: must be a list of tag names")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ArtaError::bad_request("tags: must be a list of tag names")),
    };
    out.insert("tags".into(), Value::Array(tags));
    Ok(out)
}
