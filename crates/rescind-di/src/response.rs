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

/// Reads the cancel's answer by the rule of [`rescind_core::change`].
///
/// Di documents no success body for the cancel, so a 2xx is a success when its body is empty
/// or JSON that is not Di's error envelope (kept as it came in [`CancelResponse::body`]). A 2xx
/// carrying the envelope (`statusCode`/`errorKey`), an HTML page or any other body that is not
/// JSON, or a body over the size limit is **not** a success: the error says
/// [`Sent::MaybeSent`] and the [`Canceller`](rescind_core::Canceller) reads the order back.
///
/// A refusal is a 4xx with Di's envelope (nothing was changed: [`Sent::Answered`]); every
/// other answer (5xx, a 429, which Di does not document, a 4xx without the envelope, a
/// proxy's page) proves nothing and is [`Sent::MaybeSent`] (for a 429 the transport marks it,
/// see `TransportBuilder::documented_429`).
pub fn cancel_order(response: &HttpResponse) -> Result<CancelResponse, Error> {
    rescind_core::change::read(
        response,
        error::is_envelope(&response.body),
        |r| error::from_response(r, operation::CANCEL_ORDER),
        cancel_success,
    )
}

/// A 2xx of the cancel: empty, or JSON that is not Di's error envelope.
fn cancel_success(response: &HttpResponse) -> Result<CancelResponse, Error> {
    let not_success = |message: &str| {
        Err(Error::new(ErrorKind::Decode, Sent::MaybeSent, message)
            .with_provider(Provider::Di)
            .with_operation(operation::CANCEL_ORDER)
            .with_status(response.status)
            .with_attempts(response.attempts)
            .with_body(response.body_text()))
    };
    // JSON's whitespace only (a form feed is neither empty nor JSON: break8c).
    if rescind_core::decode::is_blank(&response.body) {
        return Ok(CancelResponse::new(response.status, None, None)
            .with_request_id(response.request_id.clone()));
    }
    if error::is_envelope(&response.body) {
        return not_success("the 2xx answer carries Di's error envelope (statusCode/errorKey)");
    }
    match serde_json::from_slice(&response.body) {
        Ok(json) => Ok(CancelResponse::new(response.status, Some(json), None)
            .with_request_id(response.request_id.clone())),
        Err(e) => not_success(&format!("the 2xx answer is not JSON ({e})")),
    }
}

/// Reads the details answer.
pub fn order_details(response: &HttpResponse) -> Result<OrderDetails, Error> {
    if !response.is_success() {
        return Err(error::from_response(response, operation::ORDER_DETAILS));
    }
    rescind_core::wire::tolerant::response(response, Provider::Di, operation::ORDER_DETAILS)
}
