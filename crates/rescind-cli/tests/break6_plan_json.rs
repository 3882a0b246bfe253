//! break6: `rescind bulk FILE --plan --report FILE.json`, written by
//! `rescind::bulk::write_rows_json` since d61bd8b: the same text as a vector of the rows, and
//! an error that cannot be written said as for a CSV report (the path once).

use std::process::Command;

use rescind_sim::{Simulator, demo_env};
use serde_json::Value;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn run_cli(args: &[&str], base: &str) -> Run {
    let (args, base): (Vec<String>, String) =
        (args.iter().map(|s| s.to_string()).collect(), base.into());
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.args(&args).env_clear().envs(demo_env(&base));
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// Rows whose texts need escaping (quotes, a backslash, a line break, U+2028, non-ASCII).
fn odd_rows() -> String {
    let mut csv = String::from("account,target,action,items,until\n");
    csv.push_str("arta,\"a \"\"quoted\"\" \\ target\",explode,,\n");
    csv.push_str("arta,\"two\nlines\",explode,,\n");
    csv.push_str("arta,sep\u{2028}ar Kurýr 🚚,explode,,\n");
    csv
}

/// The JSON plan report is `to_string_pretty` of the rows (the rows `--output json` lists),
/// with a trailing line break, for rows whose texts need escaping.
#[tokio::test]
async fn the_json_plan_report_is_the_pretty_array_of_its_rows() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, odd_rows()).unwrap();
    let json = dir.path().join("plan.json");
    let plan = run_cli(
        &[
            "bulk",
            path.to_str().unwrap(),
            "--plan",
            "--report",
            json.to_str().unwrap(),
        ],
        &base,
    )
    .await;
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}: {}", plan.stderr));
    let rows: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[1]["target"], "two\nlines");
    // Each row as its own text (its keys in the report's order), framed as `to_string_pretty`
    // frames a vector: `[`, two spaces before each element, `,` between, `]`, a line break.
    let raw: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&text).unwrap();
    assert_eq!(text, serde_json::to_string_pretty(&raw).unwrap() + "\n");
    for r in &raw {
        let pretty: Value = serde_json::from_str(r.get()).unwrap();
        // Every member on a line of its own, four spaces in, as a pretty row inside an array.
        assert_eq!(
            r.get().lines().count(),
            pretty.as_object().unwrap().len() + 2,
            "{}",
            r.get()
        );
        assert!(
            r.get().lines().skip(1).all(|l| l.starts_with("  ")),
            "{}",
            r.get()
        );
    }
    running.shutdown().await;
}

/// A plan report that cannot be written: the error names its path once, JSON as CSV
/// (d61bd8b printed `the plan's report P: report P: ...` for a `.json` name).
#[tokio::test]
async fn a_json_plan_report_that_cannot_be_written_is_said_as_a_csv_one() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, odd_rows()).unwrap();
    let mut lines = Vec::new();
    for name in ["plan.csv", "plan.json"] {
        let report = dir.path().join("no-such-dir").join(name);
        let report = report.to_str().unwrap();
        let plan = run_cli(
            &["bulk", path.to_str().unwrap(), "--plan", "--report", report],
            &base,
        )
        .await;
        let line = plan
            .stderr
            .lines()
            .find(|l| l.starts_with("error: the plan's report"))
            .unwrap_or_else(|| panic!("{name}: no error in {}{}", plan.stdout, plan.stderr))
            .to_string();
        assert_eq!(
            line.matches(report).count(),
            1,
            "{name}: the path not named once: {line}"
        );
        lines.push((line.replace(report, "REPORT"), plan.code));
    }
    assert_eq!(lines[0], lines[1]);
    running.shutdown().await;
}
