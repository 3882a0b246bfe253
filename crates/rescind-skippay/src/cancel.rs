//! The core [`Canceller`] for Skip Pay: whole orders and some items; holds are unsupported.
//!
//! The target is the application id. The application is read first and the documented rules
//! ([`rules::plan`]) decide: an application already CANCELLED is reported as
//! [`CancelStatus::AlreadyCancelled`]; one still PROCESSING is cancelled as an application
//! (order cancel is not available then); a REJECTED one is refused with its reason, before
//! anything is sent; a READY one gets an order cancel (`{}` for the whole order).
//!
//! [`Canceller::observe`] reads the application (`GET /financing/v1/applications/{id}`): its
//! state, cancelled when the application is CANCELLED or its order is, and for an item scope
//! every item each selector matches (as the cancel would match it), with its quantity and
//! whether it is CANCELLED. A quantity cancel lowers the item's quantity, so the quantities are
//! the fingerprint that tells a cancel applied from one not applied.

use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    Observation, ObservedItem, Provider, Scope, Sent, async_trait,
};

use crate::client::Client;
use crate::model::{ApplicationState, CancelItem, Order, OrderCancelRequest, OrderState};
use crate::rules::{self, Plan};

/// The outcome an order cancel's answer describes: cancelled when the order or every item is
/// CANCELLED, partially cancelled otherwise (with counts of items).
pub fn status_of_order(order: &Order) -> CancelStatus {
    if order.is_cancelled() {
        CancelStatus::Cancelled
    } else {
        let (cancelled, remaining) = order.item_counts();
        CancelStatus::PartiallyCancelled {
            cancelled_items: Some(cancelled),
            remaining_items: Some(remaining),
        }
    }
}

#[async_trait]
impl Canceller for Client {
    fn provider(&self) -> Provider {
        Provider::SkipPay
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole().with_items()
    }

    async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
        let order_request = match &request.scope {
            Scope::Whole => OrderCancelRequest::whole(),
            Scope::Items(selectors) if selectors.is_empty() => {
                return Err(Error::invalid_input(
                    "items",
                    "must name at least one item (cancel the whole order with Scope::Whole)",
                ));
            }
            Scope::Items(selectors) => {
                OrderCancelRequest::items(selectors.iter().map(CancelItem::from).collect())
            }
            other => {
                return Err(Error::unsupported(Provider::SkipPay, other.as_str()));
            }
        };
        // Check the input before reading anything.
        rules::validate_order_cancel(&order_request)?;
        let target = request.target;
        let app = self.get_application(&target).await?;
        match rules::plan(&app, &order_request)? {
            Plan::AlreadyCancelled(note) => {
                Ok(
                    CancelOutcome::new(Provider::SkipPay, target, CancelStatus::AlreadyCancelled)
                        .with_note(note)
                        .with_native(app),
                )
            }
            Plan::CancelOrder => match self.cancel_order_items(&target, &order_request).await {
                Ok(order) => {
                    Ok(
                        CancelOutcome::new(Provider::SkipPay, target, status_of_order(&order))
                            .with_native(order),
                    )
                }
                Err(err) if err.sent() == Sent::MaybeSent && !order_request.has_quantities() => {
                    self.settle_by_reading(target, &order_request, err).await
                }
                Err(err) => Err(err),
            },
            Plan::CancelApplication => {
                match self
                    .cancel_application_with(&target, &self.canceller_reason)
                    .await
                {
                    Ok(app) if app.state == ApplicationState::Cancelled => Ok(CancelOutcome::new(
                        Provider::SkipPay,
                        target,
                        CancelStatus::Cancelled,
                    )
                    .with_note("the application was PROCESSING: cancelled as a whole")
                    .with_native(app)),
                    Ok(app) => Err(Error::new(
                        ErrorKind::UnexpectedResponse,
                        Sent::Answered,
                        format!(
                            "Skip Pay accepted the application cancel but reports the application {}",
                            app.state
                        ),
                    )
                    .with_provider(Provider::SkipPay)
                    .with_operation(crate::request::CANCEL_APPLICATION)),
                    // A retry after a lost answer finds our own cancel done.
                    Err(err) if err.code() == Some("APPLICATION_ALREADY_CANCELLED") => {
                        let status = if err.sent() == Sent::MaybeSent {
                            CancelStatus::Cancelled
                        } else {
                            CancelStatus::AlreadyCancelled
                        };
                        Ok(CancelOutcome::new(Provider::SkipPay, target, status)
                            .with_request_id_opt(err.request_id().map(str::to_owned))
                            .with_note(err.to_string()))
                    }
                    Err(err) => Err(err),
                }
            }
        }
    }

    fn check(&self, request: &CancelRequest) -> Result<(), Error> {
        rules::check_request(request)
    }

    async fn observe(&self, request: &CancelRequest) -> Result<Observation, Error> {
        self.observe_application(request).await
    }
}

impl Client {
    async fn observe_application(&self, request: &CancelRequest) -> Result<Observation, Error> {
        let selectors: Vec<CancelItem> = match &request.scope {
            Scope::Whole => Vec::new(),
            Scope::Items(selectors) => selectors.iter().map(CancelItem::from).collect(),
            other => {
                return Err(Error::unsupported(
                    Provider::SkipPay,
                    format!("reading back the `{}` scope", other.as_str()),
                ));
            }
        };
        let app = self.get_application(&request.target).await?;
        let order_cancelled = app.order.as_ref().is_some_and(Order::is_cancelled);
        let mut seen = Observation::new(&request.target, app.state.to_string())
            .cancelled(app.state == ApplicationState::Cancelled || order_cancelled);
        let items = app
            .order
            .as_ref()
            .map(|o| o.items.as_slice())
            .unwrap_or_default();
        for (index, selector) in selectors.iter().enumerate() {
            for item in items
                .iter()
                .filter(|item| rules::item_matches(selector, item))
            {
                let label = item
                    .code
                    .clone()
                    .or_else(|| item.ean.clone())
                    .or_else(|| item.name.clone())
                    .unwrap_or_default();
                seen = seen.item(ObservedItem::new(
                    index,
                    label,
                    item.quantity,
                    item.state == Some(OrderState::Cancelled),
                ));
            }
        }
        Ok(seen)
    }

    /// A cancel without quantities may have been applied but no answer says so: read the
    /// order back. If every item it named (every item, for the whole order) is now CANCELLED,
    /// the cancel happened; otherwise the original error stands.
    async fn settle_by_reading(
        &self,
        target: String,
        request: &OrderCancelRequest,
        err: Error,
    ) -> Result<CancelOutcome, Error> {
        let Ok(app) = self.get_application(&target).await else {
            return Err(err);
        };
        let Some(order) = app.order else {
            return Err(err);
        };
        let named_cancelled = if request.is_whole() {
            order.is_cancelled()
        } else {
            request.items.iter().all(|selector| {
                let mut matched = order
                    .items
                    .iter()
                    .filter(|item| rules::item_matches(selector, item))
                    .peekable();
                matched.peek().is_some()
                    && matched.all(|item| item.state == Some(OrderState::Cancelled))
            })
        };
        if !named_cancelled {
            return Err(err);
        }
        Ok(
            CancelOutcome::new(Provider::SkipPay, target, status_of_order(&order))
                .with_note(format!(
                    "no answer came ({}); the order read back shows the items cancelled",
                    err.message()
                ))
                .with_native(order),
        )
    }
}
