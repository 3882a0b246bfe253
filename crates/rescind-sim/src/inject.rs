//! The middleware that applies [`FaultRule`](crate::faults::FaultRule)s and counts requests.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::Sim;
use crate::faults::FaultAction;
use crate::server::ConnectionKiller;

/// The prefix of the admin routes, which faults and counters leave alone.
const ADMIN_PREFIX: &str = "/__sim/";

/// Counts the request, then applies the first matching fault, if any.
pub(crate) async fn faults(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    if path.starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    sim.counters().hit(format!("{method} {path}"));

    let Some(rule) = sim.faults().take(&method, &path) else {
        return next.run(request).await;
    };
    tracing::debug!(%method, %path, action = ?rule.action, apply = rule.apply, "injecting fault");
    let killer = request.extensions().get::<ConnectionKiller>().cloned();
    if let Some(millis) = rule.delay_ms {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
    let Some(action) = rule.action else {
        return next.run(request).await;
    };
    if rule.apply {
        // The real effect happens; the client just never learns of it.
        let _ = next.run(request).await;
    }
    match action {
        FaultAction::Drop => {
            if let Some(killer) = killer {
                killer.kill();
            }
            std::future::pending::<Response>().await
        }
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
        FaultAction::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"id": 1, "status": "cance"#,
        )
            .into_response(),
        FaultAction::Html => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        FaultAction::Empty => StatusCode::OK.into_response(),
        FaultAction::Oversized { bytes } => {
            let mut body = String::with_capacity(bytes + 16);
            body.push_str(r#"{"padding":""#);
            body.extend(std::iter::repeat_n('x', bytes.saturating_sub(16)));
            body.push_str(r#""}"#);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    }
}
