//! Sans-IO response readers: each turns an [`HttpResponse`] into a typed value or the
//! [`Error`] its body describes.

use std::time::Duration;

use rescind_core::secrecy::SecretString;
use rescind_core::{Error, ErrorKind, HttpResponse, Provider, Sent, Token, change, decode, wire};
use serde::Deserialize;

use crate::error;
use crate::model::{AnsweredOrder, ApplicationResponse, NamedApplication, Order, OrderProof};
use crate::request::{CANCEL_APPLICATION, CANCEL_ORDER_ITEMS, GET_APPLICATION, LOGIN};

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
/// application cancel is read by the rule of [`rescind_core::change`]: only a documented
/// refusal ([`error::is_documented_refusal`]) proves it was not applied; a 5xx, a 429 (Skip
/// Pay documents none; the transport marks it) or a 2xx that is not an application is
/// [`Sent::MaybeSent`].
pub fn parse_application(
    resp: &HttpResponse,
    operation: &'static str,
) -> Result<ApplicationResponse, Error> {
    if operation == GET_APPLICATION {
        ok_or_error(resp, operation)?;
        wire::tolerant::response(resp, Provider::SkipPay, operation)
    } else {
        read_change(resp, operation, |r| {
            wire::tolerant::change_response(r, Provider::SkipPay, operation)
        })
    }
}

/// Reads the answer of an application cancel of `application_id`: [`parse_application`], and
/// the application's `id` must be `application_id` (else [`Sent::MaybeSent`]: the answer is
/// not about this application, so it proves nothing).
pub fn parse_cancel_application(
    resp: &HttpResponse,
    application_id: &str,
) -> Result<ApplicationResponse, Error> {
    let app = parse_application(resp, CANCEL_APPLICATION)?;
    if app.id != application_id {
        return Err(change::not_success(
            wrong_application(
                resp,
                CANCEL_APPLICATION,
                format!(
                    "the answer is about application `{}`, not `{application_id}`",
                    app.id
                ),
            ),
            resp.status,
        ));
    }
    Ok(app)
}

/// Reads the answer of a read of an application.
pub fn parse_get_application(resp: &HttpResponse) -> Result<ApplicationResponse, Error> {
    parse_application(resp, GET_APPLICATION)
}

/// The fields of `OrderExtendedResponse` the cancel's decision reads, which the spec lists as
/// required: the order's `state` and its `items`. A 2xx without them is not an order.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderShape {
    #[allow(dead_code)]
    state: serde::de::IgnoredAny,
    #[allow(dead_code)]
    items: Vec<serde::de::IgnoredAny>,
}

/// Reads the answer of an order cancel (`OrderExtendedResponse`) by the rule of
/// [`rescind_core::change`]: a 2xx must be an order, with the `state` and `items` the spec
/// requires (e.g. `{"padding": "xxxx"}` is not); else, like a 5xx or a 4xx that is not Skip
/// Pay's documented refusal, the error is [`Sent::MaybeSent`]. Errors are named
/// [`CANCEL_ORDER_ITEMS`]; [`parse_order_cancel_of`] names them by the request's operation.
pub fn parse_cancel_order_items(resp: &HttpResponse) -> Result<Order, Error> {
    parse_order_cancel(resp, CANCEL_ORDER_ITEMS)
}

fn parse_order_cancel(resp: &HttpResponse, operation: &'static str) -> Result<Order, Error> {
    read_change(resp, operation, |r| {
        if let Some(order) = order_read_once(&r.body) {
            return Ok(order);
        }
        decode::change_response::<OrderShape>(r, Provider::SkipPay, operation)?;
        wire::tolerant::change_response(r, Provider::SkipPay, operation)
    })
}

/// The common answer read in one pass: a JSON object that reads strictly as an [`Order`] whose
/// `state` is set and whose `items` are not empty. Such a body passes [`OrderShape`] (its
/// `state` key is there, its `items` are a list: `null` or a missing list read as empty), and
/// the tolerant reader would return this same order (a strict read is its first try), so
/// the result is the one of the two passes below. Anything else (`None`) is read by those two
/// passes, with their errors.
fn order_read_once(body: &[u8]) -> Option<Order> {
    // An object, not a list: a struct also reads from a JSON list, and `OrderShape` reads
    // lists by other rules.
    if !decode::is_object(body) {
        return None;
    }
    serde_json::from_slice::<Order>(body)
        .ok()
        .filter(|order| order.state.is_some() && !order.items.is_empty())
}

/// [`parse_order_cancel_of`] for the cancel's own read. A whole-order cancel (`whole`) keeps
/// the common answer as it came with the fields its decision reads ([`OrderProof`]), the
/// whole order decoded on first use; an item cancel (it matches items by code, EAN or name)
/// and any other answer are read whole by [`parse_order_cancel_of`], with its errors.
pub(crate) fn read_order_cancel_of(
    resp: &HttpResponse,
    application_id: &str,
    operation: &'static str,
    whole: bool,
) -> Result<AnsweredOrder, Error> {
    let kept = whole
        .then(|| read_change(resp, operation, |r| Ok(OrderProof::read(&r.body))))
        .transpose()?
        .flatten();
    let Some(proof) = kept else {
        return parse_order_cancel_of(resp, application_id, operation)
            .map(|order| AnsweredOrder::Decoded(Box::new(order)));
    };
    about_application(resp, proof.named_application(), application_id, operation)?;
    Ok(AnsweredOrder::kept(proof, resp.body.clone()))
}

/// When an order answer names its application (`applicationInfo.id`, read on its own: an
/// `applicationInfo` the order reader skips still names one), it must be `application_id`;
/// else, or when its id is unclear (given twice, not a text), the answer proves nothing
/// ([`Sent::MaybeSent`]).
fn about_application(
    resp: &HttpResponse,
    named: NamedApplication,
    application_id: &str,
    operation: &'static str,
) -> Result<(), Error> {
    let message = match &named {
        NamedApplication::One(id) if id != application_id => {
            format!("the answer is about application `{id}`, not `{application_id}`")
        }
        NamedApplication::Unclear => format!(
            "the answer's application id (`applicationInfo.id`) is given twice or is not a text: it is not known to be about `{application_id}`"
        ),
        _ => return Ok(()),
    };
    Err(change::not_success(
        wrong_application(resp, operation, message),
        resp.status,
    ))
}

/// [`parse_cancel_order_items`] for the order of `application_id`: when the answer names its
/// application (`applicationInfo.id`), it must be this one.
pub fn parse_cancel_order_items_of(
    resp: &HttpResponse,
    application_id: &str,
) -> Result<Order, Error> {
    parse_order_cancel_of(resp, application_id, CANCEL_ORDER_ITEMS)
}

/// [`parse_cancel_order_items_of`] with its errors named `operation`: the request's own
/// ([`request::order_cancel_operation`](crate::request::order_cancel_operation):
/// `cancel_order` for the whole order, `cancel_order_items` for items).
pub fn parse_order_cancel_of(
    resp: &HttpResponse,
    application_id: &str,
    operation: &'static str,
) -> Result<Order, Error> {
    let order = parse_order_cancel(resp, operation)?;
    about_application(
        resp,
        NamedApplication::in_body(&resp.body),
        application_id,
        operation,
    )?;
    Ok(order)
}

fn read_change<T>(
    resp: &HttpResponse,
    operation: &'static str,
    success: impl FnOnce(&HttpResponse) -> Result<T, Error>,
) -> Result<T, Error> {
    change::read(
        resp,
        error::is_documented_refusal(resp),
        |r| error::from_response(r, operation),
        success,
    )
}

fn wrong_application(resp: &HttpResponse, operation: &'static str, message: String) -> Error {
    let err = Error::new(ErrorKind::UnexpectedResponse, Sent::MaybeSent, message)
        .with_provider(Provider::SkipPay)
        .with_operation(operation)
        .with_status(resp.status)
        .with_attempts(resp.attempts);
    match &resp.request_id {
        Some(id) => err.with_request_id(id.clone()),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two passes the one-pass read stands for: the shape check, then the tolerant read.
    fn two_passes(body: &[u8]) -> Option<Order> {
        decode::json::<OrderShape>(body).ok()?;
        wire::tolerant::decode::<Order>(body).ok()
    }

    #[test]
    fn the_one_pass_read_gives_what_the_two_passes_give_or_leaves_the_body_to_them() {
        let documented = include_str!("../tests/fixtures/order_cancel_200.json");
        let bodies: Vec<String> = vec![
            documented.to_string(),
            format!("  \n{documented}"),
            r#"{"state": "CANCELLED", "items": [{"code": "1", "state": "CANCELLED"}]}"#.into(),
            // Passes the strict read, not the shape check: left to the two passes.
            r#"{"items": [{"code": "1", "state": "CANCELLED"}]}"#.into(),
            r#"{"state": null, "items": [{"code": "1", "state": "CANCELLED"}]}"#.into(),
            r#"{"state": "CANCELLED", "items": null}"#.into(),
            r#"{"state": "CANCELLED"}"#.into(),
            r#"{"state": "CANCELLED", "items": []}"#.into(),
            r#"{"padding":"xxxx"}"#.into(),
            r#"{"state": "CANC"#.into(),
            String::new(),
            "[]".into(),
            // A duplicate key fails both reads.
            r#"{"state": "CANCELLED", "state": "CANCELLED", "items": [{"code": "1"}]}"#.into(),
        ];
        let mut read_once = 0;
        for body in &bodies {
            let once = order_read_once(body.as_bytes());
            let two = two_passes(body.as_bytes());
            if let Some(order) = &once {
                read_once += 1;
                assert_eq!(Some(order), two.as_ref(), "{body}");
            }
        }
        // The documented answer and its like take the one pass.
        assert_eq!(read_once, 3);
        for body in [
            r#"{"items": [{"code": "1", "state": "CANCELLED"}]}"#,
            r#"{"state": "CANCELLED", "items": null}"#,
        ] {
            assert!(order_read_once(body.as_bytes()).is_none());
            assert!(two_passes(body.as_bytes()).is_none(), "{body}");
        }
    }

    /// What the cancel decides on, of a whole order.
    fn decision_of(order: &Order) -> (bool, (usize, usize), Option<crate::model::ApplicationInfo>) {
        (
            order.is_cancelled(),
            order.item_counts(),
            order.application_info.clone(),
        )
    }

    /// The kept answer's proof decides as the whole order would, and the whole order decodes
    /// from the kept body: for every body the proof reads, the two passes read it too, to an
    /// order with the same state, item states and application; and the one-pass full read
    /// never takes a body the proof leaves.
    #[test]
    fn the_proof_decides_as_the_whole_order_and_the_kept_body_decodes_whole() {
        let documented = include_str!("../tests/fixtures/order_cancel_200.json");
        let mut doc: serde_json::Value = serde_json::from_str(documented).unwrap();
        let mut variants: Vec<String> = vec![documented.to_string()];
        // Fields no cancel needs, unreadable: the proof reads, the whole order skips them.
        for (path, bad) in [
            ("/totalPrice", serde_json::json!("twelve")),
            ("/reservationDate", serde_json::json!("yesterday")),
            ("/items/0/totalPrice", serde_json::json!([1])),
            ("/items/0/deliveryDate", serde_json::json!(17)),
            ("/documents", serde_json::json!({"a": 1})),
            ("/deliveryCarrier", serde_json::json!(5)),
            // An `applicationInfo` that does not read is skipped; a numeric id names none.
            ("/applicationInfo/id", serde_json::json!(1)),
        ] {
            let mut v = doc.clone();
            *v.pointer_mut(path).unwrap() = bad;
            variants.push(v.to_string());
        }
        // Fields a cancel needs, unreadable: neither reads.
        for (path, bad) in [
            ("/items/0/code", serde_json::json!(7)),
            ("/items/0/quantity", serde_json::json!("many")),
            ("/items/0/state", serde_json::json!(3)),
            ("/state", serde_json::json!(["CANCELLED"])),
        ] {
            let mut v = doc.clone();
            *v.pointer_mut(path).unwrap() = bad;
            variants.push(v.to_string());
        }
        // Escaped texts, a cancelled application, cancelled items, no application.
        *doc.pointer_mut("/items/0/code").unwrap() = serde_json::json!("EXC\u{e9}\"1\\");
        *doc.pointer_mut("/applicationInfo/state").unwrap() = serde_json::json!("CANCELLED");
        variants.push(doc.to_string());
        *doc.pointer_mut("/items/0/state").unwrap() = serde_json::json!("CANCELLED");
        doc.as_object_mut().unwrap().remove("applicationInfo");
        variants.push(doc.to_string());
        variants.extend(
            [
                r#"{"state": "CANCELLED", "items": [{"code": "1", "state": "CANCELLED"}]}"#,
                r#"{"state": "SENT", "items": [{"state": "CANCELLED"}, {"state": "SENT"}, {}]}"#,
                r#"{"state": "CANCELLED", "items": [{"code": null, "quantity": "1.5"}]}"#,
                r#"{"items": [{"code": "1", "state": "CANCELLED"}]}"#,
                r#"{"state": null, "items": [{"code": "1", "state": "CANCELLED"}]}"#,
                r#"{"state": "CANCELLED", "items": []}"#,
                r#"{"state": "CANC"#,
                "[]",
                r#"{"state": "CANCELLED", "state": "CANCELLED", "items": [{"code": "1"}]}"#,
            ]
            .map(String::from),
        );
        let (mut proved, mut unreadable_rest) = (0, 0);
        for body in &variants {
            let proof = OrderProof::read(body.as_bytes());
            if order_read_once(body.as_bytes()).is_some() {
                assert!(proof.is_some(), "the full one-pass read took it: {body}");
            }
            let Some(proof) = proof else { continue };
            proved += 1;
            let two = two_passes(body.as_bytes()).unwrap_or_else(|| panic!("{body}"));
            let info = proof.application_info();
            let kept = AnsweredOrder::kept(proof, rescind_core::bytes::Bytes::from(body.clone()));
            assert_eq!(kept.order(), Some(&two), "{body}");
            let (cancelled, counts, two_info) = decision_of(&two);
            let app_cancelled = two_info
                .as_ref()
                .is_some_and(|i| i.state == crate::model::ApplicationState::Cancelled);
            assert_eq!(
                (kept.reads_cancelled(), kept.item_counts(), info),
                (cancelled || app_cancelled, counts, two_info),
                "{body}"
            );
            if !two.skipped().is_empty() {
                unreadable_rest += 1;
            }
        }
        assert_eq!(proved, 13);
        assert_eq!(unreadable_rest, 7);
    }

    /// A field given twice: the proof refuses it exactly when the order reader does, for
    /// every field of the order and of an item that the documented answer carries (the
    /// model's fields: a field added to `Order` or `OrderItem` and not to the proof fails
    /// here), and for a field no model knows (both take it).
    #[test]
    fn a_field_given_twice_is_refused_by_the_proof_as_by_the_order_reader() {
        let documented = include_str!("../tests/fixtures/order_cancel_200.json");
        let mut doc: serde_json::Value = serde_json::from_str(documented).unwrap();
        doc["unknownField"] = serde_json::json!(1);
        doc["items"][0]["unknownField"] = serde_json::json!(1);
        let text = doc.to_string();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let (order_keys, item_keys) = (keys(&doc), keys(&doc["items"][0]));
        assert!(
            order_keys.len() >= 18 && item_keys.len() >= 19,
            "{order_keys:?} {item_keys:?}"
        );
        let mut cases = Vec::new();
        for key in &order_keys {
            // The key once more, at the order's level (first in the object).
            let twice = text.replacen('{', &format!("{{\"{key}\":null,"), 1);
            cases.push((format!("order.{key}"), twice));
        }
        let item_at = text
            .find("{\"categories\"")
            .or_else(|| text.find("{\"code\""));
        let item_at = item_at.expect("the first item's object");
        for key in &item_keys {
            let mut twice = text.clone();
            twice.insert_str(item_at + 1, &format!("\"{key}\":null,"));
            cases.push((format!("items[0].{key}"), twice));
        }
        let mut refused = 0;
        for (case, body) in &cases {
            let proof = OrderProof::read(body.as_bytes()).is_some();
            let reader = two_passes(body.as_bytes()).is_some();
            assert_eq!(
                proof, reader,
                "{case}: proof {proof}, order reader {reader}"
            );
            if !reader {
                refused += 1;
            }
        }
        // Every known field given twice is refused; the unknown ones are taken.
        assert_eq!(refused, cases.len() - 2, "{cases:?}");
    }
}
