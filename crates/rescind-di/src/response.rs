//! Di's answers read as plain data (sans-IO): status and bytes in, a typed result or the
//! mapped [`Error`] out.

use std::time::Duration;

use jiff::Timestamp;
use rescind_core::secrecy::SecretString;
use rescind_core::{Error, ErrorKind, HttpResponse, Provider, Sent, Token, decode};
use serde::Deserialize;

use crate::auth::{MinutesValid, token_lifetime};
use crate::error;
use crate::model::{CancelResponse, OrderDetails};
use crate::request::operation;

/// The login answer. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct LoginAnswer {
    token: String,
}

/// Reads the login answer `{"token": "<JWT>"}` into a [`Token`] whose lifetime comes from the
/// JWT (see [`token_lifetime`]).
pub fn login(
    response: &HttpResponse,
    minutes_valid: MinutesValid,
    now: Timestamp,
) -> Result<Token, Error> {
    if !response.is_success() {
        return Err(error::from_response(response, operation::LOGIN));
    }
    let answer: LoginAnswer = decode::response(response, Provider::Di, operation::LOGIN)?;
    let token = answer.token.trim();
    if token.is_empty() {
        return Err(Error::new(
            ErrorKind::Decode,
            Sent::Answered,
            "the login answer has an empty token",
        )
        .with_provider(Provider::Di)
        .with_operation(operation::LOGIN)
        .with_status(response.status));
    }
    let lifetime: Duration = token_lifetime(token, minutes_valid, now);
    Ok(Token::new(SecretString::from(token.to_owned()), lifetime))
}

/// Reads the cancel's answer. Any 2xx is a success (Di documents 200; 204 and an empty body
/// are accepted, and a body is kept as it came).
pub fn cancel_order(response: &HttpResponse) -> Result<CancelResponse, Error> {
    if !response.is_success() {
        return Err(error::from_response(response, operation::CANCEL_ORDER));
    }
    let text = response.body_text();
    let parsed = if text.trim().is_empty() {
        CancelResponse::new(response.status, None, None)
    } else {
        match serde_json::from_slice(&response.body) {
            Ok(json) => CancelResponse::new(response.status, Some(json), None),
            Err(_) => CancelResponse::new(response.status, None, Some(text)),
        }
    };
    Ok(parsed.with_request_id(response.request_id.clone()))
}

/// Reads the details answer.
pub fn order_details(response: &HttpResponse) -> Result<OrderDetails, Error> {
    if !response.is_success() {
        return Err(error::from_response(response, operation::ORDER_DETAILS));
    }
    rescind_core::wire::tolerant::response(response, Provider::Di, operation::ORDER_DETAILS)
}
