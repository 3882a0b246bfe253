//! What an Arta cancel returns: [`ArtaCancel`], the one native type of every Arta
//! [`CancelOutcome`].

use rescind_core::CancelOutcome;

use super::{HostedSession, HostedSessionStatus, ShipmentException};

/// The native response of every Arta [`CancelOutcome`], whatever path the cancel took: take it
/// with [`ArtaCancel::of`].
///
/// | scope | path | variant |
/// |---|---|---|
/// | `Whole` | cancelled by the answer | [`Session`](ArtaCancel::Session): the session Arta answered (`PATCH /hosted_sessions/{id}/cancel`, 200) |
/// | `Whole` | already cancelled (read first, or read after a refusal) | [`Session`](ArtaCancel::Session): the session as read (`GET /hosted_sessions/{id}`) |
/// | `Whole` | settled by reading back | [`Session`](ArtaCancel::Session): the session read back |
/// | `Whole` | already cancelled by a plan's reading handed in ([`CancelOptions::with_plan`](rescind_core::CancelOptions::with_plan)), nothing sent | [`Status`](ArtaCancel::Status): the status the plan read (a plan keeps the status alone) |
/// | `Hold` | created, already held, or found after an unknown outcome | [`Hold`](ArtaCancel::Hold): the `requested_hold_to_collect` exception |
///
/// Both are boxed (the session is over 1 KiB), so the outcome stays small; [`session`] and
/// [`hold`] borrow them.
///
/// [`session`]: ArtaCancel::session
/// [`hold`]: ArtaCancel::hold
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArtaCancel {
    /// A whole cancel: the hosted session (Arta reference, "Cancel a Hosted Session").
    Session(Box<HostedSession>),
    /// A whole cancel decided from a plan's reading, which keeps the session's status alone.
    Status(HostedSessionStatus),
    /// A hold: the shipment exception that holds the shipment (Arta reference, "Create a
    /// Shipment Exception").
    Hold(Box<ShipmentException>),
}

impl ArtaCancel {
    /// The Arta payload of `outcome`; `None` when the outcome is not Arta's.
    ///
    /// ```
    /// use rescind_arta::ArtaCancel;
    /// use rescind_core::{CancelOutcome, CancelStatus, Provider};
    ///
    /// let other = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled);
    /// assert!(ArtaCancel::of(&other).is_none());
    /// ```
    pub fn of(outcome: &CancelOutcome) -> Option<&ArtaCancel> {
        outcome.native::<ArtaCancel>()
    }

    /// The hosted session of a whole cancel.
    pub fn session(&self) -> Option<&HostedSession> {
        match self {
            ArtaCancel::Session(s) => Some(s),
            ArtaCancel::Status(_) | ArtaCancel::Hold(_) => None,
        }
    }

    /// The exception of a hold.
    pub fn hold(&self) -> Option<&ShipmentException> {
        match self {
            ArtaCancel::Hold(e) => Some(e),
            ArtaCancel::Session(_) | ArtaCancel::Status(_) => None,
        }
    }
}
