//! `rescind bulk FILE`: many cancels and holds from a file, with a journal (see `rescind::bulk`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rescind::ErrorKind;
use rescind::Registry;
use rescind::bulk::{
    self, Counts, Input, Journal, Options, Outcome, Progress, Report, RowResult, Runner,
};
use rescind::core::Prediction;
use serde::Serialize;

use crate::cli::Output;
use crate::output::{
    self, EXIT_AUTH, EXIT_DONE, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNKNOWN, EXIT_USAGE,
};

/// Exit code when Ctrl-C stopped the run (128 + SIGINT, as shells do).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The command's arguments.
#[derive(Debug)]
pub struct Args {
    /// The input file.
    pub file: PathBuf,
    /// The journal's path, if not the default.
    pub journal: Option<PathBuf>,
    /// The report's path, if not the default.
    pub report: Option<PathBuf>,
    /// Send nothing if any row is invalid.
    pub strict: bool,
    /// Rows in flight per account.
    pub concurrency: Option<usize>,
    /// Targets (`TARGET` or `ACCOUNT:TARGET`) sent although the journal holds another change.
    pub resend_changed: Vec<String>,
    /// The in-flight horizon, if not the default.
    pub in_flight_horizon: Option<Duration>,
    /// Leave rows in flight pending instead of waiting for them.
    pub no_wait: bool,
    /// Send nothing: predict every row (`--plan`).
    pub plan: bool,
    /// How many requests a row spends (`--policy`, default change first).
    pub policy: rescind::core::Policy,
}

/// Reads a duration such as `5m`, `90s`, `1h 30m` or `0s` (jiff's friendly format, or ISO 8601
/// such as `PT5M`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d: rescind::core::jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|e| format!("`{text}` is not a duration such as 5m, 90s or 0s ({e})"))?;
    Duration::try_from(d).map_err(|_| format!("`{text}` must not be negative"))
}

/// The exit code of one row's result.
pub fn row_exit_code(row: &RowResult) -> u8 {
    match row.outcome {
        Outcome::Done => EXIT_DONE,
        Outcome::Refused => EXIT_REFUSED,
        Outcome::Invalid | Outcome::Conflict => EXIT_USAGE,
        Outcome::Unknown => EXIT_UNKNOWN,
        Outcome::Pending if row.decide_after.is_some() => EXIT_UNKNOWN,
        _ => match row.kind {
            Some(ErrorKind::Unauthorized | ErrorKind::Forbidden) => EXIT_AUTH,
            Some(ErrorKind::NotFound) => EXIT_NOT_FOUND,
            _ => EXIT_FAILED,
        },
    }
}

/// The exit code the cancel would give, for a prediction (`--dry-run`, `--plan`): 0 for a
/// change or nothing left to do, 1 refused by the rules, 2 invalid (hold window passed, item
/// not found, a quantity above what is left), 4 not found, 6 unknown.
pub fn prediction_exit_code(p: &Prediction) -> u8 {
    match p.error_kind() {
        Some(ErrorKind::NotCancellable) => EXIT_REFUSED,
        Some(ErrorKind::InvalidInput) => EXIT_USAGE,
        Some(ErrorKind::NotFound) => EXIT_NOT_FOUND,
        Some(_) => EXIT_FAILED,
        None if matches!(p, Prediction::Unknown { .. }) => EXIT_UNKNOWN,
        None => EXIT_DONE,
    }
}

/// The exit code of one row of a plan: the code a run would give; a row pending in the
/// journal counts as unknown (a run decides it by reading back).
fn plan_row_exit_code(row: &RowResult) -> u8 {
    match row.outcome {
        Outcome::Pending => EXIT_UNKNOWN,
        _ => row_exit_code(row),
    }
}

/// Whether `a` and `b` name one file, however spelled (`./`, `dir/../`, a symbolic link); a
/// file not created yet is compared by its directory and name.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    fn resolved(p: &std::path::Path) -> Option<PathBuf> {
        if let Ok(p) = p.canonicalize() {
            return Some(p);
        }
        let name = p.file_name()?;
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        Some(parent.canonicalize().ok()?.join(name))
    }
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Why the input, the journal and the report cannot be these paths: the report is rewritten
/// at the end of a run, and would replace the input (the operator's rows) or the journal (what
/// was sent); a journal on the input would append records to it.
fn path_clash(
    input: &std::path::Path,
    journal: &std::path::Path,
    report: &std::path::Path,
) -> Option<String> {
    if same_file(report, input) {
        return Some(format!(
            "the report {} is the input file: writing it would replace the rows",
            report.display()
        ));
    }
    if same_file(report, journal) {
        return Some(format!(
            "the report {} is the journal: writing it would replace the record of what was sent",
            report.display()
        ));
    }
    if same_file(journal, input) {
        return Some(format!(
            "the journal {} is the input file: the journal needs its own file",
            journal.display()
        ));
    }
    None
}

/// Runs the command; returns the exit code.
pub async fn run(args: Args, out: Output) -> u8 {
    if args.plan {
        return run_plan(args, out).await;
    }
    let registry = match Registry::from_env() {
        Ok(r) => r,
        Err(err) => return output::print_error(&err, None, None, out),
    };
    let mut input = match Input::stream(&args.file) {
        Ok(i) => i,
        Err(err) => return usage(&err.to_string(), "nothing was sent"),
    };
    input.check_accounts(&registry);
    // Every invalid row, read back one at a time past the first ones (`InvalidRows`).
    for bad in input.invalid.iter() {
        match bad {
            Ok(bad) => eprintln!("{}: line {}: {}", args.file.display(), bad.line, bad.reason),
            Err(err) => eprintln!("error: {err}"),
        }
    }
    if input.invalid.omitted() > 0 {
        // Past the first thousand, the reasons say more than the lines scrolled by.
        eprintln!("{} invalid row(s), by reason:", input.invalid.len());
        for (reason, n) in input.invalid.by_reason() {
            eprintln!("  {n} × {reason}");
        }
    }
    if args.strict && !input.invalid.is_empty() {
        return usage(
            &format!("{} invalid row(s) and --strict", input.invalid.len()),
            "nothing was sent; fix the rows above",
        );
    }
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| bulk::default_journal_path(&args.file));
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| bulk::default_report_path(&args.file));
    if let Some(clash) = path_clash(&args.file, &journal_path, &report_path) {
        return usage(&clash, "nothing was sent; give each file its own path");
    }
    let journal = match Journal::open(&journal_path, &input) {
        Ok(j) => j,
        Err(err) => return usage(&err.to_string(), "nothing was sent"),
    };
    if let Some(done) = journal.already_done(&input) {
        eprintln!(
            "note: {done} ({}); they are not sent again",
            journal_path.display()
        );
    }

    let runner = Runner::new(registry).options(options(&args).wait_in_flight(!args.no_wait));
    let stop = runner.stop_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "stopping: no new request is sent; requests in flight finish and are journaled; rows waiting for a lost answer stay pending (Ctrl-C again to quit now)"
            );
            stop.stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });

    let mut display = Display::new();
    let result = runner.run(input, journal, |p| display.update(p)).await;
    display.finish();
    let report = match result {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            eprintln!(
                "hint: the rows sent so far are settled by the next run with the same journal"
            );
            return EXIT_FAILED;
        }
    };
    if let Err(err) = report.write_needs_person(&report_path) {
        eprintln!("error: {err}");
    }
    summarize(&report, &journal_path, &report_path, out)
}

/// The runner's options from the command line, one rule for a run and its plan (a plan
/// predicts `decide_after` with the same in-flight horizon the run would use).
fn options(args: &Args) -> Options {
    let mut options = Options::default()
        .policy(args.policy)
        .strict(args.strict)
        .resend_changed(args.resend_changed.clone());
    if let Some(n) = args.concurrency {
        options = options.concurrency(n);
    }
    if let Some(h) = args.in_flight_horizon {
        options = options.in_flight_horizon(h);
    }
    options
}

fn usage(error: &str, hint: &str) -> u8 {
    eprintln!("error: {error}");
    eprintln!("hint: {hint}");
    EXIT_USAGE
}

#[derive(Serialize)]
struct Summary {
    counts: std::collections::BTreeMap<&'static str, usize>,
    /// Rows carried over as done from earlier runs, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    already_done: Option<String>,
    /// Rows left pending while their answer may still be in flight.
    in_flight: usize,
    stopped: bool,
    journal: String,
    report: String,
    exit_code: u8,
}

fn summarize(
    report: &Report,
    journal: &std::path::Path,
    path: &std::path::Path,
    out: Output,
) -> u8 {
    let code = if report.stopped {
        EXIT_INTERRUPTED
    } else {
        report
            .rows
            .iter()
            .map(row_exit_code)
            .max()
            .unwrap_or(EXIT_DONE)
    };
    let counts = report.counts();
    match out {
        Output::Json => {
            for row in report.rows_in_full() {
                match row {
                    Ok(row) => outln!("{}", serde_json::to_string(&row).unwrap_or_default()),
                    Err(err) => eprintln!("error: {err}"),
                }
            }
            let summary = Summary {
                counts: counts.iter().map(|(o, n)| (o.as_str(), *n)).collect(),
                already_done: report.already_done.map(|d| d.to_string()),
                in_flight: report.in_flight().count(),
                stopped: report.stopped,
                journal: journal.display().to_string(),
                report: path.display().to_string(),
                exit_code: code,
            };
            outln!("{}", serde_json::json!({ "summary": summary }));
        }
        Output::Table => {
            outln!("{}", counts_line(&counts));
            let needs: Vec<&RowResult> = report.needs_person().collect();
            // The invalid rows the report left out need a person too (they come after the
            // first thousand invalid ones, so after the ten shown).
            let needs_count = needs.len() + report.invalid_omitted;
            if needs_count > 0 {
                outln!("{} row(s) need a person: {}", needs_count, path.display());
                for r in needs.iter().take(10) {
                    outln!(
                        "  line {}: {} {}: {}: {}",
                        r.line,
                        r.account,
                        r.target,
                        r.outcome,
                        r.detail
                    );
                }
                if needs_count > 10 {
                    outln!("  ... and {} more in the report", needs_count - 10);
                }
            }
            let in_flight: Vec<&RowResult> = report.in_flight().collect();
            if !in_flight.is_empty() {
                outln!(
                    "{} row(s) pending: their answer was lost and they may still be in flight; run the same command again after the time shown to decide them",
                    in_flight.len()
                );
                for r in in_flight.iter().take(10) {
                    if let Some(t) = r.decide_after {
                        outln!(
                            "  line {}: {} {}: decide after {t}",
                            r.line,
                            r.account,
                            r.target
                        );
                    }
                }
            }
            outln!("journal: {}", journal.display());
            if report.stopped {
                outln!("stopped: run the same command again to continue");
            }
        }
    }
    code
}

fn counts_line(counts: &Counts) -> String {
    counts
        .iter()
        .map(|(o, n)| format!("{o} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A progress bar on a terminal; otherwise a plain line every few seconds.
struct Display {
    bar: Option<ProgressBar>,
    last_line: Instant,
    started: Instant,
    /// Rows an earlier run finished (reported at the start): not this run's throughput.
    earlier: usize,
}

impl Display {
    fn new() -> Display {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} rows, {per_sec} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Display {
            bar,
            last_line: Instant::now(),
            started: Instant::now(),
            earlier: 0,
        }
    }

    fn update(&mut self, p: &Progress<'_>) {
        if let Some(w) = p.waiting {
            let line = format!(
                "waiting for {} row(s) whose answer was lost until {} (they may still be in flight; Ctrl-C leaves them pending)",
                w.rows, w.until
            );
            match &self.bar {
                Some(bar) => bar.set_message(line),
                None => eprintln!("{line}"),
            }
            return;
        }
        if p.last.earlier_run {
            self.earlier += 1;
        }
        let finished: usize = p.counts.values().sum();
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total as u64);
                bar.set_position(finished as u64);
                if p.last.earlier_run {
                    // Rows an earlier run finished are not this run's rate.
                    bar.reset_eta();
                }
                bar.set_message(counts_line(p.counts));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(2) => {
                self.last_line = Instant::now();
                let secs = self.started.elapsed().as_secs_f64().max(0.001);
                eprintln!(
                    "{finished}/{} rows ({:.1}/s): {}",
                    p.total,
                    finished.saturating_sub(self.earlier) as f64 / secs,
                    counts_line(p.counts)
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// `rescind bulk FILE --plan`: reads every target, predicts, sends nothing, writes no intent.
async fn run_plan(args: Args, out: Output) -> u8 {
    let registry = match Registry::from_env() {
        Ok(r) => r,
        Err(err) => return output::print_error(&err, None, None, out),
    };
    let input = match Input::stream(&args.file) {
        Ok(i) => i,
        Err(err) => return usage(&err.to_string(), "nothing was read"),
    };
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| bulk::default_journal_path(&args.file));
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| bulk::default_plan_path(&args.file));
    let run_report = bulk::default_report_path(&args.file);
    let clash = if same_file(&report_path, &run_report) {
        Some(format!(
            "the plan's report {} is the run's report",
            report_path.display()
        ))
    } else {
        path_clash(&args.file, &journal_path, &report_path)
    };
    if let Some(clash) = clash {
        return usage(
            &clash,
            "a plan never writes over the run's report, the journal or the input: choose another path, or leave --report out (FILE.plan.csv)",
        );
    }
    let journal = match Journal::read_only(&journal_path) {
        Ok(j) => j,
        Err(err) => return usage(&err.to_string(), "nothing was read"),
    };
    if let Some(done) = journal.already_done(&input) {
        eprintln!(
            "note: {done} ({}); a run does not send them again",
            journal_path.display()
        );
    }
    let runner = Runner::new(registry).options(options(&args));
    let stop = runner.stop_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.stop();
        }
    });
    let mut display = Display::new();
    let result = runner.plan(input, &journal, |p| display.update(p)).await;
    display.finish();
    let report = match result {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    if let Err(err) = write_plan(&report, &report_path) {
        eprintln!("error: the plan's report {}: {err}", report_path.display());
    }
    let code = if report.stopped {
        EXIT_INTERRUPTED
    } else {
        report
            .rows
            .iter()
            .map(plan_row_exit_code)
            .max()
            .unwrap_or(EXIT_DONE)
    };
    let per_prediction = plan_counts(&report);
    match out {
        Output::Json => {
            // Every row, the invalid ones the plan did not keep read back one at a time.
            for row in report.rows_in_full() {
                match row {
                    Ok(row) => outln!("{}", serde_json::to_string(&row).unwrap_or_default()),
                    Err(err) => eprintln!("error: {err}"),
                }
            }
            let summary = serde_json::json!({
                "plan": true,
                "predictions": per_prediction,
                "counts": report.counts().iter().map(|(o, n)| (o.as_str(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
                "report": report_path.display().to_string(),
                "exit_code": code,
            });
            outln!("{summary}");
        }
        Output::Table => {
            outln!(
                "plan: nothing was sent; {} row(s)",
                report.rows.len() + report.invalid_omitted
            );
            let width = per_prediction.keys().map(|k| k.len()).max().unwrap_or(0);
            for (name, n) in &per_prediction {
                outln!("  {name:<width$}  {n:>6}");
            }
            // The first 20 odd rows by line (the invalid rows the plan did not keep read
            // back), and how many there are: every invalid row is odd.
            let odd_count =
                report.rows.iter().filter(|r| !plain(r)).count() + report.invalid_omitted;
            let odd: Vec<RowResult> = report
                .rows_in_full()
                .filter_map(Result::ok)
                .filter(|r| !plain(r))
                .take(20)
                .collect();
            if odd_count > 0 {
                outln!("{} row(s) would not simply go through:", odd_count);
                for r in odd.iter() {
                    // A prediction's detail starts with its own words ("refused (in_transit):").
                    let what = match &r.prediction {
                        Some(_) => r.detail.clone(),
                        None => format!("{}: {}", plan_label(r), r.detail),
                    };
                    outln!("  line {:>5}  {} {}  {what}", r.line, r.account, r.target);
                }
                if odd_count > 20 {
                    outln!("  ... and {} more in the report", odd_count - 20);
                }
            }
            outln!("report: {}", report_path.display());
        }
    }
    code
}

/// A row that would simply go through: a change the rules allow, sent now.
fn plain(r: &RowResult) -> bool {
    r.prediction.as_ref().is_some_and(Prediction::changes)
}

/// The plan's name for a row: its prediction, or what the journal or the checks say.
fn plan_label(r: &RowResult) -> String {
    match &r.prediction {
        Some(p) => p.as_str().to_string(),
        None if r.earlier_run => format!("{} (journal)", r.outcome),
        None => r.outcome.as_str().to_string(),
    }
}

/// Rows per plan label, in a stable order.
fn plan_counts(report: &Report) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in &report.rows {
        *counts.entry(plan_label(r)).or_insert(0) += 1;
    }
    // The invalid rows the plan did not keep ([`Report::invalid_omitted`]).
    if report.invalid_omitted > 0 {
        *counts
            .entry(Outcome::Invalid.as_str().to_string())
            .or_insert(0) += report.invalid_omitted;
    }
    counts
}

/// Every row of the plan to `path`: CSV
/// (`line,key,account,target,action,prediction,outcome,kind,reason`), or a JSON array for a
/// `.json` name.
fn write_plan(report: &Report, path: &std::path::Path) -> Result<(), String> {
    use std::io::Write as _;
    // Written row by row (the invalid rows the plan did not keep read back), without holding
    // the rows or the text.
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        // The caller names the report's path already: the message alone, as for a CSV.
        return rescind::bulk::write_rows_json(path, report.rows_in_full()).map_err(|e| match e {
            rescind::bulk::BulkError::Report { message, .. } => message,
            other => other.to_string(),
        });
    }
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut w = std::io::BufWriter::new(file);
    let io = |e: std::io::Error| e.to_string();
    w.write_all(b"line,key,account,target,action,prediction,outcome,kind,reason\n")
        .map_err(io)?;
    for r in report.rows_in_full() {
        let r = r.map_err(|e| e.to_string())?;
        let fields = [
            r.line.to_string(),
            r.key.clone().unwrap_or_default(),
            r.account.clone(),
            r.target.clone(),
            r.action.clone(),
            plan_label(&r),
            r.outcome.as_str().to_string(),
            r.kind.map_or("", ErrorKind::as_str).to_string(),
            r.detail.clone(),
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        w.write_all(cells.join(",").as_bytes()).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
    }
    w.flush().map_err(io)
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
