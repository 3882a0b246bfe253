//! What a provider shows now for one target: [`Observation`], read with
//! [`Canceller::observe`](crate::Canceller::observe), and how two of them settle a cancel whose
//! answer was lost: [`settle`].
//!
//! A cancel whose outcome is unknown (the process died after sending, or the connection broke)
//! must never be sent again blindly: an item cancel with quantities would cancel twice. The
//! safe way is to read the target *before* sending, keep that reading (a bulk run journals
//! it), and after a lost answer read again and compare:
//!
//! ```
//! use rescind_core::{CancelRequest, Observation, Settlement, settle};
//!
//! let before = Observation::new("42", "new");
//! let after = Observation::new("42", "cancelled").cancelled(true);
//! let request = CancelRequest::whole("42");
//! assert!(matches!(settle(&request, Some(&before), &after), Settlement::Applied { .. }));
//! assert_eq!(settle(&request, Some(&before), &before), Settlement::NotApplied);
//! ```

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::request::{CancelRequest, Scope};

/// What a provider shows now for one target and the scope of one request: whether it is
/// cancelled, its holds, and for an item cancel the state and quantity of each selected item
/// (a fingerprint of what the cancel would change).
///
/// Serializable, so it can be journaled before a cancel is sent and compared after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Observation {
    /// The target, as the provider identifies it.
    pub target: String,
    /// The provider's own state word (`new`, `EXPORT_OK`, `READY`...), for people.
    pub state: String,
    /// Whether the whole target is cancelled.
    pub cancelled: bool,
    /// The active holds of the target (Arta `requested_hold_to_collect` exceptions not yet
    /// resolved), each by the provider's id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<ObservedHold>,
    /// For an item cancel: the items its selectors match, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ObservedItem>,
}

impl Observation {
    /// An observation of `target` in the provider's `state`, not cancelled, without holds or
    /// items.
    pub fn new(target: impl Into<String>, state: impl Into<String>) -> Self {
        Observation {
            target: target.into(),
            state: state.into(),
            cancelled: false,
            holds: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Sets whether the whole target is cancelled.
    pub fn cancelled(mut self, cancelled: bool) -> Self {
        self.cancelled = cancelled;
        self
    }

    /// Adds an active hold.
    pub fn hold(mut self, hold: ObservedHold) -> Self {
        self.holds.push(hold);
        self
    }

    /// Adds a selected item.
    pub fn item(mut self, item: ObservedItem) -> Self {
        self.items.push(item);
        self
    }
}

/// An active hold of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObservedHold {
    /// The provider's id of the hold (Arta: the exception's id).
    pub id: String,
    /// The hold's last day, if one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
}

impl ObservedHold {
    /// A hold with an id and an optional last day.
    pub fn new(id: impl Into<String>, until: Option<Date>) -> Self {
        ObservedHold {
            id: id.into(),
            until,
        }
    }
}

/// One item a selector of an item cancel matches, as the provider shows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObservedItem {
    /// Which selector matched it (0-based index into the request's selectors).
    pub selector: usize,
    /// The item's name for people: its code, else its EAN, else its name.
    pub label: String,
    /// The item's quantity, when the provider states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// Whether the item is cancelled.
    pub cancelled: bool,
}

impl ObservedItem {
    /// An item matched by selector `selector`.
    pub fn new(
        selector: usize,
        label: impl Into<String>,
        quantity: Option<Decimal>,
        cancelled: bool,
    ) -> Self {
        ObservedItem {
            selector,
            label: label.into(),
            quantity,
            cancelled,
        }
    }
}

/// What comparing a target's state before and after a cancel of unknown outcome shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// The target changed as the request asks: the cancel (or hold) was applied.
    Applied {
        /// What the read-back showed, for people.
        note: String,
    },
    /// Nothing changed: the request was not applied, and sending it now is safe.
    NotApplied,
    /// The target changed in a way the request does not explain, or there is nothing to
    /// compare with: a person must look.
    Unclear {
        /// Why it cannot be told.
        reason: String,
    },
}

/// Compares the target's state `before` a request was sent (if it was read) with its state
/// `after`, and says whether the request was applied. Pure; see [`Settlement`].
///
/// - A whole cancel is applied when the target is now cancelled; otherwise not applied (a
///   whole cancel only ever makes a target cancelled).
/// - A hold is applied when an active hold exists now that did not exist before (any active
///   hold, when there is no `before`), with the requested last day if one was asked for.
/// - An item cancel is applied when the whole target is now cancelled, or, for each selector,
///   the active (not cancelled) quantity of the items it matches went down or stayed and went
///   down for one at least (a provider may split a line when part of it is cancelled);
///   unchanged items mean not applied; anything else is unclear. Without a `before` (a change
///   sent first, [`Policy::ChangeFirst`](crate::Policy)): a cancel without quantities is
///   applied when every selector's items read cancelled, not applied otherwise (repeating it
///   is safe); one with quantities is unclear.
pub fn settle(
    request: &CancelRequest,
    before: Option<&Observation>,
    after: &Observation,
) -> Settlement {
    match &request.scope {
        Scope::Whole => {
            if after.cancelled {
                Settlement::Applied {
                    note: format!("read back: the target is cancelled (`{}`)", after.state),
                }
            } else {
                Settlement::NotApplied
            }
        }
        Scope::Hold { until } => {
            let known: Vec<&str> = before
                .map(|b| b.holds.iter().map(|h| h.id.as_str()).collect())
                .unwrap_or_default();
            let new = after.holds.iter().find(|h| {
                !known.contains(&h.id.as_str()) && (until.is_none() || h.until == *until)
            });
            match new {
                Some(h) => Settlement::Applied {
                    note: format!("read back: the target holds `{}`", h.id),
                },
                None if after.holds.len() > known.len() => Settlement::Unclear {
                    reason: "a new hold exists, but not to the requested date".into(),
                },
                None => Settlement::NotApplied,
            }
        }
        Scope::Items(selectors) => settle_items(selectors, before, after),
    }
}

fn settle_items(
    selectors: &[crate::ItemSelector],
    before: Option<&Observation>,
    after: &Observation,
) -> Settlement {
    if after.cancelled {
        return Settlement::Applied {
            note: "read back: the whole order is cancelled".into(),
        };
    }
    // Without a reading from before (a cancel sent first, issue "every call counts"), an item
    // cancel without quantities is applied when every selector's items read cancelled: it
    // cancels every open unit of what it names, and repeating it changes nothing.
    if before.is_none() && selectors.iter().all(|s| s.quantity.is_none()) {
        let done = (0..selectors.len()).all(|selector| {
            let mut items = after.items.iter().filter(|i| i.selector == selector);
            items.next().is_some_and(|i| i.cancelled) && items.all(|i| i.cancelled)
        });
        return if done {
            Settlement::Applied {
                note: "read back: every selected item is cancelled".into(),
            }
        } else {
            Settlement::NotApplied
        };
    }
    let Some(before) = before else {
        return Settlement::Unclear {
            reason: "no reading from before the request to compare with".into(),
        };
    };
    if before.items == after.items {
        return Settlement::NotApplied;
    }
    // A provider may split a line when part of it is cancelled (Skip Pay does: 3 cases become
    // 1 active and 2 cancelled), so compare per selector the quantity still active.
    let selectors = before
        .items
        .iter()
        .chain(&after.items)
        .map(|i| i.selector + 1)
        .max()
        .unwrap_or(0);
    let mut decreased = false;
    for selector in 0..selectors {
        let (b, a) = (active(before, selector), active(after, selector));
        if a > b {
            return Settlement::Unclear {
                reason: format!(
                    "the items of selector #{} show more active quantity now ({a}) than before ({b})",
                    selector + 1
                ),
            };
        }
        decreased |= a < b;
    }
    if decreased {
        Settlement::Applied {
            note: "read back: the selected items show the cancel".into(),
        }
    } else {
        Settlement::Unclear {
            reason: "the selected items changed, but not as a cancel would".into(),
        }
    }
}

/// The active (not cancelled) quantity the items of `selector` add up to (1 per item without
/// a quantity).
fn active(o: &Observation, selector: usize) -> Decimal {
    o.items
        .iter()
        .filter(|i| i.selector == selector && !i.cancelled)
        .map(|i| i.quantity.unwrap_or(Decimal::ONE))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ItemSelector;

    fn items() -> CancelRequest {
        CancelRequest::items("A", vec![ItemSelector::by_code("S")])
    }

    fn with_item(q: i64, cancelled: bool) -> Observation {
        Observation::new("A", "READY").item(ObservedItem::new(0, "S", Some(q.into()), cancelled))
    }

    #[test]
    fn whole_is_applied_only_when_cancelled() {
        let r = CancelRequest::whole("1");
        let open = Observation::new("1", "new");
        let done = Observation::new("1", "cancelled").cancelled(true);
        assert!(matches!(
            settle(&r, Some(&open), &done),
            Settlement::Applied { .. }
        ));
        assert!(matches!(
            settle(&r, None, &done),
            Settlement::Applied { .. }
        ));
        assert_eq!(settle(&r, Some(&open), &open), Settlement::NotApplied);
    }

    #[test]
    fn hold_needs_a_new_hold_to_the_date() {
        let d = jiff::civil::date(2026, 12, 1);
        let r = CancelRequest::hold("s", Some(d));
        let none = Observation::new("s", "pending");
        let old = none.clone().hold(ObservedHold::new("h1", None));
        let new = old.clone().hold(ObservedHold::new("h2", Some(d)));
        let other = old.clone().hold(ObservedHold::new("h3", None));
        assert!(matches!(
            settle(&r, Some(&old), &new),
            Settlement::Applied { .. }
        ));
        assert_eq!(settle(&r, Some(&old), &old), Settlement::NotApplied);
        assert!(matches!(
            settle(&r, Some(&old), &other),
            Settlement::Unclear { .. }
        ));
        assert_eq!(settle(&r, Some(&none), &none), Settlement::NotApplied);
    }

    #[test]
    fn items_compare_fingerprints() {
        let r = items();
        assert_eq!(
            settle(&r, Some(&with_item(3, false)), &with_item(3, false)),
            Settlement::NotApplied
        );
        assert!(matches!(
            settle(&r, Some(&with_item(3, false)), &with_item(1, false)),
            Settlement::Applied { .. }
        ));
        assert!(matches!(
            settle(&r, Some(&with_item(3, false)), &with_item(3, true)),
            Settlement::Applied { .. }
        ));
        assert!(matches!(
            settle(&r, Some(&with_item(3, false)), &with_item(5, false)),
            Settlement::Unclear { .. }
        ));
        let quantity =
            CancelRequest::items("A", vec![ItemSelector::by_code("S").quantity(1.into())]);
        assert!(matches!(
            settle(&quantity, None, &with_item(3, false)),
            Settlement::Unclear { .. }
        ));
    }

    #[test]
    fn items_without_quantities_sent_first_are_settled_by_their_state() {
        let r = items();
        assert_eq!(
            settle(&r, None, &with_item(3, false)),
            Settlement::NotApplied
        );
        assert!(matches!(
            settle(&r, None, &with_item(3, true)),
            Settlement::Applied { .. }
        ));
        // A selector that matches nothing read back proves nothing applied.
        assert_eq!(
            settle(&r, None, &Observation::new("A", "READY")),
            Settlement::NotApplied
        );
        let split = with_item(2, false).item(ObservedItem::new(0, "S", Some(1.into()), true));
        assert_eq!(settle(&r, None, &split), Settlement::NotApplied);
    }

    #[test]
    fn journals_round_trip() {
        let o =
            with_item(2, false).hold(ObservedHold::new("h", Some(jiff::civil::date(2026, 1, 2))));
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Observation>(&json).unwrap(), o);
    }
}
