//! `POST /orders/{account}/{id}/cancel`: one cancel (or hold) through the registry, answered
//! as JSON with an HTTP status chosen by what happened.
//!
//! The body is optional JSON ([`CancelBody`]): nothing (or `{}`) cancels the whole target;
//! `items` cancels some items; `hold` puts the target on hold; `timeout_ms` shortens the
//! cancel's deadline. The answer ([`CancelAnswer`]) carries the SDK's enums, serialized as
//! their stable snake_case names:
//!
//! | verdict | HTTP | when |
//! |---|---|---|
//! | `done` | 200 | cancelled, partially cancelled, already cancelled or held (`status`, `settled_by`) |
//! | `unknown` | 202 | the request may have been applied and nothing proves whether ([`Sent::MaybeSent`]): check later, a new call settles it |
//! | `refused` | 409 | the provider's rules refuse it ([`ErrorKind::NotCancellable`]), with the reason code ([`Error::reason`]: `in_transit`, `rejected`, `hold_window_passed`, ...) |
//! | `not_found` | 404 | the target does not exist at the provider ([`ErrorKind::NotFound`]), or the account is not configured ([`ErrorKind::UnknownAccount`]) |
//! | `invalid` | 422 | the input breaks a documented rule, or the provider does not offer the action |
//! | `retry_later` | 503 | nothing was applied (not sent, or a refusal before processing: rate limit, 5xx answered to a read); `Retry-After` when the provider gave one |
//! | `failed` | 502 | our side of the integration is wrong (credentials, configuration, an answer we cannot read) |

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rescind::core::jiff::civil::Date;
use rescind::core::rust_decimal::Decimal;
use rescind::core::{CancelOptions, Refusal};
use rescind::{
    CancelOutcome, CancelRequest, CancelStatus, Error, ErrorKind, ItemSelector, Provider, Sent,
    SettledBy,
};
use serde::{Deserialize, Serialize};

use crate::App;

/// How long the service waits past a cancel's deadline for the cancel's own answer before it
/// answers "unknown" itself (a `Canceller` that does not honour the deadline).
pub const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// The optional body of a cancel.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Cancel only these items (Skip Pay), each by code and/or EAN, with an optional quantity.
    #[serde(default)]
    pub items: Option<Vec<ItemBody>>,
    /// Put the target on hold (Arta shipments) instead of cancelling it.
    #[serde(default)]
    pub hold: Option<HoldBody>,
    /// The cancel's deadline in milliseconds, when shorter than the service's.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// One item of [`CancelBody::items`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// The merchant's item code.
    #[serde(default)]
    pub code: Option<String>,
    /// The item's EAN.
    #[serde(default)]
    pub ean: Option<String>,
    /// How many (a number or a decimal string, e.g. `"1.5"`); all of them when absent.
    #[serde(default)]
    pub quantity: Option<Decimal>,
}

/// [`CancelBody::hold`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// The last day of the hold (`YYYY-MM-DD`), if any.
    #[serde(default)]
    pub until: Option<Date>,
}

impl CancelBody {
    /// The request for `target`.
    pub fn request(&self, target: &str) -> Result<CancelRequest, String> {
        match (&self.items, &self.hold) {
            (Some(_), Some(_)) => Err("give `items` or `hold`, not both".into()),
            (None, None) => Ok(CancelRequest::whole(target)),
            (None, Some(hold)) => Ok(CancelRequest::hold(target, hold.until)),
            (Some(items), None) => {
                let mut selectors = Vec::with_capacity(items.len());
                for item in items {
                    let mut s = match (&item.code, &item.ean) {
                        (Some(code), Some(ean)) => ItemSelector::by_code(code).ean(ean),
                        (Some(code), None) => ItemSelector::by_code(code),
                        (None, Some(ean)) => ItemSelector::default().ean(ean),
                        (None, None) => return Err("every item needs a `code` or an `ean`".into()),
                    };
                    if let Some(q) = item.quantity {
                        s = s.quantity(q);
                    }
                    selectors.push(s);
                }
                Ok(CancelRequest::items(target, selectors))
            }
        }
    }
}

/// What the service decided a cancel came to; sets the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Nothing left to do (200).
    Done,
    /// The request may have been applied; nothing proves whether. Check later (202).
    Unknown,
    /// The provider's rules refuse it (409).
    Refused,
    /// No such target, or no such account (404).
    NotFound,
    /// Bad input (422).
    Invalid,
    /// Not applied; try again later (503).
    RetryLater,
    /// The integration is wrong: credentials, configuration, unreadable answers (502).
    Failed,
}

impl Verdict {
    /// The verdict of an error, from its kind and whether it was sent.
    pub fn of_error(err: &Error) -> Verdict {
        if err.sent() == Sent::MaybeSent {
            // Whatever the kind: the change may have been applied.
            return Verdict::Unknown;
        }
        match err.kind() {
            ErrorKind::NotCancellable => Verdict::Refused,
            ErrorKind::NotFound | ErrorKind::UnknownAccount => Verdict::NotFound,
            ErrorKind::InvalidInput | ErrorKind::Unsupported => Verdict::Invalid,
            ErrorKind::RateLimited
            | ErrorKind::Server
            | ErrorKind::Timeout
            | ErrorKind::Transport => Verdict::RetryLater,
            // Unauthorized, Forbidden, Config, Decode, UnexpectedResponse, and kinds to come.
            _ => Verdict::Failed,
        }
    }

    /// The HTTP status of the answer.
    pub fn http_status(self) -> StatusCode {
        match self {
            Verdict::Done => StatusCode::OK,
            Verdict::Unknown => StatusCode::ACCEPTED,
            Verdict::Refused => StatusCode::CONFLICT,
            Verdict::NotFound => StatusCode::NOT_FOUND,
            Verdict::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Verdict::RetryLater => StatusCode::SERVICE_UNAVAILABLE,
            Verdict::Failed => StatusCode::BAD_GATEWAY,
        }
    }
}

/// The JSON answer of a cancel. The SDK's enums serialize as their stable snake_case names.
#[derive(Debug, Clone, Serialize)]
pub struct CancelAnswer {
    /// The account asked for.
    pub account: String,
    /// The account's provider (`arta`, `di`, `skippay`), when the account exists.
    pub provider: Option<Provider>,
    /// The target.
    pub target: String,
    /// What it came to.
    pub verdict: Verdict,
    /// For `done`: `"status"` (`cancelled`, `partially_cancelled`, `already_cancelled`,
    /// `held`) and its fields (`until` of a hold, `cancelled_items`, `remaining_items`).
    #[serde(flatten)]
    pub status: Option<CancelStatus>,
    /// For `done`: `answer` (the provider's answer, or a reading before sending) or
    /// `read_back` (the answer proved nothing; reading the target back showed the change).
    pub settled_by: Option<SettledBy>,
    /// The provider's request id, to quote to its support.
    pub request_id: Option<String>,
    /// For anything but `done`: the error.
    pub error: Option<ErrorAnswer>,
}

/// The error part of a [`CancelAnswer`].
#[derive(Debug, Clone, Serialize)]
pub struct ErrorAnswer {
    /// The error's kind (`not_cancellable`, `timeout`, ...).
    pub kind: ErrorKind,
    /// Whether the request reached the provider: `not_sent`, `answered`, `maybe_sent`.
    pub sent: Sent,
    /// For a refusal, whoever refused: the stable reason code (`in_transit`, `rejected`,
    /// `hold_window_passed`, `not_cancellable`, ...) a frontend translates.
    pub reason: Option<Refusal>,
    /// The provider's own error code, when it sent one.
    pub provider_code: Option<String>,
    /// One line for a person (never a secret).
    pub message: String,
    /// Seconds to wait before trying again, when the provider said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl CancelAnswer {
    fn outcome(account: &str, outcome: &CancelOutcome) -> Self {
        CancelAnswer {
            account: account.to_owned(),
            provider: Some(outcome.provider),
            target: outcome.target.clone(),
            verdict: Verdict::Done,
            status: Some(outcome.status.clone()),
            settled_by: Some(outcome.settled_by),
            request_id: outcome.request_id.clone(),
            error: None,
        }
    }

    fn error(account: &str, provider: Option<Provider>, target: &str, err: &Error) -> Self {
        CancelAnswer {
            account: account.to_owned(),
            provider,
            target: target.to_owned(),
            verdict: Verdict::of_error(err),
            status: None,
            settled_by: None,
            request_id: err.request_id().map(str::to_owned),
            error: Some(ErrorAnswer {
                kind: err.kind(),
                sent: err.sent(),
                reason: err.reason(),
                provider_code: err.code().map(str::to_owned),
                message: err.to_string(),
                retry_after_secs: err.retry_after().map(|d| d.as_secs()),
            }),
        }
    }

    fn invalid(account: &str, target: &str, message: String) -> Self {
        let err = Error::invalid_input("body", message);
        CancelAnswer::error(account, None, target, &err)
    }
}

impl IntoResponse for CancelAnswer {
    fn into_response(self) -> Response {
        let retry_after = self.error.as_ref().and_then(|e| e.retry_after_secs);
        let mut response = (self.verdict.http_status(), Json(self)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The handler of `POST /orders/{account}/{id}/cancel`.
pub async fn cancel_order(
    State(app): State<App>,
    Path((account, target)): Path<(String, String)>,
    body: Bytes,
) -> CancelAnswer {
    let body: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return CancelAnswer::invalid(
                    &account,
                    &target,
                    format!("the body is not a cancel: {e}"),
                );
            }
        }
    };
    let request = match body.request(&target) {
        Ok(r) => r,
        Err(m) => return CancelAnswer::invalid(&account, &target, m),
    };
    let canceller = match app.inner.registry.account(&account) {
        Ok(c) => Arc::clone(c),
        // ErrorKind::UnknownAccount: 404, nothing sent.
        Err(err) => return CancelAnswer::error(&account, None, &target, &err),
    };
    let provider = canceller.provider();
    let timeout = body
        .timeout_ms
        .map(Duration::from_millis)
        .map_or(app.inner.settings.cancel_timeout, |t| {
            t.min(app.inner.settings.cancel_timeout)
        });
    let options = CancelOptions::new().timeout(timeout);

    // The cancel runs in its own task: if the caller goes away, the cancel still ends (and
    // settles a lost answer by reading back) rather than being dropped midway.
    let span = tracing::info_span!("service.cancel", account = %account, target = %target);
    let task = tokio::spawn(tracing::Instrument::instrument(
        async move {
            let result = match tokio::time::timeout(
                timeout + DEADLINE_GRACE,
                canceller.cancel_with(request, options),
            )
            .await
            {
                Ok(result) => result,
                // The canceller did not end by its deadline: dropping it may leave a change
                // sent without its answer, so the outcome is unknown.
                Err(_) => Err(Error::new(
                    ErrorKind::Timeout,
                    Sent::MaybeSent,
                    format!(
                        "no outcome within the deadline of {} ms: the change may have been applied; cancel again to settle it",
                        timeout.as_millis()
                    ),
                )),
            };
            match &result {
                Ok(outcome) => tracing::info!(
                    status = %outcome.status,
                    settled_by = outcome.settled_by.as_str(),
                    "cancel done"
                ),
                Err(err) => tracing::warn!(
                    kind = %err.kind(),
                    sent = %err.sent(),
                    error = %err,
                    "cancel failed"
                ),
            }
            result
        },
        span,
    ));
    let result = match task.await {
        Ok(result) => result,
        // The task panicked: whether the change was sent is not known.
        Err(join) => Err(Error::new(
            ErrorKind::Transport,
            Sent::MaybeSent,
            format!("the cancel ended without an outcome ({join}); cancel again to settle it"),
        )),
    };
    match result {
        Ok(outcome) => CancelAnswer::outcome(&account, &outcome),
        Err(err) => CancelAnswer::error(&account, Some(provider), &target, &err),
    }
}
