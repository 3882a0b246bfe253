//! The core [`Canceller`] for Skip Pay: whole orders and some items; holds are unsupported.
//!
//! The target is the application id. Under [`Policy::CheckFirst`] (the default; see
//! [Policies](#policies)) the application is read first and the documented rules
//! ([`rules::plan`]) decide: an application already CANCELLED is reported as
//! [`CancelStatus::AlreadyCancelled`]; one still PROCESSING is cancelled as an application
//! (order cancel is not available then); a REJECTED one is refused with its reason, before
//! anything is sent; a READY one gets an order cancel (`{}` for the whole order).
//!
//! # Policies
//!
//! [`ClientBuilder::policy`](crate::ClientBuilder::policy) (default [`Policy::CheckFirst`]) and
//! a call's [`CancelOptions::policy`] choose how many requests a cancel spends, logins apart
//! and in the common case (no fault):
//!
//! | action | [`Policy::CheckFirst`] | [`Policy::ChangeFirst`] | why |
//! |---|---|---|---|
//! | whole cancel, READY | 2 (read, order cancel) | 1 (order cancel `{}`) | Skip Pay refuses (422) an order cancel unless the application is READY ("Cancel order items"), so the read is needed only after a refusal |
//! | whole cancel, PROCESSING | 2 (read, application cancel) | 3 (order cancel refused, read, application cancel) | the refusal is explained by the read, which shows PROCESSING: then cancelled as an application ("Cancel application") |
//! | item cancel without quantities | 2 (read, order cancel) | 1 (order cancel) | idempotent: marking CANCELLED what is CANCELLED changes nothing, so a lost answer is settled by reading back and sending again |
//! | item cancel with quantities | 2 (read, order cancel) | 2 (read, order cancel) | the before-read is the only fingerprint that settles a lost answer (sent twice it would cancel twice as many) |
//!
//! Under change-first the order cancel's 200 is the order, the same for an order cancelled now
//! and one cancelled before, so the outcome has
//! [`already_cancelled_before`](CancelOutcome::already_cancelled_before) `None` and a note
//! saying so; check-first tells them apart. A refusal (400 or 422 with Skip Pay's envelope) is
//! explained by reading the application and applying [`rules::plan`], as check-first does
//! before sending: CANCELLED → [`CancelStatus::AlreadyCancelled`]; PROCESSING → the
//! application cancel; a refusal of the rules (REJECTED, items not open...) keeps Skip Pay's
//! answer ([`Sent::Answered`]) with the rules' kind and reason. Without a reading, an item
//! cancel's success is proved by every selected item reading CANCELLED.
//!
//! A [`Plan`] handed in ([`CancelOptions::with_plan`]) is used instead of reading the
//! application again (its native `ApplicationResponse`), under either policy; for an item
//! cancel with quantities only while fresh ([`Plan::FRESH_FOR`], 5 seconds after its
//! reading): its reading is the fingerprint a lost answer is settled against, and an older
//! one may hide someone else's change, so the application is read again (3 requests).
//!
//! # What proves the cancel
//!
//! The answer is read by the rule of [`rescind_core::change`]
//! ([`response::parse_cancel_order_items`]): a 200
//! must be an order (an application, for the application cancel) about this application, and
//! must show the change (compared with the reading taken before, by
//! [`settle`]): Skip Pay's own example answers the items still
//! `PROCESSING`. An answer that proves nothing ([`Sent::MaybeSent`]), or a 200 that does not
//! show the change, is settled by reading the application back once:
//!
//! - changed as asked: the outcome, marked [`SettledBy::ReadBack`];
//! - unchanged, for a cancel without quantities (idempotent: marking cancelled what is
//!   cancelled changes nothing) that the transport has not already repeated
//!   ([`change::may_send_again`]): the cancel is sent once more and its answer read the same
//!   way, without a third send;
//! - unchanged for a cancel with quantities (sent twice it would cancel twice as many), changed
//!   otherwise than asked, or unreadable: an error that stays [`Sent::MaybeSent`], names the
//!   command to check (`rescind skippay show <id>`) and carries the reading taken before
//!   ([`Error::observed_before`]).
//!
//! [`Canceller::observe`] reads the application (`GET /financing/v1/applications/{id}`): its
//! state, cancelled when the application is CANCELLED or its order is, and for an item scope
//! every item each selector matches (as the cancel would match it), with its quantity and
//! whether it is CANCELLED. A quantity cancel lowers the item's quantity, so the quantities are
//! the fingerprint that tells a cancel applied from one not applied.
//!
//! [`Canceller::plan`] reads the application once and applies [`rules::plan`], as the cancel
//! does: already cancelled; cancel (the order, or a PROCESSING application); cancel N items
//! (N: the selectors naming an item not yet cancelled); refused (`rejected` for a REJECTED
//! application, `not_cancellable` for the other states the rules refuse, `invalid_request` for
//! a quantity above what is left); item not found (a selector that matches no item); a 404 is
//! not found, any other failed read unknown.

use std::future::Future;
use std::pin::Pin;

use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error,
    ErrorKind, Observation, ObservedItem, Plan, Policy, Prediction, Provider, Refusal, Scope, Sent,
    SettledBy, Settlement, async_trait, change, settle,
};

use crate::client::Client;
use crate::model::{
    AnsweredOrder, ApplicationResponse, ApplicationState, CancelItem, Order, OrderCancelRequest,
    OrderState, SkipPayCancel,
};
use crate::request::CANCEL_APPLICATION;
use crate::rules::{self, Plan as Plan_};
use crate::{request, response};

/// The outcome an order cancel's answer describes: cancelled when the order, every item or the
/// application it names (`applicationInfo.state`) is CANCELLED (a cancelled application
/// cancels its whole order), partially cancelled otherwise (with counts of items).
pub fn status_of_order(order: &Order) -> CancelStatus {
    status_of(order.reads_cancelled(), Some(order.item_counts()))
}

/// The outcome of a change a reading shows applied: cancelled when the reading is cancelled as
/// a whole (`whole_cancelled`: the application or the order) or has no order, partially
/// cancelled otherwise, with the order's counts of items (`item_counts`: cancelled and not;
/// `None`: no order).
fn status_of(whole_cancelled: bool, item_counts: Option<(usize, usize)>) -> CancelStatus {
    match item_counts {
        Some((cancelled, remaining)) if !whole_cancelled => CancelStatus::PartiallyCancelled {
            cancelled_items: Some(cancelled),
            remaining_items: Some(remaining),
        },
        _ => CancelStatus::Cancelled,
    }
}

#[async_trait]
impl Canceller for Client {
    fn provider(&self) -> Provider {
        Provider::SkipPay
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole().with_items()
    }

    async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
        // `cancel_with(request, CancelOptions::new())`. The work is boxed (`work`): with the
        // box's pointer alone in the span's and the deadline scope's wrappers, they cost next
        // to nothing when nobody records the span and there is no deadline.
        rescind_core::trace::run_cancel(
            Provider::SkipPay,
            request,
            CancelOptions::new(),
            |request, options| self.work(request, options),
        )
        .await
    }

    async fn cancel_with(
        &self,
        request: CancelRequest,
        options: CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        // In its span, under the call's deadline (rescind_core::deadline), as at every provider.
        rescind_core::trace::run_cancel(Provider::SkipPay, request, options, |request, options| {
            self.work(request, options)
        })
        .await
    }

    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        rules::check_request(request)
    }

    async fn plan(&self, request: &CancelRequest) -> Plan {
        if let Err(e) = rules::check_request(request) {
            return Plan::from_error(&e);
        }
        let (order_request, selectors) = match &request.scope {
            Scope::Items(selectors) => {
                let items: Vec<CancelItem> = selectors.iter().map(CancelItem::from).collect();
                (OrderCancelRequest::items(items.clone()), items)
            }
            _ => (OrderCancelRequest::whole(), Vec::new()),
        };
        if let Err(e) = rules::validate_order_cancel(&order_request) {
            return Plan::from_error(&e);
        }
        let app = match self.get_application(&request.target).await {
            Ok(app) => app,
            Err(e) => return Plan::from_error(&e),
        };
        let reading = observation(&request.target, &app, &selectors);
        let prediction = match rules::plan(&app, &order_request) {
            Ok(Plan_::AlreadyCancelled(_)) => Prediction::AlreadyCancelled,
            Ok(_) if selectors.is_empty() => Prediction::Cancel,
            Ok(_) => {
                let open = app.order.as_ref().map_or(selectors.len(), |order| {
                    if order.items.is_empty() {
                        return selectors.len();
                    }
                    selectors
                        .iter()
                        .filter(|s| {
                            order
                                .items
                                .iter()
                                .any(|i| rules::item_matches(s, i) && rules::item_is_open(i))
                        })
                        .count()
                });
                Prediction::CancelItems { items: open }
            }
            Err(e) if e.kind() == ErrorKind::InvalidInput => {
                // `items[i]` (no item matches), as opposed to `items[i].quantity`.
                if e.field().is_some_and(|f| !f.contains('.'))
                    && e.rule().is_some_and(|r| r.starts_with("matches no item"))
                {
                    Prediction::ItemNotFound {
                        detail: e.to_string(),
                    }
                } else {
                    Prediction::Refused {
                        reason: Refusal::InvalidRequest,
                        detail: e.to_string(),
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::NotCancellable => Prediction::Refused {
                reason: if app.state == ApplicationState::Rejected {
                    Refusal::Rejected
                } else {
                    Refusal::NotCancellable
                },
                detail: e.to_string(),
            },
            Err(e) => Prediction::from_error(&e),
        };
        Plan::new(prediction).with_reading(reading).with_native(app)
    }

    async fn observe(&self, request: &CancelRequest) -> Result<Observation, Error> {
        let selectors: Vec<CancelItem> = match &request.scope {
            Scope::Whole => Vec::new(),
            Scope::Items(selectors) => selectors.iter().map(CancelItem::from).collect(),
            other => {
                return Err(Error::unsupported(
                    Provider::SkipPay,
                    format!("reading back the `{}` scope", other.as_str()),
                ));
            }
        };
        let app = self.get_application(&request.target).await?;
        Ok(observation(&request.target, &app, &selectors))
    }
}

/// What the application shows for a cancel of `selectors` (none: the whole order).
fn observation(target: &str, app: &ApplicationResponse, selectors: &[CancelItem]) -> Observation {
    let order_cancelled = app.order.as_ref().is_some_and(Order::is_cancelled);
    let seen = Observation::new(target, app.state.to_string())
        .cancelled(app.state == ApplicationState::Cancelled || order_cancelled);
    with_items(seen, app.order.as_ref(), selectors)
}

/// What an order cancel's answer (the order) shows for a cancel of `selectors`.
fn observation_of_order(target: &str, order: &Order, selectors: &[CancelItem]) -> Observation {
    let state = order
        .state
        .as_ref()
        .map_or_else(|| "UNKNOWN".to_string(), |s| s.as_str().to_string());
    let seen = Observation::new(target, state).cancelled(order.reads_cancelled());
    with_items(seen, Some(order), selectors)
}

/// Whether the order answered to an order cancel shows the change asked for: [`settle`] on
/// its observation. For a whole cancel that is whether the order reads cancelled, decided
/// without building the observation (its state and items as text): the answer of every
/// common whole cancel, where those copies were a measured part of the call (bench `calls`).
/// `cancelled`: whether the answer reads cancelled as a whole
/// ([`AnsweredOrder::reads_cancelled`], taken once by the caller).
fn order_shows_change(asked: &OrderChange<'_>, answer: &AnsweredOrder, cancelled: bool) -> bool {
    if matches!(asked.request.scope, Scope::Whole) {
        return cancelled;
    }
    // An item cancel matches items by code, EAN or name: the whole order is read. `None`
    // (the kept answer does not read whole) shows nothing: the read-back settles it.
    let Some(order) = answer.order() else {
        return false;
    };
    let after = observation_of_order(&asked.request.target, order, asked.selectors);
    matches!(
        settle(asked.request, asked.before.as_ref(), &after),
        Settlement::Applied { .. }
    )
}

fn with_items(
    mut seen: Observation,
    order: Option<&Order>,
    selectors: &[CancelItem],
) -> Observation {
    let items = order.map(|o| o.items.as_slice()).unwrap_or_default();
    for (index, selector) in selectors.iter().enumerate() {
        for item in items
            .iter()
            .filter(|item| rules::item_matches(selector, item))
        {
            let label = item
                .code
                .clone()
                .or_else(|| item.ean.clone())
                .or_else(|| item.name.clone())
                .unwrap_or_default();
            seen = seen.item(ObservedItem::new(
                index,
                label,
                item.quantity,
                item.state == Some(OrderState::Cancelled),
            ));
        }
    }
    seen
}

/// The note of an order cancel sent first: its answer (the order) is the same for an order
/// cancelled now and one cancelled before.
const UNKNOWN_BEFORE: &str = "the order cancel was sent without reading the application first (change-first policy): Skip Pay answers it with the order whether or not it was cancelled before, so that is not known";

/// One order cancel and what it is compared with.
struct OrderChange<'a> {
    request: &'a CancelRequest,
    order_request: &'a OrderCancelRequest,
    selectors: &'a [CancelItem],
    /// The reading taken before; `None` for a cancel sent first (change-first, no quantities).
    before: Option<Observation>,
}

/// A cancel's request and options, checked ([`Client::prepare`]).
struct Prepared {
    request: CancelRequest,
    order_request: OrderCancelRequest,
    selectors: Vec<CancelItem>,
    policy: Policy,
    /// The application as a plan read it, when the plan may stand in for a reading (boxed:
    /// it is large, and rarely there).
    planned: Option<Box<ApplicationResponse>>,
}

impl Client {
    /// A cancel's work, built in its box by a function of its own: its state is large, and
    /// in place it would make `async_trait`'s box larger than glibc's per-thread cache takes
    /// (1,032 bytes); built in the cancel's poll function, it would take its size of that
    /// function's stack frame, below which every request runs (bench `calls`).
    #[inline(never)]
    fn work(
        &self,
        request: CancelRequest,
        options: CancelOptions,
    ) -> Pin<Box<dyn Future<Output = Result<CancelOutcome, Error>> + Send + '_>> {
        Box::pin(self.cancel_prepared(self.prepare(request, options)))
    }

    /// What a cancel needs from its request and options, checked before anything is read or
    /// sent. Done apart from the sending (not in an `async fn`), so that the cancel's future
    /// holds this result, not the request and the options besides: a smaller future is a heap
    /// block the allocator's per-thread cache takes (see `Transport::send`).
    fn prepare(
        &self,
        request: CancelRequest,
        mut options: CancelOptions,
    ) -> Result<Box<Prepared>, Error> {
        let (order_request, selectors) = match &request.scope {
            Scope::Whole => (OrderCancelRequest::whole(), Vec::new()),
            Scope::Items(selectors) if selectors.is_empty() => {
                return Err(Error::invalid_input(
                    "items",
                    "must name at least one item (cancel the whole order with Scope::Whole)",
                )
                .with_provider(Provider::SkipPay)
                .with_operation(request::CANCEL_ORDER_ITEMS));
            }
            Scope::Items(selectors) => {
                let items: Vec<CancelItem> = selectors.iter().map(CancelItem::from).collect();
                (OrderCancelRequest::items(items.clone()), items)
            }
            other => {
                return Err(Error::unsupported(Provider::SkipPay, other.as_str()));
            }
        };
        // Check the input before reading anything.
        rules::validate_order_cancel(&order_request)
            .map_err(|err| err.with_provider(Provider::SkipPay))?;
        let policy = options.policy_or(self.policy());
        // A quantity cancel's reading is the only fingerprint of its lost answer: a plan stands
        // in for it only while fresh (`Plan::FRESH_FOR`); an older one is read again.
        let planned = options
            .take_plan()
            .filter(|plan| !order_request.has_quantities() || plan.is_fresh())
            .and_then(|plan| plan.native::<ApplicationResponse>().cloned())
            .filter(|app| app.id == request.target)
            .map(Box::new);
        // Boxed: the cancel's future then holds a pointer, not the checked request beside its
        // own copy of it.
        Ok(Box::new(Prepared {
            request,
            order_request,
            selectors,
            policy,
            planned,
        }))
    }

    /// The cancel itself, from what [`Client::prepare`] checked, without its `rescind.cancel`
    /// span (see [`Canceller::cancel_with`]).
    async fn cancel_prepared(
        &self,
        prepared: Result<Box<Prepared>, Error>,
    ) -> Result<CancelOutcome, Error> {
        let Prepared {
            request,
            order_request,
            selectors,
            policy,
            planned,
        } = *prepared?;
        // A quantity cancel is read first under every policy: the before-read is the only
        // fingerprint that settles its lost answer (it cannot be sent twice).
        if planned.is_none() && policy == Policy::ChangeFirst && !order_request.has_quantities() {
            let order = OrderChange {
                request: &request,
                order_request: &order_request,
                selectors: &selectors,
                before: None,
            };
            return self.cancel_order_settled(order).await;
        }
        let app = match planned {
            Some(app) => app,
            None => Box::new(
                self.get_application(&request.target)
                    .await
                    .map_err(change::read_before_change)?,
            ),
        };
        // Boxed: its state (the read application, the order cancel after it) would otherwise
        // be part of every cancel's future, copied when the future moves, even when unused.
        Box::pin(self.cancel_read(&request, &order_request, &selectors, app)).await
    }

    /// The cancel decided from a reading of the application (`app`): the documented rules
    /// ([`rules::plan`]), then the order cancel or the application cancel.
    async fn cancel_read(
        &self,
        request: &CancelRequest,
        order_request: &OrderCancelRequest,
        selectors: &[CancelItem],
        app: Box<ApplicationResponse>,
    ) -> Result<CancelOutcome, Error> {
        let target = request.target.clone();
        let before = observation(&target, &app, selectors);
        let plan =
            rules::plan(&app, order_request).map_err(|err| err.with_provider(Provider::SkipPay))?;
        match plan {
            Plan_::AlreadyCancelled(note) => {
                Ok(
                    CancelOutcome::new(Provider::SkipPay, target, CancelStatus::AlreadyCancelled)
                        .with_note(note)
                        .with_native(SkipPayCancel::from_application(app)),
                )
            }
            Plan_::CancelOrder => {
                let order = OrderChange {
                    request,
                    order_request,
                    selectors,
                    before: Some(before),
                };
                self.cancel_order_settled(order).await
            }
            Plan_::CancelApplication => self.cancel_application_settled(target, before).await,
        }
    }

    /// After Skip Pay refused an order cancel sent without reading first (400 or 422 with its
    /// envelope): read the application and decide by the same rules as a check-first cancel.
    /// A PROCESSING application is then cancelled as an application; a CANCELLED one is
    /// already cancelled; a refusal the rules explain gets their reason and kind (the error
    /// stays Skip Pay's answer, [`Sent::Answered`]); anything else keeps Skip Pay's refusal.
    async fn after_order_refusal(
        &self,
        asked: &OrderChange<'_>,
        refused: Error,
    ) -> Result<CancelOutcome, Error> {
        let target = asked.request.target.clone();
        let Ok(app) = self.get_application(&target).await else {
            return Err(refused);
        };
        match rules::plan(&app, asked.order_request) {
            Ok(Plan_::AlreadyCancelled(note)) => {
                Ok(
                    CancelOutcome::new(Provider::SkipPay, target, CancelStatus::AlreadyCancelled)
                        .with_note(format!("Skip Pay refused the order cancel and {note}"))
                        .with_native(SkipPayCancel::from_application(app)),
                )
            }
            Ok(Plan_::CancelApplication) => {
                let before = observation(&target, &app, asked.selectors);
                self.cancel_application_settled(target, before).await
            }
            Ok(Plan_::CancelOrder) => Err(refused),
            Err(rule) => {
                let message = format!(
                    "{}; Skip Pay refused the order cancel: {}",
                    rule.message(),
                    refused.message()
                );
                let refused = match rule.reason() {
                    Some(reason) => refused.with_reason(reason),
                    None => refused,
                };
                Err(refused.with_kind(rule.kind()).with_message(message))
            }
        }
    }

    /// Sends the order cancel once and reads its answer by the rule (no read-back here).
    async fn send_order_cancel(
        &self,
        target: &str,
        order_request: &OrderCancelRequest,
    ) -> Result<AnsweredOrder, Error> {
        let req = request::cancel_order_items(target, order_request)?;
        let resp = self.transport().send(&req).await?;
        let whole = order_request.is_whole();
        response::read_order_cancel_of(&resp, target, req.operation, whole)
    }

    /// Sends the order cancel; an answer that proves nothing or does not show the change is
    /// settled by reading the application back (see the module's docs).
    async fn cancel_order_settled(&self, asked: OrderChange<'_>) -> Result<CancelOutcome, Error> {
        let target = asked.request.target.as_str();
        let idempotent = !asked.order_request.has_quantities();
        let mut resent = false;
        let mut err = loop {
            let answer = self.send_order_cancel(target, asked.order_request).await;
            let err = match answer {
                Ok(order) => {
                    let cancelled = order.reads_cancelled();
                    if order_shows_change(&asked, &order, cancelled) {
                        let status = status_of(cancelled, Some(order.item_counts()));
                        let mut outcome = CancelOutcome::new(Provider::SkipPay, target, status);
                        if resent {
                            outcome = outcome.with_note(
                                "the first cancel's answer proved nothing and the order read back unchanged; the cancel was sent once more",
                            );
                        } else if asked.before.is_none() {
                            outcome = outcome
                                .already_cancelled_before_unknown()
                                .with_note(UNKNOWN_BEFORE);
                        }
                        return Ok(outcome.with_native(SkipPayCancel::from_answered(order)));
                    }
                    Error::new(
                        ErrorKind::UnexpectedResponse,
                        Sent::MaybeSent,
                        "Skip Pay answered the order cancel with success, but the order it returned does not show the cancel",
                    )
                    .with_provider(Provider::SkipPay)
                    .with_operation(request::order_cancel_operation(asked.order_request))
                }
                Err(err) if err.sent() == Sent::MaybeSent => err,
                // Sent first and refused: read what decides (PROCESSING, CANCELLED, ...).
                Err(err)
                    if asked.before.is_none()
                        && !resent
                        && err.sent() == Sent::Answered
                        && matches!(err.status(), Some(400 | 422)) =>
                {
                    // Boxed: a cold path, kept out of the common cancel's future.
                    return Box::pin(self.after_order_refusal(&asked, err)).await;
                }
                // A documented refusal, or nothing was sent.
                Err(err) => return Err(err),
            };
            // Read back once.
            let check = format!("rescind skippay show {target}");
            // Boxed: a cold path, kept out of the common cancel's future.
            let app = match Box::pin(self.get_application(target)).await {
                Ok(app) => app,
                Err(read_err) => {
                    return Err(change::unknown_after_read_back(
                        err,
                        asked.before,
                        &format!("reading the application back failed too ({read_err})"),
                        &check,
                    ));
                }
            };
            let after = observation(target, &app, asked.selectors);
            match settle(asked.request, asked.before.as_ref(), &after) {
                Settlement::Applied { note } => {
                    // A cancelled application cancels its whole order, whatever its items
                    // still read.
                    let whole_cancelled = app.state == ApplicationState::Cancelled
                        || app.order.as_ref().is_some_and(Order::reads_cancelled);
                    let status =
                        status_of(whole_cancelled, app.order.as_ref().map(Order::item_counts));
                    let outcome = CancelOutcome::new(Provider::SkipPay, target, status)
                        .with_settled_by(SettledBy::ReadBack);
                    let (outcome, unknown_before) = if asked.before.is_none() && !resent {
                        (
                            outcome.already_cancelled_before_unknown(),
                            "; the cancel was sent without reading the application first (change-first policy), so whether it was cancelled before is not known",
                        )
                    } else {
                        (outcome, "")
                    };
                    return Ok(outcome
                        .with_note(format!(
                            "the cancel's answer proved nothing ({}); {note}{unknown_before}",
                            err.message()
                        ))
                        .with_native(SkipPayCancel::from_application(app)));
                }
                Settlement::NotApplied
                    if idempotent
                        && !resent
                        && change::may_send_again(&err, &self.transport().config().retry) =>
                {
                    tracing::debug!(application = %target, "cancel unproven and not applied: sending once more");
                    resent = true;
                }
                Settlement::NotApplied => {
                    let why = if resent {
                        "the cancel was sent twice and reading the application back still shows it unchanged"
                    } else if idempotent {
                        "reading the application back shows it unchanged (the cancel was not sent again after the transport's retries)"
                    } else {
                        "reading the application back shows the items unchanged; the cancel has quantities, so it was not sent again (the change may still appear)"
                    };
                    break change::unknown_after_read_back(err, None, why, &check);
                }
                Settlement::Unclear { reason } => {
                    break change::unknown_after_read_back(
                        err,
                        None,
                        &format!("reading the application back is unclear: {reason}"),
                        &check,
                    );
                }
                _ => break err,
            }
        };
        if let Some(before) = asked.before {
            err = err.with_observed_before(before);
        }
        Err(err)
    }

    /// Cancels an application still PROCESSING; an answer that proves nothing, or an
    /// application not CANCELLED in the answer, is settled by reading it back.
    async fn cancel_application_settled(
        &self,
        target: String,
        before: Observation,
    ) -> Result<CancelOutcome, Error> {
        let check = format!("rescind skippay show {target}");
        let mut resent = false;
        loop {
            let err = match self
                .cancel_application_with(&target, &self.canceller_reason)
                .await
            {
                Ok(app) if app.state == ApplicationState::Cancelled => {
                    let note = if resent {
                        "the application was PROCESSING: cancelled as a whole (sent once more after an answer that proved nothing)"
                    } else {
                        "the application was PROCESSING: cancelled as a whole"
                    };
                    return Ok(CancelOutcome::new(
                        Provider::SkipPay,
                        target,
                        CancelStatus::Cancelled,
                    )
                    .with_note(note)
                    .with_native(SkipPayCancel::from_application(app)));
                }
                Ok(app) => Error::new(
                    ErrorKind::UnexpectedResponse,
                    Sent::MaybeSent,
                    format!(
                        "Skip Pay accepted the application cancel but reports the application {}",
                        app.state
                    ),
                )
                .with_provider(Provider::SkipPay)
                .with_operation(CANCEL_APPLICATION),
                // A retry (or a second send) after an answer that proved nothing finds our
                // own cancel done.
                Err(err) if err.code() == Some("APPLICATION_ALREADY_CANCELLED") => {
                    // The note explains the outcome in its own words: the refusal's error
                    // text ("not cancellable ... may have reached the provider") contradicts
                    // an outcome that is a success.
                    let (status, note) = if err.sent() == Sent::MaybeSent || resent {
                        (
                            CancelStatus::Cancelled,
                            "the application was PROCESSING: an earlier attempt of this call cancelled the application; Skip Pay answered the retry with APPLICATION_ALREADY_CANCELLED",
                        )
                    } else {
                        (
                            CancelStatus::AlreadyCancelled,
                            "the application was PROCESSING when read, and Skip Pay answered the application cancel with APPLICATION_ALREADY_CANCELLED: it was cancelled meanwhile, not by this call",
                        )
                    };
                    return Ok(CancelOutcome::new(Provider::SkipPay, target, status)
                        .with_request_id_opt(err.request_id().map(str::to_owned))
                        .with_note(note)
                        .with_native(SkipPayCancel::default()));
                }
                Err(err) if err.sent() == Sent::MaybeSent => err,
                Err(err) => return Err(err),
            };
            let app = match self.get_application(&target).await {
                Ok(app) => app,
                Err(read_err) => {
                    return Err(change::unknown_after_read_back(
                        err,
                        Some(before),
                        &format!("reading the application back failed too ({read_err})"),
                        &check,
                    ));
                }
            };
            if app.state == ApplicationState::Cancelled {
                return Ok(
                    CancelOutcome::new(Provider::SkipPay, target, CancelStatus::Cancelled)
                        .with_settled_by(SettledBy::ReadBack)
                        .with_note(format!(
                            "the application cancel's answer proved nothing ({}); reading the application back shows it CANCELLED",
                            err.message()
                        ))
                        .with_native(SkipPayCancel::from_application(app)),
                );
            }
            if let Some(sent) =
                change::stop_resending(resent, &err, &self.transport().config().retry)
            {
                return Err(change::unknown_after_read_back(
                    err,
                    Some(before),
                    &format!(
                        "reading the application back shows it {} (the application cancel was {sent})",
                        app.state
                    ),
                    &check,
                ));
            }
            // Not applied: an application cancel is idempotent, send it once more.
            resent = true;
        }
    }
}
