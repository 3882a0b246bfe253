//! `POST /__sim/skippay/applications/{id}/state`: the decisions a customer or Skip Pay makes
//! (approve, reject, validate, pay...), which the partner API cannot make.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;

use super::check;
use super::errors::{ApiError, json_bytes_response};
use super::wire::{ApplicationState, StateReason};
use super::{application_bytes, default_reason};
use crate::Sim;

const STATES: &[&str] = &["PROCESSING", "READY", "REJECTED", "CANCELLED"];

const REASONS: &[&str] = &[
    "PROCESSING_REDIRECT_NEEDED",
    "PROCESSING_PREAPPROVED",
    "PROCESSING_VALIDATION_IN_PROGRESS",
    "REJECTED",
    "CANCELLED_NOT_PAID",
    "READY_TO_SHIP",
    "READY_SHIPPED",
    "READY_DELIVERED",
    "READY_PAID",
    "CANCELLED_RETURNED",
];

/// Whether `reason` belongs to `state` (`READY_*` to READY, and so on).
fn fits(state: &str, reason: &str) -> bool {
    match state {
        "REJECTED" => reason == "REJECTED",
        other => reason.starts_with(&format!("{other}_")),
    }
}

/// Sets an application's state and state reason: `{"state": "READY"}` or `{"state": "READY",
/// "stateReason": "READY_PAID"}`. Any application, whoever owns it; the order is left as is.
pub(crate) async fn set_state(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse(&body).and_then(|(state, reason)| {
        sim.store()
            .applications
            .with(id.as_str(), |slot| {
                let app = slot.get_mut();
                app.state_reason = Some(reason.unwrap_or_else(|| default_reason(&state)));
                app.state = state;
                sim.counters()
                    .applied(format!("skippay:application:{id}:state"));
                Ok(application_bytes(app))
            })
            .unwrap_or_else(|| Err(ApiError::not_found("APPLICATION_NOT_FOUND", &id)))
    });
    match result {
        Ok(body) => json_bytes_response(StatusCode::OK, body),
        Err(e) => e.response(&sim),
    }
}

fn parse(bytes: &[u8]) -> Result<(ApplicationState, Option<StateReason>), ApiError> {
    let map = check::body_object(bytes)?;
    let state = check::opt_enum(&map, "state", "", STATES)?
        .ok_or_else(|| ApiError::invalid(Some("state"), "is required"))?;
    let reason = check::opt_enum(&map, "stateReason", "", REASONS)?;
    if let Some(r) = reason
        && !fits(state, r)
    {
        return Err(ApiError::invalid(
            Some("stateReason"),
            format!("{r} is not a reason of state {state}"),
        ));
    }
    let state = ApplicationState::parse(state)
        .ok_or_else(|| ApiError::invalid(Some("state"), "is not a state"))?;
    Ok((state, reason.and_then(StateReason::parse)))
}
