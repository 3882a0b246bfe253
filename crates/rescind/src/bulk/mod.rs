//! Bulk cancellation that survives a crash and never cancels twice (feature `bulk`).
//!
//! A stock-out, a fraud wave or a carrier failure means hundreds or thousands of targets to
//! cancel or hold across providers. This module runs them from a file, with a journal that
//! makes a run safe to kill at any moment and to run again.
//!
//! # Input
//!
//! CSV with a header, or JSON Lines; one row per target:
//!
//! ```text
//! account,target,action,items,until
//! arta,42,cancel,,
//! arta,6b12c76a-5217-4cd6-82d8-7aa5265ebaad,hold,,2026-12-01
//! di,70724760000000101,cancel,,
//! skippay,11200a0ee1,cancel_items,"code=CASE-3,quantity=2;code=CABLE-M",
//! ```
//!
//! `account` (or `provider`) names an account of the [`Registry`] (`arta`, `di`, `skippay` are
//! the accounts of the plain environment variables); `action` is `cancel`, `cancel_items`
//! (with `items`: selectors as `key=value` pairs separated by `,`, selectors separated by `;`,
//! the field quoted in CSV since it holds commas; in JSON Lines also a list of objects
//! `{"code": .., "quantity": ..}`) or `hold` (with an optional `until`, `YYYY-MM-DD`). Line
//! numbers are the file's own, with LF or CRLF line ends and with or without a byte order mark.
//! At most one row per account and target. A program builds rows with [`Row::cancel`],
//! [`Row::cancel_items`] and [`Row::hold`], each with its own key ([`Row::with_key`]) that is
//! echoed in its result, its journal records and the report, and runs them with
//! [`Input::from_rows`].
//!
//! # Memory
//!
//! [`Input::stream`] validates a file in one pass as it is read (the SHA-256 of its bytes,
//! each row's fields, duplicates found with a set of 96-bit hashes of account and target, not
//! the rows) and leaves its valid rows in the file; [`Input::check_accounts`] and a run read
//! them again, one at a time. A run hands rows to its workers through bounded per-account
//! queues, so the rows in memory follow the concurrency, not the file: a strict run's
//! validation of a 50 MB file stays well under 100 MB. What still grows with the rows: the
//! invalid rows, the [`Report`] (a result per row) and the journal's state of earlier runs.
//! [`Input::read`] and [`Input::from_rows`] keep every row in [`Input::rows`].
//!
//! # Checked before anything is sent
//!
//! Every row is checked before the first request: its fields, dates and duplicates, its
//! account, whether the account's provider offers its action, and the provider's documented
//! rules that need no network ([`Canceller::check`](rescind_core::Canceller::check): the
//! target's form, item selectors, Skip Pay's quantities of at least 1 with at most 3
//! decimals). A bad row is reported with its line number ([`InvalidRow`]) before sending
//! starts and the others go on, unless [`Options::strict`]: then nothing is sent.
//!
//! # Journal
//!
//! See [`journal`]: records are bound to each row's [identity](Row::identity) (account,
//! target, action, items and date in a canonical form), so a file edited between runs (rows
//! added, removed, reordered) resumes. An `intent` record (with the target's state read just
//! before, an [`Observation`](rescind_core::Observation), and the time) is fsync'ed **before**
//! each request is sent, an `outcome` record after (fsync'ed with the next batch of records,
//! and before the run returns). Records written at the same time share one fsync (group
//! commit). Each account runs four times its concurrency of workers, with at most its
//! concurrency of calls to the provider at once: a row waiting for its intent's fsync holds
//! no place under the limit, so the fsync overlaps the other rows' requests. The journal is
//! locked while a run has it open: a second run on the same journal is refused. A run with
//! the same journal:
//!
//! - carries over rows whose outcome is final (done, refused, invalid, failed for good), and
//!   says how many were done and when ([`Report::already_done`]: "412 rows already done in
//!   this journal on 2026-11-30");
//! - does not send a row whose target already has a journaled change with other content (an
//!   edited quantity, another action): [`Outcome::Conflict`], with the reason, unless the
//!   operator names the target ([`Options::resend_changed`], `--resend-changed`);
//! - **settles** rows with an intent but no final outcome (the process died, or the answer was
//!   lost) by reading the target back and comparing with the intent's reading
//!   ([`rescind_core::settle`]): changed as asked → done ([`SettledBy::ReadBack`]); unchanged →
//!   sent now, with a new intent; cannot tell → unknown, for a person. Never by resending
//!   blindly;
//! - retries rows that failed transiently (rate limit, 5xx, network, refused credentials),
//!   after the same read-back.
//!
//! # Changes still in flight
//!
//! A read-back that shows "unchanged" soon after a lost answer proves nothing: the provider
//! may still apply the request. A change that is not idempotent (a hold, an item cancel with
//! quantities) whose answer was lost is sent again only after [`Options::in_flight_horizon`]
//! (5 minutes by default) has passed since it was sent, and only if reading back then still
//! shows no change. The run waits for such rows ([`Progress::waiting`]); a stop, or
//! [`Options::wait_in_flight`] off, leaves them [`Outcome::Pending`] with
//! [`RowResult::decide_after`], and a later run decides them. Idempotent changes (a whole
//! cancel, an item cancel without quantities) are read back and sent again at once. The run's
//! time comes from a [`Clock`] ([`Runner::clock`]; tests use a [`ManualClock`]).
//!
//! # Authentication
//!
//! The first authentication refusal of an account ends that account's remaining rows as
//! failed (`unauthorized`) without calling the provider again for each; those rows are not
//! final, so a run after the credentials are fixed sends them.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use rescind::Registry;
//! use rescind::bulk::{Input, Journal, Options, Runner, default_journal_path};
//!
//! let input = Input::stream("rows.csv".as_ref())?; // rows stay in the file
//! let journal = Journal::open(&default_journal_path(&input.path), &input)?;
//! let runner = Runner::new(Registry::from_env()?).options(Options::default().concurrency(10));
//! let stop = runner.stop_handle(); // stop.stop() on shutdown: in-flight rows finish
//! let report = runner.run(input, journal, |p| eprintln!("{:?}", p.counts)).await?;
//! for row in report.needs_person() {
//!     eprintln!("line {} ({:?}): {} {}", row.line, row.key, row.outcome, row.detail);
//! }
//! # Ok(()) }
//! ```

pub mod journal;

mod clock;
mod input;
mod plan;
mod report;
mod run;

use std::path::{Path, PathBuf};

pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use input::{Action, Input, InvalidIter, InvalidRow, InvalidRows, Row, RowId, RowsIter};
pub use journal::{AlreadyDone, Journal, JournalStats};
pub use report::{Counts, Outcome, Report, RowResult, write_rows_json};
/// What settled a `done` row: the provider's answer, or reading the target back (the core's
/// `SettledBy`).
pub use rescind_core::SettledBy;
pub use run::{
    DEFAULT_ARTA_CONCURRENCY, DEFAULT_CONCURRENCY, DEFAULT_IN_FLIGHT_HORIZON, Options, Progress,
    Runner, Stop, Waiting,
};

#[cfg(doc)]
use crate::Registry;

/// A bulk run could not start, or could not keep its journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    /// The input file cannot be read as a whole.
    #[error("input {}: {message}", path.display())]
    Input {
        /// The input's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// The system's error when reading the file failed, as
        /// [`source`](std::error::Error::source).
        #[source]
        source: Option<std::io::Error>,
    },
    /// Another run has the journal open (it holds the file's lock). Two runs on one journal
    /// could send a row twice: wait for that run to end.
    #[error(
        "journal {}: is in use by another run (it holds the file's lock): wait for that run to end; two runs on one journal could send a row twice",
        path.display()
    )]
    JournalLocked {
        /// The journal's path.
        path: PathBuf,
        /// The lock's error ([`std::io::ErrorKind::WouldBlock`]), as [`source`](std::error::Error::source).
        #[source]
        source: std::io::Error,
    },
    /// The journal holds something that is not a journal record before its last line, has no
    /// header, or is of a version this rescind does not read. Nothing was sent; starting a new
    /// journal would forget what this one shows as sent.
    #[error("journal {}: {message}", path.display())]
    JournalDamaged {
        /// The journal's path.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// The journal cannot be used otherwise: unreadable, not writable, of a version 1 input
    /// other than this one.
    #[error("journal {}: {message}", path.display())]
    Journal {
        /// The journal's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// The system's error when opening, locking, reading or writing the file failed, as
        /// [`source`](std::error::Error::source).
        #[source]
        source: Option<std::io::Error>,
    },
    /// The report file cannot be written.
    #[error("report {}: {message}", path.display())]
    Report {
        /// The report's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// The system's error when writing the file failed, as
        /// [`source`](std::error::Error::source).
        #[source]
        source: Option<std::io::Error>,
    },
}

impl BulkError {
    /// Whether another run has the journal open ([`BulkError::JournalLocked`]).
    pub fn is_journal_locked(&self) -> bool {
        matches!(self, BulkError::JournalLocked { .. })
    }

    /// Whether the journal is damaged ([`BulkError::JournalDamaged`]).
    pub fn is_journal_damaged(&self) -> bool {
        matches!(self, BulkError::JournalDamaged { .. })
    }

    pub(crate) fn input(path: &Path, message: impl Into<String>) -> Self {
        BulkError::Input {
            path: path.to_path_buf(),
            message: message.into(),
            source: None,
        }
    }

    /// An input that cannot be read: the system's error is the message and the source.
    pub(crate) fn input_io(path: &Path, source: std::io::Error) -> Self {
        BulkError::Input {
            path: path.to_path_buf(),
            message: source.to_string(),
            source: Some(source),
        }
    }

    pub(crate) fn journal(path: &Path, message: impl Into<String>) -> Self {
        BulkError::Journal {
            path: path.to_path_buf(),
            message: message.into(),
            source: None,
        }
    }

    /// A journal the system refused to open, lock, read or write: `message` says which, the
    /// system's error is kept as the source.
    pub(crate) fn journal_io(
        path: &Path,
        message: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        BulkError::Journal {
            path: path.to_path_buf(),
            message: message.into(),
            source: Some(source),
        }
    }

    pub(crate) fn report(path: &Path, message: impl Into<String>) -> Self {
        BulkError::Report {
            path: path.to_path_buf(),
            message: message.into(),
            source: None,
        }
    }

    /// A report the system refused to write, the system's error kept as the source.
    pub(crate) fn report_io(path: &Path, source: std::io::Error) -> Self {
        BulkError::Report {
            path: path.to_path_buf(),
            message: source.to_string(),
            source: Some(source),
        }
    }
}

/// The journal's default path: next to the input, `<input>.journal.jsonl`.
pub fn default_journal_path(input: &Path) -> PathBuf {
    with_suffix(input, ".journal.jsonl")
}

/// The default path of the rows that need a person: next to the input, `<input>.report.csv`.
pub fn default_report_path(input: &Path) -> PathBuf {
    with_suffix(input, ".report.csv")
}

/// The default path of a plan's report: `FILE.plan.csv` next to the input (never the run's
/// report).
pub fn default_plan_path(input: &Path) -> PathBuf {
    with_suffix(input, ".plan.csv")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}
