//! What every Arta route shares: the API key check, the request id, JSON bodies, pages and
//! the time.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use super::error::ArtaError;
use crate::Sim;

/// The header Arta puts on every answer.
pub(crate) const REQUEST_ID_HEADER: &str = "x-arta-request-id";

/// The authorization scheme (compared without regard to case, see the module docs).
const SCHEME: &str = "ARTA_APIKey";

/// Proof that the request carried a known API key. Extract it first in every handler.
#[derive(Debug)]
pub(crate) struct Authorized;

impl FromRequestParts<Sim> for Authorized {
    type Rejection = ArtaError;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Self, Self::Rejection> {
        let key = api_key(&parts.headers).ok_or_else(ArtaError::unauthorized)?;
        let known = sim.store().rest(|r| r.world.arta.key_limits(key).is_some());
        if known {
            Ok(Authorized)
        } else {
            Err(ArtaError::unauthorized())
        }
    }
}

/// The key of `Authorization: ARTA_APIKey <key>`, if the header has that form.
pub(crate) fn api_key(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let key = key.trim();
    (!key.is_empty()).then_some(key)
}

/// Adds an `x-arta-request-id` to every Arta answer, errors included: 20 characters like
/// Arta's (`FkBjuxbwLLTx4RoAARkx`), starting with `Fsim`.
pub(crate) async fn request_id(mut response: Response) -> Response {
    let mut id = [0u8; 20];
    id[..4].copy_from_slice(b"Fsim");
    for b in &mut id[4..] {
        // ASCII alphanumerics: always a valid header value.
        *b = fastrand::alphanumeric() as u8;
    }
    if let Ok(value) = HeaderValue::from_bytes(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A JSON body, or Arta's 400 when it is not JSON (by its `Content-Type` and its bytes).
pub(crate) fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, ArtaError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ArtaError::bad_request(
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ArtaError::bad_request(format!("malformed JSON body: {e}")))
}

/// A JSON object body, or Arta's 400.
pub(crate) fn json_object(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, ArtaError> {
    match json_body(headers, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(ArtaError::bad_request("the body must be a JSON object")),
    }
}

/// The object under `envelope` in a JSON body (`{"shipment_exception": {...}}`), or Arta's
/// 400 when the body is not JSON or has no such object.
pub(crate) fn envelope(
    headers: &HeaderMap,
    body: &Bytes,
    envelope: &str,
) -> Result<Map<String, Value>, ArtaError> {
    let missing =
        || ArtaError::bad_request(format!("the body must be {{\"{envelope}\": {{...}}}}"));
    match json_object(headers, body)?.remove(envelope) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(ArtaError::bad_request(format!(
            "`{envelope}` must be an object"
        ))),
        None => Err(missing()),
    }
}

/// The current time as Arta writes it: naive (UTC), microseconds.
pub(crate) fn now(sim: &Sim) -> DateTime {
    let dt = sim
        .clock()
        .now()
        .to_zoned_datetime(TimeZone::UTC)
        .datetime();
    let micros = dt.subsec_nanosecond() / 1_000 * 1_000;
    dt.with().subsec_nanosecond(micros).build().unwrap_or(dt)
}

/// A random version 4 UUID, lower-case.
pub(crate) fn uuid() -> String {
    let n = fastrand::u128(..);
    let n = (n & !(0xf << 76)) | (0x4 << 76); // version 4
    let n = (n & !(0x3 << 62)) | (0x2 << 62); // RFC 4122 variant
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A shortcode like Arta's test-mode ones (`DEMO-B49SVZ`).
pub(crate) fn shortcode() -> String {
    let code: String = std::iter::repeat_with(|| {
        let c = fastrand::alphanumeric();
        c.to_ascii_uppercase()
    })
    .take(6)
    .collect();
    format!("DEMO-{code}")
}

/// The order of a list (`sort`; newer versions of Arta's reference document it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    CreatedAsc,
    CreatedDesc,
    UpdatedAsc,
    UpdatedDesc,
}

/// `page`, `page_size` and `sort` of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageQuery {
    pub(crate) page: u64,
    pub(crate) page_size: u64,
    pub(crate) sort: Sort,
}

/// The most items per page.
pub(crate) const MAX_PAGE_SIZE: u64 = 50;
/// Items per page when the request does not say.
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 20;

/// The query parameters, or Arta's 400 when the query cannot be read.
pub(crate) type QueryParams =
    Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

impl PageQuery {
    /// Reads `page` (from 1, default 1), `page_size` (1 to 50, default 20) and `sort`
    /// (default `created_at_desc`: newest first).
    pub(crate) fn read(params: &HashMap<String, String>) -> Result<PageQuery, ArtaError> {
        let number = |name: &str, default: u64| -> Result<u64, ArtaError> {
            match params.get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| {
                    ArtaError::bad_request(format!("{name} must be a positive integer"))
                }),
            }
        };
        let page = number("page", 1)?;
        let page_size = number("page_size", DEFAULT_PAGE_SIZE)?;
        if page == 0 {
            return Err(ArtaError::bad_request("page must be at least 1"));
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            return Err(ArtaError::bad_request(format!(
                "page_size must be from 1 to {MAX_PAGE_SIZE}"
            )));
        }
        let sort = match params.get("sort").map(String::as_str) {
            None | Some("created_at_desc") => Sort::CreatedDesc,
            Some("created_at_asc") => Sort::CreatedAsc,
            Some("updated_at_asc") => Sort::UpdatedAsc,
            Some("updated_at_desc") => Sort::UpdatedDesc,
            Some(other) => {
                return Err(ArtaError::bad_request(format!(
                    "sort must be one of created_at_asc, created_at_desc, updated_at_asc, \
                     updated_at_desc, got `{other}`"
                )));
            }
        };
        Ok(PageQuery {
            page,
            page_size,
            sort,
        })
    }

    /// Sorts `items` (by the `(created_at, updated_at, id)` each one gives), cuts this page
    /// out and wraps it in Arta's envelope `{"items": [...], "metadata": {...}}`.
    pub(crate) fn page<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> (DateTime, DateTime, String),
        render: impl Fn(&T) -> Value,
    ) -> Value {
        items.sort_by(|a, b| {
            let (ca, ua, ia) = key(a);
            let (cb, ub, ib) = key(b);
            match self.sort {
                Sort::CreatedAsc => (ca, ia).cmp(&(cb, ib)),
                Sort::CreatedDesc => (cb, ib).cmp(&(ca, ia)),
                Sort::UpdatedAsc => (ua, ia).cmp(&(ub, ib)),
                Sort::UpdatedDesc => (ub, ib).cmp(&(ua, ia)),
            }
        });
        let total = items.len() as u64;
        let skip = (self.page - 1).saturating_mul(self.page_size);
        let page: Vec<Value> = items
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(self.page_size).unwrap_or(usize::MAX))
            .map(render)
            .collect();
        serde_json::json!({
            "items": page,
            "metadata": {"page": self.page, "page_size": self.page_size, "total_count": total},
        })
    }
}

/// A JSON value's bytes.
pub(crate) fn json_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// An answer of `status` with JSON `body` (already serialized).
pub(crate) fn json_answer(status: http::StatusCode, body: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Serializes a model value, which cannot fail for the simulator's own types.
pub(crate) fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
