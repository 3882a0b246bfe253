//! The local server of the end-to-end figures: a minimal hyper server that answers Arta's
//! hosted-session read and cancel, Di's cancel and Skip Pay's order cancel (and their two
//! logins) with fixed bodies, without state.
//!
//! Why not the simulator: the simulator (axum, state behind a lock, fault middleware, counters)
//! does work per request that neither side of the comparison should pay for, and a session it
//! has cancelled stays cancelled, so 10,000 cancels would need 10,000 seeded sessions. This
//! server only matches the method and path, checks the API key, and answers a prepared body
//! (a cheap reference-counted copy). The cheaper the server, the larger the client's share of
//! each call, so the ratios are stricter, not kinder. Its own ceiling is measured in the same
//! run ([`crate::workload::Workload::Ceiling`]).
//!
//! Arta's paths: `GET /hosted_sessions/{id}` answers the documented session with status `new`;
//! `PATCH /hosted_sessions/{id}/cancel` answers it with status `cancelled`, each with the `id`
//! asked for (the client checks that a cancel's answer is about its target). A request without
//! `Authorization: ARTA_APIKey <key>` gets a 401, anything else a 404.
//!
//! Di's paths: `POST /ws/json/auth/v-3/login/{minutesValid}` answers Di's login
//! ([`fixtures::DI_LOGIN`], byte for byte, a 24-hour token); `DELETE
//! /ws/json/parcel/booking/v-1/order/cancel/{id}` answers 200 with an empty body (Di documents
//! no success body; its pages imply a 200, and the simulator answers the same), given
//! `Authorization: Bearer <that token>`.
//!
//! Skip Pay's paths: `POST /authentication/v1/partner` answers Skip Pay's login
//! ([`fixtures::SKIPPAY_LOGIN`], byte for byte); `PUT
//! /financing/v1/applications/{id}/order/cancel` answers Skip Pay's documented order (its
//! 200 example) with the order and items `CANCELLED` and `applicationInfo.id` the one asked
//! for, given `Authorization: Bearer <that token>`.
//!
//! The reads of a check-first cancel: Di's `GET /ws/json/parcel/booking/v-1/details/{id}`
//! answers Di's documented order details with a desired delivery date far ahead (cancellable);
//! Skip Pay's `GET /financing/v1/applications/{id}` answers its documented READY application
//! with the `id` asked for (its order not cancelled), each given the bearer token.
//!
//! A login is answered every time it is asked (no state); the clients ask once each, during
//! their untimed warm-up, and keep the token.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::fixtures;

/// The prepared answers.
#[derive(Debug)]
struct Bodies {
    open: (Bytes, Bytes),
    cancelled: (Bytes, Bytes),
    authorization: Bytes,
    di_login: Bytes,
    di_authorization: Bytes,
    skippay_login: Bytes,
    skippay_authorization: Bytes,
    skippay_cancelled: (Bytes, Bytes),
    di_details: Bytes,
    skippay_application: (Bytes, Bytes),
}

/// The requests the server answered, per route (for the tests that check that each side of a
/// comparison sends the same requests).
#[derive(Debug, Default)]
pub struct Counts {
    /// Logins (Di's and Skip Pay's).
    pub logins: AtomicU64,
    /// Reads (Arta's session read).
    pub reads: AtomicU64,
    /// Changes (Arta's, Di's and Skip Pay's cancels).
    pub changes: AtomicU64,
    /// Anything else (a 401, a 404).
    pub other: AtomicU64,
}

impl Counts {
    /// `(logins, reads, changes, other)` now.
    pub fn get(&self) -> (u64, u64, u64, u64) {
        (
            self.logins.load(Ordering::Relaxed),
            self.reads.load(Ordering::Relaxed),
            self.changes.load(Ordering::Relaxed),
            self.other.load(Ordering::Relaxed),
        )
    }
}

/// Serves on `listener` until the runtime stops. Each connection gets its own task.
pub async fn serve(listener: TcpListener) {
    serve_counting(listener, None).await;
}

/// [`serve`], counting the requests in `counts` when given.
pub async fn serve_counting(listener: TcpListener, counts: Option<Arc<Counts>>) {
    let bodies = Arc::new(Bodies {
        open: around_id(fixtures::arta_session_around_id("new")),
        cancelled: around_id(fixtures::arta_session_around_id("cancelled")),
        authorization: Bytes::from(format!("ARTA_APIKey {}", fixtures::ARTA_KEY)),
        di_login: Bytes::from_static(fixtures::DI_LOGIN.as_bytes()),
        di_authorization: Bytes::from(format!("Bearer {}", fixtures::di_token())),
        skippay_login: Bytes::from_static(fixtures::SKIPPAY_LOGIN.as_bytes()),
        skippay_authorization: Bytes::from(format!("Bearer {}", fixtures::skippay_token())),
        skippay_cancelled: around_id(fixtures::skippay_cancelled_order_around_id()),
        di_details: Bytes::from(fixtures::di_order_details_cancellable()),
        skippay_application: around_id(fixtures::skippay_application_around_id()),
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let bodies = bodies.clone();
        let counts = counts.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let bodies = bodies.clone();
                let counts = counts.clone();
                async move { Ok::<_, Infallible>(answer(&req, &bodies, counts.as_deref())) }
            });
            // A client closing its connection is the normal end here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds loopback on a free port and serves there on the current runtime; returns the address.
pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener));
    Ok(addr)
}

/// [`start`], counting the requests.
pub async fn start_counting() -> std::io::Result<(SocketAddr, Arc<Counts>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let counts = Arc::new(Counts::default());
    tokio::spawn(serve_counting(listener, Some(counts.clone())));
    Ok((addr, counts))
}

/// Which credentials a route asks for.
#[derive(Debug, Clone, Copy)]
enum Gate {
    Anonymous,
    Arta,
    Di,
    SkipPay,
}

fn answer(
    req: &Request<Incoming>,
    bodies: &Bodies,
    counts: Option<&Counts>,
) -> Response<Full<Bytes>> {
    let count = |c: fn(&Counts) -> &AtomicU64| {
        if let Some(counts) = counts {
            c(counts).fetch_add(1, Ordering::Relaxed);
        }
    };
    let segments: Vec<&str> = req.uri().path().trim_matches('/').split('/').collect();
    let (gate, status, body) = match (req.method(), segments.as_slice()) {
        (&Method::GET, ["hosted_sessions", id]) if is_id(id) => {
            (Gate::Arta, StatusCode::OK, session(&bodies.open, id))
        }
        (&Method::PATCH, ["hosted_sessions", id, "cancel"]) if is_id(id) => {
            (Gate::Arta, StatusCode::OK, session(&bodies.cancelled, id))
        }
        (&Method::POST, ["ws", "json", "auth", "v-3", "login", minutes]) if is_id(minutes) => {
            (Gate::Anonymous, StatusCode::OK, bodies.di_login.clone())
        }
        (
            &Method::DELETE,
            [
                "ws",
                "json",
                "parcel",
                "booking",
                "v-1",
                "order",
                "cancel",
                id,
            ],
        ) if is_id(id) => (Gate::Di, StatusCode::OK, Bytes::new()),
        (&Method::GET, ["ws", "json", "parcel", "booking", "v-1", "details", id]) if is_id(id) => {
            (Gate::Di, StatusCode::OK, bodies.di_details.clone())
        }
        (&Method::GET, ["financing", "v1", "applications", id]) if is_id(id) => (
            Gate::SkipPay,
            StatusCode::OK,
            session(&bodies.skippay_application, id),
        ),
        (&Method::POST, ["authentication", "v1", "partner"]) => (
            Gate::Anonymous,
            StatusCode::OK,
            bodies.skippay_login.clone(),
        ),
        (&Method::PUT, ["financing", "v1", "applications", id, "order", "cancel"]) if is_id(id) => {
            (
                Gate::SkipPay,
                StatusCode::OK,
                session(&bodies.skippay_cancelled, id),
            )
        }
        _ => {
            count(|c| &c.other);
            return reply(
                StatusCode::NOT_FOUND,
                Bytes::from_static(br#"{"errors":{"detail":"Not found"}}"#),
            );
        }
    };
    let expected = match gate {
        Gate::Anonymous => None,
        Gate::Arta => Some(&bodies.authorization),
        Gate::Di => Some(&bodies.di_authorization),
        Gate::SkipPay => Some(&bodies.skippay_authorization),
    };
    if let Some(expected) = expected {
        let authorized = req
            .headers()
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v.as_bytes() == expected.as_ref());
        if !authorized {
            count(|c| &c.other);
            return reply(
                StatusCode::UNAUTHORIZED,
                Bytes::from_static(br#"{"errors":{"detail":"Unauthorized"}}"#),
            );
        }
    }
    count(match (gate, req.method()) {
        (Gate::Anonymous, _) => |c| &c.logins,
        (_, &Method::GET) => |c| &c.reads,
        _ => |c| &c.changes,
    });
    reply(status, body)
}

fn around_id((prefix, suffix): (Vec<u8>, Vec<u8>)) -> (Bytes, Bytes) {
    (Bytes::from(prefix), Bytes::from(suffix))
}

fn is_id(segment: &str) -> bool {
    !segment.is_empty() && segment.len() <= 19 && segment.bytes().all(|b| b.is_ascii_digit())
}

/// The answer about `id` (one copy of the prepared body per answer).
fn session((prefix, suffix): &(Bytes, Bytes), id: &str) -> Bytes {
    let mut body = Vec::with_capacity(prefix.len() + id.len() + suffix.len());
    body.extend_from_slice(prefix);
    body.extend_from_slice(id.as_bytes());
    body.extend_from_slice(suffix);
    Bytes::from(body)
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-arta-request-id",
        http::HeaderValue::from_static("bench-request"),
    );
    resp
}
