//! What a Skip Pay cancel returns: [`SkipPayCancel`], the one native type of every Skip Pay
//! [`CancelOutcome`].

use rescind_core::CancelOutcome;

use super::{ApplicationResponse, Order};

/// The native response of every Skip Pay [`CancelOutcome`], whatever path the cancel took:
/// take it with [`SkipPayCancel::of`].
///
/// | path | `application` | `order` |
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
/// Both are boxed: an order or an application is about 1.4 KB, and the payload moves from the
/// cancel into its outcome; a box moves as a pointer (bench `calls`: the copies were a
/// measured part of a Skip Pay cancel's time).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SkipPayCancel {
    /// The application, when the path read it or Skip Pay answered it.
    pub application: Option<Box<ApplicationResponse>>,
    /// The order Skip Pay answered to an order cancel.
    pub order: Option<Box<Order>>,
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
            order: Some(order.into()),
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

    /// The order: the one Skip Pay answered, else the application's.
    pub fn order_view(&self) -> Option<&Order> {
        self.order
            .as_deref()
            .or_else(|| self.application.as_ref()?.order.as_ref())
    }
}
