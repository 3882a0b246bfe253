//! Sans-IO request builders: each turns a call into an [`HttpRequest`], validated, without a
//! network. The [`Client`](crate::Client) sends them.

use rescind_core::http::{HeaderValue, Method, path_with_segment};
use rescind_core::secrecy::ExposeSecret;
use rescind_core::{Error, HttpRequest};
use serde::Serialize;

use crate::auth::Credentials;
use crate::model::{ApplicationCancelRequest, OrderCancelRequest};
use crate::rules;

/// The login's operation name.
pub const LOGIN: &str = "login";
/// The application read's operation name.
pub const GET_APPLICATION: &str = "get_application";
/// The operation name of an order cancel that names items (`PUT .../order/cancel` with
/// `items`).
pub const CANCEL_ORDER_ITEMS: &str = "cancel_order_items";
/// The operation name of a whole-order cancel (`PUT .../order/cancel` with `{}`): the same
/// endpoint as [`CANCEL_ORDER_ITEMS`], named apart so logs, spans and errors say which.
pub const CANCEL_ORDER: &str = "cancel_order";

/// The operation name of an order cancel: [`CANCEL_ORDER`] for the whole order,
/// [`CANCEL_ORDER_ITEMS`] when it names items.
pub fn order_cancel_operation(request: &OrderCancelRequest) -> &'static str {
    if request.is_whole() {
        CANCEL_ORDER
    } else {
        CANCEL_ORDER_ITEMS
    }
}
/// The application cancel's operation name.
pub const CANCEL_APPLICATION: &str = "cancel_application";

/// The content type Skip Pay documents for every body.
pub const JSON: &str = "application/json; charset=utf-8";

fn json_body<T: Serialize>(request: HttpRequest, body: &T) -> Result<HttpRequest, Error> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Error::invalid_input("body", format!("could not be written as JSON: {e}")))?;
    Ok(request.with_body(bytes, HeaderValue::from_static(JSON)))
}

fn application_path(application_id: &str, suffix: &str) -> Result<String, Error> {
    path_with_segment(
        "application_id",
        "/financing/v1/applications/",
        application_id,
        suffix,
    )
}

/// `POST /authentication/v1/partner` with `{"username", "password"}`, sent without a token.
///
/// The body holds the password: do not log this request.
pub fn login(credentials: &Credentials) -> Result<HttpRequest, Error> {
    #[derive(Serialize)]
    struct PartnerLogin<'a> {
        username: &'a str,
        password: &'a str,
    }
    let request = HttpRequest::new(
        LOGIN,
        Method::POST,
        "/authentication/v1/partner",
        "/authentication/v1/partner",
    )
    .anonymous();
    json_body(
        request,
        &PartnerLogin {
            username: credentials.username().expose_secret(),
            password: credentials.password().expose_secret(),
        },
    )
}

/// `GET /financing/v1/applications/{applicationId}`.
pub fn get_application(application_id: &str) -> Result<HttpRequest, Error> {
    Ok(HttpRequest::new(
        GET_APPLICATION,
        Method::GET,
        "/financing/v1/applications/{applicationId}",
        application_path(application_id, "")?,
    ))
}

/// `PUT /financing/v1/applications/{applicationId}/order/cancel`, validated first
/// ([`rules::validate_order_cancel`]). The whole order is the body `{}`.
///
/// A cancel with quantities is marked not idempotent: sent twice it could cancel twice as many
/// pieces, so the transport never re-sends it after it may have arrived. Every other order
/// cancel (the whole order, whole items) is idempotent: marking cancelled what is cancelled
/// changes nothing.
///
/// ```
/// use rescind_skippay::model::{CancelItem, OrderCancelRequest};
/// use rescind_core::rust_decimal::Decimal;
///
/// let req = rescind_skippay::request::cancel_order_items("11200a0ee1", &OrderCancelRequest::whole()).unwrap();
/// assert_eq!(req.path, "/financing/v1/applications/11200a0ee1/order/cancel");
/// assert_eq!(req.body_text(), Some("{}"));
/// assert!(req.idempotent);
///
/// let some = OrderCancelRequest::items(vec![CancelItem::by_code("A").quantity(Decimal::ONE)]);
/// let req = rescind_skippay::request::cancel_order_items("11200a0ee1", &some).unwrap();
/// assert!(!req.idempotent);
/// ```
pub fn cancel_order_items(
    application_id: &str,
    request: &OrderCancelRequest,
) -> Result<HttpRequest, Error> {
    rules::validate_order_cancel(request)?;
    let http = HttpRequest::new(
        order_cancel_operation(request),
        Method::PUT,
        "/financing/v1/applications/{applicationId}/order/cancel",
        application_path(application_id, "/order/cancel")?,
    )
    .idempotent(!request.has_quantities());
    json_body(http, request)
}

/// `PUT /financing/v1/applications/{applicationId}/cancel`, with the reason (`{}` without
/// one). Idempotent: a second cancel changes nothing (Skip Pay answers
/// `APPLICATION_ALREADY_CANCELLED`).
pub fn cancel_application(
    application_id: &str,
    request: &ApplicationCancelRequest,
) -> Result<HttpRequest, Error> {
    rules::validate_application_cancel(request)?;
    let http = HttpRequest::new(
        CANCEL_APPLICATION,
        Method::PUT,
        "/financing/v1/applications/{applicationId}/cancel",
        application_path(application_id, "/cancel")?,
    );
    json_body(http, request)
}
