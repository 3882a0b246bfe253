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
//! 4. The cancel is sent. Di's `order.cancelled` answer is reported as already cancelled.
//!    If no answer came after the retries ([`Sent::MaybeSent`]), the order is read back once:
//!    `CANCELLED` settles it as cancelled; otherwise the "may have been sent" error is returned.
//!
//! [`Canceller::observe`] reads the order (`order_details`) for a whole scope: cancelled when
//! its `ediStatus` is `CANCELLED`; the state is the `ediStatus` (`UNKNOWN` when Di sends none).

use jiff::Timestamp;
use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, Observation,
    Provider, Scope, Sent, async_trait,
};

use crate::Client;
use crate::error::is_already_cancelled;
use crate::model::{CancelResponse, OrderDetails, ShipmentNumber};
use crate::request::operation;
use crate::rules::{self, Cancellability};

/// The native response of a Di [`CancelOutcome`]: take it back with
/// `outcome.native::<DiCancel>()`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiCancel {
    /// The order as read before the cancel (or after, when settling an unanswered cancel).
    pub details: OrderDetails,
    /// The cancel's answer, when a cancel was sent and answered with success.
    pub response: Option<CancelResponse>,
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
        self.cancel_at(request, Timestamp::now()).await
    }

    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        rules::check_request(request)
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
        let state = details
            .edi_status
            .as_ref()
            .map_or_else(|| "UNKNOWN".to_string(), ToString::to_string);
        Ok(Observation::new(number.as_str(), state).cancelled(details.is_cancelled()))
    }
}

impl Client {
    /// The [`Canceller::cancel`] of this client with the rules applied at `now` instead of the
    /// current time (for tests and dry runs).
    pub async fn cancel_at(
        &self,
        request: CancelRequest,
        now: Timestamp,
    ) -> Result<CancelOutcome, Error> {
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
        let target = number.as_str().to_owned();

        let details = self.order_details(number.as_str()).await?;
        match rules::cancellability(&details, now)? {
            Cancellability::AlreadyCancelled => {
                return Ok(CancelOutcome::new(
                    Provider::Di,
                    target,
                    CancelStatus::AlreadyCancelled,
                )
                .with_note("Di reports the order's ediStatus as CANCELLED; nothing was sent")
                .with_native(DiCancel {
                    details,
                    response: None,
                }));
            }
            Cancellability::NotCancellable { .. } if !self.checks_transit_rules() => {}
            Cancellability::NotCancellable { reason } => {
                return Err(Error::not_cancellable(Sent::NotSent, reason)
                    .with_provider(Provider::Di)
                    .with_operation(operation::CANCEL_ORDER));
            }
            Cancellability::Cancellable { .. } => {}
        }

        match self.cancel_shipment(&number).await {
            Ok(response) => Ok(
                CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                    .with_request_id_opt(response.request_id.clone())
                    .with_native(DiCancel {
                        details,
                        response: Some(response),
                    }),
            ),
            // `order.cancelled` after an attempt of this same call that may have been applied
            // (it timed out or lost its connection): that attempt is what cancelled the order.
            Err(err) if is_already_cancelled(&err) && err.sent() == Sent::MaybeSent => Ok(
                CancelOutcome::new(Provider::Di, target, CancelStatus::Cancelled)
                    .with_request_id_opt(err.request_id().map(str::to_owned))
                    .with_note(
                        "an earlier attempt of this call cancelled the order; Di answered the retry with order.cancelled",
                    )
                    .with_native(DiCancel {
                        details,
                        response: None,
                    }),
            ),
            Err(err) if is_already_cancelled(&err) => {
                Ok(
                    CancelOutcome::new(Provider::Di, target, CancelStatus::AlreadyCancelled)
                        .with_request_id_opt(err.request_id().map(str::to_owned))
                        .with_note("Di answered order.cancelled: the order was cancelled already")
                        .with_native(DiCancel {
                            details,
                            response: None,
                        }),
                )
            }
            Err(err) if err.sent() == Sent::MaybeSent => self.settle(target, err).await,
            Err(err) => Err(err),
        }
    }

    /// After a cancel that may have been applied but got no answer: read the order once.
    async fn settle(&self, target: String, err: Error) -> Result<CancelOutcome, Error> {
        match self.order_details(&target).await {
            Ok(details) if details.is_cancelled() => Ok(CancelOutcome::new(
                Provider::Di,
                target,
                CancelStatus::Cancelled,
            )
            .with_note("the cancel got no answer; reading the order back shows it CANCELLED")
            .with_native(DiCancel {
                details,
                response: None,
            })),
            _ => Err(err),
        }
    }
}
