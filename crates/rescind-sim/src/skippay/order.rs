//! `PUT /financing/v1/applications/{id}/order/cancel`: mark the whole order or some items
//! cancelled, with Skip Pay's partial semantics (see the [module docs](super) for the rules).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

use super::auth::Partner;
use super::check::{self, ITEM_TYPES};
use super::errors::{ApiError, json_bytes_response};
use super::wire::{ApplicationState, Order, OrderItem, OrderState, StateReason};
use super::{Application, order_extended_bytes};
use crate::Sim;

/// One item selector of the body (`ChangeOrderItemRequestSerializer`), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    code: Option<String>,
    ean: Option<String>,
    name: Option<String>,
    item_type: Option<String>,
    quantity: Option<Decimal>,
}

impl Selector {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("code", &self.code),
            ("ean", &self.ean),
            ("name", &self.name),
            ("type", &self.item_type),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k} `{v}`"));
            }
        }
        parts.join(", ")
    }

    fn matches(&self, item: &OrderItem) -> bool {
        fn same(want: &Option<String>, have: Option<&str>) -> bool {
            want.as_deref().is_none_or(|w| have == Some(w))
        }
        same(&self.code, item.code.as_deref())
            && same(&self.ean, item.ean.as_deref())
            && same(&self.name, item.name.as_deref())
            && same(&self.item_type, item.item_type.as_deref())
    }
}

/// Reads and checks the body (`OrderItemsChangeRequest`). An empty body, `{}`, and `items`
/// empty, absent or `null` are the whole order. `totalPrice` and `totalVat` are checked for
/// shape (`null` is absent, as the documentation's example shows them) and otherwise ignored.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Vec<Selector>, ApiError> {
    let map = check::body_object_or_empty(bytes)?;
    check::opt_amount(&map, "totalPrice", "")?;
    check::vat_list(&map, "totalVat", "", false)?;
    let Some(items) = check::opt_array(&map, "items", "")? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| selector(v, &format!("items[{i}]")))
        .collect()
}

fn selector(value: &Value, path: &str) -> Result<Selector, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid(Some(path), "must be an object"));
    };
    let owned = |m: &Map<String, Value>, key: &str, max: usize| {
        check::opt_str(m, key, path, max).map(|s| s.map(str::to_owned))
    };
    let sel = Selector {
        code: owned(map, "code", 200)?,
        ean: owned(map, "ean", 64)?,
        name: owned(map, "name", 255)?,
        item_type: check::opt_enum(map, "type", path, ITEM_TYPES)?.map(str::to_owned),
        quantity: check::opt_quantity(map, "quantity", path)?,
    };
    if sel.code.is_none() && sel.ean.is_none() && sel.name.is_none() && sel.item_type.is_none() {
        return Err(ApiError::invalid(
            Some(path),
            "must identify the item by at least one of code, ean, name or type",
        ));
    }
    Ok(sel)
}

/// One applied change, counted as `skippay:<kind>:<application id>[/<item>]:<change>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// An item's remaining quantity was cancelled: the item is CANCELLED.
    ItemCancelled(String),
    /// An item's quantity was reduced; some of it is left.
    ItemReduced(String),
    /// The order became CANCELLED.
    OrderCancelled,
}

impl Change {
    /// The counter key for application `id`.
    pub(crate) fn key(&self, id: &str) -> String {
        match self {
            Change::ItemCancelled(item) => format!("skippay:item:{id}/{item}:cancel"),
            Change::ItemReduced(item) => format!("skippay:item:{id}/{item}:reduce"),
            Change::OrderCancelled => format!("skippay:order:{id}:cancel"),
        }
    }
}

fn state_of(item: &OrderItem) -> OrderState {
    item.state
}

fn quantity_of(item: &OrderItem) -> Decimal {
    item.quantity
}

/// The name an item goes by in counters: its code, else its EAN, else its name.
fn label(item: &OrderItem, index: usize) -> String {
    item.code
        .clone()
        .or_else(|| item.ean.clone())
        .or_else(|| item.name.clone())
        .unwrap_or_else(|| format!("#{index}"))
}

/// Two lines of the same item (one left, one cancelled) have the same identifiers.
fn same_item(a: &OrderItem, b: &OrderItem) -> bool {
    a.code == b.code && a.ean == b.ean && a.name == b.name && a.item_type == b.item_type
}

/// `amount * part / whole`, rounded half away from zero to minor units.
fn share(amount: i64, part: Decimal, whole: Decimal) -> i64 {
    if whole.is_zero() {
        return 0;
    }
    let value = Decimal::from(amount) * part / whole;
    value
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(amount)
}

/// Moves `q` pieces (all of them when `q` is the line's quantity) of open line `index` to the
/// item's CANCELLED line, creating it right after the open line if there is none. A line left
/// with nothing is removed. Returns whether the item is now wholly cancelled.
fn move_to_cancelled(items: &mut Vec<OrderItem>, index: usize, q: Decimal) -> bool {
    let whole = quantity_of(&items[index]);
    let price = share(items[index].total_price.amount, q, whole);
    let vat = share(items[index].total_vat.amount, q, whole);
    let sibling = items
        .iter()
        .position(|i| state_of(i) == OrderState::Cancelled && same_item(i, &items[index]));
    match sibling {
        Some(s) => {
            let line = &mut items[s];
            line.quantity = quantity_of(line) + q;
            line.total_price.amount += price;
            line.total_vat.amount += vat;
        }
        // All of it, and no cancelled line yet: the open line becomes the cancelled one, in
        // its place (what inserting a copy after it and removing it would give).
        None if q == whole => {
            let line = &mut items[index];
            line.state = OrderState::Cancelled;
            line.total_price.amount = price;
            line.total_vat.amount = vat;
            return true;
        }
        None => {
            let mut line = items[index].clone();
            line.state = OrderState::Cancelled;
            line.quantity = q;
            line.total_price.amount = price;
            line.total_vat.amount = vat;
            items.insert(index + 1, line);
        }
    }
    if q == whole {
        items.remove(index);
        return true;
    }
    let line = &mut items[index];
    line.quantity = whole - q;
    line.total_price.amount -= price;
    line.total_vat.amount -= vat;
    false
}

/// What an order cancel would do, worked out on a copy of the order's lines: the new lines,
/// whether the order becomes CANCELLED, and the changes (none: the order stays as it is, as
/// for a repeat of a cancel without quantities).
#[derive(Debug)]
pub(crate) struct Outcome {
    items: Vec<OrderItem>,
    cancels_order: bool,
    pub(crate) changes: Vec<Change>,
}

impl Outcome {
    /// Writes the outcome into `order` (nothing when there is no change); returns the changes.
    pub(crate) fn commit(self, order: &mut Order) -> Vec<Change> {
        if !self.changes.is_empty() {
            order.items = self.items;
            if self.cancels_order {
                order.state = OrderState::Cancelled;
            }
        }
        self.changes
    }
}

/// Applies an order cancel to `order`, all or nothing: on an error `order` is unchanged.
/// Returns the changes applied (none for a repeat of a cancel without quantities).
pub(crate) fn apply(order: &mut Order, selectors: &[Selector]) -> Result<Vec<Change>, ApiError> {
    Ok(plan(order, selectors)?.commit(order))
}

/// Works out an order cancel on `order` without changing it (see [`Outcome`]).
pub(crate) fn plan(order: &Order, selectors: &[Selector]) -> Result<Outcome, ApiError> {
    let mut work = order.items.clone();
    let mut changes = Vec::new();
    if selectors.is_empty() {
        let open: Vec<usize> = (0..work.len())
            .filter(|&i| state_of(&work[i]) == OrderState::Processing)
            .collect();
        if open.is_empty() && work.iter().any(|i| state_of(i) != OrderState::Cancelled) {
            return Err(ApiError::unprocessable(
                "UNPROCESSABLE",
                "No order item is left to cancel: items marked as sent or delivered are returned with Mark order items as returned",
            ));
        }
        // From the last, so that earlier indexes stay valid as lines move or merge.
        for &i in open.iter().rev() {
            let name = label(&work[i], i);
            let q = quantity_of(&work[i]);
            move_to_cancelled(&mut work, i, q);
            changes.push(Change::ItemCancelled(name));
        }
        changes.reverse();
    } else {
        for (n, sel) in selectors.iter().enumerate() {
            cancel_selected(&mut work, sel, &format!("items[{n}]"), &mut changes)?;
        }
    }
    let all_cancelled = work.iter().all(|i| state_of(i) == OrderState::Cancelled);
    let cancels_order = all_cancelled && order.state != OrderState::Cancelled;
    if cancels_order {
        changes.push(Change::OrderCancelled);
    }
    Ok(Outcome {
        items: work,
        cancels_order,
        changes,
    })
}

fn cancel_selected(
    work: &mut Vec<OrderItem>,
    sel: &Selector,
    path: &str,
    changes: &mut Vec<Change>,
) -> Result<(), ApiError> {
    let matched: Vec<usize> = (0..work.len()).filter(|&i| sel.matches(&work[i])).collect();
    if matched.is_empty() {
        return Err(ApiError::invalid(
            Some(path),
            format!("No order item matches {}", sel.describe()),
        ));
    }
    let open: Vec<usize> = matched
        .iter()
        .copied()
        .filter(|&i| state_of(&work[i]) == OrderState::Processing)
        .collect();
    if open.is_empty() {
        let all_cancelled = matched
            .iter()
            .all(|&i| state_of(&work[i]) == OrderState::Cancelled);
        return match (all_cancelled, sel.quantity) {
            // Marking cancelled what is cancelled changes nothing.
            (true, None) => Ok(()),
            (true, Some(_)) => Err(ApiError::unprocessable(
                "UNPROCESSABLE",
                format!(
                    "The item with {} is already cancelled: no quantity is left to cancel",
                    sel.describe()
                ),
            )
            .at(format!("{path}.quantity"))),
            (false, _) => Err(ApiError::unprocessable(
                "UNPROCESSABLE",
                format!(
                    "The item with {} is marked as {}: use Mark order items as returned",
                    sel.describe(),
                    matched
                        .iter()
                        .map(|&i| state_of(&work[i]))
                        .find(|s| *s != OrderState::Cancelled)
                        .unwrap_or(OrderState::Sent)
                ),
            )
            .at(path)),
        };
    }
    let Some(q) = sel.quantity else {
        for &i in open.iter().rev() {
            let name = label(&work[i], i);
            let q = quantity_of(&work[i]);
            move_to_cancelled(work, i, q);
            changes.push(Change::ItemCancelled(name));
        }
        return Ok(());
    };
    let [index] = open[..] else {
        return Err(ApiError::invalid(
            Some(path),
            format!(
                "{} matches {} items: a quantity needs exactly one, add identifiers",
                sel.describe(),
                open.len()
            ),
        ));
    };
    let left = quantity_of(&work[index]);
    let attr = format!("{path}.quantity");
    if q > left {
        return Err(ApiError::unprocessable(
            "UNPROCESSABLE",
            format!(
                "Cannot cancel {q} of the item with {}: only {left} left",
                sel.describe()
            ),
        )
        .at(attr));
    }
    let remaining = left - q;
    if !remaining.is_zero() && remaining < Decimal::ONE {
        return Err(ApiError::unprocessable(
            "UNPROCESSABLE",
            format!(
                "Cancelling {q} of the item with {} would leave {}, below the minimum quantity 1: cancel all {left} or at most {}",
                sel.describe(),
                remaining.normalize(),
                (left - Decimal::ONE).normalize()
            ),
        )
        .at(attr));
    }
    let name = label(&work[index], index);
    if move_to_cancelled(work, index, q) {
        changes.push(Change::ItemCancelled(name));
    } else {
        changes.push(Change::ItemReduced(name));
    }
    Ok(())
}

/// Why an order cancel is refused in this application's state, if it is. READY only; the
/// documentation gives no code for the other states, so the application cancel's codes are
/// used.
pub(crate) fn refusal(app: &Application) -> Option<ApiError> {
    if app.financing_type.is_unknown() {
        return Some(ApiError::unprocessable(
            "NOT_SUPPORTED",
            format!(
                "Resource is not supported for financing type {}",
                app.financing_type
            ),
        ));
    }
    let reason = app.reason();
    let (code, text) = match app.state {
        ApplicationState::Ready => return None,
        ApplicationState::Rejected => ("APPLICATION_REJECTED", "is REJECTED"),
        ApplicationState::Cancelled => ("APPLICATION_ALREADY_CANCELLED", "is already CANCELLED"),
        ApplicationState::Processing if reason == StateReason::ProcessingValidationInProgress => {
            ("APPLICATION_VALIDATION_IN_PROGRESS", "undergoes validation")
        }
        _ => ("UNPROCESSABLE", "is not READY"),
    };
    Some(ApiError::unprocessable(
        code,
        format!(
            "Order items can not be cancelled: application {} {text} ({} / {reason}); order items can be cancelled only while it is READY",
            app.id, app.state
        ),
    ))
}

/// The handler.
pub(crate) async fn cancel(
    State(sim): State<Sim>,
    Partner(partner): Partner,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_body(&body).and_then(|selectors| {
        sim.store()
            .applications
            .find(
                id.as_str(),
                |a| a.visible_to(&partner),
                |slot| {
                    if let Some(refused) = refusal(slot.get()) {
                        return Err(refused);
                    }
                    // `plan` works on a copy, written back only when every selector holds
                    // and something changes: a cancel that changes nothing leaves the target (and its cached read
                    // answer) as it is.
                    let outcome = plan(&slot.get().order, &selectors)?;
                    let changes = if outcome.changes.is_empty() {
                        Vec::new()
                    } else {
                        outcome.commit(&mut slot.get_mut().order)
                    };
                    for change in &changes {
                        sim.counters().applied(change.key(&id));
                    }
                    Ok(order_extended_bytes(slot.get()))
                },
            )
            .unwrap_or_else(|| Err(ApiError::not_found("OBJECT_NOT_FOUND", &id)))
    });
    match result {
        Ok(body) => json_bytes_response(StatusCode::OK, body),
        Err(e) => e.response(&sim),
    }
}
