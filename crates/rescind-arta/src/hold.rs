//! Putting a shipment on hold safely: read, check the rules, create once, and settle an
//! unknown outcome by reading back instead of creating again.

use std::collections::HashSet;

use jiff::civil::Date;
use rescind_core::{
    CancelRequest, Error, ErrorKind, Observation, ObservedHold, Provider, Sent, Settlement, change,
    settle,
};

use crate::client::Client;
use crate::model::{NewShipmentException, Shipment, ShipmentException};
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
    ///    Its answer is read by the rule of [`rescind_core::change`]: a 201 must be a shipment
    ///    exception (its documented success type; Arta's own example answers one of another
    ///    type, so the type is not checked) whose `shipment_id`, when present, is this
    ///    shipment's (one of another shipment proves nothing); a refusal is Arta's `{"errors": ...}` on a
    ///    400/404/422, a 401, 403 or 429. Anything else (a 5xx, a timeout, a 2xx that is not
    ///    the exception...) proves nothing ([`Sent::MaybeSent`]).
    /// 5. If the post's outcome is unknown ([`Sent::MaybeSent`]), reads the shipment again and
    ///    compares its active holds with the reading from step 1
    ///    ([`settle`]): a new hold (to the date asked for) means the hold
    ///    exists ([`HoldSettled::FoundAfterUnknownOutcome`]); otherwise the error stays
    ///    `MaybeSent`, says what the read showed and what to check
    ///    (`rescind arta show-shipment <id>`), and carries the reading from step 1
    ///    ([`Error::observed_before`]). Check again later before trying anew: the hold may
    ///    still appear.
    ///
    /// Cancel-safe: dropping the future before step 4 sends nothing; after, the hold's
    /// outcome is unknown like a lost answer (and step 5 does not run). Calling it again
    /// settles it: step 3 finds a hold the dropped call made and reports it instead of
    /// posting a second one.
    pub async fn hold_shipment(
        &self,
        shipment_id: &str,
        until: Option<Date>,
    ) -> Result<Hold, Error> {
        self.hold_shipment_read(shipment_id, until, None).await
    }

    /// [`hold_shipment`](Client::hold_shipment) with the shipment already read (`read`: a
    /// [`Plan`](rescind_core::Plan)'s native reading, taken by
    /// [`Canceller::plan`](rescind_core::Canceller::plan)): step 1 is skipped, the rules are
    /// checked on that reading and it is the fingerprint an unknown outcome is settled
    /// against. `None` reads the shipment as `hold_shipment` does.
    pub async fn hold_shipment_read(
        &self,
        shipment_id: &str,
        until: Option<Date>,
        read: Option<Shipment>,
    ) -> Result<Hold, Error> {
        let (shipment, request_id) = match read {
            Some(shipment) if shipment.id.eq_ignore_ascii_case(shipment_id) => (shipment, None),
            _ => {
                let before = self
                    .get_shipment(shipment_id)
                    .await
                    .map_err(change::read_before_change)?;
                let request_id = before.request_id.clone();
                (before.into_inner(), request_id)
            }
        };
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
            // A 201 about another shipment proves nothing about this one.
            Ok(created)
                if created
                    .shipment_id
                    .as_deref()
                    .is_some_and(|other| !other.eq_ignore_ascii_case(&shipment.id)) =>
            {
                let other = created.shipment_id.as_deref().unwrap_or_default();
                let mut err = Error::new(
                    ErrorKind::UnexpectedResponse,
                    Sent::MaybeSent,
                    format!(
                        "the answer is an exception of shipment {other}, not {}",
                        shipment.id
                    ),
                )
                .with_provider(Provider::Arta)
                .with_operation("create_shipment_exception")
                .with_status(created.http_status);
                if let Some(rid) = &created.request_id {
                    err = err.with_request_id(rid.clone());
                }
                let err = change::not_success(err, created.http_status);
                self.settle_unknown_hold(shipment, until, err).await
            }
            Ok(created) => Ok(Hold {
                request_id: created.request_id.clone(),
                exception: created.into_inner(),
                shipment,
                settled: HoldSettled::Created,
            }),
            Err(err) if err.sent() == Sent::MaybeSent => {
                self.settle_unknown_hold(shipment, until, err).await
            }
            Err(err) => Err(err),
        }
    }

    /// Reads the shipment back after a hold's outcome became unknown. Never posts.
    async fn settle_unknown_hold(
        &self,
        before: Shipment,
        until: Option<Date>,
        err: Error,
    ) -> Result<Hold, Error> {
        let request = CancelRequest::hold(before.id.clone(), until);
        let observed_before = observation(&before);
        let check = format!("rescind arta show-shipment {}", before.id);
        let after = match self.get_shipment(&before.id).await {
            Ok(after) => after,
            Err(read_err) => {
                return Err(unknown(
                    err,
                    observed_before,
                    &format!(
                        "reading the shipment back failed too ({read_err}), so whether the hold exists is unknown"
                    ),
                    &check,
                ));
            }
        };
        let observed_after = observation(&after);
        match settle(&request, Some(&observed_before), &observed_after) {
            Settlement::Applied { .. } => {
                let known: HashSet<&str> =
                    before.exceptions.iter().map(|e| e.id.as_str()).collect();
                let found = after.exceptions.iter().find(|e| {
                    e.is_active_hold()
                        && !known.contains(e.id.as_str())
                        && (until.is_none() || e.hold_until == until)
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
                        observed_before,
                        "reading the shipment back shows a new hold that cannot be matched",
                        &check,
                    )),
                }
            }
            Settlement::Unclear { reason } => Err(unknown(
                err,
                observed_before,
                &format!("read the shipment back: {reason}"),
                &check,
            )),
            _ => Err(unknown(
                err,
                observed_before,
                &format!(
                    "read the shipment back (status `{}`, {} exception(s)): no new requested_hold_to_collect exception yet; it may still appear, so read the shipment again before asking for the hold anew",
                    after.status,
                    after.exceptions.len()
                ),
                &check,
            )),
        }
    }
}

/// What a shipment shows for a hold: its status and its active holds.
pub(crate) fn observation(shipment: &Shipment) -> Observation {
    shipment
        .exceptions
        .iter()
        .filter(|e| e.is_active_hold())
        .fold(
            Observation::new(&shipment.id, shipment.status.to_string()),
            |o, e| o.hold(ObservedHold::new(e.id.clone(), e.hold_until)),
        )
}

fn with_shipment_id(mut exception: ShipmentException, shipment_id: &str) -> ShipmentException {
    if exception.shipment_id.is_none() {
        exception.shipment_id = Some(shipment_id.to_string());
    }
    exception
}

/// The post's error, still `MaybeSent`, with what the read-back showed in its message, what to
/// check, and the reading from before.
fn unknown(err: Error, before: Observation, what_we_read: &str, check: &str) -> Error {
    let mut out = Error::new(err.kind(), Sent::MaybeSent, err.message().to_string())
        .with_provider(Provider::Arta)
        .with_operation("create_shipment_exception")
        .with_attempts(err.attempts());
    if let Some(status) = err.status() {
        out = out.with_status(status);
    }
    if let Some(id) = err.request_id() {
        out = out.with_request_id(id.to_string());
    }
    rescind_core::change::unknown_after_read_back(
        out.with_source(err),
        Some(before),
        what_we_read,
        check,
    )
}
