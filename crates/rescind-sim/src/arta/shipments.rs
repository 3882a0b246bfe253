//! `/shipments` (read only, as for a client) and the admin endpoints that book a shipment and
//! move it along, as Arta's staff and carriers do.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::error::ArtaError;
use super::support::{self, Authorized, PageQuery, QueryParams};
use super::wire::{SHIPMENT_STATUSES, Shipment, timestamp};
use crate::Sim;

/// A shipment as Arta serves it: every documented field, its exceptions without
/// `shipment_id`.
pub(crate) fn render(shipment: &Shipment) -> Value {
    let mut v = shipment.to_json();
    if let Some(exceptions) = v.get_mut("exceptions").and_then(Value::as_array_mut) {
        for e in exceptions {
            if let Some(map) = e.as_object_mut() {
                map.remove("shipment_id");
            }
        }
    }
    v
}

/// `GET /shipments/{id}`.
pub(crate) async fn get(
    _: Authorized,
    State(sim): State<Sim>,
    Path(id): Path<String>,
) -> Result<Response, ArtaError> {
    let body = sim
        .store()
        .shipments
        .with(id.as_str(), |s| {
            s.rendered(|s| support::json_bytes(&render(s)))
        })
        .ok_or_else(ArtaError::not_found)?;
    Ok(support::json_answer(StatusCode::OK, body))
}

/// `GET /shipments`: one page; `search` supports `field:value` terms on `id`, `status`,
/// `shortcode` and `hosted_session_id` (terms on one field are OR-ed, fields AND-ed).
pub(crate) async fn list(
    _: Authorized,
    State(sim): State<Sim>,
    query: QueryParams,
) -> Result<Response, ArtaError> {
    let query = query.map_err(|e| ArtaError::bad_request(e.body_text()))?;
    let page = PageQuery::read(&query)?;
    let search = match query.get("search") {
        Some(s) => parse_search(s)?,
        None => Vec::new(),
    };
    let shipments: Vec<Shipment> = sim
        .store()
        .shipments
        .all()
        .into_iter()
        .filter(|s| matches_search(s, &search))
        .collect();
    let body = page.page(
        shipments,
        |s| {
            (
                s.created_at,
                s.updated_at.unwrap_or(s.created_at),
                s.id.clone(),
            )
        },
        render,
    );
    Ok(Json(body).into_response())
}

const SEARCH_FIELDS: [&str; 4] = ["id", "status", "shortcode", "hosted_session_id"];

fn parse_search(search: &str) -> Result<Vec<(String, String)>, ArtaError> {
    search
        .split_whitespace()
        .map(|term| match term.split_once(':') {
            Some((field, value)) if SEARCH_FIELDS.contains(&field) && !value.is_empty() => {
                Ok((field.to_string(), value.to_string()))
            }
            _ => Err(ArtaError::bad_request(format!(
                "search: the simulator understands `field:value` terms on {} only, got `{term}`",
                SEARCH_FIELDS.join(", ")
            ))),
        })
        .collect()
}

fn matches_search(shipment: &Shipment, terms: &[(String, String)]) -> bool {
    SEARCH_FIELDS.iter().all(|field| {
        let mut values = terms.iter().filter(|(f, _)| f == field).peekable();
        if values.peek().is_none() {
            return true;
        }
        let actual = match *field {
            "id" => Some(shipment.id.clone()),
            "status" => Some(shipment.status.clone()),
            "shortcode" => shipment.shortcode.clone(),
            _ => shipment.hosted_session_id.map(|id| id.to_string()),
        };
        values.any(|(_, v)| actual.as_deref() == Some(v.as_str()))
    })
}

/// `POST /__sim/arta/shipments`: books a shipment (as a customer does from a quote). The body
/// is a shipment in Arta's shape, every field optional: `id` defaults to a new UUID, `status`
/// to `pending`, `created_at` and `updated_at` to now, `shortcode` to a new one. 201 with the
/// shipment; 409 if the id exists.
pub(crate) async fn admin_create(
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ArtaError> {
    let mut input = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        support::json_object(&headers, &body)?
    };
    let now = timestamp::format(support::now(&sim));
    let defaults = [
        ("id", json!(support::uuid())),
        ("status", json!("pending")),
        ("created_at", json!(now)),
        ("updated_at", json!(now)),
        ("shortcode", json!(support::shortcode())),
        ("exceptions", json!([])),
    ];
    for (key, value) in defaults {
        if input.get(key).is_none_or(Value::is_null) {
            input.insert(key.into(), value);
        }
    }
    let shipment: Shipment = serde_path_to_error::deserialize(Value::Object(input))
        .map_err(|e| ArtaError::bad_request(format!("{}: {}", e.path(), e.inner())))?;
    if !SHIPMENT_STATUSES.contains(&shipment.status.as_str()) {
        return Err(ArtaError::bad_request(format!(
            "status: must be one of {}",
            SHIPMENT_STATUSES.join(", ")
        )));
    }
    sim.store().shipments.insert(|existing| {
        if existing.iter().any(|s| s.id == shipment.id) {
            return Err(ArtaError::detail(
                StatusCode::CONFLICT,
                format!("shipment {} exists", shipment.id),
            ));
        }
        Ok(shipment.clone())
    })?;
    Ok((StatusCode::CREATED, Json(render(&shipment))).into_response())
}

/// `POST /__sim/arta/shipments/{id}/status` with `{"status": "collected"}`: moves a shipment
/// to any of Arta's six statuses (no transition is refused, so a test can set up any case),
/// sets `updated_at` and the status's `*_at` time. 200 with the shipment.
pub(crate) async fn admin_set_status(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ArtaError> {
    let input = support::json_object(&headers, &body)?;
    let status = match input
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| SHIPMENT_STATUSES.contains(s))
    {
        Some(status) => status.to_string(),
        None => {
            return Err(ArtaError::bad_request(
                "status: must be one of pending, confirmed, collected, in_transit, completed, cancelled",
            ));
        }
    };
    let now = support::now(&sim);
    let shipment = sim
        .store()
        .shipments
        .with(id.as_str(), |slot| {
            let s = slot.get_mut();
            match status.as_str() {
                "confirmed" => s.confirmed_at = Some(now),
                "collected" => s.collected_at = Some(now),
                "in_transit" => s.in_transit_at = Some(now),
                "completed" => s.completed_at = Some(now),
                "cancelled" => s.cancelled_at = Some(now),
                _ => {}
            }
            s.status = status;
            s.updated_at = Some(now);
            s.clone()
        })
        .ok_or_else(ArtaError::not_found)?;
    Ok(Json(render(&shipment)).into_response())
}
