//! Admin endpoints under `/__sim/`, a prefix no provider uses: faults and held requests, clock,
//! counters, reset.
//!
//! | method and path | body | effect |
//! |---|---|---|
//! | `GET /__sim/counters` | | `{"applied": {key: n}, "hits": {"METHOD /path": n}, "operations": {"di_cancel_order": {"requests", "rate_limited", "applied"}}}` ([`Snapshot`](crate::Snapshot)) |
//! | `DELETE /__sim/counters` | | counters back to zero |
//! | `GET /__sim/faults` | | the fault rules in force |
//! | `POST /__sim/faults` | a [`FaultRule`], e.g. `{"operation": "di_cancel_order", "action": {"kind": "drop"}, "times": 1}` or `{"method": "PATCH", "path": "/hosted_sessions/*/cancel", ...}` | adds the rule |
//! | `DELETE /__sim/faults` | | removes every rule (held requests stay held) |
//! | `GET /__sim/faults/held` | | the requests a `late` fault keeps: `[{"id", "method", "path", "client_waiting"}]` |
//! | `POST /__sim/faults/held/{id}/apply` | | replays it through the real handler: `{"id", "status"}` (the status no client saw); 404 when not held |
//! | `POST /__sim/faults/held/apply` | | applies every held request, oldest first: `[{"id", "status"}]` |
//! | `DELETE /__sim/faults/held/{id}` | | forgets it, never applied; 404 when not held |
//! | `DELETE /__sim/faults/held` | | forgets every held request: `{"discarded": n}` |
//! | `GET /__sim/clock` | | `{"now": "...", "fixed": bool}` |
//! | `POST /__sim/clock` | `{"now": "2026-03-29T00:30:00Z"}`, `{"advance_seconds": 3600}` or `{"real": true}` | sets the clock |
//! | `POST /__sim/reset` | | state back to the seed, no faults, no held requests (discarded), counters at zero |
//! | `GET /__sim/state` | | the whole state, in the seed file's format |

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;

use crate::Sim;
use crate::faults::FaultRule;

/// The admin routes.
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/__sim/counters", get(counters).delete(reset_counters))
        .route(
            "/__sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/__sim/faults/held",
            get(list_held).delete(discard_all_held),
        )
        .route(
            "/__sim/faults/held/apply",
            axum::routing::post(apply_all_held),
        )
        .route(
            "/__sim/faults/held/{id}",
            axum::routing::delete(discard_held),
        )
        .route(
            "/__sim/faults/held/{id}/apply",
            axum::routing::post(apply_held),
        )
        .route("/__sim/clock", get(clock).post(set_clock))
        .route("/__sim/reset", axum::routing::post(reset))
        .route("/__sim/state", get(state))
}

async fn counters(State(sim): State<Sim>) -> Response {
    Json(sim.counters().snapshot()).into_response()
}

async fn reset_counters(State(sim): State<Sim>) -> StatusCode {
    sim.counters().reset();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(sim): State<Sim>) -> Response {
    Json(sim.faults().list()).into_response()
}

async fn add_fault(State(sim): State<Sim>, Json(rule): Json<FaultRule>) -> StatusCode {
    sim.faults().add(rule);
    StatusCode::CREATED
}

async fn clear_faults(State(sim): State<Sim>) -> StatusCode {
    sim.faults().clear();
    StatusCode::NO_CONTENT
}

async fn list_held(State(sim): State<Sim>) -> Response {
    Json(sim.held()).into_response()
}

async fn apply_held(State(sim): State<Sim>, Path(id): Path<u64>) -> Response {
    match sim.apply_held(id).await {
        Some(applied) => Json(applied).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn apply_all_held(State(sim): State<Sim>) -> Response {
    Json(sim.apply_all_held().await).into_response()
}

async fn discard_held(State(sim): State<Sim>, Path(id): Path<u64>) -> StatusCode {
    if sim.discard_held(id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn discard_all_held(State(sim): State<Sim>) -> Response {
    Json(json!({"discarded": sim.discard_all_held()})).into_response()
}

async fn clock(State(sim): State<Sim>) -> Response {
    Json(json!({"now": sim.clock().now(), "fixed": sim.clock().is_fixed()})).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ClockChange {
    Set { now: Timestamp },
    Advance { advance_seconds: i64 },
    Real { real: bool },
}

async fn set_clock(State(sim): State<Sim>, Json(change): Json<ClockChange>) -> Response {
    match change {
        ClockChange::Set { now } => sim.clock().set(now),
        ClockChange::Advance { advance_seconds } => sim
            .clock()
            .advance(SignedDuration::from_secs(advance_seconds)),
        ClockChange::Real { real: true } => sim.clock().make_real(),
        ClockChange::Real { real: false } => {
            let now = sim.clock().now();
            sim.clock().set(now)
        }
    }
    clock(State(sim)).await
}

async fn reset(State(sim): State<Sim>) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}

async fn state(State(sim): State<Sim>) -> Response {
    Json(sim.world()).into_response()
}
