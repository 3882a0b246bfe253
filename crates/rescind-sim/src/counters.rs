//! Counters a test reads to assert "cancelled exactly once" and "the server saw N requests".
//!
//! Two views of the same requests:
//!
//! - **typed, per [`Operation`]**: [`Counters::get`] gives the requests of one operation, the
//!   429s they were answered (Arta's rate limits or a fault), and the changes they applied
//!   ([`OperationCounts`]); [`Snapshot::operations`] gives every operation's at once.
//! - **raw, by key**: changes applied per target (`provider:kind:id:change`, e.g.
//!   `arta:hosted_session:42:cancel`, listed in each provider module's docs) and requests per
//!   method and path (`PATCH /hosted_sessions/42/cancel`), for a test about one target or one
//!   exact path.
//!
//! Every count is kept without a lock shared by all requests: the typed ones are atomics, the
//! raw ones are sharded by key.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::operation::Operation;

tokio::task_local! {
    /// The operation of the request being handled, so that a change applied by a handler is
    /// counted for it.
    pub(crate) static CURRENT: Operation;
}

/// Applied changes per target and requests per route and per operation. Cheap to clone;
/// clones share counts.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<Shared>,
}

const SHARDS: usize = 16;

#[derive(Debug, Default)]
struct Shared {
    operations: [OperationCells; Operation::ALL.len()],
    applied: Sharded,
    hits: Sharded,
}

#[derive(Debug, Default)]
struct OperationCells {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    applied: AtomicU64,
}

/// A map of counts split over [`SHARDS`] locks by the key's hash.
#[derive(Debug, Default)]
struct Sharded {
    shards: [Mutex<HashMap<String, u64>>; SHARDS],
    hasher: std::collections::hash_map::RandomState,
}

impl Sharded {
    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, key: String) {
        let mut shard = self.shard(&key);
        match shard.get_mut(&key) {
            Some(n) => *n += 1,
            None => {
                shard.insert(key, 1);
            }
        }
    }

    fn get(&self, key: &str) -> u64 {
        self.shard(key).get(key).copied().unwrap_or(0)
    }

    fn all(&self) -> BTreeMap<String, u64> {
        self.shards
            .iter()
            .flat_map(|s| {
                let s = s.lock().unwrap_or_else(|e| e.into_inner());
                s.iter().map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()
            })
            .collect()
    }

    fn clear(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

/// The counts of one [`Operation`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OperationCounts {
    requests: u64,
    rate_limited: u64,
    applied: u64,
}

impl OperationCounts {
    /// Requests received, faulted ones included (a held request's replay is not a new one).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Requests answered 429 Too Many Requests: by Arta's rate limits, or by a fault.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited
    }

    /// Changes applied by requests of this operation (a replayed held request's included).
    /// One request may apply several: a Skip Pay item cancel counts each item it changed, and
    /// an order it cancelled with them, as the raw keys do.
    pub fn applied(&self) -> u64 {
        self.applied
    }
}

/// A copy of the counters at one moment (also `GET /__sim/counters`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// Changes applied per target, keyed `provider:kind:id:change` (e.g.
    /// `arta:hosted_session:42:cancel`).
    pub applied: BTreeMap<String, u64>,
    /// Requests received per method and path, keyed `METHOD /path` (e.g.
    /// `PATCH /hosted_sessions/42/cancel`), faulted ones included.
    pub hits: BTreeMap<String, u64>,
    /// The counts of every operation that saw a request or applied a change.
    pub operations: BTreeMap<Operation, OperationCounts>,
}

impl Snapshot {
    /// The counts of `operation` (zeros when it saw nothing).
    pub fn get(&self, operation: Operation) -> OperationCounts {
        self.operations.get(&operation).copied().unwrap_or_default()
    }

    /// How many changes were applied to `target` (`provider:kind:id:change`).
    pub fn applied_count(&self, target: &str) -> u64 {
        self.applied.get(target).copied().unwrap_or(0)
    }

    /// How many requests reached `route` (`METHOD /path`).
    pub fn hit_count(&self, route: &str) -> u64 {
        self.hits.get(route).copied().unwrap_or(0)
    }

    /// Requests of every operation.
    pub fn requests(&self) -> u64 {
        self.operations.values().map(|c| c.requests).sum()
    }

    /// 429 answers of every operation.
    pub fn rate_limited(&self) -> u64 {
        self.operations.values().map(|c| c.rate_limited).sum()
    }
}

impl Counters {
    /// Counts one applied change to `target` (`provider:kind:id:change`), for the operation of
    /// the request being handled, if any.
    pub fn applied(&self, target: impl Into<String>) {
        if let Ok(op) = CURRENT.try_with(|op| *op) {
            self.cells(op).applied.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.applied.add(target.into());
    }

    /// Counts one request to `route` (`METHOD /path`), not tied to an operation.
    pub fn hit(&self, route: impl Into<String>) {
        self.inner.hits.add(route.into());
    }

    /// Counts one request of `operation` (if it has one) to `method` `path`.
    pub(crate) fn request(&self, operation: Option<Operation>, method: &str, path: &str) {
        if let Some(op) = operation {
            self.cells(op).requests.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.hits.add(format!("{method} {path}"));
    }

    /// Counts one 429 answer to a request of `operation`.
    pub(crate) fn rate_limited(&self, operation: Operation) {
        self.cells(operation)
            .rate_limited
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The counts of `operation`.
    ///
    /// ```
    /// use rescind_sim::{Counters, Operation};
    /// let counters = Counters::default();
    /// assert_eq!(counters.get(Operation::DiCancelOrder).requests(), 0);
    /// ```
    pub fn get(&self, operation: Operation) -> OperationCounts {
        let cells = self.cells(operation);
        OperationCounts {
            requests: cells.requests.load(Ordering::Relaxed),
            rate_limited: cells.rate_limited.load(Ordering::Relaxed),
            applied: cells.applied.load(Ordering::Relaxed),
        }
    }

    /// How many changes were applied to `target`.
    pub fn applied_count(&self, target: &str) -> u64 {
        self.inner.applied.get(target)
    }

    /// How many requests reached `route` (`METHOD /path`).
    pub fn hit_count(&self, route: &str) -> u64 {
        self.inner.hits.get(route)
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            applied: self.inner.applied.all(),
            hits: self.inner.hits.all(),
            operations: Operation::ALL
                .iter()
                .map(|&op| (op, self.get(op)))
                .filter(|(_, c)| *c != OperationCounts::default())
                .collect(),
        }
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        for cells in &self.inner.operations {
            cells.requests.store(0, Ordering::Relaxed);
            cells.rate_limited.store(0, Ordering::Relaxed);
            cells.applied.store(0, Ordering::Relaxed);
        }
        self.inner.applied.clear();
        self.inner.hits.clear();
    }

    fn cells(&self, operation: Operation) -> &OperationCells {
        &self.inner.operations[operation.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_counts_for_the_operation_in_whose_scope_it_is_applied() {
        let counters = Counters::default();
        counters.request(Some(Operation::DiCancelOrder), "DELETE", "/x");
        CURRENT
            .scope(Operation::DiCancelOrder, async {
                counters.applied("di:order:1:cancel");
            })
            .await;
        counters.applied("di:order:2:cancel");
        counters.rate_limited(Operation::DiCancelOrder);
        let c = counters.get(Operation::DiCancelOrder);
        assert_eq!((c.requests(), c.applied(), c.rate_limited()), (1, 1, 1));
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.get(Operation::DiCancelOrder), c);
        assert_eq!(
            snapshot.get(Operation::ArtaHold),
            OperationCounts::default()
        );
        assert_eq!(snapshot.applied.len(), 2);
        assert_eq!(snapshot.hit_count("DELETE /x"), 1);
        counters.reset();
        assert_eq!(counters.snapshot(), Snapshot::default());
    }
}
