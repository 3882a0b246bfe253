//! `/shipment_exceptions`: create a hold (the rules are checked here, independently of any
//! client), list, read.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::Value;

use super::error::{ArtaError, FieldErrors};
use super::support::{self, Authorized, PageQuery, QueryParams};
use super::wire::{ShipmentException, timestamp};
use crate::Sim;

/// The only type a client may create.
const HOLD_TO_COLLECT: &str = "requested_hold_to_collect";

/// Days after a shipment's creation date that `hold_until` may reach, that day included.
pub(crate) const HOLD_WINDOW_DAYS: i64 = 30;

/// The statuses in which a shipment accepts a hold (the reference: "A shipment must have a
/// `pending` or `confirmed` status").
const HOLDABLE: [&str; 2] = ["pending", "confirmed"];

/// Every exception with its `shipment_id` filled in from the shipment that holds it.
fn all_exceptions(sim: &Sim) -> Vec<ShipmentException> {
    sim.store()
        .shipments
        .all()
        .iter()
        .flat_map(|s| {
            s.exceptions.iter().map(|e| {
                let mut e = e.clone();
                e.shipment_id = Some(s.id.clone());
                e
            })
        })
        .collect()
}

/// `GET /shipment_exceptions/{id}`.
pub(crate) async fn get(
    _: Authorized,
    State(sim): State<Sim>,
    Path(id): Path<String>,
) -> Result<Response, ArtaError> {
    let exception = all_exceptions(&sim)
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(ArtaError::not_found)?;
    Ok(Json(exception).into_response())
}

/// `GET /shipment_exceptions`: one page of every shipment's exceptions.
pub(crate) async fn list(
    _: Authorized,
    State(sim): State<Sim>,
    query: QueryParams,
) -> Result<Response, ArtaError> {
    let query = query.map_err(|e| ArtaError::bad_request(e.body_text()))?;
    let page = PageQuery::read(&query)?;
    let body = page.page(
        all_exceptions(&sim),
        |e| (e.created_at, e.updated_at, e.id.clone()),
        support::to_value,
    );
    Ok(Json(body).into_response())
}

/// The checked fields of a create request.
struct NewHold {
    shipment_id: String,
    hold_until: Option<Date>,
}

/// Reads `{"type", "shipment_id", "hold_until"?}`: every field problem at once, as 422.
fn read_new_hold(input: &serde_json::Map<String, Value>) -> Result<NewHold, ArtaError> {
    let mut errors = FieldErrors::default();
    match input.get("type") {
        None | Some(Value::Null) => errors.add("type", "can't be blank"),
        Some(Value::String(t)) if t == HOLD_TO_COLLECT => {}
        Some(Value::String(t)) if t.is_empty() => errors.add("type", "can't be blank"),
        Some(Value::String(t)) => errors.add(
            "type",
            format!(
                "is invalid: clients can create shipment exceptions of type \
                 {HOLD_TO_COLLECT} only, got `{t}`"
            ),
        ),
        Some(_) => errors.add("type", "is invalid"),
    }
    let shipment_id = match input.get("shipment_id") {
        None | Some(Value::Null) => {
            errors.add("shipment_id", "can't be blank");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.add("shipment_id", "can't be blank");
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add("shipment_id", "is invalid");
            None
        }
    };
    let hold_until = match input.get("hold_until") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match parse_date(s) {
            Some(d) => Some(d),
            None => {
                errors.add("hold_until", "is invalid: expected a date as YYYY-MM-DD");
                None
            }
        },
        Some(_) => {
            errors.add("hold_until", "is invalid: expected a date as YYYY-MM-DD");
            None
        }
    };
    match shipment_id {
        Some(shipment_id) if errors.is_empty() => Ok(NewHold {
            shipment_id,
            hold_until,
        }),
        _ => Err(ArtaError::fields(errors)),
    }
}

/// `YYYY-MM-DD` and nothing else.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    s.parse().ok()
}

/// `POST /shipment_exceptions` with `{"shipment_exception": {...}}`: 201 with a new
/// `requested_hold_to_collect` exception (status `new`), or 400/422 in Arta's shapes. Not
/// idempotent: every accepted request creates one more exception.
pub(crate) async fn create(
    _: Authorized,
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ArtaError> {
    let input = support::envelope(&headers, &body, "shipment_exception")?;
    let new = read_new_hold(&input)?;
    let now = support::now(&sim);
    let exception = sim
        .store()
        .shipments
        .with(new.shipment_id.as_str(), |slot| {
            let shipment = slot.get();
            let status = shipment.status.as_str();
            if !HOLDABLE.contains(&status) {
                return Err(ArtaError::field(
                    "shipment_id",
                    format!(
                        "a shipment must have a pending or confirmed status to create a \
                     {HOLD_TO_COLLECT} shipment exception; shipment {} is {status}",
                        shipment.id
                    ),
                ));
            }
            // `hold_until` before today is not refused: Arta documents one rule for the date
            // (at most 30 days after the shipment's `created_at`) and none about the past, and its
            // own request example (`"hold_until": "2023-08-15"`) is such a date today. The client
            // (`rescind_arta::rules`) does not refuse it either; see the module docs.
            if let Some(until) = new.hold_until {
                let last = shipment
                    .created_at
                    .date()
                    .checked_add(HOLD_WINDOW_DAYS.days())
                    .map_err(|_| ArtaError::field("hold_until", "is out of range"))?;
                if until > last {
                    return Err(ArtaError::field(
                        "hold_until",
                        format!(
                            "cannot be greater than {HOLD_WINDOW_DAYS} days from the shipment's \
                         created_at ({}): {last} at the latest, got {until}",
                            timestamp::format(shipment.created_at)
                        ),
                    ));
                }
            }
            let exception = ShipmentException {
                id: support::uuid(),
                exception_type: HOLD_TO_COLLECT.into(),
                status: "new".into(),
                source: "api".into(),
                hold_until: new.hold_until,
                shipment_id: Some(shipment.id.clone()),
                package_id: None,
                resolution: None,
                exception_type_label: None,
                created_at: now,
                updated_at: now,
            };
            let shipment = slot.get_mut();
            shipment.exceptions.push(exception.clone());
            shipment.updated_at = Some(now);
            Ok(exception)
        })
        .ok_or_else(|| ArtaError::field("shipment_id", "does not exist"))??;
    if let Some(shipment_id) = &exception.shipment_id {
        sim.counters()
            .applied(format!("arta:shipment:{shipment_id}:hold"));
    }
    Ok((StatusCode::CREATED, Json(exception)).into_response())
}
