//! What a whole-order cancel reads of its answer (`OrderExtendedResponse`) before deciding:
//! [`OrderProof`], read without decoding the rest of the order, and the application the
//! answer names ([`NamedApplication`]).
//!
//! Why: the typed decode of the whole answer (amounts, dates, addresses, documents) was most
//! of what a Skip Pay cancel cost beyond bare reqwest (bench `calls`, BENCHMARKS.md "Session
//! 8"). The whole [`Order`](super::Order) is decoded from the kept answer when it is asked
//! for ([`SkipPayCancel::order`](super::SkipPayCancel::order)).
//!
//! The proof refuses what the order reader refuses, so that a cancel's outcome is the one the
//! whole read would give: the needed fields read by the same rules as in
//! [`OrderItem`](super::OrderItem) and [`Order`](super::Order) ([`Tolerant::NEEDED`]), and a
//! field the model knows given twice (at the order's level or an item's) is refused here as
//! there. The one difference is documented on [`SkipPayCancel::order`](super::SkipPayCancel::order):
//! more unreadable fields than the tolerant reader skips.
//!
//! [`Tolerant::NEEDED`]: rescind_core::wire::Tolerant::NEEDED

use std::fmt;

use rescind_core::rust_decimal::Decimal;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::application::{ApplicationInfo, ApplicationState};
use super::common::ItemType;
use super::order::{OrderState, item_counts, reads_cancelled};
use rescind_core::wire::{null_as_default, tolerant};

/// The fields of an order answer a whole cancel decides on: the order's `state`, its items'
/// needed fields and `applicationInfo`. The fields the model knows and the cancel does not
/// read are named (as [`IgnoredAny`]) only so that one given twice is refused, as the order
/// reader refuses it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Fields named only so that one given twice is refused.
pub(crate) struct OrderProof {
    pub(crate) state: Option<OrderState>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) items: Vec<ItemProof>,
    #[serde(default)]
    application_info: Option<Box<RawValue>>,
    // Known to `Order`, not read here.
    number: Option<IgnoredAny>,
    variable_symbols: Option<IgnoredAny>,
    total_price: Option<IgnoredAny>,
    total_vat: Option<IgnoredAny>,
    addresses: Option<IgnoredAny>,
    delivery_type: Option<IgnoredAny>,
    delivery_carrier: Option<IgnoredAny>,
    channel: Option<IgnoredAny>,
    reservation_date: Option<IgnoredAny>,
    delivery_date: Option<IgnoredAny>,
    delivery_tracking_number: Option<IgnoredAny>,
    sent_date: Option<IgnoredAny>,
    documents: Option<IgnoredAny>,
    merchant_id: Option<IgnoredAny>,
}

/// The needed fields of one item (`code`, `ean`, `name`, `type`, `state`, `quantity`), read by
/// the rules of [`OrderItem`](super::OrderItem); the texts are checked, not kept. The fields
/// are declared in `OrderItem`'s order, with its defaults: an item given as a JSON list is
/// read by position, and must read as the order reader reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Fields read (checked) or named only so that one given twice is refused.
pub(crate) struct ItemProof {
    code: Option<Text>,
    ean: Option<Text>,
    name: Option<Text>,
    #[serde(rename = "type")]
    item_type: Option<ItemType>,
    variant: Option<IgnoredAny>,
    description: Option<IgnoredAny>,
    producer: Option<IgnoredAny>,
    categories: Option<IgnoredAny>,
    total_price: Option<IgnoredAny>,
    total_vat: Option<IgnoredAny>,
    product_url: Option<IgnoredAny>,
    pub(crate) state: Option<OrderState>,
    #[serde(default)]
    sent_date: Option<IgnoredAny>,
    #[serde(default)]
    delivery_date: Option<IgnoredAny>,
    delivery_tracking_number: Option<IgnoredAny>,
    image: Option<IgnoredAny>,
    unit_price: Option<IgnoredAny>,
    unit_vat: Option<IgnoredAny>,
    #[serde(default, with = "rescind_core::wire::decimal::option")]
    quantity: Option<Decimal>,
}

impl OrderProof {
    /// Reads the proof of an answer body: a UTF-8 JSON object (the order reader refuses other
    /// bytes, even inside a field it skips) whose `state` is set and whose `items` are not
    /// empty. `None` leaves the body to the order reader.
    pub(crate) fn read(body: &[u8]) -> Option<OrderProof> {
        if !rescind_core::decode::is_object(body) {
            return None;
        }
        std::str::from_utf8(body).ok()?;
        serde_json::from_slice::<OrderProof>(body)
            .ok()
            .filter(|proof| proof.state.is_some() && !proof.items.is_empty())
    }

    /// Whether the order reads cancelled as a whole: its application (when `applicationInfo`
    /// reads whole, as the order reader would keep it), or the order itself
    /// ([`Order::is_cancelled`](super::Order::is_cancelled)).
    pub(crate) fn reads_cancelled(&self) -> bool {
        let app_cancelled = self
            .application_info()
            .is_some_and(|i| i.state == ApplicationState::Cancelled);
        app_cancelled
            || reads_cancelled(
                self.state.as_ref(),
                self.items.iter().map(|i| i.state.as_ref()),
            )
    }

    /// [`Order::item_counts`](super::Order::item_counts), of the proof.
    pub(crate) fn item_counts(&self) -> (usize, usize) {
        item_counts(self.items.iter().map(|i| i.state.as_ref()))
    }

    /// `applicationInfo` as the order reader reads it: its fields that do not read are
    /// skipped (an unreadable `stateReason` leaves the state), and it is skipped whole when
    /// its `id` or `state` does not read.
    pub(crate) fn application_info(&self) -> Option<ApplicationInfo> {
        let raw = self.application_info.as_deref()?.get();
        tolerant::decode_with::<Option<ApplicationInfo>>(raw.as_bytes(), &[])
            .ok()?
            .0
    }

    /// The application the answer names.
    pub(crate) fn named_application(&self) -> NamedApplication {
        self.application_info
            .as_deref()
            .map_or(NamedApplication::None, NamedApplication::of)
    }
}

/// The application an order answer names by `applicationInfo.id`, read on its own: an
/// `applicationInfo` whose other fields do not read (and which the order reader skips whole)
/// still names its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamedApplication {
    /// No `applicationInfo`, one that is neither an object nor a list, or one without an id
    /// (absent, `null`, an empty list).
    None,
    /// One `id`, a text.
    One(String),
    /// An id that cannot be told: given twice, or not a text (Skip Pay's document types it
    /// as a string), or one the reader cannot hold (`1e400`, nested too deep). Which
    /// application the answer is about is not known.
    Unclear,
}

impl NamedApplication {
    /// The application `applicationInfo` (its raw JSON) names: none unless it is an object
    /// or a list (the order reader skips anything else). A value the reader refuses (too
    /// deep, a number out of range) leaves the id unclear.
    pub(crate) fn of(info: &RawValue) -> NamedApplication {
        if !matches!(info.get().as_bytes().first(), Some(b'{' | b'[')) {
            return NamedApplication::None;
        }
        serde_json::from_str::<NamedApplication>(info.get()).unwrap_or(NamedApplication::Unclear)
    }

    /// The application a whole answer body names (the order reader's path: the body did not
    /// read as an [`OrderProof`]). A body without `applicationInfo` names none; one whose
    /// `applicationInfo` cannot be found (the body does not read) leaves it unclear, which
    /// only matters if the order reader took the body.
    pub(crate) fn in_body(body: &[u8]) -> NamedApplication {
        #[derive(Deserialize)]
        struct Body {
            #[serde(rename = "applicationInfo")]
            application_info: Option<Box<RawValue>>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(Body {
                application_info: Some(info),
            }) => NamedApplication::of(&info),
            Ok(Body {
                application_info: None,
            }) => NamedApplication::None,
            Err(_) => NamedApplication::Unclear,
        }
    }

    /// What an id value names: a text names it, `null` none, anything else is unclear (a
    /// value `serde_json::Value` cannot hold fails the read, which is unclear too).
    fn id(value: serde_json::Value) -> NamedApplication {
        match value {
            serde_json::Value::String(id) => NamedApplication::One(id),
            serde_json::Value::Null => NamedApplication::None,
            _ => NamedApplication::Unclear,
        }
    }
}

impl<'de> Deserialize<'de> for NamedApplication {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedVisitor;
        impl<'de> Visitor<'de> for NamedVisitor {
            type Value = NamedApplication;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or a list")
            }
            /// A list reads as an `ApplicationInfo` by position: its first element is the id.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let named = match seq.next_element::<serde_json::Value>()? {
                    Some(id) => NamedApplication::id(id),
                    None => NamedApplication::None,
                };
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(named)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut ids = 0;
                let mut named = NamedApplication::None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key != "id" {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    ids += 1;
                    named = NamedApplication::id(map.next_value()?);
                }
                Ok(if ids > 1 {
                    NamedApplication::Unclear
                } else {
                    named
                })
            }
        }
        deserializer.deserialize_any(NamedVisitor)
    }
}

/// A JSON string (escapes and all), read and not kept: what `Option<String>` accepts.
#[derive(Debug, Clone, Copy)]
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}
