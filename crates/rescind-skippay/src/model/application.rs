//! Financing applications: their state, and the request to cancel one.

use rescind_core::open_enum;
use rescind_core::wire::{Skipped, Tolerant};
use serde::{Deserialize, Serialize};

use super::common::Address;
use super::order::Order;

open_enum! {
    /// The state of an application.
    pub enum ApplicationState {
        /// Not yet decided (waiting for the customer or for validation).
        Processing = "PROCESSING",
        /// Approved: the order can be sent, delivered, cancelled or returned.
        Ready = "READY",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

open_enum! {
    /// Why the application is in its state (its "substate").
    pub enum StateReason {
        /// The customer must be redirected to the gateway.
        ProcessingRedirectNeeded = "PROCESSING_REDIRECT_NEEDED",
        /// Pre-approved.
        ProcessingPreapproved = "PROCESSING_PREAPPROVED",
        /// Skip Pay is validating the application.
        ProcessingValidationInProgress = "PROCESSING_VALIDATION_IN_PROGRESS",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled because it was not paid.
        CancelledNotPaid = "CANCELLED_NOT_PAID",
        /// Approved; ship the order.
        ReadyToShip = "READY_TO_SHIP",
        /// The order is shipped.
        ReadyShipped = "READY_SHIPPED",
        /// The order is delivered.
        ReadyDelivered = "READY_DELIVERED",
        /// Skip Pay paid (at least part of) the price to the partner.
        ReadyPaid = "READY_PAID",
        /// Cancelled because the goods were returned.
        CancelledReturned = "CANCELLED_RETURNED",
    }
}

open_enum! {
    /// How the customer pays.
    pub enum FinancingType {
        /// Pay later.
        DeferredPayment = "DEFERRED_PAYMENT",
        /// Pay in three instalments.
        PayInThree = "PAY_IN_THREE",
    }
}

/// The application's id and state (`ApplicationBaseResponse`), as an order answer carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApplicationInfo {
    /// The application's id at Skip Pay.
    pub id: String,
    /// Its state.
    pub state: ApplicationState,
    /// Why it is in that state.
    pub state_reason: Option<StateReason>,
}

/// The customer of an application, as far as this crate needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Customer {
    /// E-mail address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
    /// Phone number with country code.
    pub phone: Option<String>,
    /// Title before the name.
    pub title_before: Option<String>,
    /// Title after the name.
    pub title_after: Option<String>,
    /// Addresses.
    #[serde(default, deserialize_with = "rescind_core::wire::null_as_default")]
    pub addresses: Vec<Address>,
    /// Tax identification number (IČO).
    pub tin: Option<String>,
    /// VAT identification number.
    pub vatin: Option<String>,
}

open_enum! {
    /// The state of a recurring payment agreement.
    pub enum RecurrenceState {
        /// Waiting for approval.
        Approving = "APPROVING",
        /// Active.
        Ready = "READY",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Expired.
        Expired = "EXPIRED",
    }
}

/// A recurring payment agreement (deferred payment only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recurrence {
    /// Its id.
    pub id: Option<String>,
    /// Its state.
    pub state: Option<RecurrenceState>,
}

/// A financing application (`ApplicationResponse`): what `GET
/// /financing/v1/applications/{id}` and the application cancel return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApplicationResponse {
    /// The application's id.
    pub id: String,
    /// Its state.
    pub state: ApplicationState,
    /// Why it is in that state.
    pub state_reason: Option<StateReason>,
    /// The financing type.
    #[serde(rename = "type")]
    pub financing_type: Option<FinancingType>,
    /// The order.
    pub order: Option<Order>,
    /// The customer.
    pub customer: Option<Customer>,
    /// Whether the customer agreed to the terms and conditions.
    pub agreement_terms_and_conditions: Option<bool>,
    /// Where to redirect the customer while the state reason is
    /// [`StateReason::ProcessingRedirectNeeded`].
    pub gateway_redirect_url: Option<String>,
    /// The recurring payment agreement, if any.
    pub recurrence: Option<Recurrence>,
    /// Fields of the answer that did not read and were skipped (see
    /// [`ApplicationResponse::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

impl ApplicationResponse {
    /// Fields of the answer that did not read and were skipped, with their raw JSON: none
    /// that a cancel decides on (see [`Tolerant::NEEDED`]). Empty for a clean answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

/// The cancels decide on the application's id and state, the order's state, and its items'
/// identifiers, quantities and states; anything else that does not read is skipped.
impl Tolerant for ApplicationResponse {
    const NEEDED: &'static [&'static str] = &[
        "id",
        "state",
        "order.state",
        "order.items[].code",
        "order.items[].ean",
        "order.items[].name",
        "order.items[].type",
        "order.items[].state",
        "order.items[].quantity",
    ];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

open_enum! {
    /// Why an application is cancelled (`ApplicationCancelRequest.reason`).
    pub enum CancelReason {
        /// The carrier changed.
        CarrierChanged = "APPLICATION_CANCELLED_CARRIER_CHANGED",
        /// The cart's content changed.
        CartContentChanged = "APPLICATION_CANCELLED_CART_CONTENT_CHANGED",
        /// The customer cancelled.
        ByCustomer = "APPLICATION_CANCELLED_BY_CUSTOMER",
        /// The e-shop's ERP cancelled.
        ByErp = "APPLICATION_CANCELLED_BY_ERP",
        /// The application expired.
        Expired = "APPLICATION_CANCELLED_EXPIRED",
        /// The application was not finished.
        Unfinished = "APPLICATION_CANCELLED_UNFINISHED",
        /// The e-shop's rules cancelled it.
        ByEshopRules = "APPLICATION_CANCELLED_BY_ESHOP_RULES",
        /// Another reason; say which in [`ApplicationCancelRequest::custom_reason`]. Skip Pay
        /// assumes it when no reason is given.
        Other = "APPLICATION_CANCELLED_OTHER",
    }
}

/// The body of an application cancel. Without a reason it is `{}`, which Skip Pay reads as
/// [`CancelReason::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApplicationCancelRequest {
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CancelReason>,
    /// The reason in words, with [`CancelReason::Other`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_reason: Option<String>,
}

impl ApplicationCancelRequest {
    /// A request with a reason.
    pub fn new(reason: CancelReason) -> Self {
        ApplicationCancelRequest {
            reason: Some(reason),
            custom_reason: None,
        }
    }

    /// [`CancelReason::Other`] with the reason in words.
    pub fn other(custom_reason: impl Into<String>) -> Self {
        ApplicationCancelRequest {
            reason: Some(CancelReason::Other),
            custom_reason: Some(custom_reason.into()),
        }
    }
}
