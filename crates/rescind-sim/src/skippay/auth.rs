//! `POST /authentication/v1/partner` and the bearer check of every `/financing/v1` route.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::response::Response;
use http::StatusCode;
use http::request::Parts;
use jiff::SignedDuration;
use serde_json::json;

use super::check;
use super::errors::{ApiError, json_response, unauthorized};
use super::{IssuedToken, SkipPayWorld};
use crate::Sim;

/// `POST /authentication/v1/partner` with `{"username", "password"}`.
pub(crate) async fn login(State(sim): State<Sim>, body: Bytes) -> Response {
    match issue(&sim, &body) {
        Ok(resp) => resp,
        Err(e) => e.response(&sim),
    }
}

fn issue(sim: &Sim, body: &[u8]) -> Result<Response, ApiError> {
    let map = check::body_object(body)?;
    let username = plain_str(&map, "username")?;
    let password = plain_str(&map, "password")?;
    let now = sim.clock().now();
    let token = new_token(sim);
    let lifetime = sim.store().rest_mut(|r| {
        let prune = r.skippay_tokens_to_prune();
        let world = &mut r.world.skippay;
        let known = world
            .partners
            .iter()
            .any(|p| p.username == username && p.password == password);
        if !known {
            return Err(ApiError::invalid(None, "Unable to authenticate partner"));
        }
        let lifetime = world.token_lifetime_seconds;
        let secs = i64::try_from(lifetime).unwrap_or(i64::MAX);
        let expires_at = now
            .saturating_add(SignedDuration::from_secs(secs))
            .unwrap_or(now);
        if prune {
            world.tokens.retain(|_, t| t.expires_at > now);
        }
        world.tokens.insert(
            token.clone(),
            IssuedToken {
                username: username.to_string(),
                expires_at,
            },
        );
        Ok(lifetime)
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"accessToken": token, "expiresIn": lifetime}),
    ))
}

/// A required string; unlike [`check::req_str`] it may be anything (a password is not trimmed
/// or limited).
fn plain_str<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<&'a str, ApiError> {
    match map.get(key) {
        Some(serde_json::Value::String(s)) => Ok(s),
        None | Some(serde_json::Value::Null) => Err(ApiError::invalid(Some(key), "is required")),
        Some(_) => Err(ApiError::invalid(Some(key), "must be a string")),
    }
}

/// A token of 48 characters (the documentation says "30+"), unguessable enough for a simulator.
fn new_token(sim: &Sim) -> String {
    let mut token = format!("sim-skippay-{:06}-", sim.next_number() % 1_000_000);
    while token.len() < 48 {
        token.push(fastrand::alphanumeric());
    }
    token
}

/// The partner a valid bearer token belongs to. Rejects with the documented 401 bodies.
#[derive(Debug, Clone)]
pub(crate) struct Partner(pub(crate) String);

impl FromRequestParts<Sim> for Partner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(http::header::AUTHORIZATION) else {
            return Err(unauthorized(true));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_string());
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(unauthorized(false));
        };
        let now = sim.clock().now();
        sim.store()
            .rest(|r| partner_of(&r.world.skippay, &token, now))
            .map(Partner)
            .ok_or_else(|| unauthorized(false))
    }
}

fn partner_of(world: &SkipPayWorld, token: &str, now: jiff::Timestamp) -> Option<String> {
    world
        .tokens
        .get(token)
        .filter(|t| now < t.expires_at)
        .map(|t| t.username.clone())
}
