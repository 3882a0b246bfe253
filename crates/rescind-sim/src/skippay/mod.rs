//! The simulated Skip Pay partner API (`api.partner.skippay.cz`).
//!
//! # Endpoints
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /authentication/v1/partner` | `{"username", "password"}` | 200 `{"accessToken", "expiresIn"}`; 400 `INVALID_REQUEST` "Unable to authenticate partner" |
//! | `GET /v1/health` | | 200 `{"projectVersion"}`, no token needed |
//! | `POST /financing/v1/applications` | `ApplicationRequest` (below) | 201 `ApplicationResponse`; 200 with the first application for a duplicate |
//! | `GET /financing/v1/applications/{id}` | | 200 `ApplicationResponse`; 404 `APPLICATION_NOT_FOUND` |
//! | `PUT /financing/v1/applications/{id}/cancel` | `{"reason"?, "customReason"?}` | 200 `ApplicationResponse`; 404 `OBJECT_NOT_FOUND`; 422 (below) |
//! | `PUT /financing/v1/applications/{id}/order/cancel` | `OrderItemsChangeRequest` | 200 `OrderExtendedResponse`; 404 `OBJECT_NOT_FOUND`; 422 (below) |
//!
//! Every `/financing/v1` route needs `Authorization: Bearer <token>` from the login. A missing
//! header answers 401 `{"error": "invalid_request", "error_description": "The access token is
//! missing"}`; an unknown or expired token (expiry from the simulator's clock) 401 `{"error":
//! "invalid_token", "error_description": "The access token is invalid or has expired"}`. Tokens
//! live [`SkipPayWorld::token_lifetime_seconds`] (default 7200, as documented). An application
//! belongs to the partner that created it ([`Application::partner`]); another partner gets
//! the 404 of an unknown one.
//!
//! Every other error is `{"errors": [{"code", "message", "severity": "ERROR", "attribute"?,
//! "ticketId"}]}` with a new `ticketId` (`SIM1:LOC:20260329-003000.000:002a`) each time;
//! `attribute` (optional, not nullable) is there only when one attribute is at fault. The two
//! cancels accept an empty body as `{}` (the documentation's "empty request"); `null` where
//! the documentation's example shows it (`"totalPrice": null`, `"totalVat": [null]` of the
//! order cancel) reads as absent. Otherwise a body
//! that is not a JSON object, a wrong type, a missing
//! required field or a limit broken (lengths, quantities at least 1 with at most 3 decimal
//! places, amounts in whole minor units (`12590` or `12590.0`), currency CZK or EUR,
//! documented enum values) is 400
//! `INVALID_REQUEST` whose `attribute` is the JSON path at fault (`items[0].quantity`,
//! `order.items[1].code`). Unknown fields are ignored.
//!
//! # Admin
//!
//! | method and path | body | effect |
//! |---|---|---|
//! | `POST /__sim/skippay/applications/{id}/state` | `{"state": "READY", "stateReason"?: "READY_TO_SHIP"}` | sets the state as a customer (approve) or Skip Pay (reject, validate, pay, cancel) would; the reason defaults to `PROCESSING_REDIRECT_NEEDED`, `READY_TO_SHIP`, `REJECTED` or `CANCELLED_NOT_PAID` and must belong to the state; the order is left as is. 200 `ApplicationResponse`, 404/400 in the `errors` shape. |
//!
//! # Create
//!
//! The body follows `ApplicationRequest`: `type` (`DEFERRED_PAYMENT`, `PAY_IN_THREE`),
//! `merchantUrls` (`approvedRedirect`, `rejectedRedirect`, `notificationEndpoint`, at most 512
//! characters), `customer` (`email`, `phone`; `firstName` with `lastName`, or `fullName`),
//! `order` (`number` at most 100, `totalPrice`, `totalVat[]`, at least one of `items[]` with
//! `code`, `name`, `totalPrice`, `totalVat`, and optional `ean`, `type`, `quantity` (1 when
//! absent), `unitPrice`, `unitVat`, `image`...), `agreementTermsAndConditions`. The
//! application starts PROCESSING: `PROCESSING_REDIRECT_NEEDED` without the agreement (as
//! documented), `PROCESSING_PREAPPROVED` with it; its order and items are PROCESSING. Approve
//! it with the admin endpoint. A second create with the same order number by the same partner
//! is a duplicate: 200 with the first application. Recurrences and prechecks are not
//! simulated (`isRecurring` is accepted and ignored). Totals are not checked against items.
//!
//! Also checked: addresses (`addressType`, `city`, `country`, `streetAddress`, `zip`; an
//! order's only `BILLING` or `DELIVERY`), `deliveryType`, `deliveryCarrier` (`carrierId` of
//! the documented list or `carrierCustom`), `channel`, `reservationDate` (a date-time with an
//! offset), documents (`type`, `file`) and the items' optional strings and `categories`.
//!
//! # Answers
//!
//! Built by [`wire`] from the OpenAPI document's shapes, not from any client's model: every
//! required field present, `null` only where the field is nullable (an item's `sentDate`, an
//! order's `merchantId`, ...), an optional non-nullable field left out when it has no value (an
//! item's `image`, an error's `attribute`). An item's `image`, sent as a URL or as base64
//! content, is a `FileResponse` (`filename` and `url`, both strings); `unitPrice` and `unitVat`
//! (required) are the line's totals divided by its quantity when the create did not give them;
//! the customer's `firstName`, `lastName` and `fullName` (all required) are derived from each
//! other when the create gave only some.
//!
//! # Application cancel
//!
//! Allowed while PROCESSING and while READY before anything is marked sent or delivered; the
//! application becomes CANCELLED (`CANCELLED_NOT_PAID`, the documented cancelled reason that
//! fits), its open items and its order CANCELLED; the reason (`APPLICATION_CANCELLED_OTHER`
//! when none) is kept in the state. Refusals, all 422: `APPLICATION_REJECTED`,
//! `APPLICATION_ALREADY_CANCELLED`, `APPLICATION_VALIDATION_IN_PROGRESS` (PROCESSING during
//! validation), `APPLICATION_PAID` (`READY_PAID`), `UNPROCESSABLE` (order or an item SENT,
//! DELIVERED or RETURNED, or `READY_SHIPPED` / `READY_DELIVERED`), `NOT_SUPPORTED` (a financing
//! type other than the two documented). `customReason` is accepted with any reason.
//!
//! # Order cancel
//!
//! READY only. The documentation gives no 422 code for the other states, so the application
//! cancel's are used: `APPLICATION_REJECTED`, `APPLICATION_ALREADY_CANCELLED`,
//! `APPLICATION_VALIDATION_IN_PROGRESS` (PROCESSING during validation), `UNPROCESSABLE` (other
//! PROCESSING), and `NOT_SUPPORTED` for an unknown financing type. The application stays READY
//! whatever is cancelled. The change is all or nothing: if one selector is refused, nothing
//! changes.
//!
//! - `{}` (or `items: []`) cancels every item not yet marked (PROCESSING). When every item is
//!   already CANCELLED it changes nothing and answers 200 (a repeat is harmless); when none is
//!   open but some are SENT, DELIVERED or RETURNED, 422 `UNPROCESSABLE`.
//! - `items[]`: each selector names an item by every identifier it gives (`code`, `ean`,
//!   `name`, `type`), matched exactly; at least one is required (400). A selector matching no
//!   item is 400 `INVALID_REQUEST` at `items[i]`. Without `quantity`, every open item it
//!   matches is cancelled whole; if the items it matches are all CANCELLED already, nothing
//!   changes (200). With `quantity` it must match exactly one open item (400 otherwise), the
//!   quantity is taken off that item, and 422 `UNPROCESSABLE` at `items[i].quantity` answers a
//!   quantity larger than what is left, one that would leave less than 1 (the documented
//!   minimum of an item's quantity: 2.5 allows cancelling 1 to 1.5, or 2.5), or one for an
//!   item already cancelled. An item SENT, DELIVERED or RETURNED is 422 `UNPROCESSABLE` (use a
//!   return). Selectors apply in order, so two selectors of 1 on one item cancel 2.
//! - `totalPrice` and `totalVat` are checked for shape and otherwise ignored (the
//!   documentation does not say what they mean).
//!
//! **Quantities after a partial cancel.** An item is one line per state: the open line keeps
//! the quantity left (state PROCESSING) and a CANCELLED line of the same item (same code, EAN,
//! name and type), placed right after it, holds the quantity cancelled so far. Each line's
//! `totalPrice` and `totalVat` are its share (rounded half away from zero to minor units, so
//! the two lines still add up to the item's total); `unitPrice` and `unitVat` are unchanged.
//! When the open line reaches zero it is removed and the CANCELLED line holds the whole
//! quantity: the item is CANCELLED. The order becomes CANCELLED when every line is; its
//! `totalPrice` and `totalVat` stay as created. Selectors match only open lines for changes.
//!
//! # Counters
//!
//! Each applied change counts once ([`Sim::counters`]); a repeat that changes nothing counts
//! nothing:
//!
//! | key | change |
//! |---|---|
//! | `skippay:application:{id}:create` | created |
//! | `skippay:application:{id}:cancel` | application cancelled |
//! | `skippay:application:{id}:state` | state set by the admin endpoint |
//! | `skippay:item:{id}/{code}:cancel` | an item's remaining quantity cancelled (it is CANCELLED); per item and request |
//! | `skippay:item:{id}/{code}:reduce` | an item's quantity reduced, some left |
//! | `skippay:order:{id}:cancel` | the order became CANCELLED (order cancel or application cancel) |
//!
//! (`{code}` is the item's code, else its EAN, else its name.)
//!
//! # Demo data (the `skippay` section of `seed/demo.json`)
//!
//! Partners `eShop` / `eShopSecretPassword` (the documentation's example; owns every demo
//! application) and `otherShop` / `otherShopSecretPassword` (owns none: it sees 404s).
//!
//! | application | state | case |
//! |---|---|---|
//! | `11200a0ee1` | READY / READY_TO_SHIP, DEFERRED_PAYMENT | order `AA234`, several items: `EXC4677-1a` iPhone (1, the seed's example item), `CASE-3` phone case (3), `CABLE-M` cable by the metre (2.5), `SHIP-PPL` shipping fee (`SHIPPING_FEE`): whole and partial cancels, quantities |
//! | `11200a0ee2` | READY / READY_TO_SHIP, PAY_IN_THREE | order `AA235`, two items: a whole-order cancel |
//! | `11200a0ee3` | PROCESSING / PROCESSING_REDIRECT_NEEDED | order cancel refused; application cancel allowed; approve it with the admin endpoint |
//! | `11200a0ee4` | PROCESSING / PROCESSING_VALIDATION_IN_PROGRESS | every cancel refused (`APPLICATION_VALIDATION_IN_PROGRESS`) |
//! | `11200a0ee5` | REJECTED / REJECTED | every cancel refused (`APPLICATION_REJECTED`) |
//! | `11200a0ee6` | CANCELLED / CANCELLED_NOT_PAID | already cancelled (`APPLICATION_ALREADY_CANCELLED`); order and items CANCELLED |
//! | `11200a0ee7` | READY / READY_SHIPPED | order and items SENT: cancels refused (`UNPROCESSABLE`, use a return) |
//! | `11200a0ee8` | READY / READY_TO_SHIP | order already CANCELLED (all items): a repeat of `{}` answers 200 and changes nothing |

mod admin;
mod application;
mod auth;
mod check;
mod errors;
mod order;
mod render;
pub mod wire;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::{get, post, put};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use wire::{ApplicationState, FinancingType, Order, OrderItem, OrderState, StateReason};

use crate::Sim;

/// The demo seed's Skip Pay partner, `(username, password)`: the documentation's example; it
/// owns every demo application.
pub const DEMO_PARTNER: (&str, &str) = ("eShop", "eShopSecretPassword");

/// Skip Pay's part of the simulator's state, and of a seed file. Every field may be left out
/// of a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SkipPayWorld {
    /// How long a login's token lives, in seconds (default 7200, as documented; short in
    /// tests). Also the login's `expiresIn`.
    pub token_lifetime_seconds: u64,
    /// The partner accounts that can log in.
    pub partners: Vec<PartnerAccount>,
    /// The applications with their orders.
    pub applications: Vec<Application>,
    /// Tokens issued, by token. Expired ones are dropped at the next login.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, IssuedToken>,
}

impl Default for SkipPayWorld {
    fn default() -> Self {
        SkipPayWorld {
            token_lifetime_seconds: 7200,
            partners: Vec::new(),
            applications: Vec::new(),
            tokens: BTreeMap::new(),
        }
    }
}

impl SkipPayWorld {
    /// An application, by id (whoever owns it).
    pub fn application(&self, id: &str) -> Option<&Application> {
        self.applications.iter().find(|a| a.id == id)
    }
}

/// A partner account (`POST /authentication/v1/partner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerAccount {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

impl PartnerAccount {
    /// An account.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        PartnerAccount {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// A token the login issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IssuedToken {
    /// The partner it belongs to.
    pub username: String,
    /// When it stops working (simulator clock).
    pub expires_at: Timestamp,
}

impl IssuedToken {
    /// A token of partner `username` that works until `expires_at`.
    pub fn new(username: impl Into<String>, expires_at: Timestamp) -> Self {
        IssuedToken {
            username: username.into(),
            expires_at,
        }
    }
}

/// An application as the simulator keeps it: what `ApplicationResponse` shows, plus its owner,
/// its merchant URLs and the cancel reason given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Application {
    /// Its id.
    pub id: String,
    /// The partner (username) that owns it; any partner sees it when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// Its state.
    pub state: ApplicationState,
    /// Why it is in that state; the state's usual reason when absent.
    #[serde(default)]
    pub state_reason: Option<StateReason>,
    /// The financing type (`DEFERRED_PAYMENT` when absent).
    #[serde(rename = "type", default = "deferred_payment")]
    pub financing_type: FinancingType,
    /// Whether the customer agreed to the terms.
    #[serde(default)]
    pub agreement_terms_and_conditions: bool,
    /// The customer, as the create sent it (`CustomerRequest`).
    #[serde(default)]
    pub customer: Option<Map<String, Value>>,
    /// Where the customer would be sent while `PROCESSING_REDIRECT_NEEDED` (not served).
    #[serde(default)]
    pub gateway_redirect_url: Option<String>,
    /// The merchant URLs given at creation (never called).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_urls: Option<Value>,
    /// The order; item states and quantities default to PROCESSING and 1.
    pub order: Order,
    /// The reason of an application cancel (`APPLICATION_CANCELLED_OTHER` when none was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The custom reason of an application cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_reason: Option<String>,
}

fn deferred_payment() -> FinancingType {
    FinancingType::DeferredPayment
}

impl Application {
    pub(crate) fn visible_to(&self, partner: &str) -> bool {
        self.partner.as_deref().is_none_or(|p| p == partner)
    }

    /// The state reason, or the state's usual one.
    pub fn reason(&self) -> StateReason {
        self.state_reason
            .unwrap_or_else(|| default_reason(&self.state))
    }
}

/// The usual reason of a state.
pub(crate) fn default_reason(state: &ApplicationState) -> StateReason {
    match state {
        ApplicationState::Ready => StateReason::ReadyToShip,
        ApplicationState::Rejected => StateReason::Rejected,
        ApplicationState::Cancelled => StateReason::CancelledNotPaid,
        _ => StateReason::ProcessingRedirectNeeded,
    }
}

/// `ApplicationResponse`'s bytes: every required field (`gatewayRedirectUrl` too, which is
/// not nullable), the customer as `CustomerResponse`, the order as `OrderResponse`.
pub(crate) fn application_bytes(app: &Application) -> bytes::Bytes {
    render::to_bytes(&render::ApplicationView::of(app))
}

/// The gateway URL of an application (the simulator serves none).
pub(crate) fn gateway_url(id: &str) -> String {
    format!("https://gateway.skippay.sim.invalid/applications/{id}")
}

/// `OrderExtendedResponse`'s bytes: the order plus `applicationInfo`
/// (`ApplicationBaseResponse`).
pub(crate) fn order_extended_bytes(app: &Application) -> bytes::Bytes {
    render::to_bytes(&render::OrderView::extended(app))
}

async fn health() -> axum::response::Response {
    errors::json_response(
        http::StatusCode::OK,
        &json!({"projectVersion": "Skip Pay simulator (rescind-sim)"}),
    )
}

/// Skip Pay's routes, on the provider's real paths.
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/authentication/v1/partner", post(auth::login))
        .route("/v1/health", get(health))
        .route("/financing/v1/applications", post(application::create))
        .route("/financing/v1/applications/{id}", get(application::get))
        .route(
            "/financing/v1/applications/{id}/cancel",
            put(application::cancel),
        )
        .route(
            "/financing/v1/applications/{id}/order/cancel",
            put(order::cancel),
        )
        .route(
            "/__sim/skippay/applications/{id}/state",
            post(admin::set_state),
        )
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::World;

    /// The demo seed holds the cases the module docs list.
    #[test]
    fn demo_seed_has_the_documented_cases() {
        let world = World::demo().skippay;
        assert_eq!(world.token_lifetime_seconds, 7200);
        assert!(
            world
                .partners
                .contains(&PartnerAccount::new(DEMO_PARTNER.0, DEMO_PARTNER.1))
        );
        let case = |id: &str| {
            let app = world.application(id).unwrap();
            (app.state.to_string(), app.reason().to_string())
        };
        assert_eq!(case("11200a0ee1"), ("READY".into(), "READY_TO_SHIP".into()));
        assert_eq!(case("11200a0ee3").0, "PROCESSING");
        assert_eq!(case("11200a0ee4").1, "PROCESSING_VALIDATION_IN_PROGRESS");
        assert_eq!(case("11200a0ee5").0, "REJECTED");
        assert_eq!(case("11200a0ee6").0, "CANCELLED");
        assert_eq!(case("11200a0ee7").1, "READY_SHIPPED");
        let ready = &world.application("11200a0ee1").unwrap().order;
        let quantities: Vec<Decimal> = ready.items.iter().map(|i| i.quantity).collect();
        assert!(quantities.contains(&Decimal::new(3, 0)));
        assert!(quantities.contains(&Decimal::new(25, 1)));
        let done = &world.application("11200a0ee8").unwrap().order;
        assert_eq!(done.state, OrderState::Cancelled);
    }
}
