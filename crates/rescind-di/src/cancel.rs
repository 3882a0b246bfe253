//! [`Canceller`] for the Di [`Client`]: whole orders only, checked against the rules first.
//!
//! 1. An item cancel or a hold is [`ErrorKind::Unsupported`](rescind_core::ErrorKind), before
//!    anything is sent: Di cancels every parcel of a shipment and has no hold.
//! 2. The target must be a shipment number (the `(401)` prefix is stripped).
//! 3. The order is read (`order_details`). `ediStatus` `CANCELLED` is reported as
//!    [`CancelStatus::AlreadyCancelled`]. An order in transit (see [`rules`]) is refused with
//!    [`ErrorKind::NotCancellable`](rescind_core::ErrorKind) and [`Sent::NotSent`], with the
//!    reason (unless [`ClientBuilder::check_transit_rules`](crate::ClientBuilder::check_transit_rules)
//!    is off: then Di decides).
//! 4. The cancel is sent, and its answer read by the rule of [`rescind_core::change`] (see
//!    [`response::cancel_order`](crate::response::cancel_order)). Di's `order.cancelled` answer
//!    is reported as already cancelled.
//! 5. An answer that proves nothing ([`Sent::MaybeSent`]: a timeout, a lost connection, a 5xx,
//!    a 2xx that is not a success) is settled by reading the order back: `CANCELLED` is
//!    [`CancelStatus::Cancelled`] marked [`SettledBy::ReadBack`]. An order read back unchanged
//!    gets the cancel once more (it is idempotent: cancelling a cancelled order changes
//!    nothing), unless the transport already repeated it ([`change::may_send_again`]), and
//!    that answer is read the same way, without a third send. An order still not
//!    cancelled after that, or that cannot be read, is an error that stays
//!    [`Sent::MaybeSent`], names the command to check (`rescind di show <number>`) and carries
//!    the reading taken before the cancel ([`Error::observed_before`]).
//!
//! # Policies
//!
//! [`ClientBuilder::policy`](crate::ClientBuilder::policy) (default [`Policy::CheckFirst`]) and
//! a call's [`CancelOptions::policy`] choose how many requests a cancel spends, logins apart
//! and in the common case (no fault):
//!
//! | action | [`Policy::CheckFirst`] | [`Policy::ChangeFirst`] | why |
//! |---|---|---|---|
//! | whole cancel | 2 (`order_details`, cancel) | 1 (cancel) | Di refuses an order in transit itself (`order.exported`) and a cancelled one (`order.cancelled`), Di booking API, "Cancel order" |
//!
//! Under change-first step 3 is skipped: the cancel is sent, a success is
//! [`CancelStatus::Cancelled`] (exact: Di answers `order.cancelled` to a cancelled order, so
//! [`already_cancelled_before`](CancelOutcome::already_cancelled_before) stays known), and
//! `order.cancelled` is [`CancelStatus::AlreadyCancelled`]. Another refusal
//! ([`ErrorKind::NotCancellable`]: `order.exported`, a final status) is explained by one read
//! of the order, whose rule reason ("in transit since...") goes in the message; the error stays
//! Di's ([`Sent::Answered`]). An answer that proves nothing is settled as in step 5; an order
//! read back `CANCELLED` after a first send leaves `already_cancelled_before` `None` (it may
//! have been cancelled before). The client-side transit rules
//! ([`check_transit_rules`](crate::ClientBuilder::check_transit_rules)) apply only to a reading.
//!
//! A [`Plan`] handed in ([`CancelOptions::with_plan`]) is used as step 3's reading, under
//! either policy, instead of reading the order again (its native `OrderDetails`).
//!
//! [`Canceller::observe`] reads the order (`order_details`) for a whole scope: cancelled when
//! its `ediStatus` is `CANCELLED`; the state is the `ediStatus` (`UNKNOWN` when Di sends none).
//!
//! [`Canceller::plan`] (and [`Client::plan_at`] with a `now` of the caller's) reads the order
//! once and applies [`rules::cancellability`] at that time, as step 3 does: already cancelled,
//! refused (`in_transit`, with the cancel's reason; also when
//! [`check_transit_rules`](crate::ClientBuilder::check_transit_rules) is off, since Di
//! refuses an order in transit itself), or cancel; a 404 is not found, any other failed read
//! unknown. The order's details are kept as the plan's native reading.

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use rescind_core::trace::CancelSpan;
use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error,
    ErrorKind, Observation, Plan, Policy, Prediction, Provider, Refusal, Scope, Sent, SettledBy,
    async_trait, change,
};

use crate::Client;
use crate::error::is_already_cancelled;
use crate::model::{CancelResponse, OrderDetails, ShipmentNumber};
use crate::request::operation;
use crate::rules::{self, Cancellability};

/// The native response of every Di [`CancelOutcome`], whatever path the cancel took: take it
/// with [`DiCancel::of`].
///
/// | path | `details` | `response` |
/// |---|---|---|
/// | already cancelled (`ediStatus` `CANCELLED`) | the order as read | `None` |
/// | cancelled by the answer, after a read | the order as read before | `Some`: Di's answer |
/// | cancelled by the answer, sent first ([`Policy::ChangeFirst`]) | `None` | `Some`: Di's answer |
/// | Di answered `order.cancelled` | the order as read (before, or to explain the refusal) | `None` |
/// | settled by reading back | the order read back | `None` |
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiCancel {
    /// The order as read before the cancel (or after, when settling an unanswered cancel, or
    /// when explaining a refusal); `None` when no read was taken (a cancel sent first under
    /// [`Policy::ChangeFirst`] and answered with success).
    pub details: Option<OrderDetails>,
    /// The cancel's answer, when a cancel was sent and answered with success.
    pub response: Option<CancelResponse>,
}

impl DiCancel {
    /// The Di payload of `outcome`; `None` when the outcome is not Di's.
    ///
    /// ```
    /// use rescind_core::{CancelOutcome, CancelStatus, Provider};
    /// use rescind_di::DiCancel;
    ///
    /// let other = CancelOutcome::new(Provider::Arta, "1", CancelStatus::Cancelled);
    /// assert!(DiCancel::of(&other).is_none());
    /// ```
    pub fn of(outcome: &CancelOutcome) -> Option<&DiCancel> {
        outcome.native::<DiCancel>()
    }
}

#[async_trait]
impl Canceller for Client {
    fn provider(&self) -> Provider {
        Provider::Di
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole()
    }

    async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
        // `cancel_with(request, CancelOptions::new())`, the work in place (no deadline, so no
        // deadline scope). Without a subscriber for its span, the work is awaited as it is:
        // wrapping it would build it on the stack and copy it into each wrapper (2.4 KB of
        // copies per cancel, bench `calls`). With one, `CancelSpan::run` records it.
        let span = CancelSpan::new(Provider::Di, &request);
        if !span.is_disabled() {
            return self.cancel_in_span(span, request).await;
        }
        self.cancel_prepared(self.prepare(request, CancelOptions::new()), None)
            .await
    }

    async fn cancel_with(
        &self,
        request: CancelRequest,
        options: CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        // In its span, under the call's deadline (rescind_core::deadline), as at every provider.
        // The work is boxed here: in place, beside the options this future holds, it would
        // make it 1,096 bytes, beyond glibc's per-thread cache (see `cancel`).
        rescind_core::trace::run_cancel(Provider::Di, request, options, |request, options| {
            Box::pin(self.cancel_prepared(self.prepare(request, options), None))
        })
        .await
    }

    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        rules::check_request(request)
    }

    async fn plan(&self, request: &CancelRequest) -> Plan {
        self.plan_at(request, self.now()).await
    }

    async fn observe(&self, request: &CancelRequest) -> Result<Observation, Error> {
        if request.scope != Scope::Whole {
            return Err(Error::unsupported(
                Provider::Di,
                format!("reading back the `{}` scope", request.scope.as_str()),
            ));
        }
        let number = ShipmentNumber::parse_field("target", &request.target).map_err(|e| {
            e.with_provider(Provider::Di)
                .with_operation(operation::ORDER_DETAILS)
        })?;
        let details = self.order_details(number.as_str()).await?;
        Ok(observation(number.as_str(), &details))
    }
}

/// What an order's details show for a whole cancel.
fn observation(target: &str, details: &OrderDetails) -> Observation {
    Observation::new(target, edi_status(details)).cancelled(details.is_cancelled())
}

fn edi_status(details: &OrderDetails) -> String {
    details
        .edi_status
        .as_ref()
        .map_or_else(|| "UNKNOWN".to_string(), ToString::to_string)
}

/// A cancel's request and options, checked ([`Client::prepare`]).
struct Prepared {
    number: ShipmentNumber,
    /// The outcome's target: the shipment number without its `(401)` prefix.
    target: String,
    policy: Policy,
    /// The order as a plan read it, when the plan is about this order (boxed: it is large,
    /// and rarely there).
    planned: Option<Box<OrderDetails>>,
}

impl Client {
    /// The [`Canceller::plan`] of this client with the rules applied at `now` instead of the
    /// current time.
    pub async fn plan_at(&self, request: &CancelRequest, now: Timestamp) -> Plan {
        if let Err(e) = rules::check_request(request) {
            return Plan::from_error(&e);
        }
        let Ok(number) = ShipmentNumber::parse_field("target", &request.target) else {
            return Plan::unknown("not a shipment number");
        };
        let details = match self.order_details(number.as_str()).await {
            Ok(d) => d,
            Err(e) => return Plan::from_error(&e),
        };
        let prediction = match rules::cancellability(&details, now) {
            Ok(Cancellability::AlreadyCancelled) => Prediction::AlreadyCancelled,
            Ok(Cancellability::NotCancellable { reason }) => Prediction::Refused {
                reason: Refusal::InTransit,
                detail: reason,
            },
            Ok(_) => Prediction::Cancel,
            Err(e) => Prediction::from_error(&e),
        };
        Plan::new(prediction)
            .with_reading(observation(number.as_str(), &details))
            .with_native(details)
    }

    /// The [`Canceller::cancel`] of this client with the rules applied at `now` instead of the
    /// client's clock ([`Client::clock`]), and without the `rescind.cancel` span (for tests
    /// and dry runs).
    pub async fn cancel_at(
        &self,
        request: CancelRequest,
        now: Timestamp,
    ) -> Result<CancelOutcome, Error> {
        self.cancel_with_at(request, CancelOptions::new(), now)
            .await
    }

    /// The [`Canceller::cancel_with`] of this client with the rules applied at `now` instead
    /// of the client's clock ([`Client::clock`]), and without the `rescind.cancel` span (for
    /// tests and dry runs).
    pub async fn cancel_with_at(
        &self,
        request: CancelRequest,
        options: CancelOptions,
        now: Timestamp,
    ) -> Result<CancelOutcome, Error> {
        self.cancel_prepared(self.prepare(request, options), Some(now))
            .await
    }

    /// What a cancel needs from its request and options, checked before anything is sent.
    /// Done apart from the sending (not in the `async fn`), so that the cancel's future holds
    /// this small result, not the request and the options besides: a smaller future is a
    /// heap block the allocator's per-thread cache takes (see `Transport::send`).
    fn prepare(
        &self,
        request: CancelRequest,
        mut options: CancelOptions,
    ) -> Result<Prepared, Error> {
        match &request.scope {
            Scope::Whole => {}
            Scope::Items(_) => {
                return Err(Error::unsupported(
                    Provider::Di,
                    "cancelling some items (a Di cancel applies to every parcel of the shipment)",
                ));
            }
            Scope::Hold { .. } => {
                return Err(Error::unsupported(Provider::Di, "holding a shipment"));
            }
            _ => {
                return Err(Error::unsupported(
                    Provider::Di,
                    format!("the scope `{}`", request.scope.as_str()),
                ));
            }
        }
        let number = ShipmentNumber::parse_field("target", &request.target).map_err(|e| {
            e.with_provider(Provider::Di)
                .with_operation(operation::CANCEL_ORDER)
        })?;
        let policy = options.policy_or(self.policy());
        let planned = options
            .take_plan()
            .and_then(|plan| plan.native::<OrderDetails>().cloned())
            .filter(|details| {
                ShipmentNumber::parse(&details.shipment_id).is_ok_and(|n| n == number)
            })
            .map(Box::new);
        // The target as given is usually the number itself: kept, not copied.
        let target = if request.target == number.as_str() {
            request.target
        } else {
            number.as_str().to_owned()
        };
        Ok(Prepared {
            number,
            target,
            policy,
            planned,
        })
    }

    /// The cancel itself, from what [`Client::prepare`] checked. The rules apply at `now`, or
    /// (`None`) at the client's clock when a reading is judged: a cancel sent first reads no
    /// clock.
    ///
    /// Only the awaits are here; what is decided between them is decided by functions of
    /// their own (`judge_reading`, `answered`), so that this future's poll function, which
    /// runs on every cancel, has a small stack frame: building the outcomes and errors of
    /// every path in it made it 4 KB, and every request's I/O ran below it (bench `calls`).
    async fn cancel_prepared(
        &self,
        prepared: Result<Prepared, Error>,
        now: Option<Timestamp>,
    ) -> Result<CancelOutcome, Error> {
        let Prepared {
            number,
            target,
            policy,
            planned,
        } = prepared?;
        let details = match planned {
            Some(details) => Some(details),
            None if policy == Policy::ChangeFirst => None,
            None => Some(Box::new(
                self.order_details(number.as_str())
                    .await
                    .map_err(change::read_before_change)?,
            )),
        };
        let (target, details) = match details {
            Some(read) => match self.judge_reading(target, read, now) {
                Judged::Send { target, read } => (target, Some(read)),
                Judged::End(end) => return end,
            },
            None => (target, None),
        };
        let answer = self.cancel_shipment(&number).await;
        match answered(target, details, answer) {
            Answered::End(end) => end,
            Answered::Settle { details, err } => {
                self.settle_boxed(number, details.map(|d| *d), err).await
            }
            Answered::Explain { target, err } => {
                let now = now.unwrap_or_else(|| self.now());
                Err(self.explain_refusal_boxed(&target, err, now).await)
            }
        }
    }

    /// A reading taken before the cancel, judged by the rules at `now` (or the client's
    /// clock): already cancelled, refused (in transit, when the client checks it), or send.
    #[inline(never)]
    fn judge_reading(
        &self,
        target: String,
        read: Box<OrderDetails>,
        now: Option<Timestamp>,
    ) -> Judged {
        let now = now.unwrap_or_else(|| self.now());
        match rules::cancellability(&read, now) {
            Err(e) => Judged::End(Err(e)),
            Ok(Cancellability::AlreadyCancelled) => Judged::End(Ok(CancelOutcome::new(
                Provider::Di,
                target,
                CancelStatus::AlreadyCancelled,
            )
            .with_note("Di reports the order's ediStatus as CANCELLED; nothing was sent")
            .with_native(DiCancel {
                details: Some(*read),
                response: None,
            }))),
            Ok(Cancellability::NotCancellable { .. }) if !self.checks_transit_rules() => {
                Judged::Send { target, read }
            }
            Ok(Cancellability::NotCancellable { reason }) => {
                Judged::End(Err(Error::not_cancellable(Sent::NotSent, reason)
                    .with_reason(Refusal::InTransit)
                    .with_provider(Provider::Di)
                    .with_operation(operation::CANCEL_ORDER)))
            }
            Ok(Cancellability::Cancellable { .. }) => Judged::Send { target, read },
        }
    }

    /// [`Canceller::cancel`] recorded in its span, when a subscriber records it: built in its
    /// box by a function of its own (see [`Client::settle_boxed`]).
    #[inline(never)]
    fn cancel_in_span(
        &self,
        span: CancelSpan,
        request: CancelRequest,
    ) -> Pin<Box<dyn Future<Output = Result<CancelOutcome, Error>> + Send + '_>> {
        Box::pin(span.run(self.cancel_prepared(self.prepare(request, CancelOptions::new()), None)))
    }

    /// [`Client::settle`]'s future, built in its box by a function of its own: built in
    /// the cancel's poll function, it would take its size of that function's stack frame on
    /// every cancel, before being moved into its box (bench `calls`).
    #[inline(never)]
    fn settle_boxed(
        &self,
        number: ShipmentNumber,
        before: Option<OrderDetails>,
        err: Error,
    ) -> Pin<Box<dyn Future<Output = Result<CancelOutcome, Error>> + Send + '_>> {
        Box::pin(self.settle(number, before, err))
    }

    /// [`Client::explain_refusal`]'s future, in its box (see [`Client::settle_boxed`]).
    #[inline(never)]
    fn explain_refusal_boxed<'a>(
        &'a self,
        target: &'a str,
        err: Error,
        now: Timestamp,
    ) -> Pin<Box<dyn Future<Output = Error> + Send + 'a>> {
        Box::pin(self.explain_refusal(target, err, now))
    }

    /// After Di refused a cancel sent without reading the order first: read the order and
    /// put the rules' reason (in transit since...) in the refusal's message. The refusal stays
    /// Di's ([`Sent::Answered`], its code); a read that fails leaves it as it is.
    async fn explain_refusal(&self, target: &str, err: Error, now: Timestamp) -> Error {
        let Ok(after) = self.order_details(target).await else {
            return err;
        };
        let why = match rules::cancellability(&after, now) {
            Ok(Cancellability::NotCancellable { reason }) => reason,
            _ => format!("the order reads ediStatus `{}`", edi_status(&after)),
        };
        let message = format!("{why}; Di refused the cancel: {}", err.message());
        err.with_message(message)
    }

    /// After a cancel whose answer proved nothing: read the order back; cancelled settles it,
    /// unchanged gets the (idempotent) cancel once more, anything else stays unknown.
    async fn settle(
        &self,
        number: ShipmentNumber,
        before: Option<OrderDetails>,
        mut err: Error,
    ) -> Result<CancelOutcome, Error> {
        let target = number.as_str().to_owned();
        let check = format!("rescind di show {target}");
        let mut resent = false;
        loop {
            let after = match self.order_details(&target).await {
                Ok(after) => after,
                Err(read_err) => {
                    return Err(change::unknown_after_read_back(
                        err,
                        before.as_ref().map(|b| observation(&target, b)),
                        &format!("reading the order back failed too ({read_err})"),
                        &check,
                    ));
                }
            };
            if after.is_cancelled() {
                let outcome = CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                    .with_settled_by(SettledBy::ReadBack);
                // Sent first, an order read back CANCELLED may have been cancelled before.
                let (outcome, unknown_before) = if before.is_none() && !resent {
                    (
                        outcome.already_cancelled_before_unknown(),
                        "; the cancel was sent without reading the order first (change-first policy), so whether it was cancelled before is not known",
                    )
                } else {
                    (outcome, "")
                };
                return Ok(outcome
                    .with_note(format!(
                        "the cancel's answer proved nothing ({}); reading the order back shows it CANCELLED{unknown_before}",
                        err.message()
                    ))
                    .with_native(DiCancel {
                        details: Some(after),
                        response: None,
                    }));
            }
            if let Some(sent) =
                change::stop_resending(resent, &err, &self.transport().config().retry)
            {
                return Err(change::unknown_after_read_back(
                    err,
                    before.as_ref().map(|b| observation(&target, b)),
                    &format!(
                        "reading the order back shows ediStatus `{}`, not CANCELLED (the cancel was {sent})",
                        edi_status(&after)
                    ),
                    &check,
                ));
            }
            // Not applied (yet): the cancel is idempotent, so send it once more.
            resent = true;
            tracing::debug!(shipment = %target, "cancel unproven and not applied: sending once more");
            match self.cancel_shipment(&number).await {
                Ok(response) => {
                    return Ok(
                        CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                            .with_request_id_opt(response.request_id.clone())
                            .with_note(format!(
                                "the first cancel's answer proved nothing ({}) and the order read back unchanged; the cancel was sent once more",
                                err.message()
                            ))
                            .with_native(DiCancel {
                                details: before,
                                response: Some(response),
                            }),
                    );
                }
                // The first cancel was applied after the read-back.
                Err(again) if is_already_cancelled(&again) => {
                    return Ok(
                        CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                            .with_request_id_opt(again.request_id().map(str::to_owned))
                            .with_note(
                                "the first cancel's answer proved nothing; sent once more, Di answered order.cancelled: the first one was applied",
                            )
                            .with_native(DiCancel {
                                details: before,
                                response: None,
                            }),
                    );
                }
                Err(again) if again.sent() == Sent::MaybeSent => err = again,
                Err(again) => return Err(again),
            }
        }
    }
}

/// What a reading before the cancel decides ([`Client::judge_reading`]).
enum Judged {
    /// Send the cancel; the reading goes in the outcome.
    Send {
        target: String,
        read: Box<OrderDetails>,
    },
    /// The cancel's end, without sending.
    End(Result<CancelOutcome, Error>),
}

/// What the cancel's answer decides ([`answered`]).
enum Answered {
    /// The cancel's end.
    End(Result<CancelOutcome, Error>),
    /// An answer that proves nothing: settle it by reading the order back.
    Settle {
        details: Option<Box<OrderDetails>>,
        err: Error,
    },
    /// Refused after being sent without a reading: read the order to say why.
    Explain { target: String, err: Error },
}

/// The cancel's answer read by the rule of [`change`]: Di refuses a cancelled order
/// (`order.cancelled`), so a success proves the order was cancelled by this call, read first
/// or not. Out of line (see [`Client::cancel_prepared`]).
#[inline(never)]
fn answered(
    target: String,
    details: Option<Box<OrderDetails>>,
    answer: Result<CancelResponse, Error>,
) -> Answered {
    let end = match answer {
        Ok(response) => Ok(
            CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                .with_request_id_opt(response.request_id.clone())
                .with_native(DiCancel {
                    details: details.map(|d| *d),
                    response: Some(response),
                }),
        ),
        // `order.cancelled` after an attempt of this same call that may have been applied
        // (it timed out or lost its connection): that attempt is what cancelled the order.
        Err(err) if is_already_cancelled(&err) && err.sent() == Sent::MaybeSent => {
            let outcome = CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                .with_request_id_opt(err.request_id().map(str::to_owned));
            // Without a reading from before, the order may have been cancelled before
            // the first attempt too.
            let outcome = if details.is_some() {
                outcome.with_note(
                    "an earlier attempt of this call cancelled the order; Di answered the retry with order.cancelled",
                )
            } else {
                outcome.already_cancelled_before_unknown().with_note(
                    "Di answered a retry of this call with order.cancelled: an earlier attempt cancelled the order, unless it was cancelled before (the cancel was sent without reading the order first, change-first policy)",
                )
            };
            Ok(outcome.with_native(DiCancel {
                details: details.map(|d| *d),
                response: None,
            }))
        }
        Err(err) if is_already_cancelled(&err) => {
            Ok(
                CancelOutcome::new(Provider::Di, target, CancelStatus::AlreadyCancelled)
                    .with_request_id_opt(err.request_id().map(str::to_owned))
                    .with_note("Di answered order.cancelled: the order was cancelled already")
                    .with_native(DiCancel {
                        details: details.map(|d| *d),
                        response: None,
                    }),
            )
        }
        Err(err) if err.sent() == Sent::MaybeSent => {
            return Answered::Settle { details, err };
        }
        // Sent first and refused: read the order to say why, by the same rules.
        Err(err) if details.is_none() && err.kind() == ErrorKind::NotCancellable => {
            return Answered::Explain { target, err };
        }
        Err(err) => Err(err),
    };
    Answered::End(end)
}
