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
//! # "Already cancelled" (a decision)
//!
//! Arta documents only 200 and 404 for the cancel, and not what a second cancel does. So the
//! whole cancel **reads the session first**: a session whose status is `cancelled` is
//! reported as [`CancelStatus::AlreadyCancelled`] and nothing is sent. Otherwise it sends the
//! cancel; a 200 is [`CancelStatus::Cancelled`] (Arta's answer is "Successfully cancelled",
//! whatever status the body shows). If the cancel is refused with 400, 409 or 422, or its
//! outcome is unknown after the transport's retries, the session is read again: `cancelled`
//! then means already cancelled (refused) or cancelled (unknown outcome); otherwise the
//! cancel's error is returned, as [`ErrorKind::NotCancellable`] for a 409 or 422 (the
//! session's state refuses the cancel: `closed`, `expired`...).
//!
//! # Reading back ([`Canceller::observe`])
//!
//! A whole cancel observes the hosted session (`GET /hosted_sessions/{id}`: cancelled when its
//! status is `cancelled`); a hold observes the shipment (`GET /shipments/{id}`: its status, and
//! each unresolved `requested_hold_to_collect` exception as a hold, by id, with its
//! `hold_until`). An item scope is unsupported, as for the cancel.

use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    HttpResponse, Observation, ObservedHold, Provider, Scope, Sent, async_trait,
};

use crate::client::Client;
use crate::model::{HostedSession, HostedSessionStatus};
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
        // Each branch's future is boxed on its own, so that the future of `cancel` (which
        // `async_trait` boxes, copying it whole) is small rather than the sum of every
        // branch's state: this copy was a measurable part of a cancel's cost.
        match request.scope {
            Scope::Whole => Box::pin(self.cancel_whole(request.target)).await,
            Scope::Hold { until } => {
                let hold = Box::pin(self.hold_shipment(&request.target, until)).await?;
                let note = match hold.settled {
                    crate::HoldSettled::Created => None,
                    crate::HoldSettled::AlreadyHeld => {
                        Some("the shipment was already on hold; nothing was sent")
                    }
                    crate::HoldSettled::FoundAfterUnknownOutcome => Some(
                        "the hold request's answer was lost; reading the shipment back showed the hold",
                    ),
                };
                let mut outcome = CancelOutcome::new(
                    Provider::Arta,
                    request.target,
                    CancelStatus::Held {
                        until: hold.until().or(until),
                    },
                )
                .with_request_id_opt(hold.request_id.clone());
                if let Some(note) = note {
                    outcome = outcome.with_note(note);
                }
                Ok(outcome.with_native(hold.exception))
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

    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        rules::check_request(request)
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
                let observation = Observation::new(&request.target, shipment.status.to_string());
                Ok(shipment
                    .exceptions
                    .iter()
                    .filter(|e| e.is_active_hold())
                    .fold(observation, |o, e| {
                        o.hold(ObservedHold::new(e.id.clone(), e.hold_until))
                    }))
            }
            _ => Err(Error::unsupported(
                Provider::Arta,
                format!("reading back the `{}` scope", request.scope.as_str()),
            )),
        }
    }
}

impl Client {
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

    async fn cancel_whole(&self, target: String) -> Result<CancelOutcome, Error> {
        let id = rules::parse_hosted_session_id("target", &target).map_err(|e| {
            e.with_provider(Provider::Arta)
                .with_operation("cancel_hosted_session")
        })?;
        {
            // The whole session is decoded only when it is the outcome (already cancelled).
            // In its own scope: nothing of the read is kept across the cancel's await.
            let (status, answer) = self.read_session_status(id).await?;
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
        }
        match self.cancel_hosted_session(id).await {
            Ok(done) => Ok(outcome(
                target,
                CancelStatus::Cancelled,
                done.request_id.clone(),
                done.into_inner(),
            )),
            Err(err) => {
                let refused = matches!(err.status(), Some(400 | 409 | 422));
                let unknown = err.sent() == Sent::MaybeSent;
                if !(refused || unknown) {
                    return Err(err);
                }
                // Settle by reading the session again (never by cancelling again).
                match self.get_hosted_session(id).await {
                    Ok(after) if after.status == HostedSessionStatus::Cancelled => {
                        let (status, note) = if unknown {
                            (
                                CancelStatus::Cancelled,
                                "the cancel's answer was lost; reading the session back showed it cancelled",
                            )
                        } else {
                            (
                                CancelStatus::AlreadyCancelled,
                                "Arta refused the cancel and the session reads cancelled",
                            )
                        };
                        Ok(
                            outcome(target, status, after.request_id.clone(), after.into_inner())
                                .with_note(note),
                        )
                    }
                    // Arta refused to cancel a session that is still not cancelled: its state
                    // does not allow it (closed, expired...). That is a rule, not bad input.
                    Ok(after) if matches!(err.status(), Some(409 | 422)) => {
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
    }
}

fn outcome(
    target: String,
    status: CancelStatus,
    request_id: Option<String>,
    session: HostedSession,
) -> CancelOutcome {
    CancelOutcome::new(Provider::Arta, target, status)
        .with_request_id_opt(request_id)
        .with_native(session)
}
