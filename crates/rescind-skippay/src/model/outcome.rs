//! What a Skip Pay cancel returns: [`SkipPayCancel`], the one native type of every Skip Pay
//! [`CancelOutcome`].

use std::fmt;
use std::sync::OnceLock;

use rescind_core::CancelOutcome;
use rescind_core::bytes::Bytes;
use rescind_core::wire::tolerant;

use super::{ApplicationResponse, Order, OrderProof};

/// The native response of every Skip Pay [`CancelOutcome`], whatever path the cancel took:
/// take it with [`SkipPayCancel::of`].
///
/// | path | [`application`](SkipPayCancel::application) | [`order`](SkipPayCancel::order) |
/// |---|---|---|
/// | already cancelled (the application read first shows it) | the application as read | `None` |
/// | order cancel answered (`PUT .../order/cancel`, 200 `OrderExtendedResponse`) | `None` | the order Skip Pay answered |
/// | order cancel settled by reading back | the application read back | `None` |
/// | application cancel answered (`PUT .../cancel`, 200 `ApplicationResponse`) | the application answered | `None` |
/// | application cancel settled by reading back | the application read back | `None` |
/// | application cancel answered `APPLICATION_ALREADY_CANCELLED` | `None` | `None` (Skip Pay's refusal carries no application) |
///
/// [`SkipPayCancel::order_view`] gives the order whichever way it came (the answer, or the
/// application's own `order`).
///
/// The order Skip Pay answered is kept as it came and decoded on first use: the cancel
/// decides on its state, its items' states and its application (read at once, by the same
/// rules as [`Order`]), and decoding the rest (amounts, dates, addresses, documents) was most
/// of what a cancel cost beyond bare reqwest (bench `calls`, BENCHMARKS.md "Session 8").
/// The application is boxed: it is about 1.4 KB, and a box moves as a pointer.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct SkipPayCancel {
    application: Option<Box<ApplicationResponse>>,
    order: Option<AnsweredOrder>,
}

impl SkipPayCancel {
    /// The payload of a path that has the application.
    pub fn from_application(application: impl Into<Box<ApplicationResponse>>) -> Self {
        SkipPayCancel {
            application: Some(application.into()),
            order: None,
        }
    }

    /// The payload of an order cancel's answer.
    pub fn from_order(order: impl Into<Box<Order>>) -> Self {
        SkipPayCancel {
            application: None,
            order: Some(AnsweredOrder::Decoded(order.into())),
        }
    }

    /// The payload of an order cancel's answer, kept as it came (see the type's docs).
    pub(crate) fn from_answered(order: AnsweredOrder) -> Self {
        SkipPayCancel {
            application: None,
            order: Some(order),
        }
    }

    /// The Skip Pay payload of `outcome`; `None` when the outcome is not Skip Pay's.
    ///
    /// ```
    /// use rescind_core::{CancelOutcome, CancelStatus, Provider};
    /// use rescind_skippay::SkipPayCancel;
    ///
    /// let other = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled);
    /// assert!(SkipPayCancel::of(&other).is_none());
    /// ```
    pub fn of(outcome: &CancelOutcome) -> Option<&SkipPayCancel> {
        outcome.native::<SkipPayCancel>()
    }

    /// The application, when the path read it or Skip Pay answered it.
    pub fn application(&self) -> Option<&ApplicationResponse> {
        self.application.as_deref()
    }

    /// The order Skip Pay answered to an order cancel, decoded from its answer on the first
    /// call (the answer is read as [`Order`] by the tolerant reader: fields no cancel needs
    /// that do not read are skipped and listed by [`Order::skipped`]).
    ///
    /// `None` on the paths without an order answer (see the table above), and for an answer
    /// whose fields the cancel decided on read but whose other fields do not read as an order
    /// even by the tolerant reader (more unreadable fields than it skips): the outcome stands
    /// on the fields that read.
    pub fn order(&self) -> Option<&Order> {
        self.order.as_ref()?.order()
    }

    /// The order: the one Skip Pay answered, else the application's.
    pub fn order_view(&self) -> Option<&Order> {
        self.order()
            .or_else(|| self.application.as_ref()?.order.as_ref())
    }
}

impl PartialEq for SkipPayCancel {
    /// The same application and the same order; two answers kept whose orders do not read
    /// are equal when their bodies are.
    fn eq(&self, other: &Self) -> bool {
        self.application == other.application
            && self.order.is_some() == other.order.is_some()
            && self.order() == other.order()
            && (self.order().is_some() || self.unreadable_body() == other.unreadable_body())
    }
}

impl Eq for SkipPayCancel {}

impl fmt::Debug for SkipPayCancel {
    /// The application and the order, the order decoded if it was kept (an answer whose
    /// order does not read shows its length).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("SkipPayCancel");
        out.field("application", &self.application);
        match self.unreadable_body() {
            Some(body) => out.field(
                "order",
                &format_args!(
                    "the answer ({} bytes) does not read as an order",
                    body.len()
                ),
            ),
            None => out.field("order", &self.order()),
        };
        out.finish()
    }
}

impl SkipPayCancel {
    /// The body of a kept answer whose whole order does not read.
    fn unreadable_body(&self) -> Option<&Bytes> {
        match &self.order {
            Some(AnsweredOrder::Kept { body, .. }) if self.order().is_none() => Some(body),
            _ => None,
        }
    }
}

/// An order Skip Pay answered to an order cancel: decoded, or kept as it came with the
/// fields the cancel decides on ([`OrderProof`]), the whole [`Order`] decoded on first use.
#[derive(Clone)]
pub(crate) enum AnsweredOrder {
    /// Decoded whole (an answer that needed the tolerant reader's two passes).
    Decoded(Box<Order>),
    /// Kept as it came.
    Kept {
        /// The fields the cancel decides on.
        proof: Box<OrderProof>,
        /// The answer's body.
        body: Bytes,
        /// The whole order, once decoded (`None` inside: it did not read).
        order: OnceLock<Option<Box<Order>>>,
    },
}

impl AnsweredOrder {
    /// The answer kept as it came, with its proof.
    pub(crate) fn kept(proof: OrderProof, body: Bytes) -> Self {
        AnsweredOrder::Kept {
            proof: Box::new(proof),
            body,
            order: OnceLock::new(),
        }
    }

    /// The whole order (decoded on the first call when kept).
    pub(crate) fn order(&self) -> Option<&Order> {
        match self {
            AnsweredOrder::Decoded(order) => Some(order),
            AnsweredOrder::Kept { body, order, .. } => order
                .get_or_init(|| tolerant::decode::<Order>(body).ok().map(Box::new))
                .as_deref(),
        }
    }

    /// Whether the order reads cancelled as a whole: its application, or the order itself
    /// ([`Order::is_cancelled`]).
    pub(crate) fn reads_cancelled(&self) -> bool {
        match self {
            AnsweredOrder::Decoded(order) => order.reads_cancelled(),
            AnsweredOrder::Kept { proof, .. } => proof.reads_cancelled(),
        }
    }

    /// [`Order::item_counts`].
    pub(crate) fn item_counts(&self) -> (usize, usize) {
        match self {
            AnsweredOrder::Decoded(order) => order.item_counts(),
            AnsweredOrder::Kept { proof, .. } => proof.item_counts(),
        }
    }
}
