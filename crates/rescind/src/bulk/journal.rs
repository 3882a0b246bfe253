//! The journal: an append-only JSON Lines file, one record per event, each fsync'ed: an
//! intent before its request is sent, an outcome with the next batch (and before the run ends).
//!
//! ```text
//! {"record":"header","version":1,"input":"rows.csv","input_sha256":"9f2c…"}
//! {"record":"intent","line":2,"attempt":1,"account":"arta","target":"42","action":"cancel","before":{…},"at":"…"}
//! {"record":"outcome","line":2,"outcome":"done","status":"cancelled","detail":"…","at":"…"}
//! ```
//!
//! The header binds the journal to one input file by the SHA-256 of its bytes. An `intent` is
//! on disk before its request is sent, with the target's state read just before
//! (`before`); the `outcome` follows the answer. A line whose last record is an intent was
//! sent, or was about to be, when the run stopped: the next run settles it by reading the
//! target back and comparing with `before`.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rescind_core::Observation;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::report::Outcome;
use super::{BulkError, Input};

/// The journal format's version, in its header.
pub const JOURNAL_VERSION: u32 = 1;

/// One record of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record {
    /// The first record: which input this journal belongs to.
    Header {
        /// [`JOURNAL_VERSION`].
        version: u32,
        /// The input's file name, for people.
        input: String,
        /// The SHA-256 of the input's bytes, in lowercase hex.
        input_sha256: String,
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
    /// The row's line in the input.
    pub line: u64,
    /// How many intents this row has had, this one included.
    pub attempt: u32,
    /// The row's account.
    pub account: String,
    /// The row's target.
    pub target: String,
    /// The row's action (`cancel`, `cancel_items`, `hold`).
    pub action: String,
    /// What the provider showed just before (absent when the provider cannot be read back).
    pub before: Option<Observation>,
    /// When (RFC 3339).
    pub at: String,
}

/// What came of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutcomeRecord {
    /// The row's line in the input.
    pub line: u64,
    /// The outcome.
    pub outcome: Outcome,
    /// For `done`: the provider's status (`cancelled`, `held`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For errors: the error's kind (`not_found`, `server`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For errors: whether the request reached the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
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

/// What the journal says of one line, as read when it was opened.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LineState {
    /// The last intent, if any.
    pub intent: Option<IntentRecord>,
    /// The last outcome, if it came after the last intent.
    pub outcome: Option<OutcomeRecord>,
    /// How many intents the line has had.
    pub attempts: u32,
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
    lines: HashMap<u64, LineState>,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    stats: Arc<Mutex<JournalStats>>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("lines", &self.lines.len())
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
    /// has open, whose first record is not a header, whose header names another input (by hash)
    /// or another version, or with a record that is not JSON before its last line. A last line
    /// cut short (the process died while writing it) is dropped from the file and the run goes
    /// on.
    pub fn open(path: &Path, input: &Input) -> Result<Journal, BulkError> {
        let err = |m: String| BulkError::journal(path, m);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(err(
                    "is in use by another run (it holds the file's lock): wait for that run to end; two runs on one journal could send a row twice".into(),
                ));
            }
            Err(TryLockError::Error(e)) => return Err(err(format!("cannot be locked: {e}"))),
        }
        let mut stats = JournalStats::default();
        let lines = match read_records(&mut file, input).map_err(&err)? {
            Some(lines) => lines,
            None => {
                // Empty, or only a header cut short by a crash: (re)write the header.
                truncate(&mut file, 0).map_err(&err)?;
                let header = Record::Header {
                    version: JOURNAL_VERSION,
                    input: input
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    input_sha256: input.sha256.clone(),
                };
                file.write_all(&line_of(&header).map_err(&err)?)
                    .map_err(|e| err(format!("cannot be written: {e}")))?;
                sync(&mut file, &mut stats).map_err(|e| err(format!("cannot be written: {e}")))?;
                // The file's name is in its directory: without this, a power loss can lose
                // the file and with it every intent written to it.
                sync_dir(path).map_err(|e| err(format!("cannot be written: {e}")))?;
                stats.records = 1;
                HashMap::new()
            }
        };
        let stats = Arc::new(Mutex::new(stats));
        let (jobs, queue) = mpsc::channel();
        let writer = {
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("rescind-journal".into())
                .spawn(move || write_loop(file, &queue, &stats))
                .map_err(|e| err(format!("cannot start its writer: {e}")))?
        };
        Ok(Journal {
            path: path.to_path_buf(),
            lines,
            jobs: Some(jobs),
            writer: Some(writer),
            stats,
        })
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal said of `line` when it was opened.
    pub fn line(&self, line: u64) -> Option<&LineState> {
        self.lines.get(&line)
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
            .as_ref()
            .and_then(|jobs| jobs.send(Job { bytes, done }).ok())
            .ok_or_else(|| BulkError::journal(&self.path, "its writer stopped"))
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
        drop(self.jobs.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
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

/// Reads an existing journal as a stream of records: checks its header against `input`, drops
/// a torn last record (cut anywhere, even inside a multi-byte character), and returns the last
/// state of each line; `None` when there is no complete record (an empty file, or a header
/// cut short), which the caller replaces with a new header.
fn read_records(file: &mut File, input: &Input) -> Result<Option<HashMap<u64, LineState>>, String> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mut reader = BufReader::new(&mut *file);
    let mut buf = Vec::new();
    let mut offset = 0u64;
    let mut index = 0usize;
    let mut header_seen = false;
    let mut lines: HashMap<u64, LineState> = HashMap::new();
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
        let text = std::str::from_utf8(&buf).map_err(|e| damaged(index, &e.to_string()))?;
        if text.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<Record>(text.trim_end())
            .map_err(|e| damaged(index, &e.to_string()))?;
        if !header_seen {
            check_header(&record, input)?;
            header_seen = true;
            continue;
        }
        apply(&mut lines, record)?;
    }
    drop(reader);
    if let Some(at) = torn_at {
        truncate(file, at)?;
    }
    file.seek(SeekFrom::End(0))
        .map_err(|e| format!("cannot be read: {e}"))?;
    Ok(header_seen.then_some(lines))
}

fn damaged(index: usize, error: &str) -> String {
    format!(
        "line {index} is not a journal record ({error}); the journal is damaged: move it away only if you know every row's state"
    )
}

fn check_header(record: &Record, input: &Input) -> Result<(), String> {
    match record {
        Record::Header {
            version,
            input_sha256,
            input: name,
        } => {
            if *version != JOURNAL_VERSION {
                return Err(format!(
                    "has version {version}; this rescind reads version {JOURNAL_VERSION}"
                ));
            }
            if *input_sha256 != input.sha256 {
                return Err(format!(
                    "belongs to another input (`{name}`, sha256 {input_sha256}), not to {} (sha256 {}): use the input it was made for, or another journal path",
                    input.path.display(),
                    input.sha256
                ));
            }
            Ok(())
        }
        _ => Err("does not start with a header record".into()),
    }
}

/// Folds one record (after the header) into the state of its line.
fn apply(lines: &mut HashMap<u64, LineState>, record: Record) -> Result<(), String> {
    match record {
        Record::Intent(intent) => {
            let state = lines.entry(intent.line).or_default();
            state.attempts = state.attempts.max(intent.attempt);
            state.outcome = None;
            state.intent = Some(intent);
        }
        Record::Outcome(outcome) => {
            let line = outcome.line;
            lines.entry(line).or_default().outcome = Some(outcome);
        }
        Record::Header { .. } => return Err("has a second header record".into()),
    }
    Ok(())
}

/// fsyncs the directory that holds `path`, so that a file just created there survives a power
/// loss. A no-op where directories cannot be opened (not Unix).
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

    fn intent(line: u64) -> Record {
        Record::Intent(IntentRecord {
            line,
            attempt: 1,
            account: "arta".into(),
            target: "42".into(),
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
        let state = j.line(2).unwrap();
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
            line,
            outcome: Outcome::Done,
            status: Some("cancelled".into()),
            kind: None,
            sent: None,
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
            let state = j.line(2).unwrap();
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
            assert!(j.line(2).unwrap().outcome.is_none(), "cut at {cut}");
            j.append(&outcome(2, "again")).unwrap();
            drop(j);
            let j = Journal::open(&torn, &input).unwrap();
            assert!(j.line(2).unwrap().outcome.is_some(), "cut at {cut}");
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
            assert!(j.line(2).is_none());
            j.append(&intent(2)).unwrap();
            drop(j);
            let j = Journal::open(&path, &input).unwrap();
            assert!(
                j.line(2).is_some_and(|s| s.intent.is_some()),
                "cut at {cut}"
            );
            drop(j);
            let text = std::fs::read(&path).unwrap();
            assert!(text.starts_with(&header), "cut at {cut}");
        }
    }

    #[test]
    fn another_input_or_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        drop(Journal::open(&path, &first).unwrap());
        let second = input(dir.path(), "account,target,action\narta,43,cancel\n");
        let err = Journal::open(&path, &second).unwrap_err().to_string();
        assert!(err.contains("belongs to another input"), "{err}");
        assert!(err.contains(&first.sha256), "{err}");

        let damaged = dir.path().join("d.jsonl");
        std::fs::write(&damaged, "garbage\n{}\n").unwrap();
        let err = Journal::open(&damaged, &second).unwrap_err().to_string();
        assert!(err.contains("line 1 is not a journal record"), "{err}");
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
    fn a_journal_in_use_by_another_run_is_refused_until_that_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        let input = input(dir.path(), "account,target,action\narta,42,cancel\n");
        let path = dir.path().join("j.jsonl");
        let first = Journal::open(&path, &input).unwrap();
        let err = Journal::open(&path, &input).unwrap_err().to_string();
        assert!(err.contains("in use by another run"), "{err}");
        first.append(&intent(2)).unwrap();
        drop(first);
        let again = Journal::open(&path, &input).unwrap();
        assert!(again.line(2).is_some_and(|s| s.intent.is_some()));
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
        assert!((0..200).all(|l| reopened.line(l).is_some_and(|s| s.intent.is_some())));
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
