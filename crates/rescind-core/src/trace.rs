//! One `tracing` span per cancel: [`CancelSpan`] wraps a provider's cancel future in a
//! `rescind.cancel` span and records its result, so the HTTP calls' `rescind.call` spans (2 to
//! 4 for a cancel: the read, the change, a read-back) nest under it, and the span itself
//! nests under the caller's.
//!
//! Each provider's [`Canceller::cancel`](crate::Canceller::cancel) goes through it; a
//! third-party [`Canceller`](crate::Canceller) can too.
//!
//! # Fields (stable names)
//!
//! | field | when | value |
//! |---|---|---|
//! | `provider` | always | [`Provider::id`]: `arta`, `di`, `skippay` |
//! | `operation` | always | [`operation`]: `cancel`, `cancel_items`, `hold` |
//! | `target` | always | the target as given (an order, session, shipment or application id; never a secret) |
//! | `attempts` | always | HTTP attempts made by the whole cancel (reads, the change, retries, read-backs); a login runs in its own task, shared by every call waiting for it, and is not counted |
//! | `status` | success | [`CancelStatus::as_str`](crate::CancelStatus::as_str): `cancelled`, `partially_cancelled`, `already_cancelled`, `held` |
//! | `settled_by` | success | [`SettledBy::as_str`](crate::SettledBy::as_str): `answer`, `read_back` |
//! | `error_kind` | failure | [`ErrorKind::as_str`](crate::ErrorKind::as_str) |
//! | `sent` | failure | [`Sent::as_str`](crate::Sent::as_str): `not_sent`, `answered`, `maybe_sent` |
//! | `reason` | a refusal | [`Refusal::as_str`](crate::Refusal::as_str) ([`Error::reason`]) |
//!
//! The span is at `INFO` level, target `rescind_core::trace`. A failure also emits one
//! `DEBUG` event with the error's one-line display (which never holds a secret).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};

use tracing::Instrument;

use crate::{CancelOutcome, CancelRequest, Error, Provider, Scope};

/// The name of the span around a whole cancel.
pub const CANCEL_SPAN: &str = "rescind.cancel";

tokio::task_local! {
    static ATTEMPTS: Arc<AtomicU32>;
}

/// The `operation` field of a cancel's span for `request`: `cancel` (a whole target),
/// `cancel_items`, `hold`.
pub fn operation(request: &CancelRequest) -> &'static str {
    match request.scope {
        Scope::Whole => "cancel",
        Scope::Items(_) => "cancel_items",
        Scope::Hold { .. } => "hold",
    }
}

/// The `rescind.cancel` span of one cancel, opened before the cancel starts (see the module's
/// docs for its fields):
///
/// ```
/// use rescind_core::trace::CancelSpan;
/// use rescind_core::{CancelOutcome, CancelRequest, CancelStatus, Provider};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let request = CancelRequest::whole("42");
/// let outcome = CancelSpan::new(Provider::Arta, &request)
///     .run(async { Ok(CancelOutcome::new(Provider::Arta, "42", CancelStatus::Cancelled)) })
///     .await
///     .unwrap();
/// assert!(outcome.is_cancelled());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct CancelSpan {
    span: tracing::Span,
}

impl CancelSpan {
    /// Opens the span of a cancel of `request` at `provider` (not entered yet).
    pub fn new(provider: Provider, request: &CancelRequest) -> CancelSpan {
        let span = tracing::info_span!(
            "rescind.cancel",
            provider = provider.id(),
            operation = operation(request),
            target = request.target.as_str(),
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            settled_by = tracing::field::Empty,
            error_kind = tracing::field::Empty,
            sent = tracing::field::Empty,
            reason = tracing::field::Empty,
        );
        CancelSpan { span }
    }

    /// The `tracing` span itself.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Whether no subscriber records this span: [`CancelSpan::run`] then only awaits the
    /// cancel, and a caller may await the cancel itself instead (without the wrapper, whose
    /// construction copies the cancel's future once more).
    pub fn is_disabled(&self) -> bool {
        self.span.is_disabled()
    }

    /// Runs `cancel` (the provider's cancel) inside the span, counting its HTTP attempts, and
    /// records its outcome or error on the span.
    ///
    /// Dropping the returned future drops `cancel` (the same cancel-safety as `cancel`
    /// itself); the span then closes without an outcome.
    pub fn run<F>(self, cancel: F) -> impl Future<Output = Result<CancelOutcome, Error>>
    where
        F: Future<Output = Result<CancelOutcome, Error>>,
    {
        let span = self.span;
        if span.is_disabled() {
            // No subscriber wants it: no counter, no task-local, no records.
            return Spanned::Off { cancel };
        }
        let attempts = Arc::new(AtomicU32::new(0));
        Spanned::On {
            cancel: ATTEMPTS.scope(attempts.clone(), cancel.instrument(span.clone())),
            span,
            attempts,
        }
    }
}

pin_project_lite::pin_project! {
    /// [`CancelSpan::run`]'s future. A type rather than an `async fn`, whose state would hold
    /// the cancel's future twice (as its argument and as the future it awaits).
    #[project = SpannedProj]
    enum Spanned<F> {
        Off { #[pin] cancel: F },
        On {
            #[pin]
            cancel: tokio::task::futures::TaskLocalFuture<Arc<AtomicU32>, tracing::instrument::Instrumented<F>>,
            span: tracing::Span,
            attempts: Arc<AtomicU32>,
        },
    }
}

impl<F> Future for Spanned<F>
where
    F: Future<Output = Result<CancelOutcome, Error>>,
{
    type Output = Result<CancelOutcome, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            SpannedProj::Off { cancel } => cancel.poll(cx),
            SpannedProj::On {
                cancel,
                span,
                attempts,
            } => {
                let result = std::task::ready!(cancel.poll(cx));
                record(span, attempts.load(Ordering::Relaxed), &result);
                Poll::Ready(result)
            }
        }
    }
}

/// Records a cancel's attempts and result on its span (see the module's docs for the fields).
fn record(span: &tracing::Span, attempts: u32, result: &Result<CancelOutcome, Error>) {
    span.record("attempts", attempts);
    match result {
        Ok(outcome) => {
            span.record("status", outcome.status.as_str());
            span.record("settled_by", outcome.settled_by.as_str());
        }
        Err(err) => {
            span.record("error_kind", err.kind().as_str());
            span.record("sent", err.sent().as_str());
            if let Some(reason) = err.reason() {
                span.record("reason", reason.as_str());
            }
            span.in_scope(|| tracing::debug!(error = %err, "cancel failed"));
        }
    }
}

/// Runs a provider's cancel the way every provider's `Canceller::cancel_with` does: in its
/// [`CancelSpan`], under the call's deadline ([`CancelOptions::scope`](crate::CancelOptions::scope)).
/// `cancel` builds the provider's own work from the request and the options; it is called at
/// once, and the work's future runs when the returned one is awaited.
///
/// The wrappers are types that hold the work's future once, in place. Whether to box the work
/// is the provider's choice: a large future boxed on its own keeps `async_trait`'s box under
/// the size the allocator's per-thread cache takes (glibc's tcache: 1,032 bytes), a small one
/// in place saves a heap block and a copy per cancel (bench `calls`).
pub fn run_cancel<F, Fut>(
    provider: Provider,
    request: CancelRequest,
    options: crate::CancelOptions,
    cancel: F,
) -> impl Future<Output = Result<CancelOutcome, Error>>
where
    F: FnOnce(CancelRequest, crate::CancelOptions) -> Fut,
    Fut: Future<Output = Result<CancelOutcome, Error>>,
{
    let deadline = options.deadline_at();
    let span = CancelSpan::new(provider, &request);
    let work = cancel(request, options);
    span.run(crate::deadline::scope_opt(deadline, work))
}

/// Counts `n` HTTP attempts for the cancel running on this task, if any (the transport
/// calls it once per call).
pub(crate) fn count_attempts(n: u32) {
    let _ = ATTEMPTS.try_with(|a| a.fetch_add(n, Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CancelStatus, ErrorKind, Refusal, Sent};

    #[tokio::test]
    async fn the_result_passes_through_and_attempts_count_on_the_task() {
        let request = CancelRequest::whole("42");
        let out = CancelSpan::new(Provider::Di, &request)
            .run(async {
                count_attempts(2);
                count_attempts(1);
                Ok(CancelOutcome::new(
                    Provider::Di,
                    "42",
                    CancelStatus::Cancelled,
                ))
            })
            .await
            .unwrap();
        assert_eq!(out.status, CancelStatus::Cancelled);
        let err = CancelSpan::new(Provider::Di, &request)
            .run(async {
                Err(Error::not_cancellable(Sent::NotSent, "in transit")
                    .with_reason(Refusal::InTransit))
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        // Outside a cancel, counting is a no-op.
        count_attempts(1);
    }

    #[test]
    fn operations_are_named_by_scope() {
        assert_eq!(operation(&CancelRequest::whole("1")), "cancel");
        assert_eq!(operation(&CancelRequest::hold("1", None)), "hold");
    }
}
