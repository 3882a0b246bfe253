//! Which provider a client talks to, and what it can do.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A provider rescind can cancel or hold at.
///
/// Serialized (serde) as its [`id`](Provider::id): `arta`, `di`, `skippay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Provider {
    /// Arta, art logistics: hosted sessions and shipment holds.
    Arta,
    /// Di (Distribution Innovation), Norwegian parcel distribution: booked orders.
    Di,
    /// Skip Pay, Czech buy-now-pay-later: orders and their items.
    SkipPay,
}

impl Provider {
    /// Every provider, in a stable order.
    pub const ALL: [Provider; 3] = [Provider::Arta, Provider::Di, Provider::SkipPay];

    /// The provider's name as people write it (`Arta`, `Di`, `Skip Pay`).
    pub fn name(self) -> &'static str {
        match self {
            Provider::Arta => "Arta",
            Provider::Di => "Di",
            Provider::SkipPay => "Skip Pay",
        }
    }

    /// A short lowercase id for configuration and machine output (`arta`, `di`, `skippay`).
    pub fn id(self) -> &'static str {
        match self {
            Provider::Arta => "arta",
            Provider::Di => "di",
            Provider::SkipPay => "skippay",
        }
    }

    /// The provider whose [`id`](Provider::id) is `id`.
    pub fn from_id(id: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.id() == id)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a provider's [`Canceller`](crate::Canceller) can do. Asking for anything else is an
/// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) error, before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// Cancel a whole target (an order, a session).
    pub whole: bool,
    /// Cancel some items of an order.
    pub items: bool,
    /// Put a shipment on hold.
    pub hold: bool,
}

impl Capabilities {
    /// No capability; add them with the `with_*` methods.
    pub const NONE: Capabilities = Capabilities {
        whole: false,
        items: false,
        hold: false,
    };

    /// Adds whole cancels.
    pub const fn with_whole(mut self) -> Self {
        self.whole = true;
        self
    }

    /// Adds item cancels.
    pub const fn with_items(mut self) -> Self {
        self.items = true;
        self
    }

    /// Adds holds.
    pub const fn with_hold(mut self) -> Self {
        self.hold = true;
        self
    }

    /// Whether `scope` is one of these capabilities.
    pub fn supports(&self, scope: &crate::Scope) -> bool {
        match scope {
            crate::Scope::Whole => self.whole,
            crate::Scope::Items(_) => self.items,
            crate::Scope::Hold { .. } => self.hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_id(p.id()), Some(p));
        }
        assert_eq!(Provider::from_id("ups"), None);
        for p in Provider::ALL {
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, p.id());
            assert_eq!(serde_json::from_value::<Provider>(json).unwrap(), p);
        }
        assert!(serde_json::from_value::<Provider>(serde_json::json!("ups")).is_err());
    }

    #[test]
    fn supports_matches_scope() {
        let caps = Capabilities::NONE.with_whole().with_hold();
        assert!(caps.supports(&crate::Scope::Whole));
        assert!(caps.supports(&crate::Scope::Hold { until: None }));
        assert!(!caps.supports(&crate::Scope::Items(vec![])));
    }
}
