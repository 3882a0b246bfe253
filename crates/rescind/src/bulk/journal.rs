//! The journal: an append-only JSON Lines file, one record per event, each written and
//! fsync'ed before the run goes on.
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
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rescind_core::Observation;
use serde::{Deserialize, Serialize};

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
    /// Records appended (the header included).
    pub records: u64,
    /// fsyncs made: one per write of one or more records.
    pub syncs: u64,
    /// Wall time spent in those fsyncs.
    pub sync_time: Duration,
}

/// An open journal, appending. Every write is followed by an fsync.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    stats: Mutex<JournalStats>,
    lines: HashMap<u64, LineState>,
}

impl Journal {
    /// Opens the journal at `path` for `input`, or creates it with a header.
    ///
    /// Refuses (and so nothing is sent) a file that cannot be read or written, whose first
    /// record is not a header, whose header names another input (by hash) or another version,
    /// or with a record that is not JSON before its last line. A last line cut short (the
    /// process died while writing it) is dropped from the file and the run goes on.
    pub fn open(path: &Path, input: &Input) -> Result<Journal, BulkError> {
        let err = |m: String| BulkError::journal(path, m);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| err(format!("cannot be read: {e}")))?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            stats: Mutex::new(JournalStats::default()),
            lines: HashMap::new(),
        };
        let header = Record::Header {
            version: JOURNAL_VERSION,
            input: input
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            input_sha256: input.sha256.clone(),
        };
        if text.trim().is_empty() {
            journal.truncate(0)?;
            journal.append(&header)?;
            return Ok(journal);
        }
        let mut records = Vec::new();
        let mut offset = 0usize;
        let mut torn_at = None;
        for (index, piece) in text.split_inclusive('\n').enumerate() {
            let complete = piece.ends_with('\n');
            // A record is written with its newline in one write, then fsync'ed: a last line
            // without its newline was cut short by a crash before the fsync, and so before
            // anything that depends on it (an intent's request is sent only after the fsync).
            match (serde_json::from_str::<Record>(piece.trim_end()), complete) {
                (Ok(record), true) => records.push(record),
                (_, false) => torn_at = Some(offset),
                (Err(e), true) => {
                    return Err(err(format!(
                        "line {} is not a journal record ({e}); the journal is damaged: move it away only if you know every row's state",
                        index + 1
                    )));
                }
            }
            offset += piece.len();
        }
        if let Some(at) = torn_at {
            journal.truncate(at as u64)?;
        }
        match records.first() {
            Some(Record::Header {
                version,
                input_sha256,
                input: name,
            }) => {
                if *version != JOURNAL_VERSION {
                    return Err(err(format!(
                        "has version {version}; this rescind reads version {JOURNAL_VERSION}"
                    )));
                }
                if *input_sha256 != input.sha256 {
                    return Err(err(format!(
                        "belongs to another input (`{name}`, sha256 {input_sha256}), not to {} (sha256 {}): use the input it was made for, or another journal path",
                        input.path.display(),
                        input.sha256
                    )));
                }
            }
            _ => return Err(err("does not start with a header record".into())),
        }
        for record in records.into_iter().skip(1) {
            match record {
                Record::Intent(intent) => {
                    let state = journal.lines.entry(intent.line).or_default();
                    state.attempts = state.attempts.max(intent.attempt);
                    state.outcome = None;
                    state.intent = Some(intent);
                }
                Record::Outcome(outcome) => {
                    let line = outcome.line;
                    journal.lines.entry(line).or_default().outcome = Some(outcome);
                }
                Record::Header { .. } => {
                    return Err(err("has a second header record".into()));
                }
            }
        }
        Ok(journal)
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal said of `line` when it was opened.
    pub fn line(&self, line: u64) -> Option<&LineState> {
        self.lines.get(&line)
    }

    /// Appends one record and fsyncs the file. Blocking: call it off the async threads.
    pub fn append(&self, record: &Record) -> Result<(), BulkError> {
        let mut text = serde_json::to_string(record)
            .map_err(|e| BulkError::journal(&self.path, e.to_string()))?;
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
            .map_err(|e| BulkError::journal(&self.path, format!("cannot be written: {e}")))?;
        let started = Instant::now();
        let synced = file.sync_data();
        let took = started.elapsed();
        {
            let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            stats.records += 1;
            stats.syncs += 1;
            stats.sync_time += took;
        }
        synced.map_err(|e| BulkError::journal(&self.path, format!("cannot be written: {e}")))
    }

    /// What the writes so far have cost.
    pub fn stats(&self) -> JournalStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn truncate(&self, len: u64) -> Result<(), BulkError> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.set_len(len)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
            .and_then(|()| file.sync_data())
            .map_err(|e| BulkError::journal(&self.path, format!("cannot be written: {e}")))
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
}
