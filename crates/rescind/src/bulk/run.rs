//! The runner: every row through its account, bounded per account, journaled before and after.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rescind_core::jiff::{SignedDuration, Timestamp};
use rescind_core::{
    CancelOptions, CancelOutcome, CancelStatus, Canceller, Error, ErrorKind, Observation, Plan,
    Policy, Provider, Sent, SettledBy, Settlement, settle,
};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use super::clock::{Clock, SystemClock};
use super::journal::{IntentRecord, Journal, OutcomeRecord, Record};
use super::report::{Counts, OmittedInvalid, Outcome, Report, RowResult};
use super::{Action, BulkError, Input, InvalidRows, Row};
use crate::Registry;

/// Rows in flight at once per Arta account by default: Arta allows 15 concurrent calls per
/// live key.
pub const DEFAULT_ARTA_CONCURRENCY: usize = 15;
/// Rows in flight at once per account of the other providers by default.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// How long a change whose answer was lost may still be in flight by default: 5 minutes,
/// longer than a call's timeout plus common gateway timeouts.
pub const DEFAULT_IN_FLIGHT_HORIZON: Duration = Duration::from_secs(300);

/// How a run behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Rows in flight at once per account, for every account; when absent,
    /// [`DEFAULT_ARTA_CONCURRENCY`] for Arta accounts and [`DEFAULT_CONCURRENCY`] for others.
    pub concurrency: Option<usize>,
    /// Send nothing if any row is invalid.
    pub strict: bool,
    /// At the end of the run, read back once more the rows with an idempotent change (a whole
    /// cancel, an item cancel without quantities) whose answer was lost and whose first
    /// read-back showed no change yet, and send them if still unchanged. Default on.
    pub settle_pass: bool,
    /// How long a change that is not idempotent (a hold, an item cancel with quantities) may
    /// still be in flight after its answer was lost: it is not sent again before this time has
    /// passed since it was sent, and then only if reading back still shows no change.
    /// [`DEFAULT_IN_FLIGHT_HORIZON`] by default.
    pub in_flight_horizon: Duration,
    /// Whether the run waits for rows in flight until their horizon has passed, then decides
    /// them (default), or leaves them `pending` with their
    /// [`decide_after`](RowResult::decide_after) for a later run.
    pub wait_in_flight: bool,
    /// Targets (`TARGET` or `ACCOUNT:TARGET`) whose row is sent even though the journal holds
    /// a change with other content for them (see [`Outcome::Conflict`]).
    pub resend_changed: Vec<String>,
    /// Whether the report keeps the result of every done row (default), or only counts them
    /// ([`Report::done_omitted`]): off, a run's memory follows the rows in flight and the rows
    /// that need something, not the input.
    pub keep_done: bool,
    /// How many requests a row spends ([`Policy`]); default [`Policy::ChangeFirst`], the
    /// fewest the promises allow (issue "every call counts"):
    ///
    /// - change first: a whole cancel and an item cancel without quantities (idempotent) are
    ///   sent with no read first, 1 request per row in the common case (the intent is still
    ///   journaled before sending, with no reading); a hold and an item cancel with quantities
    ///   read the target once ([`Canceller::plan`]) and hand that reading to the cancel
    ///   ([`CancelOptions::with_plan`]), 2 requests: the reading is the fingerprint that
    ///   settles their lost answer, and journaled as the intent's `before`;
    /// - check first: every row reads once through [`Canceller::plan`] and hands the reading
    ///   to the cancel, 2 requests per row, exact outcomes ("already cancelled").
    ///
    /// A provider that does not plan (the trait's default) is read with
    /// [`Canceller::observe`] and cancelled as before.
    pub policy: Policy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: None,
            strict: false,
            settle_pass: true,
            in_flight_horizon: DEFAULT_IN_FLIGHT_HORIZON,
            wait_in_flight: true,
            resend_changed: Vec::new(),
            keep_done: true,
            policy: Policy::ChangeFirst,
        }
    }
}

impl Options {
    /// Sets the rows in flight at once per account (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// Sends nothing if any row is invalid.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Rows in flight at once for an account of `provider`: [`Options::concurrency`] when
    /// set, else [`DEFAULT_ARTA_CONCURRENCY`] for Arta and [`DEFAULT_CONCURRENCY`] for others.
    pub fn concurrency_for(&self, provider: Provider) -> usize {
        self.concurrency
            .unwrap_or(if provider == Provider::Arta {
                DEFAULT_ARTA_CONCURRENCY
            } else {
                DEFAULT_CONCURRENCY
            })
            .max(1)
    }

    /// Turns the end-of-run settle pass on or off.
    pub fn settle_pass(mut self, on: bool) -> Self {
        self.settle_pass = on;
        self
    }

    /// Sets [`Options::in_flight_horizon`].
    pub fn in_flight_horizon(mut self, horizon: Duration) -> Self {
        self.in_flight_horizon = horizon;
        self
    }

    /// Sets [`Options::wait_in_flight`].
    pub fn wait_in_flight(mut self, wait: bool) -> Self {
        self.wait_in_flight = wait;
        self
    }

    /// Sets [`Options::keep_done`].
    pub fn keep_done(mut self, keep: bool) -> Self {
        self.keep_done = keep;
        self
    }

    /// Sets [`Options::resend_changed`].
    pub fn resend_changed(mut self, targets: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resend_changed = targets.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`Options::policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub(super) fn resends(&self, row: &Row) -> bool {
        self.resend_changed
            .iter()
            .any(|t| *t == row.target || *t == format!("{}:{}", row.account, row.target))
    }
}

/// Stops a run: no new request is sent; requests in flight finish and are journaled; rows
/// waiting for their in-flight horizon are left `pending`. Cheap to clone; clones stop the same
/// run.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<StopInner>);

#[derive(Debug, Default)]
struct StopInner {
    stopped: AtomicBool,
    notify: Notify,
}

impl Stop {
    /// Asks the run to stop sending.
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::SeqCst)
    }

    /// Resolves once a stop is asked for.
    pub async fn stopped(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

/// Rows waiting for their in-flight horizon (see [`Options::in_flight_horizon`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Waiting {
    /// How many rows.
    pub rows: usize,
    /// When the last of them can be decided.
    pub until: Timestamp,
}

/// Where a run is, after each row (and when it starts waiting for rows in flight).
#[derive(Debug)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// Rows in the input, invalid ones included.
    pub total: usize,
    /// Rows with a result so far, per outcome.
    pub counts: &'a Counts,
    /// The row that just got its result.
    pub last: &'a RowResult,
    /// Set when the run waits for rows whose answer was lost until their horizon has passed.
    pub waiting: Option<Waiting>,
}

/// Runs the rows of an [`Input`] through the accounts of a [`Registry`], with a [`Journal`].
///
/// One client per account (the registry's), so one login per account; per-account
/// concurrency limits; the retries of each client's transport.
#[derive(Debug, Clone)]
pub struct Runner {
    pub(super) registry: Registry,
    pub(super) options: Options,
    pub(super) stop: Stop,
    pub(super) clock: Arc<dyn Clock>,
}

/// How a row starts in this run.
#[derive(Debug, Clone)]
enum Start {
    /// Nothing was sent for it yet (or it failed before sending): read, journal, send.
    Fresh,
    /// A request may have been sent (an intent without a final outcome): read back and compare
    /// with the reading from before it, then send only if nothing changed (and, for a change
    /// that is not idempotent whose answer was lost, only after its horizon).
    Settle {
        before: Option<Observation>,
        /// When the request was sent, when its answer was lost (or never journaled).
        lost_at: Option<Timestamp>,
    },
}

struct Finished {
    result: RowResult,
    /// Set when the answer was lost and reading back showed no change yet.
    retry: Option<Retry>,
}

struct Retry {
    row: Row,
    /// The reading from before the request.
    before: Option<Observation>,
    /// When the request was sent.
    sent_at: Timestamp,
    /// Intents so far.
    attempts: u32,
    /// `None`: idempotent, may be sent again at once (after reading back); `Some`: not before.
    not_before: Option<Timestamp>,
}

struct Ctx {
    journal: Journal,
    stop: Stop,
    clock: Arc<dyn Clock>,
    horizon: SignedDuration,
    journal_error: Mutex<Option<BulkError>>,
    /// Per account: the line of the first authentication refusal (0: none).
    auth_refused: HashMap<String, AtomicU64>,
    policy: Policy,
}

impl Runner {
    /// A runner over the accounts of `registry`, with default [`Options`] and the system clock.
    pub fn new(registry: Registry) -> Self {
        Runner {
            registry,
            options: Options::default(),
            stop: Stop::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Sets the clock the run stamps records with and waits on (tests: a
    /// [`ManualClock`](super::ManualClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A handle that stops this runner's runs (e.g. on Ctrl-C).
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// Uses the caller's `stop` as this runner's shutdown signal (a service hands in the one
    /// its shutdown sets off; clones of it stop the run).
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    /// Runs every row of `input`: rows the journal says are final are carried over, rows it
    /// shows as possibly sent are settled by reading back, the others are sent. Calls
    /// `on_progress` after each row. Every row is checked before the first request: rows
    /// whose account is not in the registry, whose action its provider does not offer, or
    /// that break a provider rule needing no network, are invalid and not sent (and with
    /// [`Options::strict`], nothing is sent).
    ///
    /// Returns the report of every row. Fails only when the journal cannot be written (the run
    /// then stops sending at once; what was sent is settled by the next run).
    pub async fn run(
        &self,
        mut input: Input,
        journal: Journal,
        mut on_progress: impl FnMut(&Progress<'_>),
    ) -> Result<Report, BulkError> {
        input.check_accounts(&self.registry);
        let total = input.valid_rows() + input.invalid.len();
        let mut results: BTreeMap<ResultKey, RowResult> = BTreeMap::new();
        let mut counts: Counts = Counts::new();
        let registry = &self.registry;
        let keep_done = self.options.keep_done;
        let mut done_omitted = 0usize;
        let omitted = &mut done_omitted;
        let mut record = |mut r: RowResult,
                          results: &mut BTreeMap<ResultKey, RowResult>,
                          waiting: Option<Waiting>| {
            if let Some(old) = results.get(&result_key(&r))
                && let Some(c) = counts.get_mut(&old.outcome)
            {
                *c = c.saturating_sub(1);
            }
            r.provider = registry.account(&r.account).ok().map(|c| c.provider());
            *counts.entry(r.outcome).or_default() += 1;
            on_progress(&Progress {
                total,
                counts: &counts,
                last: &r,
                waiting,
            });
            if keep_done || r.outcome != Outcome::Done {
                results.insert(result_key(&r), r);
            } else {
                results.remove(&result_key(&r));
                *omitted += 1;
            }
        };
        // Every invalid row is counted and shown to `on_progress`; the report keeps the
        // first `InvalidRows::KEPT` (by line) and reads the others back when asked.
        let mut invalid_omitted = 0usize;
        for (i, bad) in input.invalid.iter().enumerate() {
            let r = RowResult::invalid(&bad?);
            let key = result_key(&r);
            record(r, &mut results, None);
            if i >= InvalidRows::KEPT {
                results.remove(&key);
                invalid_omitted += 1;
            }
        }
        let omitted = (invalid_omitted > 0).then(|| OmittedInvalid {
            rows: input.invalid.clone(),
            kept: input.invalid.len() - invalid_omitted,
            providers: registry
                .accounts()
                .map(|(name, provider)| (name.to_string(), provider))
                .collect(),
        });
        let already_done = journal.already_done(&input);
        if self.options.strict && !input.invalid.is_empty() {
            for row in input.rows_iter() {
                let r = pending(&row?, "not sent: --strict and the input has invalid rows");
                record(r, &mut results, None);
            }
            return Ok(Report {
                rows: results.into_values().collect(),
                done_omitted,
                invalid_omitted,
                omitted,
                stopped: true,
                journal: journal.stats(),
                already_done,
            });
        }

        let accounts = input.accounts();
        let ctx = Arc::new(Ctx {
            journal,
            stop: self.stop.clone(),
            clock: self.clock.clone(),
            horizon: SignedDuration::try_from(self.options.in_flight_horizon)
                .unwrap_or(SignedDuration::MAX),
            journal_error: Mutex::new(None),
            auth_refused: accounts
                .into_iter()
                .map(|a| (a, AtomicU64::new(0)))
                .collect(),
            policy: self.options.policy,
        });
        // Closed when this run ends or is dropped, not when its last task lets go of it
        // (`Journal::close`): a rerun can open it at once.
        let _close = CloseOnDrop(&ctx.journal);
        // The rows are read (again, for a streamed input) as the workers take them: memory
        // grows with the rows in flight, not with the input.
        let mut feed: Box<dyn Iterator<Item = Feed> + Send> = {
            let (ctx, options) = (ctx.clone(), self.options.clone());
            Box::new(input.rows_iter().map(move |row| match row {
                Ok(row) => start_of(&ctx, &options, row),
                Err(e) => Feed::Failed(e),
            }))
        };
        let accounts: Vec<String> = ctx.auth_refused.keys().cloned().collect();

        // Passes: the first sends; the next ones read back the rows whose answer was lost and
        // send them again only if still unchanged (at once when idempotent, after their
        // horizon when not). A few passes at most: a row lost again and again stays pending.
        for pass in 0..4 {
            // The workers live in `_workers`: if this run is dropped (cancelled), they are
            // aborted with it rather than going on sending unobserved. A row cut short is
            // settled by the next run, as after a crash.
            let (_workers, mut finished) = self.spawn_workers(&ctx, &accounts, feed);
            let mut retries = Vec::new();
            while let Some(finished) = finished.recv().await {
                if let Some(retry) = finished.retry {
                    retries.push(retry);
                }
                record(finished.result, &mut results, None);
            }
            if retries.is_empty() || ctx.stop.is_stopped() || pass == 3 {
                break;
            }
            let (now_rows, later): (Vec<Retry>, Vec<Retry>) =
                retries.into_iter().partition(|r| r.not_before.is_none());
            let mut next: Vec<Retry> = if self.options.settle_pass {
                now_rows
            } else {
                Vec::new()
            };
            if self.options.wait_in_flight && !later.is_empty() {
                let until = later
                    .iter()
                    .filter_map(|r| r.not_before)
                    .max()
                    .unwrap_or(ctx.clock.now());
                if let Some(last) = later.last() {
                    let key = (
                        last.row.line,
                        last.row.account.clone(),
                        last.row.target.clone(),
                    );
                    let r = results.get(&key).cloned();
                    if let Some(r) = r {
                        let waiting = Waiting {
                            rows: later.len(),
                            until,
                        };
                        record(r, &mut results, Some(waiting));
                    }
                }
                tokio::select! {
                    () = ctx.clock.sleep_until(until) => {}
                    () = ctx.stop.stopped() => {}
                }
                if ctx.stop.is_stopped() {
                    break;
                }
                next.extend(later);
            }
            if next.is_empty() {
                break;
            }
            feed = Box::new(next.into_iter().map(|retry| {
                Feed::Work((
                    retry.row,
                    Start::Settle {
                        before: retry.before,
                        lost_at: Some(retry.sent_at),
                    },
                    retry.attempts,
                ))
            }));
        }
        if let Err(e) = ctx.journal.flush().await {
            fail(&ctx, e);
        }
        if let Some(err) = ctx
            .journal_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return Err(err);
        }
        Ok(Report {
            rows: results.into_values().collect(),
            done_omitted,
            invalid_omitted,
            omitted,
            stopped: self.stop.is_stopped(),
            journal: ctx.journal.stats(),
            already_done,
        })
    }

    /// Starts, per account, workers that take the next row of that account (in input order)
    /// from a bounded queue, which a feeder task fills from `feed`: memory for tasks and rows
    /// grows with the concurrency, not with the number of rows. Each account has
    /// [`JOURNAL_OVERLAP`] times its concurrency limit of workers, and at most its limit of
    /// calls to its provider at once ([`Limited`]): a row waiting for its intent's fsync holds
    /// no place under the limit, so the fsync overlaps other rows' requests. Each row's result
    /// comes out of the returned channel, which closes when every worker is done; dropping the
    /// returned set aborts the workers and the feeder.
    fn spawn_workers(
        &self,
        ctx: &Arc<Ctx>,
        accounts: &[String],
        feed: Box<dyn Iterator<Item = Feed> + Send>,
    ) -> (JoinSet<()>, mpsc::UnboundedReceiver<Finished>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut set = JoinSet::new();
        let mut queues: HashMap<String, mpsc::Sender<Work>> = HashMap::new();
        for account in accounts {
            let Ok(canceller) = self.registry.account(account).cloned() else {
                continue; // checked before: every remaining row has its account
            };
            let limit = self.options.concurrency_for(canceller.provider());
            let canceller = Arc::new(Limited {
                inner: canceller,
                places: tokio::sync::Semaphore::new(limit),
                ctx: ctx.clone(),
                account: account.clone(),
                refused: AtomicBool::new(false),
            });
            let workers = limit * JOURNAL_OVERLAP;
            let (queue_tx, queue_rx) = mpsc::channel::<Work>(workers);
            queues.insert(account.clone(), queue_tx);
            let queue = Arc::new(tokio::sync::Mutex::new(queue_rx));
            for _ in 0..workers {
                let (queue, canceller, ctx, tx) =
                    (queue.clone(), canceller.clone(), ctx.clone(), tx.clone());
                set.spawn(async move {
                    loop {
                        let next = queue.lock().await.recv().await;
                        let Some((row, start, attempts)) = next else {
                            return;
                        };
                        let refused_on = ctx
                            .auth_refused
                            .get(&row.account)
                            .map_or(0, |a| a.load(Ordering::SeqCst));
                        let finished = if ctx.stop.is_stopped() {
                            Finished {
                                result: pending(&row, STOPPED),
                                retry: None,
                            }
                        } else if refused_on != 0 {
                            Finished {
                                result: auth_skipped(&row, refused_on),
                                retry: None,
                            }
                        } else {
                            let f = process(&ctx, canceller.as_ref(), &row, start, attempts).await;
                            if f.result.kind == Some(ErrorKind::Unauthorized)
                                && let Some(a) = ctx.auth_refused.get(&row.account)
                            {
                                let _ = a.compare_exchange(
                                    0,
                                    row.line.max(1),
                                    Ordering::SeqCst,
                                    Ordering::SeqCst,
                                );
                            }
                            f
                        };
                        if tx.send(finished).is_err() {
                            return;
                        }
                    }
                });
            }
        }
        let feeder_ctx = ctx.clone();
        set.spawn(async move {
            for item in feed {
                match item {
                    Feed::Work(work) => {
                        let Some(queue) = queues.get(&work.0.account) else {
                            continue; // checked before: every remaining row has its account
                        };
                        if queue.send(work).await.is_err() {
                            return;
                        }
                    }
                    Feed::Done(result) => {
                        if tx
                            .send(Finished {
                                result,
                                retry: None,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                    Feed::Failed(e) => {
                        // The input cannot be read again (changed since it was validated):
                        // stop; the rows sent so far are journaled.
                        fail(&feeder_ctx, e);
                        return;
                    }
                }
            }
        });
        (set, rx)
    }
}

/// Closes a run's journal when the run ends or is dropped ([`Journal::close`]).
struct CloseOnDrop<'a>(&'a Journal);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Workers per account, as a multiple of its concurrency limit. Calls to the provider stay
/// under the limit ([`Limited`]); the other workers wait for their intent's fsync meanwhile.
/// 8: on a busy disk an fsync took 3–4 ms, more than a row's request time at the bench's
/// rates once the simulator got faster; the journal run made 0.70 of the plain loop's rows/s
/// with 4 and 0.86 with 8 in the same minutes (BENCHMARKS). Rows in memory stay a multiple of
/// the concurrency.
const JOURNAL_OVERLAP: usize = 8;

/// What the feeder hands on: a row to run, a row's result without sending (carried over from
/// the journal, a conflict), or the input failing to be read again.
enum Feed {
    Work(Work),
    Done(RowResult),
    Failed(BulkError),
}

/// A canceller with at most `limit` calls in flight at once (the run's per-account
/// concurrency): every call that may reach the provider takes a place first. A call that gets
/// its place after the account was refused authentication is not made (the rows waiting for a
/// place would otherwise each call once more with the refused credentials).
struct Limited {
    inner: Arc<dyn Canceller>,
    places: tokio::sync::Semaphore,
    ctx: Arc<Ctx>,
    account: String,
    /// Set when a call was refused authentication, before its place is given back.
    refused: AtomicBool,
}

impl std::fmt::Debug for Limited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limited")
            .field("inner", &self.inner)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Limited {
    async fn place(&self) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, Error> {
        // Never closed: a closed semaphore would only mean no limit.
        let place = self.places.acquire().await.ok();
        // A stop asked for while this row waited for its place: nothing more is sent (`Stop`'s
        // promise); `process` reports the row pending.
        if self.ctx.stop.is_stopped() {
            return Err(stopped_error());
        }
        if self.refused.load(Ordering::SeqCst) {
            let on = self
                .ctx
                .auth_refused
                .get(&self.account)
                .map_or(0, |a| a.load(Ordering::SeqCst));
            let on = if on == 0 {
                String::new()
            } else {
                format!(" on line {on}")
            };
            return Err(Error::new(
                ErrorKind::Unauthorized,
                Sent::NotSent,
                format!(
                    "not sent: account `{}` was refused authentication{on}; fix its credentials and run again (this row is sent then)",
                    self.account
                ),
            ));
        }
        Ok(place)
    }

    /// Notes a plan refused authentication (while the call still holds its place).
    fn note_plan(&self, plan: rescind_core::Plan) -> rescind_core::Plan {
        if plan.error_kind == Some(ErrorKind::Unauthorized) {
            self.refused.store(true, Ordering::SeqCst);
        }
        plan
    }

    /// Notes an authentication refusal (while the call still holds its place).
    fn note<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &result
            && e.kind() == ErrorKind::Unauthorized
        {
            self.refused.store(true, Ordering::SeqCst);
        }
        result
    }
}

#[rescind_core::async_trait]
impl Canceller for Limited {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    fn capabilities(&self) -> rescind_core::Capabilities {
        self.inner.capabilities()
    }

    async fn cancel(&self, request: rescind_core::CancelRequest) -> Result<CancelOutcome, Error> {
        let _place = self.place().await?;
        self.note(self.inner.cancel(request).await)
    }

    async fn cancel_with(
        &self,
        request: rescind_core::CancelRequest,
        options: rescind_core::CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        let _place = self.place().await?;
        self.note(self.inner.cancel_with(request, options).await)
    }

    fn check(&self, request: &rescind_core::CancelRequest) -> Result<(), Error> {
        self.inner.check(request)
    }

    async fn observe(&self, request: &rescind_core::CancelRequest) -> Result<Observation, Error> {
        let _place = self.place().await?;
        self.note(self.inner.observe(request).await)
    }

    async fn plan(&self, request: &rescind_core::CancelRequest) -> rescind_core::Plan {
        match self.place().await {
            Ok(_place) => self.note_plan(self.inner.plan(request).await),
            Err(e) => rescind_core::Plan::from_error(&e),
        }
    }
}

/// Where a row's result is kept: in input order, one per row (rows from code may share a line
/// number; a row is unique by its line, account and target).
type ResultKey = (u64, String, String);

fn result_key(r: &RowResult) -> ResultKey {
    (r.line, r.account.clone(), r.target.clone())
}

/// A row to run: how it starts, and the intents it had before.
type Work = (Row, Start, u32);

/// How a row of the input starts in this run, from what the journal says of it: carried over
/// (final in the journal), not sent (another change to its target), or work to do.
fn start_of(ctx: &Ctx, options: &Options, row: Row) -> Feed {
    let id = row.identity();
    let state = ctx.journal.row(&id).cloned().unwrap_or_default();
    if let Some(outcome) = state.outcome.as_ref().filter(|o| o.is_final()) {
        let r = from_record(&row, outcome);
        return Feed::Done(r);
    }
    if state.intent.is_none()
        && let Some(other) = ctx
            .journal
            .changes_of(&row.account, &row.target)
            .filter(|i| i.row != id && may_have_changed(&ctx.journal, i))
            .last()
    {
        // An earlier change whose answer was lost may still land until its horizon
        // has passed: no further change to the target is sent before, even when the
        // operator names it, so that the earlier one's effect is known first.
        let lands_until = undecided(&ctx.journal, other)
            .map(|sent_at| decide_after(sent_at, ctx.horizon))
            .filter(|until| ctx.clock.now() < *until);
        if !options.resends(&row) {
            return Feed::Done(conflict(&row, other, lands_until));
        }
        if let Some(until) = lands_until {
            return Feed::Done(held_back(&row, other, until));
        }
    }
    // The last attempt was answered with proof that nothing was applied (a 429, refused
    // credentials) or never left: the row starts afresh, as if never sent. Reading it back
    // would decide nothing (issue 17, "a read only when it decides something"); a change
    // that needs a reading (a hold, a quantity cancel) still takes its own before sending.
    let proved_unapplied = state.outcome.as_ref().is_some_and(|o| {
        o.sent.as_deref() == Some(Sent::Answered.as_str())
            || o.sent.as_deref() == Some(Sent::NotSent.as_str())
    });
    let start = match state.intent {
        Some(_) if proved_unapplied => Start::Fresh,
        Some(intent) => {
            // The answer was lost when the last outcome says so, or when there is none
            // (the process died with the request in flight).
            let lost = state
                .outcome
                .as_ref()
                .is_none_or(|o| o.sent.as_deref() == Some(Sent::MaybeSent.as_str()));
            Start::Settle {
                lost_at: lost.then(|| intent.sent_at().unwrap_or(ctx.clock.now())),
                before: intent.before,
            }
        }
        None => Start::Fresh,
    };
    Feed::Work((row, start, state.attempts))
}

/// Whether sending the row's change twice changes nothing more than sending it once: a whole
/// cancel, an item cancel without quantities. A hold creates a new hold each time, and an item
/// cancel with quantities lowers them each time.
fn idempotent(action: &Action) -> bool {
    match action {
        Action::Cancel => true,
        Action::CancelItems(items) => items.iter().all(|i| i.quantity.is_none()),
        Action::Hold { .. } => false,
    }
}

pub(super) fn pending(row: &Row, why: &str) -> RowResult {
    base(row, Outcome::Pending, why.to_string())
}

pub(super) fn base(row: &Row, outcome: Outcome, detail: String) -> RowResult {
    RowResult {
        line: row.line,
        key: row.key.clone(),
        account: row.account.clone(),
        provider: None,
        target: row.target.clone(),
        action: row.action.as_str().into(),
        outcome,
        status: None,
        kind: None,
        sent: None,
        reason: None,
        request_id: None,
        settled_by: None,
        decide_after: None,
        detail,
        earlier_run: false,
        prediction: None,
    }
}

/// A time for people: `2026-11-30 08:15:47 UTC`.
fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// When a row whose answer was lost may be decided: `sent_at` plus the horizon, rounded up to
/// the second (so that the time shown to people is never early); a zero horizon decides at once.
pub(super) fn decide_after(sent_at: Timestamp, horizon: SignedDuration) -> Timestamp {
    if horizon <= SignedDuration::ZERO {
        return sent_at;
    }
    let at = sent_at.saturating_add(horizon).unwrap_or(Timestamp::MAX);
    let whole = Timestamp::from_second(at.as_second()).unwrap_or(at);
    if whole < at {
        whole
            .saturating_add(SignedDuration::from_secs(1))
            .unwrap_or(at)
    } else {
        whole
    }
}

/// Whether the journal's change `intent` may have changed its target: not when its outcome
/// says nothing was (refused or invalid by the provider, or never sent).
pub(super) fn may_have_changed(journal: &Journal, intent: &IntentRecord) -> bool {
    let outcome = journal.row(&intent.row).and_then(|s| s.outcome.as_ref());
    !outcome.is_some_and(|o| {
        matches!(o.outcome, Outcome::Refused | Outcome::Invalid)
            || o.sent.as_deref() == Some(Sent::NotSent.as_str())
    })
}

/// When the journal's change `intent` was sent, if its answer was lost and no later outcome
/// decided it (it may still land).
pub(super) fn undecided(journal: &Journal, intent: &IntentRecord) -> Option<Timestamp> {
    let outcome = journal.row(&intent.row).and_then(|s| s.outcome.as_ref());
    let lost =
        outcome.is_none_or(|o| !o.is_final() && o.sent.as_deref() != Some(Sent::NotSent.as_str()));
    lost.then(|| intent.sent_at()).flatten()
}

/// The row named by `--resend-changed` is not sent yet: the earlier change to its target lost
/// its answer and may still land until `until`.
pub(super) fn held_back(row: &Row, other: &IntentRecord, until: Timestamp) -> RowResult {
    let detail = format!(
        "not sent yet: the earlier change to {} {}: `{}` (line {} then) lost its answer and may still land until {}; this row is sent only after that time, when reading the target shows what the earlier change did: run again then",
        row.account,
        row.target,
        other.describe(),
        other.line,
        when(until)
    );
    RowResult {
        sent: Some(Sent::NotSent),
        decide_after: Some(until),
        ..base(row, Outcome::Pending, detail)
    }
}

/// The row is not sent: another row's change to its target is in the journal (`lands_until`:
/// its answer was lost and it may still land until then).
pub(super) fn conflict(
    row: &Row,
    other: &IntentRecord,
    lands_until: Option<Timestamp>,
) -> RowResult {
    let asks = IntentRecord {
        items: row.action.items_text(),
        until: row.action.until(),
        action: row.action.as_str().into(),
        ..other.clone()
    }
    .describe();
    let mut sent = other.sent_at().map_or_else(|| other.at.clone(), when);
    if let Some(until) = lands_until {
        sent = format!(
            "{sent}, its answer lost (it may still land until {})",
            when(until)
        );
    }
    let detail = format!(
        "not sent: this journal holds another change to {} {}: `{}` (line {} then), sent {sent}; this row asks `{asks}`. Sending it could change the target twice. If it is a further change to make, name the target to send it: --resend-changed {}:{}",
        row.account,
        row.target,
        other.describe(),
        other.line,
        row.account,
        row.target
    );
    RowResult {
        kind: Some(ErrorKind::InvalidInput),
        sent: Some(Sent::NotSent),
        ..base(row, Outcome::Conflict, detail)
    }
}

fn auth_skipped(row: &Row, refused_on: u64) -> RowResult {
    RowResult {
        kind: Some(ErrorKind::Unauthorized),
        sent: Some(Sent::NotSent),
        ..base(
            row,
            Outcome::Failed,
            format!(
                "not sent: account `{}` was refused authentication on line {refused_on}; fix its credentials and run again (this row is sent then)",
                row.account
            ),
        )
    }
}

/// A journaled stable name back to its value (the core enums' serde names are their
/// `as_str`), so a kind added to core is read back without a list here.
fn parse_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn parse_kind(s: &str) -> Option<ErrorKind> {
    parse_name(s)
}

fn parse_settled_by(s: &str) -> Option<SettledBy> {
    parse_name(s)
}

fn parse_sent(s: &str) -> Option<Sent> {
    parse_name(s)
}

fn parse_status(o: &OutcomeRecord) -> Option<CancelStatus> {
    Some(match o.status.as_deref()? {
        "cancelled" => CancelStatus::Cancelled,
        "partially_cancelled" => CancelStatus::PartiallyCancelled {
            cancelled_items: o.cancelled_items,
            remaining_items: o.remaining_items,
        },
        "already_cancelled" => CancelStatus::AlreadyCancelled,
        "held" => CancelStatus::Held {
            until: o.held_until,
        },
        _ => return None,
    })
}

pub(super) fn from_record(row: &Row, o: &OutcomeRecord) -> RowResult {
    RowResult {
        status: parse_status(o),
        kind: o.kind.as_deref().and_then(parse_kind),
        sent: o.sent.as_deref().and_then(parse_sent),
        reason: o.reason.as_deref().and_then(parse_name),
        request_id: o.request_id.clone(),
        settled_by: o.settled_by.as_deref().and_then(parse_settled_by),
        decide_after: o.decide_after.as_deref().and_then(|t| t.parse().ok()),
        earlier_run: true,
        ..base(row, o.outcome, o.detail.clone())
    }
}

fn done(row: &Row, outcome: &CancelOutcome) -> RowResult {
    RowResult {
        status: Some(outcome.status.clone()),
        request_id: outcome.request_id.clone(),
        // The provider may have settled a lost answer itself, by reading back.
        settled_by: Some(outcome.settled_by),
        ..base(
            row,
            Outcome::Done,
            outcome
                .note
                .clone()
                .unwrap_or_else(|| outcome.status.to_string()),
        )
    }
}

/// The status a row asked for, as reading back shows it applied.
pub(super) fn asked_status(row: &Row) -> CancelStatus {
    match &row.action {
        Action::Cancel => CancelStatus::Cancelled,
        Action::CancelItems(_) => CancelStatus::PartiallyCancelled {
            cancelled_items: None,
            remaining_items: None,
        },
        Action::Hold { until } => CancelStatus::Held { until: *until },
    }
}

fn read_back(row: &Row, note: String) -> RowResult {
    RowResult {
        status: Some(asked_status(row)),
        settled_by: Some(SettledBy::ReadBack),
        ..base(row, Outcome::Done, note)
    }
}

fn unknown(row: &Row, detail: String) -> RowResult {
    RowResult {
        sent: Some(Sent::MaybeSent),
        ..base(row, Outcome::Unknown, detail)
    }
}

/// A change whose answer was lost, not idempotent, not yet shown by reading back: not sent
/// again before `decide_after`.
fn in_flight(row: &Row, decide_after: Timestamp, why: &str) -> RowResult {
    RowResult {
        sent: Some(Sent::MaybeSent),
        decide_after: Some(decide_after),
        ..base(
            row,
            Outcome::Pending,
            format!(
                "{why}; reading back shows no change yet, but the request may still be in flight: it is not sent again before {}, and then only if reading back still shows no change",
                when(decide_after)
            ),
        )
    }
}

fn from_error(row: &Row, err: &Error) -> RowResult {
    let outcome = match err.kind() {
        ErrorKind::NotCancellable => Outcome::Refused,
        ErrorKind::InvalidInput
        | ErrorKind::Unsupported
        | ErrorKind::Config
        | ErrorKind::UnknownAccount => Outcome::Invalid,
        _ => Outcome::Failed,
    };
    RowResult {
        kind: Some(err.kind()),
        sent: Some(err.sent()),
        reason: err.reason(),
        request_id: err.request_id().map(str::to_owned),
        ..base(row, outcome, err.to_string())
    }
}

/// Whether a later run may try a failed row again (after reading back): the provider or the
/// network failed, or the credentials were refused (fixed before the rerun).
fn transient(result: &RowResult) -> bool {
    result.outcome == Outcome::Failed
        && matches!(
            result.kind,
            Some(
                ErrorKind::RateLimited
                    | ErrorKind::Server
                    | ErrorKind::Timeout
                    | ErrorKind::Transport
                    | ErrorKind::Unauthorized
            )
        )
}

/// One row: read (or read back and settle), journal the intent, send, journal the outcome.
async fn process(
    ctx: &Ctx,
    canceller: &Limited,
    row: &Row,
    start: Start,
    attempts: u32,
) -> Finished {
    let request = row.request();
    let id = row.identity();
    let finish = |result: RowResult, retry: Option<Retry>| {
        let status = result.status.as_ref();
        let rec = Record::Outcome(OutcomeRecord {
            row: id.clone(),
            line: row.line,
            key: row.key.clone(),
            outcome: result.outcome,
            status: status.map(|s| s.as_str().to_string()),
            held_until: match status {
                Some(CancelStatus::Held { until }) => *until,
                _ => None,
            },
            cancelled_items: match status {
                Some(CancelStatus::PartiallyCancelled {
                    cancelled_items, ..
                }) => *cancelled_items,
                _ => None,
            },
            remaining_items: match status {
                Some(CancelStatus::PartiallyCancelled {
                    remaining_items, ..
                }) => *remaining_items,
                _ => None,
            },
            kind: result.kind.map(|k| k.as_str().to_string()),
            sent: result.sent.map(|s| s.as_str().to_string()),
            reason: result.reason.map(|r| r.as_str().to_string()),
            transient: transient(&result),
            request_id: result.request_id.clone(),
            settled_by: result.settled_by.map(|s| s.as_str().to_string()),
            decide_after: result.decide_after.map(|t| t.to_string()),
            detail: result.detail.clone(),
            at: ctx.clock.now().to_string(),
        });
        // Not waited for: the outcome is fsync'ed with the next batch (the run flushes before it
        // returns). If the process dies first, the row is "intent" in the journal and the next
        // run settles it by reading back; if the write fails, the next intent's append fails
        // and the run stops.
        if let Err(e) = ctx.journal.append_queued(&rec) {
            fail(ctx, e);
        }
        Finished { result, retry }
    };

    let mut plan: Option<Plan> = None;
    let before = match start {
        Start::Settle { before, lost_at } => match canceller.observe(&request).await {
            Err(e) => {
                let r = unknown(
                    row,
                    format!("a request may have been sent; reading the target back failed: {e}"),
                );
                return finish(r, None);
            }
            Ok(after) => match settle(&request, before.as_ref(), &after) {
                Settlement::Applied { note } => return finish(read_back(row, note), None),
                Settlement::Unclear { reason } => {
                    let r = unknown(row, format!("a request may have been sent: {reason}"));
                    return finish(r, None);
                }
                Settlement::NotApplied => {
                    if let Some(sent_at) = lost_at
                        && !idempotent(&row.action)
                    {
                        let decide_after = decide_after(sent_at, ctx.horizon);
                        if ctx.clock.now() < decide_after {
                            let r = in_flight(
                                row,
                                decide_after,
                                &format!(
                                    "the answer to the request sent {} was lost",
                                    when(sent_at)
                                ),
                            );
                            let retry = Retry {
                                row: row.clone(),
                                before,
                                sent_at,
                                attempts,
                                not_before: Some(decide_after),
                            };
                            return finish(r, Some(retry));
                        }
                    }
                    Some(after)
                }
                // Settlement is non-exhaustive: what this version cannot read is unknown.
                _ => return finish(unknown(row, "unreadable settlement".into()), None),
            },
        },
        Start::Fresh if ctx.policy == Policy::ChangeFirst && idempotent(&row.action) => None,
        Start::Fresh => {
            // One read, handed to the cancel so that the target is read once.
            let taken = canceller.plan(&request).await;
            match (taken.reading.clone(), taken.error_kind) {
                (Some(reading), _) => {
                    plan = Some(taken);
                    Some(reading)
                }
                // The read failed (or a rule refused before reading): the cancel would
                // return this error before sending.
                (None, Some(kind)) => {
                    let err = Error::new(kind, Sent::NotSent, taken.prediction.describe())
                        .with_provider(canceller.provider());
                    return finish(from_error(row, &err), None);
                }
                // A provider that does not plan: read as before, and let it read again.
                (None, None) => match canceller.observe(&request).await {
                    Ok(o) => Some(o),
                    Err(e) if e.kind() == ErrorKind::Unsupported => None,
                    Err(e) => return finish(from_error(row, &e), None),
                },
            }
        }
    };

    let intent = |before: Option<Observation>, at: Timestamp| {
        Record::Intent(IntentRecord {
            row: id.clone(),
            line: row.line,
            key: row.key.clone(),
            attempt: attempts + 1,
            account: row.account.clone(),
            target: row.target.clone(),
            action: row.action.as_str().into(),
            items: row.action.items_text(),
            until: row.action.until(),
            before,
            at: at.to_string(),
        })
    };
    let not_journaled = || Finished {
        result: pending(row, "not sent: the journal could not be written"),
        retry: None,
    };
    let mut before = before;
    let mut sent_at = ctx.clock.now();
    if write(ctx, intent(before.clone(), sent_at)).await.is_err() {
        return not_journaled();
    }

    // The change's call place, held from here to its answer.
    let place = match canceller.place().await {
        Ok(place) => place,
        // Stopped, or the account refused authentication meanwhile: nothing sent.
        Err(_) if ctx.stop.is_stopped() => return finish(pending(row, STOPPED), None),
        Err(err) => return finish(from_error(row, &err), None),
    };
    // A plan whose reading is the fingerprint of a change that cannot be sent twice (a hold,
    // a quantity cancel) stands in for the cancel's own read only while fresh
    // (`Plan::FRESH_FOR`). Waiting for the place behind slow calls can outlast that: the
    // target is read again (holding the place, so the reading stays fresh until the send) and
    // the intent journaled again with that reading, which the cancel uses and the settle pass
    // compares with. The common case (a place within seconds) keeps its requests.
    if !idempotent(&row.action) && plan.as_ref().is_some_and(|p| !p.is_fresh()) {
        let taken = canceller.note_plan(canceller.inner.plan(&request).await);
        match (taken.reading.clone(), taken.error_kind) {
            (Some(reading), _) => {
                before = Some(reading);
                plan = Some(taken);
                sent_at = ctx.clock.now();
                if write(ctx, intent(before.clone(), sent_at)).await.is_err() {
                    return not_journaled();
                }
            }
            (None, Some(kind)) => {
                let err = Error::new(kind, Sent::NotSent, taken.prediction.describe())
                    .with_provider(canceller.provider());
                return finish(from_error(row, &err), None);
            }
            // Not read (a provider that stopped planning): the cancel reads for itself.
            (None, None) => plan = None,
        }
    }

    let mut options = CancelOptions::new().policy(ctx.policy);
    if let Some(plan) = plan {
        options = options.with_plan(plan);
    }
    let answer = canceller.note(canceller.inner.cancel_with(request, options).await);
    drop(place);
    match answer {
        Ok(outcome) => finish(done(row, &outcome), None),
        // The provider's cancel has already read the target back and settled what it could:
        // its answer stays unknown. Not read again here; the settle pass (or a later run)
        // reads back before sending again.
        Err(err) if err.outcome_unknown() => {
            let retry = |not_before| Retry {
                row: row.clone(),
                before: before.clone(),
                sent_at,
                attempts: attempts + 1,
                not_before,
            };
            let decide_after = decide_after(sent_at, ctx.horizon);
            let result = if !idempotent(&row.action) && ctx.clock.now() < decide_after {
                (
                    in_flight(row, decide_after, &err.to_string()),
                    Some(retry(Some(decide_after))),
                )
            } else {
                (
                    unknown(
                        row,
                        format!(
                            "{err}; a later read decides, and the request is sent again only if still unchanged"
                        ),
                    ),
                    Some(retry(None)),
                )
            };
            finish(result.0, result.1)
        }
        Err(err) if err.sent() == Sent::NotSent && ctx.stop.is_stopped() => {
            finish(pending(row, STOPPED), None)
        }
        Err(err) => finish(from_error(row, &err), None),
    }
}

/// Why a row stopped before its request was sent.
const STOPPED: &str = "not sent: the run was stopped";

/// The error a row gets when the run is stopped while it waits for a call place.
fn stopped_error() -> Error {
    Error::new(ErrorKind::Transport, Sent::NotSent, STOPPED)
}

/// Appends a record (sharing an fsync with the records appended at the same time); a failure
/// stops the run.
async fn write(ctx: &Ctx, record: Record) -> Result<(), ()> {
    ctx.journal
        .append_async(&record)
        .await
        .map_err(|e| fail(ctx, e))
}

/// The journal cannot be written: stop sending, and keep the first error for the run's result.
fn fail(ctx: &Ctx, error: BulkError) {
    ctx.stop.stop();
    let mut slot = ctx.journal_error.lock().unwrap_or_else(|e| e.into_inner());
    slot.get_or_insert(error);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journaled_names_read_back_as_their_values() {
        for kind in [
            ErrorKind::UnknownAccount,
            ErrorKind::NotCancellable,
            ErrorKind::Timeout,
        ] {
            assert_eq!(parse_kind(kind.as_str()), Some(kind));
        }
        for sent in [Sent::NotSent, Sent::Answered, Sent::MaybeSent] {
            assert_eq!(parse_sent(sent.as_str()), Some(sent));
        }
        assert_eq!(parse_settled_by("read_back"), Some(SettledBy::ReadBack));
        assert_eq!(parse_kind("no_such_kind"), None);
        assert_eq!(parse_sent(""), None);
    }

    #[test]
    fn decide_after_is_the_horizon_after_the_send_rounded_up_to_the_second() {
        let sent: Timestamp = "2026-11-30T08:10:47.680Z".parse().unwrap();
        let five = SignedDuration::from_mins(5);
        assert_eq!(decide_after(sent, five).to_string(), "2026-11-30T08:15:48Z");
        let whole: Timestamp = "2026-11-30T08:10:47Z".parse().unwrap();
        assert_eq!(
            decide_after(whole, five).to_string(),
            "2026-11-30T08:15:47Z"
        );
        assert_eq!(decide_after(sent, SignedDuration::ZERO), sent);
        assert_eq!(decide_after(Timestamp::MAX, five), Timestamp::MAX);
        assert_eq!(when(whole), "2026-11-30 08:10:47 UTC");
    }

    #[test]
    fn concurrency_per_account_defaults_by_provider_and_is_at_least_one() {
        let defaults = Options::default();
        assert_eq!(
            defaults.concurrency_for(Provider::Arta),
            DEFAULT_ARTA_CONCURRENCY
        );
        assert_eq!(defaults.concurrency_for(Provider::Di), DEFAULT_CONCURRENCY);
        assert_eq!(
            defaults.concurrency_for(Provider::SkipPay),
            DEFAULT_CONCURRENCY
        );
        let set = Options::default().concurrency(3);
        assert_eq!(set.concurrency_for(Provider::Arta), 3);
        let zero = Options {
            concurrency: Some(0),
            ..Options::default()
        };
        assert_eq!(zero.concurrency_for(Provider::Di), 1);
    }
}
