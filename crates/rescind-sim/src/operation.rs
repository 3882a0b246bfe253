//! The providers' operations the simulator serves, by name: what a fault rule
//! ([`FaultRule::on`](crate::FaultRule::on)) and the counters ([`Counters::get`](crate::Counters::get))
//! are addressed by, instead of a raw method and path.
//!
//! A request's operation is read from its method and path, and for Skip Pay's
//! `PUT /financing/v1/applications/{id}/order/cancel` from its body too: without items (or
//! with an empty list) it cancels the whole order ([`Operation::SkipPayCancelOrder`]), with
//! items only those ([`Operation::SkipPayCancelItems`]), as Skip Pay's reference describes the
//! one endpoint (`OrderItemsChangeRequest`). Admin routes (`/__sim/...`) have none.

use serde::{Deserialize, Serialize};

/// One operation of one provider. Serialized in `snake_case` (`"di_cancel_order"`), the name a
/// fault rule gives in `POST /__sim/faults` (`{"operation": "di_cancel_order", ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Arta `POST /hosted_sessions`.
    ArtaCreateSession,
    /// Arta `GET /hosted_sessions`.
    ArtaListSessions,
    /// Arta `GET /hosted_sessions/{id}`.
    ArtaGetSession,
    /// Arta `PATCH /hosted_sessions/{id}/cancel`.
    ArtaCancelSession,
    /// Arta `GET /shipments`.
    ArtaListShipments,
    /// Arta `GET /shipments/{id}`.
    ArtaGetShipment,
    /// Arta `POST /shipment_exceptions`: a hold (`requested_hold_to_collect`).
    ArtaHold,
    /// Arta `GET /shipment_exceptions`.
    ArtaListExceptions,
    /// Arta `GET /shipment_exceptions/{id}`.
    ArtaGetException,
    /// Di `POST /ws/json/auth/v-3/login/{minutesValid}`.
    DiLogin,
    /// Di `POST /ws/json/parcel/booking/v-1/book`.
    DiBook,
    /// Di `GET /ws/json/parcel/booking/v-1/details/{identifier}`.
    DiGetOrder,
    /// Di `DELETE /ws/json/parcel/booking/v-1/order/cancel/{identifier}`.
    DiCancelOrder,
    /// Skip Pay `POST /authentication/v1/partner`.
    #[serde(rename = "skippay_login")]
    SkipPayLogin,
    /// Skip Pay `GET /v1/health`.
    #[serde(rename = "skippay_health")]
    SkipPayHealth,
    /// Skip Pay `POST /financing/v1/applications`.
    #[serde(rename = "skippay_create_application")]
    SkipPayCreateApplication,
    /// Skip Pay `GET /financing/v1/applications/{id}`.
    #[serde(rename = "skippay_get_application")]
    SkipPayGetApplication,
    /// Skip Pay `PUT /financing/v1/applications/{id}/cancel`.
    #[serde(rename = "skippay_cancel_application")]
    SkipPayCancelApplication,
    /// Skip Pay `PUT /financing/v1/applications/{id}/order/cancel` without items: the whole
    /// order.
    #[serde(rename = "skippay_cancel_order")]
    SkipPayCancelOrder,
    /// Skip Pay `PUT /financing/v1/applications/{id}/order/cancel` with items.
    #[serde(rename = "skippay_cancel_items")]
    SkipPayCancelItems,
}

/// The provider an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Provider {
    /// Arta.
    Arta,
    /// Di.
    Di,
    /// Skip Pay.
    #[serde(rename = "skippay")]
    SkipPay,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Operation; 20] = [
        Operation::ArtaCreateSession,
        Operation::ArtaListSessions,
        Operation::ArtaGetSession,
        Operation::ArtaCancelSession,
        Operation::ArtaListShipments,
        Operation::ArtaGetShipment,
        Operation::ArtaHold,
        Operation::ArtaListExceptions,
        Operation::ArtaGetException,
        Operation::DiLogin,
        Operation::DiBook,
        Operation::DiGetOrder,
        Operation::DiCancelOrder,
        Operation::SkipPayLogin,
        Operation::SkipPayHealth,
        Operation::SkipPayCreateApplication,
        Operation::SkipPayGetApplication,
        Operation::SkipPayCancelApplication,
        Operation::SkipPayCancelOrder,
        Operation::SkipPayCancelItems,
    ];

    /// Its position in [`Operation::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The provider it belongs to.
    pub fn provider(self) -> Provider {
        use Operation as O;
        match self {
            O::ArtaCreateSession
            | O::ArtaListSessions
            | O::ArtaGetSession
            | O::ArtaCancelSession
            | O::ArtaListShipments
            | O::ArtaGetShipment
            | O::ArtaHold
            | O::ArtaListExceptions
            | O::ArtaGetException => Provider::Arta,
            O::DiLogin | O::DiBook | O::DiGetOrder | O::DiCancelOrder => Provider::Di,
            O::SkipPayLogin
            | O::SkipPayHealth
            | O::SkipPayCreateApplication
            | O::SkipPayGetApplication
            | O::SkipPayCancelApplication
            | O::SkipPayCancelOrder
            | O::SkipPayCancelItems => Provider::SkipPay,
        }
    }

    /// The HTTP method (upper case).
    pub fn method(self) -> &'static str {
        self.route().0
    }

    /// The path pattern, in the form a [`FaultRule`](crate::FaultRule) path takes (`*` for one
    /// segment): `/hosted_sessions/*/cancel`.
    pub fn path_pattern(self) -> &'static str {
        self.route().1
    }

    fn route(self) -> (&'static str, &'static str) {
        use Operation as O;
        match self {
            O::ArtaCreateSession => ("POST", "/hosted_sessions"),
            O::ArtaListSessions => ("GET", "/hosted_sessions"),
            O::ArtaGetSession => ("GET", "/hosted_sessions/*"),
            O::ArtaCancelSession => ("PATCH", "/hosted_sessions/*/cancel"),
            O::ArtaListShipments => ("GET", "/shipments"),
            O::ArtaGetShipment => ("GET", "/shipments/*"),
            O::ArtaHold => ("POST", "/shipment_exceptions"),
            O::ArtaListExceptions => ("GET", "/shipment_exceptions"),
            O::ArtaGetException => ("GET", "/shipment_exceptions/*"),
            O::DiLogin => ("POST", "/ws/json/auth/v-3/login/*"),
            O::DiBook => ("POST", "/ws/json/parcel/booking/v-1/book"),
            O::DiGetOrder => ("GET", "/ws/json/parcel/booking/v-1/details/*"),
            O::DiCancelOrder => ("DELETE", "/ws/json/parcel/booking/v-1/order/cancel/*"),
            O::SkipPayLogin => ("POST", "/authentication/v1/partner"),
            O::SkipPayHealth => ("GET", "/v1/health"),
            O::SkipPayCreateApplication => ("POST", "/financing/v1/applications"),
            O::SkipPayGetApplication => ("GET", "/financing/v1/applications/*"),
            O::SkipPayCancelApplication => ("PUT", "/financing/v1/applications/*/cancel"),
            O::SkipPayCancelOrder | O::SkipPayCancelItems => {
                ("PUT", "/financing/v1/applications/*/order/cancel")
            }
        }
    }

    /// Whether it changes something at the provider (a login issues a token, which is not a
    /// change of a target: false).
    pub fn is_change(self) -> bool {
        use Operation as O;
        matches!(
            self,
            O::ArtaCreateSession
                | O::ArtaCancelSession
                | O::ArtaHold
                | O::DiBook
                | O::DiCancelOrder
                | O::SkipPayCreateApplication
                | O::SkipPayCancelApplication
                | O::SkipPayCancelOrder
                | O::SkipPayCancelItems
        )
    }

    /// The operation of a request, from its method and path; for Skip Pay's order cancel,
    /// which serves two operations, [`Operation::SkipPayCancelOrder`] (see
    /// [`Operation::of_request`] to tell the two apart by the body). `None` for a path no
    /// operation serves (and for admin routes).
    ///
    /// ```
    /// use rescind_sim::Operation;
    /// assert_eq!(
    ///     Operation::of("DELETE", "/ws/json/parcel/booking/v-1/order/cancel/70724760000000101"),
    ///     Some(Operation::DiCancelOrder)
    /// );
    /// assert_eq!(Operation::of("GET", "/__sim/counters"), None);
    /// ```
    pub fn of(method: &str, path: &str) -> Option<Operation> {
        use Operation as O;
        let path = path.strip_suffix('/').unwrap_or(path);
        let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let method = method.to_ascii_uppercase();
        let op = match (method.as_str(), parts.as_slice()) {
            ("POST", ["hosted_sessions"]) => O::ArtaCreateSession,
            ("GET", ["hosted_sessions"]) => O::ArtaListSessions,
            ("GET", ["hosted_sessions", _]) => O::ArtaGetSession,
            ("PATCH", ["hosted_sessions", _, "cancel"]) => O::ArtaCancelSession,
            ("GET", ["shipments"]) => O::ArtaListShipments,
            ("GET", ["shipments", _]) => O::ArtaGetShipment,
            ("POST", ["shipment_exceptions"]) => O::ArtaHold,
            ("GET", ["shipment_exceptions"]) => O::ArtaListExceptions,
            ("GET", ["shipment_exceptions", _]) => O::ArtaGetException,
            ("POST", ["ws", "json", "auth", "v-3", "login", _]) => O::DiLogin,
            ("POST", ["ws", "json", "parcel", "booking", "v-1", "book"]) => O::DiBook,
            ("GET", ["ws", "json", "parcel", "booking", "v-1", "details", _]) => O::DiGetOrder,
            (
                "DELETE",
                [
                    "ws",
                    "json",
                    "parcel",
                    "booking",
                    "v-1",
                    "order",
                    "cancel",
                    _,
                ],
            ) => O::DiCancelOrder,
            ("POST", ["authentication", "v1", "partner"]) => O::SkipPayLogin,
            ("GET", ["v1", "health"]) => O::SkipPayHealth,
            ("POST", ["financing", "v1", "applications"]) => O::SkipPayCreateApplication,
            ("GET", ["financing", "v1", "applications", _]) => O::SkipPayGetApplication,
            ("PUT", ["financing", "v1", "applications", _, "cancel"]) => {
                O::SkipPayCancelApplication
            }
            ("PUT", ["financing", "v1", "applications", _, "order", "cancel"]) => {
                O::SkipPayCancelOrder
            }
            _ => return None,
        };
        Some(op)
    }

    /// The operation of a request, from its method, path and body: as [`Operation::of`], and
    /// Skip Pay's order cancel is [`Operation::SkipPayCancelItems`] when its body has a
    /// non-empty `items` list.
    pub fn of_request(method: &str, path: &str, body: &[u8]) -> Option<Operation> {
        match Operation::of(method, path)? {
            Operation::SkipPayCancelOrder if has_items(body) => Some(Operation::SkipPayCancelItems),
            op => Some(op),
        }
    }

    /// Whether this operation's requests need their body read to tell the operation
    /// ([`Operation::of_request`]).
    pub(crate) fn needs_body(self) -> bool {
        self == Operation::SkipPayCancelOrder
    }
}

/// Whether a Skip Pay order-cancel body names items (`{"items": [...]}` with at least one).
fn has_items(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        items: Option<Vec<serde::de::IgnoredAny>>,
    }
    serde_json::from_slice::<Items>(body)
        .ok()
        .and_then(|b| b.items)
        .is_some_and(|items| !items.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_read_back_from_its_own_route() {
        for op in Operation::ALL {
            let path = op.path_pattern().replace('*', "x1");
            let body: &[u8] = if op == Operation::SkipPayCancelItems {
                br#"{"items": [{"code": "A"}]}"#
            } else {
                b"{}"
            };
            assert_eq!(
                Operation::of_request(op.method(), &path, body),
                Some(op),
                "{op:?}"
            );
            assert_eq!(Operation::ALL[op.index()], op);
        }
        assert_eq!(Operation::of("GET", "/hosted_sessions/42/cancel"), None);
        assert_eq!(Operation::of("GET", "/__sim/state"), None);
        assert_eq!(
            Operation::of_request(
                "PUT",
                "/financing/v1/applications/a/order/cancel",
                br#"{"items": []}"#
            ),
            Some(Operation::SkipPayCancelOrder)
        );
    }

    #[test]
    fn operations_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&Operation::DiCancelOrder).unwrap(),
            r#""di_cancel_order""#
        );
        let op: Operation = serde_json::from_str(r#""skippay_cancel_items""#).unwrap();
        assert_eq!(op, Operation::SkipPayCancelItems);
    }
}
