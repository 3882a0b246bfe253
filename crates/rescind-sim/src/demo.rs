//! The identifiers of the demo data set (`seed/demo.json`, [`World::demo`](crate::World::demo)),
//! one module per provider: credentials and every target with its case, so that the CLI's
//! demo, the examples and tests name them instead of repeating literals. Each provider
//! module's docs ([`crate::arta`], [`crate::di`], [`crate::skippay`]) describe the cases in
//! full; a test checks that every constant here names something in the seed.
//!
//! ```
//! use rescind_sim::{World, demo};
//! let world = World::demo();
//! assert!(world.di.order(demo::di::ORDER_CANCELLABLE).is_some());
//! assert!(world.skippay.application(demo::skippay::READY).is_some());
//! ```

/// Arta: the API key, the demo day, hosted sessions and shipments.
pub mod arta {
    pub use crate::arta::demo::{
        COMPLETED, CONFIRMED, HELD, HELD_EXCEPTION, IN_TRANSIT, PENDING, PENDING_OLD,
        SESSION_CANCELLED, SESSION_CLOSED, SESSION_NEW,
    };

    /// The live API key of the demo data set (`Authorization: ARTA_APIKey <key>`).
    pub const API_KEY: &str = crate::arta::DEMO_API_KEY;

    /// The moment the demo data set is written for (2026-11-24, noon UTC).
    pub const NOW: &str = crate::arta::DEMO_NOW;
}

/// Di: users and booked orders (by shipment number).
pub mod di {
    /// The user of the demo (shops 1234 and 16, may edit orders).
    pub const USER: &str = crate::di::DEMO_USER.0;
    /// [`USER`]'s password.
    pub const PASSWORD: &str = crate::di::DEMO_USER.1;
    /// Another web shop's user (shop 5678).
    pub const OTHER_USER: &str = "wsother";
    /// [`OTHER_USER`]'s password.
    pub const OTHER_PASSWORD: &str = "another-very-long-password";
    /// A user of shop 1234 who may not edit orders (a cancel is 403 `no.access.api`).
    pub const READ_ONLY_USER: &str = "wsreadonly";
    /// [`READ_ONLY_USER`]'s password.
    pub const READ_ONLY_PASSWORD: &str = "read-only-password";

    /// Delivery on 2099-06-15, before the in-transit window: a cancel answers 200.
    pub const ORDER_CANCELLABLE: &str = "70724760000000101";
    /// Delivery on 2020-01-15, inside the window: in transit, 400 `order.exported`.
    pub const ORDER_IN_TRANSIT: &str = "70724760000000102";
    /// No desired delivery date: in transit since booking, 400 `order.exported`.
    pub const ORDER_NO_DATE: &str = "70724760000000103";
    /// Already cancelled: 400 `order.cancelled`.
    pub const ORDER_CANCELLED: &str = "70724760000000104";
    /// Pick-up on 2099-07-01 (return code [`RETURN_CODE_PICKUP`]), before the cut-off: 200.
    pub const ORDER_PICKUP: &str = "70724760000000105";
    /// The return code of [`ORDER_PICKUP`], which names it too.
    pub const RETURN_CODE_PICKUP: &str = "R105";
    /// Pick-up on 2020-02-01, past the cut-off: 400 `order.exported`.
    pub const ORDER_PICKUP_PASSED: &str = "70724760000000106";
    /// Delivery in 2099 but scanned by the carrier: 400 `order.exported`.
    pub const ORDER_SCANNED: &str = "70724760000000107";
    /// [`OTHER_USER`]'s order: 403 `no.access.shop.id` for [`USER`].
    pub const ORDER_OTHER_SHOP: &str = "70724760000000108";
    /// Delivered early (a final status): 400 `error.parcel.final.status`.
    pub const ORDER_DELIVERED: &str = "70724760000000109";
}

/// Skip Pay: partners and applications.
pub mod skippay {
    /// The partner of the demo, who owns every demo application.
    pub const PARTNER: &str = crate::skippay::DEMO_PARTNER.0;
    /// [`PARTNER`]'s password.
    pub const PASSWORD: &str = crate::skippay::DEMO_PARTNER.1;
    /// Another partner, who sees none of the demo applications.
    pub const OTHER_PARTNER: &str = "otherShop";
    /// [`OTHER_PARTNER`]'s password.
    pub const OTHER_PASSWORD: &str = "otherShopSecretPassword";

    /// READY / READY_TO_SHIP, order `AA234` with several items ([`ITEM_PHONE`],
    /// [`ITEM_CASE`], [`ITEM_CABLE`], [`ITEM_SHIPPING`]): whole and partial cancels.
    pub const READY: &str = "11200a0ee1";
    /// READY / READY_TO_SHIP, order `AA235`, two items: a whole-order cancel.
    pub const READY_TWO_ITEMS: &str = "11200a0ee2";
    /// PROCESSING / PROCESSING_REDIRECT_NEEDED: order cancel refused, application cancel
    /// allowed.
    pub const PROCESSING: &str = "11200a0ee3";
    /// PROCESSING / PROCESSING_VALIDATION_IN_PROGRESS: every cancel refused.
    pub const VALIDATING: &str = "11200a0ee4";
    /// REJECTED: every cancel refused.
    pub const REJECTED: &str = "11200a0ee5";
    /// CANCELLED / CANCELLED_NOT_PAID: already cancelled.
    pub const CANCELLED: &str = "11200a0ee6";
    /// READY / READY_SHIPPED, order and items SENT: cancels refused.
    pub const SHIPPED: &str = "11200a0ee7";
    /// READY / READY_TO_SHIP with its order already CANCELLED: a repeat answers 200, unchanged.
    pub const ORDER_CANCELLED: &str = "11200a0ee8";

    /// [`READY`]'s iPhone (quantity 1, the seed's example item).
    pub const ITEM_PHONE: &str = "EXC4677-1a";
    /// [`READY`]'s phone case (quantity 3).
    pub const ITEM_CASE: &str = "CASE-3";
    /// [`READY`]'s cable sold by the metre (quantity 2.5).
    pub const ITEM_CABLE: &str = "CABLE-M";
    /// [`READY`]'s shipping fee (`SHIPPING_FEE`).
    pub const ITEM_SHIPPING: &str = "SHIP-PPL";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;

    #[test]
    fn every_demo_identifier_names_something_in_the_demo_seed() {
        let w = World::demo();
        for id in [
            arta::SESSION_NEW,
            arta::SESSION_CANCELLED,
            arta::SESSION_CLOSED,
        ] {
            assert!(w.arta.hosted_sessions.iter().any(|s| s.id == id), "{id}");
        }
        for id in [
            arta::PENDING,
            arta::PENDING_OLD,
            arta::CONFIRMED,
            arta::IN_TRANSIT,
            arta::HELD,
            arta::COMPLETED,
        ] {
            assert!(w.arta.shipments.iter().any(|s| s.id == id), "{id}");
        }
        assert!(w.arta.api_keys.iter().any(|k| k == arta::API_KEY));
        for (user, password) in [
            (di::USER, di::PASSWORD),
            (di::OTHER_USER, di::OTHER_PASSWORD),
            (di::READ_ONLY_USER, di::READ_ONLY_PASSWORD),
        ] {
            assert!(
                w.di.users
                    .iter()
                    .any(|u| u.username == user && u.password == password),
                "{user}"
            );
        }
        for id in [
            di::ORDER_CANCELLABLE,
            di::ORDER_IN_TRANSIT,
            di::ORDER_NO_DATE,
            di::ORDER_CANCELLED,
            di::ORDER_PICKUP,
            di::ORDER_PICKUP_PASSED,
            di::ORDER_SCANNED,
            di::ORDER_OTHER_SHOP,
            di::ORDER_DELIVERED,
        ] {
            assert!(w.di.order(id).is_some(), "{id}");
        }
        assert!(
            w.di.orders
                .iter()
                .any(|o| o.is_named_by(di::RETURN_CODE_PICKUP) && o.shipment_id == di::ORDER_PICKUP)
        );
        for (user, password) in [
            (skippay::PARTNER, skippay::PASSWORD),
            (skippay::OTHER_PARTNER, skippay::OTHER_PASSWORD),
        ] {
            assert!(
                w.skippay
                    .partners
                    .contains(&crate::skippay::PartnerAccount::new(user, password)),
                "{user}"
            );
        }
        for id in [
            skippay::READY,
            skippay::READY_TWO_ITEMS,
            skippay::PROCESSING,
            skippay::VALIDATING,
            skippay::REJECTED,
            skippay::CANCELLED,
            skippay::SHIPPED,
            skippay::ORDER_CANCELLED,
        ] {
            assert!(w.skippay.application(id).is_some(), "{id}");
        }
        let ready = w.skippay.application(skippay::READY).unwrap();
        let codes = serde_json::to_value(&ready.order).unwrap();
        for code in [
            skippay::ITEM_PHONE,
            skippay::ITEM_CASE,
            skippay::ITEM_CABLE,
            skippay::ITEM_SHIPPING,
        ] {
            assert!(
                codes["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["code"] == code),
                "{code}"
            );
        }
    }
}
