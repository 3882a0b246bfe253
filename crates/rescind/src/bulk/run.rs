//! The runner: every row through its account, bounded per account, journaled before and after.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rescind_core::jiff::Timestamp;
use rescind_core::{
    CancelOutcome, CancelStatus, Canceller, Error, ErrorKind, Observation, Provider, Settlement,
    settle,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::journal::{IntentRecord, Journal, OutcomeRecord, Record};
use super::report::{Counts, Outcome, Report, RowResult};
use super::{BulkError, Input, Row};
use crate::Registry;

/// Rows in flight at once per Arta account by default: Arta allows 15 concurrent calls per
/// live key.
pub const DEFAULT_ARTA_CONCURRENCY: usize = 15;
/// Rows in flight at once per account of the other providers by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How a run behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Rows in flight at once per account, for every account; when absent,
    /// [`DEFAULT_ARTA_CONCURRENCY`] for Arta accounts and [`DEFAULT_CONCURRENCY`] for others.
    pub concurrency: Option<usize>,
    /// Send nothing if any row is invalid.
    pub strict: bool,
    /// At the end of the run, read back once more the rows whose answer was lost and whose
    /// first read-back showed no change yet, and send them if still unchanged. Default on.
    pub settle_pass: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: None,
            strict: false,
            settle_pass: true,
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
}

/// Stops a run: no new request is sent; requests in flight finish and are journaled. Cheap to
/// clone; clones stop the same run.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Asks the run to stop sending.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where a run is, after each row.
#[derive(Debug)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// Rows in the input, invalid ones included.
    pub total: usize,
    /// Rows with a result so far, per outcome.
    pub counts: &'a Counts,
    /// The row that just got its result.
    pub last: &'a RowResult,
}

/// Runs the rows of an [`Input`] through the accounts of a [`Registry`], with a [`Journal`].
///
/// One client per account (the registry's), so one login per account; per-account
/// concurrency limits; the retries of each client's transport.
#[derive(Debug, Clone)]
pub struct Runner {
    registry: Registry,
    options: Options,
    stop: Stop,
}

/// How a row starts in this run.
#[derive(Debug, Clone)]
enum Start {
    /// Nothing was sent for it yet (or it failed before sending): read, journal, send.
    Fresh,
    /// A request may have been sent (an intent without a final outcome): read back and compare
    /// with the reading from before it, then send only if nothing changed.
    Settle { before: Option<Observation> },
}

struct Finished {
    result: RowResult,
    /// Set when the answer was lost and reading back showed no change yet, for the settle pass.
    retry: Option<Retry>,
}

struct Retry {
    row: Row,
    /// The reading from before the request.
    before: Option<Observation>,
    /// Intents so far.
    attempts: u32,
}

struct Ctx {
    journal: Journal,
    stop: Stop,
    journal_error: Mutex<Option<BulkError>>,
}

impl Runner {
    /// A runner over the accounts of `registry`, with default [`Options`].
    pub fn new(registry: Registry) -> Self {
        Runner {
            registry,
            options: Options::default(),
            stop: Stop::default(),
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// A handle that stops this runner's runs (e.g. on Ctrl-C).
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// Runs every row of `input`: rows the journal says are final are carried over, rows it
    /// shows as possibly sent are settled by reading back, the others are sent. Calls
    /// `on_progress` after each row. Rows whose account is not in the registry, or whose action
    /// its provider does not offer, are invalid and not sent.
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
        let total = input.rows.len() + input.invalid.len();
        let mut results: BTreeMap<u64, RowResult> = BTreeMap::new();
        let mut counts: Counts = Counts::new();
        let mut record = |r: RowResult, results: &mut BTreeMap<u64, RowResult>| {
            if let Some(old) = results.get(&r.line)
                && let Some(c) = counts.get_mut(&old.outcome)
            {
                *c = c.saturating_sub(1);
            }
            *counts.entry(r.outcome).or_default() += 1;
            on_progress(&Progress {
                total,
                counts: &counts,
                last: &r,
            });
            results.insert(r.line, r);
        };
        for bad in &input.invalid {
            let r = RowResult {
                line: bad.line,
                account: bad.account.clone(),
                target: bad.target.clone(),
                action: String::new(),
                outcome: Outcome::Invalid,
                status: None,
                kind: Some(ErrorKind::InvalidInput.as_str().into()),
                sent: Some("not_sent".into()),
                request_id: None,
                settled_by: None,
                detail: format!("line {}: {}", bad.line, bad.reason),
                earlier_run: false,
            };
            record(r, &mut results);
        }
        if self.options.strict && !input.invalid.is_empty() {
            for row in &input.rows {
                let r = pending(row, "not sent: --strict and the input has invalid rows");
                record(r, &mut results);
            }
            return Ok(Report {
                rows: results.into_values().collect(),
                stopped: true,
                journal: journal.stats(),
            });
        }

        let ctx = Arc::new(Ctx {
            journal,
            stop: self.stop.clone(),
            journal_error: Mutex::new(None),
        });
        let mut work = Vec::new();
        for row in input.rows {
            let state = ctx.journal.line(row.line).cloned().unwrap_or_default();
            if let Some(outcome) = state.outcome.as_ref().filter(|o| o.is_final()) {
                let r = from_record(&row, outcome);
                record(r, &mut results);
                continue;
            }
            let start = match state.intent {
                Some(intent) => Start::Settle {
                    before: intent.before,
                },
                None => Start::Fresh,
            };
            work.push((row, start, state.attempts));
        }

        let mut retries = Vec::new();
        for pass in 0..2 {
            // The workers live in `_workers`: if this run is dropped (cancelled), they are
            // aborted with it rather than going on sending unobserved. A row cut short is
            // settled by the next run, as after a crash.
            let (_workers, mut finished) = self.spawn_workers(&ctx, work.drain(..));
            while let Some(finished) = finished.recv().await {
                if let Some(retry) = finished.retry
                    && pass == 0
                    && self.options.settle_pass
                {
                    retries.push(retry);
                }
                record(finished.result, &mut results);
            }
            if retries.is_empty() || ctx.stop.is_stopped() {
                break;
            }
            // The settle pass: read those rows back once more, send if still unchanged.
            for retry in retries.drain(..) {
                work.push((
                    retry.row,
                    Start::Settle {
                        before: retry.before,
                    },
                    retry.attempts,
                ));
            }
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
            stopped: self.stop.is_stopped(),
            journal: ctx.journal.stats(),
        })
    }

    /// Starts, per account, as many workers as its concurrency limit, each taking the next
    /// row of that account's queue (in input order) until it is empty: memory for tasks grows
    /// with the concurrency, not with the number of rows. Each row's result comes out of the
    /// returned channel, which closes when every worker is done; dropping the returned set
    /// aborts the workers.
    fn spawn_workers(
        &self,
        ctx: &Arc<Ctx>,
        work: impl Iterator<Item = Work>,
    ) -> (JoinSet<()>, mpsc::UnboundedReceiver<Finished>) {
        let mut queues: HashMap<String, VecDeque<Work>> = HashMap::new();
        for item in work {
            queues
                .entry(item.0.account.clone())
                .or_default()
                .push_back(item);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let mut set = JoinSet::new();
        for (account, queue) in queues {
            let Ok(canceller) = self.registry.account(&account).cloned() else {
                continue; // checked before: every remaining row has its account
            };
            let limit = self.options.concurrency_for(canceller.provider());
            let workers = limit.min(queue.len());
            let queue = Arc::new(Mutex::new(queue));
            for _ in 0..workers {
                let (queue, canceller, ctx, tx) =
                    (queue.clone(), canceller.clone(), ctx.clone(), tx.clone());
                set.spawn(async move {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some((row, start, attempts)) = next else {
                            return;
                        };
                        let finished = if ctx.stop.is_stopped() {
                            Finished {
                                result: pending(&row, "not sent: the run was stopped"),
                                retry: None,
                            }
                        } else {
                            process(&ctx, canceller.as_ref(), &row, start, attempts).await
                        };
                        if tx.send(finished).is_err() {
                            return;
                        }
                    }
                });
            }
        }
        (set, rx)
    }
}

/// A row to run: how it starts, and the intents it had before.
type Work = (Row, Start, u32);

fn now() -> String {
    Timestamp::now().to_string()
}

fn pending(row: &Row, why: &str) -> RowResult {
    base(row, Outcome::Pending, why.to_string())
}

fn base(row: &Row, outcome: Outcome, detail: String) -> RowResult {
    RowResult {
        line: row.line,
        account: row.account.clone(),
        target: row.target.clone(),
        action: row.action.as_str().into(),
        outcome,
        status: None,
        kind: None,
        sent: None,
        request_id: None,
        settled_by: None,
        detail,
        earlier_run: false,
    }
}

fn from_record(row: &Row, o: &OutcomeRecord) -> RowResult {
    RowResult {
        status: o.status.clone(),
        kind: o.kind.clone(),
        sent: o.sent.clone(),
        request_id: o.request_id.clone(),
        settled_by: o.settled_by.clone(),
        earlier_run: true,
        ..base(row, o.outcome, o.detail.clone())
    }
}

fn done(row: &Row, outcome: &CancelOutcome) -> RowResult {
    let status = match &outcome.status {
        CancelStatus::Held { until: Some(d) } => format!("held until {d}"),
        other => other.as_str().to_string(),
    };
    RowResult {
        status: Some(status),
        request_id: outcome.request_id.clone(),
        settled_by: Some("answer".into()),
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

fn read_back(row: &Row, note: String) -> RowResult {
    RowResult {
        status: Some(row.action.as_str().into()),
        settled_by: Some("read_back".into()),
        ..base(row, Outcome::Done, note)
    }
}

fn unknown(row: &Row, detail: String) -> RowResult {
    RowResult {
        sent: Some("maybe_sent".into()),
        ..base(row, Outcome::Unknown, detail)
    }
}

fn from_error(row: &Row, err: &Error) -> RowResult {
    let outcome = match err.kind() {
        ErrorKind::NotCancellable => Outcome::Refused,
        ErrorKind::InvalidInput | ErrorKind::Unsupported | ErrorKind::Config => Outcome::Invalid,
        _ => Outcome::Failed,
    };
    RowResult {
        kind: Some(err.kind().as_str().into()),
        sent: Some(err.sent().as_str().into()),
        request_id: err.request_id().map(str::to_owned),
        ..base(row, outcome, err.to_string())
    }
}

/// One row: read (or read back and settle), journal the intent, send, journal the outcome.
async fn process(
    ctx: &Ctx,
    canceller: &dyn Canceller,
    row: &Row,
    start: Start,
    attempts: u32,
) -> Finished {
    let request = row.request();
    let finish = |result: RowResult, retry: Option<Retry>| {
        let transient = result.outcome == Outcome::Failed
            && result
                .kind
                .as_deref()
                .is_some_and(|k| ["rate_limited", "server", "timeout", "transport"].contains(&k));
        let rec = Record::Outcome(OutcomeRecord {
            line: row.line,
            outcome: result.outcome,
            status: result.status.clone(),
            kind: result.kind.clone(),
            sent: result.sent.clone(),
            transient,
            request_id: result.request_id.clone(),
            settled_by: result.settled_by.clone(),
            detail: result.detail.clone(),
            at: now(),
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

    let before = match start {
        Start::Settle { before } => match canceller.observe(&request).await {
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
                Settlement::NotApplied => Some(after),
                // Settlement is non-exhaustive: what this version cannot read is unknown.
                _ => return finish(unknown(row, "unreadable settlement".into()), None),
            },
        },
        Start::Fresh => match canceller.observe(&request).await {
            Ok(o) => Some(o),
            Err(e) if e.kind() == ErrorKind::Unsupported => None,
            Err(e) => return finish(from_error(row, &e), None),
        },
    };

    let intent = Record::Intent(IntentRecord {
        line: row.line,
        attempt: attempts + 1,
        account: row.account.clone(),
        target: row.target.clone(),
        action: row.action.as_str().into(),
        before: before.clone(),
        at: now(),
    });
    if write(ctx, intent).await.is_err() {
        return Finished {
            result: pending(row, "not sent: the journal could not be written"),
            retry: None,
        };
    }

    match canceller.cancel(request.clone()).await {
        Ok(outcome) => finish(done(row, &outcome), None),
        Err(err) if err.outcome_unknown() => {
            let (result, retry) = match canceller.observe(&request).await {
                Ok(after) => match settle(&request, before.as_ref(), &after) {
                    Settlement::Applied { note } => (read_back(row, note), None),
                    Settlement::NotApplied => (
                        unknown(
                            row,
                            format!(
                                "{err}; reading back shows no change yet: a later read decides, and the request is sent again only if still unchanged"
                            ),
                        ),
                        Some(Retry {
                            row: row.clone(),
                            before: before.clone(),
                            attempts: attempts + 1,
                        }),
                    ),
                    Settlement::Unclear { reason } => {
                        (unknown(row, format!("{err}; {reason}")), None)
                    }
                    _ => (unknown(row, err.to_string()), None),
                },
                Err(read_err) => (
                    unknown(row, format!("{err}; reading back failed too: {read_err}")),
                    Some(Retry {
                        row: row.clone(),
                        before: before.clone(),
                        attempts: attempts + 1,
                    }),
                ),
            };
            finish(result, retry)
        }
        Err(err) => finish(from_error(row, &err), None),
    }
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
