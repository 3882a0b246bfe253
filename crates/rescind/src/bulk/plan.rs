//! A plan: what a run would do with every row, predicted from one reading per target, sending
//! no change and writing nothing ([`Runner::plan`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rescind_core::jiff::SignedDuration;
use rescind_core::{CancelStatus, Canceller, ErrorKind, Prediction, Sent};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::input::InvalidRows;
use super::report::{Counts, OmittedInvalid, Outcome, Report, RowResult};
use super::run::{
    asked_status, base, conflict, decide_after, from_record, held_back, may_have_changed, pending,
    undecided,
};
use super::{BulkError, Input, Journal, Progress, Row, Runner};

impl Runner {
    /// Plans `input`: for every row, what a [`run`](Runner::run) would do, without changing
    /// anything. Each target is read once ([`Canceller::plan`]: the read a cancel takes
    /// first) and the provider's documented rules applied to the reading; the rows are read
    /// with the run's per-account concurrency and `on_progress` is called after each, as in a
    /// run. No intent is written: `journal` is only read, and is best opened with
    /// [`Journal::read_only`], which takes no lock (so a plan works beside a live run).
    ///
    /// Each row's [`RowResult::outcome`] is the outcome a run would give it (`done` for a
    /// change or nothing left to do, `refused`, `invalid`, `failed` for not found, `unknown`
    /// when the target could not be read) and [`RowResult::prediction`] says what sending
    /// would do. Rows the journal shows final are carried over (`earlier_run`); rows with an
    /// intent and no final outcome are `pending` (a run reads them back first); rows whose
    /// target has another change in the journal are `conflict`, as in a run. Invalid rows
    /// (and, with [`Options::strict`](super::Options::strict) and invalid rows, every row)
    /// come out as a run would give them, and are kept as a run keeps them: the results of
    /// the first [`InvalidRows::KEPT`] invalid rows in [`Report::rows`], the others counted in
    /// [`Report::invalid_omitted`] and read back by [`Report::rows_in_full`], so that a
    /// plan's memory does not grow with the bad rows either.
    pub async fn plan(
        &self,
        mut input: Input,
        journal: &Journal,
        mut on_progress: impl FnMut(&Progress<'_>),
    ) -> Result<Report, BulkError> {
        input.check_accounts(&self.registry);
        let total = input.valid_rows() + input.invalid.len();
        let mut results: BTreeMap<(u64, String, String), RowResult> = BTreeMap::new();
        let mut counts = Counts::new();
        let registry = &self.registry;
        type Results = BTreeMap<(u64, String, String), RowResult>;
        let mut record = |mut r: RowResult, results: &mut Results| {
            r.provider = registry.account(&r.account).ok().map(|c| c.provider());
            *counts.entry(r.outcome).or_default() += 1;
            on_progress(&Progress {
                total,
                counts: &counts,
                last: &r,
                waiting: None,
            });
            results.insert((r.line, r.account.clone(), r.target.clone()), r);
        };
        // As in a run: every invalid row is counted and shown to `on_progress`; the report
        // keeps the first `InvalidRows::KEPT` (by line) and reads the others back when asked
        // (`Report::rows_in_full`), so that a plan's memory does not grow with the bad rows
        // (a result per invalid row: 1.04 GiB for a 50 MB all-invalid file).
        let mut invalid_omitted = 0usize;
        for (i, bad) in input.invalid.iter().enumerate() {
            let r = RowResult::invalid(&bad?);
            let key = (r.line, r.account.clone(), r.target.clone());
            record(r, &mut results);
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
                let r = pending(
                    &row?,
                    "would not be sent: --strict and the input has invalid rows",
                );
                record(r, &mut results);
            }
            return Ok(Report {
                rows: results.into_values().collect(),
                done_omitted: 0,
                invalid_omitted,
                omitted,
                stopped: false,
                journal: journal.stats(),
                already_done,
            });
        }

        let horizon =
            SignedDuration::try_from(self.options.in_flight_horizon).unwrap_or(SignedDuration::MAX);
        let mut queues: HashMap<String, VecDeque<Row>> = HashMap::new();
        for row in input.rows_iter() {
            let row = row?;
            let id = row.identity();
            let state = journal.row(&id);
            if let Some(outcome) = state
                .and_then(|s| s.outcome.as_ref())
                .filter(|o| o.is_final())
            {
                record(from_record(&row, outcome), &mut results);
                continue;
            }
            if state.is_some_and(|s| s.intent.is_some()) {
                record(
                    pending(
                        &row,
                        "an earlier run sent it and its outcome is not known yet: a run reads the target back and compares before sending anything",
                    ),
                    &mut results,
                );
                continue;
            }
            if let Some(other) = journal
                .changes_of(&row.account, &row.target)
                .filter(|i| i.row != id && may_have_changed(journal, i))
                .last()
            {
                // As a run: an earlier change whose answer was lost may still land until its
                // horizon; no further change to the target is sent before.
                let lands_until = undecided(journal, other)
                    .map(|sent_at| decide_after(sent_at, horizon))
                    .filter(|until| self.clock.now() < *until);
                if !self.options.resends(&row) {
                    record(conflict(&row, other, lands_until), &mut results);
                    continue;
                }
                if let Some(until) = lands_until {
                    record(held_back(&row, other, until), &mut results);
                    continue;
                }
            }
            queues
                .entry(row.account.clone())
                .or_default()
                .push_back(row);
        }

        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut set = JoinSet::new();
        for (account, queue) in queues {
            let Ok(canceller) = self.registry.account(&account).cloned() else {
                continue; // checked above: every remaining row has its account
            };
            let workers = self
                .options
                .concurrency_for(canceller.provider())
                .min(queue.len());
            let queue = Arc::new(Mutex::new(queue));
            for _ in 0..workers {
                let (queue, canceller, tx, stop) = (
                    queue.clone(),
                    canceller.clone(),
                    tx.clone(),
                    self.stop.clone(),
                );
                set.spawn(async move {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some(row) = next else { return };
                        let result = if stop.is_stopped() {
                            pending(&row, "not read: the plan was stopped")
                        } else {
                            predict(canceller.as_ref(), &row).await
                        };
                        if tx.send(result).is_err() {
                            return;
                        }
                    }
                });
            }
        }
        drop(tx);
        while let Some(r) = rx.recv().await {
            record(r, &mut results);
        }
        Ok(Report {
            rows: results.into_values().collect(),
            done_omitted: 0,
            invalid_omitted,
            omitted,
            stopped: self.stop.is_stopped(),
            journal: journal.stats(),
            already_done,
        })
    }
}

/// Reads one row's target and says what a run would do with it.
async fn predict(canceller: &dyn Canceller, row: &Row) -> RowResult {
    let plan = canceller.plan(&row.request()).await;
    let error_kind = plan.error_kind;
    let mut r = result_of(row, plan.prediction);
    // A read refused for the credentials fails the run's row the same way (exit 3).
    if let Some(kind @ (ErrorKind::Unauthorized | ErrorKind::Forbidden)) = error_kind {
        r.outcome = Outcome::Failed;
        r.kind = Some(kind);
    }
    r
}

/// The result a run would give `row`, given `prediction`.
pub(super) fn result_of(row: &Row, prediction: Prediction) -> RowResult {
    let detail = prediction.describe();
    let (outcome, status, kind) = match &prediction {
        Prediction::AlreadyCancelled => (Outcome::Done, Some(CancelStatus::AlreadyCancelled), None),
        Prediction::AlreadyHeld { until } => (
            Outcome::Done,
            Some(CancelStatus::Held { until: *until }),
            None,
        ),
        p if p.changes() => (Outcome::Done, Some(asked_status(row)), None),
        Prediction::Unknown { .. } => (Outcome::Unknown, None, None),
        p => match p.error_kind() {
            Some(ErrorKind::NotCancellable) => (Outcome::Refused, None, p.error_kind()),
            Some(ErrorKind::InvalidInput) => (Outcome::Invalid, None, p.error_kind()),
            kind => (Outcome::Failed, None, kind),
        },
    };
    RowResult {
        status,
        kind,
        sent: Some(Sent::NotSent),
        reason: match &prediction {
            Prediction::Refused { reason, .. } => Some(*reason),
            _ => None,
        },
        prediction: Some(prediction),
        ..base(row, outcome, detail)
    }
}
