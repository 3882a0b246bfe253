//! The core [`Canceller`] for Arta: a whole cancel is a hosted session's cancel, a hold is a
//! shipment's `requested_hold_to_collect` exception, an item cancel is unsupported.
//!
//! # Targets
//!
//! - [`Scope::Whole`]: the target is a hosted session id, an integer (`"42"`). Anything else
//!   is [`ErrorKind::InvalidInput`](rescind_core::ErrorKind) on `target`, before sending.
//! - [`Scope::Hold`]: the target is a shipment id (a UUID); see [`Client::hold_shipment`].
//! - [`Scope::Items`]: [`ErrorKind::Unsupported`](rescind_core::ErrorKind), before sending.
//!
//! # Policies
//!
//! [`ClientBuilder::policy`](crate::ClientBuilder::policy) (default [`Policy::CheckFirst`]) and
//! a call's [`CancelOptions::policy`] choose how many requests a cancel spends, logins apart
//! (Arta has none) and in the common case (no fault):
//!
//! | action | [`Policy::CheckFirst`] | [`Policy::ChangeFirst`] | why |
//! |---|---|---|---|
//! | hosted-session cancel | 2 (read, cancel) | 1 (cancel) | Arta refuses (422) what its state forbids itself; a read is taken only to explain a refusal or settle an answer that proves nothing |
//! | hold | 2 (read, post) | 2 (read, post) | the shipment read is the input of the 30-day rule Arta does not enforce (Arta API, "Shipment Exceptions": `hold_until` at most 30 days after creation) and the fingerprint that settles a lost answer, since the post cannot be repeated (no idempotency key) |
//!
//! Under change-first a 200 to the cancel cannot tell "cancelled now" from "was already
//! cancelled" (Arta, "Hosted Sessions › Cancel": only 200 and 404 documented), so the outcome
//! is [`CancelStatus::Cancelled`] with
//! [`already_cancelled_before`](CancelOutcome::already_cancelled_before) `None` and a note
//! saying so; check-first tells them apart (`Some(false)`, or
//! [`CancelStatus::AlreadyCancelled`]). A refusal is explained by the same read as
//! check-first's (below), so a refused cancel of a cancelled session is still
//! [`CancelStatus::AlreadyCancelled`].
//!
//! A [`Plan`] handed in ([`CancelOptions::with_plan`]) is used instead of reading again: the
//! session's status for a whole cancel (its own status `cancelled` → already cancelled,
//! nothing sent), the shipment for a hold ([`Client::hold_shipment_read`]). The shipment read
//! is also the hold's fingerprint (the post cannot be repeated), so a hold uses a plan only
//! while it is fresh ([`Plan::is_fresh`], [`Plan::FRESH_FOR`]: 5 seconds after its reading);
//! an older plan is read again (the shipment may have been held by someone else since), as a
//! Skip Pay quantity cancel does. A whole cancel (idempotent) keeps using a plan of any age.
//!
//! # "Already cancelled" (a decision)
//!
//! Arta documents only 200 and 404 for the cancel, and not what a second cancel does. So the
//! whole cancel under check-first **reads the session first**: a session whose status is
//! `cancelled` is reported as [`CancelStatus::AlreadyCancelled`] and nothing is sent. Otherwise it sends the
//! cancel, whose answer is read by the rule of [`rescind_core::change`]
//! ([`response::parse_change`]). A 200 that is a hosted session with the target's id is
//! [`CancelStatus::Cancelled`] (Arta's answer is "Successfully cancelled", whatever status the
//! body shows: its own example answers `"status": "new"`). If the cancel is refused (400 or 422
//! with Arta's `{"errors": ...}`), the session is read again: `cancelled` then means already
//! cancelled; otherwise the cancel's error is returned, as [`ErrorKind::NotCancellable`] for a
//! 422 (the session's state refuses the cancel: `closed`, `expired`...).
//!
//! An answer that proves nothing ([`Sent::MaybeSent`]: a timeout, a lost connection, a 5xx, a
//! 409, a 2xx that is not the session) is settled by reading the session back: `cancelled` is
//! [`CancelStatus::Cancelled`] marked [`SettledBy::ReadBack`]; unchanged, the cancel (idempotent)
//! is sent once more unless the transport already repeated it ([`change::may_send_again`]),
//! and its answer read the same way, without a third send; still not
//! cancelled, or unreadable, is an error that stays [`Sent::MaybeSent`], names the command to
//! check (`rescind arta show-session <id>`) and carries the reading taken before
//! ([`Error::observed_before`]). A hold's answer is settled the same way by reading the
//! shipment's exceptions back, never by posting again (see [`Client::hold_shipment`]).
//!
//! # Reading back ([`Canceller::observe`])
//!
//! A whole cancel observes the hosted session (`GET /hosted_sessions/{id}`: cancelled when its
//! status is `cancelled`); a hold observes the shipment (`GET /shipments/{id}`: its status, and
//! each unresolved `requested_hold_to_collect` exception as a hold, by id, with its
//! `hold_until`). An item scope is unsupported, as for the cancel.
//!
//! # Predicting ([`Canceller::plan`])
//!
//! One read, the same the cancel takes first, and no change:
//!
//! - whole cancel: the session `cancelled` → already cancelled; `closed` or `expired` →
//!   refused (`not_cancellable`: Arta answers 422 to their cancel, see the simulator's
//!   decisions in `rescind-sim`'s `arta` module, which follows the same choice); any other
//!   status → cancel;
//! - hold: the shipment not `pending`/`confirmed` → refused (`not_cancellable`); a date past
//!   the 30-day window ([`rules::check_hold`]) → refused (`hold_window_passed`); an active
//!   hold matching the request → already held; otherwise → hold until the date;
//! - a 404 → not found; a read that fails otherwise → unknown.

use std::future::Future;
use std::pin::Pin;

use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error,
    ErrorKind, HttpResponse, Observation, Plan, Policy, Prediction, Provider, Refusal, Scope, Sent,
    SettledBy, async_trait, change,
};

use crate::client::Client;
use crate::model::{ArtaCancel, HostedSession, HostedSessionStatus, Shipment};
use crate::response::{self, Response};
use crate::rules;

/// A hosted session's status alone: the other fields are skipped, not decoded.
#[derive(serde::Deserialize)]
struct SessionStatus {
    status: HostedSessionStatus,
}

#[async_trait]
impl Canceller for Client {
    fn provider(&self) -> Provider {
        Provider::Arta
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole().with_hold()
    }

    async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
        // `cancel_with(request, CancelOptions::new())`. The work is boxed (`work`): with the
        // box's pointer alone in the span's and the deadline scope's wrappers, they cost next
        // to nothing when nobody records the span and there is no deadline.
        rescind_core::trace::run_cancel(
            Provider::Arta,
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
        rescind_core::trace::run_cancel(Provider::Arta, request, options, |request, options| {
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
        match &request.scope {
            Scope::Whole => {
                let Ok(id) = rules::parse_hosted_session_id("target", &request.target) else {
                    return Plan::unknown("not a hosted session id");
                };
                match self.read_session_status(id).await {
                    Err(e) => Plan::from_error(&e),
                    Ok((status, _)) => {
                        let reading = Observation::new(&request.target, status.to_string())
                            .cancelled(status == HostedSessionStatus::Cancelled);
                        let prediction = match status {
                            HostedSessionStatus::Cancelled => Prediction::AlreadyCancelled,
                            HostedSessionStatus::Closed | HostedSessionStatus::Expired => {
                                Prediction::Refused {
                                    reason: Refusal::NotCancellable,
                                    detail: format!(
                                        "the hosted session is `{status}` and Arta refuses to cancel it"
                                    ),
                                }
                            }
                            _ => Prediction::Cancel,
                        };
                        Plan::new(prediction)
                            .with_reading(reading)
                            .with_native(status)
                    }
                }
            }
            Scope::Hold { until } => {
                let shipment = match self.get_shipment(&request.target).await {
                    Ok(s) => s.into_inner(),
                    Err(e) => return Plan::from_error(&e),
                };
                let reading = crate::hold::observation(&shipment);
                let prediction =
                    match rules::check_hold(&shipment, *until) {
                        Err(e) if e.kind() == ErrorKind::InvalidInput => Prediction::Refused {
                            reason: Refusal::HoldWindowPassed,
                            detail: e.to_string(),
                        },
                        Err(e) => Prediction::from_error(&e),
                        Ok(()) => match shipment.exceptions.iter().find(|e| {
                            e.is_active_hold() && (until.is_none() || e.hold_until == *until)
                        }) {
                            Some(existing) => Prediction::AlreadyHeld {
                                until: existing.hold_until,
                            },
                            None => Prediction::Hold { until: *until },
                        },
                    };
                Plan::new(prediction)
                    .with_reading(reading)
                    .with_native(shipment)
            }
            _ => Plan::from_error(&Error::unsupported(
                Provider::Arta,
                format!("the `{}` scope", request.scope.as_str()),
            )),
        }
    }

    async fn observe(&self, request: &CancelRequest) -> Result<Observation, Error> {
        match &request.scope {
            Scope::Whole => {
                let id =
                    rules::parse_hosted_session_id("target", &request.target).map_err(|e| {
                        e.with_provider(Provider::Arta)
                            .with_operation("get_hosted_session")
                    })?;
                let (status, _) = self.read_session_status(id).await?;
                Ok(Observation::new(&request.target, status.to_string())
                    .cancelled(status == HostedSessionStatus::Cancelled))
            }
            Scope::Hold { .. } => {
                let shipment = self.get_shipment(&request.target).await?.into_inner();
                Ok(crate::hold::observation(&shipment))
            }
            _ => Err(Error::unsupported(
                Provider::Arta,
                format!("reading back the `{}` scope", request.scope.as_str()),
            )),
        }
    }
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
        Box::pin(self.cancel_untraced(request, options))
    }

    /// The cancel itself, without its `rescind.cancel` span (see [`Canceller::cancel_with`]).
    async fn cancel_untraced(
        &self,
        request: CancelRequest,
        mut options: CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        let policy = options.policy_or(self.policy());
        // A plan is used only when its reading is of this target.
        let plan = options.take_plan().filter(|p| {
            p.reading
                .as_ref()
                .is_some_and(|r| r.target.eq_ignore_ascii_case(&request.target))
        });
        // Each branch's future is boxed on its own, so that the future of `cancel` (which
        // `async_trait` boxes, copying it whole) is small rather than the sum of every
        // branch's state: this copy was a measurable part of a cancel's cost.
        match request.scope {
            Scope::Whole => {
                let known = plan
                    .as_ref()
                    .and_then(|p| p.native::<HostedSessionStatus>())
                    .cloned();
                Box::pin(self.cancel_whole(request.target, policy, known)).await
            }
            Scope::Hold { until } => {
                // The shipment read is the hold's fingerprint (a lost answer is settled by
                // reading the shipment back and comparing): a plan stands in for it only while
                // fresh (`Plan::FRESH_FOR`); an older one is read again, as Skip Pay does for a
                // quantity cancel.
                let read = plan
                    .as_ref()
                    .filter(|p| p.is_fresh())
                    .and_then(|p| p.native::<Shipment>())
                    .cloned();
                let hold = Box::pin(self.hold_shipment_read(&request.target, until, read)).await?;
                let note = match hold.settled {
                    crate::HoldSettled::Created => None,
                    crate::HoldSettled::AlreadyHeld => {
                        Some("the shipment was already on hold; nothing was sent")
                    }
                    crate::HoldSettled::FoundAfterUnknownOutcome => Some(
                        "the hold request's answer was lost; reading the shipment back showed the hold",
                    ),
                };
                let settled_by = match hold.settled {
                    crate::HoldSettled::FoundAfterUnknownOutcome => SettledBy::ReadBack,
                    _ => SettledBy::Answer,
                };
                let mut outcome = CancelOutcome::new(
                    Provider::Arta,
                    request.target,
                    CancelStatus::Held {
                        until: hold.until().or(until),
                    },
                )
                .with_settled_by(settled_by)
                .with_request_id_opt(hold.request_id.clone());
                if let Some(note) = note {
                    outcome = outcome.with_note(note);
                }
                Ok(outcome.with_native(ArtaCancel::Hold(Box::new(hold.exception))))
            }
            Scope::Items(_) => Err(Error::unsupported(
                Provider::Arta,
                "item cancels: a hosted session is cancelled whole",
            )),
            _ => Err(Error::unsupported(
                Provider::Arta,
                format!("the `{}` scope", request.scope.as_str()),
            )),
        }
    }

    /// Reads a hosted session (`GET /hosted_sessions/{id}`) and decodes its status alone, which
    /// is all a cancel's decision and an observation need; the answer is returned for a full
    /// decode when the session itself is wanted. Decoding the whole session on every read
    /// cost about 5 % of a cancel (instruction-cache misses in the typed decoder, see
    /// BENCHMARKS.md).
    async fn read_session_status(
        &self,
        id: u64,
    ) -> Result<(HostedSessionStatus, HttpResponse), Error> {
        let read = crate::request::get_hosted_session(id);
        let answer = self.transport().send(&read).await?;
        let session: Response<SessionStatus> = response::parse(&answer, read.operation)?;
        Ok((session.value.status, answer))
    }

    /// A whole cancel. `known`: the session's status from a plan already taken (no read then);
    /// under [`Policy::ChangeFirst`] without one, the cancel is sent first.
    async fn cancel_whole(
        &self,
        target: String,
        policy: Policy,
        known: Option<HostedSessionStatus>,
    ) -> Result<CancelOutcome, Error> {
        let id = rules::parse_hosted_session_id("target", &target).map_err(|e| {
            e.with_provider(Provider::Arta)
                .with_operation("cancel_hosted_session")
        })?;
        let before = match (known, policy) {
            (Some(HostedSessionStatus::Cancelled), _) => {
                return Ok(CancelOutcome::new(
                    Provider::Arta,
                    target,
                    CancelStatus::AlreadyCancelled,
                )
                .with_note(
                    "the plan's reading shows the hosted session cancelled; nothing was sent",
                )
                .with_native(ArtaCancel::Status(HostedSessionStatus::Cancelled)));
            }
            (Some(status), _) => Some(Observation::new(&target, status.to_string())),
            (None, Policy::ChangeFirst) => None,
            (None, _) => {
                // The whole session is decoded only when it is the outcome (already cancelled).
                // In its own scope: nothing of the read is kept across the cancel's await.
                let (status, answer) = self
                    .read_session_status(id)
                    .await
                    .map_err(change::read_before_change)?;
                if status == HostedSessionStatus::Cancelled {
                    let session = response::parse_get_hosted_session(&answer)?;
                    return Ok(outcome(
                        target,
                        CancelStatus::AlreadyCancelled,
                        session.request_id.clone(),
                        session.into_inner(),
                    )
                    .with_note("the hosted session was already cancelled; nothing was sent"));
                }
                Some(Observation::new(&target, status.to_string()))
            }
        };
        let mut resent = false;
        loop {
            let err = match self.cancel_hosted_session(id).await {
                Ok(done) if done.id == id => {
                    let out = outcome(
                        target,
                        CancelStatus::Cancelled,
                        done.request_id.clone(),
                        done.into_inner(),
                    );
                    return Ok(if resent {
                        out.with_note("the first cancel's answer proved nothing and the session read back unchanged; the cancel was sent once more")
                    } else if before.is_none() {
                        out.already_cancelled_before_unknown()
                            .with_note(UNKNOWN_BEFORE)
                    } else {
                        out
                    });
                }
                // A 200 about another session proves nothing about this one.
                Ok(other) => {
                    let err = Error::new(
                        ErrorKind::UnexpectedResponse,
                        Sent::MaybeSent,
                        format!("the answer is about hosted session {}, not {id}", other.id),
                    )
                    .with_provider(Provider::Arta)
                    .with_operation("cancel_hosted_session")
                    .with_status(other.http_status);
                    let err = match &other.request_id {
                        Some(rid) => err.with_request_id(rid.clone()),
                        None => err,
                    };
                    change::not_success(err, other.http_status)
                }
                Err(err) if err.sent() == Sent::MaybeSent => err,
                Err(err) if matches!(err.status(), Some(400 | 422)) => {
                    return self.after_refusal(target, id, err).await;
                }
                Err(err) => return Err(err),
            };
            // The answer proved nothing: read the session back (never cancel blindly).
            let check = format!("rescind arta show-session {id}");
            let before = before.clone();
            let read_first = before.is_some();
            let after = match self.get_hosted_session(id).await {
                Ok(after) => after,
                Err(read_err) => {
                    return Err(change::unknown_after_read_back(
                        err,
                        before,
                        &format!("reading the session back failed too ({read_err})"),
                        &check,
                    ));
                }
            };
            if after.status == HostedSessionStatus::Cancelled {
                let note = format!(
                    "the cancel's answer proved nothing ({}); reading the session back shows it cancelled",
                    err.message()
                );
                let out = outcome(
                    target,
                    CancelStatus::Cancelled,
                    after.request_id.clone(),
                    after.into_inner(),
                )
                .with_settled_by(SettledBy::ReadBack);
                // Sent first, a session read back cancelled may have been cancelled before.
                return Ok(if read_first || resent {
                    out.with_note(note)
                } else {
                    out.already_cancelled_before_unknown().with_note(format!(
                        "{note}; the cancel was sent without reading the session first (change-first policy), so whether it was cancelled before is not known"
                    ))
                });
            }
            if let Some(sent) =
                change::stop_resending(resent, &err, &self.transport().config().retry)
            {
                let read_back = format!(
                    "reading the session back shows it `{}` (the cancel was {sent})",
                    after.status
                );
                return Err(change::unknown_after_read_back(
                    err, before, &read_back, &check,
                ));
            }
            // Not applied: the cancel is idempotent, send it once more.
            resent = true;
        }
    }

    /// After Arta refused the cancel (400 or 422 with its envelope): read the session again.
    async fn after_refusal(
        &self,
        target: String,
        id: u64,
        err: Error,
    ) -> Result<CancelOutcome, Error> {
        match self.get_hosted_session(id).await {
            Ok(after) if after.status == HostedSessionStatus::Cancelled => Ok(outcome(
                target,
                CancelStatus::AlreadyCancelled,
                after.request_id.clone(),
                after.into_inner(),
            )
            .with_note("Arta refused the cancel and the session reads cancelled")),
            // Arta refused to cancel a session that is still not cancelled: its state does not
            // allow it (closed, expired...). That is a rule, not bad input.
            Ok(after) if err.status() == Some(422) => {
                let message = format!(
                    "the hosted session is `{}` and Arta refuses to cancel it: {}",
                    after.status,
                    err.message()
                );
                Err(err
                    .with_kind(ErrorKind::NotCancellable)
                    .with_message(message))
            }
            _ => Err(err),
        }
    }
}

/// The note of a cancel sent first whose 200 cannot tell "cancelled now" from "cancelled before".
const UNKNOWN_BEFORE: &str = "the cancel was sent without reading the session first (change-first policy): Arta documents only 200 and 404 for its cancel, so whether the session was already cancelled before is not known";

fn outcome(
    target: String,
    status: CancelStatus,
    request_id: Option<String>,
    session: HostedSession,
) -> CancelOutcome {
    CancelOutcome::new(Provider::Arta, target, status)
        .with_request_id_opt(request_id)
        .with_native(ArtaCancel::Session(Box::new(session)))
}
