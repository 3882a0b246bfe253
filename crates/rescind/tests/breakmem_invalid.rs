//! Issue 17 seen by a new user (breakmem): the invalid rows of a bulk input in memory that
//! does not grow with their number (`InvalidRows`: the first 1,000 kept, counts per reason,
//! the rest in a temporary file). Rows in line order across the kept/spilled boundary, with
//! the rows the accounts refuse merged in; counts per reason exact; duplicates; CRLF and a
//! byte order mark; clones; the temporary file gone after the last clone is dropped.

use std::collections::BTreeMap;
use std::path::Path;

use rescind::Registry;
use rescind::bulk::{Input, InvalidRows, Journal, Options, Outcome, Runner};

/// A registry of the three demo accounts, its clients pointed at a closed port: checking rows
/// needs no network.
fn registry() -> Registry {
    let env = rescind_sim::demo_env("http://127.0.0.1:9");
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    Registry::builder().from_vars(&lookup).unwrap()
}

fn counts(input: &Input) -> BTreeMap<String, usize> {
    input.invalid.by_reason().clone()
}

/// Lines of every invalid row, read back.
fn lines(input: &Input) -> Vec<u64> {
    input.invalid.iter().map(|r| r.unwrap().line).collect()
}

/// 3,000 rows interleaved: a valid one, one invalid when read (unknown action), one whose
/// account does not exist (refused by `check_accounts`), one whose Di target is not digits
/// (refused by the provider's rule), line after line. After checking the accounts, the
/// invalid rows are in line order across the kept/spilled boundary and counted exactly.
#[test]
fn refused_and_invalid_rows_interleave_in_line_order_across_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    let per_kind = 1000u64;
    for i in 0..per_kind {
        text.push_str(&format!("arta,{},cancel,,\n", 1_000_000 + i));
        text.push_str(&format!("arta,{},explode,,\n", 2_000_000 + i));
        text.push_str(&format!("nobody,{},cancel,,\n", 3_000_000 + i));
        text.push_str(&format!("di,{}x,cancel,,\n", 4_000_000 + i));
    }
    std::fs::write(&path, &text).unwrap();
    let mut input = Input::stream(&path).unwrap();
    assert_eq!(input.invalid.len() as u64, per_kind);
    input.check_accounts(&registry());
    assert_eq!(input.valid_rows() as u64, per_kind);
    assert_eq!(input.invalid.len() as u64, 3 * per_kind);
    assert_eq!(input.invalid.kept().len(), InvalidRows::KEPT);
    assert_eq!(input.invalid.omitted() as u64, 3 * per_kind - 1000);
    let want: Vec<u64> = (0..per_kind)
        .flat_map(|i| [3 + 4 * i, 4 + 4 * i, 5 + 4 * i])
        .collect();
    assert_eq!(lines(&input), want);
    let c = counts(&input);
    assert_eq!(c.values().sum::<usize>() as u64, 3 * per_kind, "{c:#?}");
    assert_eq!(c.len(), 3, "three reasons: {c:#?}");
    assert!(c.values().all(|n| *n as u64 == per_kind), "{c:#?}");
    // The valid rows read again are the first of each group of four.
    let valid: Vec<u64> = input.rows_iter().map(|r| r.unwrap().line).collect();
    assert_eq!(valid, (0..per_kind).map(|i| 2 + 4 * i).collect::<Vec<_>>());
}

/// Many bad Di targets, each spelt differently (an operator's export with a shifted column:
/// names instead of shipment numbers), then more than a thousand rows with an unknown action.
/// Counted per reason, the Di rows are one reason (their values, like the other reasons'
/// values, are not part of it) and the unknown actions another, each counted exactly.
#[test]
fn a_bad_di_target_is_one_reason_whatever_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    let names: Vec<String> = (0..40u8)
        .map(|i| {
            format!(
                "smith-{}{}",
                (b'a' + i % 26) as char,
                (b'a' + i / 26) as char
            )
        })
        .collect();
    for name in &names {
        text.push_str(&format!("di,{name},cancel,,\n"));
    }
    for i in 0..1200 {
        text.push_str(&format!("arta,{i},explode,,\n"));
    }
    std::fs::write(&path, &text).unwrap();
    let mut input = Input::stream(&path).unwrap();
    input.check_accounts(&registry());
    assert_eq!(input.invalid.len(), 1240);
    let c = counts(&input);
    assert!(!c.contains_key("(other reasons)"), "{c:#?}");
    assert_eq!(c.len(), 2, "{c:#?}");
    let mut n: Vec<usize> = c.values().copied().collect();
    n.sort_unstable();
    assert_eq!(n, vec![40, 1200], "{c:#?}");
}

/// A value with a backtick in it (a stray key press in a spreadsheet) is quoted in the reason
/// between backticks: counted per reason, it must still be the reason of its field, not a
/// reason of its own (which would take one of the 32 slots each, and swallow the rest of the
/// message).
#[test]
fn a_value_with_a_backtick_is_counted_under_its_fields_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..40u8 {
        let v = format!("ex`{}{}", (b'a' + i % 26) as char, (b'a' + i / 26) as char);
        text.push_str(&format!("arta,{},{v},,\n", 100 + u32::from(i)));
    }
    for i in 0..1200 {
        text.push_str(&format!("arta,{},hold,,2026-02-30\n", 1000 + i));
    }
    std::fs::write(&path, &text).unwrap();
    let input = Input::stream(&path).unwrap();
    assert_eq!(input.invalid.len(), 1240);
    let c = counts(&input);
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(
        c.get("`action` `…` must be cancel, cancel_items or hold"),
        Some(&40),
        "{c:#?}"
    );
}

/// 1,500 targets each given twice: 1,500 duplicates, kept and spilled, each naming the line of
/// its target's first row, in line order, counted under one reason.
#[test]
fn duplicates_past_the_first_thousand_name_their_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    let n = 1500u64;
    for i in 0..n {
        text.push_str(&format!("arta,{},cancel,,\n", 10 + i));
    }
    for i in 0..n {
        text.push_str(&format!("arta,{},cancel,,\n", 10 + i));
    }
    std::fs::write(&path, &text).unwrap();
    let input = Input::stream(&path).unwrap();
    assert_eq!(input.valid_rows() as u64, n);
    let all: Vec<_> = input.invalid.iter().map(Result::unwrap).collect();
    assert_eq!(all.len() as u64, n);
    for (i, bad) in all.iter().enumerate() {
        let i = i as u64;
        assert_eq!(bad.line, 2 + n + i);
        assert_eq!(bad.target, (10 + i).to_string());
        assert!(
            bad.reason
                .starts_with(&format!("same account and target as line {}:", 2 + i)),
            "{bad:?}"
        );
    }
    let c = counts(&input);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c.values().next(), Some(&(n as usize)));
}

/// The same rows with CRLF line ends and a byte order mark: the same lines, reasons and
/// counts past the boundary as with LF.
#[test]
fn crlf_and_a_bom_give_the_same_invalid_rows_past_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("account,target,action,items,until\n");
    for i in 0..2500u32 {
        match i % 3 {
            0 => body.push_str(&format!("arta,{i},explode,,\n")),
            1 => body.push_str(&format!("arta,{i},hold,,2026-13-01\n")),
            _ => body.push_str(&format!("arta,{i},cancel,,\n")),
        }
    }
    let lf = dir.path().join("lf.csv");
    std::fs::write(&lf, &body).unwrap();
    let crlf = dir.path().join("crlf.csv");
    std::fs::write(&crlf, format!("\u{feff}{}", body.replace('\n', "\r\n"))).unwrap();
    let a = Input::stream(&lf).unwrap();
    let b = Input::stream(&crlf).unwrap();
    assert!(a.invalid.len() > InvalidRows::KEPT);
    let rows = |i: &Input| {
        i.invalid
            .iter()
            .map(|r| {
                let r = r.unwrap();
                (r.line, r.target, r.action, r.reason)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&a), rows(&b));
    assert_eq!(counts(&a), counts(&b));
    assert_eq!(a.valid_rows(), b.valid_rows());
}

/// Entries of this process's open files that are in `dir` (a spill file created with
/// `O_TMPFILE` shows as `dir/#N (deleted)`).
fn open_files_in(dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|p| p.starts_with(&dir))
        .count()
}

/// The spill file lives while a clone of the input does (a clone reads it back after the
/// original is dropped, from its own position), never shows in the input's directory, and is
/// closed when the last clone is dropped.
#[test]
#[cfg(target_os = "linux")]
fn the_spill_file_outlives_the_original_and_goes_with_the_last_clone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..2500 {
        text.push_str(&format!("arta,{i},explode,,\n"));
    }
    std::fs::write(&path, &text).unwrap();
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let input = Input::stream(&path).unwrap();
    assert_eq!(listing(), vec![std::ffi::OsString::from("rows.csv")]);
    assert!(open_files_in(dir.path()) >= 1, "the spill file is open");
    let clone = input.clone();
    // Two readers interleaved, each from its own position.
    let mut a = input.invalid.iter();
    let mut b = clone.invalid.iter();
    for _ in 0..1200 {
        a.next();
    }
    let first_b = b.nth(1100).unwrap().unwrap();
    let next_a = a.next().unwrap().unwrap();
    assert_eq!((first_b.line, next_a.line), (1102, 1202));
    drop(a);
    drop(input);
    let rest: Vec<u64> = b.map(|r| r.unwrap().line).collect();
    assert_eq!(rest, (1103..=2501).collect::<Vec<_>>());
    assert_eq!(lines(&clone), (2..=2501).collect::<Vec<_>>());
    drop(clone);
    assert_eq!(open_files_in(dir.path()), 0, "the spill file is closed");
    assert_eq!(listing(), vec![std::ffi::OsString::from("rows.csv")]);
}

/// A rerun with the same journal, an input of more than a thousand invalid rows and some valid
/// ones (refused by the demo rules before sending, so nothing reaches the network): the same
/// report each time, every invalid row listed once, in line order.
#[tokio::test]
async fn a_rerun_lists_the_same_invalid_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..1600u32 {
        match i % 2 {
            0 => text.push_str(&format!("arta,{i},explode,,\n")),
            _ => text.push_str(&format!("nobody,{i},cancel,,\n")),
        }
    }
    std::fs::write(&path, &text).unwrap();
    let journal_path = dir.path().join("rows.journal.jsonl");
    let mut reports = Vec::new();
    for _ in 0..2 {
        let input = Input::stream(&path).unwrap();
        let journal = Journal::open(&journal_path, &input).unwrap();
        let report = Runner::new(registry())
            .options(Options::default())
            .run(input, journal, |_| {})
            .await
            .unwrap();
        assert_eq!(report.counts()[&Outcome::Invalid], 1600);
        assert_eq!(report.invalid_omitted, 600);
        let all: Vec<(u64, String)> = report
            .rows_in_full()
            .map(|r| {
                let r = r.unwrap();
                (r.line, r.detail)
            })
            .collect();
        assert_eq!(
            all.iter().map(|r| r.0).collect::<Vec<_>>(),
            (2..=1601).collect::<Vec<_>>()
        );
        reports.push(all);
    }
    assert_eq!(reports[0], reports[1]);
}

/// The sizes of this process's open files in `dir`.
#[cfg(target_os = "linux")]
fn open_file_sizes_in(dir: &Path) -> Vec<u64> {
    let dir = dir.canonicalize().unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let fd = e.ok()?.path();
            let target = std::fs::read_link(&fd).ok()?;
            target
                .starts_with(&dir)
                .then(|| std::fs::metadata(&fd).ok().map(|m| m.len()))
                .flatten()
        })
        .collect()
}

/// The spill file goes next to the input because "the disk that holds the input has room for
/// a file no larger than it" (the reason given where its directory is chosen): so it should be
/// no larger than the input. Each spilled row is a JSON object with the row's reason in full,
/// several times the row's own bytes: an all-invalid input of the kind (`arta,N,explode`)
/// spills about 5 times its size (a 50 MB file: about 220 MB of temporary file, written again
/// by each `check_accounts`, the old and the new one open together while merging).
#[test]
#[cfg(target_os = "linux")]
fn the_spill_file_is_no_larger_than_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..5000 {
        text.push_str(&format!("arta,{},explode,,\n", 9_000_000 + i));
    }
    std::fs::write(&path, &text).unwrap();
    let input = Input::stream(&path).unwrap();
    assert_eq!(input.invalid.omitted(), 4000);
    let sizes = open_file_sizes_in(dir.path());
    assert_eq!(sizes.len(), 1, "one spill file: {sizes:?}");
    assert!(
        sizes[0] <= text.len() as u64,
        "spill file {} bytes for an input of {} bytes",
        sizes[0],
        text.len()
    );
}

/// A plan (`rescind bulk FILE --plan`, `Runner::plan`) of an input with more invalid rows than
/// a run keeps: like a run, it keeps the first `InvalidRows::KEPT` invalid results and counts
/// the others (read back by `rows_in_full`), so that its memory does not grow with the bad
/// rows either. Measured: `rescind bulk --plan` on a 50 MB file of 896,861 invalid rows peaked
/// at 1,087,776 kB resident (a run of the same file: 27,488 kB).
#[tokio::test]
async fn a_plan_keeps_the_first_invalid_results_like_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..2500 {
        text.push_str(&format!("arta,{i},explode,,\n"));
    }
    std::fs::write(&path, &text).unwrap();
    let input = Input::stream(&path).unwrap();
    let journal = Journal::read_only(&dir.path().join("rows.csv.journal.jsonl")).unwrap();
    let report = Runner::new(registry())
        .plan(input, &journal, |_| {})
        .await
        .unwrap();
    assert_eq!(report.counts()[&Outcome::Invalid], 2500);
    assert_eq!(report.rows.len(), InvalidRows::KEPT);
    assert_eq!(report.invalid_omitted, 1500);
    let all: Vec<u64> = report.rows_in_full().map(|r| r.unwrap().line).collect();
    assert_eq!(all, (2..=2501).collect::<Vec<_>>());
}
