//! The end of a run: one result per row, counts per outcome, and the rows that need a person.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use rescind_core::jiff::Timestamp;
use rescind_core::{CancelStatus, ErrorKind, Prediction, Provider, Refusal, Sent, SettledBy};
use serde::{Deserialize, Serialize, Serializer};

use super::BulkError;
use super::input::{InvalidRow, InvalidRows};
use super::journal::{AlreadyDone, JournalStats};

/// What came of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Cancelled, partially cancelled as asked, already cancelled, or held: nothing left to do.
    Done,
    /// The provider's rules refuse it (in transit, rejected, closed...). Nothing changed.
    Refused,
    /// The row is not valid (bad field, unknown account, an action the provider does not
    /// offer, input the provider rejects). Nothing was sent.
    Invalid,
    /// It failed (not found, credentials, the provider or the network after retries). A
    /// transient failure is tried again by the next run, after reading the target back.
    Failed,
    /// The change may have been applied and reading back could not tell: the next run reads
    /// again; a person should look if it stays unknown.
    Unknown,
    /// Not decided yet: the run was stopped first, or a change whose answer was lost is still
    /// in flight ([`RowResult::decide_after`]). The next run sends or decides it.
    Pending,
    /// Not sent: the row's target already has a change in the journal with other content (the
    /// file was edited: another quantity, another action). Sent only when the operator names
    /// the target ([`Options::resend_changed`](super::Options::resend_changed)).
    Conflict,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Done,
        Outcome::Refused,
        Outcome::Invalid,
        Outcome::Conflict,
        Outcome::Failed,
        Outcome::Unknown,
        Outcome::Pending,
    ];

    /// The outcome's name: `done`, `refused`, `invalid`, `conflict`, `failed`, `unknown`,
    /// `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Pending => "pending",
            Outcome::Conflict => "conflict",
        }
    }

    /// Whether a person should look at a row with this outcome.
    pub fn needs_person(self) -> bool {
        matches!(
            self,
            Outcome::Refused
                | Outcome::Invalid
                | Outcome::Conflict
                | Outcome::Failed
                | Outcome::Unknown
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one row.
///
/// Serialized (the CLI's JSON lines) with the enums as their stable names: `status` is
/// [`CancelStatus::as_str`] (with `held_until`), `kind` [`ErrorKind::as_str`], `sent`
/// [`Sent::as_str`], `provider` [`Provider::id`], `settled_by` [`SettledBy::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowResult {
    /// The row's line in the input (its position for rows from code).
    pub line: u64,
    /// The caller's key of the row, if any.
    pub key: Option<String>,
    /// The row's account.
    pub account: String,
    /// The account's provider (absent when the account is not in the registry).
    pub provider: Option<Provider>,
    /// The row's target.
    pub target: String,
    /// The row's action, as the input says it (also for an invalid row).
    pub action: String,
    /// The outcome.
    pub outcome: Outcome,
    /// For `done`: what the provider reports (for a row settled by reading back, the status
    /// the row asked for).
    pub status: Option<CancelStatus>,
    /// For errors: the error's kind.
    pub kind: Option<ErrorKind>,
    /// For errors: whether the request reached the provider.
    pub sent: Option<Sent>,
    /// For a refused (or invalid) row: why, as a stable code ([`Error::reason`](rescind_core::Error::reason)):
    /// `in_transit`, `rejected`, `hold_window_passed`... so that a program branches on it,
    /// never on [`detail`](RowResult::detail). In the JSON rows as `refusal`.
    pub reason: Option<Refusal>,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// For `done`: what settled it.
    pub settled_by: Option<SettledBy>,
    /// For `pending` rows whose answer was lost: the earliest time a read-back may decide
    /// them (the request's send time plus [`Options::in_flight_horizon`](super::Options::in_flight_horizon)).
    pub decide_after: Option<Timestamp>,
    /// The note, the error or the reason, for people.
    pub detail: String,
    /// Whether this run only carried the result over from the journal.
    pub earlier_run: bool,
    /// For a plan ([`Runner::plan`](super::Runner::plan)): what the provider's rules predict
    /// sending would do, from one reading (`None` in a run, and for rows a plan does not read:
    /// invalid, already final in the journal, pending or conflicting). `outcome` is then the
    /// outcome a run would give the row.
    pub prediction: Option<Prediction>,
}

impl Serialize for RowResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            line: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            key: Option<&'a str>,
            account: &'a str,
            provider: Option<&'static str>,
            target: &'a str,
            action: &'a str,
            outcome: Outcome,
            status: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            held_until: Option<String>,
            kind: Option<&'static str>,
            sent: Option<&'static str>,
            request_id: Option<&'a str>,
            settled_by: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            decide_after: Option<String>,
            detail: &'a str,
            earlier_run: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            prediction: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            prediction_items: Option<usize>,
            #[serde(skip_serializing_if = "Option::is_none")]
            refusal: Option<&'static str>,
        }
        Flat {
            line: self.line,
            key: self.key.as_deref(),
            account: &self.account,
            provider: self.provider.map(Provider::id),
            target: &self.target,
            action: &self.action,
            outcome: self.outcome,
            status: self.status.as_ref().map(CancelStatus::as_str),
            held_until: match &self.status {
                Some(CancelStatus::Held { until: Some(d) }) => Some(d.to_string()),
                _ => None,
            },
            kind: self.kind.map(ErrorKind::as_str),
            sent: self.sent.map(Sent::as_str),
            request_id: self.request_id.as_deref(),
            settled_by: self.settled_by.map(SettledBy::as_str),
            decide_after: self.decide_after.map(|t| t.to_string()),
            detail: &self.detail,
            earlier_run: self.earlier_run,
            prediction: self.prediction.as_ref().map(Prediction::as_str),
            prediction_items: match &self.prediction {
                Some(Prediction::CancelItems { items }) => Some(*items),
                _ => None,
            },
            refusal: match &self.prediction {
                Some(Prediction::Refused { reason, .. }) => Some(reason.as_str()),
                _ => self.reason.map(Refusal::as_str),
            },
        }
        .serialize(serializer)
    }
}

/// Rows counted per outcome.
pub type Counts = BTreeMap<Outcome, usize>;

/// What a run did: a result per row of the input, invalid rows included, by line.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// One result per row, by line (without the done rows of a run with
    /// [`Options::keep_done`](super::Options::keep_done) off: see [`Report::done_omitted`]).
    pub rows: Vec<RowResult>,
    /// Done rows left out of [`Report::rows`] ([`Options::keep_done`](super::Options::keep_done)
    /// off, so that a report's memory follows the rows that need something, not the input);
    /// counted in [`Report::counts`].
    pub done_omitted: usize,
    /// Invalid rows left out of [`Report::rows`]: a run (and a plan) keeps the results of the first
    /// [`InvalidRows::KEPT`] invalid rows (by line) and counts the others, so that a file of
    /// bad rows costs no more memory than a good one. Counted in [`Report::counts`]; listed
    /// by [`Report::rows_in_full`] and [`Report::write_needs_person`], which read them back.
    pub invalid_omitted: usize,
    /// Where the omitted invalid rows are read back from.
    pub(super) omitted: Option<OmittedInvalid>,
    /// Whether the run was stopped before every row was sent.
    pub stopped: bool,
    /// What the journal's writes cost during the run (fsyncs and their time).
    pub journal: JournalStats,
    /// Rows of this input earlier runs had already done, and when.
    pub already_done: Option<AlreadyDone>,
}

impl Report {
    /// Rows per outcome (every outcome present, zeros included).
    pub fn counts(&self) -> Counts {
        let mut counts: Counts = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
        for row in &self.rows {
            *counts.entry(row.outcome).or_default() += 1;
        }
        *counts.entry(Outcome::Done).or_default() += self.done_omitted;
        *counts.entry(Outcome::Invalid).or_default() += self.invalid_omitted;
        counts
    }

    /// Every result the report has, in line order: [`Report::rows`] and the invalid rows
    /// left out of it ([`Report::invalid_omitted`]), read back one at a time. An item is an
    /// error when those cannot be read back (nothing follows it).
    pub fn rows_in_full(&self) -> impl Iterator<Item = Result<RowResult, BulkError>> + '_ {
        let mut omitted = self
            .omitted
            .as_ref()
            .map(|o| o.results())
            .into_iter()
            .flatten()
            .peekable();
        let mut rows = self.rows.iter().peekable();
        std::iter::from_fn(move || {
            let take_row = match (rows.peek(), omitted.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(_), Some(Err(_))) => false,
                (Some(r), Some(Ok(o))) => r.line <= o.line,
            };
            if take_row {
                rows.next().cloned().map(Ok)
            } else {
                omitted.next()
            }
        })
    }

    /// Whether every row is done.
    pub fn all_done(&self) -> bool {
        self.invalid_omitted == 0 && self.rows.iter().all(|r| r.outcome == Outcome::Done)
    }

    /// The rows a person should look at: refused, invalid, conflict, failed, unknown (of
    /// [`Report::rows`]: the [`invalid_omitted`](Report::invalid_omitted) rows need one too).
    pub fn needs_person(&self) -> impl Iterator<Item = &RowResult> {
        self.rows.iter().filter(|r| r.outcome.needs_person())
    }

    /// The rows left pending with a time after which a rerun decides them.
    pub fn in_flight(&self) -> impl Iterator<Item = &RowResult> {
        self.rows.iter().filter(|r| r.decide_after.is_some())
    }

    /// Writes the rows that need a person, and the pending rows still in flight (with their
    /// `decide_after`), to `path`: a JSON array when the name ends in `.json`, CSV otherwise
    /// (`line,key,account,target,action,outcome,kind,sent,request_id,decide_after,reason`).
    pub fn write_needs_person(&self, path: &Path) -> Result<(), BulkError> {
        let err = |e: String| BulkError::report(path, e);
        let rows = self.rows_in_full().filter(|r| {
            r.as_ref().map_or(true, |r| {
                r.outcome.needs_person() || r.decide_after.is_some()
            })
        });
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            return write_rows_json(path, rows);
        }
        let mut w = csv::Writer::from_path(path).map_err(|e| err(e.to_string()))?;
        w.write_record([
            "line",
            "key",
            "account",
            "target",
            "action",
            "outcome",
            "kind",
            "sent",
            "request_id",
            "decide_after",
            "reason",
        ])
        .map_err(|e| err(e.to_string()))?;
        for r in rows {
            let r = r?;
            let line = r.line.to_string();
            let decide_after = r.decide_after.map(|t| t.to_string()).unwrap_or_default();
            w.write_record([
                line.as_str(),
                r.key.as_deref().unwrap_or(""),
                &r.account,
                &r.target,
                &r.action,
                r.outcome.as_str(),
                r.kind.map_or("", ErrorKind::as_str),
                r.sent.map_or("", Sent::as_str),
                r.request_id.as_deref().unwrap_or(""),
                &decide_after,
                &r.detail,
            ])
            .map_err(|e| err(e.to_string()))?;
        }
        w.flush().map_err(|e| err(e.to_string()))
    }
}

/// The invalid rows a run left out of its [`Report::rows`], to read back.
#[derive(Debug, Clone)]
pub(super) struct OmittedInvalid {
    /// The input's invalid rows (all of them: the first `kept` are in the report's rows).
    pub(super) rows: InvalidRows,
    /// How many of them are in the report's rows.
    pub(super) kept: usize,
    /// The provider of each account of the registry the run had.
    pub(super) providers: BTreeMap<String, Provider>,
}

impl OmittedInvalid {
    fn results(&self) -> impl Iterator<Item = Result<RowResult, BulkError>> + '_ {
        self.rows.iter().skip(self.kept).map(|bad| {
            bad.map(|bad| {
                let mut r = RowResult::invalid(&bad);
                r.provider = self.providers.get(&r.account).copied();
                r
            })
        })
    }
}

impl RowResult {
    /// The result of an invalid row (its provider unset).
    pub(super) fn invalid(bad: &InvalidRow) -> RowResult {
        RowResult {
            line: bad.line,
            key: bad.key.clone(),
            account: bad.account.clone(),
            provider: None,
            target: bad.target.clone(),
            action: bad.action.clone(),
            outcome: Outcome::Invalid,
            status: None,
            kind: Some(ErrorKind::InvalidInput),
            sent: Some(Sent::NotSent),
            reason: Some(Refusal::InvalidRequest),
            request_id: None,
            settled_by: None,
            decide_after: None,
            detail: format!("line {}: {}", bad.line, bad.reason),
            earlier_run: false,
            prediction: None,
        }
    }
}

/// Writes `rows` to `path` as a JSON array, one row at a time, without holding them: the same
/// text `serde_json::to_string_pretty` gives a vector of them (two-space indents, one row per
/// element). The first error of `rows` stops the writing and is returned; the file then holds
/// the rows before it. Used by [`Report::write_needs_person`] and by the CLI's `--plan FILE.json`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("rows.json");
/// rescind::bulk::write_rows_json(&path, std::iter::empty())?;
/// assert_eq!(std::fs::read_to_string(&path)?, "[]\n");
/// # Ok(()) }
/// ```
pub fn write_rows_json(
    path: &Path,
    rows: impl IntoIterator<Item = Result<RowResult, BulkError>>,
) -> Result<(), BulkError> {
    let file = std::fs::File::create(path).map_err(|e| BulkError::report_io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    let io = |e: std::io::Error| BulkError::report_io(path, e);
    let mut first = true;
    for r in rows {
        let r = r?;
        let text =
            serde_json::to_string_pretty(&r).map_err(|e| BulkError::report(path, e.to_string()))?;
        w.write_all(if first { b"[\n" } else { b",\n" })
            .map_err(io)?;
        first = false;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                w.write_all(b"\n").map_err(io)?;
            }
            w.write_all(b"  ").map_err(io)?;
            w.write_all(line.as_bytes()).map_err(io)?;
        }
    }
    w.write_all(if first { b"[]\n" } else { b"\n]\n" })
        .map_err(io)?;
    w.flush().map_err(io)
}
