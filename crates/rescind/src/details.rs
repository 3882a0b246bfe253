//! What a cancel returned at its provider, typed: [`Details`], over the three providers' one
//! payload type each, without a downcast in the caller's code.

use rescind_core::CancelOutcome;

/// The provider's payload of a [`CancelOutcome`], typed (one variant per provider feature).
///
/// Each provider attaches exactly one documented type to every outcome of its
/// [`Canceller`](crate::Canceller), whatever path the cancel took:
/// [`ArtaCancel`](rescind_arta::ArtaCancel) (the hosted session, or the hold's exception),
/// [`DiCancel`](rescind_di::DiCancel) (the order's details, and Di's answer when it sent one),
/// [`SkipPayCancel`](rescind_skippay::SkipPayCancel) (the application and/or the order Skip Pay
/// answered). Their docs list which path fills which field.
///
/// ```
/// use rescind::{CancelOutcome, CancelStatus, Details, Provider};
///
/// fn describe(outcome: &CancelOutcome) -> String {
///     match Details::of(outcome) {
///         Some(Details::Di(di)) => match &di.details {
///             Some(order) => format!("Di order {}", order.shipment_id),
///             None => "Di order (sent first, not read)".to_string(),
///         },
///         Some(Details::Arta(arta)) => match arta.session() {
///             Some(session) => format!("Arta session {}", session.id),
///             None => "Arta hold".to_string(),
///         },
///         Some(Details::SkipPay(sp)) => format!("Skip Pay, order known: {}", sp.order_view().is_some()),
///         Some(_) | None => "no payload".to_string(),
///     }
/// }
/// let bare = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled);
/// assert_eq!(describe(&bare), "no payload");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Details<'a> {
    /// Arta's payload (feature `arta`).
    #[cfg(feature = "arta")]
    Arta(&'a rescind_arta::ArtaCancel),
    /// Di's payload (feature `di`).
    #[cfg(feature = "di")]
    Di(&'a rescind_di::DiCancel),
    /// Skip Pay's payload (feature `skippay`).
    #[cfg(feature = "skippay")]
    SkipPay(&'a rescind_skippay::SkipPayCancel),
}

impl<'a> Details<'a> {
    /// The payload of `outcome`, by its provider; `None` when the outcome carries none (an
    /// outcome built by another [`Canceller`](crate::Canceller)) or its provider's feature is
    /// off.
    pub fn of(outcome: &'a CancelOutcome) -> Option<Details<'a>> {
        use rescind_core::Provider;
        match outcome.provider {
            #[cfg(feature = "arta")]
            Provider::Arta => rescind_arta::ArtaCancel::of(outcome).map(Details::Arta),
            #[cfg(feature = "di")]
            Provider::Di => rescind_di::DiCancel::of(outcome).map(Details::Di),
            #[cfg(feature = "skippay")]
            Provider::SkipPay => rescind_skippay::SkipPayCancel::of(outcome).map(Details::SkipPay),
            _ => None,
        }
    }

    /// The provider whose payload this is.
    pub fn provider(&self) -> rescind_core::Provider {
        match self {
            #[cfg(feature = "arta")]
            Details::Arta(_) => rescind_core::Provider::Arta,
            #[cfg(feature = "di")]
            Details::Di(_) => rescind_core::Provider::Di,
            #[cfg(feature = "skippay")]
            Details::SkipPay(_) => rescind_core::Provider::SkipPay,
        }
    }
}

#[cfg(all(test, feature = "arta", feature = "di", feature = "skippay"))]
mod tests {
    use super::*;
    use rescind_core::{CancelStatus, Provider};

    #[test]
    fn each_provider_payload_is_its_variant_and_a_foreign_one_is_none() {
        let sp = CancelOutcome::new(Provider::SkipPay, "a", CancelStatus::AlreadyCancelled)
            .with_native(rescind_skippay::SkipPayCancel::default());
        assert!(matches!(Details::of(&sp), Some(Details::SkipPay(p)) if p.application().is_none()));
        assert_eq!(Details::of(&sp).unwrap().provider(), Provider::SkipPay);
        // Another type under a provider's name is no payload of that provider.
        let odd = CancelOutcome::new(Provider::Arta, "a", CancelStatus::Cancelled)
            .with_native(rescind_skippay::SkipPayCancel::default());
        assert_eq!(Details::of(&odd), None);
        let bare = CancelOutcome::new(Provider::Di, "1", CancelStatus::Cancelled);
        assert_eq!(Details::of(&bare), None);
    }
}
