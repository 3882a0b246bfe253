//! A plan: what a run would do with every row, predicted from one reading per target, sending
//! no change and writing nothing ([`Runner::plan`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rescind_core::jiff::SignedDuration;
use rescind_core::{CancelStatus, Canceller, ErrorKind, Prediction, Sent};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::report::{Counts, Outcome, Report, RowResult};
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
    /// come out as a run would give them.
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
        let mut record = |mut r: RowResult| {
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
        for bad in input.invalid.iter() {
            let bad = bad?;
            let mut r = RowResult {
                kind: Some(ErrorKind::InvalidInput),
                sent: Some(Sent::NotSent),
                reason: Some(rescind_core::Refusal::InvalidRequest),
                ..base(
                    &Row::cancel(bad.account.clone(), bad.target.clone()),
                    Outcome::Invalid,
                    format!("line {}: {}", bad.line, bad.reason),
                )
            };
            r.line = bad.line;
            r.key = bad.key.clone();
            r.action = bad.action.clone();
            record(r);
        }
        let already_done = journal.already_done(&input);
        if self.options.strict && !input.invalid.is_empty() {
            for row in input.rows_iter() {
                record(pending(
                    &row?,
                    "would not be sent: --strict and the input has invalid rows",
                ));
            }
            return Ok(Report {
                rows: results.into_values().collect(),
                done_omitted: 0,
                invalid_omitted: 0,
                omitted: None,
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
                record(from_record(&row, outcome));
                continue;
            }
            if state.is_some_and(|s| s.intent.is_some()) {
                record(pending(
                    &row,
                    "an earlier run sent it and its outcome is not known yet: a run reads the target back and compares before sending anything",
                ));
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
                    record(conflict(&row, other, lands_until));
                    continue;
                }
                if let Some(until) = lands_until {
                    record(held_back(&row, other, until));
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
            record(r);
        }
        Ok(Report {
            rows: results.into_values().collect(),
            done_omitted: 0,
            invalid_omitted: 0,
            omitted: None,
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
