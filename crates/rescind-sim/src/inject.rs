//! The middleware that applies [`FaultRule`](crate::faults::FaultRule)s and counts requests.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::Sim;
use crate::faults::{FaultAction, envelope};
use crate::operation::Operation;
use crate::server::ConnectionKiller;

/// The prefix of the admin routes, which faults and counters leave alone.
const ADMIN_PREFIX: &str = "/__sim/";

/// The largest request body a `late` fault keeps (a bigger one is kept empty, so that the
/// provider's rules refuse its replay).
const HELD_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Counts the request (per operation and per path), then applies the first matching fault, if
/// any, and counts a 429 answer. The handler runs in the scope of the request's operation, so
/// that the changes it applies are counted for it.
pub(crate) async fn faults(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut operation = Operation::of(method.as_str(), &path);
    let mut request = request;
    if operation.is_some_and(Operation::needs_body) {
        // Skip Pay's order cancel is two operations, told apart by the body.
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, HELD_BODY_LIMIT)
            .await
            .unwrap_or_default();
        operation = Operation::of_request(method.as_str(), &path, &body);
        request = Request::from_parts(parts, axum::body::Body::from(body));
    }
    sim.counters().request(operation, method.as_str(), &path);
    let response = match operation {
        Some(op) => {
            crate::counters::CURRENT
                .scope(
                    op,
                    handle(sim.clone(), request, next, operation, method, path),
                )
                .await
        }
        None => handle(sim.clone(), request, next, operation, method, path).await,
    };
    if let Some(op) = operation
        && response.status() == StatusCode::TOO_MANY_REQUESTS
    {
        sim.counters().rate_limited(op);
    }
    response
}

/// Applies the first matching fault, if any, or lets the request through.
async fn handle(
    sim: Sim,
    request: Request,
    next: Next,
    operation: Option<Operation>,
    method: http::Method,
    path: String,
) -> Response {
    let Some(rule) = sim.faults().take_for(operation, method.as_str(), &path) else {
        return next.run(request).await;
    };
    tracing::debug!(%method, %path, ?operation, action = ?rule.action, apply = rule.apply, late = rule.late, "injecting fault");
    let killer = request.extensions().get::<ConnectionKiller>().cloned();
    if let Some(millis) = rule.delay_ms {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
    // Marks the held request's client gone when this future ends (answered or dropped).
    let mut _waiting = None;
    if rule.late {
        let (parts, body) = request.into_parts();
        let body = match axum::body::to_bytes(body, HELD_BODY_LIMIT).await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(%method, %path, error = %e, "held request body not kept");
                bytes::Bytes::new()
            }
        };
        _waiting = Some(sim.held_store().keep(parts, body, next, operation));
    } else {
        if rule.action.is_none() {
            return next.run(request).await;
        }
        if rule.apply {
            // The real effect happens; the client just never learns of it.
            let _ = next.run(request).await;
        }
    }
    let action = rule.action.unwrap_or(FaultAction::Hold);
    if action == FaultAction::Drop
        && let Some(killer) = killer
    {
        killer.kill();
    }
    match answer(action, &path) {
        Some(response) => response,
        // Nothing is answered: the future is dropped when the connection closes (the client
        // gives up, a drop kills it, or a held request is applied or discarded).
        None => std::future::pending::<Response>().await,
    }
}

/// The answer of an action (none for `drop` and `hold`).
fn answer(action: FaultAction, path: &str) -> Option<Response> {
    let with_type = |status: u16, content_type: Option<&str>, body: String| {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, body).into_response();
        // `String` bodies come with `text/plain`; each fault says its own type, or none.
        resp.headers_mut().remove(header::CONTENT_TYPE);
        if let Some(value) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
            resp.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        resp
    };
    Some(match action {
        FaultAction::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                format!(r#"{{"message":"simulated fault: {}"}}"#, status.as_u16()),
            )
                .into_response();
            if let Some(secs) = retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            resp
        }
        FaultAction::MalformedJson => with_type(
            200,
            Some("application/json"),
            r#"{"id": 1, "status": "cance"#.to_owned(),
        ),
        FaultAction::Html => with_type(
            502,
            Some("text/html"),
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
                .to_owned(),
        ),
        FaultAction::Empty => StatusCode::OK.into_response(),
        FaultAction::Oversized { bytes } => {
            let mut body = String::with_capacity(bytes + 16);
            body.push_str(r#"{"padding":""#);
            body.extend(std::iter::repeat_n('x', bytes.saturating_sub(16)));
            body.push_str(r#""}"#);
            with_type(200, Some("application/json"), body)
        }
        FaultAction::UnexpectedJson => {
            with_type(200, Some("application/json"), r#"{"padding":"xxxx"}"#.to_owned())
        }
        FaultAction::Envelope { status } => {
            let (content_type, body) = envelope(path, status);
            with_type(status, Some(content_type), body)
        }
        FaultAction::GatewayText { status } => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            with_type(status, Some("text/plain"), format!("{status} {reason}\n"))
        }
        FaultAction::Body {
            status,
            content_type,
            body,
        } => with_type(status, content_type.as_deref(), body),
        FaultAction::Redirect { status, location } => {
            let mut resp = with_type(status, None, String::new());
            if let Ok(value) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, value);
            }
            resp
        }
        FaultAction::Drop | FaultAction::Hold => return None,
    })
}
