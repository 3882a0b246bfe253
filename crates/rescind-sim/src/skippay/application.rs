//! Applications: create (`POST /financing/v1/applications`), read (`GET .../{id}`) and cancel
//! (`PUT .../{id}/cancel`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value};

use super::auth::Partner;
use super::check::{self, ITEM_TYPES};
use super::errors::{ApiError, json_bytes_response};
use super::order::{Change, apply};
use super::wire::{ApplicationState, FileRef, FinancingType, Order, OrderState, StateReason};
use super::{Application, application_bytes, gateway_url};
use crate::Sim;

/// The documented cancel reasons.
const CANCEL_REASONS: &[&str] = &[
    "APPLICATION_CANCELLED_CARRIER_CHANGED",
    "APPLICATION_CANCELLED_CART_CONTENT_CHANGED",
    "APPLICATION_CANCELLED_BY_CUSTOMER",
    "APPLICATION_CANCELLED_BY_ERP",
    "APPLICATION_CANCELLED_EXPIRED",
    "APPLICATION_CANCELLED_UNFINISHED",
    "APPLICATION_CANCELLED_BY_ESHOP_RULES",
    "APPLICATION_CANCELLED_OTHER",
];

/// `GET /financing/v1/applications/{id}`.
pub(crate) async fn get(
    State(sim): State<Sim>,
    Partner(partner): Partner,
    Path(id): Path<String>,
) -> Response {
    let found = sim.store().applications.find(
        id.as_str(),
        |a| a.visible_to(&partner),
        |slot| slot.rendered(application_bytes),
    );
    match found {
        Some(body) => json_bytes_response(StatusCode::OK, body),
        None => ApiError::not_found("APPLICATION_NOT_FOUND", &id).response(&sim),
    }
}

/// `PUT /financing/v1/applications/{id}/cancel` with `{"reason", "customReason"}` (both
/// optional and nullable; `{}` or an empty body is `APPLICATION_CANCELLED_OTHER`).
pub(crate) async fn cancel(
    State(sim): State<Sim>,
    Partner(partner): Partner,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_cancel(&body).and_then(|(reason, custom)| {
        sim.store()
            .applications
            .find(
                id.as_str(),
                |a| a.visible_to(&partner),
                |slot| {
                    if let Some(refused) = cancel_refusal(slot.get()) {
                        return Err(refused);
                    }
                    let app = slot.get_mut();
                    // Every item not yet marked becomes CANCELLED with the order.
                    let changes = apply(&mut app.order, &[])?;
                    app.state = ApplicationState::Cancelled;
                    app.state_reason = Some(StateReason::CancelledNotPaid);
                    app.cancel_reason = Some(reason);
                    app.custom_reason = custom;
                    sim.counters()
                        .applied(format!("skippay:application:{id}:cancel"));
                    if changes.contains(&Change::OrderCancelled) {
                        sim.counters().applied(Change::OrderCancelled.key(&id));
                    }
                    Ok(slot.rendered(application_bytes))
                },
            )
            .unwrap_or_else(|| Err(ApiError::not_found("OBJECT_NOT_FOUND", &id)))
    });
    match result {
        Ok(body) => json_bytes_response(StatusCode::OK, body),
        Err(e) => e.response(&sim),
    }
}

fn parse_cancel(bytes: &[u8]) -> Result<(String, Option<String>), ApiError> {
    let map = check::body_object_or_empty(bytes)?;
    let reason = check::opt_enum(&map, "reason", "", CANCEL_REASONS)?
        .unwrap_or("APPLICATION_CANCELLED_OTHER")
        .to_string();
    let custom = match map.get("customReason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::invalid(
                Some("customReason"),
                "must be a string or null",
            ));
        }
    };
    Ok((reason, custom))
}

/// Why this application cannot be cancelled, with the documented 422 codes.
fn cancel_refusal(app: &Application) -> Option<ApiError> {
    let reason = app.reason();
    let refuse = |code: &'static str, why: String| {
        Some(ApiError::unprocessable(
            code,
            format!("Application {} can not be cancelled: {why}", app.id),
        ))
    };
    if app.financing_type.is_unknown() {
        return refuse(
            "NOT_SUPPORTED",
            format!("financing type {} is not supported", app.financing_type),
        );
    }
    match app.state {
        ApplicationState::Rejected => refuse("APPLICATION_REJECTED", "it is REJECTED".into()),
        ApplicationState::Cancelled => refuse(
            "APPLICATION_ALREADY_CANCELLED",
            "it has been cancelled already".into(),
        ),
        ApplicationState::Processing if reason == StateReason::ProcessingValidationInProgress => {
            refuse(
                "APPLICATION_VALIDATION_IN_PROGRESS",
                "it undergoes validation".into(),
            )
        }
        ApplicationState::Processing => None,
        ApplicationState::Ready if reason == StateReason::ReadyPaid => {
            refuse("APPLICATION_PAID", "it is already paid".into())
        }
        ApplicationState::Ready => {
            let sent = matches!(
                reason,
                StateReason::ReadyShipped | StateReason::ReadyDelivered
            ) || matches!(
                app.order.state,
                OrderState::Sent | OrderState::Delivered | OrderState::Returned
            ) || app.order.items.iter().any(|i| {
                matches!(
                    i.state,
                    OrderState::Sent | OrderState::Delivered | OrderState::Returned
                )
            });
            if sent {
                refuse(
                    "UNPROCESSABLE",
                    "its order is marked as sent or delivered (return the items instead)".into(),
                )
            } else {
                None
            }
        }
    }
}

/// `POST /financing/v1/applications` (`ApplicationRequest`). 201 with the new application,
/// 200 with the first one for a duplicate (same partner, same order number).
pub(crate) async fn create(
    State(sim): State<Sim>,
    Partner(partner): Partner,
    body: Bytes,
) -> Response {
    let parsed = match parse_create(&body) {
        Ok(p) => p,
        Err(e) => return e.response(&sim),
    };
    let number = sim.next_number();
    let mut answer = None;
    let _ = sim.store().applications.insert(|existing| {
        if let Some(first) = existing
            .iter()
            .find(|a| a.visible_to(&partner) && a.order.number == parsed.order.number)
        {
            answer = Some((StatusCode::OK, application_bytes(first)));
            return Err(());
        }
        let mut id = format!("{:010x}", 0xa0_0000_0000_u64 + number);
        if existing.iter().any(|a| a.id == id) {
            id = format!("{id}x{}", existing.len());
        }
        let agreed = parsed.agreement;
        let app = Application {
            id: id.clone(),
            partner: Some(partner.clone()),
            state: ApplicationState::Processing,
            state_reason: Some(if agreed {
                StateReason::ProcessingPreapproved
            } else {
                StateReason::ProcessingRedirectNeeded
            }),
            financing_type: parsed.financing_type,
            agreement_terms_and_conditions: agreed,
            customer: Some(parsed.customer),
            gateway_redirect_url: Some(gateway_url(&id)),
            merchant_urls: Some(parsed.merchant_urls),
            order: parsed.order,
            cancel_reason: None,
            custom_reason: None,
        };
        answer = Some((StatusCode::CREATED, application_bytes(&app)));
        sim.counters()
            .applied(format!("skippay:application:{id}:create"));
        Ok(app)
    });
    let (status, body) = answer.expect("an application, new or the first");
    json_bytes_response(status, body)
}

struct NewApplication {
    financing_type: FinancingType,
    agreement: bool,
    customer: serde_json::Map<String, Value>,
    merchant_urls: Value,
    order: Order,
}

fn parse_create(bytes: &[u8]) -> Result<NewApplication, ApiError> {
    let map = check::body_object(bytes)?;
    let financing_type = check::opt_enum(&map, "type", "", &["DEFERRED_PAYMENT", "PAY_IN_THREE"])?
        .map(|t| FinancingType::from(t.to_string()))
        .ok_or_else(|| ApiError::invalid(Some("type"), "is required"))?;
    let agreement = check::opt_bool(&map, "agreementTermsAndConditions", "")?.unwrap_or(false);
    check::opt_bool(&map, "isRecurring", "")?;

    let urls = check::req_object(&map, "merchantUrls", "")?;
    for key in [
        "approvedRedirect",
        "rejectedRedirect",
        "notificationEndpoint",
    ] {
        check::req_str(urls, key, "merchantUrls", 512)?;
    }
    check::opt_str(urls, "paymentsEndpoint", "merchantUrls", 512)?;

    let customer = check::req_object(&map, "customer", "")?;
    check_customer(customer)?;
    let order = check::req_object(&map, "order", "")?;
    check_order(order)?;

    let customer = customer.clone();
    let mut order: Order = from_value(order_for_storage(order), "order")?;
    order.state = OrderState::Processing;
    for item in &mut order.items {
        item.state = OrderState::Processing;
    }
    Ok(NewApplication {
        financing_type,
        agreement,
        customer,
        merchant_urls: Value::Object(urls.clone()),
        order,
    })
}

fn from_value<T: serde::de::DeserializeOwned>(value: Value, path: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let attribute = if at == "." {
            path.to_string()
        } else {
            format!("{path}.{at}")
        };
        ApiError::invalid(Some(&attribute), e.inner().to_string())
    })
}

fn check_customer(c: &Map<String, Value>) -> Result<(), ApiError> {
    let p = "customer";
    check::req_str(c, "email", p, 254)?;
    check::req_str(c, "phone", p, 13)?;
    let first = check::opt_str(c, "firstName", p, 60)?;
    let last = check::opt_str(c, "lastName", p, 60)?;
    let full = check::opt_str(c, "fullName", p, 240)?;
    for key in ["titleBefore", "titleAfter"] {
        check::opt_str(c, key, p, 60)?;
    }
    for key in ["tin", "vatin"] {
        check::opt_str(c, key, p, 20)?;
    }
    check::addresses(c, "addresses", p, check::ADDRESS_TYPES)?;
    match (first, last, full) {
        (Some(_), None, _) => Err(ApiError::invalid(
            Some("customer.lastName"),
            "must be paired with firstName",
        )),
        (None, Some(_), _) => Err(ApiError::invalid(
            Some("customer.firstName"),
            "must be paired with lastName",
        )),
        (None, None, None) => Err(ApiError::invalid(
            Some("customer.fullName"),
            "is required when firstName and lastName are empty",
        )),
        _ => Ok(()),
    }
}

fn check_order(o: &Map<String, Value>) -> Result<(), ApiError> {
    let p = "order";
    check::req_str(o, "number", p, 100)?;
    check::req_amount(o, "totalPrice", p)?;
    check::vat_list(o, "totalVat", p, true)?;
    if let Some(symbols) = check::opt_array(o, "variableSymbols", p)? {
        for (i, s) in symbols.iter().enumerate() {
            let ok = s.as_str().is_some_and(|s| {
                !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit())
            });
            if !ok {
                return Err(ApiError::invalid(
                    Some(&format!("order.variableSymbols[{i}]")),
                    "must be a string of at most 10 digits",
                ));
            }
        }
    }
    check::opt_str(o, "merchantId", p, 200)?;
    check::addresses(o, "addresses", p, &["BILLING", "DELIVERY"])?;
    check::opt_enum(o, "deliveryType", p, check::DELIVERY_TYPES)?;
    check::delivery_carrier(o, p)?;
    check::opt_enum(o, "channel", p, check::CHANNELS)?;
    check::opt_datetime(o, "reservationDate", p)?;
    if let Some(docs) = check::opt_array(o, "documents", p)? {
        for (i, doc) in docs.iter().enumerate() {
            let at = format!("order.documents[{i}]");
            let Value::Object(d) = doc else {
                return Err(ApiError::invalid(Some(&at), "must be an object"));
            };
            check::opt_enum(
                d,
                "type",
                &at,
                &["INVOICE", "PROFORMA_INVOICE", "CREDIT_NOTE", "OTHER"],
            )?
            .ok_or_else(|| ApiError::invalid(Some(&format!("{at}.type")), "is required"))?;
            check::req_str(d, "file", &at, usize::MAX)?;
            check::opt_str(d, "description", &at, usize::MAX)?;
            check::opt_object(d, "extraData", &at)?;
        }
    }
    let items = check::opt_array(o, "items", p)?
        .ok_or_else(|| ApiError::invalid(Some("order.items"), "is required"))?;
    if items.is_empty() {
        return Err(ApiError::invalid(
            Some("order.items"),
            "must hold at least one item",
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let path = format!("order.items[{i}]");
        let Value::Object(m) = item else {
            return Err(ApiError::invalid(Some(&path), "must be an object"));
        };
        check::req_str(m, "code", &path, 200)?;
        check::req_str(m, "name", &path, 255)?;
        check::opt_str(m, "ean", &path, 64)?;
        check::opt_enum(m, "type", &path, ITEM_TYPES)?;
        check::opt_str(m, "variant", &path, 250)?;
        check::opt_str(m, "producer", &path, 250)?;
        check::opt_str(m, "productUrl", &path, 200)?;
        check::opt_str(m, "description", &path, usize::MAX)?;
        check::opt_string_list(m, "categories", &path)?;
        check::req_amount(m, "totalPrice", &path)?;
        match m.get("totalVat") {
            None | Some(Value::Null) => {
                return Err(ApiError::invalid(
                    Some(&format!("{path}.totalVat")),
                    "is required",
                ));
            }
            Some(v) => check::vat_amount(v, &format!("{path}.totalVat"))?,
        }
        check::opt_amount(m, "unitPrice", &path)?;
        if let Some(v) = m.get("unitVat").filter(|v| !v.is_null()) {
            check::vat_amount(v, &format!("{path}.unitVat"))?;
        }
        check::opt_quantity(m, "quantity", &path)?;
    }
    Ok(())
}

/// The request's order in the stored shape: an item's `image` and a document's `file` are
/// sent as a URL or as base64 content (`FileRequest`) and kept as `FileResponse` `{filename,
/// url}`, both required strings: a URL keeps its last path segment as the file name; content
/// gets a name and a URL of the simulator's (never served).
fn order_for_storage(order: &Map<String, Value>) -> Value {
    fn file(value: &mut Value, name: &str, n: usize) {
        if let Value::String(s) = value {
            let file = if s.starts_with("http://") || s.starts_with("https://") {
                let last = s
                    .split(['?', '#'])
                    .next()
                    .and_then(|p| p.rsplit('/').next())
                    .filter(|f| !f.is_empty())
                    .unwrap_or(name);
                FileRef {
                    filename: last.chars().take(100).collect(),
                    url: s.clone(),
                }
            } else {
                FileRef {
                    filename: format!("{name}-{n}"),
                    url: format!("https://files.skippay.sim.invalid/{name}-{n}"),
                }
            };
            *value = serde_json::to_value(file).unwrap_or(Value::Null);
        } else if value.is_null() {
            *value = Value::Null;
        }
    }
    let mut order = Value::Object(order.clone());
    if let Some(Value::Array(items)) = order.get_mut("items") {
        for (n, item) in items.iter_mut().enumerate() {
            if let Some(map) = item.as_object_mut() {
                if map.get("image").is_some_and(Value::is_null) {
                    map.remove("image");
                }
                if let Some(image) = map.get_mut("image") {
                    file(image, "image", n);
                }
            }
        }
    }
    if let Some(Value::Array(docs)) = order.get_mut("documents") {
        for (n, doc) in docs.iter_mut().enumerate() {
            if let Some(f) = doc.get_mut("file") {
                file(f, "document", n);
            }
        }
    }
    order
}
