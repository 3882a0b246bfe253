//! The one trait every provider implements: [`Canceller`].

use async_trait::async_trait;

use crate::{
    CancelOptions, CancelOutcome, CancelRequest, Capabilities, Error, Observation, Plan, Provider,
};

/// Cancels or holds targets at one provider account.
///
/// Each provider crate implements it on its client, so code that must cancel at any provider
/// holds an `Arc<dyn Canceller>` and does not care which:
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rescind_core::*;
///
/// /// A provider that cancels everything, to show the trait's shape.
/// #[derive(Debug)]
/// struct Always;
///
/// #[async_trait]
/// impl Canceller for Always {
///     fn provider(&self) -> Provider { Provider::Di }
///     fn capabilities(&self) -> Capabilities { Capabilities::NONE.with_whole() }
///     async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
///         if !self.capabilities().supports(&request.scope) {
///             return Err(Error::unsupported(self.provider(), request.scope.as_str()));
///         }
///         Ok(CancelOutcome::new(self.provider(), request.target, CancelStatus::Cancelled))
///     }
/// }
///
/// # tokio_test_block_on(async {
/// let canceller: Arc<dyn Canceller> = Arc::new(Always);
/// let outcome = canceller.cancel(CancelRequest::whole("70724761617883184")).await.unwrap();
/// assert_eq!(outcome.status, CancelStatus::Cancelled);
///
/// let err = canceller.cancel(CancelRequest::hold("1", None)).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// assert_eq!(err.sent(), Sent::NotSent);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
///
/// Implementations refuse, before sending anything, a scope outside their
/// [`capabilities`](Canceller::capabilities) ([`ErrorKind::Unsupported`](crate::ErrorKind)) and a
/// cancel their provider's documented rules forbid ([`ErrorKind::NotCancellable`](crate::ErrorKind)),
/// and report an already cancelled target as [`CancelStatus::AlreadyCancelled`](crate::CancelStatus)
/// rather than as an error.
#[async_trait]
pub trait Canceller: Send + Sync + std::fmt::Debug {
    /// The provider this canceller talks to.
    fn provider(&self) -> Provider;

    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Cancels or holds one target.
    ///
    /// # Cancel-safety
    ///
    /// Dropping the future midway (a `select!`, a timeout, a client that hung up) stops the
    /// cancel where it is. Before the change was sent, nothing happened. After it was sent,
    /// its outcome is unknown, exactly like a lost answer: read the target back with
    /// [`observe`](Canceller::observe), or run the same cancel again, which reads first and
    /// reports [`CancelStatus::AlreadyCancelled`](crate::CancelStatus) (or sends the change,
    /// whose documented rules make a repeat harmless) rather than applying it twice.
    ///
    /// **Except a change that counts**: a Skip Pay item cancel with quantities cannot be told
    /// from "cancel that many more" by reading the order, so running it again after a dropped
    /// call cancels the quantities again if the first one landed. Read the target back
    /// ([`observe`](Canceller::observe)) and compare with what you read before sending, or let
    /// [`rescind::bulk`](https://docs.rs/rescind/latest/rescind/bulk/) decide (its journal keeps
    /// the reading taken before each send and waits out the in-flight horizon). To bound
    /// a cancel's time without losing its outcome, prefer a deadline
    /// ([`CancelOptions::deadline`], [`cancel_with`](Canceller::cancel_with)): it ends with an
    /// error that says whether the change may have been sent.
    async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error>;

    /// Cancels or holds one target with per-call [`CancelOptions`]: a reading already taken
    /// by [`plan`](Canceller::plan) (used instead of reading the target again), a
    /// [`Policy`](crate::Policy) for this call, a deadline.
    ///
    /// The deadline bounds every request of the cancel ([`deadline`](crate::deadline)): none
    /// starts after it, and a change whose answer has not come by then is an
    /// [`ErrorKind::Timeout`](crate::ErrorKind) with [`Sent::MaybeSent`](crate::Sent), never a
    /// success. Implementations run their work inside [`CancelOptions::scope`].
    ///
    /// The default, for providers that do not implement it, ignores the plan and the policy
    /// and calls [`cancel`](Canceller::cancel) under the deadline.
    ///
    /// Cancel-safe as [`cancel`](Canceller::cancel) is.
    async fn cancel_with(
        &self,
        request: CancelRequest,
        options: CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        options.scope(self.cancel(request)).await
    }

    /// Checks `request` against the provider's documented rules that need no network (the
    /// target's form, item selectors, quantities, the scope), without sending anything. A bulk
    /// run checks every row with it before its first request. [`cancel`](Canceller::cancel)
    /// applies the same rules, so an `Err` here is the error `cancel` would return before
    /// sending ([`Sent::NotSent`](crate::Sent)).
    ///
    /// The default accepts everything (a third-party provider's `cancel` still checks).
    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        let _ = request;
        Ok(())
    }

    /// Reads what the provider shows now for `request`'s target and scope, without changing
    /// anything: whether it is cancelled, its holds, and for an item cancel the selected
    /// items' states and quantities. Compared with a reading taken before a cancel was sent
    /// ([`settle`](crate::settle)), it tells whether a cancel whose answer was lost was
    /// applied.
    ///
    /// The default is [`ErrorKind::Unsupported`](crate::ErrorKind), before anything is sent:
    /// callers then cannot settle a lost answer and must report it as unknown.
    ///
    /// Cancel-safe: it only reads; dropping it midway changes nothing.
    async fn observe(&self, request: &CancelRequest) -> Result<Observation, Error> {
        Err(Error::unsupported(
            self.provider(),
            format!("reading back the `{}` scope", request.scope.as_str()),
        ))
    }

    /// Predicts what [`cancel`](Canceller::cancel) would do with `request`, changing nothing:
    /// checks the request ([`check`](Canceller::check)), reads the target (the read the
    /// cancel takes first) and applies the provider's documented rules to that reading.
    /// Never an error: a target that cannot be read is [`Prediction::Unknown`](crate::Prediction),
    /// one that does not exist [`Prediction::NotFound`](crate::Prediction). See
    /// [`Plan`] for how a later cancel can reuse the reading.
    ///
    /// The default, for providers that do not implement it, runs `check` and then answers
    /// [`Prediction::Unknown`](crate::Prediction) ("this provider does not predict"), sending
    /// nothing.
    ///
    /// Cancel-safe: it only reads; dropping it midway changes nothing.
    async fn plan(&self, request: &CancelRequest) -> Plan {
        if let Err(e) = self.check(request) {
            return Plan::from_error(&e);
        }
        Plan::unknown(format!(
            "{} does not predict cancels (no plan offered)",
            self.provider()
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::CancelStatus;

    /// Records the deadline its `cancel` runs under.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<Option<Instant>>>);

    #[async_trait]
    impl Canceller for Recorder {
        fn provider(&self) -> Provider {
            Provider::Di
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::NONE.with_whole()
        }
        async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
            self.0.lock().unwrap().push(crate::deadline::current());
            Ok(CancelOutcome::new(
                Provider::Di,
                request.target,
                CancelStatus::Cancelled,
            ))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_cancel_with_runs_cancel_under_the_deadline() {
        let c = Recorder::default();
        let until = Instant::now() + Duration::from_secs(3);
        c.cancel_with(
            CancelRequest::whole("1"),
            CancelOptions::new().deadline(until),
        )
        .await
        .unwrap();
        c.cancel_with(CancelRequest::whole("2"), CancelOptions::new())
            .await
            .unwrap();
        c.cancel(CancelRequest::whole("3")).await.unwrap();
        assert_eq!(*c.0.lock().unwrap(), vec![Some(until), None, None]);
    }
}
