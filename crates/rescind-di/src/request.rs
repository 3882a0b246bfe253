//! Di's requests as plain data (sans-IO): each function returns the [`HttpRequest`] the client
//! hands to the transport, so every request can be checked and snapshot without a network.

use rescind_core::http::{HeaderValue, Method, path_with_segment};
use rescind_core::secrecy::ExposeSecret;
use rescind_core::{Error, HttpRequest};
use serde::Serialize;

use crate::auth::{Credentials, MinutesValid};
use crate::model::{GS1_SHIPMENT_PREFIX, ShipmentNumber};

/// The login's path template.
pub const LOGIN_PATH: &str = "/ws/json/auth/v-3/login/{minutesValid}";
/// The cancel's path template.
pub const CANCEL_ORDER_PATH: &str = "/ws/json/parcel/booking/v-1/order/cancel/{identifier}";
/// The details' path template.
pub const ORDER_DETAILS_PATH: &str = "/ws/json/parcel/booking/v-1/details/{identifier}";

/// Operation names, as they appear in errors and traces.
pub mod operation {
    /// The login.
    pub const LOGIN: &str = "login";
    /// The cancel.
    pub const CANCEL_ORDER: &str = "cancel_order";
    /// The details read.
    pub const ORDER_DETAILS: &str = "order_details";
}

#[derive(Serialize)]
struct LoginBody<'a> {
    username: &'a str,
    password: &'a str,
}

/// `POST /ws/json/auth/v-3/login/{minutesValid}` with `{"username", "password"}`, sent without
/// a token. Repeating a login is harmless, so it is idempotent (retried after a timeout).
///
/// The body holds the password: never log this request's body or its `Debug`.
pub fn login(credentials: &Credentials, minutes_valid: MinutesValid) -> Result<HttpRequest, Error> {
    let body = serde_json::to_vec(&LoginBody {
        username: credentials.username().expose_secret(),
        password: credentials.password().expose_secret(),
    })
    .map_err(|_| Error::config("the Di login body could not be written"))?;
    Ok(HttpRequest::new(
        operation::LOGIN,
        Method::POST,
        LOGIN_PATH,
        format!("/ws/json/auth/v-3/login/{}", minutes_valid.get()),
    )
    .with_json_body(body)
    .anonymous()
    .idempotent(true))
}

/// `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}` with
/// `Content-Type: application/json` and no body, as Di's example sends it. A cancel done twice
/// leaves the order cancelled once, so it is idempotent: retried on 500/502/503 and after a
/// timeout.
pub fn cancel_order(shipment: &ShipmentNumber) -> Result<HttpRequest, Error> {
    let path = path_with_segment(
        "identifier",
        "/ws/json/parcel/booking/v-1/order/cancel/",
        shipment.as_str(),
        "",
    )?;
    Ok(HttpRequest::new(
        operation::CANCEL_ORDER,
        Method::DELETE,
        CANCEL_ORDER_PATH,
        path,
    )
    .with_header(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )
    .idempotent(true))
}

/// `GET /ws/json/parcel/booking/v-1/details/{identifier}`. The identifier may be a shipment
/// number (with or without `(401)`), a tracking reference or a return code; see
/// [`details_identifier`].
pub fn order_details(identifier: &str) -> Result<HttpRequest, Error> {
    let id = checked_details_identifier(identifier)?;
    let path = path_with_segment(
        "identifier",
        "/ws/json/parcel/booking/v-1/details/",
        &id,
        "",
    )?;
    Ok(HttpRequest::new(
        operation::ORDER_DETAILS,
        Method::GET,
        ORDER_DETAILS_PATH,
        path,
    )
    // Di's pages ask for it on every ws.di.no call; harmless on a GET.
    .with_header(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ))
}

/// Checks an identifier for the details API: a shipment number (the `(401)` prefix is
/// stripped), or a tracking reference or return code: 1 to 35 ASCII letters and digits
/// (Di's booking limit for a tracking reference). Parentheses of other GS1 prefixes must be
/// removed by the caller, as on Di's label page (`00370724760010119754`).
pub fn details_identifier(input: &str) -> Result<String, Error> {
    checked_details_identifier(input).map(std::borrow::Cow::into_owned)
}

/// [`details_identifier`], borrowing the input when it is used as it is (the common case:
/// a shipment number without its prefix), so that a read builds its path in one allocation.
fn checked_details_identifier(input: &str) -> Result<std::borrow::Cow<'_, str>, Error> {
    if input.starts_with(GS1_SHIPMENT_PREFIX) {
        return Ok(ShipmentNumber::parse(input)?.as_str().to_owned().into());
    }
    if input.is_empty() || input.len() > 35 || !input.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(
            "identifier",
            "must be a shipment number (optionally with the GS1 prefix (401)), a tracking reference or a return code: 1 to 35 letters and digits",
        ));
    }
    Ok(input.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_identifier_rules() {
        assert_eq!(
            details_identifier("(401)70724761617883184").unwrap(),
            "70724761617883184"
        );
        assert_eq!(
            details_identifier("00370724760010119754").unwrap(),
            "00370724760010119754"
        );
        assert_eq!(details_identifier("AB12cd").unwrap(), "AB12cd");
        for bad in [
            "",
            "(00)370724760010119754",
            "a b",
            "../x",
            "(401)x",
            &"1".repeat(36),
        ] {
            assert!(details_identifier(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_cancel_is_idempotent_and_the_login_anonymous() {
        let n = ShipmentNumber::parse("70724761617883184").unwrap();
        let req = cancel_order(&n).unwrap();
        assert!(req.idempotent && req.authenticated && req.body.is_none());
        let login = login(&Credentials::new("u", "p"), MinutesValid::MAX).unwrap();
        assert!(!login.authenticated && login.idempotent);
    }
}
