//! The Di handlers: login, book, details, cancel, and the Di admin endpoints. The rules are in
//! [`rules`](super::rules); what each answers is in the [module docs](super).

use super::EdiStatus;
use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::rules::{self, Verdict};
use super::{CarrierStatus, DiItem, DiOrder, DiPickup, DiToken, DiUser, token};
use crate::Sim;

/// Issued tokens are forgotten this long after they expire (until then, they answer
/// `authentication.expired`).
const FORGET_EXPIRED_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// An error answer in Di's envelope `{statusCode, errorKey, errorMap}`.
#[derive(Debug)]
pub(super) struct DiError {
    status: StatusCode,
    key: String,
    map: Map<String, Value>,
}

impl IntoResponse for DiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({
                "statusCode": self.status.as_u16(),
                "errorKey": self.key,
                "errorMap": self.map,
            })),
        )
            .into_response()
    }
}

/// Di's error envelope.
fn di_error(status: StatusCode, key: &str, map: Map<String, Value>) -> DiError {
    DiError {
        status,
        key: key.to_owned(),
        map,
    }
}

/// Di's error envelope with one `errorMap` entry.
fn di_error_at(status: StatusCode, key: &str, field: &str, message: impl Into<String>) -> DiError {
    let mut map = Map::new();
    map.insert(field.to_owned(), Value::String(message.into()));
    di_error(status, key, map)
}

fn not_found() -> DiError {
    di_error(StatusCode::NOT_FOUND, "cannot.find.order", Map::new())
}

fn no_shop_access(shop_id: i64) -> DiError {
    di_error_at(
        StatusCode::FORBIDDEN,
        "no.access.shop.id",
        "shopId",
        shop_id.to_string(),
    )
}

/// A wrong method on one of Di's paths: 405 in Di's envelope (the key is the simulator's
/// choice; Di documents only the status).
pub(super) async fn method_not_allowed() -> DiError {
    di_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method.not.allowed",
        Map::new(),
    )
}

fn oslo() -> Result<TimeZone, DiError> {
    TimeZone::get("Europe/Oslo").map_err(|e| {
        di_error_at(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected.error",
            "timeZone",
            e.to_string(),
        )
    })
}

fn path_value(path: Result<Path<String>, PathRejection>) -> Result<String, DiError> {
    path.map(|Path(v)| v).map_err(|e| {
        di_error_at(
            StatusCode::BAD_REQUEST,
            "failed.to.parse.request",
            "path",
            e.body_text(),
        )
    })
}

/// The user behind the request's bearer token, or Di's 401.
fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<DiUser, DiError> {
    let missing = || {
        di_error(
            StatusCode::UNAUTHORIZED,
            "authentication.missing",
            Map::new(),
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    let now = sim.clock().now();
    sim.store().rest(|r| {
        let w = &r.world;
        let issued = r.di_token(token).ok_or_else(missing)?;
        if now >= issued.expires_at {
            return Err(di_error(
                StatusCode::UNAUTHORIZED,
                "authentication.expired",
                Map::new(),
            ));
        }
        w.di.users
            .iter()
            .find(|u| u.username == issued.username)
            .cloned()
            .ok_or_else(missing)
    })
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

/// `POST /ws/json/auth/v-3/login/{minutesValid}`.
pub(super) async fn login(
    State(sim): State<Sim>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DiError> {
    let minutes = path_value(path)?;
    let minutes = match minutes.parse::<u32>() {
        Ok(m) if (1..=1440).contains(&m) => m,
        _ => {
            return Err(di_error_at(
                StatusCode::BAD_REQUEST,
                "failed.to.parse.request",
                "minutesValid",
                format!("must be a whole number of minutes between 1 and 1440, got {minutes:?}"),
            ));
        }
    };
    let body: LoginBody = match body
        .map_err(|e| e.body_text())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(b) => b,
        Err(e) => {
            return Err(di_error_at(
                StatusCode::BAD_REQUEST,
                "failed.to.parse.request",
                "body",
                format!("expected {{\"username\": ..., \"password\": ...}}: {e}"),
            ));
        }
    };
    let now = sim.clock().now();
    let jti = sim.next_number();
    let issued = sim.store().rest_mut(|r| {
        let w = &r.world;
        let user =
            w.di.users
                .iter()
                .find(|u| u.username == body.username && u.password == body.password)?
                .clone();
        let lifetime = (u64::from(minutes) * 60).min(w.di.token_lifetime_seconds);
        let lifetime = SignedDuration::from_secs(i64::try_from(lifetime).unwrap_or(i64::MAX));
        let exp = now.checked_add(lifetime).unwrap_or(Timestamp::MAX);
        let token = token::issue(&user, now, exp, jti);
        r.add_di_token(
            DiToken {
                token: token.clone(),
                username: user.username,
                issued_at: now,
                expires_at: exp,
            },
            |t| {
                t.expires_at
                    .checked_add(FORGET_EXPIRED_AFTER)
                    .is_ok_and(|forget| forget <= now)
            },
        );
        Some(token)
    });
    match issued {
        Some(token) => Ok(Json(json!({ "token": token })).into_response()),
        None => Err(di_error(
            StatusCode::UNAUTHORIZED,
            "authentication.failed",
            Map::new(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookBody {
    #[serde(default)]
    shop_id: Option<i64>,
    #[serde(default)]
    shop_display_name: Option<String>,
    #[serde(default)]
    transport_solution_id: Option<i64>,
    #[serde(default)]
    shipment_id: Option<String>,
    #[serde(default)]
    desired_delivery_date: Option<String>,
    #[serde(default)]
    pickup_details: Option<BookPickup>,
    #[serde(default)]
    parties: Option<Vec<Value>>,
    #[serde(default)]
    items: Option<Vec<BookItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookPickup {
    #[serde(default)]
    return_code: Option<String>,
    #[serde(default)]
    placement: Option<String>,
    #[serde(default)]
    pickup_date: Option<String>,
    #[serde(default)]
    possible_pickup_dates: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookItem {
    #[serde(default)]
    item_number: Option<i64>,
    #[serde(default)]
    tracking_reference: Option<String>,
    #[serde(default)]
    weight: Option<i64>,
    #[serde(default)]
    contents: Option<String>,
}

/// A date as `yyyyMMdd` (Di's booking page) or `YYYY-MM-DD` (developer.helthjem.no).
fn parse_date(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let y: i16 = raw.get(0..4)?.parse().ok()?;
        let m: i8 = raw.get(4..6)?.parse().ok()?;
        let d: i8 = raw.get(6..8)?.parse().ok()?;
        return Date::new(y, m, d).ok();
    }
    if raw.len() == 10 {
        return raw.parse().ok();
    }
    None
}

fn bad_date(field: &str, raw: &str) -> DiError {
    di_error_at(
        StatusCode::BAD_REQUEST,
        &format!("invalid.format.{field}"),
        field,
        format!("expected yyyyMMdd or YYYY-MM-DD, got {raw:?}"),
    )
}

fn required(field: &str, message: &str) -> DiError {
    di_error_at(
        StatusCode::BAD_REQUEST,
        "failed.to.parse.request",
        field,
        message,
    )
}

/// `POST /ws/json/parcel/booking/v-1/book`.
pub(super) async fn book(
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DiError> {
    let user = authenticate(&sim, &headers)?;
    let body: BookBody = match body.map_err(|e| e.body_text()).and_then(|b| {
        let de = &mut serde_json::Deserializer::from_slice(&b);
        serde_path_to_error::deserialize(de)
            .map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))
    }) {
        Ok(b) => b,
        Err(e) => {
            return Err(di_error_at(
                StatusCode::BAD_REQUEST,
                "failed.to.parse.request",
                "body",
                e,
            ));
        }
    };
    let Some(shop_id) = body.shop_id else {
        return Err(required("shopId", "is required"));
    };
    let Some(transport_solution_id) = body.transport_solution_id else {
        return Err(required("transportSolutionId", "is required"));
    };
    let items = body.items.unwrap_or_default();
    if items.is_empty() {
        return Err(required(
            "items",
            "at least one item (one per parcel) is required",
        ));
    }
    if !user.has_shop(shop_id) {
        return Err(no_shop_access(shop_id));
    }
    let desired_delivery_date = match body.desired_delivery_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match parse_date(raw) {
            Some(d) => Some(d),
            None => return Err(bad_date("desiredDeliveryDate", raw)),
        },
    };
    let pickup = match body.pickup_details {
        None => None,
        Some(p) => {
            let raw = p.pickup_date.unwrap_or_default();
            let Some(pickup_date) = parse_date(&raw) else {
                return Err(bad_date("pickupDate", &raw));
            };
            let mut possible = Vec::new();
            for raw in p.possible_pickup_dates.unwrap_or_default() {
                match parse_date(&raw) {
                    Some(d) => possible.push(d),
                    None => return Err(bad_date("possiblePickupDates", &raw)),
                }
            }
            Some(DiPickup {
                return_code: p.return_code.filter(|c| !c.trim().is_empty()),
                placement: p.placement,
                pickup_date,
                possible_pickup_dates: possible,
            })
        }
    };
    let given_id = match body.shipment_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let bare = raw.strip_prefix("(401)").unwrap_or(raw);
            if bare.is_empty() || bare.len() > 30 || !bare.bytes().all(|b| b.is_ascii_digit()) {
                return Err(required(
                    "shipmentId",
                    "must be digits (at most 30), optionally with the GS1 prefix (401)",
                ));
            }
            Some(bare.to_owned())
        }
    };

    let now = sim.clock().now();
    let mut booked = None;
    let exists = |existing: &[&DiOrder], id: &str| existing.iter().any(|o| o.shipment_id == id);
    sim.store().orders.insert(|existing| {
        let shipment_id = match given_id {
            Some(id) if exists(existing, &id) => {
                return Err(di_error_at(
                    StatusCode::BAD_REQUEST,
                    "shipmentId.already.exists",
                    "shipmentId",
                    id,
                ));
            }
            Some(id) => id,
            None => loop {
                let id = format!("7072476{:010}", 5_000_000_000 + sim.next_number());
                if !exists(existing, &id) {
                    break id;
                }
            },
        };
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| DiItem {
                item_number: item.item_number.or(Some(i64::try_from(i).unwrap_or(0) + 1)),
                tracking_reference: item
                    .tracking_reference
                    .filter(|t| !t.trim().is_empty())
                    .or_else(|| {
                        Some(format!(
                            "0037072476{:010}",
                            5_000_000_000 + sim.next_number()
                        ))
                    }),
                labelless_code: None,
                weight: item.weight,
                contents: item.contents,
            })
            .collect();
        let pickup_details = pickup.map(|mut p| {
            if p.return_code.is_none() {
                p.return_code = Some(format!("R{shipment_id}"));
            }
            p
        });
        let order = DiOrder {
            shipment_id,
            shop_id,
            shop_name: body.shop_display_name,
            transport_solution_id: Some(transport_solution_id),
            edi_status: EdiStatus::ExportOk,
            desired_delivery_date,
            pickup_details,
            items,
            parties: body.parties.unwrap_or_default(),
            booked_at: Some(now),
            carrier_status: CarrierStatus::Booked,
            pickup_failed: false,
            cancelled_at: None,
        };
        booked = Some(order.clone());
        Ok(order)
    })?;
    let order = booked.expect("the order was booked");
    Ok(Json(booking_answer(&order)).into_response())
}

/// Di's booking response for `order`.
fn booking_answer(order: &DiOrder) -> Value {
    let mut answer = details_json(order);
    let freight_product_id = if order.pickup_details.is_some() { 3 } else { 1 };
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({
                "itemNumber": i.item_number,
                "trackingReference": i.tracking_reference,
                "weight": i.weight,
                "contents": i.contents,
            })
        })
        .collect();
    if let Value::Object(map) = &mut answer {
        map.insert(
            "shipmentId".into(),
            Value::String(format!("(401){}", order.shipment_id)),
        );
        map.insert("freightProductId".into(), json!(freight_product_id));
        map.insert("parties".into(), json!(order.parties));
        map.insert("items".into(), Value::Array(items));
        map.insert("properties".into(), json!({}));
        map.insert("additionalServices".into(), json!([]));
        map.insert("proofOfDelivery".into(), json!("NO_CONFIRMATION"));
    }
    answer
}

/// The details API's view of `order`.
fn details_json(order: &DiOrder) -> Value {
    json!({
        "shipmentId": order.shipment_id,
        "ediStatus": order.edi_status.as_str(),
        "shopId": order.shop_id,
        "shopName": order.shop_name,
        "desiredDeliveryDate": order.desired_delivery_date.map(|d| d.to_string()),
        "pickupDetails": order.pickup_details.as_ref().map(|p| json!({
            "returnCode": p.return_code,
            "placement": p.placement,
            "pickupDate": p.pickup_date.to_string(),
            "possiblePickupDates": p.possible_pickup_dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        })),
        "items": order.items.iter().map(|i| json!({
            "trackingReference": i.tracking_reference,
            "labellessCode": i.labelless_code,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /ws/json/parcel/booking/v-1/details/{identifier}`.
pub(super) async fn details(
    State(sim): State<Sim>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, DiError> {
    let user = authenticate(&sim, &headers)?;
    let identifier = path_value(path)?;
    let found = sim.store().orders.find(
        identifier.as_str(),
        |o| o.is_named_by(&identifier),
        |slot| {
            let shop_id = slot.get().shop_id;
            if !user.has_shop(shop_id) {
                return Err(no_shop_access(shop_id));
            }
            Ok(slot.rendered(|o| {
                bytes::Bytes::from(serde_json::to_vec(&details_json(o)).unwrap_or_default())
            }))
        },
    );
    let body = found.ok_or_else(not_found)??;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}`.
pub(super) async fn cancel(
    State(sim): State<Sim>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, DiError> {
    let user = authenticate(&sim, &headers)?;
    if !user.edit_orders {
        return Err(di_error(StatusCode::FORBIDDEN, "no.access.api", Map::new()));
    }
    let identifier = path_value(path)?;
    let tz = oslo()?;
    let now = sim.clock().now();
    let result = sim
        .store()
        .orders
        .find(
            identifier.as_str(),
            |o| o.shipment_id == identifier,
            |slot| {
                let order = slot.get();
                if !user.has_shop(order.shop_id) {
                    return Err(no_shop_access(order.shop_id));
                }
                match rules::verdict(order, now, &tz) {
                    Verdict::Cancellable => {
                        let order = slot.get_mut();
                        order.edi_status = EdiStatus::Cancelled;
                        order.cancelled_at = Some(now);
                        Ok(())
                    }
                    Verdict::AlreadyCancelled => Err(di_error(
                        StatusCode::BAD_REQUEST,
                        "order.cancelled",
                        Map::new(),
                    )),
                    Verdict::FinalStatus => Err(di_error(
                        StatusCode::BAD_REQUEST,
                        "error.parcel.final.status",
                        Map::new(),
                    )),
                    Verdict::InTransit(reason) => Err(di_error_at(
                        StatusCode::BAD_REQUEST,
                        "order.exported",
                        "reason",
                        reason,
                    )),
                }
            },
        )
        .ok_or_else(not_found)?;
    result?;
    sim.counters()
        .applied(format!("di:order:{identifier}:cancel"));
    Ok(StatusCode::OK.into_response())
}

fn admin_not_found(identifier: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no Di order {identifier:?}")})),
    )
        .into_response()
}

/// `GET /__sim/di/orders`.
pub(super) async fn admin_orders(State(sim): State<Sim>) -> Response {
    Json(sim.store().orders.all()).into_response()
}

/// `GET /__sim/di/orders/{identifier}`.
pub(super) async fn admin_order(
    State(sim): State<Sim>,
    Path(identifier): Path<String>,
) -> Response {
    match sim.store().orders.find(
        identifier.as_str(),
        |o| o.shipment_id == identifier,
        |s| s.get().clone(),
    ) {
        Some(order) => Json(order).into_response(),
        None => admin_not_found(&identifier),
    }
}

/// Changes one order with `f`, which may refuse with a message (409).
fn admin_change(
    sim: &Sim,
    identifier: &str,
    f: impl FnOnce(&mut DiOrder) -> Result<(), String>,
) -> Response {
    let result = sim.store().orders.find(
        identifier,
        |o| o.shipment_id == identifier,
        |slot| {
            let order = slot.get_mut();
            f(order).map(|()| order.clone())
        },
    );
    match result {
        None => admin_not_found(identifier),
        Some(Ok(order)) => Json(order).into_response(),
        Some(Err(message)) => {
            (StatusCode::CONFLICT, Json(json!({"error": message}))).into_response()
        }
    }
}

/// `POST /__sim/di/orders/{identifier}/in_transit`: a carrier scanned the parcel.
pub(super) async fn admin_in_transit(
    State(sim): State<Sim>,
    Path(identifier): Path<String>,
) -> Response {
    admin_change(&sim, &identifier, |o| {
        o.carrier_status = CarrierStatus::InTransit;
        o.pickup_failed = false;
        Ok(())
    })
}

/// `POST /__sim/di/orders/{identifier}/delivered`.
pub(super) async fn admin_delivered(
    State(sim): State<Sim>,
    Path(identifier): Path<String>,
) -> Response {
    admin_change(&sim, &identifier, |o| {
        o.carrier_status = CarrierStatus::Delivered;
        Ok(())
    })
}

/// `POST /__sim/di/orders/{identifier}/pickup_failed`.
pub(super) async fn admin_pickup_failed(
    State(sim): State<Sim>,
    Path(identifier): Path<String>,
) -> Response {
    admin_change(&sim, &identifier, |o| {
        if o.pickup_details.is_none() {
            return Err("not a pick-up order".into());
        }
        o.carrier_status = CarrierStatus::Booked;
        o.pickup_failed = true;
        Ok(())
    })
}

#[derive(Deserialize)]
pub(super) struct TokenLifetime {
    seconds: u64,
}

/// `POST /__sim/di/token_lifetime` with `{"seconds": n}`.
pub(super) async fn admin_token_lifetime(
    State(sim): State<Sim>,
    Json(body): Json<TokenLifetime>,
) -> Response {
    sim.store()
        .rest_mut(|r| r.world.di.token_lifetime_seconds = body.seconds);
    Json(json!({"token_lifetime_seconds": body.seconds})).into_response()
}

/// `DELETE /__sim/di/tokens`.
pub(super) async fn admin_forget_tokens(State(sim): State<Sim>) -> StatusCode {
    sim.store().rest_mut(|r| {
        r.world.di.tokens.clear();
        r.reindex();
    });
    StatusCode::NO_CONTENT
}
