//! The core [`Canceller`] for Skip Pay: whole orders and some items; holds are unsupported.
//!
//! The target is the application id. The application is read first and the documented rules
//! ([`rules::plan`]) decide: an application already CANCELLED is reported as
//! [`CancelStatus::AlreadyCancelled`]; one still PROCESSING is cancelled as an application
//! (order cancel is not available then); a REJECTED one is refused with its reason, before
//! anything is sent; a READY one gets an order cancel (`{}` for the whole order).

use rescind_core::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    Provider, Scope, Sent, async_trait,
};

use crate::client::Client;
use crate::model::{ApplicationState, CancelItem, Order, OrderCancelRequest};
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
            Plan::CancelOrder => {
                let order = self.cancel_order_items(&target, &order_request).await?;
                Ok(
                    CancelOutcome::new(Provider::SkipPay, target, status_of_order(&order))
                        .with_native(order),
                )
            }
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
}
