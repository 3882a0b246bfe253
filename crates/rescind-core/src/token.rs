//! A login token shared by all calls of one client: [`TokenCache`].
//!
//! Di and Skip Pay issue a bearer token from a username and password. The cache logs in for
//! every concurrent caller at once, renews the token a margin before it expires, and after a
//! 401 lets the [`Transport`] renew once and replay once: never a loop.
//!
//! # Logins that never storm
//!
//! - **One flight serves every waiter, success or failure.** The first caller that needs a
//!   token starts a login (a *flight*) as a task of its own; every caller that needs a token
//!   while it runs waits for the same flight and gets its result: the token, or the same
//!   error. A flight outlives the caller that started it (a caller that gives up does not
//!   cancel the login the others wait for).
//! - **A credential refusal is remembered.** When the provider refuses the credentials
//!   ([`LoginFailure::Refused`], decided by [`Login::classify`]: Di's 401 on the login, Skip
//!   Pay's 400 "Unable to authenticate partner"), every waiter gets the refusal at once, and
//!   every later caller gets it too, without a login, until
//!   [`TransportConfig::login_refusal_cooldown`](crate::TransportConfig::login_refusal_cooldown)
//!   has passed (default 5 minutes) or the client is rebuilt. A wrong password costs one
//!   login per cool-down, never one per call: providers lock accounts for less.
//! - **A failing login endpoint is retried across callers.** After a transient failure
//!   ([`LoginFailure::Transient`]: 5xx, 429, timeout, lost connection) the same flight logs in
//!   again after a backoff from the client's [`RetryPolicy`](crate::retry::RetryPolicy)
//!   (between half and all of its backoff for that many failures in a row, never before the
//!   provider's `Retry-After`), while some caller still waits. The transport sends a login's
//!   request once: the flight is what retries it, whatever the request's idempotency (a login
//!   changes nothing), so retries do not multiply. A flight logs in at most
//!   [`RetryPolicy::max_attempts`](crate::retry::RetryPolicy::max_attempts) times, each login
//!   after the first taking its cost from the client's retry budget; after its last failure
//!   every waiter gets that failure, and new callers get it at once until the backoff has
//!   passed. Other failures ([`LoginFailure::Failed`]: an unreadable answer, a 404) end the
//!   flight the same way.
//! - **A login answered 429 is waited out, not counted.** A 429 is a signal to slow down (the
//!   `retry` module docs): the transport pauses the whole client, and the flight logs in again
//!   when the pause ends, while some caller still waits, without spending `max_attempts` or
//!   the retry budget, up to
//!   [`RetryPolicy::max_throttle_retries`](crate::retry::RetryPolicy::max_throttle_retries)
//!   times. A caller whose deadline comes before the pause ends gets the 429 at once; a
//!   `Retry-After` above the policy's cap ends the flight for every waiter.
//! - **A flight never waits for nobody.** When the last waiting caller gives up, a flight
//!   waiting out a backoff or a pause ends; every `Instant` it computes saturates, so an
//!   absurd `Retry-After` cannot panic it into a loop of logins.
//! - **Every wait is bounded by the caller's call timeout.** A caller gets a transient failure
//!   as soon as the next login cannot start before its deadline, and an [`ErrorKind::Timeout`]
//!   with [`Sent::NotSent`] if its deadline passes while a login runs. A flight's own
//!   requests are bounded by the transport's timeouts like any other.
//! - **A login never waits for the concurrency limit.** The flight's requests bypass the
//!   transport's limit (see `Transport::send_inner` for why), so a client limited to one call
//!   in flight still logs in.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use crossbeam_utils::sync::ShardedLock;
use http::HeaderValue;
use secrecy::ExposeSecret;
use secrecy::SecretString;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use crate::retry::{self, Wait};
use crate::transport::Limit;
use crate::{Error, ErrorKind, Sent, Transport};

/// A bearer token and when it stops being valid.
#[derive(Clone)]
pub struct Token {
    value: SecretString,
    expires_at: Instant,
}

impl Token {
    /// A token valid for `lifetime` from now. A lifetime past [`Token::MAX_LIFETIME`] (a
    /// provider's answer read wrong, or an absurd one) is taken as that: it never overflows
    /// the clock.
    pub fn new(value: SecretString, lifetime: Duration) -> Self {
        let now = Instant::now();
        Token {
            value,
            expires_at: now + lifetime.min(Self::MAX_LIFETIME),
        }
    }

    /// The longest lifetime a token is given: one year.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

    /// The secret value.
    pub fn value(&self) -> &SecretString {
        &self.value
    }

    /// Whether the token is still valid `margin` from now.
    pub fn valid_for(&self, margin: Duration) -> bool {
        valid_beyond(self.expires_at, margin)
    }
}

/// Whether a token expiring at `expires_at` is still valid `margin` from now.
fn valid_beyond(expires_at: Instant, margin: Duration) -> bool {
    Instant::now()
        .checked_add(margin)
        .is_some_and(|t| t < expires_at)
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[redacted]")
            .field(
                "expires_in",
                &self.expires_at.saturating_duration_since(Instant::now()),
            )
            .finish()
    }
}

/// What a failed login means for the logins after it. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LoginFailure {
    /// The provider refused the credentials: the same ones will be refused again. Every
    /// waiting caller gets the error, and no login is tried again with these credentials until
    /// the cool-down has passed.
    Refused,
    /// The login endpoint failed in a way that may pass (5xx, 429, timeout, lost connection):
    /// one flight tries again after a backoff while some caller still waits, up to the retry
    /// policy's number of attempts.
    Transient,
    /// The login failed in a way that waiting will not fix soon (an unreadable answer, a
    /// status the login does not document): every waiting caller gets the error; the next
    /// login is tried after a backoff.
    Failed,
}

impl LoginFailure {
    /// The classification by error kind, the default of [`Login::classify`]:
    ///
    /// | kind | failure |
    /// |---|---|
    /// | [`Unauthorized`](ErrorKind::Unauthorized), [`Forbidden`](ErrorKind::Forbidden), [`InvalidInput`](ErrorKind::InvalidInput), [`Config`](ErrorKind::Config), [`Unsupported`](ErrorKind::Unsupported) | [`Refused`](LoginFailure::Refused) |
    /// | [`Server`](ErrorKind::Server), [`RateLimited`](ErrorKind::RateLimited), [`Timeout`](ErrorKind::Timeout), [`Transport`](ErrorKind::Transport) | [`Transient`](LoginFailure::Transient) |
    /// | anything else | [`Failed`](LoginFailure::Failed) |
    ///
    /// An invalid input on a login is the credentials' fault too (a body the provider cannot
    /// read, an empty username): sending them again cannot succeed.
    pub fn of(error: &Error) -> LoginFailure {
        match error.kind() {
            ErrorKind::Unauthorized
            | ErrorKind::Forbidden
            | ErrorKind::InvalidInput
            | ErrorKind::Config
            | ErrorKind::Unsupported => LoginFailure::Refused,
            ErrorKind::Server
            | ErrorKind::RateLimited
            | ErrorKind::Timeout
            | ErrorKind::Transport => LoginFailure::Transient,
            _ => LoginFailure::Failed,
        }
    }
}

/// How a provider logs in. Implemented by the provider crates; called by the [`TokenCache`].
#[async_trait]
pub trait Login: Send + Sync + fmt::Debug {
    /// Logs in once and returns the token. `transport` sends the (anonymous) login request:
    /// its requests are not held back by the client's concurrency limit, and each is sent
    /// once (the [`TokenCache`] retries the whole login after a transient failure).
    async fn login(&self, transport: &Transport) -> Result<Token, Error>;

    /// Says what a failure of [`Login::login`] means: a refusal of the credentials (remembered
    /// for the cool-down), a transient failure (tried again after a backoff) or another
    /// failure. The default is [`LoginFailure::of`], by the error's kind; a provider overrides
    /// it when its login answers need a finer reading, and documents the source.
    fn classify(&self, error: &Error) -> LoginFailure {
        LoginFailure::of(error)
    }

    /// Whether `response`, a 401 to a call made with this login's token, is the provider's
    /// documented refusal of the token, which proves the request was not processed. The
    /// transport renews the token and replays a request that is not idempotent only after
    /// such a refusal: a 401 that proves nothing (a gateway's page, another body) may come
    /// after the change was applied, and replaying it could apply it twice; it is returned
    /// to the provider crate, which reads it by the rule of [`change`](crate::change).
    /// The default, `true`, suits a provider whose every 401 is a refusal.
    fn refuses_token(&self, response: &crate::HttpResponse) -> bool {
        let _ = response;
        true
    }
}

/// A token, with the generation it belongs to, as handed to a caller.
#[derive(Debug, Clone)]
pub struct CurrentToken {
    /// The token.
    pub token: Token,
    /// Which login produced it; pass it back to [`TokenCache::invalidate`] after a 401.
    pub generation: u64,
}

/// Shares one login between every call of a client. See the [module docs](self).
pub struct TokenCache {
    login: Arc<dyn Login>,
    margin: Duration,
    shared: Arc<Shared>,
}

/// What the cache and its flights share.
struct Shared {
    state: Mutex<State>,
    /// The bearer header of the current token, for requests to read without `state`'s lock:
    /// a lock every request of every thread took would move its cache line between the
    /// threads on each request (bench `calls`, throughput). Written under `state`'s lock
    /// whenever the token changes (cleared) or its header is built (set).
    published: ShardedLock<Option<Published>>,
    /// Bumped after every change of `state` a waiter may be waiting for.
    changed: watch::Sender<u64>,
    logins: AtomicU64,
}

#[derive(Default)]
struct State {
    token: Option<CurrentToken>,
    generation: u64,
    /// A flight is running (logging in, or waiting out the backoff before its next login).
    flight: bool,
    /// Callers waiting for a token.
    waiters: usize,
    /// The credentials were refused: the error, and until when it is repeated without a login.
    refusal: Option<(Arc<Error>, Instant)>,
    /// The last failure that was not a refusal, and when the next login may start.
    failure: Option<Failure>,
    /// Failures in a row since the last success or refusal (for the backoff).
    failures: u32,
    /// Failures handed to every waiter so far ([`LoginFailure::Failed`], or a flight's last
    /// login): a caller that waited while one happened gets it, however late it wakes.
    handed_out: u64,
}

/// A token's bearer header as requests read it ([`Shared::published`]).
struct Published {
    generation: u64,
    header: HeaderValue,
    expires_at: Instant,
}

struct Failure {
    error: Arc<Error>,
    class: LoginFailure,
    not_before: Instant,
    /// For a failure handed to every waiter: its number in [`State::handed_out`].
    number: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Replaces the published header; called with `state`'s lock held, so that it follows
    /// the token's changes in their order.
    fn publish(&self, published: Option<Published>) {
        *self
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = published;
    }
}

impl TokenCache {
    /// A cache that renews `margin` before expiry (60 s is a good default).
    pub fn new(login: Arc<dyn Login>, margin: Duration) -> Self {
        TokenCache {
            login,
            margin,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                published: ShardedLock::new(None),
                changed: watch::channel(0).0,
                logins: AtomicU64::new(0),
            }),
        }
    }

    /// Puts a token in the cache as if a login had returned it (tests, or a token kept from
    /// an earlier process). A remembered refusal is forgotten.
    pub async fn prime(&self, token: Token) {
        {
            let mut st = self.shared.lock();
            st.generation += 1;
            st.token = Some(CurrentToken {
                token,
                generation: st.generation,
            });
            self.shared.publish(None);
            st.refusal = None;
            st.failure = None;
            st.failures = 0;
        }
        self.shared.notify();
    }

    /// A valid token: the cached one, or the result of a login shared with every concurrent
    /// caller. Waits at most the transport's call timeout, or until the caller's deadline
    /// ([`deadline::scope`](crate::deadline::scope)) when it comes first; see
    /// [`TokenCache::current_before`].
    pub async fn current(&self, transport: &Transport) -> Result<CurrentToken, Error> {
        // As a call does: the call timeout, or the caller's deadline when it comes first.
        let (deadline, limit) = Limit::from(Instant::now(), transport.config().call_timeout);
        self.wait_for(transport, deadline, Some(limit)).await
    }

    /// A valid token, waiting for a login until `deadline` at the latest.
    ///
    /// Errors: the login's own error (the same for every caller the flight served; a
    /// credential refusal is repeated without a login during the cool-down); or
    /// [`ErrorKind::Timeout`] with [`Sent::NotSent`] when `deadline` passes first.
    pub async fn current_before(
        &self,
        transport: &Transport,
        deadline: Instant,
    ) -> Result<CurrentToken, Error> {
        self.wait_for(transport, deadline, None).await
    }

    /// [`TokenCache::current_before`], its timeout naming `limit` (the deadline given when
    /// `None`).
    async fn wait_for(
        &self,
        transport: &Transport,
        deadline: Instant,
        limit: Option<Limit>,
    ) -> Result<CurrentToken, Error> {
        let mut waiting: Option<Waiter> = None;
        // The generation when this caller started waiting: a token a flight produced since then
        // is taken even inside the renewal margin (a provider may issue tokens that live less
        // than the margin; logging in again for them would never end).
        let mut since = None;
        let mut handed_out_since = None;
        loop {
            let mut changed = {
                let mut st = self.shared.lock();
                let now = Instant::now();
                if let Some(cur) = &st.token {
                    let fresh = since.is_some_and(|g| cur.generation > g);
                    if cur.token.valid_for(self.margin)
                        || (fresh && cur.token.valid_for(Duration::ZERO))
                    {
                        return Ok(cur.clone());
                    }
                }
                if let Some((error, until)) = &st.refusal {
                    if now < *until {
                        return Err(replay(error));
                    }
                    st.refusal = None;
                }
                if let Some(f) = &st.failure {
                    let give_up = match f.class {
                        // A retry of the login that comes at or after the deadline, or
                        // within the timer's resolution of it (it may wake that late), is
                        // not waited for (`pacer::TIMER_RESOLUTION`).
                        LoginFailure::Transient => {
                            deadline <= f.not_before
                                || crate::pacer::wait_ends_too_late(f.not_before, now, deadline)
                        }
                        _ => now < f.not_before || handed_out_since.is_some_and(|n| f.number > n),
                    };
                    if give_up {
                        return Err(replay(&f.error));
                    }
                }
                if waiting.is_none() {
                    st.waiters += 1;
                    waiting = Some(Waiter(self.shared.clone()));
                    since = Some(st.generation);
                    handed_out_since = Some(st.handed_out);
                }
                if !st.flight {
                    st.flight = true;
                    self.start_flight(transport);
                }
                self.shared.changed.subscribe()
            };
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                return Err(self.timed_out(transport, limit));
            }
        }
    }

    /// The fast path of [`TokenCache::bearer_before`], without waiting: the header of a token
    /// valid beyond the margin, or `None` when a login is needed first.
    pub(crate) fn bearer_cached(&self) -> Option<(HeaderValue, u64)> {
        let published = self
            .shared
            .published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let p = published.as_ref()?;
        valid_beyond(p.expires_at, self.margin).then(|| (p.header.clone(), p.generation))
    }

    /// The `Authorization` value (`Bearer <token>`, marked sensitive) of a valid token, and
    /// the token's generation: [`TokenCache::current_before`], with the header built once per
    /// token and kept with it, so that a call with a valid token clones neither the token nor
    /// a formatted string.
    pub(crate) async fn bearer_before(
        &self,
        transport: &Transport,
        deadline: Instant,
        limit: Limit,
    ) -> Result<(HeaderValue, u64), Error> {
        if let Some(cached) = self.bearer_cached() {
            return Ok(cached);
        }
        // Boxed: the rare path (a login to wait for) would otherwise make every request's
        // future larger (see `Transport::send`).
        let current = Box::pin(self.wait_for(transport, deadline, Some(limit))).await?;
        let mut header =
            HeaderValue::from_str(&format!("Bearer {}", current.token.value().expose_secret()))
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Decode,
                        Sent::Answered,
                        "the login returned a token that is not a valid header value",
                    )
                    .with_provider(transport.provider())
                })?;
        header.set_sensitive(true);
        let st = self.shared.lock();
        if st
            .token
            .as_ref()
            .is_some_and(|c| c.generation == current.generation)
        {
            self.shared.publish(Some(Published {
                generation: current.generation,
                header: header.clone(),
                expires_at: current.token.expires_at,
            }));
        }
        Ok((header, current.generation))
    }

    /// The wait for a login token ended at its deadline: `limit`'s, or the one given.
    fn timed_out(&self, transport: &Transport, limit: Option<Limit>) -> Error {
        let last = self
            .shared
            .lock()
            .failure
            .as_ref()
            .map(|f| format!("; the last login failed: {}", f.error))
            .unwrap_or_default();
        let within = match limit {
            Some(Limit::Caller) => "before the caller's deadline".to_owned(),
            Some(limit @ Limit::CallTimeout(_)) => format!("within {limit}"),
            None => "before the deadline given".to_owned(),
        };
        Error::new(
            ErrorKind::Timeout,
            Sent::NotSent,
            format!("no login token {within}{last}"),
        )
        .with_provider(transport.provider())
        .with_operation("login")
    }

    fn start_flight(&self, transport: &Transport) {
        let flight = Flight {
            shared: self.shared.clone(),
            login: self.login.clone(),
            transport: transport.for_login(),
            margin: self.margin,
        };
        tokio::spawn(flight.run().in_current_span());
    }

    /// Forgets the token of `generation` after the provider refused it. A newer token (another
    /// caller already renewed) is kept, so concurrent 401s cause one login, not many.
    pub async fn invalidate(&self, generation: u64) {
        let mut st = self.shared.lock();
        if st
            .token
            .as_ref()
            .is_some_and(|c| c.generation == generation)
        {
            st.token = None;
            self.shared.publish(None);
        }
    }

    /// Whether `response`, a 401 to a call made with this cache's token, is a documented
    /// refusal of the token ([`Login::refuses_token`]).
    pub fn refuses_token(&self, response: &crate::HttpResponse) -> bool {
        self.login.refuses_token(response)
    }

    /// How many logins this cache has made (refused and failed ones included).
    pub fn login_count(&self) -> u64 {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// Whether a credential refusal is being remembered: calls fail at once, without a login,
    /// until the cool-down has passed.
    pub fn is_refused(&self) -> bool {
        self.shared
            .lock()
            .refusal
            .as_ref()
            .is_some_and(|(_, until)| Instant::now() < *until)
    }
}

/// Counts a caller as waiting while it lives.
struct Waiter(Arc<Shared>);

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.waiters = st.waiters.saturating_sub(1);
        let last = st.waiters == 0;
        drop(st);
        if last {
            // Wakes a flight waiting out a backoff for nobody.
            self.0.notify();
        }
    }
}

/// One login flight: logs in, and after a transient failure tries again after a backoff while
/// some caller waits. Runs as a task of its own so that the caller that started it may give up
/// without cancelling the login the others wait for.
struct Flight {
    shared: Arc<Shared>,
    login: Arc<dyn Login>,
    transport: Transport,
    margin: Duration,
}

impl Flight {
    async fn run(self) {
        let _ended = FlightEnded(self.shared.clone());
        let max_logins = self.transport.config().retry.max_attempts.max(1);
        let max_throttled = self.transport.config().retry.max_throttle_retries;
        // Logins that failed (429s excluded) and logins answered 429.
        let mut logins = 0;
        let mut throttled = 0;
        loop {
            let not_before = self.shared.lock().failure.as_ref().map(|f| f.not_before);
            if let Some(t) = not_before {
                // Waits for the backoff, but ends as soon as nobody waits any more (a long
                // pause after a 429 sends every caller whose deadline comes first away): a
                // flight never sleeps for nobody.
                let mut changed = self.shared.changed.subscribe();
                loop {
                    if self.shared.lock().waiters == 0 {
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep_until(t) => break,
                        _ = changed.changed() => {}
                    }
                }
            }
            {
                let st = self.shared.lock();
                let valid = st
                    .token
                    .as_ref()
                    .is_some_and(|c| c.token.valid_for(self.margin));
                // Nobody waits any more (they gave up, or a primed token served them).
                if st.waiters == 0 || valid {
                    return;
                }
            }
            logins += 1;
            self.shared.logins.fetch_add(1, Ordering::SeqCst);
            tracing::debug!(login = logins + throttled, "logging in");
            let result = self.login.login(&self.transport).await;
            let now = Instant::now();
            let mut st = self.shared.lock();
            match result {
                Ok(token) => {
                    st.generation += 1;
                    st.token = Some(CurrentToken {
                        token,
                        generation: st.generation,
                    });
                    self.shared.publish(None);
                    st.failure = None;
                    st.failures = 0;
                    return;
                }
                Err(error) => match self.login.classify(&error) {
                    LoginFailure::Refused => {
                        let cooldown = self.transport.config().login_refusal_cooldown;
                        tracing::debug!(
                            ?cooldown,
                            error = %error,
                            "the login was refused: no login with these credentials during the cool-down"
                        );
                        st.refusal = Some((Arc::new(error), crate::pacer::later(now, cooldown)));
                        st.failure = None;
                        st.failures = 0;
                        return;
                    }
                    LoginFailure::Transient if error.kind() == ErrorKind::RateLimited => {
                        // A 429 (or the client's pause outlasting the login's timeout) is a
                        // signal to slow down, not a failure: like any 429 it is waited out
                        // within the waiting callers' deadlines, apart from `max_attempts` and
                        // the retry budget, up to `max_throttle_retries` (see the `retry`
                        // module docs). The transport has paused the whole client; the next
                        // login goes when the pause ends. A caller whose deadline comes first
                        // gets this 429 at once.
                        logins -= 1;
                        throttled += 1;
                        let policy = &self.transport.config().retry;
                        let too_long = error
                            .retry_after()
                            .is_some_and(|ra| ra > policy.max_retry_after);
                        let resume = self.transport.paused_until().unwrap_or_else(|| {
                            let jitter = 0.5 + 0.5 * fastrand::f64();
                            crate::pacer::later(
                                now,
                                retry::backoff(policy, throttled.max(1), jitter),
                            )
                        });
                        let last = too_long || throttled > max_throttled;
                        let class = if last {
                            LoginFailure::Failed
                        } else {
                            LoginFailure::Transient
                        };
                        if last {
                            st.handed_out += 1;
                        }
                        tracing::debug!(?class, error = %error, "the login was answered 429");
                        st.failure = Some(Failure {
                            error: Arc::new(error),
                            class,
                            not_before: resume,
                            number: st.handed_out,
                        });
                        if last {
                            return;
                        }
                        drop(st);
                        crate::transport::throttle_event(
                            self.transport.provider(),
                            resume.saturating_duration_since(now),
                            logins + throttled,
                        );
                        self.shared.notify();
                    }
                    class => {
                        // The flight's last login (no attempt or retry budget left): its
                        // failure goes to every waiter, like a failure waiting will not fix,
                        // and new callers get it until the backoff has passed. The next caller
                        // after that starts a new flight.
                        // Another login is a retry: it needs an attempt left and a place in
                        // the client's retry budget, like any retry of the transport.
                        let policy = &self.transport.config().retry;
                        let cost = match error.kind() {
                            ErrorKind::Timeout | ErrorKind::Transport => policy.timeout_retry_cost,
                            _ => policy.retry_cost,
                        };
                        let class = if logins >= max_logins
                            || !self.transport.try_spend_retry_budget(cost)
                        {
                            LoginFailure::Failed
                        } else {
                            class
                        };
                        st.failures = st.failures.saturating_add(1);
                        // Between half and all of the policy's backoff: flights are never
                        // back to back, and clients that failed together spread out.
                        let jitter = 0.5 + 0.5 * fastrand::f64();
                        let (class, wait) = match retry::wait_before_retry(
                            policy,
                            st.failures,
                            error.retry_after(),
                            jitter,
                        ) {
                            Wait::Retry(delay) => (class, delay),
                            // A Retry-After longer than the policy allows: nobody waits for it.
                            Wait::TooLong(delay) => (LoginFailure::Failed, delay),
                        };
                        let last = class != LoginFailure::Transient;
                        if last {
                            st.handed_out += 1;
                        }
                        tracing::debug!(?class, ?wait, error = %error, "the login failed");
                        st.failure = Some(Failure {
                            error: Arc::new(error),
                            class,
                            not_before: crate::pacer::later(now, wait),
                            number: st.handed_out,
                        });
                        if last {
                            // Handed to every waiter: this flight is over (its end wakes
                            // them). The next caller past the backoff starts a new one.
                            return;
                        }
                        drop(st);
                        self.shared.notify();
                    }
                },
            }
        }
    }
}

/// Ends a flight: marks it over and wakes the waiters, however the flight ended (a result, no
/// waiters left, or its task dropped with the runtime).
struct FlightEnded(Arc<Shared>);

impl Drop for FlightEnded {
    fn drop(&mut self) {
        self.0.lock().flight = false;
        self.0.notify();
    }
}

/// A copy of a shared login error for one more caller (an [`Error`] is not `Clone`: its
/// source is kept as text).
fn replay(error: &Error) -> Error {
    let mut e = Error::new(error.kind(), error.sent(), error.message())
        .with_attempts(error.attempts())
        .with_retry_after(error.retry_after())
        .with_details(error.details().to_vec());
    if let Some(v) = error.provider() {
        e = e.with_provider(v);
    }
    if let Some(v) = error.operation() {
        e = e.with_operation(v);
    }
    if let Some(v) = error.status() {
        e = e.with_status(v);
    }
    if let Some(v) = error.code() {
        e = e.with_code(v);
    }
    if let Some(v) = error.provider_message() {
        e = e.with_provider_message(v);
    }
    if let Some(v) = error.request_id() {
        e = e.with_request_id(v);
    }
    if let Some(v) = error.field() {
        e = e.with_field(v);
    }
    if let Some(v) = error.json_path() {
        e = e.with_json_path(v);
    }
    if let Some(v) = error.body() {
        e = e.with_body(v);
    }
    if let Some(v) = std::error::Error::source(error) {
        e = e.with_source(v.to_string());
    }
    e
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("login", &self.login)
            .field("margin", &self.margin)
            .field("logins", &self.login_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_lifetimes_and_margins_do_not_overflow() {
        let t = Token::new(SecretString::from("t"), Duration::MAX);
        assert!(t.valid_for(Duration::from_secs(364 * 24 * 60 * 60)));
        assert!(!t.valid_for(Token::MAX_LIFETIME + Duration::from_secs(1)));
        assert!(!t.valid_for(Duration::MAX));
    }

    #[test]
    fn debug_hides_the_token() {
        let t = Token::new(
            SecretString::from("eyJ.secret.sig"),
            Duration::from_secs(60),
        );
        let text = format!("{t:?}");
        assert!(!text.contains("eyJ.secret.sig"), "{text}");
        assert!(text.contains("[redacted]"));
        assert_eq!(t.value().expose_secret(), "eyJ.secret.sig");
    }

    /// A login that answers tokens `t1`, `t2`, ... valid for ten minutes.
    #[derive(Debug)]
    struct Counting(AtomicU64);

    #[async_trait]
    impl Login for Counting {
        async fn login(&self, _transport: &Transport) -> Result<Token, Error> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Token::new(
                SecretString::from(format!("t{n}")),
                Duration::from_secs(600),
            ))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_header_requests_read_without_the_lock_follows_the_token() {
        let cache = TokenCache::new(
            Arc::new(Counting(AtomicU64::new(0))),
            Duration::from_secs(60),
        );
        let transport = Transport::builder(crate::Provider::Di, "http://127.0.0.1:9")
            .build()
            .unwrap();
        let far = Instant::now() + Duration::from_secs(30);
        // Nothing is published before a header is built.
        assert!(cache.bearer_cached().is_none());
        let (header, first) = cache
            .bearer_before(&transport, far, Limit::Caller)
            .await
            .unwrap();
        assert_eq!(header, "Bearer t1");
        assert!(header.is_sensitive());
        assert_eq!(cache.bearer_cached(), Some((header, first)));
        // A refused token is never read again without the lock.
        cache.invalidate(first).await;
        assert!(cache.bearer_cached().is_none());
        let (header, second) = cache
            .bearer_before(&transport, far, Limit::Caller)
            .await
            .unwrap();
        assert_eq!(header, "Bearer t2");
        assert_ne!(second, first);
        assert_eq!(cache.bearer_cached(), Some((header, second)));
        // A token primed in its place replaces it at once.
        cache
            .prime(Token::new(
                SecretString::from("p"),
                Duration::from_secs(600),
            ))
            .await;
        assert!(cache.bearer_cached().is_none());
        assert_eq!(
            cache
                .bearer_before(&transport, far, Limit::Caller)
                .await
                .unwrap()
                .0,
            "Bearer p"
        );
        // Within the margin of its expiry the published header is not used: a login is due.
        tokio::time::advance(Duration::from_secs(541)).await;
        assert!(cache.bearer_cached().is_none());
        let far = Instant::now() + Duration::from_secs(30);
        assert_eq!(
            cache
                .bearer_before(&transport, far, Limit::Caller)
                .await
                .unwrap()
                .0,
            "Bearer t3"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn validity_respects_the_margin() {
        let t = Token::new(SecretString::from("x"), Duration::from_secs(100));
        assert!(t.valid_for(Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(41)).await;
        assert!(!t.valid_for(Duration::from_secs(60)));
        assert!(t.valid_for(Duration::ZERO));
    }
}
