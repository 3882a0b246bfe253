//! Counters a test reads to assert "cancelled exactly once" and "the server saw N requests".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Applied changes per target and requests per route. Cheap to clone; clones share counts.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<Mutex<Snapshot>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Changes applied per target, keyed `provider:kind:id:change` (e.g.
    /// `arta:hosted_session:42:cancel`).
    pub applied: BTreeMap<String, u64>,
    /// Requests received per method and path, keyed `METHOD /path` (e.g.
    /// `PATCH /hosted_sessions/42/cancel`), faulted ones included.
    pub hits: BTreeMap<String, u64>,
}

impl Counters {
    /// Counts one applied change to `target`.
    pub fn applied(&self, target: impl Into<String>) {
        *self.lock().applied.entry(target.into()).or_default() += 1;
    }

    /// Counts one request to `route`.
    pub fn hit(&self, route: impl Into<String>) {
        *self.lock().hits.entry(route.into()).or_default() += 1;
    }

    /// How many changes were applied to `target`.
    pub fn applied_count(&self, target: &str) -> u64 {
        self.lock().applied.get(target).copied().unwrap_or(0)
    }

    /// How many requests reached `route` (`METHOD /path`).
    pub fn hit_count(&self, route: &str) -> u64 {
        self.lock().hits.get(route).copied().unwrap_or(0)
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        *self.lock() = Snapshot::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
