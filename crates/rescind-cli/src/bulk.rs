//! `rescind bulk FILE`: many cancels and holds from a file, with a journal (see `rescind::bulk`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rescind::Registry;
use rescind::bulk::{
    self, Counts, Input, Journal, Options, Outcome, Progress, Report, RowResult, Runner,
};
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
}

/// The exit code of one row's result.
pub fn row_exit_code(row: &RowResult) -> u8 {
    match row.outcome {
        Outcome::Done => EXIT_DONE,
        Outcome::Refused => EXIT_REFUSED,
        Outcome::Invalid => EXIT_USAGE,
        Outcome::Unknown => EXIT_UNKNOWN,
        _ => match row.kind.as_deref() {
            Some("unauthorized" | "forbidden") => EXIT_AUTH,
            Some("not_found") => EXIT_NOT_FOUND,
            _ => EXIT_FAILED,
        },
    }
}

/// Runs the command; returns the exit code.
pub async fn run(args: Args, out: Output) -> u8 {
    let registry = match Registry::from_env() {
        Ok(r) => r,
        Err(err) => return output::print_error(&err, None, None, out),
    };
    let mut input = match Input::read(&args.file) {
        Ok(i) => i,
        Err(err) => return usage(&err.to_string(), "nothing was sent"),
    };
    input.check_accounts(&registry);
    for bad in &input.invalid {
        eprintln!("{}: line {}: {}", args.file.display(), bad.line, bad.reason);
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
    let journal = match Journal::open(&journal_path, &input) {
        Ok(j) => j,
        Err(err) => return usage(&err.to_string(), "nothing was sent"),
    };
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| bulk::default_report_path(&args.file));

    let mut options = Options::default().strict(args.strict);
    if let Some(n) = args.concurrency {
        options = options.concurrency(n);
    }
    let runner = Runner::new(registry).options(options);
    let stop = runner.stop_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "stopping: no new request is sent; requests in flight finish and are journaled (Ctrl-C again to quit now)"
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

fn usage(error: &str, hint: &str) -> u8 {
    eprintln!("error: {error}");
    eprintln!("hint: {hint}");
    EXIT_USAGE
}

#[derive(Serialize)]
struct Summary {
    counts: std::collections::BTreeMap<&'static str, usize>,
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
            for row in &report.rows {
                outln!("{}", serde_json::to_string(row).unwrap_or_default());
            }
            let summary = Summary {
                counts: counts.iter().map(|(o, n)| (o.as_str(), *n)).collect(),
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
            if !needs.is_empty() {
                outln!("{} row(s) need a person: {}", needs.len(), path.display());
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
                if needs.len() > 10 {
                    outln!("  ... and {} more in the report", needs.len() - 10);
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
        }
    }

    fn update(&mut self, p: &Progress<'_>) {
        let finished: usize = p.counts.values().sum();
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total as u64);
                bar.set_position(finished as u64);
                bar.set_message(counts_line(p.counts));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(2) => {
                self.last_line = Instant::now();
                let secs = self.started.elapsed().as_secs_f64().max(0.001);
                eprintln!(
                    "{finished}/{} rows ({:.1}/s): {}",
                    p.total,
                    finished as f64 / secs,
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
