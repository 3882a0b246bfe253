//! The simulated Arta API, on Arta's real paths.
//!
//! # Endpoints
//!
//! Every answer, errors included, carries an `x-arta-request-id` header (20 characters
//! starting with `Fsim`). Every endpoint needs `Authorization: ARTA_APIKey <key>` with a key of
//! [`ArtaWorld::api_keys`] (live keys) or [`ArtaWorld::test_api_keys`] (test keys); without
//! it, with another scheme or an unknown key the answer is 401 `{"errors": {"detail":
//! "Unauthorized"}}`.
//!
//! # Rate limits
//!
//! Per key, as Arta documents them: a live key 15 calls in flight and 1,000 calls a minute, a
//! test key 10 and 500; past either, 429 `{"errors": {"detail": "Too Many Requests: ..."}}`
//! (with `Retry-After` on the per-minute limit). Arta tells a key's kind by the API key
//! resource's `is_testing` (default false), not by the token, so a seed lists live keys in
//! `api_keys` and test keys in `test_api_keys`. [`ArtaWorld::rate_limits`] turns them off,
//! shortens the minute for tests, or holds calls in flight; see [`limits`] for what the
//! simulator chose where Arta is silent.
//!
//! # Wire types
//!
//! The bodies are the simulator's own types ([`wire`]), written from Arta's reference; no
//! client crate is involved. Every documented field of each shape is served: a hosted session
//! with `quoting_strategy`, `customs_end_use` and `customs_process` (their documented defaults
//! `best_rate`, `not_for_resale`, `ddu` when a seed or a create leaves them out); the list
//! item is the session without `customs_end_use`, `customs_process` and
//! `public_instructions_*`; a shipment with every field of Arta's `Shipment` (those a seed
//! leaves out are served with an empty or `null` value: `packages: []`, `tracking: []`,
//! `insurance_policy: null`, ...). A create reads object dimensions and weights as numbers or
//! strings (`"depth": 2` or `"2"`, as Arta's Node SDK sends them) and serves them as strings,
//! as the reference types them; a field of the wrong type or form is 400 naming its path.
//!
//! | method and path | answer |
//! |---|---|
//! | `POST /hosted_sessions` | `{"hosted_session": {...}}` → 201 the new session, status `new` (booking: `objects` and `origin` required; `inbound_booking`: `destination`); 400 `{"errors": {"detail"}}` otherwise |
//! | `GET /hosted_sessions` | a page of list items (no `customs_*`, no `public_instructions_*`) |
//! | `GET /hosted_sessions/{id}` | 200 the session; 404 |
//! | `PATCH /hosted_sessions/{id}/cancel` | 200 the session, now `cancelled`; 404; 422 for `closed` or `expired` |
//! | `GET /shipments` | a page of shipments; `search` understands `field:value` on `id`, `status`, `shortcode`, `hosted_session_id` |
//! | `GET /shipments/{id}` | 200 the shipment with its `exceptions` (without `shipment_id`); 404 |
//! | `POST /shipment_exceptions` | `{"shipment_exception": {"type", "shipment_id", "hold_until"?}}` → 201 a `requested_hold_to_collect` exception, status `new`, source `api`; 400/422 otherwise |
//! | `GET /shipment_exceptions` | a page of every shipment's exceptions |
//! | `GET /shipment_exceptions/{id}` | 200 the exception with its `shipment_id`; 404 |
//!
//! Pages: `page` from 1 (default 1), `page_size` 1 to 50 (default 20), `sort` one of
//! `created_at_desc` (default), `created_at_asc`, `updated_at_desc`, `updated_at_asc`;
//! anything else is 400. The envelope is `{"items": [...], "metadata": {"page", "page_size",
//! "total_count"}}`.
//!
//! # Admin endpoints (no key needed)
//!
//! A shipment is booked by a customer from a quote and moved by Arta's staff and carriers,
//! which a client cannot do through the API; these do it instead.
//!
//! | method and path | body | effect |
//! |---|---|---|
//! | `POST /__sim/arta/shipments` | a shipment in Arta's shape, every field optional | books it: `id` a new UUID, `status` `pending`, `created_at`/`updated_at` now, a new `shortcode`, unless given; 201, 409 if the id exists |
//! | `GET /__sim/arta/rate_limits` | | 200 the [`RateLimits`] in force |
//! | `POST /__sim/arta/rate_limits` | `{"enabled": false}`, `{"minute_ms": 600}`, `{"hold_ms": 50}` (fields left out keep their value) | changes them from the next call; 200 the new settings, 400 for a bad body |
//! | `POST /__sim/arta/shipments/{id}/status` | `{"status": "in_transit"}` | moves the shipment to any of `pending`, `confirmed`, `collected`, `in_transit`, `completed`, `cancelled` (no transition refused), sets `updated_at` and that status's `*_at`; 200, 404, 400 |
//!
//! # The rules of a hold (`POST /shipment_exceptions`)
//!
//! Checked in this order, each refusal in Arta's error shape:
//!
//! 1. The body is JSON (`Content-Type: application/json`) with a `shipment_exception`
//!    object: else 400 `{"errors": {"detail"}}`.
//! 2. Fields, all reported at once as 422 `{"errors": {"<field>": ["..."]}}`: `type` present
//!    and `requested_hold_to_collect` (the other documented types have `can_create: false`
//!    and are refused); `shipment_id` a non-blank string; `hold_until` absent, `null` or
//!    `YYYY-MM-DD`.
//! 3. The shipment exists: else 422 on `shipment_id` ("does not exist").
//! 4. Its status is `pending` or `confirmed`: else 422 on `shipment_id`.
//! 5. `hold_until`, when given, is at most the shipment's `created_at` **date plus 30 days,
//!    that day included** (created `2021-01-21T17:22:08.818747` → `2021-02-20` is the last
//!    day, `2021-02-21` is refused): else 422 on `hold_until`. This is the reading that
//!    satisfies both of Arta's phrasings ("cannot be greater than 30 days from created_at",
//!    "fewer than 30 days"); timestamps are compared as the naive values they are.
//!
//! **A `hold_until` before today is accepted** (when inside the window). Arta documents no
//! such rule: the window is the only rule on the date, and the reference's own request example
//! (`"hold_until": "2023-08-15"`) is a date in the past today. The simulator invents no
//! refusal the documentation does not have, and the client (`rescind_arta::rules`) agrees: it
//! does not refuse the date either. Such a hold is created like any other; whether Arta
//! would keep a shipment on hold until a passed date is Arta's to say.
//!
//! A hold without `hold_until` is accepted whatever the shipment's age (the window applies
//! to the date only). The hold does not change the shipment's status; it appears in the
//! shipment's `exceptions`, and `updated_at` moves.
//!
//! # Decisions where Arta's docs are silent
//!
//! - **Second cancel**: Arta documents only 200 and 404 for the cancel. Cancelling a
//!   `cancelled` session answers **200 with the session unchanged** (the cancel is a
//!   PATCH to a final state, so repeating it is harmless, which is what lets a client resend
//!   it after a timeout); only the first cancel counts as an applied change.
//! - **Sessions that cannot be cancelled**: `closed` (booked: a shipment exists) and
//!   `expired` are final; their cancel is **422** `{"errors": {"detail": "..."}}` (Arta's
//!   documented `Error` shape). Every other status (`new`, `quoted`, `pending`,
//!   `in_progress`, `disqualified`, and unknown ones) is cancellable.
//! - **Holds are not idempotent**: two accepted POSTs create two exceptions, even for the
//!   same shipment and date (Arta has no idempotency key). An existing hold does not block
//!   another.
//! - **Auth scheme case**: the scheme is compared without regard to case (HTTP auth schemes
//!   are case-insensitive, and Arta's own manual writes `Arta_APIKey`); the key exactly.
//! - **Ids**: a hosted session id that is not an integer is 404. New sessions take the next
//!   integer after the largest id; exceptions and shipments get random version 4 UUIDs.
//! - **Time**: Arta's naive timestamps are the simulator's clock in UTC, with microseconds.
//! - **Fields**: see "Wire types" above. `success_url` and `cancel_url` (typed `string`,
//!   not nullable) are `""` when the create did not give them.
//! - **Faults** answer without `x-arta-request-id` (as a proxy in front of Arta would).
//!
//! # Applied changes ([`Counters`](crate::Counters))
//!
//! | key | counted when |
//! |---|---|
//! | `arta:hosted_session:{id}:cancel` | a session becomes `cancelled` (not on a second cancel) |
//! | `arta:hosted_session:{id}:create` | a session is created |
//! | `arta:shipment:{shipment_id}:hold` | a hold exception is created (every time) |
//!
//! Admin changes are not counted.
//!
//! # Demo data (the `arta` section of `seed/demo.json`)
//!
//! API key [`DEMO_API_KEY`]. The shipments' `created_at` are fixed dates around the demo day
//! **2026-11-24**, so the hold window of the pending shipment is open until 2026-12-20. Tests
//! pin the clock (`Simulator::new().clock(Clock::fixed("2026-11-24T12:00:00Z"))`, see
//! [`DEMO_NOW`]) so that they keep passing after that date; with a real clock after
//! 2026-12-20 a hold with a date of the pending shipment is refused (a hold without a date
//! is still accepted), so a demo that asks for a dated hold should pin the clock too
//! (`POST /__sim/clock`).
//!
//! | id | what | case |
//! |---|---|---|
//! | hosted session `42` | status `new` (seed 000's shape, with the documented defaults `best_rate`, `not_for_resale`, `ddu`) | cancellable |
//! | hosted session `43` | status `cancelled` | already cancelled: a cancel answers 200, unchanged |
//! | hosted session `44` | status `closed` | booked: cancel refused (422) |
//! | shipment [`demo::PENDING`] | `pending`, created 2026-11-20 | hold allowed until 2026-12-20; has a resolved `prepayment_required` exception by Arta's team |
//! | shipment [`demo::PENDING_OLD`] | `pending`, created 2026-10-01 | window passed (last day 2026-10-31): a dated hold is refused, an undated one accepted |
//! | shipment [`demo::CONFIRMED`] | `confirmed`, created 2026-11-18 | hold allowed until 2026-12-18 |
//! | shipment [`demo::IN_TRANSIT`] | `in_transit`, created 2026-11-02 | hold refused (status) |
//! | shipment [`demo::HELD`] | `confirmed`, created 2026-11-16, with an unresolved hold until 2026-12-10 | already on hold |
//! | shipment [`demo::COMPLETED`] | `completed`, created 2026-09-14 | hold refused (status) |

mod error;
mod exceptions;
mod hosted_sessions;
pub mod limits;
mod shipments;
mod support;
pub mod wire;

use axum::Router;
use axum::routing::{get, patch, post};
use serde::{Deserialize, Serialize};

pub use limits::RateLimits;
use wire::{HostedSession, Shipment};

use crate::Sim;

/// The API key of the demo data set.
pub const DEMO_API_KEY: &str = "sim_arta_demo_0123456789abcdef";

/// The moment the demo data set is written for (2026-11-24, noon UTC); tests fix the clock
/// here.
pub const DEMO_NOW: &str = "2026-11-24T12:00:00Z";

/// The ids of the demo data set's hosted sessions and shipments.
pub mod demo {
    /// A hosted session in status `new`: cancellable.
    pub const SESSION_NEW: u64 = 42;
    /// A hosted session already `cancelled`.
    pub const SESSION_CANCELLED: u64 = 43;
    /// A hosted session `closed` (booked): its cancel is refused.
    pub const SESSION_CLOSED: u64 = 44;
    /// A `pending` shipment created 2026-11-20: hold window open until 2026-12-20.
    pub const PENDING: &str = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
    /// A `pending` shipment created 2026-10-01: hold window closed on 2026-10-31.
    pub const PENDING_OLD: &str = "1f0e9d8c-7b6a-4594-8382-716253443f21";
    /// A `confirmed` shipment created 2026-11-18.
    pub const CONFIRMED: &str = "5baff45a-281d-416e-9310-a4a7c637952e";
    /// An `in_transit` shipment: holds refused.
    pub const IN_TRANSIT: &str = "a5cbb58c-43ab-4658-9999-98a33b0070d5";
    /// A `confirmed` shipment with an unresolved hold until 2026-12-10.
    pub const HELD: &str = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f";
    /// The hold exception of [`HELD`].
    pub const HELD_EXCEPTION: &str = "d686ad3b-33fd-454c-a7aa-94b1ecbc539f";
    /// A `completed` shipment: holds refused.
    pub const COMPLETED: &str = "9e8d7c6b-5a49-4382-b716-0f1e2d3c4b5a";
}

/// Arta's part of the simulator's state, and of a seed file.
///
/// A shipment's exceptions live in its `exceptions` (their `shipment_id` may be left out:
/// it is filled in from the shipment when served by `/shipment_exceptions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArtaWorld {
    /// The live private API keys accepted in `Authorization: ARTA_APIKey <key>` (Arta's
    /// `is_testing: false`, the default): 15 concurrent calls, 1,000 a minute.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// The test-mode keys (`is_testing: true`): 10 concurrent calls, 500 a minute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_api_keys: Vec<String>,
    /// The rate limits' settings (on, with a real minute, by default).
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Hosted sessions, in Arta's shape.
    #[serde(default)]
    pub hosted_sessions: Vec<HostedSession>,
    /// Shipments, in Arta's shape, each with its exceptions.
    #[serde(default)]
    pub shipments: Vec<Shipment>,
}

impl ArtaWorld {
    /// The limits of `key`'s kind, or `None` for a key the simulator does not know.
    pub fn key_limits(&self, key: &str) -> Option<limits::KeyLimits> {
        if self.api_keys.iter().any(|k| k == key) {
            Some(limits::LIVE)
        } else if self.test_api_keys.iter().any(|k| k == key) {
            Some(limits::TEST)
        } else {
            None
        }
    }
}

/// Arta's routes, on the provider's real paths, and its admin routes under `/__sim/arta/`.
/// The rate limits sit inside the request id layer, so a 429 carries one too.
pub(crate) fn routes(sim: &Sim) -> Router<Sim> {
    let limit_state = limits::LimitState {
        sim: sim.clone(),
        limiter: limits::Limiter::default(),
    };
    let api = Router::new()
        .route(
            "/hosted_sessions",
            get(hosted_sessions::list).post(hosted_sessions::create),
        )
        .route("/hosted_sessions/{id}", get(hosted_sessions::get))
        .route(
            "/hosted_sessions/{id}/cancel",
            patch(hosted_sessions::cancel),
        )
        .route("/shipments", get(shipments::list))
        .route("/shipments/{id}", get(shipments::get))
        .route(
            "/shipment_exceptions",
            get(exceptions::list).post(exceptions::create),
        )
        .route("/shipment_exceptions/{id}", get(exceptions::get))
        .layer(axum::middleware::from_fn_with_state(
            limit_state,
            limits::limit,
        ))
        .layer(axum::middleware::map_response(support::request_id));
    let admin = Router::new()
        .route(
            "/__sim/arta/rate_limits",
            get(limits::admin_get).post(limits::admin_set),
        )
        .route("/__sim/arta/shipments", post(shipments::admin_create))
        .route(
            "/__sim/arta/shipments/{id}/status",
            post(shipments::admin_set_status),
        );
    api.merge(admin)
}
