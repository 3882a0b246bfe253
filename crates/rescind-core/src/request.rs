//! What to cancel or hold: [`CancelRequest`].

use jiff::civil::Date;
use rust_decimal::Decimal;

/// One cancel or hold, addressed to one target at one provider account.
///
/// ```
/// use rescind_core::{CancelRequest, ItemSelector, Scope};
/// use rust_decimal::Decimal;
///
/// // Cancel a whole order.
/// let whole = CancelRequest::whole("70724761617883184");
/// assert_eq!(whole.scope, Scope::Whole);
///
/// // Cancel 2 of the items with code "SKU-1".
/// let some = CancelRequest::items("APP-1", vec![ItemSelector::by_code("SKU-1").quantity(Decimal::from(2))]);
/// assert!(matches!(some.scope, Scope::Items(ref items) if items.len() == 1));
///
/// // Put a shipment on hold until a date.
/// let hold = CancelRequest::hold("b1b2c3", Some(jiff::civil::date(2026, 12, 1)));
/// assert!(matches!(hold.scope, Scope::Hold { until: Some(_) }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelRequest {
    /// The provider's id of the target: an Arta hosted session id or shipment id, a Di
    /// shipment number, a Skip Pay application id.
    pub target: String,
    /// What to do with it.
    pub scope: Scope,
}

impl CancelRequest {
    /// A request with a target and a scope.
    pub fn new(target: impl Into<String>, scope: Scope) -> Self {
        CancelRequest {
            target: target.into(),
            scope,
        }
    }

    /// Cancel the whole target.
    pub fn whole(target: impl Into<String>) -> Self {
        CancelRequest::new(target, Scope::Whole)
    }

    /// Cancel some items of the target.
    pub fn items(target: impl Into<String>, items: Vec<ItemSelector>) -> Self {
        CancelRequest::new(target, Scope::Items(items))
    }

    /// Hold the target, optionally until a date.
    pub fn hold(target: impl Into<String>, until: Option<Date>) -> Self {
        CancelRequest::new(target, Scope::Hold { until })
    }
}

/// What a [`CancelRequest`] does to its target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Cancel the whole target.
    Whole,
    /// Cancel only these items.
    Items(Vec<ItemSelector>),
    /// Put the target on hold (keep it from moving), until the date if given.
    Hold {
        /// The last day of the hold, if the caller names one.
        until: Option<Date>,
    },
}

impl Scope {
    /// A short lowercase name: `whole`, `items` or `hold`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Whole => "whole",
            Scope::Items(_) => "items",
            Scope::Hold { .. } => "hold",
        }
    }
}

/// Names one item of an order by one or more identifiers, with an optional quantity.
///
/// Where a provider matches items (Skip Pay), **every identifier given must match**: a selector
/// with a code and an EAN selects only the items with both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ItemSelector {
    /// The merchant's item code (SKU).
    pub code: Option<String>,
    /// The item's EAN.
    pub ean: Option<String>,
    /// The item's name.
    pub name: Option<String>,
    /// The item's type, as the provider names it (e.g. `PHYSICAL`).
    pub item_type: Option<String>,
    /// How many to cancel; all of them when absent.
    pub quantity: Option<Decimal>,
}

impl ItemSelector {
    /// A selector by item code.
    pub fn by_code(code: impl Into<String>) -> Self {
        ItemSelector {
            code: Some(code.into()),
            ..ItemSelector::default()
        }
    }

    /// Adds an EAN that must match too.
    pub fn ean(mut self, ean: impl Into<String>) -> Self {
        self.ean = Some(ean.into());
        self
    }

    /// Adds a name that must match too.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an item type that must match too.
    pub fn item_type(mut self, item_type: impl Into<String>) -> Self {
        self.item_type = Some(item_type.into());
        self
    }

    /// Cancels only this many.
    pub fn quantity(mut self, quantity: Decimal) -> Self {
        self.quantity = Some(quantity);
        self
    }

    /// Whether no identifier is set.
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.ean.is_none() && self.name.is_none() && self.item_type.is_none()
    }
}

impl std::str::FromStr for ItemSelector {
    type Err = crate::Error;

    /// Reads `code=..,ean=..,name=..,type=..,quantity=..` (any subset with at least one
    /// identifier; spaces around parts are ignored), the form the CLI's `--item` and bulk files
    /// use. The error names the field `item` and the rule broken.
    ///
    /// ```
    /// use rescind_core::ItemSelector;
    ///
    /// let s: ItemSelector = "code=SKU-1, quantity=2.5".parse().unwrap();
    /// assert_eq!(s, ItemSelector::by_code("SKU-1").quantity("2.5".parse().unwrap()));
    /// assert!("quantity=2".parse::<ItemSelector>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        use crate::Error;
        let mut selector = ItemSelector::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                Error::invalid_input("item", format!("`{part}` must be key=value"))
            })?;
            let value = value.trim().to_string();
            match key.trim() {
                "code" => selector.code = Some(value),
                "ean" => selector.ean = Some(value),
                "name" => selector.name = Some(value),
                "type" => selector.item_type = Some(value),
                "quantity" => {
                    let q: Decimal = value.parse().map_err(|_| {
                        Error::invalid_input(
                            "item",
                            format!("quantity `{value}` is not a decimal number"),
                        )
                    })?;
                    selector.quantity = Some(q);
                }
                other => {
                    return Err(Error::invalid_input(
                        "item",
                        format!("`{other}` is not one of code, ean, name, type, quantity"),
                    ));
                }
            }
        }
        if selector.is_empty() {
            return Err(Error::invalid_input(
                "item",
                "needs at least one of code, ean, name, type",
            ));
        }
        Ok(selector)
    }
}
