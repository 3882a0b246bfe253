//! Sans-IO response readers: each turns an [`HttpResponse`] into a typed value or the
//! [`Error`] its body describes.

use std::time::Duration;

use rescind_core::secrecy::SecretString;
use rescind_core::{Error, ErrorKind, HttpResponse, Provider, Sent, Token, decode, wire};
use serde::Deserialize;

use crate::error;
use crate::model::{ApplicationResponse, Order};
use crate::request::{CANCEL_ORDER_ITEMS, GET_APPLICATION, LOGIN};

/// How long a token lives when the login does not say (Skip Pay documents 2 hours).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The longest lifetime believed, whatever `expiresIn` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

fn ok_or_error(resp: &HttpResponse, operation: &'static str) -> Result<(), Error> {
    if resp.is_success() {
        Ok(())
    } else {
        Err(error::from_response(resp, operation))
    }
}

/// Reads the login's answer `{"accessToken", "expiresIn"}` into a [`Token`].
pub fn parse_login(resp: &HttpResponse) -> Result<Token, Error> {
    ok_or_error(resp, LOGIN)?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PartnerLoginResult {
        access_token: Option<String>,
        /// `number` in Skip Pay's document: any JSON number (`7200`, `7200.0`, `1e300`), or a
        /// string holding one. Seconds, capped below: read as `f64`, not a decimal, since
        /// a lifetime past a decimal's range is still a (capped) lifetime.
        #[serde(default)]
        expires_in: Option<serde_json::Value>,
    }
    let body: PartnerLoginResult = decode::response(resp, Provider::SkipPay, LOGIN)?;
    let token = body
        .access_token
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                Sent::Answered,
                "the login answered without an access token",
            )
            .with_provider(Provider::SkipPay)
            .with_operation(LOGIN)
            .with_status(resp.status)
        })?;
    let lifetime = match body.expires_in.and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }) {
        // Capped before converting: `Duration::from_secs_f64` panics past ~1.8e19 seconds.
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::from_secs_f64(secs.min(MAX_TOKEN_LIFETIME.as_secs_f64()))
        }
        _ => DEFAULT_TOKEN_LIFETIME,
    };
    Ok(Token::new(token, lifetime))
}

/// Reads an application (`ApplicationResponse`), from a read or an application cancel. An
/// application cancel accepted (2xx) with an unreadable answer is
/// [`Sent::MaybeSent`]: it may have been applied.
pub fn parse_application(
    resp: &HttpResponse,
    operation: &'static str,
) -> Result<ApplicationResponse, Error> {
    ok_or_error(resp, operation)?;
    if operation == GET_APPLICATION {
        wire::tolerant::response(resp, Provider::SkipPay, operation)
    } else {
        // A cancel accepted with an unreadable answer may have been applied.
        wire::tolerant::change_response(resp, Provider::SkipPay, operation)
    }
}

/// Reads the answer of an application read.
pub fn parse_get_application(resp: &HttpResponse) -> Result<ApplicationResponse, Error> {
    parse_application(resp, GET_APPLICATION)
}

/// Reads the answer of an order cancel (`OrderExtendedResponse`).
pub fn parse_cancel_order_items(resp: &HttpResponse) -> Result<Order, Error> {
    ok_or_error(resp, CANCEL_ORDER_ITEMS)?;
    wire::tolerant::change_response(resp, Provider::SkipPay, CANCEL_ORDER_ITEMS)
}
