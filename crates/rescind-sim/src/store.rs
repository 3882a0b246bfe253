//! The live state, laid out for concurrent requests: every target (an Arta hosted session or
//! shipment, a Di order, a Skip Pay application) in its own slot with its own lock, found by
//! id through a hash index; the rest of the world (keys, users, tokens, settings) behind one
//! read-write lock that requests only read, logins apart.
//!
//! A request on one target takes the index's read lock (shared: no request waits for another
//! there), then that target's mutex, and never awaits while holding either. Two requests on one
//! target are serialized by its mutex, so each sees the other's change (no lost update); requests
//! on different targets never wait for each other.
//!
//! Each slot keeps the bytes of its last rendered read answer (`GET`) until the target changes:
//! an answer is serialized once per state change, not once per request.
//!
//! [`Sim::with_world`](crate::Sim::with_world) still hands out a whole [`World`]: it takes every
//! lock for writing (waiting for the requests in flight), moves the targets out into the world,
//! runs the caller's function, and rebuilds the tables from the result. That is for tests,
//! admin endpoints and seeds, not for the hot path.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;

use crate::World;
use crate::arta::wire::{HostedSession, Shipment};
use crate::di::DiOrder;
use crate::skippay::Application;

/// What a target is found by: its id, and for a Di order its other identifiers too.
pub(crate) trait Keyed {
    /// The key type.
    type Key: Hash + Eq + Clone + std::fmt::Debug;
    /// Every key that names this target.
    fn keys(&self) -> Vec<Self::Key>;
}

impl Keyed for HostedSession {
    type Key = u64;
    fn keys(&self) -> Vec<u64> {
        vec![self.id]
    }
}

impl Keyed for Shipment {
    type Key = String;
    fn keys(&self) -> Vec<String> {
        vec![self.id.clone()]
    }
}

impl Keyed for DiOrder {
    type Key = String;
    fn keys(&self) -> Vec<String> {
        self.identifiers()
    }
}

impl Keyed for Application {
    type Key = String;
    fn keys(&self) -> Vec<String> {
        vec![self.id.clone()]
    }
}

/// One target and the bytes of its last rendered read answer.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    value: T,
    cached: Option<Bytes>,
}

impl<T> Slot<T> {
    /// The target.
    pub(crate) fn get(&self) -> &T {
        &self.value
    }

    /// The target, to change: the cached answer is dropped.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.cached = None;
        &mut self.value
    }

    /// The read answer's bytes: the cached ones, or `render`'s, kept until the target changes.
    pub(crate) fn rendered(&mut self, render: impl FnOnce(&T) -> Bytes) -> Bytes {
        if let Some(bytes) = &self.cached {
            return bytes.clone();
        }
        let bytes = render(&self.value);
        self.cached = Some(bytes.clone());
        bytes
    }
}

type Cell<T> = Arc<Mutex<Slot<T>>>;

fn lock<T>(cell: &Mutex<T>) -> MutexGuard<'_, T> {
    cell.lock().unwrap_or_else(|e| e.into_inner())
}

/// The targets of one kind, in seed order, indexed by every key that names them.
#[derive(Debug)]
struct Index<T: Keyed> {
    order: Vec<Cell<T>>,
    by_key: HashMap<T::Key, Vec<Cell<T>>>,
}

impl<T: Keyed> Default for Index<T> {
    fn default() -> Self {
        Index {
            order: Vec::new(),
            by_key: HashMap::new(),
        }
    }
}

impl<T: Keyed> Index<T> {
    fn from_vec(values: Vec<T>) -> Self {
        let mut index = Index::default();
        for value in values {
            index.push(value);
        }
        index
    }

    fn push(&mut self, value: T) {
        let keys = value.keys();
        let cell = Arc::new(Mutex::new(Slot {
            value,
            cached: None,
        }));
        for key in keys {
            self.by_key.entry(key).or_default().push(cell.clone());
        }
        self.order.push(cell);
    }

    /// The targets, moved out (every other handle on them is gone: the caller holds the write
    /// lock, and handles live only under the read lock).
    fn take(&mut self) -> Vec<T> {
        self.by_key.clear();
        std::mem::take(&mut self.order)
            .into_iter()
            .map(|cell| match Arc::try_unwrap(cell) {
                Ok(mutex) => mutex.into_inner().unwrap_or_else(|e| e.into_inner()).value,
                Err(cell) => panic!(
                    "a target is still referenced outside the table ({} handles)",
                    Arc::strong_count(&cell)
                ),
            })
            .collect()
    }
}

/// The targets of one kind.
#[derive(Debug)]
pub(crate) struct Table<T: Keyed> {
    index: RwLock<Index<T>>,
}

impl<T: Keyed> Table<T> {
    fn new(values: Vec<T>) -> Self {
        Table {
            index: RwLock::new(Index::from_vec(values)),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Index<T>> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index<T>> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the first target (in seed order) named by `key` for which `which` holds,
    /// under that target's lock; `None` when there is none.
    pub(crate) fn find<Q, R>(
        &self,
        key: &Q,
        which: impl Fn(&T) -> bool,
        f: impl FnOnce(&mut Slot<T>) -> R,
    ) -> Option<R>
    where
        T::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = self.read();
        for cell in index.by_key.get(key)? {
            let mut slot = lock(cell);
            if which(&slot.value) {
                return Some(f(&mut slot));
            }
        }
        None
    }

    /// Runs `f` on the target named by `key` (the first, in seed order), under its lock.
    pub(crate) fn with<Q, R>(&self, key: &Q, f: impl FnOnce(&mut Slot<T>) -> R) -> Option<R>
    where
        T::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key, |_| true, f)
    }

    /// A copy of every target, in seed order (for lists).
    pub(crate) fn all(&self) -> Vec<T>
    where
        T: Clone,
    {
        let index = self.read();
        index.order.iter().map(|c| lock(c).value.clone()).collect()
    }

    /// Adds the target `make` returns, or its error: `make` runs under the table's write lock
    /// and sees the targets already there (a scan: for creates, not for requests on one
    /// target).
    pub(crate) fn insert<E>(&self, make: impl FnOnce(&[&T]) -> Result<T, E>) -> Result<(), E> {
        let mut index = self.write();
        let guards: Vec<MutexGuard<'_, Slot<T>>> = index.order.iter().map(|c| lock(c)).collect();
        let existing: Vec<&T> = guards.iter().map(|g| &g.value).collect();
        let value = make(&existing)?;
        drop(existing);
        drop(guards);
        index.push(value);
        Ok(())
    }
}

/// Everything but the targets, with an index of Di's tokens.
#[derive(Debug, Default)]
pub(crate) struct Rest {
    /// The world without its targets (their lists are empty here).
    pub(crate) world: World,
    /// Di's tokens by token: their position in `world.di.tokens`.
    di_tokens: HashMap<String, usize>,
    /// Di's tokens are pruned of long-expired ones when there are this many.
    di_prune_at: usize,
    /// Skip Pay's tokens are pruned of expired ones when there are this many.
    skippay_prune_at: usize,
}

impl Rest {
    fn new(world: World) -> Self {
        let mut rest = Rest {
            world,
            di_tokens: HashMap::new(),
            di_prune_at: 0,
            skippay_prune_at: 0,
        };
        rest.reindex();
        rest
    }

    /// Rebuilds the token index after `world.di.tokens` changed.
    pub(crate) fn reindex(&mut self) {
        self.di_tokens = self
            .world
            .di
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.token.clone(), i))
            .collect();
        self.di_prune_at = (self.world.di.tokens.len() * 2).max(64);
        self.skippay_prune_at = (self.world.skippay.tokens.len() * 2).max(64);
    }

    /// Whether a Skip Pay login should first forget the expired tokens: once their number has
    /// doubled since the last time (a login costs constant time on average, not a scan).
    pub(crate) fn skippay_tokens_to_prune(&mut self) -> bool {
        let len = self.world.skippay.tokens.len();
        if len < self.skippay_prune_at {
            return false;
        }
        self.skippay_prune_at = (len * 2).max(64);
        true
    }

    /// Di's token `token`, if issued.
    pub(crate) fn di_token(&self, token: &str) -> Option<&crate::di::DiToken> {
        self.di_tokens
            .get(token)
            .and_then(|&i| self.world.di.tokens.get(i))
    }

    /// Adds a Di token; first forgets those `forget` says are stale, once the list has doubled
    /// since it was last pruned (so a login costs constant time on average, not a scan).
    pub(crate) fn add_di_token(
        &mut self,
        token: crate::di::DiToken,
        forget: impl Fn(&crate::di::DiToken) -> bool,
    ) {
        if self.world.di.tokens.len() >= self.di_prune_at {
            self.world.di.tokens.retain(|t| !forget(t));
            self.reindex();
        }
        self.di_tokens
            .insert(token.token.clone(), self.world.di.tokens.len());
        self.world.di.tokens.push(token);
    }
}

/// Every lock of the state taken for writing, and the whole world moved out of it; dropping it
/// puts the world back.
struct Whole<'a> {
    rest: RwLockWriteGuard<'a, Rest>,
    sessions: RwLockWriteGuard<'a, Index<HostedSession>>,
    shipments: RwLockWriteGuard<'a, Index<Shipment>>,
    orders: RwLockWriteGuard<'a, Index<DiOrder>>,
    applications: RwLockWriteGuard<'a, Index<Application>>,
    world: World,
}

impl Drop for Whole<'_> {
    fn drop(&mut self) {
        let mut world = std::mem::take(&mut self.world);
        *self.sessions = Index::from_vec(std::mem::take(&mut world.arta.hosted_sessions));
        *self.shipments = Index::from_vec(std::mem::take(&mut world.arta.shipments));
        *self.orders = Index::from_vec(std::mem::take(&mut world.di.orders));
        *self.applications = Index::from_vec(std::mem::take(&mut world.skippay.applications));
        self.rest.world = world;
        self.rest.reindex();
    }
}

/// The live state.
#[derive(Debug)]
pub(crate) struct Store {
    rest: RwLock<Rest>,
    pub(crate) sessions: Table<HostedSession>,
    pub(crate) shipments: Table<Shipment>,
    pub(crate) orders: Table<DiOrder>,
    pub(crate) applications: Table<Application>,
}

impl Store {
    /// The state of `world`.
    pub(crate) fn new(mut world: World) -> Self {
        let sessions = Table::new(std::mem::take(&mut world.arta.hosted_sessions));
        let shipments = Table::new(std::mem::take(&mut world.arta.shipments));
        let orders = Table::new(std::mem::take(&mut world.di.orders));
        let applications = Table::new(std::mem::take(&mut world.skippay.applications));
        Store {
            rest: RwLock::new(Rest::new(world)),
            sessions,
            shipments,
            orders,
            applications,
        }
    }

    /// Reads the rest of the world (keys, users, tokens, settings).
    pub(crate) fn rest<R>(&self, f: impl FnOnce(&Rest) -> R) -> R {
        f(&self.rest.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the rest of the world (logins, settings).
    pub(crate) fn rest_mut<R>(&self, f: impl FnOnce(&mut Rest) -> R) -> R {
        f(&mut self.rest.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `f` on the whole world: every lock taken for writing (in one order: the rest, then
    /// the tables), the targets moved out and back.
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut whole = Whole {
            rest: self.rest.write().unwrap_or_else(|e| e.into_inner()),
            sessions: self.sessions.write(),
            shipments: self.shipments.write(),
            orders: self.orders.write(),
            applications: self.applications.write(),
            world: World::default(),
        };
        whole.world = std::mem::take(&mut whole.rest.world);
        whole.world.arta.hosted_sessions = whole.sessions.take();
        whole.world.arta.shipments = whole.shipments.take();
        whole.world.di.orders = whole.orders.take();
        whole.world.skippay.applications = whole.applications.take();
        // Put back when `whole` drops: after `f`, or while a panic in `f` unwinds, so that the
        // state is never left without its targets.
        f(&mut whole.world)
    }

    /// A copy of the whole world.
    pub(crate) fn world(&self) -> World {
        let rest = self.rest.read().unwrap_or_else(|e| e.into_inner());
        let mut world = rest.world.clone();
        world.arta.hosted_sessions = self.sessions.all();
        world.arta.shipments = self.shipments.all();
        world.di.orders = self.orders.all();
        world.skippay.applications = self.applications.all();
        world
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_goes_out_and_back_unchanged_and_lookups_find_targets_by_id() {
        let store = Store::new(World::demo());
        assert_eq!(store.world(), World::demo());
        store.with_world(|_| ());
        assert_eq!(store.world(), World::demo());
        let status = store.sessions.with(&42, |s| s.get().status.clone());
        assert_eq!(status.as_deref(), Some("new"));
        assert!(store.sessions.with(&4242, |_| ()).is_none());
        // A target added through the whole world is found by id.
        store.with_world(|w| {
            let mut session = w.arta.hosted_sessions[0].clone();
            session.id = 4242;
            w.arta.hosted_sessions.push(session);
        });
        assert!(store.sessions.with(&4242, |_| ()).is_some());
    }

    #[test]
    fn a_panic_inside_with_world_leaves_the_state_in_place() {
        let store = Store::new(World::demo());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.with_world(|w| {
                w.arta.hosted_sessions.retain(|s| s.id != 42);
                panic!("a test's assertion");
            })
        }));
        assert!(panicked.is_err());
        // The change made before the panic stays, and everything else is still there.
        assert!(store.sessions.with(&42, |_| ()).is_none());
        assert!(store.sessions.with(&43, |_| ()).is_some());
        assert_eq!(store.world().di, World::demo().di);
    }

    #[test]
    fn a_cached_answer_is_dropped_when_the_target_changes() {
        let store = Store::new(World::demo());
        let render = |s: &HostedSession| Bytes::from(s.status.clone());
        let first = store.sessions.with(&42, |s| s.rendered(render)).unwrap();
        assert_eq!(first, "new");
        store
            .sessions
            .with(&42, |s| s.get_mut().status = "cancelled".into());
        let second = store.sessions.with(&42, |s| s.rendered(render)).unwrap();
        assert_eq!(second, "cancelled");
    }
}
