//! What sending a request would do, predicted from a reading: [`Plan`] and [`Prediction`],
//! made by [`Canceller::plan`](crate::Canceller::plan).
//!
//! A plan reads the target once (the same read a cancel takes first) and applies the
//! provider's documented rules to that reading, without sending any change. It is what
//! `rescind bulk FILE --plan` and the single commands' `--dry-run` show.
//!
//! ```
//! use rescind_core::{Prediction, Refusal};
//!
//! let p = Prediction::Refused { reason: Refusal::InTransit, detail: "in transit since 2026-11-29".into() };
//! assert_eq!(p.as_str(), "refused");
//! assert_eq!(serde_json::to_value(&p).unwrap()["reason"], "in_transit");
//! assert!(!Prediction::Cancel.is_refusal());
//! ```
//!
//! # A reading taken once (issue "every call counts")
//!
//! [`Plan::reading`] keeps the provider-neutral reading the prediction was made from, and
//! [`Plan::native`] the provider's own (a Di order's details, an Arta shipment, a Skip Pay
//! application). A cancel given the plan
//! ([`Canceller::cancel_with`](crate::Canceller::cancel_with) with
//! [`CancelOptions::with_plan`](crate::CancelOptions::with_plan); default: `cancel(request)`,
//! so third-party implementors are unaffected) takes its native reading back with
//! [`Plan::native`] instead of reading the target again.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Observation};
use tokio::time::Instant;

/// Why a request was refused, as a stable code a program can branch on: the reason of a
/// [`Prediction::Refused`] and of an [`Error`] ([`Error::reason`]), whoever refused (the
/// provider's documented refusal, or our own check of its documented rules before sending).
///
/// Serialized (serde) as its snake_case code, the same as [`Refusal::as_str`]. New codes may
/// come (the enum is non-exhaustive): treat an unknown one as
/// [`NotCancellable`](Refusal::NotCancellable) or [`InvalidRequest`](Refusal::InvalidRequest)
/// by the error's [`kind`](Error::kind).
///
/// | code | meaning | who sets it, and the source of the rule |
/// |---|---|---|
/// | `in_transit` | the order is in transit | Di: our transit rule before sending (reference notes, Di §3b "Cancel order": "in transit" from the day before `desiredDeliveryDate`, from booking without one; pick-up shipments until 23:00 the day before), and Di's own `order.exported` / `unable.to.edit.exporter.order` (Di §2d "Edit Order API error keys") |
/// | `hold_window_passed` | the hold date is past the window | Arta: our rule before sending, "`hold_until` date cannot be greater than 30 days from the associated shipment's `created_at`" (reference notes, Arta §3 "Shipment exceptions") |
/// | `rejected` | the application was rejected | Skip Pay: our rule (a REJECTED application, Skip Pay §2 "Operations: paths, bodies, allowed states": REJECTED allows no cancel) and Skip Pay's `APPLICATION_REJECTED` (§2 "ApplicationCancelRequest") |
/// | `not_cancellable` | the target's state does not allow it | Arta: a shipment not `pending`/`confirmed` (§3), a session cancel answered 422 (§5 "Errors"); Di: `error.parcel.final.status` (§2d); Skip Pay: the states §2 refuses, its other 422 codes (`NOT_SUPPORTED`, `APPLICATION_PAID`...) |
/// | `already_cancelled` | the target was cancelled before, where it is an error | Skip Pay's `APPLICATION_ALREADY_CANCELLED` (§2 "ApplicationCancelRequest"), Di's `order.cancelled` (§2d), when a caller calls the client's native methods; a [`Canceller`](crate::Canceller) reports both as an [`AlreadyCancelled`](crate::CancelStatus::AlreadyCancelled) outcome, not an error |
/// | `item_not_found` | an item selector matches no item of the order | Skip Pay: our rule before sending ("it all must exact match the item data": Skip Pay §3 "order/cancel exact schema") |
/// | `quantity_too_large` | a quantity above what is left of the item | Skip Pay: our rule before sending (same section: `quantity`, "If empty, considered as whole item quantity") |
/// | `invalid_request` | the request breaks another documented rule | any: our validation before sending, a provider's 400 (Arta §5, Di `failed.to.parse.request` §2d, Skip Pay `INVALID_REQUEST` §3 "Error body") |
/// | `not_found` | the target does not exist (for this account) | any: the provider's 404 (Arta §2, Di `cannot.find.order` §2d, Skip Pay `OBJECT_NOT_FOUND` / `APPLICATION_NOT_FOUND` §2) |
///
/// The sections are those of the reference notes in `shared/reference/{arta,di,skippay}.md`,
/// which cite the providers' own pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The order is in transit (Di: from the day before its desired delivery date).
    InTransit,
    /// The requested hold date is past the provider's window (Arta: 30 days after the
    /// shipment's creation).
    HoldWindowPassed,
    /// The provider rejected the order or application (Skip Pay `REJECTED`).
    Rejected,
    /// The target's state does not allow it (an Arta session `closed`, a shipment already
    /// delivered, items already sent...).
    NotCancellable,
    /// The request's content breaks a rule the reading shows (a quantity above what is left).
    InvalidRequest,
    /// The target was already cancelled, where a provider reports that as an error (Skip
    /// Pay's `APPLICATION_ALREADY_CANCELLED`, Di's `order.cancelled`).
    AlreadyCancelled,
    /// An item selector matches no item of the order (Skip Pay).
    ItemNotFound,
    /// A quantity is above what is left of the item (Skip Pay).
    QuantityTooLarge,
    /// The target does not exist, or not for this account (a provider's 404).
    NotFound,
}

impl Refusal {
    /// The stable name: `in_transit`, `hold_window_passed`, `rejected`, `not_cancellable`,
    /// `invalid_request`, `already_cancelled`, `item_not_found`, `quantity_too_large`,
    /// `not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::InTransit => "in_transit",
            Refusal::HoldWindowPassed => "hold_window_passed",
            Refusal::Rejected => "rejected",
            Refusal::NotCancellable => "not_cancellable",
            Refusal::InvalidRequest => "invalid_request",
            Refusal::AlreadyCancelled => "already_cancelled",
            Refusal::ItemNotFound => "item_not_found",
            Refusal::QuantityTooLarge => "quantity_too_large",
            Refusal::NotFound => "not_found",
        }
    }

    /// The [`ErrorKind`] an error refused for this reason has: `in_transit`, `rejected`,
    /// `not_cancellable`, `already_cancelled` → [`NotCancellable`](ErrorKind::NotCancellable);
    /// `hold_window_passed`, `invalid_request`, `item_not_found`, `quantity_too_large` →
    /// [`InvalidInput`](ErrorKind::InvalidInput); `not_found` →
    /// [`NotFound`](ErrorKind::NotFound).
    pub fn error_kind(self) -> ErrorKind {
        match self {
            Refusal::InTransit
            | Refusal::Rejected
            | Refusal::NotCancellable
            | Refusal::AlreadyCancelled => ErrorKind::NotCancellable,
            Refusal::HoldWindowPassed
            | Refusal::InvalidRequest
            | Refusal::ItemNotFound
            | Refusal::QuantityTooLarge => ErrorKind::InvalidInput,
            Refusal::NotFound => ErrorKind::NotFound,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sending a request would do, as the reading and the documented rules predict it.
///
/// Serialized with a `prediction` tag holding the stable name ([`as_str`](Self::as_str)).
/// New variants may come (the enum is non-exhaustive): treat an unknown one as
/// [`Unknown`](Self::Unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "prediction", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Prediction {
    /// The whole target would be cancelled.
    Cancel,
    /// The named items would be cancelled (`items`: how many selectors would change
    /// something).
    CancelItems {
        /// Selectors that would change something.
        items: usize,
    },
    /// A hold would be created, until `until` if set.
    Hold {
        /// The hold's last day, as asked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Date>,
    },
    /// Nothing would be sent: it is already cancelled.
    AlreadyCancelled,
    /// Nothing would be sent: a matching hold exists already.
    AlreadyHeld {
        /// The existing hold's last day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Date>,
    },
    /// The provider's documented rules refuse it; nothing would be sent.
    Refused {
        /// Why.
        reason: Refusal,
        /// The same words the cancel's error would use.
        detail: String,
    },
    /// An item selector matches no item of the order.
    ItemNotFound {
        /// Which selector, in the cancel's words.
        detail: String,
    },
    /// The target does not exist.
    NotFound {
        /// The provider's answer.
        detail: String,
    },
    /// The target could not be read (network, credentials, a provider without plans): no
    /// prediction.
    Unknown {
        /// Why.
        detail: String,
    },
}

impl Prediction {
    /// The stable name: `cancel`, `cancel_items`, `hold`, `already_cancelled`,
    /// `already_held`, `refused`, `item_not_found`, `not_found`, `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Prediction::Cancel => "cancel",
            Prediction::CancelItems { .. } => "cancel_items",
            Prediction::Hold { .. } => "hold",
            Prediction::AlreadyCancelled => "already_cancelled",
            Prediction::AlreadyHeld { .. } => "already_held",
            Prediction::Refused { .. } => "refused",
            Prediction::ItemNotFound { .. } => "item_not_found",
            Prediction::NotFound { .. } => "not_found",
            Prediction::Unknown { .. } => "unknown",
        }
    }

    /// Whether sending would change the target (cancel, cancel items, hold).
    pub fn changes(&self) -> bool {
        matches!(
            self,
            Prediction::Cancel | Prediction::CancelItems { .. } | Prediction::Hold { .. }
        )
    }

    /// Whether the rules refuse it ([`Refused`](Self::Refused) or
    /// [`ItemNotFound`](Self::ItemNotFound)).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Prediction::Refused { .. } | Prediction::ItemNotFound { .. }
        )
    }

    /// The kind of the error the cancel would return, for a prediction that is one
    /// (`None` for a change, nothing to do, or unknown): refused → `not_cancellable`, except a
    /// hold window passed, an invalid request and an item not found → `invalid_input`; not
    /// found → `not_found`.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Prediction::ItemNotFound { .. } => Some(ErrorKind::InvalidInput),
            Prediction::Refused { reason, .. } => Some(reason.error_kind()),
            Prediction::NotFound { .. } => Some(ErrorKind::NotFound),
            _ => None,
        }
    }

    /// For a people: what sending would do, in a few words, with the detail.
    pub fn describe(&self) -> String {
        match self {
            Prediction::Cancel => "would cancel".into(),
            Prediction::CancelItems { items } => format!("would cancel {items} item(s)"),
            Prediction::Hold { until: Some(d) } => format!("would hold until {d}"),
            Prediction::Hold { until: None } => "would hold".into(),
            Prediction::AlreadyCancelled => "already cancelled: nothing to send".into(),
            Prediction::AlreadyHeld { until: Some(d) } => {
                format!("already held until {d}: nothing to send")
            }
            Prediction::AlreadyHeld { until: None } => "already held: nothing to send".into(),
            Prediction::Refused { reason, detail } => format!("refused ({reason}): {detail}"),
            Prediction::ItemNotFound { detail } => format!("item not found: {detail}"),
            Prediction::NotFound { detail } => format!("not found: {detail}"),
            Prediction::Unknown { detail } => format!("unknown: {detail}"),
        }
    }

    /// The prediction for an error a read or a rule returned: not found → [`NotFound`];
    /// `not_cancellable` → refused ([`Refusal::NotCancellable`]); `invalid_input` → refused
    /// ([`Refusal::InvalidRequest`]); anything else (the target could not be read) →
    /// [`Unknown`]. The error's own [`reason`](Error::reason) refines the refusal when it
    /// has one of the same kind (`in_transit`, `rejected`, `quantity_too_large`...; an
    /// `item_not_found` is [`ItemNotFound`](Self::ItemNotFound)).
    ///
    /// [`NotFound`]: Self::NotFound
    /// [`Unknown`]: Self::Unknown
    pub fn from_error(err: &Error) -> Prediction {
        let detail = err.to_string();
        let refined = err.reason().filter(|r| r.error_kind() == err.kind());
        match err.kind() {
            ErrorKind::NotFound => Prediction::NotFound { detail },
            ErrorKind::InvalidInput if refined == Some(Refusal::ItemNotFound) => {
                Prediction::ItemNotFound { detail }
            }
            ErrorKind::NotCancellable => Prediction::Refused {
                reason: refined.unwrap_or(Refusal::NotCancellable),
                detail,
            },
            ErrorKind::InvalidInput | ErrorKind::Unsupported => Prediction::Refused {
                reason: refined.unwrap_or(Refusal::InvalidRequest),
                detail,
            },
            _ => Prediction::Unknown { detail },
        }
    }
}

impl fmt::Display for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What [`Canceller::plan`](crate::Canceller::plan) predicts, and the reading it was made from.
///
/// A reading taken once: [`reading`](Plan::reading) keeps the provider-neutral reading (the
/// one a bulk run journals before sending) and [`native`](Plan::native) the provider's own
/// (Arta: the `Shipment` of a hold; Di: the `OrderDetails`; Skip Pay: the
/// `ApplicationResponse`). A cancel given the plan
/// ([`Canceller::cancel_with`](crate::Canceller::cancel_with) with
/// [`CancelOptions::with_plan`](crate::CancelOptions::with_plan)) takes its native reading
/// back instead of reading the target again.
#[derive(Clone)]
#[non_exhaustive]
pub struct Plan {
    /// What sending would do.
    pub prediction: Prediction,
    /// The provider-neutral reading, when the target was read (the same a bulk run journals
    /// before sending).
    pub reading: Option<Observation>,
    /// When the prediction comes from an error (the read failed, or a rule refused): that
    /// error's kind, so a caller can give the outcome the cancel would (a refused key, 403,
    /// is an authentication failure, not only "unknown").
    pub error_kind: Option<ErrorKind>,
    native: Option<Arc<dyn Any + Send + Sync>>,
    /// When the reading was taken ([`Plan::taken_at`]).
    taken_at: Option<Instant>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("prediction", &self.prediction)
            .field("reading", &self.reading)
            .field("error_kind", &self.error_kind)
            .field("native", &self.native.is_some())
            .field("age", &self.age())
            .finish()
    }
}

impl Plan {
    /// How long a plan's reading may stand in for a cancel's own reading where it is the
    /// fingerprint of a change that cannot be sent twice (a Skip Pay quantity cancel): 5
    /// seconds from the reading ([`Plan::taken_at`]). An older plan is not used as that
    /// fingerprint: the cancel reads the target again (one request more).
    ///
    /// Why a bound, and why this one (DESIGN principle 11, "what proves a change"): a lost
    /// answer is settled by reading back and comparing with the reading from before; the
    /// comparison proves this call's change only if nobody else changed the target between
    /// that reading and the send. A cancel's own read leaves a gap of one round trip; a plan
    /// leaves the gap between the plan and the cancel. A bulk run takes its plan and sends
    /// after journaling the intent (a group-committed fsync: milliseconds, rarely a second),
    /// so 5 seconds keeps its 2 requests per quantity row, while a plan kept for minutes
    /// (a `--plan` shown to a person, then run) is read again. Within the bound the gap
    /// remains: a change made by someone else in those seconds, followed by a lost answer,
    /// is read back as this call's.
    pub const FRESH_FOR: Duration = Duration::from_secs(5);

    /// A plan with `prediction`, no reading.
    pub fn new(prediction: Prediction) -> Self {
        Plan {
            prediction,
            reading: None,
            error_kind: None,
            native: None,
            taken_at: None,
        }
    }

    /// A plan that could not be made: [`Prediction::Unknown`] with `detail`.
    pub fn unknown(detail: impl Into<String>) -> Self {
        Plan::new(Prediction::Unknown {
            detail: detail.into(),
        })
    }

    /// The plan for an error (see [`Prediction::from_error`]).
    pub fn from_error(err: &Error) -> Self {
        let mut plan = Plan::new(Prediction::from_error(err));
        plan.error_kind = Some(err.kind());
        plan
    }

    /// Sets the reading; the plan's [`taken_at`](Plan::taken_at) becomes now unless set
    /// already.
    pub fn with_reading(mut self, reading: Observation) -> Self {
        self.reading = Some(reading);
        self.taken_at.get_or_insert_with(Instant::now);
        self
    }

    /// Keeps the provider's own reading, for a later cancel that reuses it; the plan's
    /// [`taken_at`](Plan::taken_at) becomes now unless set already.
    pub fn with_native<T: Any + Send + Sync>(mut self, native: T) -> Self {
        self.native = Some(Arc::new(native));
        self.taken_at.get_or_insert_with(Instant::now);
        self
    }

    /// Sets when the reading was taken (a provider that built the plan from a reading taken
    /// earlier; a test of a stale plan).
    pub fn with_taken_at(mut self, at: Instant) -> Self {
        self.taken_at = Some(at);
        self
    }

    /// When the reading was taken (tokio's monotonic clock, so paused time in tests moves
    /// it); `None` for a plan without a reading.
    pub fn taken_at(&self) -> Option<Instant> {
        self.taken_at
    }

    /// How old the reading is; `None` for a plan without a reading.
    pub fn age(&self) -> Option<Duration> {
        self.taken_at.map(|at| at.elapsed())
    }

    /// Whether the reading is at most [`Plan::FRESH_FOR`] old (false without a reading).
    pub fn is_fresh(&self) -> bool {
        self.age().is_some_and(|age| age <= Plan::FRESH_FOR)
    }

    /// The provider's own reading, if it is a `T`.
    pub fn native<T: Any>(&self) -> Option<&T> {
        self.native.as_deref()?.downcast_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provider, Sent};

    #[tokio::test(start_paused = true)]
    async fn a_plan_is_fresh_for_five_seconds_from_its_reading() {
        let bare = Plan::new(Prediction::Cancel);
        assert_eq!((bare.taken_at(), bare.is_fresh()), (None, false));
        let plan = Plan::new(Prediction::Cancel).with_native(7u8);
        let taken = plan.taken_at().unwrap();
        assert!(plan.is_fresh());
        tokio::time::advance(Plan::FRESH_FOR).await;
        assert!(plan.is_fresh(), "{plan:?}");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!plan.is_fresh(), "{plan:?}");
        // A second reading set later does not make the plan younger.
        let plan = plan.with_reading(Observation::new("1", "open"));
        assert_eq!(plan.taken_at(), Some(taken));
        let reset = plan.with_taken_at(Instant::now());
        assert!(reset.is_fresh());
    }

    #[test]
    fn predictions_serialize_with_their_stable_names() {
        let cases = [
            (Prediction::Cancel, "cancel"),
            (Prediction::CancelItems { items: 2 }, "cancel_items"),
            (Prediction::Hold { until: None }, "hold"),
            (Prediction::AlreadyCancelled, "already_cancelled"),
            (Prediction::AlreadyHeld { until: None }, "already_held"),
            (
                Prediction::Refused {
                    reason: Refusal::HoldWindowPassed,
                    detail: "d".into(),
                },
                "refused",
            ),
            (
                Prediction::ItemNotFound { detail: "d".into() },
                "item_not_found",
            ),
            (Prediction::NotFound { detail: "d".into() }, "not_found"),
            (Prediction::Unknown { detail: "d".into() }, "unknown"),
        ];
        for (p, name) in cases {
            assert_eq!(p.as_str(), name);
            let json = serde_json::to_value(&p).unwrap();
            assert_eq!(json["prediction"], name, "{json}");
            let back: Prediction = serde_json::from_value(json).unwrap();
            assert_eq!(back, p);
        }
    }

    #[test]
    fn an_error_becomes_the_prediction_of_the_cancel_that_would_return_it() {
        let refused = Error::not_cancellable(Sent::NotSent, "in transit");
        assert_eq!(
            Prediction::from_error(&refused).error_kind(),
            Some(ErrorKind::NotCancellable)
        );
        let bad = Error::invalid_input("items[0].quantity", "too many");
        assert_eq!(
            Prediction::from_error(&bad).error_kind(),
            Some(ErrorKind::InvalidInput)
        );
        let window = Prediction::Refused {
            reason: Refusal::HoldWindowPassed,
            detail: String::new(),
        };
        assert_eq!(window.error_kind(), Some(ErrorKind::InvalidInput));
        let down = Error::new(ErrorKind::Server, Sent::Answered, "503").with_provider(Provider::Di);
        let plan = Plan::from_error(&down);
        assert_eq!(plan.prediction.as_str(), "unknown");
        assert_eq!(plan.error_kind, Some(ErrorKind::Server));
        assert!(!plan.prediction.changes() && !plan.prediction.is_refusal());
    }

    #[test]
    fn a_plan_keeps_the_providers_own_reading() {
        let plan = Plan::new(Prediction::Cancel).with_native(42u32);
        assert_eq!(plan.native::<u32>(), Some(&42));
        assert_eq!(plan.native::<String>(), None);
        assert!(format!("{plan:?}").contains("native: true"));
    }

    #[test]
    fn refusal_codes_are_stable_and_serialize_as_them() {
        let all = [
            (Refusal::InTransit, "in_transit", ErrorKind::NotCancellable),
            (
                Refusal::HoldWindowPassed,
                "hold_window_passed",
                ErrorKind::InvalidInput,
            ),
            (Refusal::Rejected, "rejected", ErrorKind::NotCancellable),
            (
                Refusal::NotCancellable,
                "not_cancellable",
                ErrorKind::NotCancellable,
            ),
            (
                Refusal::InvalidRequest,
                "invalid_request",
                ErrorKind::InvalidInput,
            ),
            (
                Refusal::AlreadyCancelled,
                "already_cancelled",
                ErrorKind::NotCancellable,
            ),
            (
                Refusal::ItemNotFound,
                "item_not_found",
                ErrorKind::InvalidInput,
            ),
            (
                Refusal::QuantityTooLarge,
                "quantity_too_large",
                ErrorKind::InvalidInput,
            ),
            (Refusal::NotFound, "not_found", ErrorKind::NotFound),
        ];
        for (reason, code, kind) in all {
            assert_eq!(reason.as_str(), code);
            assert_eq!(reason.to_string(), code);
            assert_eq!(reason.error_kind(), kind, "{code}");
            assert_eq!(serde_json::to_value(reason).unwrap(), code);
            let back: Refusal = serde_json::from_value(serde_json::json!(code)).unwrap();
            assert_eq!(back, reason);
        }
    }

    #[test]
    fn an_errors_reason_refines_its_prediction() {
        let transit =
            Error::not_cancellable(Sent::NotSent, "in transit").with_reason(Refusal::InTransit);
        assert_eq!(
            Prediction::from_error(&transit),
            Prediction::Refused {
                reason: Refusal::InTransit,
                detail: transit.to_string()
            }
        );
        let missing =
            Error::invalid_input("items[0]", "matches no item").with_reason(Refusal::ItemNotFound);
        assert_eq!(Prediction::from_error(&missing).as_str(), "item_not_found");
        let too_many = Error::invalid_input("items[0].quantity", "at most 1")
            .with_reason(Refusal::QuantityTooLarge);
        assert_eq!(
            Prediction::from_error(&too_many),
            Prediction::Refused {
                reason: Refusal::QuantityTooLarge,
                detail: too_many.to_string()
            }
        );
        assert_eq!(
            Prediction::from_error(&too_many).error_kind(),
            Some(ErrorKind::InvalidInput)
        );
        // A reason of another kind than the error's is not taken.
        let odd = Error::not_cancellable(Sent::Answered, "x").with_reason(Refusal::ItemNotFound);
        assert_eq!(
            Prediction::from_error(&odd),
            Prediction::Refused {
                reason: Refusal::NotCancellable,
                detail: odd.to_string()
            }
        );
    }
}
