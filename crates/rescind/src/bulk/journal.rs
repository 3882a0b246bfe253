//! The journal: an append-only JSON Lines file, one record per event, each fsync'ed: an
//! intent before its request is sent, an outcome with the next batch (and before the run ends).
//!
//! ```text
//! {"record":"header","version":2,"input":"rows.csv","created":"2026-11-30T08:10:00Z"}
//! {"record":"intent","row":"5d41…","line":2,"key":"order-1001","attempt":1,"account":"arta","target":"42","action":"cancel","before":{…},"at":"…"}
//! {"record":"outcome","row":"5d41…","line":2,"outcome":"done","status":"cancelled","settled_by":"answer","detail":"…","at":"…"}
//! ```
//!
//! Records are bound to each row's [identity](super::Row::identity) (`row`: account, target,
//! action, items, date, in a canonical form), not to the input file: a file edited between
//! runs (rows added, removed, reordered) resumes, each row finding its own records. An
//! `intent` is on disk before its request is sent, with the target's state read just before
//! (`before`) and the time (`at`); the `outcome` follows the answer. A row whose last record is
//! an intent was sent, or was about to be, when the run stopped: the next run settles it by
//! reading the target back and comparing with `before`.
//!
//! Reading is a stream, record by record. A last record cut short by a crash (anywhere, even
//! inside a multi-byte character) is dropped; a header cut short is written again. After the
//! file is created, its directory is fsync'ed too, so that a power loss cannot lose it.
//!
//! Version 1 journals (records bound to line numbers, the header to the file's SHA-256) are
//! migrated once, when opened with the very file they were made for: the records get their
//! row's identity, the old file is kept next to it as `<journal>.v1`, and the new one replaces
//! it atomically.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rescind_core::Observation;
use rescind_core::jiff::Timestamp;
use rescind_core::jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::report::Outcome;
use super::{BulkError, Input, RowId};

/// The journal format's version, in its header.
pub const JOURNAL_VERSION: u32 = 2;

/// One record of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record {
    /// The first record.
    Header {
        /// [`JOURNAL_VERSION`].
        version: u32,
        /// The input's file name when the journal was created, for people.
        input: String,
        /// Version 1 only: the SHA-256 of the input's bytes, which bound the journal to it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_sha256: Option<String>,
        /// When the journal was created (RFC 3339).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created: Option<String>,
    },
    /// A request is about to be sent.
    Intent(IntentRecord),
    /// What came of a row.
    Outcome(OutcomeRecord),
}

/// A request is about to be sent: on disk before it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntentRecord {
    /// The row's [identity](super::Row::identity).
    #[serde(default)]
    pub row: RowId,
    /// The row's line in the input, for people.
    pub line: u64,
    /// The caller's key of the row, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// How many intents this row has had, this one included.
    pub attempt: u32,
    /// The row's account.
    pub account: String,
    /// The row's target.
    pub target: String,
    /// The row's action (`cancel`, `cancel_items`, `hold`).
    pub action: String,
    /// The items of a `cancel_items` row, canonical ([`Action::items_text`](super::Action::items_text)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// The date of a `hold` row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// What the provider showed just before (absent when the provider cannot be read back).
    pub before: Option<Observation>,
    /// When the request was sent, or about to be (RFC 3339).
    pub at: String,
}

impl IntentRecord {
    /// What the row asked for, for people: `cancel`, `hold until 2026-12-01`,
    /// `cancel_items code=CASE-3,quantity=1`.
    pub fn describe(&self) -> String {
        match (&self.items, &self.until) {
            (Some(items), _) => format!("{} {items}", self.action),
            (None, Some(until)) => format!("{} until {until}", self.action),
            (None, None) => self.action.clone(),
        }
    }

    /// When it was written, if readable.
    pub fn sent_at(&self) -> Option<Timestamp> {
        self.at.parse().ok()
    }
}

/// What came of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutcomeRecord {
    /// The row's [identity](super::Row::identity).
    #[serde(default)]
    pub row: RowId,
    /// The row's line in the input, for people.
    pub line: u64,
    /// The caller's key of the row, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// For `done`: the provider's status ([`CancelStatus::as_str`](rescind_core::CancelStatus::as_str)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For `held`: the hold's last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_until: Option<Date>,
    /// For `partially_cancelled`: items cancelled, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_items: Option<usize>,
    /// For `partially_cancelled`: items remaining, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_items: Option<usize>,
    /// For errors: the error's kind ([`ErrorKind::as_str`](rescind_core::ErrorKind::as_str)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For errors: whether the request reached the provider ([`Sent::as_str`](rescind_core::Sent::as_str)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// For a refusal: why, as its stable code ([`Refusal::as_str`](rescind_core::Refusal::as_str),
    /// [`Error::reason`](rescind_core::Error::reason)). Absent in records written before it
    /// was kept (a reader does not need it to decide anything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `failed`: whether trying again later may succeed (a later run does, after reading
    /// the target back).
    #[serde(default)]
    pub transient: bool,
    /// The provider's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `answer` when the provider's answer says it, `read_back` when reading the target back
    /// after a lost answer does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    /// For `pending` after a lost answer: the earliest time a later run may decide the row
    /// (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decide_after: Option<String>,
    /// The note or the error, for people.
    pub detail: String,
    /// When (RFC 3339).
    pub at: String,
}

impl OutcomeRecord {
    /// Whether a later run leaves this row alone: done, refused, invalid, or failed for a
    /// reason that trying again will not change.
    pub fn is_final(&self) -> bool {
        match self.outcome {
            Outcome::Done | Outcome::Refused | Outcome::Invalid => true,
            Outcome::Failed => !self.transient,
            _ => false,
        }
    }
}

/// What the journal says of one row, as read when it was opened.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RowState {
    /// The last intent, if any.
    pub intent: Option<IntentRecord>,
    /// The last outcome, if it came after the last intent.
    pub outcome: Option<OutcomeRecord>,
    /// How many intents the row has had.
    pub attempts: u32,
}

/// Rows of an input the journal shows as done by earlier runs, and when (see
/// [`Journal::already_done`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlreadyDone {
    /// How many rows.
    pub rows: usize,
    /// The earliest of their outcomes.
    pub first: Timestamp,
    /// The latest of their outcomes.
    pub last: Timestamp,
}

impl fmt::Display for AlreadyDone {
    /// `412 rows already done in this journal on 2026-11-30` (or `between 2026-11-29 and
    /// 2026-11-30`), dates in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (first, last) = (self.first.to_string(), self.last.to_string());
        let (first, last) = (&first[..10.min(first.len())], &last[..10.min(last.len())]);
        let rows = if self.rows == 1 { "row" } else { "rows" };
        if first == last {
            write!(
                f,
                "{} {rows} already done in this journal on {first}",
                self.rows
            )
        } else {
            write!(
                f,
                "{} {rows} already done in this journal between {first} and {last}",
                self.rows
            )
        }
    }
}

/// What the journal's writes have cost so far (see [`Journal::stats`]): how the time of a run
/// splits between the journal's fsyncs and the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalStats {
    /// Records written and fsync'ed (the header included).
    pub records: u64,
    /// fsyncs made: one per batch of records that arrived together.
    pub syncs: u64,
    /// Wall time spent in those fsyncs.
    pub sync_time: Duration,
}

/// An open journal, appending.
///
/// One writer thread owns the file: records that arrive while it is writing wait, and are then
/// written together and made durable by **one** fsync (group commit). Every append returns only
/// once its record is on disk, so "the intent is durable before the request is sent" holds for
/// each row, but 30 rows in flight cost about one fsync per batch instead of one each.
///
/// The file is locked (an exclusive advisory lock) while the journal is open: a second run on
/// the same journal, which could send a row twice, is refused at [`Journal::open`].
pub struct Journal {
    path: PathBuf,
    rows: HashMap<RowId, RowState>,
    targets: HashMap<(String, String), Vec<RowId>>,
    /// Taken by [`Journal::close`]: a closed journal refuses appends.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Mutex<JournalStats>>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("rows", &self.rows.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// One record for the writer, and where to say it is on disk.
struct Job {
    bytes: Vec<u8>,
    done: Reply,
}

/// How the writer answers: to a blocked thread, to an awaiting task, or to nobody (a record
/// queued without waiting).
enum Reply {
    Blocking(mpsc::SyncSender<Result<(), String>>),
    Async(oneshot::Sender<Result<(), String>>),
    Nobody,
}

impl Reply {
    fn send(self, result: Result<(), String>) {
        // The caller may have gone (a task cancelled): nothing waits for the answer then.
        let _ = match self {
            Reply::Blocking(tx) => tx.send(result).map_err(drop),
            Reply::Async(tx) => tx.send(result).map_err(drop),
            Reply::Nobody => Ok(()),
        };
    }
}

/// The most records written by one fsync.
const MAX_BATCH: usize = 1024;

impl Journal {
    /// Opens the journal at `path` for `input`, or creates it with a header.
    ///
    /// Refuses (and so nothing is sent) a file that cannot be read or written, that another run
    /// has open, whose first record is not a header, of a version this rescind does not read,
    /// or with a record that is not JSON before its last line. A last record cut short (the
    /// process died while writing it) is dropped from the file and the run goes on. A version
    /// 1 journal is migrated when `input` is the file it was made for (see the [module
    /// docs](self)).
    pub fn open(path: &Path, input: &Input) -> Result<Journal, BulkError> {
        let err = |m: String| BulkError::journal(path, m);
        let mut file = open_locked(path).map_err(|f| f.at(path))?;
        let mut stats = JournalStats::default();
        let state = match read_records(&mut file, true).map_err(|f| f.at(path))? {
            Read::V2(state) => state,
            Read::V1 { sha256, records } => {
                let (migrated, state) =
                    migrate(path, input, &sha256, records).map_err(|f| f.at(path))?;
                drop(file);
                file = migrated;
                state
            }
            Read::Empty => {
                // Empty, or only a header cut short by a crash: (re)write the header.
                truncate(&mut file, 0).map_err(&err)?;
                let header = header_for(input);
                let written = |e: std::io::Error| {
                    BulkError::journal_io(path, format!("cannot be written: {e}"), e)
                };
                file.write_all(&line_of(&header).map_err(&err)?)
                    .map_err(written)?;
                sync(&mut file, &mut stats).map_err(written)?;
                // The file's name is in its directory: without this, a power loss can lose
                // the file and with it every intent written to it.
                sync_dir(path).map_err(written)?;
                stats.records = 1;
                State::default()
            }
        };
        let stats = Arc::new(Mutex::new(stats));
        let (jobs, queue) = mpsc::channel();
        let writer = {
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("rescind-journal".into())
                .spawn(move || write_loop(file, &queue, &stats))
                .map_err(|e| {
                    BulkError::journal_io(path, format!("cannot start its writer: {e}"), e)
                })?
        };
        Ok(Journal {
            path: path.to_path_buf(),
            rows: state.rows,
            targets: state.targets,
            jobs: Mutex::new(Some(jobs)),
            writer: Mutex::new(Some(writer)),
            stats,
        })
    }

    /// Opens the journal at `path` to read only, for a plan: no lock is taken (so a live run
    /// holding it is not disturbed and does not block this), nothing is written (a last
    /// record without its newline, which a live run may be writing right now, is skipped, not
    /// truncated) and a missing file is an empty journal (it is not created). Appending to
    /// the journal returned fails. A version 1 journal is refused: a run migrates it first.
    pub fn read_only(path: &Path) -> Result<Journal, BulkError> {
        let err = |m: String| BulkError::journal(path, m);
        let state = match File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => {
                return Err(BulkError::journal_io(
                    path,
                    format!("cannot be read: {e}"),
                    e,
                ));
            }
            Ok(mut file) => match read_records(&mut file, false).map_err(|f| f.at(path))? {
                Read::V2(state) => state,
                Read::Empty => State::default(),
                Read::V1 { .. } => {
                    return Err(err(
                        "is a version 1 journal: a run migrates it once (with the file it was made for); plan after that run"
                            .into(),
                    ));
                }
            },
        };
        Ok(Journal {
            path: path.to_path_buf(),
            rows: state.rows,
            targets: state.targets,
            jobs: Mutex::new(None),
            writer: Mutex::new(None),
            stats: Arc::default(),
        })
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal said of the row with this identity when it was opened.
    pub fn row(&self, row: &RowId) -> Option<&RowState> {
        self.rows.get(row)
    }

    /// The last intent of every row (by identity) that had one for `account`'s `target`,
    /// when the journal was opened: the changes sent, or about to be, to that target.
    pub fn changes_of(&self, account: &str, target: &str) -> impl Iterator<Item = &IntentRecord> {
        self.targets
            .get(&(account.to_string(), target.to_string()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.rows.get(id)?.intent.as_ref())
    }

    /// How many rows of `input` earlier runs finished as done, and when; `None` when none.
    /// A streamed input ([`Input::stream`]) is read again for this (a row that cannot be read
    /// is not counted); an empty journal reads nothing.
    pub fn already_done(&self, input: &Input) -> Option<AlreadyDone> {
        if self.rows.is_empty() {
            return None;
        }
        let mut done: Option<AlreadyDone> = None;
        for row in input.rows_iter().map_while(Result::ok) {
            let Some(outcome) = self
                .rows
                .get(&row.identity())
                .and_then(|s| s.outcome.as_ref())
            else {
                continue;
            };
            if outcome.outcome != Outcome::Done {
                continue;
            }
            let Ok(at) = outcome.at.parse::<Timestamp>() else {
                continue;
            };
            let d = done.get_or_insert(AlreadyDone {
                rows: 0,
                first: at,
                last: at,
            });
            d.rows += 1;
            d.first = d.first.min(at);
            d.last = d.last.max(at);
        }
        done
    }

    /// Appends one record and returns once it is fsync'ed. Blocking: from async code, use
    /// [`Journal::append_async`].
    pub fn append(&self, record: &Record) -> Result<(), BulkError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(record, Reply::Blocking(tx))?;
        self.answer(rx.recv().ok())
    }

    /// Appends one record and resolves once it is fsync'ed, without blocking a thread: records
    /// appended together share one fsync.
    pub async fn append_async(&self, record: &Record) -> Result<(), BulkError> {
        let (tx, rx) = oneshot::channel();
        self.submit(record, Reply::Async(tx))?;
        self.answer(rx.await.ok())
    }

    /// Queues one record without waiting for it: it is written and fsync'ed with the next
    /// batch. For records whose loss a crash would not make unsafe (an outcome: without it,
    /// the next run reads the target back). A failure to write it shows in the next append's
    /// result and in [`Journal::flush`]'s.
    pub fn append_queued(&self, record: &Record) -> Result<(), BulkError> {
        self.submit(record, Reply::Nobody)
    }

    /// Resolves once every record appended or queued before it is fsync'ed; fails if any of
    /// them could not be written.
    pub async fn flush(&self) -> Result<(), BulkError> {
        let (tx, rx) = oneshot::channel();
        // A job without bytes: the writer answers it once everything before it is on disk.
        self.send(Vec::new(), Reply::Async(tx))?;
        self.answer(rx.await.ok())
    }

    /// What the writes so far have cost.
    pub fn stats(&self) -> JournalStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn submit(&self, record: &Record, done: Reply) -> Result<(), BulkError> {
        let bytes = line_of(record).map_err(|e| BulkError::journal(&self.path, e))?;
        self.send(bytes, done)
    }

    fn send(&self, bytes: Vec<u8>, done: Reply) -> Result<(), BulkError> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|jobs| jobs.send(Job { bytes, done }).ok())
            .ok_or_else(|| BulkError::journal(&self.path, "its writer stopped"))
    }

    /// Lets the writer finish what it was given, then closes the file, and so its lock:
    /// appends after it fail. Blocks until then (an fsync or a few).
    ///
    /// A run closes its journal when it ends or is dropped, not when the last of its tasks
    /// lets go of it: the tasks of a dropped run are aborted, but an aborted task is dropped
    /// only at its next poll, and until then it holds the journal. Without this, a rerun
    /// right after a run was dropped (a timeout, Ctrl-C) could find the journal still locked.
    pub(crate) fn close(&self) {
        drop(self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take());
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }

    fn answer(&self, reply: Option<Result<(), String>>) -> Result<(), BulkError> {
        match reply {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(BulkError::journal(&self.path, e)),
            None => Err(BulkError::journal(&self.path, "its writer stopped")),
        }
    }
}

impl Drop for Journal {
    /// Lets the writer finish what it was given, then closes the file (and so its lock).
    fn drop(&mut self) {
        self.close();
    }
}

/// A record as one line of JSON, with its newline.
fn line_of(record: &Record) -> Result<Vec<u8>, String> {
    let mut bytes = serde_json::to_vec(record).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn truncate(file: &mut File, len: u64) -> Result<(), String> {
    file.set_len(len)
        .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
        .and_then(|()| file.sync_data())
        .map_err(|e| format!("cannot be written: {e}"))
}

/// Why a journal cannot be opened, before it becomes a [`BulkError`].
enum Fault {
    /// Another run holds its lock (the lock's error, kept as the source).
    Locked(std::io::Error),
    /// A record that is not one, a missing or second header, an unknown version.
    Damaged(String),
    /// The system refused to open or lock the file: what was done, and its error (kept as
    /// the source).
    Io(String, std::io::Error),
    /// Anything else (reading, writing, migrating).
    Other(String),
}

impl From<String> for Fault {
    fn from(message: String) -> Self {
        Fault::Other(message)
    }
}

impl Fault {
    fn at(self, path: &Path) -> BulkError {
        match self {
            Fault::Locked(source) => BulkError::JournalLocked {
                path: path.to_path_buf(),
                source,
            },
            Fault::Damaged(message) => BulkError::JournalDamaged {
                path: path.to_path_buf(),
                message,
            },
            Fault::Io(message, source) => BulkError::journal_io(path, message, source),
            Fault::Other(message) => BulkError::journal(path, message),
        }
    }
}

/// What reading a journal found.
enum Read {
    /// No complete record: a new file, or a header cut short.
    Empty,
    /// A version 2 journal.
    V2(State),
    /// A version 1 journal, to migrate: its input's hash and its records after the header.
    V1 {
        sha256: String,
        records: Vec<Record>,
    },
}

/// Every row's last state, and the rows with intents per target.
#[derive(Default)]
struct State {
    rows: HashMap<RowId, RowState>,
    targets: HashMap<(String, String), Vec<RowId>>,
}

impl State {
    /// Folds one record (after the header) into the state of its row.
    fn apply(&mut self, record: Record) -> Result<(), Fault> {
        match record {
            Record::Intent(intent) => {
                let state = self.rows.entry(intent.row.clone()).or_default();
                if state.intent.is_none() {
                    self.targets
                        .entry((intent.account.clone(), intent.target.clone()))
                        .or_default()
                        .push(intent.row.clone());
                }
                state.attempts = state.attempts.max(intent.attempt);
                state.outcome = None;
                state.intent = Some(intent);
            }
            Record::Outcome(outcome) => {
                let id = outcome.row.clone();
                self.rows.entry(id).or_default().outcome = Some(outcome);
            }
            Record::Header { .. } => {
                return Err(Fault::Damaged("has a second header record".into()));
            }
        }
        Ok(())
    }
}

/// Opens (creating) and locks the journal file.
fn open_locked(path: &Path) -> Result<File, Fault> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Fault::Io(e.to_string(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(e @ TryLockError::WouldBlock) => Err(Fault::Locked(e.into())),
        Err(TryLockError::Error(e)) => Err(Fault::Io(format!("cannot be locked: {e}"), e)),
    }
}

fn header_for(input: &Input) -> Record {
    Record::Header {
        version: JOURNAL_VERSION,
        input: input
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        input_sha256: None,
        created: Some(Timestamp::now().to_string()),
    }
}

/// Reads an existing journal as a stream of records: checks its header, drops a torn last
/// record (cut anywhere, even inside a multi-byte character), and returns the last state of
/// each row (or a version 1 journal's records).
fn read_records(file: &mut File, repair: bool) -> Result<Read, Fault> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mut reader = BufReader::new(&mut *file);
    let mut buf = Vec::new();
    let mut offset = 0u64;
    let mut index = 0usize;
    let mut version = None;
    let mut v1_sha = String::new();
    let mut v1 = Vec::new();
    let mut state = State::default();
    let mut torn_at = None;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot be read: {e}"))?;
        if n == 0 {
            break;
        }
        index += 1;
        if buf.last() != Some(&b'\n') {
            // A record is written with its newline in one write, then fsync'ed: a last line
            // without its newline was cut short by a crash before the fsync, and so before
            // anything that depends on it (an intent's request is sent only after the fsync).
            torn_at = Some(offset);
            break;
        }
        offset += n as u64;
        let text = std::str::from_utf8(&buf)
            .map_err(|e| Fault::Damaged(damaged(index, &e.to_string())))?;
        if text.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<Record>(text.trim_end())
            .map_err(|e| Fault::Damaged(damaged(index, &e.to_string())))?;
        match (version, record) {
            (
                None,
                Record::Header {
                    version: v,
                    input_sha256,
                    ..
                },
            ) => {
                if v != 1 && v != JOURNAL_VERSION {
                    return Err(Fault::Damaged(format!(
                        "has version {v}; this rescind reads versions 1 and {JOURNAL_VERSION} (a newer rescind wrote it: use that one)"
                    )));
                }
                if v == 1 {
                    v1_sha = input_sha256.unwrap_or_default();
                }
                version = Some(v);
            }
            (None, _) => {
                return Err(Fault::Damaged("does not start with a header record".into()));
            }
            (Some(1), Record::Header { .. }) => {
                return Err(Fault::Damaged("has a second header record".into()));
            }
            (Some(1), record) => v1.push(record),
            (Some(_), record) => state.apply(record)?,
        }
    }
    drop(reader);
    if repair && let Some(at) = torn_at {
        truncate(file, at)?;
    }
    if repair {
        file.seek(SeekFrom::End(0))
            .map_err(|e| format!("cannot be read: {e}"))?;
    }
    Ok(match version {
        None => Read::Empty,
        Some(1) => Read::V1 {
            sha256: v1_sha,
            records: v1,
        },
        Some(_) => Read::V2(state),
    })
}

fn damaged(index: usize, error: &str) -> String {
    format!(
        "line {index} is not a journal record ({error}); the journal is damaged. Do not start a new journal: it would send again the rows this one shows as sent. Repair that line by hand (or ask for help), then run again"
    )
}

/// Migrates a version 1 journal of `input` to version 2: each record gets the identity of the
/// row on its line, the new file is written beside, fsync'ed, and renamed over the old one,
/// which stays as `<journal>.v1`. Returns the new file, open and locked, and its state.
fn migrate(
    path: &Path,
    input: &Input,
    sha256: &str,
    records: Vec<Record>,
) -> Result<(File, State), Fault> {
    if sha256 != input.sha256 {
        let was = if input.path.as_os_str().is_empty() {
            "these rows".to_string()
        } else {
            input.path.display().to_string()
        };
        return Err(Fault::Other(format!(
            "was written by an earlier rescind (journal version 1), for another version of the input (sha256 {sha256}) than {was} (sha256 {}): version 1 journals are bound to the exact file. Run once with that exact file to migrate the journal, then edited files resume",
            input.sha256
        )));
    }
    let rows = input
        .rows_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Fault::Other(e.to_string()))?;
    let by_line: HashMap<u64, &super::Row> = rows.iter().map(|r| (r.line, r)).collect();
    let mut out = line_of(&header_for(input)).map_err(Fault::Other)?;
    let mut state = State::default();
    for mut record in records {
        let row = match &mut record {
            Record::Intent(i) => by_line.get(&i.line).copied().inspect(|row| {
                i.row = row.identity();
                i.items = row.action.items_text();
                i.until = row.action.until();
            }),
            Record::Outcome(o) => by_line.get(&o.line).copied().inspect(|row| {
                o.row = row.identity();
                // Version 1 wrote a hold's date into its status.
                if let Some(until) = o
                    .status
                    .as_deref()
                    .and_then(|s| s.strip_prefix("held until "))
                    .and_then(|d| d.parse().ok())
                {
                    o.status = Some("held".into());
                    o.held_until = Some(until);
                }
            }),
            Record::Header { .. } => None,
        };
        // A line that is no valid row now (it never was sent: an invalid row has no intent).
        if row.is_none() {
            continue;
        }
        out.extend_from_slice(&line_of(&record).map_err(Fault::Other)?);
        state.apply(record)?;
    }
    let mut tmp_name = path.as_os_str().to_os_string();
    tmp_name.push(".v2.tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut backup = path.as_os_str().to_os_string();
    backup.push(".v1");
    let backup = PathBuf::from(backup);
    let io = |e: std::io::Error| format!("cannot be migrated to version {JOURNAL_VERSION}: {e}");
    {
        let mut f = File::create(&tmp).map_err(io)?;
        f.write_all(&out).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    if !backup.exists() {
        std::fs::hard_link(path, &backup)
            .or_else(|_| std::fs::copy(path, &backup).map(drop))
            .map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    sync_dir(path).map_err(io)?;
    let mut file = open_locked(path)?;
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok((file, state))
}

/// fsyncs the directory that holds `path`, so that a file just created (or renamed) there
/// survives a power loss. A no-op where directories cannot be opened (not Unix).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// fsyncs `file`'s data, counting the fsync and its time in `stats`.
fn sync(file: &mut File, stats: &mut JournalStats) -> std::io::Result<()> {
    let started = Instant::now();
    let synced = file.sync_data();
    stats.syncs += 1;
    stats.sync_time += started.elapsed();
    synced
}

/// The writer thread: takes the records that are waiting (at least one), writes them in one
/// write, fsyncs once, and tells each caller. After a failed write every later record fails
/// too: the run stops, and what was sent is settled by the next run.
fn write_loop(mut file: File, queue: &mpsc::Receiver<Job>, stats: &Mutex<JournalStats>) {
    let mut failed: Option<String> = None;
    let mut batch: Vec<Job> = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = match &failed {
            Some(e) => Err(e.clone()),
            None => {
                bytes.clear();
                for job in &batch {
                    bytes.extend_from_slice(&job.bytes);
                }
                let mut cost = JournalStats::default();
                let synced = file
                    .write_all(&bytes)
                    .and_then(|()| sync(&mut file, &mut cost));
                let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
                stats.syncs += cost.syncs;
                stats.sync_time += cost.sync_time;
                if synced.is_ok() {
                    // A flush is a job without bytes: not a record.
                    stats.records += batch.iter().filter(|j| !j.bytes.is_empty()).count() as u64;
                }
                synced.map_err(|e| format!("cannot be written: {e}"))
            }
        };
        if let Err(e) = &result {
            failed.get_or_insert_with(|| e.clone());
        }
        for job in batch.drain(..) {
            job.done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(dir: &Path, content: &str) -> Input {
        let path = dir.join("rows.csv");
        std::fs::write(&path, content).unwrap();
        Input::read(&path).unwrap()
    }

    /// The identity of the row on `line` in these tests.
    fn rid(line: u64) -> RowId {
        crate::bulk::Row::cancel("arta", format!("t{line}")).identity()
    }

    fn intent(line: u64) -> Record {
        Record::Intent(IntentRecord {
            row: rid(line),
            line,
            key: None,
            items: None,
            until: None,
            attempt: 1,
            account: "arta".into(),
            target: format!("t{line}"),
            action: "cancel".into(),
            before: Some(Observation::new("42", "new")),
            at: "2026-01-01T00:00:00Z".into(),
        })
    }

    #[test]
    fn reopening_reads_the_last_state_and_drops_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        let j = Journal::open(&path, &input).unwrap();
        j.append(&intent(2)).unwrap();
        drop(j);
        // A crash in the middle of the next write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"record\":\"outcome\",\"line\":2,\"outc")
            .unwrap();
        drop(f);

        let j = Journal::open(&path, &input).unwrap();
        let state = j.row(&rid(2)).unwrap();
        assert_eq!(state.attempts, 1);
        assert!(
            state.intent.is_some() && state.outcome.is_none(),
            "{state:?}"
        );
        // The torn bytes are gone, so the next record starts on its own line.
        j.append(&intent(2)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(!text.contains("outc"), "{text}");
    }

    fn outcome(line: u64, detail: &str) -> Record {
        Record::Outcome(OutcomeRecord {
            row: rid(line),
            line,
            key: None,
            held_until: None,
            cancelled_items: None,
            remaining_items: None,
            decide_after: None,
            outcome: Outcome::Done,
            status: Some("cancelled".into()),
            kind: None,
            sent: None,
            reason: None,
            transient: false,
            request_id: None,
            settled_by: Some("answer".into()),
            detail: detail.into(),
            at: "2026-01-01T00:00:01Z".into(),
        })
    }

    #[test]
    fn a_last_record_torn_at_any_byte_is_dropped_and_reopening_works() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(
            dir.path(),
            "account,target,action\narta,42,cancel\narta,43,cancel\n",
        );
        let path = dir.path().join("j.jsonl");
        let j = Journal::open(&path, &input).unwrap();
        j.append(&intent(2)).unwrap();
        j.append(&outcome(
            2,
            "Zrušeno: položka „Čaj černý“; kansellert på Østlandet",
        ))
        .unwrap();
        drop(j);
        let whole = std::fs::read(&path).unwrap();
        let last_starts = whole[..whole.len() - 1]
            .iter()
            .rposition(|b| *b == b'\n')
            .unwrap()
            + 1;
        assert!(
            std::str::from_utf8(&whole[last_starts..])
                .unwrap()
                .contains('Č'),
            "the last record has multi-byte characters to cut through"
        );
        let torn = dir.path().join("torn.jsonl");
        for cut in last_starts..whole.len() {
            std::fs::write(&torn, &whole[..cut]).unwrap();
            let j = Journal::open(&torn, &input).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let state = j.row(&rid(2)).unwrap();
            assert!(
                state.intent.is_some() && state.outcome.is_none(),
                "cut at {cut}: the intent stays, the torn outcome is gone: {state:?}"
            );
            drop(j);
            assert_eq!(
                std::fs::read(&torn).unwrap(),
                &whole[..last_starts],
                "cut at {cut}"
            );
            // Reopening again sees the same, and appending starts on its own line.
            let j = Journal::open(&torn, &input).unwrap();
            assert!(j.row(&rid(2)).unwrap().outcome.is_none(), "cut at {cut}");
            j.append(&outcome(2, "again")).unwrap();
            drop(j);
            let j = Journal::open(&torn, &input).unwrap();
            assert!(j.row(&rid(2)).unwrap().outcome.is_some(), "cut at {cut}");
        }
    }

    #[test]
    fn a_header_torn_at_any_byte_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        drop(Journal::open(&path, &input).unwrap());
        let header = std::fs::read(&path).unwrap();
        assert_eq!(header.iter().filter(|b| **b == b'\n').count(), 1);
        for cut in 0..header.len() {
            std::fs::write(&path, &header[..cut]).unwrap();
            let j = Journal::open(&path, &input).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            assert!(j.row(&rid(2)).is_none());
            j.append(&intent(2)).unwrap();
            drop(j);
            let j = Journal::open(&path, &input).unwrap();
            assert!(
                j.row(&rid(2)).is_some_and(|s| s.intent.is_some()),
                "cut at {cut}"
            );
            drop(j);
            let text = std::fs::read_to_string(&path).unwrap();
            let first: Record = serde_json::from_str(text.lines().next().unwrap()).unwrap();
            assert!(
                matches!(
                    first,
                    Record::Header {
                        version: JOURNAL_VERSION,
                        ..
                    }
                ),
                "cut at {cut}: {text}"
            );
        }
    }

    #[test]
    fn another_input_or_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let second = input(dir.path(), "account,target,action\narta,43,cancel\n");
        let newer = dir.path().join("n.jsonl");
        std::fs::write(
            &newer,
            "{\"record\":\"header\",\"version\":3,\"input\":\"x\"}\n",
        )
        .unwrap();
        let err = Journal::open(&newer, &second).unwrap_err().to_string();
        assert!(err.contains("has version 3"), "{err}");

        let damaged = dir.path().join("d.jsonl");
        std::fs::write(&damaged, "garbage\n{}\n").unwrap();
        let err = Journal::open(&damaged, &second).unwrap_err();
        assert!(
            err.is_journal_damaged() && !err.is_journal_locked(),
            "{err:?}"
        );
        let err = err.to_string();
        assert!(err.contains("line 1 is not a journal record"), "{err}");
        assert!(err.contains("Do not start a new journal"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&damaged).unwrap(),
            "garbage\n{}\n",
            "left as it was"
        );

        let headless = dir.path().join("h.jsonl");
        std::fs::write(&headless, serde_json::to_string(&intent(2)).unwrap() + "\n").unwrap();
        let err = Journal::open(&headless, &second).unwrap_err().to_string();
        assert!(err.contains("does not start with a header"), "{err}");
    }

    #[test]
    fn records_follow_the_rows_identity_in_an_edited_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let first = input(
            dir.path(),
            "account,target,action\narta,t2,cancel\narta,t3,cancel\n",
        );
        let j = Journal::open(&path, &first).unwrap();
        j.append(&intent(2)).unwrap();
        j.append(&outcome(2, "done")).unwrap();
        drop(j);
        // Rows added before it, reordered: the row of `t2` is now on line 4.
        let edited = input(
            dir.path(),
            "account,target,action\narta,t9,cancel\narta,t3,cancel\narta,t2,cancel\n",
        );
        let j = Journal::open(&path, &edited).unwrap();
        let moved = edited.rows.iter().find(|r| r.target == "t2").unwrap();
        assert_eq!(moved.line, 4);
        let state = j.row(&moved.identity()).unwrap();
        assert!(state.outcome.as_ref().is_some_and(OutcomeRecord::is_final));
        let done = j.already_done(&edited).unwrap();
        assert_eq!(done.rows, 1);
        assert_eq!(
            done.to_string(),
            "1 row already done in this journal on 2026-01-01"
        );
        assert_eq!(j.changes_of("arta", "t2").count(), 1);
        assert_eq!(j.changes_of("arta", "t3").count(), 0);
    }

    #[test]
    fn a_version_1_journal_is_migrated_once_with_its_own_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(
            dir.path(),
            "account,target,action,until\narta,42,cancel,\narta,s1,hold,2026-12-01\n",
        );
        let path = dir.path().join("j.jsonl");
        let v1 = format!(
            "{}\n{}\n{}\n{}\n",
            serde_json::json!({"record":"header","version":1,"input":"rows.csv","input_sha256":input.sha256}),
            r#"{"record":"intent","line":2,"attempt":1,"account":"arta","target":"42","action":"cancel","before":null,"at":"2026-11-29T10:00:00Z"}"#,
            r#"{"record":"outcome","line":2,"outcome":"done","status":"cancelled","settled_by":"answer","detail":"cancelled","at":"2026-11-29T10:00:01Z"}"#,
            r#"{"record":"intent","line":3,"attempt":1,"account":"arta","target":"s1","action":"hold","before":null,"at":"2026-11-29T10:00:00Z"}"#,
        );
        std::fs::write(&path, &v1).unwrap();
        let j = Journal::open(&path, &input).unwrap();
        let (cancel, hold) = (&input.rows[0], &input.rows[1]);
        assert!(j.row(&cancel.identity()).unwrap().outcome.is_some());
        let intent = j.row(&hold.identity()).unwrap().intent.clone().unwrap();
        assert_eq!(intent.until, hold.action.until());
        assert_eq!(j.already_done(&input).unwrap().rows, 1);
        drop(j);
        // The old file is kept; the new one is version 2 and reads as such from now on.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("j.jsonl.v1")).unwrap(),
            v1
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\"record\":\"header\",\"version\":2"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 4, "{text}");
        let j = Journal::open(&path, &input).unwrap();
        assert!(j.row(&hold.identity()).unwrap().outcome.is_none());
        drop(j);

        // A version 1 journal of another file is refused, without suggesting a new journal.
        let other = dir.path().join("o.jsonl");
        std::fs::write(&other, v1.replace(&input.sha256, "00ff")).unwrap();
        let err = Journal::open(&other, &input).unwrap_err().to_string();
        assert!(err.contains("version 1"), "{err}");
        assert!(err.contains("Run once with that exact file"), "{err}");
        assert!(!err.contains("another journal"), "{err}");
    }

    #[test]
    fn a_journal_in_use_by_another_run_is_refused_until_that_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        let first = Journal::open(&path, &input).unwrap();
        let err = Journal::open(&path, &input).unwrap_err();
        assert!(
            err.is_journal_locked() && !err.is_journal_damaged(),
            "{err:?}"
        );
        // The lock's own error is kept as the source.
        let source = std::error::Error::source(&err).expect("a source");
        assert_eq!(
            source
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
            Some(std::io::ErrorKind::WouldBlock)
        );
        let err = err.to_string();
        assert!(err.contains("in use by another run"), "{err}");
        first.append(&intent(2)).unwrap();
        drop(first);
        let again = Journal::open(&path, &input).unwrap();
        assert!(again.row(&rid(2)).is_some_and(|s| s.intent.is_some()));
    }

    #[test]
    fn a_read_only_journal_takes_no_lock_writes_nothing_and_skips_a_write_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        // Missing: empty, and not created.
        let j = Journal::read_only(&path).unwrap();
        assert!(j.row(&rid(2)).is_none());
        assert!(!path.exists());
        // Beside a live run holding the lock, with a record half written.
        let live = Journal::open(&path, &input).unwrap();
        live.append(&intent(2)).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"record\":\"outcome\",\"line\":2,\"outc")
            .unwrap();
        drop(f);
        let len = std::fs::metadata(&path).unwrap().len();
        let j = Journal::read_only(&path).unwrap();
        let state = j.row(&rid(2)).unwrap();
        assert!(
            state.intent.is_some() && state.outcome.is_none(),
            "{state:?}"
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            len,
            "not truncated"
        );
        assert!(j.append(&intent(2)).is_err(), "read only");
        drop(live);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_appended_together_share_fsyncs_and_each_is_on_disk_when_its_append_returns() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        let journal = Arc::new(Journal::open(&path, &input).unwrap());
        let mut tasks = Vec::new();
        for line in 0..200u64 {
            let (journal, path) = (journal.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                journal.append_async(&intent(line)).await.unwrap();
                // Once the append returns, its record is in the file.
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.contains(&format!("\"line\":{line},")),
                    "line {line} missing after its append"
                );
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let stats = journal.stats();
        assert_eq!(stats.records, 201, "{stats:?}"); // the header, then 200 intents
        // 200 appends at once cannot each have waited for their own fsync.
        assert!(stats.syncs < stats.records, "{stats:?}");
        drop(journal);
        let reopened = Journal::open(&path, &input).unwrap();
        assert!((0..200).all(|l| reopened.row(&rid(l)).is_some_and(|s| s.intent.is_some())));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_records_are_on_disk_once_flush_returns() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        let journal = Journal::open(&path, &input).unwrap();
        for line in 0..50u64 {
            journal.append_queued(&intent(line)).unwrap();
        }
        journal.flush().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 51, "{text}");
        assert_eq!(journal.stats().records, 51);
    }
}
