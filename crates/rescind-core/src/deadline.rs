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
/// earlier deadline, the earlier one stays. The enclosing deadline is read once, when the
/// returned future is first polled, and kept for its whole life.
///
/// Cancel-safe: dropping the returned future drops `future` (see its own documentation),
/// under the deadline once it has been polled.
pub fn scope<F: Future>(deadline: Instant, future: F) -> impl Future<Output = F::Output> {
    Scoped {
        asked: Some(deadline),
        resolved: None,
        future: Some(future),
    }
}

/// [`scope`] when `deadline` is `Some`; `future` alone otherwise.
pub fn scope_opt<F: Future>(
    deadline: Option<Instant>,
    future: F,
) -> impl Future<Output = F::Output> {
    Scoped {
        asked: deadline,
        resolved: None,
        future: Some(future),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`scope`] and [`scope_opt`]: what tokio's `TaskLocalFuture` does, with
    /// the deadline taken at the first poll (the earlier of the asked one and the enclosing
    /// one). A type rather than an `async fn`, whose state would hold `future` twice (as its
    /// argument and as the future it awaits); every provider's cancel runs in one.
    struct Scoped<F: Future> {
        asked: Option<Instant>,
        // The deadline in force, from the first poll on.
        resolved: Option<Instant>,
        // `None` once the work is done, or dropped under the deadline.
        #[pin]
        future: Option<F>,
    }

    impl<F: Future> PinnedDrop for Scoped<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Dropped under the deadline it ran under, as tokio's task-locals drop theirs.
            if let Some(deadline) = *this.resolved {
                let mut future = this.future;
                DEADLINE.sync_scope(deadline, || future.set(None));
            }
        }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(asked) = *this.asked else {
            let future = this.future.as_pin_mut();
            return future.expect("polled after completion").poll(cx);
        };
        let deadline = *this.resolved.get_or_insert_with(|| match current() {
            Some(outer) if outer < asked => outer,
            _ => asked,
        });
        let mut future = this.future;
        DEADLINE.sync_scope(deadline, || {
            let polled = future
                .as_mut()
                .as_pin_mut()
                .expect("polled after completion")
                .poll(cx);
            if polled.is_ready() {
                // The work's state ends here, under the deadline, as its drop would.
                future.set(None);
            }
            polled
        })
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
