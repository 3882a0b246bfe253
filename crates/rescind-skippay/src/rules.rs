//! What Skip Pay's documentation allows, as pure functions: field limits of an order cancel,
//! and the states in which an order or an application can be cancelled.
//!
//! Everything here runs before a request is sent; a refusal is an [`Error`] that names the
//! field or the reason, with [`Sent::NotSent`].

use rescind_core::rust_decimal::Decimal;
use rescind_core::{CancelRequest, Error, Provider, Refusal, Scope, Sent};

use crate::model::{
    Amount, ApplicationCancelRequest, ApplicationResponse, ApplicationState, CancelItem,
    CancelReason, Currency, FinancingType, Order, OrderCancelRequest, OrderItem, OrderState,
    StateReason, VatAmount,
};

/// The longest item code, in characters.
pub const CODE_MAX_CHARS: usize = 200;
/// The longest EAN, in characters.
pub const EAN_MAX_CHARS: usize = 64;
/// The longest item name, in characters.
pub const NAME_MAX_CHARS: usize = 255;
/// The most decimal places of a quantity.
pub const QUANTITY_MAX_DECIMALS: u32 = 3;

/// Checks an order cancel against the documented limits. Errors name the field:
/// `items[1].quantity`, `totalVat[0].currency`.
///
/// ```
/// use rescind_skippay::model::{CancelItem, OrderCancelRequest};
/// use rescind_skippay::rules::validate_order_cancel;
/// use rescind_core::rust_decimal::Decimal;
///
/// let bad = OrderCancelRequest::items(vec![
///     CancelItem::by_code("A"),
///     CancelItem::by_code("B").quantity(Decimal::new(5, 1)), // 0.5
/// ]);
/// let err = validate_order_cancel(&bad).unwrap_err();
/// assert_eq!(err.field(), Some("items[1].quantity"));
/// ```
pub fn validate_order_cancel(request: &OrderCancelRequest) -> Result<(), Error> {
    validate_order_cancel_fields(request).map_err(|e| {
        e.with_provider(Provider::SkipPay)
            .with_operation(crate::request::order_cancel_operation(request))
    })
}

fn validate_order_cancel_fields(request: &OrderCancelRequest) -> Result<(), Error> {
    for (i, item) in request.items.iter().enumerate() {
        validate_item(i, item)?;
    }
    if let Some(price) = &request.total_price {
        validate_amount("totalPrice", price)?;
    }
    for (i, vat) in request.total_vat.iter().enumerate() {
        validate_vat(&format!("totalVat[{i}]"), vat)?;
    }
    Ok(())
}

fn validate_item(i: usize, item: &CancelItem) -> Result<(), Error> {
    if item.has_no_identifier() {
        return Err(Error::invalid_input(
            format!("items[{i}]"),
            "must name the item by at least one of code, ean, name or type",
        ));
    }
    let texts = [
        ("code", &item.code, CODE_MAX_CHARS),
        ("ean", &item.ean, EAN_MAX_CHARS),
        ("name", &item.name, NAME_MAX_CHARS),
    ];
    for (name, value, max) in texts {
        let Some(value) = value else { continue };
        let field = format!("items[{i}].{name}");
        if value.trim().is_empty() {
            return Err(Error::invalid_input(field, "must not be empty"));
        }
        let chars = value.chars().count();
        if chars > max {
            return Err(Error::invalid_input(
                field,
                format!("must be at most {max} characters (it has {chars})"),
            ));
        }
    }
    if let Some(q) = item.quantity {
        validate_quantity(&format!("items[{i}].quantity"), q)?;
    }
    Ok(())
}

/// Checks a cancel request without the network (what [`Canceller::check`] runs): a whole
/// cancel, or an item cancel naming at least one item whose selectors and quantities pass
/// [`validate_order_cancel`]; holds are not offered. Whether the application may be cancelled
/// and whether the items exist is read when sending.
///
/// [`Canceller::check`]: rescind_core::Canceller::check
pub fn check_request(request: &CancelRequest) -> Result<(), Error> {
    let checked = match &request.scope {
        Scope::Whole => Ok(()),
        Scope::Items(selectors) if selectors.is_empty() => Err(Error::invalid_input(
            "items",
            "must name at least one item (cancel the whole order with Scope::Whole)",
        )),
        Scope::Items(selectors) => validate_order_cancel(&OrderCancelRequest::items(
            selectors.iter().map(CancelItem::from).collect(),
        )),
        other => Err(Error::unsupported(Provider::SkipPay, other.as_str())),
    };
    checked.map_err(|e| e.with_provider(Provider::SkipPay))
}

/// A quantity is at least 1 with at most 3 decimal places (trailing zeros do not count:
/// `2.5000` is `2.5`).
pub fn validate_quantity(field: &str, quantity: Decimal) -> Result<(), Error> {
    if quantity < Decimal::ONE {
        return Err(Error::invalid_input(
            field,
            format!("must be at least 1 (it is {quantity})"),
        ));
    }
    if quantity.normalize().scale() > QUANTITY_MAX_DECIMALS {
        return Err(Error::invalid_input(
            field,
            format!("must have at most {QUANTITY_MAX_DECIMALS} decimal places (it is {quantity})"),
        ));
    }
    Ok(())
}

fn validate_currency(field: String, currency: &Currency) -> Result<(), Error> {
    if currency.is_unknown() {
        return Err(Error::invalid_input(
            field,
            format!("must be CZK or EUR (it is `{currency}`)"),
        ));
    }
    Ok(())
}

/// An amount is in minor units, not negative, in CZK or EUR.
pub fn validate_amount(field: &str, amount: &Amount) -> Result<(), Error> {
    if amount.amount.is_sign_negative() && !amount.amount.is_zero() {
        return Err(Error::invalid_input(
            format!("{field}.amount"),
            "must not be negative (minor units, 12590 is 125.90)",
        ));
    }
    validate_currency(format!("{field}.currency"), &amount.currency)
}

/// A VAT amount is an [amount](validate_amount) with a VAT rate of 0 or more.
pub fn validate_vat(field: &str, vat: &VatAmount) -> Result<(), Error> {
    if vat.amount.is_sign_negative() && !vat.amount.is_zero() {
        return Err(Error::invalid_input(
            format!("{field}.amount"),
            "must not be negative (minor units, 12590 is 125.90)",
        ));
    }
    validate_currency(format!("{field}.currency"), &vat.currency)?;
    if vat.vat_rate.is_sign_negative() && !vat.vat_rate.is_zero() {
        return Err(Error::invalid_input(
            format!("{field}.vatRate"),
            "must be 0 or more (15 is 15 %)",
        ));
    }
    Ok(())
}

/// A custom reason goes only with [`CancelReason::Other`] (or no reason, which Skip Pay reads
/// as `Other`).
pub fn validate_application_cancel(request: &ApplicationCancelRequest) -> Result<(), Error> {
    if request.custom_reason.is_some()
        && request
            .reason
            .as_ref()
            .is_some_and(|r| *r != CancelReason::Other)
    {
        return Err(Error::invalid_input(
            "customReason",
            "is only allowed with the reason APPLICATION_CANCELLED_OTHER",
        ));
    }
    Ok(())
}

/// Whether Skip Pay documents cancels for this financing type (both documented types are
/// supported; a type this version does not know is not).
pub fn financing_type_supported(financing_type: &FinancingType) -> bool {
    matches!(
        financing_type,
        FinancingType::DeferredPayment | FinancingType::PayInThree
    )
}

/// Whether order items can be marked cancelled in this application state: READY only.
pub fn order_cancel_allowed(state: &ApplicationState) -> bool {
    *state == ApplicationState::Ready
}

/// Whether an item is still open (not sent, delivered, returned or cancelled). An item whose
/// state this version does not know counts as open: Skip Pay decides.
pub fn item_is_open(item: &OrderItem) -> bool {
    !matches!(
        item.state,
        Some(
            OrderState::Sent | OrderState::Delivered | OrderState::Returned | OrderState::Cancelled
        )
    )
}

/// Whether `selector` names `item`: every identifier the selector gives must equal the item's.
pub fn item_matches(selector: &CancelItem, item: &OrderItem) -> bool {
    fn same<T: PartialEq>(want: &Option<T>, have: &Option<T>) -> bool {
        want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
    }
    !selector.has_no_identifier()
        && same(&selector.code, &item.code)
        && same(&selector.ean, &item.ean)
        && same(&selector.name, &item.name)
        && same(&selector.item_type, &item.item_type)
}

/// What a cancel of an application should do, decided from the application as read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// Mark the order's items cancelled (`PUT .../order/cancel`).
    CancelOrder,
    /// Cancel the application itself (`PUT .../cancel`): it is still PROCESSING.
    CancelApplication,
    /// Nothing to send: it is already cancelled. The text says why we think so.
    AlreadyCancelled(String),
}

fn refuse(reason: String) -> Error {
    Error::not_cancellable(Sent::NotSent, reason)
}

fn with_reason(app: &ApplicationResponse) -> String {
    match &app.state_reason {
        Some(r) => format!("{} ({r})", app.state),
        None => app.state.to_string(),
    }
}

/// Decides how to cancel `request` in `app`, or refuses with the reason (nothing is sent):
///
/// | application | whole order | some items |
/// |---|---|---|
/// | CANCELLED | already cancelled | already cancelled |
/// | REJECTED | refused | refused |
/// | PROCESSING (validation in progress) | refused, try later | refused |
/// | PROCESSING | application cancel | refused: only the whole application can be cancelled |
/// | READY, every item cancelled | already cancelled | already cancelled |
/// | READY, no open item | refused: use a return | refused: use a return |
/// | READY | order cancel | order cancel, if every selector names an item of the order |
///
/// A financing type other than DEFERRED_PAYMENT and PAY_IN_THREE is refused.
///
/// A refusal names the provider, the operation the cancel would have sent
/// (`cancel_application` for a PROCESSING application's whole cancel, else `cancel_order` or
/// `cancel_order_items`) and its reason ([`Error::reason`]): `rejected` (REJECTED),
/// `item_not_found` (a selector that matches no item), `quantity_too_large` (a quantity above
/// what is left), `not_cancellable` (any other state the table refuses). Source: reference
/// notes, Skip Pay section 2 ("Operations: paths, bodies, allowed states", "Which operation
/// to use when") and section 3 (`OrderItemsChangeRequest`).
pub fn plan(app: &ApplicationResponse, request: &OrderCancelRequest) -> Result<Plan, Error> {
    let operation = if request.is_whole() && app.state == ApplicationState::Processing {
        crate::request::CANCEL_APPLICATION
    } else {
        crate::request::order_cancel_operation(request)
    };
    plan_refusing(app, request).map_err(|e| {
        let reason = match e.reason() {
            Some(Refusal::NotCancellable) if app.state == ApplicationState::Rejected => {
                Refusal::Rejected
            }
            Some(r) => r,
            None => Refusal::NotCancellable,
        };
        e.with_reason(reason)
            .with_provider(Provider::SkipPay)
            .with_operation(operation)
    })
}

fn plan_refusing(app: &ApplicationResponse, request: &OrderCancelRequest) -> Result<Plan, Error> {
    if let Some(t) = &app.financing_type
        && !financing_type_supported(t)
    {
        return Err(refuse(format!(
            "Skip Pay documents cancels for DEFERRED_PAYMENT and PAY_IN_THREE only, and this application is {t}"
        )));
    }
    match &app.state {
        ApplicationState::Cancelled => Ok(Plan::AlreadyCancelled(format!(
            "the application is already {}",
            with_reason(app)
        ))),
        ApplicationState::Rejected => Err(refuse(format!(
            "the application is {}: there is no order to cancel",
            with_reason(app)
        ))),
        ApplicationState::Processing if !request.is_whole() => Err(refuse(format!(
            "the application is {}: items can be cancelled only once it is READY; only the whole application can be cancelled now",
            with_reason(app)
        ))),
        ApplicationState::Processing
            if app.state_reason == Some(StateReason::ProcessingValidationInProgress) =>
        {
            Err(refuse(format!(
                "the application is {}: Skip Pay does not cancel it during validation, try again later",
                with_reason(app)
            )))
        }
        ApplicationState::Processing => Ok(Plan::CancelApplication),
        ApplicationState::Ready => match &app.order {
            Some(order) => plan_ready_order(order, request),
            None => Ok(Plan::CancelOrder),
        },
        other => Err(refuse(format!(
            "the application is in state {other}, which this version does not know"
        ))),
    }
}

fn plan_ready_order(order: &Order, request: &OrderCancelRequest) -> Result<Plan, Error> {
    if order.is_cancelled() {
        return Ok(Plan::AlreadyCancelled(
            "every item of the order is already CANCELLED".into(),
        ));
    }
    if request.is_whole() {
        let open = if order.items.is_empty() {
            !matches!(
                order.state,
                Some(OrderState::Sent | OrderState::Delivered | OrderState::Returned)
            )
        } else {
            order.items.iter().any(item_is_open)
        };
        return if open {
            Ok(Plan::CancelOrder)
        } else {
            Err(refuse(
                "every item of the order is already sent, delivered, returned or cancelled: mark sent or delivered items as returned instead".into(),
            ))
        };
    }
    if order.items.is_empty() {
        // Nothing to check the selectors against: Skip Pay decides.
        return Ok(Plan::CancelOrder);
    }
    let mut already = 0;
    for (i, selector) in request.items.iter().enumerate() {
        let matched: Vec<&OrderItem> = order
            .items
            .iter()
            .filter(|item| item_matches(selector, item))
            .collect();
        if matched.is_empty() {
            return Err(Error::invalid_input(
                format!("items[{i}]"),
                "matches no item of the order (every identifier given must match exactly)",
            )
            .with_reason(Refusal::ItemNotFound));
        }
        let open: Vec<&&OrderItem> = matched.iter().filter(|m| item_is_open(m)).collect();
        if open.is_empty() {
            if matched
                .iter()
                .all(|m| m.state == Some(OrderState::Cancelled))
            {
                already += 1;
                continue;
            }
            let states: Vec<String> = matched
                .iter()
                .filter_map(|m| m.state.as_ref().map(ToString::to_string))
                .collect();
            return Err(refuse(format!(
                "items[{i}] is already {}: mark sent or delivered items as returned instead",
                states.join(", ")
            )));
        }
        if let Some(q) = selector.quantity {
            let available: Option<Decimal> = open
                .iter()
                .map(|m| m.quantity)
                // Quantities come from Skip Pay: a sum past `Decimal::MAX` is unknown (Skip
                // Pay decides), never a panic.
                .try_fold(Decimal::ZERO, |sum, q| q.and_then(|q| sum.checked_add(q)));
            if let Some(available) = available
                && q > available
            {
                return Err(Error::invalid_input(
                    format!("items[{i}].quantity"),
                    format!("must not exceed the quantity not yet cancelled ({available})"),
                )
                .with_reason(Refusal::QuantityTooLarge));
            }
        }
    }
    if already == request.items.len() {
        return Ok(Plan::AlreadyCancelled(
            "every item named is already CANCELLED".into(),
        ));
    }
    Ok(Plan::CancelOrder)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rescind_core::ErrorKind;

    use super::*;
    use crate::model::ItemType;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn check_request_refuses_the_documented_bad_quantities_before_sending() {
        use rescind_core::ItemSelector;
        let items =
            |q: &str| CancelRequest::items("A", vec![ItemSelector::by_code("C").quantity(dec(q))]);
        for ok in ["1", "2.5", "1.000", "3.125"] {
            check_request(&items(ok)).unwrap();
        }
        for bad in ["0", "-1", "0.001", "1.2345"] {
            let err = check_request(&items(bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(err.field(), Some("items[0].quantity"), "{bad}");
            assert_eq!(err.sent(), Sent::NotSent);
        }
        check_request(&CancelRequest::whole("A")).unwrap();
        assert!(check_request(&CancelRequest::items("A", vec![])).is_err());
        assert_eq!(
            check_request(&CancelRequest::hold("A", None))
                .unwrap_err()
                .kind(),
            ErrorKind::Unsupported
        );
    }

    fn item(code: &str, state: &str, quantity: Option<&str>) -> OrderItem {
        serde_json::from_value(serde_json::json!({
            "code": code, "ean": "888462064002", "name": code, "type": "PHYSICAL",
            "state": state, "quantity": quantity.map(|q| serde_json::Value::String(q.into())),
        }))
        .unwrap()
    }

    fn app(state: &str, reason: &str, items: Vec<OrderItem>) -> ApplicationResponse {
        let mut app: ApplicationResponse = serde_json::from_value(serde_json::json!({
            "id": "1", "state": state, "stateReason": reason, "type": "PAY_IN_THREE",
            "order": {"number": "AA234", "state": "PROCESSING"},
        }))
        .unwrap();
        if let Some(order) = app.order.as_mut() {
            order.items = items;
        }
        app
    }

    fn whole() -> OrderCancelRequest {
        OrderCancelRequest::whole()
    }

    fn some(items: Vec<CancelItem>) -> OrderCancelRequest {
        OrderCancelRequest::items(items)
    }

    #[test]
    fn quantities() {
        for ok in ["1", "1.000", "2.5", "1.125", "1000000", "2.5000"] {
            validate_quantity("q", dec(ok)).unwrap();
        }
        for bad in ["0", "0.999", "-1", "1.0001", "2.1255"] {
            let err = validate_quantity("q", dec(bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(err.sent(), Sent::NotSent);
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let ok = some(vec![CancelItem::by_name("ř".repeat(NAME_MAX_CHARS))]);
        validate_order_cancel(&ok).unwrap();
        let bad = some(vec![CancelItem::by_name("ř".repeat(NAME_MAX_CHARS + 1))]);
        assert_eq!(
            validate_order_cancel(&bad).unwrap_err().field(),
            Some("items[0].name")
        );
    }

    #[test]
    fn only_ready_allows_order_cancel_and_both_types_are_supported() {
        assert!(order_cancel_allowed(&ApplicationState::Ready));
        for s in ["PROCESSING", "REJECTED", "CANCELLED", "NEW"] {
            assert!(!order_cancel_allowed(&ApplicationState::from(s)), "{s}");
        }
        assert!(financing_type_supported(&FinancingType::DeferredPayment));
        assert!(financing_type_supported(&FinancingType::PayInThree));
        assert!(!financing_type_supported(&FinancingType::from("LEASING")));
    }

    #[test]
    fn every_identifier_given_must_match() {
        let it = item("A", "PROCESSING", None);
        assert!(item_matches(&CancelItem::by_code("A"), &it));
        assert!(item_matches(
            &CancelItem::by_code("A").ean("888462064002"),
            &it
        ));
        assert!(item_matches(&CancelItem::by_type(ItemType::Physical), &it));
        assert!(!item_matches(&CancelItem::by_code("A").ean("1"), &it));
        assert!(!item_matches(&CancelItem::by_code("a"), &it));
        assert!(!item_matches(
            &CancelItem::by_code("A").item_type(ItemType::Fee),
            &it
        ));
        assert!(!item_matches(&CancelItem::default(), &it));
    }

    #[test]
    fn plan_by_application_state() {
        let items = || vec![item("A", "PROCESSING", Some("2"))];
        let table: Vec<(&str, &str, OrderCancelRequest, Result<Plan, ErrorKind>)> = vec![
            ("READY", "READY_TO_SHIP", whole(), Ok(Plan::CancelOrder)),
            (
                "READY",
                "READY_TO_SHIP",
                some(vec![CancelItem::by_code("A")]),
                Ok(Plan::CancelOrder),
            ),
            (
                "PROCESSING",
                "PROCESSING_PREAPPROVED",
                whole(),
                Ok(Plan::CancelApplication),
            ),
            (
                "PROCESSING",
                "PROCESSING_PREAPPROVED",
                some(vec![CancelItem::by_code("A")]),
                Err(ErrorKind::NotCancellable),
            ),
            (
                "PROCESSING",
                "PROCESSING_VALIDATION_IN_PROGRESS",
                whole(),
                Err(ErrorKind::NotCancellable),
            ),
            (
                "REJECTED",
                "REJECTED",
                whole(),
                Err(ErrorKind::NotCancellable),
            ),
            (
                "SUSPENDED",
                "READY_TO_SHIP",
                whole(),
                Err(ErrorKind::NotCancellable),
            ),
        ];
        for (state, reason, request, expected) in table {
            let got = plan(&app(state, reason, items()), &request).map_err(|e| e.kind());
            assert_eq!(got, expected, "{state} {reason} {request:?}");
        }
        let cancelled = plan(&app("CANCELLED", "CANCELLED_RETURNED", items()), &whole()).unwrap();
        assert!(
            matches!(cancelled, Plan::AlreadyCancelled(ref n) if n.contains("CANCELLED_RETURNED"))
        );
    }

    #[test]
    fn quantities_too_large_to_add_up_do_not_panic() {
        let max = Decimal::MAX.to_string();
        let items = vec![
            item("A", "PROCESSING", Some(&max)),
            item("A", "PROCESSING", Some(&max)),
        ];
        let app = app("READY", "READY_SHIPPED", items);
        // The sum cannot be known: Skip Pay decides.
        let req = some(vec![CancelItem::by_code("A").quantity(dec("1"))]);
        assert_eq!(plan(&app, &req).unwrap(), Plan::CancelOrder);
    }

    #[test]
    fn plan_by_item_state() {
        let mixed = || {
            vec![
                item("A", "CANCELLED", Some("1")),
                item("B", "SENT", Some("1")),
                item("C", "PROCESSING", Some("2.5")),
                item("D", "NEWSTATE", None),
            ]
        };
        let ready = |items| app("READY", "READY_SHIPPED", items);
        let check = |items, req: OrderCancelRequest| plan(&ready(items), &req);
        assert_eq!(check(mixed(), whole()).unwrap(), Plan::CancelOrder);
        assert!(matches!(
            check(mixed(), some(vec![CancelItem::by_code("A")])).unwrap(),
            Plan::AlreadyCancelled(_)
        ));
        let err = check(mixed(), some(vec![CancelItem::by_code("B")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        assert!(err.to_string().contains("SENT"), "{err}");
        assert_eq!(
            check(
                mixed(),
                some(vec![CancelItem::by_code("C").quantity(dec("2.5"))])
            )
            .unwrap(),
            Plan::CancelOrder
        );
        let err = check(
            mixed(),
            some(vec![CancelItem::by_code("C").quantity(dec("2.501"))]),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("items[0].quantity"));
        // An item in a state this version does not know is left to Skip Pay.
        assert_eq!(
            check(mixed(), some(vec![CancelItem::by_code("D")])).unwrap(),
            Plan::CancelOrder
        );
        let err = check(
            mixed(),
            some(vec![CancelItem::by_code("C"), CancelItem::by_code("X")]),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("items[1]"));
        // Every item sent or delivered: the whole order is refused (use a return).
        let sent = vec![item("A", "SENT", None), item("B", "DELIVERED", None)];
        assert_eq!(
            check(sent, whole()).unwrap_err().kind(),
            ErrorKind::NotCancellable
        );
        // Every item cancelled: already cancelled.
        let done = vec![item("A", "CANCELLED", None)];
        assert!(matches!(
            check(done, whole()).unwrap(),
            Plan::AlreadyCancelled(_)
        ));
        // No items listed: Skip Pay decides.
        assert_eq!(
            check(vec![], some(vec![CancelItem::by_code("Q")])).unwrap(),
            Plan::CancelOrder
        );
    }

    #[test]
    fn unsupported_financing_type_is_refused() {
        let mut a = app("READY", "READY_TO_SHIP", vec![]);
        a.financing_type = Some(FinancingType::from("LEASING"));
        let err = plan(&a, &whole()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        assert!(err.to_string().contains("LEASING"));
    }
}
