//! The simulated Di API (ws.di.no): login, book, order details and cancel, on Di's real paths.
//!
//! # Endpoints
//!
//! | method and path | what it does |
//! |---|---|
//! | `POST /ws/json/auth/v-3/login/{minutesValid}` | `{"username","password"}` → `{"token": "<JWT>"}` |
//! | `POST /ws/json/parcel/booking/v-1/book` | books an order (body below) |
//! | `GET /ws/json/parcel/booking/v-1/details/{identifier}` | the order, as Di's details page documents it |
//! | `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}` | cancels the whole order |
//!
//! Every call but the login needs `Authorization: Bearer <token>`. Every error is Di's envelope
//! `{"statusCode": 401, "errorKey": "authentication.missing", "errorMap": {}}`, also for a wrong
//! method on these paths (405 `method.not.allowed`: Di documents the status, not a key). Keys
//! Di does not document for these calls are marked "undocumented" below.
//!
//! ## Login
//! - `minutesValid` must be a whole number in 1..=1440, else 400 `failed.to.parse.request`
//!   (errorMap `{"minutesValid": ...}`); a body that is not `{"username","password"}` is 400
//!   `failed.to.parse.request`; wrong credentials 401 `authentication.failed` (undocumented).
//! - The token lives `min(minutesValid × 60, DiWorld::token_lifetime_seconds)` seconds; its
//!   payload (`sub`, `iat`, `exp`, `userId`, `roles`, `flowShops`, `webServices`, `jti`) has
//!   `iat` and `exp` from the simulator's clock. The signature is not a real one: the
//!   simulator remembers every token it issued ([`DiWorld::tokens`]) and knows no other.
//! - A request without a `Bearer` token, or with one the simulator did not issue, is 401
//!   `authentication.missing` (the documented key: "Authorization header missing or
//!   incorrect"); a token past its `exp` is 401 `authentication.expired` (undocumented: Di adds
//!   keys, and clients treat every `authentication.*` as a login problem).
//!
//! ## Book
//! `POST /ws/json/parcel/booking/v-1/book`, Di's booking body (unknown fields ignored):
//!
//! ```json
//! {
//!   "shopId": 1234, "transportSolutionId": 1, "shopDisplayName": "Demo shop",
//!   "shipmentId": null,
//!   "desiredDeliveryDate": "20990615",
//!   "pickupDetails": {"pickupDate": "2099-07-01", "placement": "Ved døren",
//!                     "returnCode": null, "possiblePickupDates": []},
//!   "parties": [{"type": "consignee", "name": "Kari Nordmann"}],
//!   "items": [{"itemNumber": 1, "weight": 400, "contents": "Bok"}]
//! }
//! ```
//! - `shopId` and `transportSolutionId` are required, and `items` must hold at least one item
//!   (400 `failed.to.parse.request`, errorMap names the field); the user must have the shop
//!   (403 `no.access.shop.id`).
//! - Dates are `yyyyMMdd` (Di's booking page) or `YYYY-MM-DD` (developer.helthjem.no); another
//!   spelling is 400 `invalid.format.desiredDeliveryDate` (or `invalid.format.pickupDate`).
//! - `pickupDetails` is a simulator extension: Di's booking body has no such object (pick-up is
//!   a freight product), but the details API reports one, so a test books a pick-up order with
//!   it. The simulator assigns a return code when none is given.
//! - `shipmentId` may be given (digits, with or without `(401)`; a number already in use is
//!   400 `shipmentId.already.exists`, undocumented); otherwise the simulator assigns a 17-digit number
//!   `7072476…`. Items without a `trackingReference` get a 20-digit one `0037072476…`.
//! - The answer (200) is Di's booking response: `shipmentId` with the GS1 prefix
//!   (`(401)70724765000000001`), `freightProductId` (3 "Hentepakke" for a pick-up, else 1),
//!   `parties`, `items`, `properties`, `additionalServices`, `proofOfDelivery`, plus
//!   `ediStatus`, `desiredDeliveryDate` and `pickupDetails` as the details API shows them.
//! - A booked order's `ediStatus` is `EXPORT_OK`.
//!
//! ## Details
//! The identifier is the bare shipment number, an item's tracking reference or the pick-up's
//! return code (no `(401)` prefix: 404). Answer: `shipmentId`, `ediStatus`, `shopId`,
//! `shopName`, `desiredDeliveryDate` (`YYYY-MM-DD` or `null`), `pickupDetails` (or `null`),
//! `items[]{trackingReference, labellessCode}`. Unknown: 404 `cannot.find.order`; another
//! shop's order: 403 `no.access.shop.id`.
//!
//! ## Cancel
//! The identifier is the bare shipment number. Checks, in order:
//! 1. the token (401), then the user's access to the edit-orders web service
//!    ([`DiUser::edit_orders`], else 403 `no.access.api`);
//! 2. the order (404 `cannot.find.order`) and the user's access to its shop (403
//!    `no.access.shop.id`: Di's cancel page requires "access to the shop registered on the
//!    parcel", and its 403 text names the shop);
//! 3. already `CANCELLED`: 400 `order.cancelled` (Edit Order API's key "cannot edit cancelled
//!    orders"; Di says cancelled shipments cannot be resumed, so a second cancel is refused, not
//!    answered as a success; `rescind_di` reports it as already cancelled);
//! 4. delivered (a final status, set by the admin endpoint): 400 `error.parcel.final.status`;
//! 5. in transit: 400 `order.exported`, errorMap `{"reason": ...}`. In transit means: scanned
//!    by the carrier (admin endpoint); or, for a pick-up order, from 23:00 Oslo time the day
//!    before the pick-up date, unless the pick-up attempt failed (admin endpoint), which makes
//!    it cancellable again; or, for a delivery, from Oslo midnight at the start of the day
//!    before the desired delivery date; or, with no desired delivery date, from booking
//!    (always). Oslo is `Europe/Oslo`, summer time included.
//!
//! Success: 200 with an empty body (Di documents no body: "Confirmation or error message");
//! `ediStatus` becomes `CANCELLED` and the counter `di:order:{shipmentId}:cancel` counts one.
//!
//! # Admin endpoints
//!
//! | method and path | body | effect |
//! |---|---|---|
//! | `GET /__sim/di/orders` | | every order, as stored (simulator fields included) |
//! | `GET /__sim/di/orders/{shipmentId}` | | one order, as stored |
//! | `POST /__sim/di/orders/{shipmentId}/in_transit` | | a carrier scanned the parcel: in transit, not cancellable |
//! | `POST /__sim/di/orders/{shipmentId}/delivered` | | delivered: a final status |
//! | `POST /__sim/di/orders/{shipmentId}/pickup_failed` | | the pick-up attempt failed: cancellable again |
//! | `POST /__sim/di/token_lifetime` | `{"seconds": 60}` | caps the lifetime of tokens issued from now on |
//! | `DELETE /__sim/di/tokens` | | forgets every issued token (each client gets a 401 and logs in again) |
//!
//! An unknown order answers 404 `{"error": "..."}`; each change answers the order as stored.
//!
//! # Demo data (the `di` section of `seed/demo.json`)
//!
//! The file is a [`DiWorld`] as JSON: `token_lifetime_seconds`, `users`, `orders`, `tokens`;
//! users and orders use Di's camelCase names (`shopIds`, `desiredDeliveryDate`, ...), dates are
//! `YYYY-MM-DD`, and the simulator fields (`bookedAt`, `carrierStatus`, `pickupFailed`,
//! `cancelledAt`) may be left out.
//!
//! Users (`username` / `password`, shops):
//! - `wsfoobar` / `a-very-very-long-password` (Di's example credentials), shops 1234 and 16, may
//!   cancel: the user the demo and tests use.
//! - `wsother` / `another-very-long-password`, shop 5678: another web shop.
//! - `wsreadonly` / `read-only-password`, shop 1234, no access to the edit-orders web service:
//!   every cancel is 403 `no.access.api`.
//!
//! Orders. A static seed cannot know today's date, so "before the window" uses desired delivery
//! and pick-up dates in 2099 (cancellable for decades) and "inside the window" uses dates in
//! 2020 (in transit whatever today is):
//!
//! | shipment number | shop | case | cancel answers |
//! |---|---|---|---|
//! | `70724760000000101` | 1234 | delivery on 2099-06-15: before the in-transit window | 200, becomes `CANCELLED` |
//! | `70724760000000102` | 1234 | delivery on 2020-01-15: inside the window | 400 `order.exported` |
//! | `70724760000000103` | 1234 | no desired delivery date: in transit since booking | 400 `order.exported` |
//! | `70724760000000104` | 1234 | already `CANCELLED` | 400 `order.cancelled` |
//! | `70724760000000105` | 16 | pick-up on 2099-07-01 (return code `R105`), before the 23:00 cut-off | 200 |
//! | `70724760000000106` | 16 | pick-up on 2020-02-01 (return code `R106`), past the cut-off | 400 `order.exported` |
//! | `70724760000000107` | 1234 | delivery on 2099-06-20 but scanned by the carrier | 400 `order.exported` |
//! | `70724760000000108` | 5678 | `wsother`'s order (delivery 2099) | 403 `no.access.shop.id` for `wsfoobar` |
//! | `70724760000000109` | 1234 | delivery on 2099-06-10, but delivered early (final status) | 400 `error.parcel.final.status` |
//!
//! Each order has one item whose tracking reference is `003` + its shipment number (e.g.
//! `00370724760000000101`).

mod handlers;
mod rules;
mod token;

use axum::Router;
use axum::routing::{delete, get, post};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Sim;

/// An order's export status (`ediStatus`), the values Di's details page lists: "ATTEMPTING_EXPORT,
/// EXPORT_OK, EXPORT_FAILED_WILL_RETRY, EXPORT_FAILED_PERMANENTLY, CANCELLED (WIP),
/// PASSIVE_RETURN (WIP)". The simulator's own type, written from that page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EdiStatus {
    /// Di is exporting the order to the carrier.
    AttemptingExport,
    /// Exported to the carrier (a booked order's status).
    ExportOk,
    /// The export failed; Di tries again.
    ExportFailedWillRetry,
    /// The export failed for good.
    ExportFailedPermanently,
    /// Cancelled.
    Cancelled,
    /// A passive return.
    PassiveReturn,
}

impl EdiStatus {
    /// The value as Di writes it (`EXPORT_OK`).
    pub fn as_str(&self) -> &'static str {
        match self {
            EdiStatus::AttemptingExport => "ATTEMPTING_EXPORT",
            EdiStatus::ExportOk => "EXPORT_OK",
            EdiStatus::ExportFailedWillRetry => "EXPORT_FAILED_WILL_RETRY",
            EdiStatus::ExportFailedPermanently => "EXPORT_FAILED_PERMANENTLY",
            EdiStatus::Cancelled => "CANCELLED",
            EdiStatus::PassiveReturn => "PASSIVE_RETURN",
        }
    }
}

/// The demo seed's Di user that may cancel, `(username, password)`: Di's example credentials.
pub const DEMO_USER: (&str, &str) = ("wsfoobar", "a-very-very-long-password");

/// The default cap of a token's lifetime: Di's own maximum, 1440 minutes.
pub const DEFAULT_TOKEN_LIFETIME_SECONDS: u64 = 86_400;

fn default_token_lifetime() -> u64 {
    DEFAULT_TOKEN_LIFETIME_SECONDS
}

fn yes() -> bool {
    true
}

/// Di's part of the simulator's state, and of a seed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiWorld {
    /// The longest a token lives, in seconds, whatever `minutesValid` asked for (default
    /// 86400, Di's own maximum). Tests make it short.
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_seconds: u64,
    /// Web-service users.
    #[serde(default)]
    pub users: Vec<DiUser>,
    /// Booked orders.
    #[serde(default)]
    pub orders: Vec<DiOrder>,
    /// Tokens issued (and remembered) by the simulator.
    #[serde(default)]
    pub tokens: Vec<DiToken>,
}

impl Default for DiWorld {
    fn default() -> Self {
        DiWorld {
            token_lifetime_seconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
            users: Vec::new(),
            orders: Vec::new(),
            tokens: Vec::new(),
        }
    }
}

impl DiWorld {
    /// Adds a user (for tests building a world in code).
    pub fn with_user(mut self, user: DiUser) -> Self {
        self.users.push(user);
        self
    }

    /// Adds an order.
    pub fn with_order(mut self, order: DiOrder) -> Self {
        self.orders.push(order);
        self
    }

    /// Sets [`DiWorld::token_lifetime_seconds`].
    pub fn with_token_lifetime_seconds(mut self, seconds: u64) -> Self {
        self.token_lifetime_seconds = seconds;
        self
    }

    /// The order with this shipment number.
    pub fn order(&self, shipment_id: &str) -> Option<&DiOrder> {
        self.orders.iter().find(|o| o.shipment_id == shipment_id)
    }
}

/// A Di web-service user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiUser {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
    /// Di's numeric user id (the token's `userId` claim).
    #[serde(default)]
    pub user_id: u64,
    /// The shops this user may book, read and cancel for.
    #[serde(default)]
    pub shop_ids: Vec<i64>,
    /// Access to "the web service for edit orders", which the cancel needs (default true).
    #[serde(default = "yes")]
    pub edit_orders: bool,
}

impl DiUser {
    /// A user with access to `shop_ids` and to the edit-orders web service.
    pub fn new(username: impl Into<String>, password: impl Into<String>, shop_ids: &[i64]) -> Self {
        DiUser {
            username: username.into(),
            password: password.into(),
            user_id: 0,
            shop_ids: shop_ids.to_vec(),
            edit_orders: true,
        }
    }

    /// Sets [`DiUser::edit_orders`].
    pub fn with_edit_orders(mut self, edit_orders: bool) -> Self {
        self.edit_orders = edit_orders;
        self
    }

    fn has_shop(&self, shop_id: i64) -> bool {
        self.shop_ids.contains(&shop_id)
    }
}

/// Where the carrier is with a parcel: a simulator field, changed by the admin endpoints
/// (Di's details API does not show it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum CarrierStatus {
    /// Booked, not yet handled by the carrier.
    #[default]
    Booked,
    /// Scanned by the carrier: in transit.
    InTransit,
    /// Delivered: a final status.
    Delivered,
}

fn export_ok() -> EdiStatus {
    EdiStatus::ExportOk
}

/// A booked order: Di's fields (camelCase, as the details API names them) and the
/// simulator's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiOrder {
    /// The shipment ("message") number, bare: `70724760000000101`.
    pub shipment_id: String,
    /// The shop the order belongs to.
    pub shop_id: i64,
    /// The shop's name.
    #[serde(default)]
    pub shop_name: Option<String>,
    /// The transport solution it was booked with.
    #[serde(default)]
    pub transport_solution_id: Option<i64>,
    /// Export status; `CANCELLED` after a cancel (default `EXPORT_OK`).
    #[serde(default = "export_ok")]
    pub edi_status: EdiStatus,
    /// The day the consignee wants the parcel (`YYYY-MM-DD`).
    #[serde(default)]
    pub desired_delivery_date: Option<Date>,
    /// Set for pick-up orders.
    #[serde(default)]
    pub pickup_details: Option<DiPickup>,
    /// The parcels.
    #[serde(default)]
    pub items: Vec<DiItem>,
    /// The parties, as booked.
    #[serde(default)]
    pub parties: Vec<Value>,
    /// When it was booked (simulator field; `null` in seeds).
    #[serde(default)]
    pub booked_at: Option<Timestamp>,
    /// Where the carrier is (simulator field).
    #[serde(default)]
    pub carrier_status: CarrierStatus,
    /// Whether a pick-up attempt failed, which makes a pick-up order cancellable again
    /// (simulator field).
    #[serde(default)]
    pub pickup_failed: bool,
    /// When it was cancelled (simulator field).
    #[serde(default)]
    pub cancelled_at: Option<Timestamp>,
}

impl DiOrder {
    /// A delivery order of `shop_id` with one item, booked, `EXPORT_OK`.
    pub fn new(shipment_id: impl Into<String>, shop_id: i64) -> Self {
        let shipment_id = shipment_id.into();
        DiOrder {
            items: vec![DiItem {
                item_number: Some(1),
                tracking_reference: Some(format!("003{shipment_id}")),
                labelless_code: None,
                weight: None,
                contents: None,
            }],
            shipment_id,
            shop_id,
            shop_name: None,
            transport_solution_id: Some(1),
            edi_status: EdiStatus::ExportOk,
            desired_delivery_date: None,
            pickup_details: None,
            parties: Vec::new(),
            booked_at: None,
            carrier_status: CarrierStatus::Booked,
            pickup_failed: false,
            cancelled_at: None,
        }
    }

    /// Sets the desired delivery date.
    pub fn with_desired_delivery_date(mut self, date: Date) -> Self {
        self.desired_delivery_date = Some(date);
        self
    }

    /// Makes it a pick-up order on `date`.
    pub fn with_pickup_date(mut self, date: Date) -> Self {
        self.pickup_details = Some(DiPickup {
            return_code: Some(format!("R{}", self.shipment_id)),
            placement: None,
            pickup_date: date,
            possible_pickup_dates: Vec::new(),
        });
        self
    }

    /// Sets the export status.
    pub fn with_edi_status(mut self, status: EdiStatus) -> Self {
        self.edi_status = status;
        self
    }

    /// Sets the carrier status.
    pub fn with_carrier_status(mut self, status: CarrierStatus) -> Self {
        self.carrier_status = status;
        self
    }

    /// Every identifier that names this order: its shipment number, its tracking references
    /// and its return code.
    pub(crate) fn identifiers(&self) -> Vec<String> {
        let mut ids = vec![self.shipment_id.clone()];
        ids.extend(
            self.items
                .iter()
                .filter_map(|i| i.tracking_reference.clone()),
        );
        ids.extend(
            self.pickup_details
                .as_ref()
                .and_then(|p| p.return_code.clone()),
        );
        ids.sort();
        ids.dedup();
        ids
    }

    /// Whether `identifier` names this order: its shipment number, a tracking reference or
    /// its return code.
    pub(crate) fn is_named_by(&self, identifier: &str) -> bool {
        self.shipment_id == identifier
            || self
                .items
                .iter()
                .any(|i| i.tracking_reference.as_deref() == Some(identifier))
            || self
                .pickup_details
                .as_ref()
                .is_some_and(|p| p.return_code.as_deref() == Some(identifier))
    }
}

/// The pick-up of a pick-up order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiPickup {
    /// The return code.
    #[serde(default)]
    pub return_code: Option<String>,
    /// Where the parcel is picked up.
    #[serde(default)]
    pub placement: Option<String>,
    /// The pick-up day; cancellable until 23:00 Oslo time the day before.
    pub pickup_date: Date,
    /// Days the pick-up could move to.
    #[serde(default)]
    pub possible_pickup_dates: Vec<Date>,
}

/// One parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiItem {
    /// The item's number in the order.
    #[serde(default)]
    pub item_number: Option<i64>,
    /// The tracking reference.
    #[serde(default)]
    pub tracking_reference: Option<String>,
    /// The code of a parcel without a label.
    #[serde(default)]
    pub labelless_code: Option<String>,
    /// Weight in grams.
    #[serde(default)]
    pub weight: Option<i64>,
    /// What it holds.
    #[serde(default)]
    pub contents: Option<String>,
}

/// A token the simulator issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiToken {
    /// The token, as sent after `Bearer `.
    pub token: String,
    /// Whose it is.
    pub username: String,
    /// When it was issued (the `iat` claim).
    pub issued_at: Timestamp,
    /// When it expires (the `exp` claim).
    pub expires_at: Timestamp,
}

/// Di's routes, on the provider's real paths, and the Di admin routes.
pub(crate) fn routes() -> Router<Sim> {
    use handlers as h;
    Router::new()
        .route(
            "/ws/json/auth/v-3/login/{minutes}",
            post(h::login).fallback(h::method_not_allowed),
        )
        .route(
            "/ws/json/parcel/booking/v-1/book",
            post(h::book).fallback(h::method_not_allowed),
        )
        .route(
            "/ws/json/parcel/booking/v-1/details/{identifier}",
            get(h::details).fallback(h::method_not_allowed),
        )
        .route(
            "/ws/json/parcel/booking/v-1/order/cancel/{identifier}",
            delete(h::cancel).fallback(h::method_not_allowed),
        )
        .route("/__sim/di/orders", get(h::admin_orders))
        .route("/__sim/di/orders/{identifier}", get(h::admin_order))
        .route(
            "/__sim/di/orders/{identifier}/in_transit",
            post(h::admin_in_transit),
        )
        .route(
            "/__sim/di/orders/{identifier}/delivered",
            post(h::admin_delivered),
        )
        .route(
            "/__sim/di/orders/{identifier}/pickup_failed",
            post(h::admin_pickup_failed),
        )
        .route("/__sim/di/token_lifetime", post(h::admin_token_lifetime))
        .route("/__sim/di/tokens", delete(h::admin_forget_tokens))
}
