//! Putting a shipment on hold safely: read, check the rules, create once, and settle an
//! unknown outcome by reading back instead of creating again.

use std::collections::HashSet;

use jiff::civil::Date;
use rescind_core::{Error, Provider, Sent};

use crate::client::Client;
use crate::model::{NewShipmentException, Shipment, ShipmentException, ShipmentExceptionType};
use crate::rules;

/// How [`Client::hold_shipment`] established the hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HoldSettled {
    /// Arta created the exception and said so (201).
    Created,
    /// The shipment already had an unresolved hold to the same date (or the caller named
    /// none); nothing was sent.
    AlreadyHeld,
    /// The create call's outcome was unknown (timeout, lost connection); reading the shipment
    /// back showed the new hold.
    FoundAfterUnknownOutcome,
}

/// A shipment on hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hold {
    /// The shipment as read before the hold was asked for.
    pub shipment: Shipment,
    /// The `requested_hold_to_collect` exception that holds it. When it was read from the
    /// shipment, `shipment_id` is filled in from the shipment.
    pub exception: ShipmentException,
    /// How the hold was established.
    pub settled: HoldSettled,
    /// Arta's request id of the call that showed the hold.
    pub request_id: Option<String>,
}

impl Hold {
    /// The last day of the hold, if one is set.
    pub fn until(&self) -> Option<Date> {
        self.exception.hold_until
    }
}

impl Client {
    /// Puts a shipment on hold (`requested_hold_to_collect`), optionally until a date.
    ///
    /// 1. Reads the shipment (`GET /shipments/{id}`).
    /// 2. Checks Arta's rules ([`rules::check_hold`]): status `pending` or `confirmed`
    ///    ([`ErrorKind::NotCancellable`](rescind_core::ErrorKind) otherwise), `hold_until` at
    ///    most 30 days after creation ([`ErrorKind::InvalidInput`](rescind_core::ErrorKind)).
    ///    Nothing is posted when a rule fails.
    /// 3. If an unresolved hold to the same date already exists, reports it
    ///    ([`HoldSettled::AlreadyHeld`]) without posting a second one.
    /// 4. Posts the exception once. Arta has no idempotency key, so the post is never resent.
    /// 5. If the post's outcome is unknown ([`Sent::MaybeSent`]), reads the shipment again: a
    ///    `requested_hold_to_collect` exception that was not there before means the hold
    ///    exists ([`HoldSettled::FoundAfterUnknownOutcome`]); otherwise the error stays
    ///    `MaybeSent` and its message says what the read showed. Check again later before
    ///    trying anew: the hold may still appear.
    pub async fn hold_shipment(
        &self,
        shipment_id: &str,
        until: Option<Date>,
    ) -> Result<Hold, Error> {
        let before = self.get_shipment(shipment_id).await?;
        let request_id = before.request_id.clone();
        let shipment = before.into_inner();
        rules::check_hold(&shipment, until)?;

        if let Some(existing) = shipment
            .exceptions
            .iter()
            .find(|e| e.is_active_hold() && (until.is_none() || e.hold_until == until))
        {
            return Ok(Hold {
                exception: with_shipment_id(existing.clone(), &shipment.id),
                shipment,
                settled: HoldSettled::AlreadyHeld,
                request_id,
            });
        }

        let new = NewShipmentException::hold(shipment_id).until_opt(until);
        match self.create_shipment_exception(&new).await {
            Ok(created) => Ok(Hold {
                request_id: created.request_id.clone(),
                exception: created.into_inner(),
                shipment,
                settled: HoldSettled::Created,
            }),
            Err(err) if err.sent() == Sent::MaybeSent => {
                self.settle_unknown_hold(shipment, err).await
            }
            Err(err) => Err(err),
        }
    }

    /// Reads the shipment back after a hold's outcome became unknown. Never posts.
    async fn settle_unknown_hold(&self, before: Shipment, err: Error) -> Result<Hold, Error> {
        let known: HashSet<&str> = before.exceptions.iter().map(|e| e.id.as_str()).collect();
        let after = match self.get_shipment(&before.id).await {
            Ok(after) => after,
            Err(read_err) => {
                return Err(unknown(
                    err,
                    format!(
                        "reading the shipment back failed too ({read_err}), so whether the hold exists is unknown"
                    ),
                ));
            }
        };
        let found = after.exceptions.iter().find(|e| {
            e.exception_type == ShipmentExceptionType::RequestedHoldToCollect
                && !known.contains(e.id.as_str())
        });
        match found {
            Some(exception) => {
                tracing::debug!(shipment = %before.id, exception = %exception.id, "hold found after an unknown outcome");
                Ok(Hold {
                    exception: with_shipment_id(exception.clone(), &before.id),
                    request_id: after.request_id.clone(),
                    shipment: before,
                    settled: HoldSettled::FoundAfterUnknownOutcome,
                })
            }
            None => Err(unknown(
                err,
                format!(
                    "read the shipment back (status `{}`, {} exception(s)): no new requested_hold_to_collect exception yet; it may still appear, so read the shipment again before asking for the hold anew",
                    after.status,
                    after.exceptions.len()
                ),
            )),
        }
    }
}

fn with_shipment_id(mut exception: ShipmentException, shipment_id: &str) -> ShipmentException {
    if exception.shipment_id.is_none() {
        exception.shipment_id = Some(shipment_id.to_string());
    }
    exception
}

/// The post's error, still `MaybeSent`, with what the read-back showed in its message.
fn unknown(err: Error, what_we_read: String) -> Error {
    let mut out = Error::new(
        err.kind(),
        Sent::MaybeSent,
        format!("{}; {what_we_read}", err.message()),
    )
    .with_provider(Provider::Arta)
    .with_operation("create_shipment_exception")
    .with_attempts(err.attempts());
    if let Some(status) = err.status() {
        out = out.with_status(status);
    }
    if let Some(id) = err.request_id() {
        out = out.with_request_id(id.to_string());
    }
    out.with_source(err)
}
