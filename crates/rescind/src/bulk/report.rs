//! The end of a run: one result per row, counts per outcome, and the rows that need a person.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::BulkError;
use super::journal::JournalStats;

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
    /// Not sent: the run was stopped first. The next run sends it.
    Pending,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Done,
        Outcome::Refused,
        Outcome::Invalid,
        Outcome::Failed,
        Outcome::Unknown,
        Outcome::Pending,
    ];

    /// The outcome's name: `done`, `refused`, `invalid`, `failed`, `unknown`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Pending => "pending",
        }
    }

    /// Whether a person should look at a row with this outcome.
    pub fn needs_person(self) -> bool {
        matches!(
            self,
            Outcome::Refused | Outcome::Invalid | Outcome::Failed | Outcome::Unknown
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RowResult {
    /// The row's line in the input.
    pub line: u64,
    /// The row's account.
    pub account: String,
    /// The row's target.
    pub target: String,
    /// The row's action.
    pub action: String,
    /// The outcome.
    pub outcome: Outcome,
    /// For `done`: the provider's status (`cancelled`, `held`, ...).
    pub status: Option<String>,
    /// For errors: the error's kind (`not_found`, `server`, ...).
    pub kind: Option<String>,
    /// For errors: whether the request reached the provider.
    pub sent: Option<String>,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// `answer` or `read_back`, for `done`.
    pub settled_by: Option<String>,
    /// The note, the error or the reason, for people.
    pub detail: String,
    /// Whether this run only carried the result over from the journal.
    pub earlier_run: bool,
}

/// Rows counted per outcome.
pub type Counts = BTreeMap<Outcome, usize>;

/// What a run did: a result per row of the input, invalid rows included, by line.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// One result per row, by line.
    pub rows: Vec<RowResult>,
    /// Whether the run was stopped before every row was sent.
    pub stopped: bool,
    /// What the journal's writes cost during the run (fsyncs and their time).
    pub journal: JournalStats,
}

impl Report {
    /// Rows per outcome (every outcome present, zeros included).
    pub fn counts(&self) -> Counts {
        let mut counts: Counts = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
        for row in &self.rows {
            *counts.entry(row.outcome).or_default() += 1;
        }
        counts
    }

    /// Whether every row is done.
    pub fn all_done(&self) -> bool {
        self.rows.iter().all(|r| r.outcome == Outcome::Done)
    }

    /// The rows a person should look at: refused, invalid, failed, unknown.
    pub fn needs_person(&self) -> impl Iterator<Item = &RowResult> {
        self.rows.iter().filter(|r| r.outcome.needs_person())
    }

    /// Writes the rows that need a person to `path`: a JSON array when the name ends in
    /// `.json`, CSV otherwise (`line,account,target,action,outcome,kind,sent,request_id,reason`).
    pub fn write_needs_person(&self, path: &Path) -> Result<(), BulkError> {
        let err = |e: String| BulkError::report(path, e);
        let rows: Vec<&RowResult> = self.needs_person().collect();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let text = serde_json::to_string_pretty(&rows).map_err(|e| err(e.to_string()))?;
            return std::fs::write(path, text + "\n").map_err(|e| err(e.to_string()));
        }
        let mut w = csv::Writer::from_path(path).map_err(|e| err(e.to_string()))?;
        w.write_record([
            "line",
            "account",
            "target",
            "action",
            "outcome",
            "kind",
            "sent",
            "request_id",
            "reason",
        ])
        .map_err(|e| err(e.to_string()))?;
        for r in rows {
            let line = r.line.to_string();
            w.write_record([
                line.as_str(),
                &r.account,
                &r.target,
                &r.action,
                r.outcome.as_str(),
                r.kind.as_deref().unwrap_or(""),
                r.sent.as_deref().unwrap_or(""),
                r.request_id.as_deref().unwrap_or(""),
                &r.detail,
            ])
            .map_err(|e| err(e.to_string()))?;
        }
        w.flush().map_err(|e| err(e.to_string()))
    }
}
