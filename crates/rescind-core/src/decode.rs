//! JSON decoding that says where a body went wrong.

use serde::de::DeserializeOwned;

use crate::{Error, ErrorKind, HttpResponse, Provider, Sent};

/// JSON's whitespace (RFC 8259 §2): space, tab, line feed and carriage return. A form feed or
/// a vertical tab is not, though `u8::is_ascii_whitespace` counts the form feed.
pub fn is_json_whitespace(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether `body` is empty or JSON whitespace only.
pub fn is_blank(body: &[u8]) -> bool {
    body.iter().all(is_json_whitespace)
}

/// Whether `body` is a JSON object at its top level: its first byte past JSON whitespace is
/// `{` (what it holds is left to the reader). A list is not, though serde reads a struct from
/// a list by position.
pub fn is_object(body: &[u8]) -> bool {
    body.iter().find(|b| !is_json_whitespace(b)) == Some(&b'{')
}

/// Decodes `bytes` as JSON into `T`. A failure is an [`ErrorKind::Decode`] error whose
/// [`json_path`](Error::json_path) names the failing place (`objects[0].details.title`).
/// Unknown fields never fail a decode: rescind's models do not deny them.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Session { id: u64 }
/// let err = rescind_core::decode::json::<Session>(br#"{"id": "x"}"#).unwrap_err();
/// assert_eq!(err.json_path(), Some("id"));
/// ```
///
/// A body that decodes takes the plain `serde_json` path; only a failure is decoded a second
/// time with the path tracked (tracking every key costs about as much as the decode itself).
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if is_blank(bytes) {
            "the body is empty".to_string()
        } else {
            inner.to_string()
        };
        let err = Error::new(ErrorKind::Decode, Sent::Answered, message);
        if path == "." {
            err
        } else {
            err.with_json_path(path)
        }
    })?;
    // A value followed by more than whitespace is not JSON (`{..} x`, two objects): the
    // first read above refused it for that, and so does this one.
    de.end()
        .map_err(|e| Error::new(ErrorKind::Decode, Sent::Answered, e.to_string()))?;
    Ok(value)
}

/// Decodes a provider's answer, adding the provider, operation, status and request id to a
/// decode error, so that it reads like every other error of the operation.
pub fn response<T: DeserializeOwned>(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Result<T, Error> {
    json(&response.body).map_err(|err| in_context(err, response, provider, operation))
}

/// `err` with the provider, operation, status, attempts and request id of `response`: a decode
/// error of an answer reads like every other error of the operation. Shared with the tolerant
/// reader ([`crate::wire::tolerant`]).
pub(crate) fn in_context(
    err: Error,
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Error {
    let err = err
        .with_provider(provider)
        .with_operation(operation)
        .with_status(response.status)
        .with_attempts(response.attempts);
    match &response.request_id {
        Some(id) => err.with_request_id(id.clone()),
        None => err,
    }
}

/// Decodes the answer of a request that changes state (a cancel, a hold). A 2xx whose body
/// cannot be read, or is not a JSON object (every documented change answer is one), is not
/// the documented success answer, so it proves nothing: the error says
/// [`Sent::MaybeSent`] (read the target's state before anything else), never
/// [`Sent::Answered`], which reads as a refusal (see [`change`](crate::change)). Other
/// statuses decode as [`response`] does.
///
/// ```
/// use rescind_core::{HttpResponse, Provider, Sent};
/// let resp = HttpResponse::new(200, "<html>");
/// let err = rescind_core::decode::change_response::<u64>(&resp, Provider::Arta, "cancel").unwrap_err();
/// assert_eq!(err.sent(), Sent::MaybeSent);
/// ```
pub fn change_response<T: DeserializeOwned>(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Result<T, Error> {
    not_an_object(response, provider, operation)?;
    self::response(response, provider, operation).map_err(|err| unreadable_change(err, response))
}

/// Every change answer the providers document is a JSON object (Arta's session and shipment,
/// Skip Pay's order and application): a 2xx that is anything else is not the documented
/// success, even when serde would read the model from it (a list, by position).
pub(crate) fn not_an_object(
    response: &HttpResponse,
    provider: Provider,
    operation: &'static str,
) -> Result<(), Error> {
    if !response.is_success() || is_object(&response.body) {
        return Ok(());
    }
    let err = Error::new(
        ErrorKind::Decode,
        Sent::Answered,
        "the answer is not a JSON object",
    );
    Err(unreadable_change(
        in_context(err, response, provider, operation),
        response,
    ))
}

/// The error of a change's answer that could not be decoded: for a 2xx it is not the documented
/// success answer, so it proves nothing ([`crate::change::not_success`]); another status keeps
/// its error. Shared by [`change_response`] and the tolerant reader's.
pub(crate) fn unreadable_change(err: Error, response: &HttpResponse) -> Error {
    if response.is_success() {
        crate::change::not_success(err, response.status)
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        quantity: u32,
    }

    #[test]
    fn error_names_the_nested_path() {
        let err = json::<Outer>(br#"{"items":[{"quantity":1},{"quantity":"two"}]}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.json_path(), Some("items[1].quantity"));
    }

    /// Bytes after the value make the body something else than JSON (break8b: the order
    /// reader took `{..} x` as the order). Whitespace after it is fine.
    #[test]
    fn bytes_after_the_value_are_a_decode_error() {
        let one = r#"{"items":[{"quantity":1}]}"#;
        for tail in [" x", "{}", one, "]"] {
            let body = format!("{one}{tail}");
            let err = json::<Outer>(body.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
            assert!(
                err.message().contains("trailing"),
                "{body}: {}",
                err.message()
            );
            let err =
                crate::wire::tolerant::decode_with::<Outer>(body.as_bytes(), &[]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        }
        assert!(json::<Outer>(format!("{one} \n\t").as_bytes()).is_ok());
    }

    #[test]
    fn empty_and_html_bodies_are_decode_errors() {
        let err = json::<Outer>(b"").unwrap_err();
        assert_eq!(err.message(), "the body is empty");
        let err = json::<Outer>(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
    }

    #[test]
    fn a_failure_names_the_same_path_and_message_as_a_tracked_decode() {
        let body = br#"{"items":[{"quantity":1},{"quantity":1,"x":[1,2]},{"quantity":-1}]}"#;
        let err = json::<Outer>(body).unwrap_err();
        let tracked = serde_path_to_error::deserialize::<_, Outer>(
            &mut serde_json::Deserializer::from_slice(body),
        )
        .unwrap_err();
        assert_eq!(err.json_path(), Some("items[2].quantity"));
        assert_eq!(err.message(), tracked.into_inner().to_string());
        let ok: Outer = json(br#"{"items":[{"quantity":7}]}"#).unwrap();
        assert_eq!(ok.items[0].quantity, 7);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let v: Inner = json(br#"{"quantity": 3, "new_field": {"x": 1}}"#).unwrap();
        assert_eq!(v.quantity, 3);
    }

    #[test]
    fn an_unreadable_accepted_change_may_have_been_applied() {
        for body in ["", "<html>", r#"{"id": "#] {
            let resp = HttpResponse::new(200, body);
            let err = change_response::<Inner>(&resp, Provider::Arta, "cancel").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode);
            assert_eq!(err.sent(), Sent::MaybeSent, "{body:?}");
            assert!(
                err.to_string()
                    .contains("answered HTTP 200 but not with its documented success answer"),
                "{err}"
            );
        }
        // A refusal stays a refusal; a read stays answered.
        let err = change_response::<Inner>(&HttpResponse::new(400, "x"), Provider::Arta, "cancel");
        assert!(err.is_err());
        let err =
            response::<Inner>(&HttpResponse::new(200, ""), Provider::Arta, "get").unwrap_err();
        assert_eq!(err.sent(), Sent::Answered);
    }

    #[test]
    fn response_adds_context() {
        let resp = HttpResponse::new(200, "{}").with_request_id("r-9");
        let err = response::<Inner>(&resp, Provider::Arta, "get_shipment").unwrap_err();
        assert_eq!(err.request_id(), Some("r-9"));
        assert_eq!(err.status(), Some(200));
        assert!(
            err.to_string()
                .starts_with("Arta get_shipment: could not read"),
            "{err}"
        );
    }
}
