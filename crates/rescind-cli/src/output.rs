//! What the CLI prints, and its exit codes.
//!
//! Everything for stdout goes through [`write_stdout`] (or the `outln!` macro): a closed pipe
//! (`rescind demo | head -1`) stops the printing quietly instead of panicking, and the command
//! still exits with its own code. Tables fit `--width`, `$COLUMNS` or the terminal, wrapping
//! the wide columns; on a pipe they are plain aligned columns. Lines never end in blanks.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};
use rescind::{
    CancelOutcome, CancelStatus, Error, ErrorKind, Observation, Provider, Refusal, Sent,
};
use serde::Serialize;
use serde_json::Value;

use crate::cli::Output;

/// How results are shown, beyond the [`Output`] format: set once by `main`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// `--width`.
    pub width: Option<u16>,
    /// `--show-private`.
    pub show_private: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets the display settings (once; later calls are ignored).
pub fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Set once stdout is found closed: nothing more is written to it.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout. A closed pipe is not an error for a command-line tool: the rest of
/// the output is dropped quietly. Another write error is reported once on stderr.
pub fn write_stdout(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            errln!("error: cannot write to stdout: {e}");
        }
    }
}

/// The width tables must fit: `--width`, else `$COLUMNS`, else the terminal's when stdout is
/// one; `None` (no limit) on a pipe or file.
pub fn table_width() -> Option<u16> {
    if let Some(w) = settings().width {
        return Some(w);
    }
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20)
    {
        return Some(w);
    }
    if std::io::stdout().is_terminal() {
        return console::Term::stdout()
            .size_checked()
            .map(|(_rows, cols)| cols)
            .filter(|w| *w >= 20);
    }
    None
}

/// Renders a table: columns two blanks apart, no borders, no trailing blanks.
///
/// Without a width (a pipe or a file) the columns are plain and aligned, never wrapped. With a
/// width: the table as it is when it fits; else with column `wrap` (the detail) wrapped when
/// the other columns leave it at least 20 columns; else one block per row, `name  value` lines
/// with the values wrapped, so that no line is wider than the width.
pub fn render_table(
    header: Option<Vec<&str>>,
    rows: Vec<Vec<String>>,
    wrap: Option<usize>,
) -> String {
    let Some(width) = table_width() else {
        return plain_table(header, rows, None, &[]);
    };
    let width = usize::from(width);
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain(header.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    let natural: Vec<usize> = (0..columns)
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i)).map(|c| text_width(c));
            let head = header
                .iter()
                .filter_map(|h| h.get(i))
                .map(|c| text_width(c));
            cells.chain(head).max().unwrap_or(0)
        })
        .collect();
    let gaps = 2 * columns.saturating_sub(1);
    if natural.iter().sum::<usize>() + gaps <= width {
        return plain_table(header, rows, None, &[]);
    }
    if let Some(w) = wrap {
        let others: usize = natural
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != w)
            .map(|(_, n)| n)
            .sum();
        if others + gaps + 20 <= width {
            let keep: Vec<usize> = (0..columns).filter(|i| *i != w).collect();
            return plain_table(header, rows, Some(width), &keep);
        }
    }
    match header {
        // Already `name  value` lines: wrap the values.
        None => plain_table(None, rows, Some(width), &[0]),
        Some(names) => {
            let blocks: Vec<String> = rows
                .into_iter()
                .map(|row| {
                    let lines = names
                        .iter()
                        .zip(row)
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, v)| vec![k.to_string(), v])
                        .collect();
                    plain_table(None, lines, Some(width), &[0])
                })
                .collect();
            blocks.join("\n")
        }
    }
}

/// `text` as lines that fit the table width (words never split, a longer word alone on its
/// line); unchanged without a width. Ends with a line break.
pub fn paragraph(text: &str) -> String {
    let Some(width) = table_width().map(usize::from) else {
        return format!("{text}\n");
    };
    let mut out = String::new();
    for source in text.lines() {
        let mut line = String::new();
        for word in source.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The columns a cell's widest line takes.
fn text_width(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// A comfy-table without borders: `keep` columns whole, the others wrapped to `width`.
fn plain_table(
    header: Option<Vec<&str>>,
    rows: Vec<Vec<String>>,
    width: Option<usize>,
    keep: &[usize],
) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    if let Some(h) = header {
        table.set_header(h);
    }
    for row in rows {
        table.add_row(row);
    }
    match width {
        Some(w) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(w).unwrap_or(u16::MAX));
            for &i in keep {
                if let Some(column) = table.column_mut(i) {
                    column.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let last = table.column_count().saturating_sub(1);
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, if i == last { 0 } else { 2 }));
    }
    let mut text = String::new();
    for line in table.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// What the redacted value reads as.
pub const REDACTED: &str = "<redacted: --show-private shows it>";

/// Replaces the values at `paths` (keys, `*` for any array element or key) with [`REDACTED`],
/// unless `--show-private` was given.
pub fn redact(value: &mut Value, paths: &[&[&str]]) {
    if settings().show_private {
        return;
    }
    for path in paths {
        redact_path(value, path);
    }
}

fn redact_path(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        if !value.is_null() {
            *value = Value::String(REDACTED.into());
        }
        return;
    };
    match (value, *first) {
        (Value::Array(items), "*") => items.iter_mut().for_each(|v| redact_path(v, rest)),
        (Value::Object(map), "*") => map.values_mut().for_each(|v| redact_path(v, rest)),
        (Value::Object(map), key) => {
            if let Some(v) = map.get_mut(key) {
                redact_path(v, rest);
            }
        }
        _ => {}
    }
}

/// A capability token for a table cell: itself with `--show-private`, else [`REDACTED`].
pub fn private_cell(value: Option<&str>) -> String {
    match value {
        None => String::new(),
        Some(v) if settings().show_private => v.to_string(),
        Some(_) => REDACTED.to_string(),
    }
}

/// Exit code: done (cancelled, held or already cancelled).
pub const EXIT_DONE: u8 = 0;
/// Exit code: refused by the provider's rules.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: bad usage or input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: authentication or permission.
pub const EXIT_AUTH: u8 = 3;
/// Exit code: not found.
pub const EXIT_NOT_FOUND: u8 = 4;
/// Exit code: transport or provider failure after retries.
pub const EXIT_FAILED: u8 = 5;
/// Exit code: the outcome is unknown; the change may have been applied.
pub const EXIT_UNKNOWN: u8 = 6;

/// The exit code for an error.
pub fn exit_code(err: &Error) -> u8 {
    if err.sent() == Sent::MaybeSent {
        return EXIT_UNKNOWN;
    }
    match err.kind() {
        ErrorKind::NotCancellable => EXIT_REFUSED,
        ErrorKind::InvalidInput
        | ErrorKind::Config
        | ErrorKind::UnknownAccount
        | ErrorKind::Unsupported => EXIT_USAGE,
        ErrorKind::Unauthorized | ErrorKind::Forbidden => EXIT_AUTH,
        ErrorKind::NotFound => EXIT_NOT_FOUND,
        _ => EXIT_FAILED,
    }
}

/// One line of advice for an error. It says "nothing was changed" only when the error proves
/// it: nothing was sent, or the provider refused with a documented refusal
/// ([`Sent::Answered`]). A change that may have been applied ([`Sent::MaybeSent`]) is never
/// "try again": the hint names the command that shows the target's state.
pub fn hint(err: &Error, provider: Option<Provider>, target: Option<&str>) -> Option<String> {
    let p = provider.map(|p| p.id()).unwrap_or("<provider>");
    if err.sent() == Sent::MaybeSent {
        let show = match (provider, target) {
            (Some(provider), Some(t)) => show_command(provider, t),
            _ => "the target's state".to_string(),
        };
        return Some(format!(
            "the change may have been applied: check with `{show}` before trying again"
        ));
    }
    let nothing_sent = err.sent() == Sent::NotSent;
    match err.kind() {
        ErrorKind::Unauthorized => Some(format!("check the {} credentials", p)),
        ErrorKind::Forbidden => Some("the account may not act on this target".into()),
        ErrorKind::NotCancellable => {
            Some("the provider's rules refuse this now; nothing was changed".into())
        }
        ErrorKind::RateLimited => {
            Some("the provider is throttling (nothing was changed): try again later".into())
        }
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::Timeout if nothing_sent => {
            Some("nothing was sent; try again later".into())
        }
        // A 5xx is an answer: "failed to answer" would misdescribe it. (Whether a change was
        // applied is the `Sent::MaybeSent` branch above; this one claims nothing about it.)
        ErrorKind::Server if err.sent() == Sent::Answered => {
            let who = provider.map(|p| p.name()).unwrap_or("the provider");
            Some(format!("{who} answered with an error; try again later"))
        }
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::Timeout => {
            Some("the provider failed to answer; try again later".into())
        }
        _ => None,
    }
}

/// The CLI command that shows `target`'s state at `provider`: `rescind di show <id>`,
/// `rescind skippay show <id>`, `rescind arta show-session <id>` for a hosted session (an
/// integer id) or `rescind arta show-shipment <id>` for a shipment (a UUID).
pub fn show_command(provider: Provider, target: &str) -> String {
    match provider {
        Provider::Arta if target.parse::<u64>().is_ok() => {
            format!("rescind arta show-session {target}")
        }
        Provider::Arta => format!("rescind arta show-shipment {target}"),
        Provider::Di => format!("rescind di show {target}"),
        Provider::SkipPay => format!("rescind skippay show {target}"),
        other => format!("rescind {} show {target}", other.id()),
    }
}

/// One result, as printed: stable field names for scripts. Every field is present on every
/// row, `null` when it does not apply.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `arta`, `di` or `skippay`.
    pub provider: String,
    /// What the row is about (a step of the demo); `null` for the provider commands.
    pub step: Option<String>,
    /// The target's id.
    pub target: String,
    /// `cancelled`, `partially_cancelled`, `already_cancelled`, `held`, or for errors
    /// `refused`, `invalid`, `unauthorized`, `not_found`, `failed`, `unknown`.
    pub outcome: String,
    /// The hold's last day, for `held`; `null` otherwise.
    pub until: Option<String>,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// A note or the error message.
    pub detail: Option<String>,
    /// For errors: whether the request reached the provider (`not_sent`, `answered`,
    /// `maybe_sent`); `null` on success.
    pub sent: Option<String>,
    /// For errors: the SDK's error kind (`not_cancellable`, `unknown_account`, ...: the
    /// stable names of `ErrorKind`); `null` on success.
    pub error_kind: Option<ErrorKind>,
    /// For refusals: the stable reason code (`in_transit`, `rejected`, `hold_window_passed`,
    /// `item_not_found`, ...: `Error::reason`), whoever refused (the provider or the SDK's
    /// check before sending); `null` otherwise.
    pub reason: Option<Refusal>,
    /// For errors: what to do or check next (the `hint:` line of the table output).
    pub hint: Option<String>,
    /// For outcomes: what proved it, `answer` (the provider's documented success or refusal)
    /// or `read_back` (the answer proved nothing; reading the target back showed it changed);
    /// `null` for errors.
    pub settled_by: Option<String>,
    /// For errors of unknown outcome: what the provider showed for the target before the
    /// change was sent, to compare with `show` later; `null` otherwise.
    pub observed_before: Option<Observation>,
    /// For cancels that succeeded: whether the target was already cancelled before this call
    /// (`true`), or this call cancelled it (`false`); `null` when that is not known (the
    /// change-first policy, where the provider answers both the same, e.g. Arta's 200) and
    /// for holds and errors.
    pub already_cancelled_before: Option<bool>,
    /// The exit code this result alone would give.
    pub exit_code: u8,
}

impl Row {
    /// A row for a result.
    pub fn from_result(
        provider: Provider,
        target: &str,
        result: &Result<CancelOutcome, Error>,
    ) -> Row {
        match result {
            Ok(outcome) => Row {
                provider: provider.id().into(),
                step: None,
                target: outcome.target.clone(),
                outcome: outcome.status.as_str().into(),
                until: match &outcome.status {
                    CancelStatus::Held { until: Some(d) } => Some(d.to_string()),
                    _ => None,
                },
                request_id: outcome.request_id.clone(),
                detail: outcome.note.clone(),
                sent: None,
                error_kind: None,
                reason: None,
                hint: None,
                settled_by: Some(outcome.settled_by.as_str().to_string()),
                observed_before: None,
                already_cancelled_before: match outcome.status {
                    CancelStatus::Held { .. } => None,
                    _ => outcome.already_cancelled_before,
                },
                exit_code: EXIT_DONE,
            },
            Err(err) => Row {
                provider: provider.id().into(),
                step: None,
                target: target.into(),
                outcome: error_outcome(err).into(),
                until: None,
                request_id: err.request_id().map(str::to_owned),
                detail: Some(message(err, Some(provider), Some(target))),
                sent: Some(err.sent().as_str().into()),
                error_kind: Some(err.kind()),
                reason: err.reason(),
                hint: hint(err, Some(provider), Some(target)),
                settled_by: None,
                observed_before: err.observed_before().cloned(),
                already_cancelled_before: None,
                exit_code: exit_code(err),
            },
        }
    }

    /// Names the step (the demo's rows).
    pub fn with_step(mut self, step: impl Into<String>) -> Row {
        self.step = Some(step.into());
        self
    }
}

fn error_outcome(err: &Error) -> &'static str {
    match exit_code(err) {
        EXIT_REFUSED => "refused",
        EXIT_USAGE => "invalid",
        EXIT_AUTH => "unauthorized",
        EXIT_NOT_FOUND => "not_found",
        EXIT_UNKNOWN => "unknown",
        _ => "failed",
    }
}

/// What the target is called at its provider, for messages.
fn noun(provider: Provider, target: Option<&str>) -> &'static str {
    match provider {
        // Hosted session ids are integers; shipment ids are UUIDs.
        Provider::Arta if target.is_some_and(|t| t.parse::<u64>().is_ok()) => "hosted session",
        Provider::Arta => "shipment",
        Provider::Di => "order",
        Provider::SkipPay => "application",
        _ => "target",
    }
}

/// `(HTTP 404, code X, request id Y)`: the facts to quote to the provider's support.
fn facts(err: &Error) -> String {
    let mut facts = Vec::new();
    if let Some(status) = err.status() {
        facts.push(format!("HTTP {status}"));
    }
    if let Some(code) = err.code() {
        facts.push(format!("code {code}"));
    }
    if let Some(id) = err.request_id() {
        facts.push(format!("request id {id}"));
    }
    if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    }
}

/// `1.5 s`, `30 s`, `2 min`.
fn seconds(d: std::time::Duration) -> String {
    if d.as_secs() >= 120 && d.as_secs().is_multiple_of(60) {
        format!("{} min", d.as_secs() / 60)
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// An error in the user's words: what was asked, what the provider said (its status, code and
/// request id), and whether the request may have been applied. Errors the provider did not
/// answer, and errors before sending, read as the SDK writes them.
pub fn message(err: &Error, provider: Option<Provider>, target: Option<&str>) -> String {
    let Some(p) = err.provider().or(provider) else {
        return without_operation(err);
    };
    let name = p.name();
    let thing = noun(p, target);
    let target = target.unwrap_or_default();
    let said = err
        .provider_message()
        .map(|m| format!("; {name} says: {m}"))
        .unwrap_or_default();
    let mut text = match (err.kind(), err.status()) {
        (ErrorKind::NotFound, Some(_)) => {
            format!("{name} has no {thing} {target}{}{said}", facts(err))
        }
        (ErrorKind::Server, Some(status)) => {
            let what = if status == 503 {
                "is unavailable"
            } else {
                "failed on its side"
            };
            format!("{name} {what}{}{said}", facts(err))
        }
        (ErrorKind::RateLimited, Some(_)) => {
            format!("{name} is throttling this account{}{said}", facts(err))
        }
        (ErrorKind::Unauthorized, Some(_)) => {
            format!("{name} refused the credentials{}{said}", facts(err))
        }
        (ErrorKind::Forbidden, Some(_)) => format!(
            "{name} does not let this account act on {thing} {target}{}{said}",
            facts(err)
        ),
        (ErrorKind::Timeout, _) => {
            let attempts = err.attempts();
            let tries = if attempts > 1 {
                format!(" in {attempts} attempts")
            } else {
                String::new()
            };
            format!(
                "{name} did not answer in time{tries} (--timeout and --retries set how long to wait)"
            )
        }
        _ => return without_operation(err),
    };
    if let Some(wait) = err.retry_after() {
        text.push_str(&format!(
            "; {name} asks to wait {} before trying again (Retry-After)",
            seconds(wait)
        ));
    }
    // Whether it may have been applied is the hint's to say (and `sent` in JSON).
    text
}

/// The error's text without the SDK's operation name (`Arta create_shipment_exception: ...`
/// reads `Arta: ...`): the user asked for a hold, not for an endpoint.
fn without_operation(err: &Error) -> String {
    let text = err.to_string();
    match (err.provider(), err.operation()) {
        (Some(p), Some(op)) => text.replacen(
            &format!("{} {op}: ", p.name()),
            &format!("{}: ", p.name()),
            1,
        ),
        _ => text,
    }
}

/// Prints rows: a table, or one JSON object per line.
pub fn print_rows(rows: &[Row], output: Output) {
    match output {
        Output::Json => {
            for row in rows {
                outln!("{}", serde_json::to_string(row).unwrap_or_default());
            }
        }
        Output::Table => {
            let with_step = rows.iter().any(|r| r.step.is_some());
            let mut header = Vec::new();
            if with_step {
                header.push("step");
            }
            header.extend(["provider", "target", "outcome", "request id", "detail"]);
            let detail = header.len() - 1;
            let cells = rows
                .iter()
                .map(|r| {
                    let mut cells = Vec::new();
                    if with_step {
                        cells.push(r.step.clone().unwrap_or_default());
                    }
                    let outcome = match &r.until {
                        Some(d) => format!("{} until {d}", r.outcome),
                        None => r.outcome.clone(),
                    };
                    cells.extend([
                        r.provider.clone(),
                        r.target.clone(),
                        outcome,
                        r.request_id.clone().unwrap_or_else(|| "-".into()),
                        r.detail.clone().unwrap_or_default(),
                    ]);
                    cells
                })
                .collect();
            write_stdout(&render_table(Some(header), cells, Some(detail)));
        }
    }
}

/// Prints a provider's native value (a `show` command). `private` lists the JSON paths of its
/// capability tokens, redacted unless `--show-private`.
pub fn print_value(
    value: &impl Serialize,
    summary: &[(&str, String)],
    private: &[&[&str]],
    output: Output,
) {
    match output {
        Output::Json => {
            let mut json = serde_json::to_value(value).unwrap_or_default();
            redact(&mut json, private);
            outln!("{json}");
        }
        Output::Table => {
            let rows = summary
                .iter()
                .map(|(k, v)| vec![k.to_string(), v.clone()])
                .collect();
            write_stdout(&render_table(None, rows, Some(1)));
        }
    }
}

/// Prints an error as one line plus a hint (stderr), or as JSON (stdout), and returns the
/// exit code.
pub fn print_error(
    err: &Error,
    provider: Option<Provider>,
    target: Option<&str>,
    output: Output,
) -> u8 {
    let code = exit_code(err);
    match output {
        Output::Json => {
            let row = Row {
                provider: provider.map(|p| p.id().to_string()).unwrap_or_default(),
                step: None,
                target: target.unwrap_or_default().into(),
                outcome: error_outcome(err).into(),
                until: None,
                request_id: err.request_id().map(str::to_owned),
                detail: Some(message(err, provider, target)),
                sent: Some(err.sent().as_str().into()),
                error_kind: Some(err.kind()),
                reason: err.reason(),
                hint: hint(err, provider, target),
                settled_by: None,
                observed_before: err.observed_before().cloned(),
                already_cancelled_before: None,
                exit_code: code,
            };
            outln!("{}", serde_json::to_string(&row).unwrap_or_default());
        }
        Output::Table => {
            errln!("error: {}", message(err, provider, target));
            if let Some(h) = hint(err, provider, target) {
                errln!("hint: {h}");
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_kind_and_sent() {
        let table = [
            (
                Error::not_cancellable(Sent::Answered, "in transit"),
                EXIT_REFUSED,
            ),
            (Error::invalid_input("id", "must be digits"), EXIT_USAGE),
            (Error::config("missing ARTA_API_KEY"), EXIT_USAGE),
            (
                Error::unsupported(Provider::Arta, "item cancels"),
                EXIT_USAGE,
            ),
            (
                Error::new(ErrorKind::Unauthorized, Sent::Answered, ""),
                EXIT_AUTH,
            ),
            (
                Error::new(ErrorKind::Forbidden, Sent::Answered, ""),
                EXIT_AUTH,
            ),
            (
                Error::new(ErrorKind::NotFound, Sent::Answered, ""),
                EXIT_NOT_FOUND,
            ),
            (
                Error::new(ErrorKind::Server, Sent::Answered, ""),
                EXIT_FAILED,
            ),
            (
                Error::new(ErrorKind::Transport, Sent::NotSent, ""),
                EXIT_FAILED,
            ),
            (
                Error::new(ErrorKind::Timeout, Sent::MaybeSent, ""),
                EXIT_UNKNOWN,
            ),
            (
                Error::new(ErrorKind::Server, Sent::MaybeSent, ""),
                EXIT_UNKNOWN,
            ),
        ];
        for (err, code) in table {
            assert_eq!(exit_code(&err), code, "{err:?}");
        }
    }

    #[test]
    fn messages_say_what_was_asked_and_what_the_provider_said() {
        let not_found = Error::new(ErrorKind::NotFound, Sent::Answered, "not found")
            .with_provider(Provider::Arta)
            .with_operation("get_hosted_session")
            .with_status(404)
            .with_request_id("req-7");
        assert_eq!(
            message(&not_found, Some(Provider::Arta), Some("42")),
            "Arta has no hosted session 42 (HTTP 404, request id req-7)"
        );
        let unavailable = Error::new(ErrorKind::Server, Sent::Answered, "error body is not JSON")
            .with_provider(Provider::SkipPay)
            .with_status(503)
            .with_retry_after(Some(std::time::Duration::from_secs(30)));
        let text = message(&unavailable, Some(Provider::SkipPay), Some("11200a0ee1"));
        assert!(
            text.starts_with("Skip Pay is unavailable (HTTP 503)"),
            "{text}"
        );
        assert!(text.contains("wait 30 s before trying again"), "{text}");
        assert!(!text.contains("JSON"), "{text}");
        // Before sending, the SDK's own words.
        let invalid = Error::invalid_input("--until", "must be a date");
        assert_eq!(
            message(&invalid, Some(Provider::Arta), None),
            invalid.to_string()
        );
    }

    /// "nothing was changed" only where the error proves it; a change that may have been
    /// applied always points at the `show` command.
    #[test]
    fn hints_never_claim_an_unproven_no_change() {
        let cases = [
            (ErrorKind::Server, Sent::MaybeSent, false),
            (ErrorKind::Decode, Sent::MaybeSent, false),
            (ErrorKind::Timeout, Sent::MaybeSent, false),
            (ErrorKind::Transport, Sent::MaybeSent, false),
            (ErrorKind::Server, Sent::Answered, false),
            (ErrorKind::Timeout, Sent::Answered, false),
            (ErrorKind::NotCancellable, Sent::Answered, true),
            (ErrorKind::NotCancellable, Sent::NotSent, true),
            (ErrorKind::RateLimited, Sent::Answered, true),
        ];
        for (kind, sent, may_say_nothing_changed) in cases {
            let err = Error::new(kind, sent, "x");
            let text = hint(&err, Some(Provider::Di), Some("70724760000000101")).unwrap();
            if !may_say_nothing_changed {
                assert!(
                    !text.contains("nothing was changed"),
                    "{kind:?} {sent:?}: {text}"
                );
            }
            if sent == Sent::MaybeSent {
                assert_eq!(
                    text,
                    "the change may have been applied: check with `rescind di show 70724760000000101` before trying again"
                );
            }
        }
        let err = Error::new(ErrorKind::Transport, Sent::NotSent, "refused");
        assert_eq!(
            hint(&err, Some(Provider::Di), None).as_deref(),
            Some("nothing was sent; try again later")
        );
    }

    #[test]
    fn json_rows_carry_the_error_kind_and_the_refusal_reason() {
        let refused: Result<CancelOutcome, Error> =
            Err(Error::not_cancellable(Sent::NotSent, "in transit")
                .with_reason(Refusal::InTransit)
                .with_provider(Provider::Di));
        let row = serde_json::to_value(Row::from_result(Provider::Di, "1", &refused)).unwrap();
        assert_eq!(row["error_kind"], "not_cancellable", "{row}");
        assert_eq!(row["reason"], "in_transit", "{row}");
        let account: Result<CancelOutcome, Error> = Err(Error::new(
            ErrorKind::UnknownAccount,
            Sent::NotSent,
            "no account named `x`",
        ));
        let row = serde_json::to_value(Row::from_result(Provider::Di, "1", &account)).unwrap();
        assert_eq!(row["error_kind"], "unknown_account", "{row}");
        assert!(row["reason"].is_null(), "{row}");
        assert_eq!(row["exit_code"], EXIT_USAGE);
        let done: Result<CancelOutcome, Error> = Ok(CancelOutcome::new(
            Provider::Di,
            "1",
            CancelStatus::Cancelled,
        ));
        let row = serde_json::to_value(Row::from_result(Provider::Di, "1", &done)).unwrap();
        assert!(
            row["error_kind"].is_null() && row["reason"].is_null(),
            "{row}"
        );
    }

    #[test]
    fn redaction_follows_paths_through_arrays() {
        let mut v = serde_json::json!({
            "private_token": "tok",
            "order": {"documents": [{"file": {"url": "https://x/doc?sig=1"}}, {"file": null}]},
            "url": null
        });
        redact(
            &mut v,
            &[
                &["private_token"],
                &["url"],
                &["order", "documents", "*", "file", "url"],
            ],
        );
        assert_eq!(v["private_token"], REDACTED);
        assert_eq!(v["order"]["documents"][0]["file"]["url"], REDACTED);
        assert!(v["order"]["documents"][1]["file"].is_null());
        assert!(v["url"].is_null(), "absent stays absent");
    }

    #[test]
    fn show_commands_name_the_real_subcommands() {
        assert_eq!(
            show_command(Provider::Arta, "42"),
            "rescind arta show-session 42"
        );
        assert_eq!(
            show_command(Provider::Arta, "6b12c76a-5217-4cd6-82d8-7aa5265ebaad"),
            "rescind arta show-shipment 6b12c76a-5217-4cd6-82d8-7aa5265ebaad"
        );
        assert_eq!(show_command(Provider::Di, "1"), "rescind di show 1");
        assert_eq!(
            show_command(Provider::SkipPay, "a"),
            "rescind skippay show a"
        );
    }
}
