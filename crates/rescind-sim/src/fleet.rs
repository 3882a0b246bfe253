//! Many targets at once: the demo world grown with copies of its cancellable targets, and the
//! bulk input (CSV) that cancels or holds every one of them.
//!
//! For tests and benchmarks of `rescind bulk`: a [`Fleet`] says how many targets of each kind;
//! [`Fleet::world`] seeds the simulator with them and [`Fleet::rows_csv`] is the input that
//! changes each of them once, the kinds interleaved as a real stock-out file would be.
//!
//! ```
//! use rescind_sim::fleet::Fleet;
//!
//! let fleet = Fleet::of(1_000);
//! assert_eq!(fleet.rows(), 1_000);
//! assert_eq!(fleet.rows_csv().lines().count(), 1_001); // the header, then one row per target
//! ```

use serde_json::json;

use crate::World;

/// How many copies of each of the demo's cancellable targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fleet {
    /// Arta hosted sessions (copies of session 42), each cancelled by its row.
    pub arta_sessions: usize,
    /// Arta shipments (copies of the demo's first shipment, without exceptions), each held.
    pub arta_shipments: usize,
    /// Di booked orders (copies of the demo's first order), each cancelled.
    pub di_orders: usize,
    /// Skip Pay applications (copies of the demo's first one) cancelled whole.
    pub skippay_whole: usize,
    /// Skip Pay applications with 2 of their `CASE-3` items cancelled.
    pub skippay_items: usize,
}

impl Fleet {
    /// `rows` targets split as 20 % Arta sessions, 15 % Arta shipments, 30 % Di orders, 20 %
    /// Skip Pay whole cancels and the rest Skip Pay item cancels.
    pub fn of(rows: usize) -> Fleet {
        let share = |percent: usize| rows * percent / 100;
        let (arta_sessions, arta_shipments, di_orders, skippay_whole) =
            (share(20), share(15), share(30), share(20));
        Fleet {
            arta_sessions,
            arta_shipments,
            di_orders,
            skippay_whole,
            skippay_items: rows - arta_sessions - arta_shipments - di_orders - skippay_whole,
        }
    }

    /// With `n` Arta hosted sessions.
    pub fn with_arta_sessions(mut self, n: usize) -> Fleet {
        self.arta_sessions = n;
        self
    }

    /// With `n` Arta shipments.
    pub fn with_arta_shipments(mut self, n: usize) -> Fleet {
        self.arta_shipments = n;
        self
    }

    /// With `n` Di orders.
    pub fn with_di_orders(mut self, n: usize) -> Fleet {
        self.di_orders = n;
        self
    }

    /// With `n` Skip Pay applications cancelled whole.
    pub fn with_skippay_whole(mut self, n: usize) -> Fleet {
        self.skippay_whole = n;
        self
    }

    /// With `n` Skip Pay applications with some items cancelled.
    pub fn with_skippay_items(mut self, n: usize) -> Fleet {
        self.skippay_items = n;
        self
    }

    /// The number of targets, and so of rows.
    pub fn rows(&self) -> usize {
        self.arta_sessions
            + self.arta_shipments
            + self.di_orders
            + self.skippay_whole
            + self.skippay_items
    }

    /// The demo world with the fleet's targets added, and **Arta's rate limits off**
    /// ([`RateLimits::off`](crate::arta::RateLimits::off)): the fleet measures throughput (the
    /// bench runs thousands of rows, past Arta's 1,000 calls a minute). To run a fleet at
    /// Arta's limits, set them back:
    /// `world.arta.rate_limits = rescind_sim::arta::RateLimits::documented()`.
    pub fn world(&self) -> World {
        let mut w = serde_json::to_value(World::demo()).expect("a World serializes");
        let session = w["arta"]["hosted_sessions"][0].clone();
        let shipment = w["arta"]["shipments"][0].clone();
        let order = w["di"]["orders"][0].clone();
        let app = w["skippay"]["applications"][0].clone();
        let grow =
            |list: &mut serde_json::Value, n: usize, each: &dyn Fn(usize) -> serde_json::Value| {
                if let Some(list) = list.as_array_mut() {
                    list.extend((0..n).map(each));
                }
            };
        grow(
            &mut w["arta"]["hosted_sessions"],
            self.arta_sessions,
            &|i| {
                let mut s = session.clone();
                s["id"] = json!(session_id(i));
                s
            },
        );
        grow(&mut w["arta"]["shipments"], self.arta_shipments, &|i| {
            let mut s = shipment.clone();
            s["id"] = json!(shipment_id(i));
            s["exceptions"] = json!([]);
            s
        });
        grow(&mut w["di"]["orders"], self.di_orders, &|i| {
            let mut o = order.clone();
            o["shipmentId"] = json!(di_number(i));
            o
        });
        grow(
            &mut w["skippay"]["applications"],
            self.skippay_whole + self.skippay_items,
            &|i| {
                let mut a = app.clone();
                a["id"] = json!(application_id(i));
                a
            },
        );
        let mut world: World =
            serde_json::from_value(w).expect("copies of the demo's targets are a valid World");
        world.arta.rate_limits = crate::arta::RateLimits::off();
        world
    }

    /// The bulk input (CSV, `account,target,action,items,until`) that changes every target
    /// once, through the accounts `arta`, `di` and `skippay`; the kinds are interleaved.
    pub fn rows_csv(&self) -> String {
        let mut rows = Vec::with_capacity(self.rows());
        for i in 0..self.arta_sessions {
            rows.push((i * 5, format!("arta,{},cancel,,", session_id(i))));
        }
        for i in 0..self.arta_shipments {
            rows.push((i * 7 + 1, format!("arta,{},hold,,", shipment_id(i))));
        }
        for i in 0..self.di_orders {
            rows.push((i * 3 + 2, format!("di,(401){},cancel,,", di_number(i))));
        }
        for i in 0..self.skippay_whole {
            rows.push((i * 5 + 3, format!("skippay,{},cancel,,", application_id(i))));
        }
        for i in 0..self.skippay_items {
            rows.push((
                i * 7 + 4,
                format!(
                    "skippay,{},cancel_items,\"code=CASE-3,quantity=2\",",
                    application_id(self.skippay_whole + i)
                ),
            ));
        }
        rows.sort_by_key(|(k, _)| *k);
        let mut text = String::from("account,target,action,items,until\n");
        for (_, r) in rows {
            text.push_str(&r);
            text.push('\n');
        }
        text
    }
}

/// The id of the fleet's `i`-th Arta hosted session.
pub fn session_id(i: usize) -> u64 {
    10_000 + i as u64
}

/// The id of the fleet's `i`-th Arta shipment.
pub fn shipment_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The shipment number of the fleet's `i`-th Di order.
pub fn di_number(i: usize) -> String {
    format!("70724769{i:09}")
}

/// The id of the fleet's `i`-th Skip Pay application: the whole cancels first, then the item
/// cancels.
pub fn application_id(i: usize) -> String {
    format!("bulk{i:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_target_of_the_world_once() {
        let fleet = Fleet::of(1_003);
        assert_eq!(fleet.rows(), 1_003);
        let world = serde_json::to_value(fleet.world()).unwrap();
        let demo = serde_json::to_value(World::demo()).unwrap();
        let len = |w: &serde_json::Value, a: &str, b: &str| w[a][b].as_array().unwrap().len();
        assert_eq!(
            len(&world, "arta", "hosted_sessions") - len(&demo, "arta", "hosted_sessions"),
            fleet.arta_sessions
        );
        assert_eq!(
            len(&world, "di", "orders") - len(&demo, "di", "orders"),
            fleet.di_orders
        );
        assert_eq!(
            len(&world, "skippay", "applications") - len(&demo, "skippay", "applications"),
            fleet.skippay_whole + fleet.skippay_items
        );
        let csv = fleet.rows_csv();
        let targets: std::collections::HashSet<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(targets.len(), 1_003, "one row per target");
        assert!(targets.contains(format!("(401){}", di_number(0)).as_str()));
        assert!(targets.contains(application_id(fleet.skippay_whole).as_str()));
        assert!(!fleet.world().arta.rate_limits.enabled);
    }
}
