//! A per-call deadline that every request of a cancel honours: [`scope`] runs a future under a
//! deadline, and the [`Transport`](crate::Transport) consults [`current`] before and during
//! each request it sends.
//!
//! Under a deadline, each request's call timeout is the lesser of its own
//! ([`TransportConfig::call_timeout`](crate::TransportConfig::call_timeout)) and the time left,
//! and no request starts once the deadline has passed: such a request fails with
//! [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) and [`Sent::NotSent`](crate::Sent::NotSent)
//! (or [`Sent::MaybeSent`](crate::Sent::MaybeSent) when an earlier attempt of the same request
//! may have been applied). A change whose answer has not come when the deadline passes fails
//! with `Timeout` and `MaybeSent`, like any lost answer: it is never reported as a success,
//! and the provider's read-back, which would start after the deadline, is not sent.
//!
//! [`CancelOptions::deadline`](crate::CancelOptions::deadline) sets it for one cancel
//! ([`Canceller::cancel_with`](crate::Canceller::cancel_with)); code that calls a client's own
//! methods can use [`scope`] directly.
//!
//! The deadline is a tokio task-local value: it applies to the requests sent from the task that
//! awaits the scoped future, not to tasks that future spawns. Nested scopes keep the earlier
//! deadline.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use rescind_core::deadline;
//! use tokio::time::Instant;
//!
//! assert_eq!(deadline::current(), None);
//! let soon = Instant::now() + Duration::from_secs(5);
//! let later = soon + Duration::from_secs(60);
//! let seen = deadline::scope(soon, async {
//!     // An inner, later deadline does not extend the outer one.
//!     deadline::scope(later, async { deadline::current() }).await
//! })
//! .await;
//! assert_eq!(seen, Some(soon));
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` with every request it sends (from this task) ending by `deadline`; inside an
/// earlier deadline, the earlier one stays.
///
/// Cancel-safe: dropping the returned future drops `future` (see its own documentation).
pub fn scope<F: Future>(deadline: Instant, future: F) -> impl Future<Output = F::Output> {
    Scoped {
        deadline: Some(deadline),
        future,
    }
}

/// [`scope`] when `deadline` is `Some`; `future` alone otherwise.
pub fn scope_opt<F: Future>(
    deadline: Option<Instant>,
    future: F,
) -> impl Future<Output = F::Output> {
    Scoped { deadline, future }
}

pin_project_lite::pin_project! {
    /// The future of [`scope`] and [`scope_opt`]. A type rather than an `async fn`, whose
    /// state would hold `future` twice (as its argument and as the future it awaits); the
    /// cancel of every provider runs in one.
    struct Scoped<F> {
        deadline: Option<Instant>,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(asked) = *this.deadline else {
            return this.future.poll(cx);
        };
        // The scope this one is polled in, read at each poll: an earlier deadline stays.
        let deadline = match current() {
            Some(outer) if outer < asked => outer,
            _ => asked,
        };
        let future = this.future;
        DEADLINE.sync_scope(deadline, || future.poll(cx))
    }
}

/// The deadline of the current task's [`scope`], if any.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn nested_scopes_keep_the_earlier_deadline() {
        let now = Instant::now();
        let early = now + Duration::from_secs(1);
        let late = now + Duration::from_secs(10);
        assert_eq!(current(), None);
        assert_eq!(scope(late, async { current() }).await, Some(late));
        assert_eq!(
            scope(late, scope(early, async { current() })).await,
            Some(early)
        );
        assert_eq!(
            scope(early, scope(late, async { current() })).await,
            Some(early)
        );
        assert_eq!(scope_opt(None, async { current() }).await, None);
        assert_eq!(current(), None);
    }
}
