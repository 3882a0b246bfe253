//! What proves a change: the one rule every change request (a cancel, a hold, an item cancel,
//! an application cancel) is read by, at every provider.
//!
//! Only two kinds of answer prove something:
//!
//! - a **success** proves the change was made: a 2xx whose body reads as the provider's
//!   documented success answer (the fields the decision reads are present and well typed, and
//!   the id, where the body has one, is the target's). The provider crate checks the body;
//! - a **refusal** proves no change was made: the provider's own error envelope on a 4xx it
//!   documents anywhere in its API, and a 429 where the provider documents it. A rate limit
//!   refuses a request before processing it (RFC 6585, section 4: "too many requests"); Arta
//!   documents its 429 (its "Rate Limits" topic), Di and Skip Pay document none (their
//!   references, Skip Pay's OpenAPI file: no 429). A 429 from Di or Skip Pay to a change is
//!   read like a 5xx: the transport (`TransportBuilder::documented_429`) does not resend a
//!   change that is not idempotent after it and marks the call "may have been sent", so the
//!   answer's error says [`Sent::MaybeSent`] and is settled by reading back.
//!
//! Everything else proves nothing: a 5xx (even Di's "please try again"), a 408, a gateway's
//! HTML page, a 4xx without the provider's envelope, a 2xx whose body is not the success
//! answer (malformed, another shape, an error envelope, empty where a body is documented,
//! larger than the body limit), a timeout, a lost connection. For a change request the error
//! then says [`Sent::MaybeSent`], idempotent or not, once the transport's retries are spent;
//! the provider's [`Canceller`](crate::Canceller) settles it by reading the target back.
//! Reads (`GET`) keep [`Sent::Answered`] for every answer.
//!
//! | provider | refusal (nothing changed) | everything else (may have changed) |
//! |---|---|---|
//! | Arta | 400/404/422 with `{"errors": ...}`, 401, 403, 429 | 5xx, 408, 409, a 4xx without the envelope |
//! | Di | any 4xx with `{statusCode, errorKey, errorMap}` | 5xx, 429, a 4xx without the envelope |
//! | Skip Pay | 400/404/422 with `{"errors": [...]}`, 401 with the OAuth-style body | 5xx, 429, a 4xx without its envelope |
//!
//! ```
//! use rescind_core::change::{self, Proof};
//! assert_eq!(change::classify(200, false), Proof::Success);
//! assert_eq!(change::classify(422, true), Proof::Refusal);
//! assert_eq!(change::classify(429, false), Proof::Refusal);
//! assert_eq!(change::classify(404, false), Proof::Unproven); // a proxy's page, not the provider's
//! assert_eq!(change::classify(500, true), Proof::Unproven);
//! ```

use crate::{Error, HttpResponse, Observation, Sent};

/// What the status of a change request's answer can prove, given whether its body is the
/// provider's documented error envelope for that status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proof {
    /// A 2xx: the change was made, if the body reads as the documented success answer.
    Success,
    /// A documented refusal: nothing was changed.
    Refusal,
    /// Anything else: the change may have been made.
    Unproven,
}

/// Classifies a change request's answer by its status and whether the provider reads its body
/// as its own documented error envelope for that status (`documented_refusal`). Pure.
///
/// - 2xx: [`Proof::Success`] (the body is checked by the provider crate);
/// - 429: [`Proof::Refusal`], whatever the body, for the answer itself; where the provider
///   does not document its 429 the transport has marked the response
///   ([`HttpResponse::earlier_attempt_maybe_sent`](crate::HttpResponse)), so the error keeps
///   [`Sent::MaybeSent`] and the change is settled by reading back;
/// - another 4xx: [`Proof::Refusal`] when `documented_refusal`, else [`Proof::Unproven`];
/// - everything else (1xx, 3xx, 5xx): [`Proof::Unproven`].
pub fn classify(status: u16, documented_refusal: bool) -> Proof {
    match status {
        200..=299 => Proof::Success,
        429 => Proof::Refusal,
        400..=499 if documented_refusal => Proof::Refusal,
        _ => Proof::Unproven,
    }
}

/// Reads the answer of a change request by the rule.
///
/// - `documented_refusal`: whether the provider reads this answer (status and body) as its own
///   documented refusal;
/// - `error`: the provider's error for a non-2xx answer (kind, code, message, details);
/// - `success`: decodes and checks the documented success answer of a 2xx; its error (the body
///   is not the success answer) becomes [`Sent::MaybeSent`] ([`not_success`]).
///
/// A refusal keeps the error's [`Sent`] ([`Sent::Answered`], or [`Sent::MaybeSent`] when an
/// earlier attempt of the call may have been applied); anything unproven becomes
/// [`Sent::MaybeSent`] ([`unproven`]).
pub fn read<T>(
    response: &HttpResponse,
    documented_refusal: bool,
    error: impl FnOnce(&HttpResponse) -> Error,
    success: impl FnOnce(&HttpResponse) -> Result<T, Error>,
) -> Result<T, Error> {
    match classify(response.status, documented_refusal) {
        Proof::Success => success(response).map_err(|err| not_success(err, response.status)),
        Proof::Refusal => Err(error(response)),
        Proof::Unproven => Err(unproven(error(response))),
    }
}

/// The error for a 2xx answer to a change whose body is not the documented success answer
/// (unreadable, another shape, an error envelope, empty, the wrong id): [`Sent::MaybeSent`],
/// with a message that says so. The kind is kept.
pub fn not_success(err: Error, status: u16) -> Error {
    if err.sent() == Sent::MaybeSent && err.message().contains("whether the change was applied") {
        return err;
    }
    let message = format!(
        "{}; the provider answered HTTP {status} but not with its documented success answer, so whether the change was applied is unknown",
        err.message()
    );
    err.with_sent(Sent::MaybeSent).with_message(message)
}

/// The error for an answer to a change that neither proves it made nor refused (a 5xx, a 408,
/// a page that is not the provider's error envelope): [`Sent::MaybeSent`], with a message that
/// says so. The kind is kept.
pub fn unproven(err: Error) -> Error {
    let message = format!(
        "{}; this answer does not prove the change was refused, so it may have been applied",
        err.message()
    );
    err.with_sent(Sent::MaybeSent).with_message(message)
}

/// The error of a read made BEFORE a change was sent (the target read to check the rules or
/// to find it already done): the change itself was never sent, so the error must not say it
/// may have been applied. A read that timed out or lost its connection is
/// [`Sent::MaybeSent`] as a request, but a read changes nothing: that becomes
/// [`Sent::NotSent`] (with the message saying the change was not sent); any other [`Sent`] is
/// kept. Providers' cancellers map their first read's error through this.
pub fn read_before_change(err: Error) -> Error {
    if err.sent() != Sent::MaybeSent {
        return err;
    }
    let message = format!(
        "{}; this was the read before the change, so the change was not sent",
        err.message()
    );
    err.with_sent(Sent::NotSent).with_message(message)
}

/// Whether an idempotent change whose answer proved nothing (`err`), and whose target reads
/// back unchanged, is sent once more: only when the transport has not already repeated it,
/// i.e. its attempts stayed below the policy's `max_attempts` (a 2xx that is not the success
/// answer is never retried by the transport; a 5xx or a timeout on every attempt was). Every
/// request counts: a provider failing every attempt is not asked again. A non-idempotent
/// change is never sent again: a read-back soon after sending that shows no change proves
/// nothing, the change may still land.
///
/// ```
/// use rescind_core::{Error, ErrorKind, Sent, change, retry::RetryPolicy};
/// let policy = RetryPolicy::default(); // 3 attempts
/// let garbled = Error::new(ErrorKind::Decode, Sent::MaybeSent, "not JSON").with_attempts(1);
/// assert!(change::may_send_again(&garbled, &policy));
/// let down = Error::new(ErrorKind::Server, Sent::MaybeSent, "HTTP 503").with_attempts(3);
/// assert!(!change::may_send_again(&down, &policy));
/// ```
pub fn may_send_again(err: &Error, policy: &crate::retry::RetryPolicy) -> bool {
    err.attempts() < policy.max_attempts
}

/// After a read-back shows an idempotent change unchanged: `None` when it is sent once more
/// (not `resent` yet, and [`may_send_again`]); otherwise how the unknown outcome's message names
/// its sends ("sent twice", or "not sent again after the transport's retries").
pub fn stop_resending(
    resent: bool,
    err: &Error,
    policy: &crate::retry::RetryPolicy,
) -> Option<&'static str> {
    if resent {
        Some("sent twice")
    } else if !may_send_again(err, policy) {
        Some("not sent again after the transport's retries")
    } else {
        None
    }
}

/// The error for a change whose outcome stays unknown after reading the target back: still
/// [`Sent::MaybeSent`], its message saying what the read-back showed (`read_back`) and what to
/// check before trying again (`check`, e.g. the CLI's `rescind di show <id>`), and carrying the
/// reading taken before the change ([`Error::observed_before`]) to compare with later.
pub fn unknown_after_read_back(
    err: Error,
    before: Option<Observation>,
    read_back: &str,
    check: &str,
) -> Error {
    let message = format!(
        "{}; {read_back}; the outcome is unknown: check with `{check}` before trying again",
        err.message()
    );
    let err = err.with_sent(Sent::MaybeSent).with_message(message);
    match before {
        Some(before) => err.with_observed_before(before),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Provider};

    #[test]
    fn the_table() {
        use Proof::*;
        let table = [
            (200, false, Success),
            (201, true, Success),
            (204, false, Success),
            (400, true, Refusal),
            (400, false, Unproven),
            (401, true, Refusal),
            (404, true, Refusal),
            (404, false, Unproven),
            (408, false, Unproven),
            (409, true, Refusal),
            (422, true, Refusal),
            (429, false, Refusal),
            (429, true, Refusal),
            (500, true, Unproven),
            (502, false, Unproven),
            (503, true, Unproven),
            (302, false, Unproven),
        ];
        for (status, envelope, proof) in table {
            assert_eq!(classify(status, envelope), proof, "{status} {envelope}");
        }
    }

    fn error(resp: &HttpResponse) -> Error {
        crate::error_from_response(resp, Provider::Di, "cancel_order", "failed")
    }

    #[test]
    fn read_marks_what_proves_nothing_as_maybe_sent() {
        let ok = |_: &HttpResponse| Ok::<u8, Error>(1);
        let bad = |_: &HttpResponse| {
            Err::<u8, Error>(Error::new(ErrorKind::Decode, Sent::Answered, "not JSON"))
        };
        assert_eq!(
            read(&HttpResponse::new(200, ""), false, error, ok).unwrap(),
            1
        );
        let err = read(&HttpResponse::new(200, "<html>"), false, error, bad).unwrap_err();
        assert_eq!(
            (err.kind(), err.sent()),
            (ErrorKind::Decode, Sent::MaybeSent)
        );
        assert!(
            err.message()
                .contains("whether the change was applied is unknown")
        );
        let err = read(&HttpResponse::new(400, "{}"), true, error, ok).unwrap_err();
        assert_eq!(err.sent(), Sent::Answered);
        let err = read(&HttpResponse::new(429, ""), false, error, ok).unwrap_err();
        assert_eq!(
            (err.kind(), err.sent()),
            (ErrorKind::RateLimited, Sent::Answered)
        );
        for status in [400, 404, 408, 500, 502, 503] {
            let err = read(&HttpResponse::new(status, "<html>"), false, error, ok).unwrap_err();
            assert_eq!(err.sent(), Sent::MaybeSent, "{status}");
            assert!(err.message().contains("may have been applied"), "{err}");
        }
    }

    #[test]
    fn unknown_after_read_back_carries_the_reading_from_before() {
        let before = Observation::new("42", "new");
        let err = Error::new(ErrorKind::Server, Sent::Answered, "HTTP 500");
        let err = unknown_after_read_back(
            err,
            Some(before.clone()),
            "reading back shows `new`",
            "rescind arta show-session 42",
        );
        assert_eq!(err.sent(), Sent::MaybeSent);
        assert_eq!(err.observed_before(), Some(&before));
        assert!(
            err.message()
                .ends_with("check with `rescind arta show-session 42` before trying again"),
            "{err}"
        );
    }
}
