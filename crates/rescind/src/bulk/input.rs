//! The input file: rows of CSV or JSON Lines, each validated alone, with its line number.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
    /// The rows that can be sent, in input order.
    pub rows: Vec<Row>,
    /// The rows that cannot, in input order.
    pub invalid: Vec<InvalidRow>,
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

impl Input {
    /// Reads `path`: CSV when its name ends in `.csv`, JSON Lines when in `.jsonl`, `.ndjson`
    /// or `.json`, otherwise JSON Lines if the first non-blank character is `{`, else CSV.
    ///
    /// A file that cannot be read as a whole (missing, not UTF-8, a CSV without the `account`,
    /// `target` and `action` columns or with an unknown column, empty, no rows at all) is an error; a
    /// row that breaks a rule is an [`InvalidRow`] and the others stay valid.
    pub fn read(path: &Path) -> Result<Input, BulkError> {
        let bytes = std::fs::read(path).map_err(|e| BulkError::input_io(path, e))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| BulkError::input(path, format!("is not UTF-8 text ({e})")))?;
        // A byte order mark is not part of the first line (and not part of its first field).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let sha256 = hex(&Sha256::digest(&bytes));
        let name = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let jsonl = match name {
            "csv" => false,
            "jsonl" | "ndjson" | "json" => true,
            _ => text.trim_start().starts_with('{'),
        };
        if text.trim().is_empty() {
            return Err(BulkError::input(
                path,
                "is empty: give a CSV header (account,target,action,items,until) and rows, or JSON Lines",
            ));
        }
        let raw = if jsonl {
            read_jsonl(text)
        } else {
            read_csv(text).map_err(|m| BulkError::input(path, m))?
        };
        if raw.is_empty() {
            return Err(BulkError::input(path, "has no rows"));
        }
        let mut rows = Vec::new();
        let mut invalid = Vec::new();
        for (line, parsed) in raw {
            let (account, target, action) = match &parsed {
                Ok(r) => (
                    r.account.clone().unwrap_or_default(),
                    r.target.clone().unwrap_or_default(),
                    r.action.clone().unwrap_or_default(),
                ),
                Err(_) => Default::default(),
            };
            match parsed.and_then(to_row) {
                Ok(row) => rows.push(row.with_line(line)),
                Err(reason) => invalid.push(InvalidRow {
                    line,
                    key: None,
                    account: shown(&account),
                    target: shown(&target),
                    action: shown(&action),
                    reason,
                }),
            }
        }
        let mut input = Input {
            path: path.to_path_buf(),
            sha256,
            rows: Vec::new(),
            invalid,
        };
        input.add_unique(rows);
        Ok(input)
    }

    /// Rows built by a program: each keeps its [key](Row::key); a row without a line gets its
    /// position (1-based). A second row for the same account and target is invalid, as in a
    /// file. [`Input::sha256`] hashes the rows' identities.
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
            invalid: Vec::new(),
        };
        input.add_unique(rows);
        input
    }

    /// Keeps the first row per account and target; later ones are invalid.
    fn add_unique(&mut self, rows: Vec<Row>) {
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        for row in rows {
            let key = (row.account.clone(), row.target.clone());
            if let Some(first) = seen.get(&key) {
                let reason = format!(
                    "same account and target as line {first}: one row per target (put every item of an order in one row)"
                );
                self.invalid.push(InvalidRow::of(row, reason));
            } else {
                seen.insert(key, row.line);
                self.rows.push(row);
            }
        }
        self.invalid.sort_by_key(|r| r.line);
    }

    /// Moves to [`Input::invalid`] every row whose account is not in `registry`, whose action
    /// the account's provider does not offer, or that breaks a rule of the provider that needs
    /// no network ([`Canceller::check`]: the target's form, item selectors, quantities such as
    /// `0`, `-1`, `0.001` or `1.2345` at Skip Pay). Nothing is sent: a run checks every row
    /// this way before its first request.
    ///
    /// [`Canceller::check`]: rescind_core::Canceller::check
    pub fn check_accounts(&mut self, registry: &Registry) {
        let rows = std::mem::take(&mut self.rows);
        for row in rows {
            let problem = match registry.account(&row.account) {
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
            };
            match problem {
                Some(reason) => self.invalid.push(InvalidRow::of(row, reason)),
                None => self.rows.push(row),
            }
        }
        self.invalid.sort_by_key(|r| r.line);
    }
}

type RawLines = Vec<(u64, Result<RawRow, String>)>;

fn read_jsonl(text: &str) -> RawLines {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let parsed =
                serde_json::from_str::<RawRow>(l).map_err(|e| format!("is not a JSON row: {e}"));
            (i as u64 + 1, parsed)
        })
        .collect()
}

fn read_csv(text: &str) -> Result<RawLines, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("has no CSV header: {e}"))?
        .clone();
    for h in &headers {
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
    let mut out = Vec::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.at(p.byte()));
                let raw = record
                    .deserialize::<CsvRow>(Some(&headers))
                    .map_err(|e| format!("cannot be read: {e}"))
                    .map(|r| RawRow {
                        account: r.account.or(r.provider),
                        target: r.target,
                        action: r.action,
                        items: r.items.map(RawItems::Text),
                        until: r.until,
                    });
                out.push((line, raw));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                out.push((line, Err(format!("is not a CSV row: {e}"))));
            }
        }
    }
    Ok(out)
}

/// The file's own line numbers (1-based) of byte offsets met in increasing order: the `\n`s
/// before the offset, plus one. The same with LF and CRLF line ends (a CSV reader's own line
/// count differs between them). Counts each byte once over a whole file.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // A CSV reader skips blank lines and gives the offset where they start.
        while end < self.text.len() && matches!(self.text[end], b'\r' | b'\n') {
            end += 1;
        }
        if end < self.offset {
            // Not expected (offsets only grow); count again from the start.
            self.offset = 0;
            self.line = 1;
        }
        self.line += self.text[self.offset..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.offset = end;
        self.line
    }
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
        assert_eq!(input.invalid[0].line, 3);
        assert!(
            input.invalid[0].reason.contains("colour"),
            "{:?}",
            input.invalid
        );
        assert_eq!(input.invalid[1].line, 4);
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
                let bad: Vec<u64> = input.invalid.iter().map(|r| r.line).collect();
                // The quoted field spans lines 3 and 4; the blank line 6 is no row.
                assert_eq!(valid, [2, 3, 7], "{end:?} {bom:?}: {:?}", input.invalid);
                assert_eq!(bad, [5, 8], "{end:?} {bom:?}");
                assert_eq!(input.rows[0].account, "arta", "{bom:?}");

                let text = format!("{bom}{}{end}", jsonl.join(end));
                let input = read("rows.jsonl", &text).unwrap();
                let valid: Vec<u64> = input.rows.iter().map(|r| r.line).collect();
                let bad: Vec<u64> = input.invalid.iter().map(|r| r.line).collect();
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
}
