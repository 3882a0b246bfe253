//! Issue 17: a run's memory does not grow with the invalid rows of its input. The report
//! keeps the results of the first `InvalidRows::KEPT` invalid rows and counts the others,
//! which it reads back (from the input's temporary file) when every row must be listed: the
//! report file, `Report::rows_in_full`.

use rescind::Registry;
use rescind::bulk::{Input, InvalidRows, Journal, Options, Outcome, Runner};

/// `n` rows on lines 2..=n+1, all invalid (an unknown action).
fn all_invalid(n: u64) -> String {
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..n {
        text.push_str(&format!("arta,{i},explode,,\n"));
    }
    text
}

#[tokio::test]
async fn a_run_keeps_the_first_invalid_results_and_lists_every_one_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let n = 2 * InvalidRows::KEPT as u64 + 500;
    std::fs::write(&path, all_invalid(n)).unwrap();
    let input = Input::stream(&path).unwrap();
    for strict in [false, true] {
        let input = input.clone();
        let journal =
            Journal::open(&dir.path().join(format!("rows-{strict}.journal")), &input).unwrap();
        let mut seen = 0usize;
        let report = Runner::new(Registry::new())
            .options(Options::default().strict(strict))
            .run(input, journal, |p| {
                assert_eq!(p.total as u64, n);
                seen += 1;
            })
            .await
            .unwrap();
        // Every row shown to the progress callback and counted; the first KEPT held.
        assert_eq!(seen as u64, n, "strict {strict}");
        assert_eq!(report.counts()[&Outcome::Invalid] as u64, n);
        assert_eq!(report.rows.len(), InvalidRows::KEPT, "strict {strict}");
        assert_eq!(report.invalid_omitted as u64, n - InvalidRows::KEPT as u64);
        assert!(!report.all_done());

        // Every row listed, in line order, the omitted ones like the kept ones.
        let all: Vec<_> = report.rows_in_full().map(Result::unwrap).collect();
        assert_eq!(
            all.iter().map(|r| r.line).collect::<Vec<_>>(),
            (2..=n + 1).collect::<Vec<_>>()
        );
        let (first, last) = (&all[0], all.last().unwrap());
        assert_eq!(
            (first.outcome, last.outcome),
            (Outcome::Invalid, Outcome::Invalid)
        );
        assert_eq!(first.kind, last.kind);
        assert_eq!(first.reason, last.reason);
        assert_eq!(
            last.detail,
            format!(
                "line {}: `action` `explode` must be cancel, cancel_items or hold",
                n + 1
            )
        );

        // The report file lists every one, CSV and JSON.
        let csv = dir.path().join(format!("report-{strict}.csv"));
        report.write_needs_person(&csv).unwrap();
        let text = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(
            text.lines().count() as u64,
            n + 1,
            "a header and a line per row"
        );
        assert!(
            text.lines()
                .last()
                .unwrap()
                .starts_with(&format!("{},", n + 1))
        );
        let json = dir.path().join(format!("report-{strict}.json"));
        report.write_needs_person(&json).unwrap();
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(rows.len() as u64, n);
        assert_eq!(rows.last().unwrap()["line"], n + 1);
        assert_eq!(rows.last().unwrap()["outcome"], "invalid");
    }
}

/// The JSON report is the same text a vector of the rows gives (as it was before it was
/// written row by row).
#[tokio::test]
async fn the_json_report_is_a_pretty_array() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0u64, 1, 3] {
        let path = dir.path().join(format!("rows-{n}.csv"));
        let mut text = all_invalid(n);
        text.push_str("nowhere,1,cancel,,\n");
        std::fs::write(&path, text).unwrap();
        let input = Input::stream(&path).unwrap();
        let journal = Journal::open(&dir.path().join(format!("j-{n}")), &input).unwrap();
        let report = Runner::new(Registry::new())
            .run(input, journal, |_| {})
            .await
            .unwrap();
        let json = dir.path().join(format!("report-{n}.json"));
        report.write_needs_person(&json).unwrap();
        let rows: Vec<_> = report.needs_person().collect();
        assert_eq!(
            std::fs::read_to_string(&json).unwrap(),
            serde_json::to_string_pretty(&rows).unwrap() + "\n"
        );
    }
}
