//! **rescind-sim**: a local simulator of the Arta, Di and Skip Pay APIs.
//!
//! None of the providers offers an offline sandbox. This crate is one HTTP server that answers
//! on the providers' real paths (they do not collide, so one port serves all three) with their
//! rules, state, auth and error bodies, plus fault injection, a settable clock and counters of
//! applied changes, so that clients, the CLI and tests run against something that behaves like
//! the providers. Admin endpoints live under `/__sim/` (see [`admin`]).
//!
//! The fault space ([`faults`]): any status or body answered before the change is applied,
//! after it, or with the change applied later, when the test says so ([`Sim::apply_held`]):
//! the simulator can hold a request without answering until the client gives up, then apply
//! it, so "applied after the client gave up" is deterministic, with no timer deciding it.
//!
//! Faults and counters are addressed by provider [`Operation`] ([`FaultRule::on`],
//! [`Counters::get`]) as well as by raw path; the demo data's identifiers are constants in
//! [`demo`]. Each target has its own lock and is found by id, and a read answer is serialized
//! once per change of its target, so the simulator's cost per request does not grow with the
//! data set or the concurrency (`examples/ceiling.rs` measures it).

#![forbid(unsafe_code)]

pub mod admin;
pub mod arta;
pub mod clock;
pub mod counters;
pub mod demo;
pub mod di;
pub mod faults;
pub mod fleet;
mod inject;
pub mod operation;
pub mod server;
pub mod skippay;
mod store;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use tokio::net::TcpListener;

pub use clock::Clock;
pub use counters::{Counters, OperationCounts, Snapshot};
pub use faults::{AppliedHeld, FaultAction, FaultRule, Faults, HeldRequest};
pub use operation::{Operation, Provider};
pub use world::World;

/// The environment variables (see `rescind::env`) that point the plain `arta`, `di` and
/// `skippay` accounts at a simulator at `base_url` with the demo seed's credentials
/// ([`arta::DEMO_API_KEY`], [`di::DEMO_USER`], [`skippay::DEMO_PARTNER`]).
///
/// ```
/// let env = rescind_sim::demo_env("http://127.0.0.1:8080");
/// assert!(env.contains(&("DI_BASE_URL", "http://127.0.0.1:8080".to_string())));
/// ```
pub fn demo_env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ARTA_BASE_URL", base_url.into()),
        ("ARTA_API_KEY", arta::DEMO_API_KEY.into()),
        ("DI_BASE_URL", base_url.into()),
        ("DI_USERNAME", di::DEMO_USER.0.into()),
        ("DI_PASSWORD", di::DEMO_USER.1.into()),
        ("SKIPPAY_BASE_URL", base_url.into()),
        ("SKIPPAY_USERNAME", skippay::DEMO_PARTNER.0.into()),
        ("SKIPPAY_PASSWORD", skippay::DEMO_PARTNER.1.into()),
    ]
}

/// The simulator's shared state: a handle tests and handlers use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Clock,
    faults: Faults,
    held: faults::HeldStore,
    counters: Counters,
    seed: World,
    store: store::Store,
    sequence: AtomicU64,
}

impl Sim {
    /// The clock the rules see.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The fault rules in force.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Applied changes and requests per route.
    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Runs `f` on the whole state. It waits for the requests in flight and holds every
    /// request until it returns (the targets are moved out of their per-target slots into one
    /// [`World`] and back), so it is for tests, setup and admin changes, not for a hot loop;
    /// the handlers work on one target at a time.
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        self.inner.store.with_world(f)
    }

    /// A copy of the whole state, as a seed file would hold it.
    pub fn world(&self) -> World {
        self.inner.store.world()
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.inner.store
    }

    /// A new number, unique in this simulator (ids, request ids).
    pub fn next_number(&self) -> u64 {
        self.inner.sequence.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Back to the seed state, with no faults, no held requests (discarded) and counters at
    /// zero.
    pub fn reset(&self) {
        self.inner.held.discard_all();
        let seed = self.inner.seed.clone();
        self.with_world(|w| *w = seed);
        self.inner.faults.clear();
        self.inner.counters.reset();
    }

    /// The requests a [`FaultRule::late`] fault keeps, oldest first: each waits for
    /// [`Sim::apply_held`] ("applied after the client gave up") or [`Sim::discard_held`]
    /// ("never applied"). Also `GET /__sim/faults/held`.
    pub fn held(&self) -> Vec<HeldRequest> {
        self.inner.held.list()
    }

    /// Applies held request `id` now: replays it through the real handler (the provider's
    /// rules decide, the change becomes visible to reads and counters) and discards the
    /// answer, closing the client's connection if it still waits. `None` when no such request
    /// is held. Also `POST /__sim/faults/held/{id}/apply`.
    pub async fn apply_held(&self, id: u64) -> Option<AppliedHeld> {
        self.inner.held.apply(id).await
    }

    /// Applies every held request, oldest first (see [`Sim::apply_held`]). Also
    /// `POST /__sim/faults/held/apply`.
    pub async fn apply_all_held(&self) -> Vec<AppliedHeld> {
        self.inner.held.apply_all().await
    }

    /// Forgets held request `id` without applying it ("never applied"), closing the client's
    /// connection if it still waits; whether it was held. Also
    /// `DELETE /__sim/faults/held/{id}`.
    pub fn discard_held(&self, id: u64) -> bool {
        self.inner.held.discard(id)
    }

    /// Forgets every held request; how many there were. Also `DELETE /__sim/faults/held`.
    pub fn discard_all_held(&self) -> usize {
        self.inner.held.discard_all()
    }

    /// Waits, without a timer, until `ready` holds for the held list: checked now and at every
    /// change (a request kept, its client gone, applied, discarded). For example
    /// `sim.wait_held(|h| h.len() == 1 && !h[0].client_waiting).await` waits until one request
    /// is held and its client has given up. Bound it with a timeout in tests.
    pub async fn wait_held(&self, ready: impl FnMut(&[HeldRequest]) -> bool) {
        self.inner.held.wait_until(ready).await
    }

    pub(crate) fn held_store(&self) -> &faults::HeldStore {
        &self.inner.held
    }
}

/// Configures and starts a simulator.
#[derive(Debug)]
pub struct Simulator {
    clock: Clock,
    seed: World,
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator {
            clock: Clock::real(),
            seed: World::demo(),
        }
    }
}

impl Simulator {
    /// A simulator with a real clock and the demo data set ([`World::demo`]).
    pub fn new() -> Self {
        Simulator::default()
    }

    /// Starts from `seed` instead of the demo data set.
    pub fn seed(mut self, seed: World) -> Self {
        self.seed = seed;
        self
    }

    /// Uses `clock` (e.g. [`Clock::fixed`]) for every time rule.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn build(self) -> (Sim, Router) {
        let sim = Sim {
            inner: Arc::new(Inner {
                clock: self.clock,
                faults: Faults::default(),
                held: faults::HeldStore::default(),
                counters: Counters::default(),
                store: store::Store::new(self.seed.clone()),
                seed: self.seed,
                sequence: AtomicU64::new(0),
            }),
        };
        let router = Router::new()
            .merge(arta::routes(&sim))
            .merge(di::routes())
            .merge(skippay::routes())
            .merge(admin::routes())
            .layer(axum::middleware::from_fn_with_state(
                sim.clone(),
                inject::faults,
            ))
            .with_state(sim.clone());
        (sim, router)
    }

    /// Starts on `127.0.0.1` on a free port.
    pub async fn start(self) -> std::io::Result<RunningSimulator> {
        self.start_on("127.0.0.1:0".parse().expect("a valid address"))
            .await
    }

    /// Starts on `addr`.
    pub async fn start_on(self, addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let (sim, router) = self.build();
        let running = server::serve(listener, router)?;
        Ok(RunningSimulator { sim, running })
    }
}

/// A simulator serving on a local port.
#[derive(Debug)]
pub struct RunningSimulator {
    sim: Sim,
    running: server::Running,
}

impl RunningSimulator {
    /// The base URL to give each client (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The state handle: clock, faults, counters.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Stops the server, letting requests in flight finish.
    pub async fn shutdown(self) {
        self.running.shutdown().await
    }
}
