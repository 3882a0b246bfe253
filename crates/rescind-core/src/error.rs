//! The one error type of rescind: what went wrong, and whether the request reached the provider.
//!
//! Every fallible call of every rescind crate returns [`Error`]. Two questions decide what a
//! caller does next, and [`Error`] answers both without a `match` on provider details:
//!
//! - **What kind of failure?** [`Error::kind`] returns an [`ErrorKind`]: bad input, a login
//!   problem, a provider rule that refuses the cancel, a rate limit, a server fault, a timeout…
//! - **Did the request reach the provider?** [`Error::sent`] returns a [`Sent`]: not sent (safe
//!   to fix and retry), sent and answered (the provider said no), or *may have been sent*
//!   (a timeout, a broken connection, or for a change any answer that is neither its
//!   documented success nor a documented refusal, see [`change`](crate::change): the cancel may
//!   have happened, read the state back before doing anything else).
//!
//! ```
//! use rescind_core::{Error, ErrorKind, Sent};
//!
//! let err = Error::invalid_input("hold_until", "must be at most 30 days after the shipment was created");
//! assert_eq!(err.kind(), ErrorKind::InvalidInput);
//! assert_eq!(err.sent(), Sent::NotSent);
//! assert_eq!(err.field(), Some("hold_until"));
//! assert_eq!(
//!     err.to_string(),
//!     "invalid input: `hold_until` must be at most 30 days after the shipment was created (nothing was sent)"
//! );
//! ```
//!
//! The [`Display`](std::fmt::Display) of an error names the provider, the operation, the HTTP
//! status, the provider's own code and message and its request id when they are known, so one
//! log line is enough to act on or to quote to the provider's support. No secret is ever part of
//! an error: credentials live in [`secrecy`] types that the error never sees.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::observation::Observation;
use crate::plan::Refusal;
use crate::provider::Provider;

/// What kind of failure an [`Error`] is. Stable names to branch on; new kinds may be added.
///
/// Serialized (serde) as its stable snake_case name, the same as [`ErrorKind::as_str`]
/// (`"not_cancellable"`, `"unknown_account"`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials were missing, wrong or expired (HTTP 401), even after one renewal.
    Unauthorized,
    /// The credentials are valid but may not do this (HTTP 403), e.g. another shop's order.
    Forbidden,
    /// The target does not exist at the provider, or not for this account (HTTP 404).
    NotFound,
    /// The input breaks a documented rule; [`Error::field`] and [`Error::rule`] say which.
    /// Usually caught before sending; a provider's 400 maps here too.
    InvalidInput,
    /// The provider's rules refuse the operation in the target's current state: the order is
    /// in transit, the application is rejected, the shipment was collected. Not retryable.
    NotCancellable,
    /// The provider throttled us (HTTP 429) and retries ran out; see [`Error::retry_after`].
    RateLimited,
    /// The provider failed (HTTP 5xx) and retries ran out.
    Server,
    /// No answer within the configured time. The request may have been applied.
    Timeout,
    /// The connection failed. [`Error::sent`] tells whether it failed before or after sending.
    Transport,
    /// The provider answered with a body we could not read; [`Error::json_path`] says where.
    Decode,
    /// This provider does not offer the operation (e.g. an item cancel at Arta).
    Unsupported,
    /// The client is misconfigured (bad base URL, missing credential). Nothing was sent.
    Config,
    /// The caller named an account that is not configured (the facade's `Registry`: "no
    /// account named x"). Distinct from [`Config`](ErrorKind::Config): the clients are fine,
    /// the name is not one of them. Nothing was sent.
    UnknownAccount,
    /// The provider answered with a status this SDK does not expect for the operation.
    UnexpectedResponse,
}

impl ErrorKind {
    /// A short lowercase name, stable across versions, for logs and machine output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotCancellable => "not_cancellable",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "config",
            ErrorKind::UnknownAccount => "unknown_account",
            ErrorKind::UnexpectedResponse => "unexpected_response",
        }
    }

    /// The kind an HTTP error status maps to when the provider's body says nothing more precise.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            // "Request Timeout": the server gave up waiting; like a timeout of ours, the
            // request may or may not have been processed.
            408 => ErrorKind::Timeout,
            409 => ErrorKind::NotCancellable,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::UnexpectedResponse,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the request reached the provider. This decides what is safe to do next.
///
/// Serialized (serde) as its stable snake_case name, the same as [`Sent::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Sent {
    /// Nothing left this process: validation, configuration, or a refused connection.
    /// Fix the cause and call again.
    NotSent,
    /// The provider received the request and answered; its answer is in the error.
    Answered,
    /// The request may have reached the provider and been applied, but no answer proves
    /// whether it was: no answer came (timeout, connection reset), or for a change, an answer
    /// that is neither its documented success nor a documented refusal (a 5xx, a gateway's
    /// page, a 2xx that is not the success answer; see [`change`](crate::change)). Read the
    /// target's state before acting again.
    MaybeSent,
}

impl Sent {
    /// A short lowercase name, stable across versions.
    pub fn as_str(self) -> &'static str {
        match self {
            Sent::NotSent => "not_sent",
            Sent::Answered => "answered",
            Sent::MaybeSent => "maybe_sent",
        }
    }
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a provider's error body (Skip Pay sends a list, Arta a map of fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The provider's code for this entry, if it has one.
    pub code: Option<String>,
    /// The provider's message.
    pub message: String,
    /// The field or attribute the entry is about, if any.
    pub field: Option<String>,
}

impl ErrorDetail {
    /// A detail with a message and nothing else.
    pub fn new(message: impl Into<String>) -> Self {
        ErrorDetail {
            code: None,
            message: message.into(),
            field: None,
        }
    }

    /// Sets the provider's code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the field the entry is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error of every rescind operation: an [`ErrorKind`] to branch on and a [`Sent`] that
/// says whether the request may have reached the provider.
///
/// Built by the transport and by the provider crates with [`Error::new`] and the `with_*`
/// setters; read with the accessors. It is one pointer wide, so `Result<T, Error>` stays small.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    sent: Sent,
    message: String,
    provider: Option<Provider>,
    operation: Option<&'static str>,
    status: Option<u16>,
    code: Option<String>,
    provider_message: Option<String>,
    request_id: Option<String>,
    field: Option<String>,
    rule: Option<String>,
    json_path: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    reason: Option<Refusal>,
    details: Vec<ErrorDetail>,
    body: Option<String>,
    observed_before: Option<Box<Observation>>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with a message for a person. The other facts are set with the
    /// `with_*` methods.
    pub fn new(kind: ErrorKind, sent: Sent, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                sent,
                message: message.into(),
                provider: None,
                operation: None,
                status: None,
                code: None,
                provider_message: None,
                request_id: None,
                field: None,
                rule: None,
                json_path: None,
                retry_after: None,
                attempts: 0,
                reason: None,
                details: Vec::new(),
                body: None,
                observed_before: None,
                source: None,
            }),
        }
    }

    /// Input that breaks a documented rule, caught before sending. `field` names the input
    /// (`items[0].quantity`), `rule` says what it must be.
    pub fn invalid_input(field: impl Into<String>, rule: impl Into<String>) -> Self {
        let field = field.into();
        let rule = rule.into();
        let mut err = Error::new(ErrorKind::InvalidInput, Sent::NotSent, String::new());
        err.inner.message = format!("`{field}` {rule}");
        err.inner.field = Some(field);
        err.inner.rule = Some(rule);
        err
    }

    /// A misconfigured client, caught before sending.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, Sent::NotSent, message)
    }

    /// An operation this provider does not offer, refused before sending.
    pub fn unsupported(provider: Provider, what: impl Into<String>) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            Sent::NotSent,
            format!("{} does not support {}", provider.name(), what.into()),
        )
        .with_provider(provider)
    }

    /// The provider's rules refuse the operation. `sent` is [`Sent::NotSent`] when our own
    /// check refused it and [`Sent::Answered`] when the provider did.
    pub fn not_cancellable(sent: Sent, reason: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotCancellable, sent, reason)
    }

    /// Sets the provider.
    pub fn with_provider(mut self, provider: Provider) -> Self {
        self.inner.provider = Some(provider);
        self
    }

    /// Sets the operation name (e.g. `cancel_hosted_session`).
    pub fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation = Some(operation);
        self
    }

    /// Sets the HTTP status of the provider's answer.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the provider's error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    /// Sets the provider's own message.
    pub fn with_provider_message(mut self, message: impl Into<String>) -> Self {
        self.inner.provider_message = Some(message.into());
        self
    }

    /// Sets the provider's request id (Arta `x-arta-request-id`, Skip Pay `ticketId`).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.inner.request_id = Some(request_id.into());
        self
    }

    /// Sets the field the error is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.inner.field = Some(field.into());
        self
    }

    /// Sets the JSON path where decoding failed.
    pub fn with_json_path(mut self, path: impl Into<String>) -> Self {
        self.inner.json_path = Some(path.into());
        self
    }

    /// Sets how long the provider asked us to wait.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    /// Sets how many attempts were made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// Sets why the target's state or the provider's rules refused the request: a stable
    /// code a program can branch on, whoever refused (the provider's answer or our own check
    /// before sending). See [`Error::reason`].
    pub fn with_reason(mut self, reason: Refusal) -> Self {
        self.inner.reason = Some(reason);
        self
    }

    /// Replaces the provider's error entries.
    pub fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.inner.details = details;
        self
    }

    /// Keeps the raw error body (already capped by the transport).
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.inner.body = Some(body.into());
        self
    }

    /// Keeps what the provider showed for the target before the change was sent (a
    /// [`Sent::MaybeSent`] error that reading back could not settle carries it, so the caller
    /// can compare with a later reading, e.g. with [`settle`](crate::settle)).
    pub fn with_observed_before(mut self, before: Observation) -> Self {
        self.inner.observed_before = Some(Box::new(before));
        self
    }

    /// Sets the underlying cause. Its message must not contain secrets.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Changes the kind, keeping everything else (e.g. a 422 a provider documents as "not
    /// cancellable").
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// Replaces our message for a person, keeping everything else (e.g. to add what reading
    /// the target back showed).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = message.into();
        self
    }

    /// Changes whether the request was sent, keeping everything else.
    pub fn with_sent(mut self, sent: Sent) -> Self {
        self.inner.sent = sent;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whether the request reached the provider.
    pub fn sent(&self) -> Sent {
        self.inner.sent
    }

    /// True when the operation may have been applied although no answer says so: the outcome
    /// is unknown and must be settled by reading the target's state.
    pub fn outcome_unknown(&self) -> bool {
        self.inner.sent == Sent::MaybeSent
    }

    /// Our message for a person (without the context the Display adds).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The provider, when known.
    pub fn provider(&self) -> Option<Provider> {
        self.inner.provider
    }

    /// The operation, when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The HTTP status of the provider's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider's error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The provider's own message, when it sent one.
    pub fn provider_message(&self) -> Option<&str> {
        self.inner.provider_message.as_deref()
    }

    /// The provider's request id, to quote to its support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The input field the error is about.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// The rule the input broke.
    pub fn rule(&self) -> Option<&str> {
        self.inner.rule.as_deref()
    }

    /// Where in the JSON body decoding failed (e.g. `objects[0].details.title`).
    pub fn json_path(&self) -> Option<&str> {
        self.inner.json_path.as_deref()
    }

    /// How long the provider asked us to wait, from `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// How many HTTP attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Why the request was refused, as a stable code ([`Refusal`], serialized snake_case:
    /// `in_transit`, `hold_window_passed`, `rejected`, `not_cancellable`, `already_cancelled`,
    /// `item_not_found`, `quantity_too_large`, `invalid_request`, `not_found`), whoever
    /// refused: the provider's documented refusal or our own check of its documented rules
    /// before sending. A program branches (or a frontend translates) on this, never on the
    /// message.
    ///
    /// `None` when the error is not a refusal (a timeout, a rate limit, a login problem, a
    /// configuration error...). When the refusal carries no more precise reason, the kind
    /// gives one: [`NotCancellable`](ErrorKind::NotCancellable) →
    /// [`Refusal::NotCancellable`], [`InvalidInput`](ErrorKind::InvalidInput) →
    /// [`Refusal::InvalidRequest`], [`NotFound`](ErrorKind::NotFound) →
    /// [`Refusal::NotFound`]. A [`Sent::MaybeSent`] error is never a refusal: nothing proves the
    /// provider refused.
    ///
    /// ```
    /// use rescind_core::{Error, ErrorKind, Refusal, Sent};
    ///
    /// let err = Error::not_cancellable(Sent::NotSent, "the order is in transit")
    ///     .with_reason(Refusal::InTransit);
    /// assert_eq!(err.reason(), Some(Refusal::InTransit));
    /// let err = Error::invalid_input("items[0].quantity", "must be at most 2");
    /// assert_eq!(err.reason(), Some(Refusal::InvalidRequest));
    /// let err = Error::new(ErrorKind::Timeout, Sent::MaybeSent, "no answer");
    /// assert_eq!(err.reason(), None);
    /// ```
    pub fn reason(&self) -> Option<Refusal> {
        if self.inner.sent == Sent::MaybeSent {
            return None;
        }
        self.inner.reason.or(match self.inner.kind {
            ErrorKind::NotCancellable => Some(Refusal::NotCancellable),
            ErrorKind::InvalidInput => Some(Refusal::InvalidRequest),
            ErrorKind::NotFound => Some(Refusal::NotFound),
            _ => None,
        })
    }

    /// Every entry of the provider's error body, in order.
    pub fn details(&self) -> &[ErrorDetail] {
        &self.inner.details
    }

    /// The raw error body as received, capped at the transport's error-body limit.
    pub fn body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// What the provider showed for the target before the change was sent, when the error is
    /// a change of unknown outcome that reading back could not settle.
    pub fn observed_before(&self) -> Option<&Observation> {
        self.inner.observed_before.as_deref()
    }

    /// Whether calling again later, unchanged, may succeed (rate limits, server faults,
    /// timeouts and transport failures). Read [`Error::sent`] first: a cancel that may have
    /// been sent should be settled by reading state, not by calling again blindly.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(provider) = i.provider {
            write!(f, "{}", provider.name())?;
            if let Some(op) = i.operation {
                write!(f, " {op}")?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{}", kind_phrase(i.kind))?;
        if !i.message.is_empty() {
            write!(f, ": {}", i.message)?;
        }
        if let Some(status) = i.status {
            write!(f, " (HTTP {status}")?;
            if let Some(code) = &i.code {
                write!(f, ", code {code}")?;
            }
            f.write_str(")")?;
        } else if let Some(code) = &i.code {
            write!(f, " (code {code})")?;
        }
        if let Some(pm) = &i.provider_message
            && !i.message.contains(pm.as_str())
        {
            write!(f, ": {pm}")?;
        }
        if i.details.len() > 1 {
            let rest: Vec<String> = i.details.iter().skip(1).map(detail_text).collect();
            write!(f, "; also: {}", rest.join("; "))?;
        }
        if let Some(path) = &i.json_path {
            write!(f, " at `{path}`")?;
        }
        if let Some(id) = &i.request_id {
            write!(f, " [request id {id}]")?;
        }
        match i.sent {
            Sent::NotSent => f.write_str(" (nothing was sent)")?,
            Sent::MaybeSent => f.write_str(
                " (the request may have reached the provider: check the target's state)",
            )?,
            Sent::Answered => {}
        }
        Ok(())
    }
}

fn detail_text(d: &ErrorDetail) -> String {
    let mut s = String::new();
    if let Some(field) = &d.field {
        s.push_str(field);
        s.push_str(": ");
    }
    s.push_str(&d.message);
    if let Some(code) = &d.code {
        s.push_str(&format!(" ({code})"));
    }
    s
}

fn kind_phrase(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not found",
        ErrorKind::InvalidInput => "invalid input",
        ErrorKind::NotCancellable => "not cancellable",
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Server => "provider server error",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Transport => "connection failed",
        ErrorKind::Decode => "could not read the provider's answer",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Config => "configuration error",
        ErrorKind::UnknownAccount => "unknown account",
        ErrorKind::UnexpectedResponse => "unexpected response",
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("sent", &i.sent);
        d.field("message", &i.message);
        if let Some(v) = &i.provider {
            d.field("provider", v);
        }
        if let Some(v) = &i.operation {
            d.field("operation", v);
        }
        if let Some(v) = &i.status {
            d.field("status", v);
        }
        if let Some(v) = &i.code {
            d.field("code", v);
        }
        if let Some(v) = &i.provider_message {
            d.field("provider_message", v);
        }
        if let Some(v) = &i.request_id {
            d.field("request_id", v);
        }
        if let Some(v) = &i.field {
            d.field("field", v);
        }
        if let Some(v) = &i.rule {
            d.field("rule", v);
        }
        if let Some(v) = &i.json_path {
            d.field("json_path", v);
        }
        if let Some(v) = &i.reason {
            d.field("reason", v);
        }
        if let Some(v) = &i.retry_after {
            d.field("retry_after", v);
        }
        if i.attempts > 0 {
            d.field("attempts", &i.attempts);
        }
        if !i.details.is_empty() {
            d.field("details", &i.details);
        }
        if let Some(v) = &i.observed_before {
            d.field("observed_before", v);
        }
        if let Some(v) = &i.source {
            d.field("source", &v.to_string());
        }
        d.finish_non_exhaustive()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_provider_status_code_and_request_id() {
        let err = Error::new(
            ErrorKind::NotCancellable,
            Sent::Answered,
            "the order is in transit",
        )
        .with_provider(Provider::Di)
        .with_operation("cancel_order")
        .with_status(400)
        .with_code("order.exported")
        .with_request_id("req-42");
        assert_eq!(
            err.to_string(),
            "Di cancel_order: not cancellable: the order is in transit (HTTP 400, code order.exported) [request id req-42]"
        );
    }

    #[test]
    fn display_lists_every_detail_and_warns_when_maybe_sent() {
        let err = Error::new(ErrorKind::Timeout, Sent::MaybeSent, "no answer after 30s")
            .with_details(vec![
                ErrorDetail::new("first"),
                ErrorDetail::new("second")
                    .with_field("items[1]")
                    .with_code("X"),
            ]);
        let text = err.to_string();
        assert!(text.contains("also: items[1]: second (X)"), "{text}");
        assert!(text.ends_with("check the target's state)"), "{text}");
        assert!(err.outcome_unknown());
    }

    #[test]
    fn provider_message_is_not_repeated() {
        let err = Error::new(ErrorKind::NotFound, Sent::Answered, "Not found.")
            .with_provider_message("Not found.");
        assert_eq!(err.to_string(), "not found: Not found.");
    }

    #[test]
    fn status_maps_to_kind() {
        let table = [
            (400, ErrorKind::InvalidInput),
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::NotFound),
            (408, ErrorKind::Timeout),
            (409, ErrorKind::NotCancellable),
            (422, ErrorKind::InvalidInput),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::Server),
            (503, ErrorKind::Server),
            (418, ErrorKind::UnexpectedResponse),
        ];
        for (status, kind) in table {
            assert_eq!(ErrorKind::from_status(status), kind, "status {status}");
        }
    }

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn reason_is_the_one_set_or_the_kinds_and_never_for_an_unknown_outcome() {
        let set = Error::new(ErrorKind::NotCancellable, Sent::Answered, "rejected")
            .with_reason(Refusal::Rejected);
        assert_eq!(set.reason(), Some(Refusal::Rejected));
        assert!(format!("{set:?}").contains("Rejected"));
        let table = [
            (ErrorKind::NotCancellable, Some(Refusal::NotCancellable)),
            (ErrorKind::InvalidInput, Some(Refusal::InvalidRequest)),
            (ErrorKind::NotFound, Some(Refusal::NotFound)),
            (ErrorKind::Unauthorized, None),
            (ErrorKind::RateLimited, None),
            (ErrorKind::Server, None),
            (ErrorKind::Config, None),
            (ErrorKind::UnknownAccount, None),
        ];
        for (kind, reason) in table {
            assert_eq!(
                Error::new(kind, Sent::Answered, "x").reason(),
                reason,
                "{kind}"
            );
        }
        let unknown = Error::new(ErrorKind::Server, Sent::MaybeSent, "502")
            .with_reason(Refusal::NotCancellable);
        assert_eq!(unknown.reason(), None);
    }

    #[test]
    fn kinds_and_sent_serialize_as_their_stable_names() {
        let kinds = [
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::InvalidInput,
            ErrorKind::NotCancellable,
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Timeout,
            ErrorKind::Transport,
            ErrorKind::Decode,
            ErrorKind::Unsupported,
            ErrorKind::Config,
            ErrorKind::UnknownAccount,
            ErrorKind::UnexpectedResponse,
        ];
        for kind in kinds {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
            assert_eq!(serde_json::from_value::<ErrorKind>(json).unwrap(), kind);
        }
        for sent in [Sent::NotSent, Sent::Answered, Sent::MaybeSent] {
            let json = serde_json::to_value(sent).unwrap();
            assert_eq!(json, sent.as_str());
            assert_eq!(serde_json::from_value::<Sent>(json).unwrap(), sent);
        }
        assert_eq!(
            Error::new(
                ErrorKind::UnknownAccount,
                Sent::NotSent,
                "no account named `x`"
            )
            .to_string(),
            "unknown account: no account named `x` (nothing was sent)"
        );
    }
}
