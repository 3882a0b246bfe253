//! Fault injection: make the next N requests of a route (or a fraction of them) fail the way
//! networks and providers fail.
//!
//! # The fault space
//!
//! A [`FaultRule`] picks requests (provider [`Operation`], or method and path pattern; `times`,
//! `fraction`), may wait
//! (`delay_ms`), and then combines **what the client gets** ([`FaultAction`]) with **whether
//! and when the change happens**:
//!
//! | `apply` / `late` | the change | models |
//! |---|---|---|
//! | neither | never applied | a refusal, or a failure before the provider processed it |
//! | `apply: true` | applied, then the action answers | a status, a body or a lost connection after the change |
//! | `late: true` | kept in the held list, applied (or discarded) when the test says so | a change the provider applies after the client gave up |
//!
//! What the client gets:
//!
//! | action | answer |
//! |---|---|
//! | `status` | that status with `{"message": "simulated fault: N"}`, optional `Retry-After` |
//! | `drop` | the connection closed, nothing written |
//! | `hold` | nothing, the connection open until the client gives up (its own timeout) |
//! | `malformed_json` | 200, `application/json`, a body that does not parse |
//! | `html` | 502 with a proxy's HTML page |
//! | `empty` | 200 with no body |
//! | `oversized` | 200 with a JSON body of the given size |
//! | `unexpected_json` | 200 with JSON that is not the success type: `{"padding":"xxxx"}` |
//! | `envelope` | that status with the provider's own error envelope ([`envelope`]): a documented refusal on a 4xx (401: a key or token refused before its expiry), an error envelope carried by a 2xx |
//! | `gateway_text` | that status as a gateway's `text/plain` page, without the envelope |
//! | `body` | exactly the status, content type and body given |
//! | `redirect` | that status (a 3xx) with a `Location` header and no body: a gateway or a moved endpoint; a client that follows it sends the request twice |
//! | none | the real answer (with `delay_ms`, a pure delay); with `late`, nothing (as `hold`) |
//!
//! Login faults are faults on the login routes (a `status` 5xx on
//! `POST /ws/json/auth/v-3/login/*` or `POST /authentication/v1/partner`), wrong credentials
//! are the providers' own refusals, and a token refused before its expiry is an `envelope`
//! 401 on any other route.
//!
//! ## Held requests: "applied after the client gave up"
//!
//! A `late` rule buffers the request (method, path, headers, body, route parameters) in the
//! held list and answers with its action; with `hold` it answers nothing and the simulator sees
//! the client go when the client closes the connection ([`HeldRequest::client_waiting`] turns
//! `false`). Nothing is timed: the test decides when the provider acts, through
//! [`Sim::apply_held`](crate::Sim::apply_held) (replays the request through the real handler,
//! so the provider's rules decide; the answer is discarded) or
//! [`Sim::discard_held`](crate::Sim::discard_held) ("never applied"), and can wait for events
//! with [`Sim::wait_held`](crate::Sim::wait_held). The same over HTTP: `/__sim/faults/held`
//! (see [`crate::admin`]). Applying or discarding a request whose client still waits closes
//! that connection without an answer. A replay is not counted as a new request in the
//! counters' hits; the change it applies is counted as usual. Held requests live until
//! applied, discarded or [`Sim::reset`](crate::Sim::reset).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::operation::Operation;

/// What to do instead of (or after) the real answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer this status with a small JSON body; `retry_after` adds a `Retry-After` header
    /// (seconds).
    #[non_exhaustive]
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After` in seconds, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Answer 502 with an HTML error page, as a proxy in front of the provider would.
    Html,
    /// Answer 200 with an empty body.
    Empty,
    /// Answer 200 with a JSON body of about this many bytes.
    #[non_exhaustive]
    Oversized {
        /// The body size in bytes.
        bytes: usize,
    },
    /// Answer nothing and keep the connection open until the client closes it (its timeout),
    /// or until the request is applied or discarded from the held list (see
    /// [`FaultRule::late`]), which closes it. Event-driven: no timer decides when the client
    /// gives up, the client does.
    Hold,
    /// Answer 200 with JSON that is not the operation's success type: `{"padding":"xxxx"}`.
    UnexpectedJson,
    /// Answer this status with the provider's own error envelope, chosen by the path (Arta
    /// `{"errors": {"detail": ...}}`; Di `{"statusCode", "errorKey", "errorMap"}`; Skip Pay
    /// `{"errors": [{code, message, severity, attribute, ticketId}]}`, or its OAuth-style body
    /// `{"error": "invalid_token", ...}` for 401). On a 4xx it is a documented refusal (401:
    /// a token or key refused before its expiry); on a 2xx it is an error envelope carried by a
    /// success status, whose inner code is then 400's. See [`envelope`].
    #[non_exhaustive]
    Envelope {
        /// The HTTP status.
        status: u16,
    },
    /// Answer this status with a gateway's plain-text page (`text/plain`, `404 Not Found`),
    /// not the provider's envelope.
    #[non_exhaustive]
    GatewayText {
        /// The HTTP status.
        status: u16,
    },
    /// Answer exactly this.
    #[non_exhaustive]
    Body {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
        /// The body, as text.
        #[serde(default)]
        body: String,
    },
    /// Answer this status (a 3xx) with a `Location` header and no body. None of the providers
    /// documents a redirect; a client that follows one sends the request a second time, to
    /// `location`.
    #[non_exhaustive]
    Redirect {
        /// The HTTP status.
        status: u16,
        /// The `Location` header.
        location: String,
    },
}

/// Constructors of the actions with fields. Those variants are `#[non_exhaustive]` (a field
/// may be added), so code outside this crate builds them with these constructors and matches
/// them with `..`; the unit variants, [`FaultAction::Drop`], [`FaultAction::Hold`]..., are
/// named as they are.
///
/// ```
/// use std::time::Duration;
/// use rescind_sim::{FaultAction, FaultRule, Operation};
///
/// let busy = FaultAction::status_with_retry_after(503, Duration::from_secs(2));
/// assert!(matches!(busy, FaultAction::Status { status: 503, retry_after: Some(2), .. }));
/// let rule = FaultRule::on(Operation::DiCancelOrder, FaultAction::envelope(409)).times(1);
/// assert!(matches!(rule.action, Some(FaultAction::Envelope { status: 409, .. })));
/// ```
impl FaultAction {
    /// Answers `status` with a small JSON body ([`FaultAction::Status`]).
    pub fn status(status: u16) -> Self {
        FaultAction::Status {
            status,
            retry_after: None,
        }
    }

    /// Answers `status` with a `Retry-After` header of `retry_after` (whole seconds, rounded
    /// down) ([`FaultAction::Status`]).
    pub fn status_with_retry_after(status: u16, retry_after: std::time::Duration) -> Self {
        FaultAction::Status {
            status,
            retry_after: Some(retry_after.as_secs()),
        }
    }

    /// Answers `status` with the provider's own error envelope ([`FaultAction::Envelope`]).
    pub fn envelope(status: u16) -> Self {
        FaultAction::Envelope { status }
    }

    /// Answers `status` with a gateway's plain-text page ([`FaultAction::GatewayText`]).
    pub fn gateway_text(status: u16) -> Self {
        FaultAction::GatewayText { status }
    }

    /// Answers 200 with a JSON body of about `bytes` bytes ([`FaultAction::Oversized`]).
    pub fn oversized(bytes: usize) -> Self {
        FaultAction::Oversized { bytes }
    }

    /// Answers `status` with `Location: location` and no body ([`FaultAction::Redirect`]).
    pub fn redirect(status: u16, location: impl Into<String>) -> Self {
        FaultAction::Redirect {
            status,
            location: location.into(),
        }
    }

    /// Answers exactly `status`, `content_type` (none when `None`) and `body`
    /// ([`FaultAction::Body`]).
    pub fn body(status: u16, content_type: Option<&str>, body: impl Into<String>) -> Self {
        FaultAction::Body {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
        }
    }
}

/// The provider a path belongs to (the providers' paths do not collide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderOfPath {
    /// Everything not below: `/hosted_sessions`, `/shipments`, `/shipment_exceptions`, ...
    Arta,
    /// `/ws/...`.
    Di,
    /// `/financing/...` and `/authentication/...`.
    SkipPay,
}

impl ProviderOfPath {
    /// The provider `path` belongs to.
    pub fn of(path: &str) -> Self {
        if path.starts_with("/ws/") {
            ProviderOfPath::Di
        } else if path.starts_with("/financing/") || path.starts_with("/authentication/") {
            ProviderOfPath::SkipPay
        } else {
            ProviderOfPath::Arta
        }
    }
}

/// The error envelope [`FaultAction::Envelope`] answers: content type and body, for `status`
/// at the provider of `path`. A 2xx status gets the envelope of a 400 (an error carried by a
/// success status). Shapes, from the reference notes: Arta `{"errors": {"detail": ...}}`
/// (arta.md, errors); Di `{"statusCode": 401, "errorKey": "authentication.missing",
/// "errorMap": {}}` (di.md, 2a); Skip Pay `{"errors": [...]}` with `INVALID_REQUEST`,
/// `OBJECT_NOT_FOUND`, `NOT_SUPPORTED`, and the OAuth-style 401 `invalid_token` (skippay.md,
/// errors).
pub fn envelope(path: &str, status: u16) -> (&'static str, String) {
    let inner = if (400..600).contains(&status) {
        status
    } else {
        400
    };
    match ProviderOfPath::of(path) {
        ProviderOfPath::Arta => {
            let detail = match inner {
                401 => "Unauthorized".to_owned(),
                404 => "Not Found".to_owned(),
                s => format!("simulated refusal ({s})"),
            };
            (
                "application/json",
                serde_json::json!({"errors": {"detail": detail}}).to_string(),
            )
        }
        ProviderOfPath::Di => {
            let key = match inner {
                400 => "failed.to.parse.request",
                401 => "authentication.missing",
                403 => "no.access.shop.id",
                404 => "not.found",
                _ => "simulated.fault",
            };
            (
                "application/json",
                serde_json::json!({"statusCode": inner, "errorKey": key, "errorMap": {}})
                    .to_string(),
            )
        }
        ProviderOfPath::SkipPay => {
            let body = match inner {
                401 => serde_json::json!({
                    "error_description": "The access token is invalid or has expired",
                    "error": "invalid_token",
                }),
                s => {
                    let code = match s {
                        400 => "INVALID_REQUEST",
                        404 => "OBJECT_NOT_FOUND",
                        422 => "NOT_SUPPORTED",
                        _ => "UNPROCESSABLE",
                    };
                    serde_json::json!({"errors": [{
                        "code": code,
                        "message": format!("simulated refusal ({s})"),
                        "severity": "ERROR",
                        "attribute": null,
                        "ticketId": format!("SIM1:FAULT:{:04x}", fastrand::u16(..)),
                    }]})
                }
            };
            ("application/json; charset=utf-8", body.to_string())
        }
    }
}

/// One fault: which requests, what happens, how often.
///
/// Requests are picked by provider operation ([`FaultRule::on`], JSON `"operation":
/// "di_cancel_order"`), by raw method and path pattern ([`FaultRule::new`]), or both (every
/// condition given must hold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaultRule {
    /// The provider operation to match (any when absent). Skip Pay's order cancel is two
    /// operations told apart by the body ([`Operation::of_request`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// The HTTP method to match (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path pattern: segments separated by `/`, where `*` matches one segment and a final
    /// `**` matches the rest (`/hosted_sessions/*/cancel`, `/ws/json/**`); empty (or absent in
    /// JSON) matches any path, for a rule picked by [`FaultRule::operation`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Wait this long before anything else (the request is then handled, or the action
    /// applied). A delay past the client's timeout makes the outcome unknown to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// What happens instead of the real answer; the real answer when absent (a pure delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<FaultAction>,
    /// Apply the request's real effect first, then fail: the client cannot tell that the
    /// change happened. With `drop`, this is "the connection dropped after the change was
    /// applied".
    #[serde(default)]
    pub apply: bool,
    /// Apply the request's real effect LATER, when a test says so: the request (method, path,
    /// headers, body) is kept in the held list ([`crate::Sim::held`],
    /// `GET /__sim/faults/held`) and the action answers the client (or, with
    /// [`FaultAction::Hold`] or no action, nothing is answered). Applying it
    /// ([`crate::Sim::apply_held`]) replays it through the real handler, so the provider's rules
    /// decide, and discards the answer; discarding it ([`crate::Sim::discard_held`]) models
    /// "never applied". Takes precedence over `apply`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// Only the next N matching requests (all of them when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Only this fraction of matching requests, from 0.0 to 1.0 (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
}

impl FaultRule {
    /// A rule for every request to `path` (any method).
    pub fn new(path: impl Into<String>, action: FaultAction) -> Self {
        FaultRule {
            operation: None,
            method: None,
            path: path.into(),
            delay_ms: None,
            action: Some(action),
            apply: false,
            late: false,
            times: None,
            fraction: None,
        }
    }

    /// A rule that only delays requests to `path`, which are then handled normally.
    pub fn delay(path: impl Into<String>, delay: std::time::Duration) -> Self {
        FaultRule {
            operation: None,
            method: None,
            path: path.into(),
            delay_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            action: None,
            apply: false,
            late: false,
            times: None,
            fraction: None,
        }
    }

    /// A rule for every request of `operation`, whatever its path.
    ///
    /// ```
    /// use rescind_sim::{FaultAction, FaultRule, Operation};
    /// let rule = FaultRule::on(Operation::DiCancelOrder, FaultAction::Drop).times(1);
    /// assert_eq!(rule.operation, Some(Operation::DiCancelOrder));
    /// ```
    pub fn on(operation: Operation, action: FaultAction) -> Self {
        FaultRule {
            operation: Some(operation),
            ..FaultRule::new("", action)
        }
    }

    /// A rule that only delays the requests of `operation`, which are then handled normally.
    pub fn delay_on(operation: Operation, delay: std::time::Duration) -> Self {
        FaultRule {
            operation: Some(operation),
            ..FaultRule::delay("", delay)
        }
    }

    /// Only for requests of this operation.
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Waits this long before the action.
    pub fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Only for this method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Only this fraction of matching requests.
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = Some(fraction.clamp(0.0, 1.0));
        self
    }

    /// Applies the real effect first.
    pub fn after_apply(mut self) -> Self {
        self.apply = true;
        self
    }

    /// Keeps the request to be applied later (see [`FaultRule::late`]).
    pub fn apply_late(mut self) -> Self {
        self.late = true;
        self
    }

    fn matches(&self, operation: Option<Operation>, method: &str, path: &str) -> bool {
        if self.operation.is_some() && self.operation != operation {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        self.path.is_empty() || path_matches(&self.path, path)
    }
}

/// Whether `path` matches `pattern` (`*` one segment, final `**` the rest).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The fault rules in force. Cheap to clone; clones share the rules.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
    /// How many rules there are: with none, a request takes no lock.
    count: Arc<AtomicUsize>,
}

impl Faults {
    /// Adds a rule; rules are tried in the order they were added.
    pub fn add(&self, rule: FaultRule) {
        let mut rules = self.lock();
        rules.push(rule);
        self.count.store(rules.len(), Ordering::Release);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.count.store(0, Ordering::Release);
    }

    /// The rules in force.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// The fault for this request (by method and path), if any, counting it against the
    /// rule's `times`. A rule addressed by operation matches when the request's operation,
    /// read from `method` and `path` ([`Operation::of`]), is its own.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultRule> {
        self.take_for(Operation::of(method, path), method, path)
    }

    /// The fault for a request of `operation`, if any, counting it against the rule's `times`.
    pub(crate) fn take_for(
        &self,
        operation: Option<Operation>,
        method: &str,
        path: &str,
    ) -> Option<FaultRule> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.lock();
        let index = rules.iter().position(|r| {
            r.matches(operation, method, path) && r.fraction.is_none_or(|f| fastrand::f64() < f)
        })?;
        let rule = rules[index].clone();
        if let Some(times) = &mut rules[index].times {
            *times -= 1;
            if *times == 0 {
                rules.remove(index);
                self.count.store(rules.len(), Ordering::Release);
            }
        }
        Some(rule)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request kept by a [`FaultRule::late`] fault, waiting for a test to apply or discard it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HeldRequest {
    /// Its id in the held list (unique in this simulator).
    pub id: u64,
    /// The HTTP method.
    pub method: String,
    /// The path and query, as received.
    pub path: String,
    /// The provider operation, if the path is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// Whether the client's connection is still open and waiting for an answer (only a
    /// [`FaultAction::Hold`] leaves it waiting; it turns `false` when the client gives up).
    pub client_waiting: bool,
}

/// What applying a held request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AppliedHeld {
    /// The held request's id.
    pub id: u64,
    /// The status the real handler answered (which no client sees): 2xx when the provider's
    /// rules accepted the change, their refusal otherwise.
    pub status: u16,
}

/// One held request with what it takes to replay it.
struct Entry {
    info: HeldRequest,
    /// Method, URI, headers and extensions (the route's path parameters among them).
    parts: http::request::Parts,
    body: bytes::Bytes,
    next: axum::middleware::Next,
    connection: Option<crate::server::ConnectionKiller>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.info.fmt(f)
    }
}

/// The held list. Cheap to clone; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeldStore {
    entries: Arc<Mutex<Vec<Entry>>>,
    changed: Arc<tokio::sync::Notify>,
    sequence: Arc<std::sync::atomic::AtomicU64>,
}

/// Marks a held request's client as gone when the request's handling ends (answered, or the
/// connection closed).
pub(crate) struct WaitingGuard {
    store: HeldStore,
    id: u64,
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        let mut entries = self.store.lock();
        if let Some(entry) = entries.iter_mut().find(|e| e.info.id == self.id) {
            entry.info.client_waiting = false;
        }
        drop(entries);
        self.store.changed.notify_waiters();
    }
}

impl HeldStore {
    /// Keeps a request; the guard marks its client gone when dropped.
    pub(crate) fn keep(
        &self,
        parts: http::request::Parts,
        body: bytes::Bytes,
        next: axum::middleware::Next,
        operation: Option<Operation>,
    ) -> WaitingGuard {
        let id = self
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let connection = parts
            .extensions
            .get::<crate::server::ConnectionKiller>()
            .cloned();
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
        self.lock().push(Entry {
            info: HeldRequest {
                id,
                method: parts.method.as_str().to_owned(),
                path,
                operation,
                client_waiting: true,
            },
            parts,
            body,
            next,
            connection,
        });
        self.changed.notify_waiters();
        WaitingGuard {
            store: self.clone(),
            id,
        }
    }

    /// The held requests, oldest first.
    pub(crate) fn list(&self) -> Vec<HeldRequest> {
        self.lock().iter().map(|e| e.info.clone()).collect()
    }

    /// Replays held request `id` through the real handler, if it is held.
    pub(crate) async fn apply(&self, id: u64) -> Option<AppliedHeld> {
        let entry = self.take(|e| e.info.id == id).pop()?;
        Some(Self::replay(entry).await)
    }

    /// Replays every held request, oldest first.
    pub(crate) async fn apply_all(&self) -> Vec<AppliedHeld> {
        let mut done = Vec::new();
        for entry in self.take(|_| true) {
            done.push(Self::replay(entry).await);
        }
        done
    }

    /// Forgets held request `id` without applying it; whether it was held.
    pub(crate) fn discard(&self, id: u64) -> bool {
        !self.take(|e| e.info.id == id).is_empty()
    }

    /// Forgets every held request; how many there were.
    pub(crate) fn discard_all(&self) -> usize {
        self.take(|_| true).len()
    }

    /// Waits until `ready` holds for the held list (checked now and at every change).
    pub(crate) async fn wait_until(&self, mut ready: impl FnMut(&[HeldRequest]) -> bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if ready(&self.list()) {
                return;
            }
            changed.await;
        }
    }

    /// Removes the matching entries (closing the connections still waiting on them).
    fn take(&self, which: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        let mut entries = self.lock();
        let mut taken = Vec::new();
        let mut index = 0;
        while index < entries.len() {
            if which(&entries[index]) {
                taken.push(entries.remove(index));
            } else {
                index += 1;
            }
        }
        drop(entries);
        for entry in &taken {
            if entry.info.client_waiting
                && let Some(connection) = &entry.connection
            {
                connection.kill();
            }
        }
        if !taken.is_empty() {
            self.changed.notify_waiters();
        }
        taken
    }

    async fn replay(entry: Entry) -> AppliedHeld {
        let request = http::Request::from_parts(entry.parts, axum::body::Body::from(entry.body));
        let response = match entry.info.operation {
            Some(op) => {
                crate::counters::CURRENT
                    .scope(op, entry.next.run(request))
                    .await
            }
            None => entry.next.run(request).await,
        };
        AppliedHeld {
            id: entry.info.id,
            status: response.status().as_u16(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches(
            "/hosted_sessions/*/cancel",
            "/hosted_sessions/42/cancel"
        ));
        assert!(!path_matches(
            "/hosted_sessions/*/cancel",
            "/hosted_sessions/42"
        ));
        assert!(!path_matches(
            "/hosted_sessions/*",
            "/hosted_sessions/42/cancel"
        ));
        assert!(path_matches(
            "/ws/json/**",
            "/ws/json/parcel/booking/v-1/order/cancel/1"
        ));
        assert!(path_matches("/shipments", "/shipments/"));
    }

    #[test]
    fn times_counts_down_and_method_filters() {
        let faults = Faults::default();
        faults.add(
            FaultRule::new("/a/*", FaultAction::Drop)
                .method("post")
                .times(2),
        );
        assert!(faults.take("GET", "/a/1").is_none());
        assert!(faults.take("POST", "/a/1").is_some());
        assert!(faults.take("POST", "/a/2").is_some());
        assert!(faults.take("POST", "/a/3").is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_rule_by_operation_matches_its_operation_only_and_any_of_its_paths() {
        let faults = Faults::default();
        faults.add(FaultRule::on(Operation::ArtaHold, FaultAction::Drop).times(2));
        assert!(faults.take("GET", "/shipment_exceptions").is_none());
        assert!(faults.take("POST", "/shipment_exceptions").is_some());
        assert!(faults.take("POST", "/shipment_exceptions/").is_some());
        assert!(faults.list().is_empty());
        // Both an operation and a path: both must hold.
        faults.add(
            FaultRule::new("/hosted_sessions/42/cancel", FaultAction::Empty)
                .operation(Operation::ArtaCancelSession),
        );
        assert!(faults.take("PATCH", "/hosted_sessions/43/cancel").is_none());
        assert!(faults.take("GET", "/hosted_sessions/42").is_none());
        assert!(faults.take("PATCH", "/hosted_sessions/42/cancel").is_some());
        // The JSON of the admin endpoint names the operation; the path may be left out.
        let rule: FaultRule = serde_json::from_str(
            r#"{"operation":"skippay_cancel_items","action":{"kind":"drop"},"times":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::on(Operation::SkipPayCancelItems, FaultAction::Drop).times(1)
        );
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            serde_json::json!({"operation":"skippay_cancel_items","action":{"kind":"drop"},"apply":false,"times":1})
        );
    }

    #[test]
    fn fraction_zero_never_fires() {
        let faults = Faults::default();
        faults.add(FaultRule::new("/a", FaultAction::Empty).fraction(0.0));
        assert!((0..100).all(|_| faults.take("GET", "/a").is_none()));
    }

    #[test]
    fn rules_round_trip_as_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"PATCH","path":"/hosted_sessions/*/cancel","action":{"kind":"status","status":429,"retry_after":1},"times":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule.action,
            Some(FaultAction::Status {
                status: 429,
                retry_after: Some(1)
            })
        );
        assert!(!rule.apply);
    }
}
