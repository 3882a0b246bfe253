//! What a cancel or hold did: [`CancelOutcome`].

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::provider::Provider;

/// What happened to the target. A plain success flag would lose the difference between these.
///
/// Serialized (serde) as an object whose `status` is the stable name
/// ([`CancelStatus::as_str`]) with the variant's fields beside it:
/// `{"status": "cancelled"}`, `{"status": "held", "until": "2026-12-24"}`,
/// `{"status": "partially_cancelled", "cancelled_items": 1, "remaining_items": 2}` (a field
/// that is not known is left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelStatus {
    /// The whole target is now cancelled, by this call.
    Cancelled,
    /// Some items are cancelled; others remain active.
    PartiallyCancelled {
        /// How many items (order lines) the provider reports as cancelled now, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cancelled_items: Option<usize>,
        /// How many items remain active, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remaining_items: Option<usize>,
    },
    /// The target was already cancelled before this call; nothing changed.
    AlreadyCancelled,
    /// The target is on hold, until the date when one is set.
    Held {
        /// The last day of the hold, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Date>,
    },
}

impl CancelStatus {
    /// A short lowercase name, stable across versions: `cancelled`, `partially_cancelled`,
    /// `already_cancelled`, `held`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CancelStatus::Cancelled => "cancelled",
            CancelStatus::PartiallyCancelled { .. } => "partially_cancelled",
            CancelStatus::AlreadyCancelled => "already_cancelled",
            CancelStatus::Held { .. } => "held",
        }
    }
}

impl fmt::Display for SettledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CancelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancelStatus::Held { until: Some(d) } => write!(f, "held until {d}"),
            CancelStatus::PartiallyCancelled {
                cancelled_items: Some(c),
                remaining_items: Some(r),
            } => write!(f, "partially cancelled ({c} cancelled, {r} remaining)"),
            other => f.write_str(&other.as_str().replace('_', " ")),
        }
    }
}

/// What established a [`CancelOutcome`].
///
/// Serialized (serde) as its stable name ([`SettledBy::as_str`]): `answer`, `read_back`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SettledBy {
    /// The provider's answer to the change (its documented success or refusal), or a reading
    /// taken before anything was sent (already cancelled, already held).
    #[default]
    Answer,
    /// The change's answer proved nothing (a timeout, a lost connection, a 5xx, a 2xx that is
    /// not the documented success answer), and reading the target back showed it changed as
    /// asked.
    ReadBack,
}

impl SettledBy {
    /// A short lowercase name, stable across versions: `answer`, `read_back`.
    pub fn as_str(self) -> &'static str {
        match self {
            SettledBy::Answer => "answer",
            SettledBy::ReadBack => "read_back",
        }
    }
}

/// The result of a successful [`Canceller::cancel`](crate::Canceller::cancel).
///
/// Carries the provider's request id and the provider's native typed response. Each provider
/// attaches exactly **one** documented type, whatever path the cancel took, and gives a typed
/// accessor for it: `rescind_arta::ArtaCancel::of(&outcome)`,
/// `rescind_di::DiCancel::of(&outcome)`, `rescind_skippay::SkipPayCancel::of(&outcome)`, or
/// the facade's `rescind::Details::of(&outcome)` over the three. Use those.
///
/// [`CancelOutcome::native`] is the low-level mechanism under them (a downcast: a wrong type
/// is a silent `None`), for a third-party [`Canceller`](crate::Canceller) that attaches its
/// own type:
///
/// ```
/// use rescind_core::{CancelOutcome, CancelStatus, Provider};
///
/// #[derive(Debug, PartialEq)]
/// struct HostedSession { id: u64, status: String }
///
/// let outcome = CancelOutcome::new(Provider::Arta, "42", CancelStatus::Cancelled)
///     .with_request_id("req-1")
///     .with_native(HostedSession { id: 42, status: "cancelled".into() });
/// assert_eq!(outcome.status, CancelStatus::Cancelled);
/// assert_eq!(outcome.request_id.as_deref(), Some("req-1"));
/// assert_eq!(outcome.native::<HostedSession>().unwrap().id, 42);
/// assert!(outcome.native::<String>().is_none());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct CancelOutcome {
    /// The provider that answered.
    pub provider: Provider,
    /// The target, as the provider identifies it.
    pub target: String,
    /// What happened.
    pub status: CancelStatus,
    /// The provider's request id, when it sends one.
    pub request_id: Option<String>,
    /// A short note for a person (e.g. why the outcome is "already cancelled").
    pub note: Option<String>,
    /// What established the outcome: the provider's answer, or reading the target back after
    /// an answer that proved nothing ([`CancelOutcome::settled_by_read_back`]).
    pub settled_by: SettledBy,
    /// Whether the target was already cancelled before this call: `Some(true)` (the outcome
    /// is [`CancelStatus::AlreadyCancelled`]), `Some(false)` (this call changed it), or `None`
    /// when the provider's answer cannot tell: under [`Policy::ChangeFirst`](crate::Policy)
    /// no read is taken before the change, and a provider whose cancel answers the same for a
    /// target cancelled now and one cancelled before (Arta documents only 200 and 404 for its
    /// cancel; Skip Pay's order cancel answers the order either way) leaves it unknown.
    /// [`CancelOutcome::new`] sets it from the status; see
    /// [`already_cancelled_before_unknown`](CancelOutcome::already_cancelled_before_unknown).
    pub already_cancelled_before: Option<bool>,
    native: Option<Arc<dyn Any + Send + Sync>>,
    /// The native response's type name, for `Debug` (static: naming it allocates nothing).
    native_debug: Option<&'static str>,
}

impl CancelOutcome {
    /// An outcome without request id or native response.
    pub fn new(provider: Provider, target: impl Into<String>, status: CancelStatus) -> Self {
        CancelOutcome {
            provider,
            target: target.into(),
            request_id: None,
            note: None,
            settled_by: SettledBy::Answer,
            already_cancelled_before: Some(status == CancelStatus::AlreadyCancelled),
            status,
            native: None,
            native_debug: None,
        }
    }

    /// Marks that the provider's answer cannot tell whether the target was already cancelled
    /// before this call ([`already_cancelled_before`](CancelOutcome::already_cancelled_before)
    /// `None`): a change sent first whose success answer is the same either way.
    pub fn already_cancelled_before_unknown(mut self) -> Self {
        self.already_cancelled_before = None;
        self
    }

    /// Sets the provider's request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets the provider's request id if there is one.
    pub fn with_request_id_opt(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Sets a note for a person.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Sets what established the outcome.
    pub fn with_settled_by(mut self, settled_by: SettledBy) -> Self {
        self.settled_by = settled_by;
        self
    }

    /// Whether the change's answer proved nothing and the outcome comes from reading the
    /// target back.
    pub fn settled_by_read_back(&self) -> bool {
        self.settled_by == SettledBy::ReadBack
    }

    /// Keeps the provider's typed response, reachable with [`CancelOutcome::native`].
    pub fn with_native<T: Any + Send + Sync + fmt::Debug>(mut self, native: T) -> Self {
        self.native_debug = Some(std::any::type_name::<T>());
        self.native = Some(Arc::new(native));
        self
    }

    /// The provider's typed response, if it is a `T`: the low-level mechanism under the
    /// providers' typed accessors (`ArtaCancel::of`, `DiCancel::of`, `SkipPayCancel::of`),
    /// which name the one type each provider attaches. Prefer those: a wrong `T` here is a
    /// silent `None`.
    pub fn native<T: Any>(&self) -> Option<&T> {
        self.native.as_deref()?.downcast_ref::<T>()
    }

    /// Whether the outcome means "the target is no longer active" (cancelled now or before).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self.status,
            CancelStatus::Cancelled | CancelStatus::AlreadyCancelled
        )
    }
}

impl fmt::Debug for CancelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelOutcome")
            .field("provider", &self.provider)
            .field("target", &self.target)
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("note", &self.note)
            .field("settled_by", &self.settled_by)
            .field("already_cancelled_before", &self.already_cancelled_before)
            .field("native", &self.native_debug)
            .finish()
    }
}

impl PartialEq for CancelOutcome {
    /// Compares everything but the native response.
    fn eq(&self, other: &Self) -> bool {
        self.provider == other.provider
            && self.target == other.target
            && self.status == other.status
            && self.request_id == other.request_id
            && self.note == other.note
            && self.settled_by == other.settled_by
            && self.already_cancelled_before == other.already_cancelled_before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_of_status_is_readable() {
        assert_eq!(
            CancelStatus::AlreadyCancelled.to_string(),
            "already cancelled"
        );
        assert_eq!(
            CancelStatus::Held {
                until: Some(jiff::civil::date(2026, 1, 2))
            }
            .to_string(),
            "held until 2026-01-02"
        );
        assert_eq!(
            CancelStatus::PartiallyCancelled {
                cancelled_items: Some(1),
                remaining_items: Some(2)
            }
            .to_string(),
            "partially cancelled (1 cancelled, 2 remaining)"
        );
    }

    #[test]
    fn settled_by_read_back_is_marked_and_compared() {
        let answered = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled);
        assert_eq!(answered.settled_by, SettledBy::Answer);
        assert!(!answered.settled_by_read_back());
        let read_back = answered.clone().with_settled_by(SettledBy::ReadBack);
        assert!(read_back.settled_by_read_back());
        assert_eq!(read_back.settled_by.as_str(), "read_back");
        assert_ne!(answered, read_back);
        assert!(format!("{read_back:?}").contains("ReadBack"));
    }

    #[test]
    fn already_cancelled_before_follows_the_status_unless_unknown() {
        let now = CancelOutcome::new(Provider::Arta, "42", CancelStatus::Cancelled);
        assert_eq!(now.already_cancelled_before, Some(false));
        let before = CancelOutcome::new(Provider::Arta, "42", CancelStatus::AlreadyCancelled);
        assert_eq!(before.already_cancelled_before, Some(true));
        let unknown = now.clone().already_cancelled_before_unknown();
        assert_eq!(unknown.already_cancelled_before, None);
        assert_ne!(now, unknown);
    }

    #[test]
    fn debug_names_native_type_without_its_content() {
        let o = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled)
            .with_native(String::from("private body"));
        let text = format!("{o:?}");
        assert!(text.contains("alloc::string::String"), "{text}");
        assert!(!text.contains("private body"), "{text}");
    }

    #[test]
    fn statuses_and_settled_by_serialize_with_their_stable_names() {
        let cases = [
            (
                CancelStatus::Cancelled,
                serde_json::json!({"status": "cancelled"}),
            ),
            (
                CancelStatus::AlreadyCancelled,
                serde_json::json!({"status": "already_cancelled"}),
            ),
            (
                CancelStatus::PartiallyCancelled {
                    cancelled_items: Some(1),
                    remaining_items: None,
                },
                serde_json::json!({"status": "partially_cancelled", "cancelled_items": 1}),
            ),
            (
                CancelStatus::Held {
                    until: Some(jiff::civil::date(2026, 12, 24)),
                },
                serde_json::json!({"status": "held", "until": "2026-12-24"}),
            ),
            (
                CancelStatus::Held { until: None },
                serde_json::json!({"status": "held"}),
            ),
        ];
        for (status, json) in cases {
            assert_eq!(serde_json::to_value(&status).unwrap(), json);
            assert_eq!(json["status"], status.as_str());
            assert_eq!(
                serde_json::from_value::<CancelStatus>(json).unwrap(),
                status
            );
        }
        for by in [SettledBy::Answer, SettledBy::ReadBack] {
            let json = serde_json::to_value(by).unwrap();
            assert_eq!(json, by.as_str());
            assert_eq!(by.to_string(), by.as_str());
            assert_eq!(serde_json::from_value::<SettledBy>(json).unwrap(), by);
        }
    }
}
