//! The input file: rows of CSV or JSON Lines, each validated alone, with its line number.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rescind_core::jiff::civil::Date;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{CancelRequest, ItemSelector, Scope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BulkError;
use crate::Registry;

/// What a row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Cancel the whole target (`cancel`).
    Cancel,
    /// Cancel some items (`cancel_items`), each named by a selector.
    CancelItems(Vec<ItemSelector>),
    /// Put the target on hold (`hold`), until the date if given.
    Hold {
        /// The hold's last day.
        until: Option<Date>,
    },
}

impl Action {
    /// The action's name in input files: `cancel`, `cancel_items` or `hold`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Cancel => "cancel",
            Action::CancelItems(_) => "cancel_items",
            Action::Hold { .. } => "hold",
        }
    }

    /// The items of a `cancel_items` action in a canonical text form, for people and for the
    /// row's identity: each selector as `code=..,ean=..,name=..,type=..,quantity=..` (the
    /// fields present, in this order, quantities without trailing zeros), the selectors
    /// sorted and joined by `;`. `None` for the other actions.
    pub fn items_text(&self) -> Option<String> {
        let Action::CancelItems(items) = self else {
            return None;
        };
        let mut selectors: Vec<String> = items.iter().map(selector_text).collect();
        selectors.sort();
        Some(selectors.join(";"))
    }

    /// The date of a `hold` action, if given.
    pub fn until(&self) -> Option<Date> {
        match self {
            Action::Hold { until } => *until,
            _ => None,
        }
    }
}

/// One selector as `key=value` pairs in a fixed order; a value with `,`, `;`, `=` or `%` has
/// them percent-escaped, so that two different selectors never read the same.
fn selector_text(s: &ItemSelector) -> String {
    let escape = |v: &str| {
        v.replace('%', "%25")
            .replace(',', "%2C")
            .replace(';', "%3B")
            .replace('=', "%3D")
    };
    let mut parts = Vec::new();
    for (name, value) in [
        ("code", &s.code),
        ("ean", &s.ean),
        ("name", &s.name),
        ("type", &s.item_type),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name}={}", escape(v)));
        }
    }
    if let Some(q) = s.quantity {
        parts.push(format!("quantity={}", q.normalize()));
    }
    parts.join(",")
}

/// One valid row of the input: from a file ([`Input::read`]) or built by a program
/// ([`Row::cancel`], [`Row::cancel_items`], [`Row::hold`], then [`Input::from_rows`]).
///
/// ```
/// use rescind::bulk::{Input, Row};
/// use rescind::ItemSelector;
///
/// let input = Input::from_rows([
///     Row::cancel("arta", "42").with_key("order-1001"),
///     Row::cancel_items("skippay", "11200a0ee1", vec![ItemSelector::by_code("CASE-3")])
///         .with_key("order-1002"),
/// ]);
/// assert_eq!(input.rows.len(), 2);
/// assert_eq!(input.rows[1].key.as_deref(), Some("order-1002"));
/// assert_eq!(input.rows[1].line, 2); // the position, for rows that come from code
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// The row's line in the input file (1-based; a CSV header is line 1); for rows from
    /// [`Input::from_rows`], its position (1-based) unless set.
    pub line: u64,
    /// The caller's own key for the row (an order id...), echoed in its result, its journal
    /// records and the report. Not part of the row's [identity](Row::identity).
    pub key: Option<String>,
    /// The account in the [`Registry`] (`arta`, `di`, `skippay` are the accounts of the plain
    /// environment variables).
    pub account: String,
    /// The provider's id of the target.
    pub target: String,
    /// What to do.
    pub action: Action,
}

impl Row {
    /// A row asking for `action` on `target` at `account`.
    pub fn new(account: impl Into<String>, target: impl Into<String>, action: Action) -> Row {
        Row {
            line: 0,
            key: None,
            account: account.into(),
            target: target.into(),
            action,
        }
    }

    /// A row cancelling the whole `target`.
    pub fn cancel(account: impl Into<String>, target: impl Into<String>) -> Row {
        Row::new(account, target, Action::Cancel)
    }

    /// A row cancelling some items of `target`.
    pub fn cancel_items(
        account: impl Into<String>,
        target: impl Into<String>,
        items: Vec<ItemSelector>,
    ) -> Row {
        Row::new(account, target, Action::CancelItems(items))
    }

    /// A row putting `target` on hold, until the date if given.
    pub fn hold(account: impl Into<String>, target: impl Into<String>, until: Option<Date>) -> Row {
        Row::new(account, target, Action::Hold { until })
    }

    /// Sets the caller's key, echoed in the row's result, journal records and report.
    pub fn with_key(mut self, key: impl Into<String>) -> Row {
        self.key = Some(key.into());
        self
    }

    /// Sets the row's line (for people; rows from code get their position by default).
    pub fn with_line(mut self, line: u64) -> Row {
        self.line = line;
        self
    }

    /// The request this row sends.
    pub fn request(&self) -> CancelRequest {
        let scope = match &self.action {
            Action::Cancel => Scope::Whole,
            Action::CancelItems(items) => Scope::Items(items.clone()),
            Action::Hold { until } => Scope::Hold { until: *until },
        };
        CancelRequest::new(self.target.clone(), scope)
    }

    /// The row's identity: what a journal binds its records to, so that a file edited between
    /// runs (rows added, removed, reordered) resumes. Made of the account, the target, the
    /// action, the items and the date, in a canonical form: the order of the selectors and of
    /// their fields, `1` vs `1.0`, and CSV vs JSON Lines spellings do not change it; the line
    /// and the [key](Row::key) do not either.
    pub fn identity(&self) -> RowId {
        let canonical = serde_json::json!([
            "rescind-row-1",
            self.account,
            self.target,
            self.action.as_str(),
            self.action.items_text(),
            self.action.until().map(|d| d.to_string()),
        ]);
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        RowId(hex(&digest[..16]))
    }
}

/// A row's [identity](Row::identity): 32 lowercase hex digits (the first 128 bits of the
/// SHA-256 of its canonical form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RowId(String);

impl RowId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A row that cannot be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidRow {
    /// The row's line in the input file (its position for rows from code).
    pub line: u64,
    /// The caller's key, if the row has one.
    pub key: Option<String>,
    /// The account, as far as it could be read (a value of more than 64 characters shortened).
    pub account: String,
    /// The target, as far as it could be read (a value of more than 64 characters shortened).
    pub target: String,
    /// The action as the file says it (empty when the row has none or cannot be read).
    pub action: String,
    /// What is wrong, naming the field.
    pub reason: String,
}

impl InvalidRow {
    fn of(row: Row, reason: String) -> InvalidRow {
        InvalidRow {
            line: row.line,
            key: row.key,
            account: row.account,
            target: row.target,
            action: row.action.as_str().into(),
            reason,
        }
    }
}

/// The invalid rows of an [`Input`], in line order, in memory that does not grow with their
/// number: the first [`InvalidRows::KEPT`] in full ([`InvalidRows::kept`]), every one counted
/// per reason ([`InvalidRows::by_reason`]), and the others written to a private temporary
/// file (created in the input's directory, else the system's temporary directory, and
/// removed when the last clone of the [`Input`] is dropped) that [`InvalidRows::iter`] reads
/// back.
///
/// A file whose 870,000 rows are all invalid held them all in memory (414 MB at the peak);
/// now a thousand of them, a map of at most [`InvalidRows::REASONS`] reasons and a file handle.
#[derive(Debug, Clone, Default)]
pub struct InvalidRows {
    kept: Vec<InvalidRow>,
    total: usize,
    reasons: BTreeMap<String, usize>,
    /// The rows after the kept ones, as JSON Lines.
    spill: Option<Arc<Mutex<File>>>,
    /// Rows after those of the spill file, when it could not be written (kept in memory then).
    overflow: Vec<InvalidRow>,
}

impl PartialEq for InvalidRows {
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total
            && self.reasons == other.reasons
            && self.iter().map(Result::ok).eq(other.iter().map(Result::ok))
    }
}

impl InvalidRows {
    /// How many invalid rows are kept in full: 1,000. Enough to fix a file: its bad rows
    /// come from a few causes (a column shifted, a date format, duplicated exports), which the
    /// first rows and the counts per reason show; past that, the others are read back from
    /// disk when every one must be listed (the CLI's messages and report). 1,000 rows of at
    /// most a few hundred bytes each: well under a megabyte.
    pub const KEPT: usize = 1000;

    /// How many distinct reasons [`InvalidRows::by_reason`] counts: 32; rows of further
    /// reasons are counted under `(other reasons)`.
    pub const REASONS: usize = 32;

    /// How many rows are invalid.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether no row is invalid.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first invalid rows (at most [`InvalidRows::KEPT`]), in full, in line order.
    pub fn kept(&self) -> &[InvalidRow] {
        &self.kept
    }

    /// How many invalid rows are not in [`InvalidRows::kept`] ([`InvalidRows::iter`] reads
    /// them back).
    pub fn omitted(&self) -> usize {
        self.total - self.kept.len()
    }

    /// Every invalid row counted per reason: the reason with its numbers as `N` and the
    /// values it quotes after the first as `` `…` `` (`` `action` `…` must be cancel,
    /// cancel_items or hold ``, `same account and target as line N: …`), at most
    /// [`InvalidRows::REASONS`] of them, the others under `(other reasons)`.
    pub fn by_reason(&self) -> &BTreeMap<String, usize> {
        &self.reasons
    }

    /// Every invalid row, in line order: the kept ones, then the others read back from the
    /// temporary file. An item is an error ([`BulkError::Input`]) when that file cannot be
    /// read; nothing follows it.
    pub fn iter(&self) -> InvalidIter<'_> {
        InvalidIter {
            left: self.total,
            kept: self.kept.iter(),
            spill: self.spill.as_ref().map(|f| {
                BufReader::with_capacity(
                    64 * 1024,
                    SpillReader {
                        file: f.clone(),
                        pos: 0,
                    },
                )
            }),
            overflow: self.overflow.iter(),
            line: Vec::new(),
        }
    }

    /// These rows and `more` (both in line order), merged by line.
    fn merged(
        &self,
        more: impl IntoIterator<Item = InvalidRow>,
        dir: Option<&Path>,
    ) -> Result<InvalidRows, BulkError> {
        let mut b = InvalidBuilder::new(dir);
        let mut old = self.iter().peekable();
        for row in more {
            while let Some(next) = old.next_if(|o| o.as_ref().map_or(true, |o| o.line <= row.line))
            {
                b.push(next?);
            }
            b.push(row);
        }
        for next in old {
            b.push(next?);
        }
        Ok(b.finish())
    }
}

/// Builds an [`InvalidRows`] from rows given in line order.
struct InvalidBuilder {
    rows: InvalidRows,
    dir: Option<PathBuf>,
    writer: Option<std::io::BufWriter<File>>,
    /// Whether writing the spill file failed (the rows after go to `overflow`).
    failed: bool,
}

impl InvalidBuilder {
    fn new(dir: Option<&Path>) -> Self {
        InvalidBuilder {
            rows: InvalidRows::default(),
            dir: dir.map(Path::to_path_buf),
            writer: None,
            failed: false,
        }
    }

    fn push(&mut self, row: InvalidRow) {
        let rows = &mut self.rows;
        rows.total += 1;
        let kind = reason_kind(&row.reason);
        if rows.reasons.len() < InvalidRows::REASONS || rows.reasons.contains_key(&kind) {
            *rows.reasons.entry(kind).or_default() += 1;
        } else {
            *rows.reasons.entry(OTHER_REASONS.into()).or_default() += 1;
        }
        if rows.kept.len() < InvalidRows::KEPT {
            rows.kept.push(row);
            return;
        }
        if !self.failed && self.spill(&row).is_ok() {
            return;
        }
        // The spill file cannot be written (a full disk...): the row stays in memory.
        self.failed = true;
        self.rows.overflow.push(row);
    }

    fn spill(&mut self, row: &InvalidRow) -> std::io::Result<()> {
        if self.writer.is_none() {
            let file = match &self.dir {
                Some(dir) => tempfile::tempfile_in(dir).or_else(|_| tempfile::tempfile())?,
                None => tempfile::tempfile()?,
            };
            self.writer = Some(std::io::BufWriter::with_capacity(64 * 1024, file));
        }
        let w = self.writer.as_mut().expect("created above");
        serde_json::to_writer(&mut *w, &SpilledRow::from(row))?;
        w.write_all(b"\n")
    }

    fn finish(mut self) -> InvalidRows {
        if let Some(w) = self.writer.take() {
            match w.into_inner() {
                Ok(file) => self.rows.spill = Some(Arc::new(Mutex::new(file))),
                // Rows of the spill file could not be written: the file is not read (its rows
                // are counted, and missing from `iter`, which says so).
                Err(_) => self.rows.spill = None,
            }
        }
        self.rows
    }
}

const OTHER_REASONS: &str = "(other reasons)";

/// A reason as counted by [`InvalidRows::by_reason`]: digits as `N`, quoted values after the
/// first (the field's name) as `` `…` ``, at most 120 characters.
fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len().min(128));
    let mut quotes = 0usize;
    let mut in_digits = false;
    for c in reason.chars() {
        if c == '`' {
            quotes += 1;
            // Opening quote of a value after the first quoted name.
            if quotes % 2 == 1 && quotes > 1 {
                out.push_str("`…");
            } else {
                out.push('`');
            }
            in_digits = false;
            continue;
        }
        if quotes % 2 == 1 && quotes > 1 {
            continue; // inside a quoted value
        }
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        out.push(c);
        if out.chars().count() >= 120 {
            out.push('…');
            break;
        }
    }
    out
}

/// An [`InvalidRow`] in the spill file.
#[derive(Serialize, Deserialize)]
struct SpilledRow {
    line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    account: String,
    target: String,
    action: String,
    reason: String,
}

impl From<&InvalidRow> for SpilledRow {
    fn from(r: &InvalidRow) -> Self {
        SpilledRow {
            line: r.line,
            key: r.key.clone(),
            account: r.account.clone(),
            target: r.target.clone(),
            action: r.action.clone(),
            reason: r.reason.clone(),
        }
    }
}

/// Reads a spill file shared by clones of an input from its own offset.
struct SpillReader {
    file: Arc<Mutex<File>>,
    pos: u64,
}

impl Read for SpillReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(self.pos))?;
        let n = file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Every invalid row of an [`Input`], in line order ([`InvalidRows::iter`]).
pub struct InvalidIter<'a> {
    /// Rows not yielded yet.
    left: usize,
    kept: std::slice::Iter<'a, InvalidRow>,
    spill: Option<BufReader<SpillReader>>,
    overflow: std::slice::Iter<'a, InvalidRow>,
    line: Vec<u8>,
}

impl std::fmt::Debug for InvalidIter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvalidIter").finish_non_exhaustive()
    }
}

impl Iterator for InvalidIter<'_> {
    type Item = Result<InvalidRow, BulkError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.next_row();
        match &next {
            Some(Ok(_)) => self.left = self.left.saturating_sub(1),
            Some(Err(_)) => self.left = 0,
            None if self.left > 0 => {
                self.left = 0;
                return Some(Err(BulkError::input(
                    Path::new("(invalid rows' temporary file)"),
                    "could not be written in full: some invalid rows cannot be listed (they are counted)",
                )));
            }
            None => {}
        }
        next
    }
}

impl InvalidIter<'_> {
    fn next_row(&mut self) -> Option<Result<InvalidRow, BulkError>> {
        if let Some(row) = self.kept.next() {
            return Some(Ok(row.clone()));
        }
        if let Some(reader) = &mut self.spill {
            self.line.clear();
            let read = reader.read_until(b'\n', &mut self.line);
            let spill_error = |m: String| {
                BulkError::input(
                    Path::new("(invalid rows' temporary file)"),
                    format!("cannot be read back: {m}"),
                )
            };
            match read {
                Ok(0) => self.spill = None,
                Ok(_) => {
                    return Some(
                        serde_json::from_slice::<SpilledRow>(&self.line)
                            .map(|r| InvalidRow {
                                line: r.line,
                                key: r.key,
                                account: r.account,
                                target: r.target,
                                action: r.action,
                                reason: r.reason,
                            })
                            .map_err(|e| {
                                self.spill = None;
                                self.overflow = [].iter();
                                spill_error(e.to_string())
                            }),
                    );
                }
                Err(e) => {
                    self.spill = None;
                    self.overflow = [].iter();
                    return Some(Err(spill_error(e.to_string())));
                }
            }
        }
        self.overflow.next().map(|r| Ok(r.clone()))
    }
}

/// An input, read and validated: its valid rows and its invalid ones.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Input {
    /// Where it was read from (empty for [`Input::from_rows`]).
    pub path: PathBuf,
    /// The SHA-256 of the file's bytes, in lowercase hex (for rows from code, of their
    /// identities in order). For people and for journals of version 1; a journal binds
    /// its records to each row's [identity](Row::identity), not to this.
    pub sha256: String,
    /// The rows that can be sent, in input order; empty for a streamed input
    /// ([`Input::stream`]), whose rows stay in the file ([`Input::rows_iter`] reads them).
    pub rows: Vec<Row>,
    /// The rows that cannot, in input order: the first [`InvalidRows::KEPT`] in memory, the
    /// others counted per reason and read back from a temporary file
    /// ([`InvalidRows::iter`]), so that memory does not grow with the bad rows either.
    pub invalid: InvalidRows,
    /// Where the valid rows are.
    source: Source,
}

/// The columns of a CSV input (and keys of a JSON Lines row).
const COLUMNS: [&str; 6] = ["account", "provider", "target", "action", "items", "until"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    #[serde(default, alias = "provider")]
    account: Option<String>,
    #[serde(default, deserialize_with = "string_or_integer")]
    target: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    items: Option<RawItems>,
    #[serde(default)]
    until: Option<String>,
}

/// A JSON Lines target, written as a string or as an integer (Arta's hosted session ids are
/// integers in its API, and scripts write them so): `42` and `"42"` are one target.
fn string_or_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error as _;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        other => Err(D::Error::custom(format!(
            "`target` must be a string or an integer (it is {})",
            match other {
                serde_json::Value::Number(_) => "a number with a fraction",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Array(_) => "a list",
                _ => "an object",
            }
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawItems {
    Text(String),
    List(Vec<RawItem>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    ean: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    item_type: Option<String>,
    #[serde(default)]
    quantity: Option<serde_json::Value>,
}

/// Where the valid rows of an [`Input`] are: in [`Input::rows`], or still in the file (read
/// again, row by row, when they are needed: [`Input::stream`]).
#[derive(Debug, Clone, Default)]
enum Source {
    /// Every valid row is in [`Input::rows`].
    #[default]
    Memory,
    /// The valid rows are read again from the file.
    File(FileSource),
}

/// A file read once to validate it; its valid rows are read again when needed.
#[derive(Debug, Clone)]
struct FileSource {
    /// JSON Lines (else CSV).
    jsonl: bool,
    /// The lines of the rows that are not valid (invalid, duplicates, refused by
    /// [`Input::check_accounts`]): skipped when the rows are read again.
    skip: LineSet,
    /// The valid rows left.
    valid: usize,
    /// The accounts the valid rows name.
    accounts: BTreeSet<String>,
    /// The file's length and modification time when it was validated: a file changed since
    /// is refused when its rows are read again.
    len: u64,
    modified: Option<SystemTime>,
}

impl Input {
    /// Reads `path`: CSV when its name ends in `.csv`, JSON Lines when in `.jsonl`, `.ndjson`
    /// or `.json`, otherwise JSON Lines if the first non-blank character is `{`, else CSV.
    ///
    /// A file that cannot be read as a whole (missing, not UTF-8, a CSV without the `account`,
    /// `target` and `action` columns or with an unknown column, empty, no rows at all) is an error; a
    /// row that breaks a rule is an [`InvalidRow`] and the others stay valid.
    ///
    /// Every valid row is kept in [`Input::rows`]: memory grows with the file. For large files,
    /// [`Input::stream`] keeps the rows in the file.
    pub fn read(path: &Path) -> Result<Input, BulkError> {
        let mut input = Input::stream(path)?;
        let rows = input.rows_iter().collect::<Result<Vec<_>, _>>()?;
        input.rows = rows;
        input.source = Source::Memory;
        Ok(input)
    }

    /// Validates `path` as [`Input::read`] does, reading it once as a stream, and keeps its
    /// valid rows in the file: [`Input::rows`] stays empty, [`Input::valid_rows`] counts them
    /// and [`Input::rows_iter`] reads them again (as a [`Runner`](super::Runner) does).
    ///
    /// Memory does not grow with the valid rows: the SHA-256 of the file's bytes is computed
    /// as they are read, and duplicates (one row per account and target) are found with a set
    /// of 96-bit hashes of each row's account and target (16 bytes per row in a hash table:
    /// about 35 MB at the peak of its growth for 870,000 rows), not with the rows. Nor with the
    /// invalid rows: the first [`InvalidRows::KEPT`] are kept, the others counted per reason
    /// and written to a temporary file next to the input ([`Input::invalid`]); the lines to
    /// skip when the rows are read again are a bitmap (one bit per line). A 50 MB file of
    /// 1.09 million invalid rows is validated in 7 MiB of peak resident memory (395 MiB when
    /// every invalid row was held).
    ///
    /// The file must not change until its rows are read again: a file whose length or
    /// modification time changed is refused then ([`BulkError::Input`]).
    pub fn stream(path: &Path) -> Result<Input, BulkError> {
        let jsonl = detect(path)?;
        let meta = std::fs::metadata(path).map_err(|e| BulkError::input_io(path, e))?;
        let mut parser = Parser::open(path, jsonl, true)?;
        // First line of each (account, target), by 96 bits of their SHA-256: 16 bytes a row.
        let mut seen: HashMap<[u32; 3], u32, Prehashed> = HashMap::default();
        let mut accounts = BTreeSet::new();
        let mut invalid = InvalidBuilder::new(Some(&spill_dir(path)));
        let mut skip = LineSet::default();
        let mut raw_rows = 0usize;
        let mut valid = 0usize;
        while let Some(next) = parser.next() {
            let (line, parsed) = next.map_err(|m| BulkError::input(path, m))?;
            raw_rows += 1;
            if raw_rows == PRESIZE_AFTER_ROWS {
                presize(&mut seen, meta.len(), parser.bytes_read(), raw_rows);
            }
            let (account, target, action) = match &parsed {
                Ok(r) => (
                    r.account.clone().unwrap_or_default(),
                    r.target.clone().unwrap_or_default(),
                    r.action.clone().unwrap_or_default(),
                ),
                Err(_) => Default::default(),
            };
            match parsed.and_then(to_row) {
                Ok(row) => {
                    let row = row.with_line(line);
                    match seen.entry(pair_hash(&row.account, &row.target)) {
                        Entry::Occupied(first) => {
                            let reason = duplicate_reason(u64::from(*first.get()));
                            skip.insert(line);
                            invalid.push(InvalidRow::of(row, reason));
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(u32::try_from(line).unwrap_or(u32::MAX));
                            if !accounts.contains(&row.account) {
                                accounts.insert(row.account.clone());
                            }
                            valid += 1;
                        }
                    }
                }
                Err(reason) => {
                    skip.insert(line);
                    invalid.push(InvalidRow {
                        line,
                        key: None,
                        account: shown(&account),
                        target: shown(&target),
                        action: shown(&action),
                        reason,
                    });
                }
            }
        }
        if raw_rows == 0 {
            return Err(BulkError::input(path, "has no rows"));
        }
        let sha256 = parser.finish();
        Ok(Input {
            path: path.to_path_buf(),
            sha256,
            rows: Vec::new(),
            invalid: invalid.finish(),
            source: Source::File(FileSource {
                jsonl,
                skip,
                valid,
                accounts,
                len: meta.len(),
                modified: meta.modified().ok(),
            }),
        })
    }

    /// Rows built by a program: each keeps its [key](Row::key); a row without a line gets its
    /// position (1-based). A second row for the same account and target is invalid, as in a
    /// file. [`Input::sha256`] hashes the rows' identities. The rows are kept in memory.
    pub fn from_rows(rows: impl IntoIterator<Item = Row>) -> Input {
        let rows: Vec<Row> = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                if row.line == 0 {
                    row.with_line(i as u64 + 1)
                } else {
                    row
                }
            })
            .collect();
        let mut hasher = Sha256::new();
        for row in &rows {
            hasher.update(row.identity().as_str().as_bytes());
            hasher.update(b"\n");
        }
        let mut input = Input {
            path: PathBuf::new(),
            sha256: hex(&hasher.finalize()),
            rows: Vec::new(),
            invalid: InvalidRows::default(),
            source: Source::Memory,
        };
        input.add_unique(rows);
        input
    }

    /// How many rows can be sent: [`Input::rows`]' length, or for a streamed input
    /// ([`Input::stream`]) the valid rows left in the file.
    pub fn valid_rows(&self) -> usize {
        match &self.source {
            Source::Memory => self.rows.len(),
            Source::File(f) => f.valid,
        }
    }

    /// Whether the valid rows are left in the file ([`Input::stream`]) rather than kept in
    /// [`Input::rows`].
    pub fn is_streamed(&self) -> bool {
        matches!(self.source, Source::File(_))
    }

    /// The accounts the valid rows name.
    pub fn accounts(&self) -> BTreeSet<String> {
        match &self.source {
            Source::Memory => self.rows.iter().map(|r| r.account.clone()).collect(),
            Source::File(f) => f.accounts.clone(),
        }
    }

    /// The valid rows in input order: from [`Input::rows`], or read again from the file for a
    /// streamed input (one row in memory at a time). Reading again fails
    /// ([`BulkError::Input`]) when the file cannot be read or has changed since it was
    /// validated.
    pub fn rows_iter(&self) -> RowsIter {
        let inner = match &self.source {
            Source::Memory => Rows::Memory(self.rows.clone().into_iter()),
            Source::File(f) => match self.reopen(f) {
                Ok(parser) => Rows::File {
                    parser: Box::new(parser),
                    skip: f.skip.clone(),
                    path: self.path.clone(),
                },
                Err(e) => Rows::Failed(Some(e)),
            },
        };
        RowsIter(inner)
    }

    fn reopen(&self, f: &FileSource) -> Result<Parser, BulkError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| BulkError::input_io(&self.path, e))?;
        if meta.len() != f.len || meta.modified().ok() != f.modified {
            return Err(changed(&self.path));
        }
        Parser::open(&self.path, f.jsonl, false)
    }

    /// Keeps the first row per account and target; later ones are invalid.
    fn add_unique(&mut self, rows: Vec<Row>) {
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        let mut invalid = Vec::new();
        for row in rows {
            let key = (row.account.clone(), row.target.clone());
            if let Some(first) = seen.get(&key) {
                let reason = duplicate_reason(*first);
                invalid.push(InvalidRow::of(row, reason));
            } else {
                seen.insert(key, row.line);
                self.rows.push(row);
            }
        }
        // The rows are in memory already (rows from code): so may their invalid ones be
        // before they are sorted.
        invalid.sort_by_key(|r| r.line);
        let mut b = InvalidBuilder::new(None);
        for row in invalid {
            b.push(row);
        }
        self.invalid = b.finish();
    }

    /// Moves to [`Input::invalid`] every row whose account is not in `registry`, whose action
    /// the account's provider does not offer, or that breaks a rule of the provider that needs
    /// no network ([`Canceller::check`]: the target's form, item selectors, quantities such as
    /// `0`, `-1`, `0.001` or `1.2345` at Skip Pay). Nothing is sent: a run checks every row
    /// this way before its first request. A streamed input ([`Input::stream`]) is read again
    /// for this, one row at a time; a file that cannot be read again is left as it is (the
    /// run reading its rows fails then, before sending anything).
    ///
    /// [`Canceller::check`]: rescind_core::Canceller::check
    pub fn check_accounts(&mut self, registry: &Registry) {
        if let Source::File(_) = &self.source {
            // The refused rows are merged with the invalid ones as they come (both in line
            // order): none is held beyond [`InvalidRows::KEPT`].
            let mut refused_lines = LineSet::default();
            let mut refused = 0usize;
            let mut failed = false;
            let rows = self.rows_iter().map_while(|row| {
                failed |= row.is_err();
                row.ok()
            });
            let refusals = rows.filter_map(|row| {
                let reason = problem(registry, &row)?;
                refused_lines.insert(row.line);
                refused += 1;
                Some(InvalidRow::of(row, reason))
            });
            let merged = self.invalid.merged(refusals, Some(&spill_dir(&self.path)));
            // A file that cannot be read again (or a spill file that cannot be read back) is
            // left as it is: the run reading its rows fails then, before sending anything.
            let (Ok(merged), false) = (merged, failed) else {
                return;
            };
            self.invalid = merged;
            if let Source::File(f) = &mut self.source {
                f.skip.extend(&refused_lines);
                f.valid = f.valid.saturating_sub(refused);
            }
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        let mut refused = Vec::new();
        for row in rows {
            match problem(registry, &row) {
                Some(reason) => refused.push(InvalidRow::of(row, reason)),
                None => self.rows.push(row),
            }
        }
        refused.sort_by_key(|r| r.line);
        if let Ok(merged) = self.invalid.merged(refused.clone(), None) {
            self.invalid = merged;
        } else {
            // The spill file cannot be read back: the refused rows are kept all the same.
            let mut b = InvalidBuilder::new(None);
            for row in self.invalid.iter().filter_map(Result::ok).chain(refused) {
                b.push(row);
            }
            self.invalid = b.finish();
        }
    }
}

/// Why `row` cannot be sent through `registry`, if it cannot.
fn problem(registry: &Registry, row: &Row) -> Option<String> {
    match registry.account(&row.account) {
        Err(err) => Some(format!("`account` {}", err.message())),
        Ok(c) if !c.capabilities().supports(&row.request().scope) => Some(format!(
            "`action` {} is not offered by {} (account `{}`)",
            row.action.as_str(),
            c.provider(),
            row.account
        )),
        Ok(c) => c.check(&row.request()).err().map(|e| {
            // The message names the field when there is one.
            let field = e
                .field()
                .filter(|f| !e.message().contains(*f))
                .map(|f| format!(" `{f}`"))
                .unwrap_or_default();
            format!("{}{field}: {}", c.provider(), e.message())
        }),
    }
}

/// The directory of an input's spill file of invalid rows: the input's own (the disk that
/// holds the input has room for a file no larger than it), `.` for a bare file name.
fn spill_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A set of line numbers as a bitmap: one bit per line of the file up to the last line in
/// the set (about 110 kB for 870,000 lines), whatever the number of lines in it.
#[derive(Debug, Clone, Default)]
struct LineSet(Vec<u64>);

impl LineSet {
    fn insert(&mut self, line: u64) {
        let (word, bit) = ((line / 64) as usize, line % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    fn contains(&self, line: u64) -> bool {
        let (word, bit) = ((line / 64) as usize, line % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn extend(&mut self, other: &LineSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (w, o) in self.0.iter_mut().zip(&other.0) {
            *w |= o;
        }
    }
}

fn duplicate_reason(first: u64) -> String {
    format!(
        "same account and target as line {first}: one row per target (put every item of an order in one row)"
    )
}

fn changed(path: &Path) -> BulkError {
    BulkError::input(
        path,
        "changed since it was validated (its length or modification time differs): nothing more is read from it; run again with the file as it is now",
    )
}

/// The rows read before the duplicate check's table is sized for the whole file
/// ([`presize`]): 16,384 rows, a few hundred kB, enough for their mean length to be known
/// well (the CSV reader's 8 KiB buffer ahead of them is a few percent of that).
const PRESIZE_AFTER_ROWS: usize = 16_384;

/// Reserves the duplicate check's table for the rows the file should hold, estimated from
/// the mean length of the rows read so far (and 10 % more). A table left to grow doubles and
/// holds its old and new buckets at once while it moves: at 2.3 million rows (a 50 MB file of
/// short rows) that transient was 36 MB of a 125 MB peak. A file whose later rows are shorter
/// grows the table as before; one whose rows are longer leaves part of it empty.
fn presize(seen: &mut HashMap<[u32; 3], u32, Prehashed>, file_len: u64, read: u64, rows: usize) {
    if read == 0 || read >= file_len {
        return;
    }
    let per_row = read as f64 / rows as f64;
    let expected = (file_len as f64 / per_row * 1.1) as usize;
    seen.reserve(expected.saturating_sub(seen.len()));
}

/// 96 bits of the SHA-256 of an account and a target: the key of the duplicate check. Two
/// different pairs share one with a probability of about n²/2⁹⁷ (10⁻¹⁷ for a million rows).
fn pair_hash(account: &str, target: &str) -> [u32; 3] {
    let mut h = Sha256::new();
    h.update((account.len() as u64).to_le_bytes());
    h.update(account.as_bytes());
    h.update(target.as_bytes());
    let d = h.finalize();
    let word = |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    [word(0), word(4), word(8)]
}

/// The hasher of keys that are already hashes ([`pair_hash`]): it keeps their bits.
#[derive(Debug, Clone, Copy, Default)]
struct Prehashed;

impl std::hash::BuildHasher for Prehashed {
    type Hasher = PrehashedHasher;

    fn build_hasher(&self) -> PrehashedHasher {
        PrehashedHasher(0)
    }
}

#[derive(Debug, Default)]
struct PrehashedHasher(u64);

impl std::hash::Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = self.0.rotate_left(32) ^ u64::from(n);
    }

    fn write_usize(&mut self, _len: usize) {
        // The array's length: the same for every key.
    }
}

/// The valid rows of an [`Input`], in input order ([`Input::rows_iter`]).
pub struct RowsIter(Rows);

impl std::fmt::Debug for RowsIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowsIter").finish_non_exhaustive()
    }
}

enum Rows {
    Memory(std::vec::IntoIter<Row>),
    File {
        parser: Box<Parser>,
        skip: LineSet,
        path: PathBuf,
    },
    Failed(Option<BulkError>),
}

impl Iterator for RowsIter {
    type Item = Result<Row, BulkError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Rows::Memory(rows) => rows.next().map(Ok),
            Rows::Failed(e) => e.take().map(Err),
            Rows::File { parser, skip, path } => loop {
                let next = match parser.next()? {
                    Ok(next) => next,
                    Err(m) => {
                        let e = BulkError::input(path, m);
                        self.0 = Rows::Failed(None);
                        return Some(Err(e));
                    }
                };
                let (line, parsed) = next;
                if skip.contains(line) {
                    continue;
                }
                // Valid when validated: a row that is not now means the file changed.
                match parsed.and_then(to_row) {
                    Ok(row) => return Some(Ok(row.with_line(line))),
                    Err(_) => {
                        let e = changed(path);
                        self.0 = Rows::Failed(None);
                        return Some(Err(e));
                    }
                }
            },
        }
    }
}

/// JSON Lines or CSV, from the file's name or its first non-blank character (after a byte order
/// mark); an empty file (or one of blanks only) is an error.
fn detect(path: &Path) -> Result<bool, BulkError> {
    let file = File::open(path).map_err(|e| BulkError::input_io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut first = None;
    let mut at_start = true;
    'scan: loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| BulkError::input_io(path, e))?;
        if buf.is_empty() {
            break;
        }
        let mut skip = 0;
        if at_start && buf.starts_with(BOM) {
            skip = BOM.len();
        }
        at_start = false;
        if let Some(b) = buf[skip..].iter().find(|b| !b.is_ascii_whitespace()) {
            first = Some(*b);
            break 'scan;
        }
        let n = buf.len();
        reader.consume(n);
    }
    let Some(first) = first else {
        return Err(BulkError::input(
            path,
            "is empty: give a CSV header (account,target,action,items,until) and rows, or JSON Lines",
        ));
    };
    let name = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(match name {
        "csv" => false,
        "jsonl" | "ndjson" | "json" => true,
        _ => first == b'{',
    })
}

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Reads a file and hashes every byte read (when asked).
struct Hashing {
    file: File,
    hasher: Option<Sha256>,
    /// Bytes read from the file so far (read ahead of the parser by at most a buffer).
    read: u64,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Keeps the bytes read and not yet counted by [`Window::line_at`]: the CSV reader's lookahead
/// and the current record, not the file.
struct Window {
    inner: BufReader<Hashing>,
    /// Bytes from `base` on.
    bytes: Vec<u8>,
    base: u64,
    /// The file's own line (1-based) at `base`.
    line: u64,
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Window {
    /// The file's own line (1-based) of a byte offset (offsets met in increasing order): the
    /// `\n`s before it, plus one; the same with LF and CRLF line ends (a CSV reader's own line
    /// count differs between them). Each byte is counted once.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut end = offset.saturating_sub(self.base) as usize;
        end = end.min(self.bytes.len());
        // A CSV reader skips blank lines and gives the offset where they start.
        while end < self.bytes.len() && matches!(self.bytes[end], b'\r' | b'\n') {
            end += 1;
        }
        self.line += self.bytes[..end].iter().filter(|b| **b == b'\n').count() as u64;
        self.bytes.drain(..end);
        self.base += end as u64;
        self.line
    }
}

/// The rows of a file as they are read: `(line, row or why it cannot be read)`, or an error
/// about the whole file.
enum Parser {
    Csv {
        reader: Box<csv::Reader<Window>>,
        headers: csv::StringRecord,
        record: csv::ByteRecord,
    },
    Jsonl {
        reader: BufReader<Hashing>,
        line: u64,
        buf: Vec<u8>,
    },
}

type RawLine = (u64, Result<RawRow, String>);

impl Parser {
    fn open(path: &Path, jsonl: bool, hash: bool) -> Result<Parser, BulkError> {
        let file = File::open(path).map_err(|e| BulkError::input_io(path, e))?;
        let mut inner = BufReader::with_capacity(
            64 * 1024,
            Hashing {
                file,
                hasher: hash.then(Sha256::new),
                read: 0,
            },
        );
        // A byte order mark is not part of the first line (and not part of its first field).
        let head = inner.fill_buf().map_err(|e| BulkError::input_io(path, e))?;
        if head.starts_with(BOM) {
            inner.consume(BOM.len());
        }
        if jsonl {
            return Ok(Parser::Jsonl {
                reader: inner,
                line: 0,
                buf: Vec::new(),
            });
        }
        let window = Window {
            inner,
            bytes: Vec::new(),
            base: 0,
            line: 1,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(window);
        let headers = reader
            .headers()
            .map_err(|e| BulkError::input(path, format!("has no CSV header: {e}")))?
            .clone();
        check_headers(&headers).map_err(|m| BulkError::input(path, m))?;
        Ok(Parser::Csv {
            reader: Box::new(reader),
            headers,
            record: csv::ByteRecord::new(),
        })
    }

    /// Bytes of the file taken by the parser so far: the rows parsed, and at most the CSV
    /// reader's own buffer (8 KiB) ahead of them.
    fn bytes_read(&self) -> u64 {
        let ahead = |r: &BufReader<Hashing>| r.get_ref().read - r.buffer().len() as u64;
        match self {
            Parser::Jsonl { reader, .. } => ahead(reader),
            Parser::Csv { reader, .. } => ahead(&reader.get_ref().inner),
        }
    }

    /// The next row; `None` at the end of the file.
    fn next(&mut self) -> Option<Result<RawLine, String>> {
        match self {
            Parser::Jsonl { reader, line, buf } => loop {
                buf.clear();
                match reader.read_until(b'\n', buf) {
                    Err(e) => return Some(Err(e.to_string())),
                    Ok(0) => return None,
                    Ok(_) => {}
                }
                *line += 1;
                let text = match std::str::from_utf8(buf) {
                    Ok(t) => t,
                    Err(e) => {
                        return Some(Err(format!("is not UTF-8 text (line {line}: {e})")));
                    }
                };
                let l = text.trim_end_matches(['\n', '\r']);
                if l.trim().is_empty() {
                    continue;
                }
                let parsed = serde_json::from_str::<RawRow>(l)
                    .map_err(|e| format!("is not a JSON row: {e}"));
                return Some(Ok((*line, parsed)));
            },
            Parser::Csv {
                reader,
                headers,
                record,
            } => {
                let read = reader.read_byte_record(record);
                let at = |reader: &mut csv::Reader<Window>, pos: Option<&csv::Position>| {
                    let offset = pos.map_or(0, |p| p.byte());
                    reader.get_mut().line_at(offset)
                };
                match read {
                    Ok(false) => None,
                    Ok(true) => {
                        let line = at(reader, record.position());
                        let record = match csv::StringRecord::from_byte_record(record.clone()) {
                            Ok(r) => r,
                            Err(e) => {
                                return Some(Err(format!("is not UTF-8 text (line {line}: {e})")));
                            }
                        };
                        let raw = record
                            .deserialize::<CsvRow>(Some(headers))
                            .map_err(|e| format!("cannot be read: {e}"))
                            .map(|r| RawRow {
                                account: r.account.or(r.provider),
                                target: r.target,
                                action: r.action,
                                items: r.items.map(RawItems::Text),
                                until: r.until,
                            });
                        Some(Ok((line, raw)))
                    }
                    Err(e) => {
                        if let csv::ErrorKind::Io(io) = e.kind() {
                            return Some(Err(io.to_string()));
                        }
                        let line = at(reader, e.position());
                        Some(Ok((line, Err(format!("is not a CSV row: {e}")))))
                    }
                }
            }
        }
    }

    /// The SHA-256 of the bytes read (every byte, once the end was reached), in lowercase hex.
    fn finish(self) -> String {
        let hashing = match self {
            Parser::Jsonl { reader, .. } => reader.into_inner(),
            Parser::Csv { reader, .. } => reader.into_inner().inner.into_inner(),
        };
        hashing
            .hasher
            .map(|h| hex(&h.finalize()))
            .unwrap_or_default()
    }
}

fn check_headers(headers: &csv::StringRecord) -> Result<(), String> {
    for h in headers {
        if !COLUMNS.contains(&h) {
            return Err(format!(
                "has an unknown column `{}` (columns: account or provider, target, action, items, until)",
                shown(h)
            ));
        }
    }
    for needed in ["target", "action"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(format!("has no `{needed}` column"));
        }
    }
    if !headers.iter().any(|h| h == "account" || h == "provider") {
        return Err("has no `account` (or `provider`) column".into());
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    items: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The most characters an account, a target, an action or a date may have. The runner's own
/// bound, not a provider's: no provider's id comes near it (Arta: an integer; Di: a shipment
/// number of digits; Skip Pay: an application id such as `11200a0ee1`, a string without a
/// documented `maxLength` in its OpenAPI). A longer value is a paste gone wrong: it is invalid
/// before anything is sent, instead of a URL no client can build.
const FIELD_MAX_CHARS: usize = 256;

/// The characters of a value shown in a message, a report or the journal.
const SHOWN_MAX_CHARS: usize = 64;

/// `value` as shown to people: whole when short, else its start and its length (a row with
/// megabytes of text is never echoed whole).
fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_MAX_CHARS) {
        None => value.to_string(),
        Some((end, _)) => format!("{}… ({} characters)", &value[..end], value.chars().count()),
    }
}

/// `value` unless longer than [`FIELD_MAX_CHARS`].
fn bounded(field: &str, value: String) -> Result<String, String> {
    let n = value.chars().count();
    if n > FIELD_MAX_CHARS {
        return Err(format!(
            "`{field}` must be at most {FIELD_MAX_CHARS} characters (it has {n}): `{}`",
            shown(&value)
        ));
    }
    Ok(value)
}

fn to_row(raw: RawRow) -> Result<Row, String> {
    let account = non_empty(raw.account).ok_or("`account` is required")?;
    let account = bounded("account", account)?;
    let target = non_empty(raw.target).ok_or("`target` is required")?;
    let target = bounded("target", target)?;
    let action = non_empty(raw.action).ok_or("`action` is required")?;
    let action = bounded("action", action)?;
    let until = non_empty(raw.until)
        .map(|u| bounded("until", u))
        .transpose()?;
    let items = raw.items;
    let has_items = match &items {
        Some(RawItems::Text(t)) => !t.trim().is_empty(),
        Some(RawItems::List(l)) => !l.is_empty(),
        None => false,
    };
    let action = match action.as_str() {
        "cancel" | "cancel_items" | "cancel-items" if until.is_some() => {
            return Err("`until` is only for the hold action".into());
        }
        "cancel" if has_items => {
            return Err("`items` is only for the cancel_items action".into());
        }
        "cancel" => Action::Cancel,
        "cancel_items" | "cancel-items" => Action::CancelItems(selectors(items)?),
        "hold" if has_items => return Err("`items` is only for the cancel_items action".into()),
        "hold" => Action::Hold {
            until: until
                .map(|u| {
                    u.parse::<Date>()
                        .map_err(|_| format!("`until` `{u}` must be a date as YYYY-MM-DD"))
                })
                .transpose()?,
        },
        other => {
            return Err(format!(
                "`action` `{}` must be cancel, cancel_items or hold",
                shown(other)
            ));
        }
    };
    Ok(Row::new(account, target, action))
}

fn selectors(items: Option<RawItems>) -> Result<Vec<ItemSelector>, String> {
    let list = match items {
        Some(RawItems::Text(text)) => text
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ItemSelector>()
                    .map_err(|e| e.message().to_string())
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(RawItems::List(list)) => list
            .into_iter()
            .map(to_selector)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    if list.is_empty() {
        return Err("`items` must name at least one item for cancel_items (e.g. `code=SKU-1,quantity=2;code=SKU-2`)".into());
    }
    Ok(list)
}

fn to_selector(raw: RawItem) -> Result<ItemSelector, String> {
    let mut s = ItemSelector::default();
    s.code = raw.code;
    s.ean = raw.ean;
    s.name = raw.name;
    s.item_type = raw.item_type;
    s.quantity = match raw.quantity {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(q)) => Some(parse_quantity(&q)?),
        Some(serde_json::Value::Number(q)) => Some(parse_quantity(&q.to_string())?),
        Some(other) => return Err(format!("`items` quantity {other} must be a number")),
    };
    if s.is_empty() {
        return Err("`items` each item needs at least one of code, ean, name, type".into());
    }
    Ok(s)
}

fn parse_quantity(q: &str) -> Result<Decimal, String> {
    q.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(q))
        .map_err(|_| format!("`items` quantity `{}` is not a decimal number", shown(q)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, content: &str) -> Result<Input, BulkError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        Input::read(&path)
    }

    /// The duplicate check's table is sized once for the rows the file should hold (no
    /// doubling with old and new buckets alive at the peak), and not at all when the rows
    /// read so far are the whole file.
    #[test]
    fn the_duplicate_table_is_sized_from_the_mean_row_length() {
        let mut seen: HashMap<[u32; 3], u32, Prehashed> = HashMap::default();
        // 20 bytes a row so far, a 1 MB file: 50,000 rows expected, 55,000 reserved.
        presize(&mut seen, 1_000_000, 10_000, 500);
        assert!(seen.capacity() >= 55_000, "{}", seen.capacity());
        let mut whole: HashMap<[u32; 3], u32, Prehashed> = HashMap::default();
        presize(&mut whole, 10_000, 10_000, 500);
        assert_eq!(whole.capacity(), 0);
    }

    /// A file of more rows than the presizing threshold: every duplicate is still found, with
    /// the line of its first occurrence.
    #[test]
    fn duplicates_past_the_presizing_threshold_are_found() {
        let mut csv = String::from("account,target,action\n");
        for i in 0..PRESIZE_AFTER_ROWS + 100 {
            csv.push_str(&format!("arta,{i},cancel\n"));
        }
        csv.push_str("arta,7,cancel\n");
        let input = read("big.csv", &csv).unwrap();
        assert_eq!(input.valid_rows(), PRESIZE_AFTER_ROWS + 100);
        let bad = &input.invalid.kept()[0];
        assert_eq!(bad.line as usize, PRESIZE_AFTER_ROWS + 102);
        assert!(bad.reason.contains("line 9"), "{}", bad.reason);
    }

    #[test]
    fn csv_rows_with_every_action_and_bad_ones_by_line() {
        let input = read(
            "rows.csv",
            "account,target,action,items,until\n\
             arta,42,cancel,,\n\
             arta,6b12,hold,,2026-12-01\n\
             skippay,APP1,cancel_items,\"code=A,quantity=2;code=B\",\n\
             di,123,explode,,\n\
             di,124,hold,,tomorrow\n\
             arta,42,cancel,,\n\
             skippay,APP2,cancel_items,,\n",
        )
        .unwrap();
        assert_eq!(input.rows.len(), 3);
        assert_eq!(input.rows[0].line, 2);
        assert_eq!(input.rows[0].action, Action::Cancel);
        assert_eq!(
            input.rows[1].action,
            Action::Hold {
                until: Some(rescind_core::jiff::civil::date(2026, 12, 1))
            }
        );
        assert_eq!(
            input.rows[2].action,
            Action::CancelItems(vec![
                ItemSelector::by_code("A").quantity(2.into()),
                ItemSelector::by_code("B")
            ])
        );
        let bad: Vec<(u64, &str)> = input
            .invalid
            .kept()
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert_eq!(bad[0].0, 5);
        assert!(bad[0].1.contains("`action` `explode`"), "{bad:?}");
        assert_eq!(bad[1].0, 6);
        assert!(bad[1].1.contains("`until`"), "{bad:?}");
        assert_eq!(bad[2].0, 7);
        assert!(bad[2].1.contains("line 2"), "{bad:?}");
        assert_eq!(bad[3].0, 8);
        assert!(bad[3].1.contains("`items`"), "{bad:?}");
        assert_eq!(input.sha256.len(), 64);
    }

    #[test]
    fn json_lines_rows_with_item_lists() {
        let input = read(
            "rows.jsonl",
            "{\"provider\":\"skippay\",\"target\":\"A\",\"action\":\"cancel_items\",\"items\":[{\"code\":\"C\",\"quantity\":1.5}]}\n\
             \n\
             {\"account\":\"di\",\"target\":\"1\",\"action\":\"cancel\",\"colour\":\"red\"}\n\
             {not json\n",
        )
        .unwrap();
        assert_eq!(input.rows.len(), 1);
        assert_eq!(
            input.rows[0].action,
            Action::CancelItems(vec![
                ItemSelector::by_code("C").quantity("1.5".parse().unwrap())
            ])
        );
        assert_eq!(input.invalid.len(), 2);
        assert_eq!(input.invalid.kept()[0].line, 3);
        assert!(
            input.invalid.kept()[0].reason.contains("colour"),
            "{:?}",
            input.invalid
        );
        assert_eq!(input.invalid.kept()[1].line, 4);
    }

    #[test]
    fn line_numbers_are_the_files_own_with_lf_crlf_or_a_bom() {
        let csv = [
            "account,target,action,items,until",
            "arta,42,cancel,,",
            "skippay,A,cancel_items,\"code=X,\nquantity=2\",",
            "di,1,explode,,",
            "",
            "di,2,cancel,,",
            "di,3,nope,,",
        ];
        let jsonl = [
            "{\"account\":\"arta\",\"target\":\"42\",\"action\":\"cancel\"}",
            "",
            "{\"account\":\"di\",\"target\":\"1\",\"action\":\"explode\"}",
            "{\"account\":\"di\",\"target\":\"2\",\"action\":\"cancel\"}",
        ];
        for end in ["\n", "\r\n"] {
            for bom in ["", "\u{feff}"] {
                let text = format!("{bom}{}{end}", csv.join(end));
                let input = read("rows.csv", &text).unwrap();
                let valid: Vec<u64> = input.rows.iter().map(|r| r.line).collect();
                let bad: Vec<u64> = input.invalid.kept().iter().map(|r| r.line).collect();
                // The quoted field spans lines 3 and 4; the blank line 6 is no row.
                assert_eq!(valid, [2, 3, 7], "{end:?} {bom:?}: {:?}", input.invalid);
                assert_eq!(bad, [5, 8], "{end:?} {bom:?}");
                assert_eq!(input.rows[0].account, "arta", "{bom:?}");

                let text = format!("{bom}{}{end}", jsonl.join(end));
                let input = read("rows.jsonl", &text).unwrap();
                let valid: Vec<u64> = input.rows.iter().map(|r| r.line).collect();
                let bad: Vec<u64> = input.invalid.kept().iter().map(|r| r.line).collect();
                assert_eq!(valid, [1, 4], "{end:?} {bom:?}: {:?}", input.invalid);
                assert_eq!(bad, [3], "{end:?} {bom:?}");
            }
        }
    }

    #[test]
    fn a_malformed_file_is_one_error() {
        for (name, content, needle) in [
            ("a.csv", "target,action\n1,cancel\n", "no `account`"),
            (
                "a.csv",
                "account,target,action,colour\narta,1,cancel,red\n",
                "unknown column `colour`",
            ),
            ("a.csv", "account,target,action\n", "no rows"),
            ("a.jsonl", "", "is empty"),
            ("a.csv", "", "is empty"),
        ] {
            let err = read(name, content).unwrap_err();
            assert!(err.to_string().contains(needle), "{name}: {err}");
        }
        let err = Input::read(Path::new("/nonexistent/rows.csv")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/rows.csv"), "{err}");
    }

    /// A generated file of `n` rows: every 97th a duplicate of an earlier target, every 89th
    /// with a bad action; CSV with CRLF line ends and a quoted field over two lines now and
    /// then, or JSON Lines.
    fn generated(n: u64, jsonl: bool) -> String {
        let mut text = String::from(if jsonl {
            ""
        } else {
            "\u{feff}account,target,action,items,until\r\n"
        });
        for i in 0..n {
            let target = if i % 97 == 96 { i / 2 } else { i };
            let action = if i % 89 == 88 { "explode" } else { "cancel" };
            if jsonl {
                text.push_str(&format!(
                    "{{\"account\":\"arta\",\"target\":{target},\"action\":\"{action}\"}}\n"
                ));
                if i % 50 == 0 {
                    text.push('\n');
                }
            } else if i % 101 == 0 {
                text.push_str(&format!(
                    "skippay,A{target},cancel_items,\"code=X,\r\nquantity=2\",\r\n"
                ));
            } else {
                text.push_str(&format!("arta,{target},{action},,\r\n"));
            }
        }
        text
    }

    #[test]
    fn a_large_file_streams_to_the_same_rows_lines_and_hash_as_read_whole() {
        for jsonl in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(if jsonl { "big.jsonl" } else { "big.csv" });
            let text = generated(20_000, jsonl);
            std::fs::write(&path, &text).unwrap();

            let streamed = Input::stream(&path).unwrap();
            assert!(streamed.is_streamed() && streamed.rows.is_empty());
            let whole = Input::read(&path).unwrap();
            assert!(!whole.is_streamed());
            assert_eq!(streamed.sha256, hex(&Sha256::digest(text.as_bytes())));
            assert_eq!(streamed.sha256, whole.sha256);
            assert_eq!(streamed.invalid, whole.invalid);
            let rows: Vec<Row> = streamed.rows_iter().map(Result::unwrap).collect();
            assert_eq!(rows, whole.rows);
            assert_eq!(streamed.valid_rows(), rows.len());

            // What the generator made: each duplicate names the line of the first row, each
            // bad action its line; every other row is valid.
            let dups = streamed
                .invalid
                .kept()
                .iter()
                .filter(|r| r.reason.contains("same account and target"))
                .count();
            let bad = streamed
                .invalid
                .kept()
                .iter()
                .filter(|r| r.reason.contains("`explode`"))
                .count();
            assert!(dups > 50 && bad > 150, "{dups} {bad}");
            assert_eq!(rows.len() + dups + bad, 20_000);
            let first_dup = streamed
                .invalid
                .kept()
                .iter()
                .find(|r| r.reason.contains("same account"))
                .unwrap();
            let original = rows
                .iter()
                .find(|r| r.target == first_dup.target && r.account == first_dup.account)
                .unwrap();
            assert!(
                first_dup
                    .reason
                    .contains(&format!("as line {}", original.line)),
                "{first_dup:?}"
            );
            if !jsonl {
                // Row i is on line i + 2, plus one per quoted field over two lines before it.
                let last = rows.last().unwrap();
                assert_eq!(last.target, "19999");
                assert_eq!(last.line, 19_999 + 2 + 19_999 / 101 + 1);
            }
        }
    }

    /// 5,000 rows on lines 2..=5001: every fifth valid, the others invalid for four reasons
    /// (an unknown action, a bad date, a duplicate target, a date on a cancel), 1,000 each.
    fn many_invalid() -> String {
        let mut text = String::from("account,target,action,items,until\n");
        for i in 0..5000u64 {
            text.push_str(&match i % 5 {
                0 => format!("arta,{i},cancel,,\n"),
                1 => format!("arta,{i},explode,,\n"),
                2 => format!("arta,{i},hold,,tomorrow\n"),
                3 => format!("arta,{},cancel,,\n", i - 3),
                _ => format!("di,{i},cancel,,2026-12-01\n"),
            });
        }
        text
    }

    #[test]
    fn invalid_rows_past_the_first_thousand_are_counted_and_read_back_not_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, many_invalid()).unwrap();
        let input = Input::stream(&path).unwrap();
        let want: Vec<u64> = (0..5000u64).filter(|i| i % 5 != 0).map(|i| i + 2).collect();

        // Held in memory: the first thousand, by line; the others only counted.
        assert_eq!(input.valid_rows(), 1000);
        assert_eq!(input.invalid.len(), 4000);
        assert_eq!(input.invalid.kept().len(), InvalidRows::KEPT);
        assert_eq!(input.invalid.omitted(), 3000);
        let kept: Vec<u64> = input.invalid.kept().iter().map(|r| r.line).collect();
        assert_eq!(kept, want[..InvalidRows::KEPT]);

        // Every one read back, in line order, whole.
        let all: Vec<InvalidRow> = input.invalid.iter().map(Result::unwrap).collect();
        assert_eq!(all.iter().map(|r| r.line).collect::<Vec<_>>(), want);
        let last = all.last().unwrap();
        assert_eq!(
            (last.account.as_str(), last.target.as_str()),
            ("di", "4999")
        );
        assert!(
            last.reason.contains("`until` is only for the hold action"),
            "{last:?}"
        );
        let dup = all
            .iter()
            .rfind(|r| r.reason.contains("same account"))
            .unwrap();
        assert_eq!(dup.line, 4998 + 2);
        assert!(dup.reason.contains("as line 4997"), "{dup:?}");

        // Counted per reason: the four reasons, a thousand each.
        let reasons = input.invalid.by_reason();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons.values().all(|n| *n == 1000), "{reasons:?}");
        assert_eq!(
            reasons.get("same account and target as line N: one row per target (put every item of an order in one row)"),
            Some(&1000),
            "{reasons:?}"
        );
        assert_eq!(
            reasons.get("`action` `…` must be cancel, cancel_items or hold"),
            Some(&1000),
            "{reasons:?}"
        );

        // Clones read back on their own, interleaved.
        let copy = input.clone();
        let mut a = input.invalid.iter();
        let mut b = copy.invalid.iter();
        for _ in 0..2500 {
            a.next();
        }
        assert_eq!(b.next().unwrap().unwrap().line, want[0]);
        assert_eq!(a.next().unwrap().unwrap().line, want[2500]);
        assert_eq!(b.count() + a.count(), 3999 + 1499);

        // The same rows as read whole.
        assert_eq!(Input::read(&path).unwrap().invalid, input.invalid);
    }

    #[test]
    fn rows_refused_by_the_accounts_merge_with_the_invalid_ones_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, many_invalid()).unwrap();
        let mut input = Input::stream(&path).unwrap();
        // No account at all: every valid row is refused too.
        input.check_accounts(&Registry::new());
        assert_eq!(input.valid_rows(), 0);
        assert_eq!(input.rows_iter().count(), 0);
        assert_eq!(input.invalid.len(), 5000);
        assert_eq!(input.invalid.kept().len(), InvalidRows::KEPT);
        let lines: Vec<u64> = input.invalid.iter().map(|r| r.unwrap().line).collect();
        assert_eq!(lines, (2..=5001).collect::<Vec<u64>>());
        assert_eq!(
            input.invalid.by_reason().len(),
            5,
            "{:?}",
            input.invalid.by_reason()
        );

        // Rows from code: the same.
        let rows = (0..3000u64).map(|i| Row::cancel("nowhere", i.to_string()).with_line(3000 - i));
        let mut input = Input::from_rows(rows);
        input.check_accounts(&Registry::new());
        let lines: Vec<u64> = input.invalid.iter().map(|r| r.unwrap().line).collect();
        assert_eq!(lines, (1..=3000).collect::<Vec<u64>>());
        assert_eq!(input.invalid.kept().len(), InvalidRows::KEPT);
    }

    #[test]
    fn the_reasons_counted_are_bounded() {
        let mut text =
            String::from("{\"account\":\"arta\",\"target\":\"1\",\"action\":\"cancel\"}\n");
        for i in 0..40u8 {
            // Forty field names without digits (digits count as one reason).
            let name = format!(
                "colour{}{}",
                char::from(b'a' + i / 26),
                char::from(b'a' + i % 26)
            );
            text.push_str(&format!(
                "{{\"account\":\"arta\",\"target\":\"{i}\",\"action\":\"cancel\",\"{name}\":1}}\n"
            ));
        }
        let input = read("rows.jsonl", &text).unwrap();
        let reasons = input.invalid.by_reason();
        assert_eq!(input.invalid.len(), 40);
        assert_eq!(reasons.len(), InvalidRows::REASONS + 1, "{reasons:?}");
        assert_eq!(
            reasons.get("(other reasons)"),
            Some(&(40 - InvalidRows::REASONS))
        );
        assert_eq!(reasons.values().sum::<usize>(), 40);
    }

    #[test]
    fn a_streamed_file_changed_before_its_rows_are_read_again_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(
            &path,
            "account,target,action\narta,1,cancel\narta,2,cancel\n",
        )
        .unwrap();
        let input = Input::stream(&path).unwrap();
        assert_eq!(input.rows_iter().filter(Result::is_ok).count(), 2);
        std::fs::write(
            &path,
            "account,target,action\narta,1,cancel\narta,2,cancel\narta,3,cancel\n",
        )
        .unwrap();
        let read: Vec<_> = input.rows_iter().collect();
        assert_eq!(read.len(), 1, "{read:?}");
        let err = read.into_iter().next().unwrap().unwrap_err();
        assert!(
            err.to_string().contains("changed since it was validated"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_one_error_streamed_too() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["rows.csv", "rows.jsonl"] {
            let path = dir.path().join(name);
            let mut bytes = if name.ends_with("csv") {
                b"account,target,action\narta,1,cancel\narta,".to_vec()
            } else {
                b"{\"account\":\"arta\",\"target\":\"1\",\"action\":\"cancel\"}\n{\"account\":\""
                    .to_vec()
            };
            bytes.extend_from_slice(b"\xff\xfe,cancel\n");
            std::fs::write(&path, bytes).unwrap();
            let err = Input::stream(&path).unwrap_err();
            assert!(err.to_string().contains("is not UTF-8"), "{name}: {err}");
        }
    }
}
