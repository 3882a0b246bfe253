//! `rescind bulk FILE --plan` and the single commands' `--dry-run` against the simulator: a
//! plan predicts, per row, what a real run then does (run both and compare), and sends no
//! change (the simulator's change counters and its request counters stay at zero for change
//! routes); a plan beside a journal shows done and pending rows and does not need its lock.

use std::collections::BTreeMap;
use std::process::Command;

use rescind_sim::arta::demo;
use rescind_sim::fleet::Fleet;
use rescind_sim::{RunningSimulator, Simulator, demo_env};
use serde_json::Value;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `rescind ARGS` against `base` from a blocking thread.
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

/// The JSON rows of a bulk run or plan (`--output json`), by line, without the summary.
fn rows(stdout: &str) -> BTreeMap<u64, Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v.get("line")?.as_u64()?, v)))
        .collect()
}

/// Requests to the simulator that change something (not reads, not logins).
fn change_requests(sim: &RunningSimulator) -> Vec<(String, u64)> {
    sim.sim()
        .counters()
        .snapshot()
        .hits
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !route.contains("login"))
        .filter(|(route, _)| !route.contains("/auth") && !route.contains("token"))
        .collect()
}

fn no_changes(sim: &RunningSimulator) {
    let snapshot = sim.sim().counters().snapshot();
    assert!(
        snapshot.applied.is_empty(),
        "changes: {:?}",
        snapshot.applied
    );
    let changes = change_requests(sim);
    assert!(changes.is_empty(), "change requests: {changes:?}");
}

/// Every demo case: each provider's cancellable, already done, refused (every reason), not
/// found, item not found and unreadable targets.
fn demo_csv() -> String {
    let mut csv = String::from("account,target,action,items,until\n");
    for s in [
        demo::SESSION_NEW,
        demo::SESSION_CANCELLED,
        demo::SESSION_CLOSED,
        999,
    ] {
        csv.push_str(&format!("arta,{s},cancel,,\n"));
    }
    csv.push_str(&format!("arta,{},hold,,2026-12-01\n", demo::PENDING));
    csv.push_str(&format!("arta,{},hold,,2026-11-15\n", demo::PENDING_OLD));
    csv.push_str(&format!("arta,{},hold,,\n", demo::CONFIRMED));
    csv.push_str(&format!("arta,{},hold,,\n", demo::IN_TRANSIT));
    csv.push_str(&format!("arta,{},hold,,2026-12-10\n", demo::HELD));
    csv.push_str(&format!("arta,{},hold,,\n", demo::COMPLETED));
    csv.push_str("arta,00000000-0000-4000-8000-000000000000,hold,,\n");
    for n in [101, 102, 103, 104, 105, 106] {
        csv.push_str(&format!("di,70724760000000{n},cancel,,\n"));
    }
    csv.push_str("di,70724769999999999,cancel,,\n");
    csv.push_str("skippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=2\",\n");
    csv.push_str("skippay,11200a0ee2,cancel_items,code=NO-SUCH-ITEM,\n");
    for app in [
        "11200a0ee3",
        "11200a0ee4",
        "11200a0ee5",
        "11200a0ee6",
        "11200a0ee7",
    ] {
        csv.push_str(&format!("skippay,{app},cancel,,\n"));
    }
    csv.push_str("skippay,11200a0ee8,cancel_items,\"code=A,quantity=1\",\n");
    csv.push_str("skippay,11200a0eff,cancel,,\n");
    csv
}

/// Plans `file`, checks that nothing changed, runs it, and compares row by row: the outcome,
/// the status of done rows, the error kind of the others, and the exit code. A plan predicts
/// a check-first run exactly, so the run is check first.
async fn plan_then_run(sim: &RunningSimulator, file: &str) -> BTreeMap<u64, Value> {
    plan_then_run_with(sim, file, "check-first").await
}

/// [`plan_then_run`] with the run under `policy`. Under change first a row whose provider
/// answers a change the same whether the target was cancelled before or not (Arta, a Skip Pay
/// order cancel) is `cancelled` where the plan says `already_cancelled`; everything else is
/// the same.
async fn plan_then_run_with(
    sim: &RunningSimulator,
    file: &str,
    policy: &str,
) -> BTreeMap<u64, Value> {
    let base = sim.base_url();
    let plan = run_cli(&["--output", "json", "bulk", file, "--plan"], &base).await;
    no_changes(sim);
    let planned = rows(&plan.stdout);
    assert!(!planned.is_empty(), "{}{}", plan.stdout, plan.stderr);
    let run = run_cli(
        &["--output", "json", "bulk", file, "--policy", policy],
        &base,
    )
    .await;
    let done = rows(&run.stdout);
    assert_eq!(planned.len(), done.len(), "{}", run.stdout);
    for (line, p) in &planned {
        let r = &done[line];
        assert_ne!(p["prediction"], "unknown", "line {line}: {p}");
        assert_eq!(
            p["outcome"], r["outcome"],
            "line {line}:\nplan {p}\nrun  {r}"
        );
        assert_eq!(p["kind"], r["kind"], "line {line}:\nplan {p}\nrun  {r}");
        if p["outcome"] == "done" {
            let cannot_tell = policy == "change-first"
                && p["status"] == "already_cancelled"
                && r["status"] == "cancelled"
                && p["provider"] != "di";
            assert!(
                p["status"] == r["status"] || cannot_tell,
                "line {line}:\nplan {p}\nrun  {r}"
            );
        }
    }
    assert_eq!(
        plan.code, run.code,
        "same exit code\n{}\n{}",
        plan.stdout, run.stdout
    );
    planned
}

/// A change-first run (the bulk default) does what the plan says, but for "already
/// cancelled" where the provider's answer cannot tell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_first_run_does_what_the_plan_predicts() {
    let sim = Simulator::new().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.csv");
    std::fs::write(&file, demo_csv()).unwrap();
    let planned = plan_then_run_with(&sim, file.to_str().unwrap(), "change-first").await;
    assert!(planned.len() > 20);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_every_demo_case_predicts_what_the_run_does_and_sends_nothing() {
    let sim = Simulator::new().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.csv");
    std::fs::write(&file, demo_csv()).unwrap();
    let f = file.to_str().unwrap();
    let planned = plan_then_run(&sim, f).await;
    let by_target: BTreeMap<String, String> = planned
        .values()
        .map(|v| {
            let name = match v["refusal"].as_str() {
                Some(r) => format!("refused:{r}"),
                None => v["prediction"].as_str().unwrap_or("").to_string(),
            };
            (v["target"].as_str().unwrap().to_string(), name)
        })
        .collect();
    let expect = [
        ("42", "cancel"),
        ("43", "already_cancelled"),
        ("44", "refused:not_cancellable"),
        ("999", "not_found"),
        (demo::PENDING, "hold"),
        (demo::PENDING_OLD, "refused:hold_window_passed"),
        (demo::IN_TRANSIT, "refused:not_cancellable"),
        (demo::HELD, "already_held"),
        ("70724760000000101", "cancel"),
        ("70724760000000102", "refused:in_transit"),
        ("70724760000000103", "refused:in_transit"),
        ("70724760000000104", "already_cancelled"),
        ("70724760000000106", "refused:in_transit"),
        ("70724769999999999", "not_found"),
        ("11200a0ee1", "cancel_items"),
        ("11200a0ee2", "item_not_found"),
        ("11200a0ee3", "cancel"),
        ("11200a0ee4", "refused:not_cancellable"),
        ("11200a0ee5", "refused:rejected"),
        ("11200a0ee6", "already_cancelled"),
        ("11200a0ee7", "refused:not_cancellable"),
        ("11200a0ee8", "already_cancelled"),
        ("11200a0eff", "not_found"),
    ];
    for (target, name) in expect {
        assert_eq!(
            by_target.get(target).map(String::as_str),
            Some(name),
            "{target}: {by_target:?}"
        );
    }
    // The plan's report is its own file, with every row; the run's report is another.
    let report = std::fs::read_to_string(dir.path().join("demo.csv.plan.csv")).unwrap();
    assert_eq!(report.lines().count(), planned.len() + 1, "{report}");
    assert!(report.contains("hold_window_passed") || report.contains(",refused,"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_a_thousand_mixed_rows_predicts_every_row_and_sends_nothing() {
    // The fleet's targets (every provider and action, all of them changes) with every demo
    // case mixed in: 1,000 rows.
    let demo_rows: Vec<String> = demo_csv().lines().skip(1).map(str::to_string).collect();
    let fleet = Fleet::of(1000 - demo_rows.len());
    let sim = Simulator::new().seed(fleet.world()).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    let mut csv = fleet.rows_csv();
    for (i, row) in demo_rows.iter().enumerate() {
        // Spread through the file rather than at its end.
        let at = csv
            .match_indices('\n')
            .nth(1 + i * 30)
            .map_or(csv.len(), |(at, _)| at + 1);
        csv.insert_str(at, &format!("{row}\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let planned = plan_then_run(&sim, file.to_str().unwrap()).await;
    assert_eq!(planned.len(), 1000);
    let refused = planned
        .values()
        .filter(|p| p["outcome"] == "refused")
        .count();
    let changes = planned
        .values()
        .filter(|p| {
            ["cancel", "cancel_items", "hold"].contains(&p["prediction"].as_str().unwrap_or(""))
        })
        .count();
    assert!(
        refused >= 8 && changes >= 900,
        "refused {refused}, changes {changes}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_of_each_single_command_reads_predicts_and_sends_no_change() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let cases: [(&[&str], &str, i32); 6] = [
        (&["arta", "cancel-session", "42", "--dry-run"], "cancel", 0),
        (&["arta", "cancel-session", "44", "--dry-run"], "refused", 1),
        (
            &[
                "arta",
                "hold",
                demo::PENDING,
                "--until",
                "2026-12-01",
                "--dry-run",
            ],
            "hold",
            0,
        ),
        (
            &["di", "cancel", "70724760000000102", "--dry-run"],
            "refused",
            1,
        ),
        (
            &["skippay", "cancel", "11200a0ee2", "--dry-run"],
            "cancel",
            0,
        ),
        (
            &[
                "skippay",
                "cancel",
                "11200a0ee1",
                "--item",
                "code=CASE-3,quantity=1",
                "--dry-run",
            ],
            "cancel_items",
            0,
        ),
    ];
    for (args, prediction, code) in cases {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let run = run_cli(&all, &base).await;
        assert_eq!(
            run.code,
            Some(code),
            "{args:?}: {}{}",
            run.stdout,
            run.stderr
        );
        let v: Value = serde_json::from_str(run.stdout.trim()).unwrap();
        assert_eq!(v["prediction"]["prediction"], prediction, "{args:?}: {v}");
        assert_eq!(v["dry_run"], true);
        no_changes(&sim);
    }
    // The table form says so.
    let run = run_cli(&["di", "cancel", "70724760000000101", "--dry-run"], &base).await;
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("nothing sent"), "{}", run.stdout);
    assert!(run.stdout.contains("would cancel"), "{}", run.stdout);
    no_changes(&sim);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_beside_a_journal_shows_done_and_pending_rows_and_needs_no_lock() {
    use rescind_sim::{FaultAction, FaultRule};
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    // One item cancel whose answer is lost and that the simulator keeps: left pending.
    sim.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::Drop,
        )
        .apply_late()
        .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    std::fs::write(
        &file,
        "account,target,action,items,until\narta,42,cancel,,\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=1\",\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let run = run_cli(
        &[
            "--output",
            "json",
            "bulk",
            f,
            "--in-flight-horizon",
            "1h",
            "--no-wait",
        ],
        &base,
    )
    .await;
    assert_eq!(run.code, Some(6), "{}{}", run.stdout, run.stderr);
    // Then a new row is appended, and a live run holds the journal's lock.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("di,70724760000000101,cancel,,\n");
    std::fs::write(&file, text).unwrap();
    let journal = dir.path().join("rows.csv.journal.jsonl");
    let journal_len = std::fs::metadata(&journal).unwrap().len();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&journal)
        .unwrap();
    lock.try_lock().unwrap();
    sim.sim().counters().reset();

    let plan = run_cli(&["--output", "json", "bulk", f, "--plan"], &base).await;
    let planned = rows(&plan.stdout);
    assert_eq!(planned.len(), 3, "{}{}", plan.stdout, plan.stderr);
    assert_eq!(planned[&2]["outcome"], "done", "{}", plan.stdout);
    assert_eq!(planned[&2]["earlier_run"], true);
    assert_eq!(planned[&3]["outcome"], "pending", "{}", plan.stdout);
    assert_eq!(planned[&4]["prediction"], "cancel", "{}", plan.stdout);
    assert_eq!(
        plan.code,
        Some(6),
        "pending decides the exit code as unknown"
    );
    assert!(plan.stderr.contains("already done"), "{}", plan.stderr);
    no_changes(&sim);
    // The journal was neither written nor locked by the plan.
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), journal_len);
    drop(lock);
    // A plan's report never goes over the run's.
    let run_report = dir.path().join("rows.csv.report.csv");
    let plan = run_cli(
        &[
            "bulk",
            f,
            "--plan",
            "--report",
            run_report.to_str().unwrap(),
        ],
        &base,
    )
    .await;
    assert_eq!(plan.code, Some(2), "{}", plan.stderr);
    sim.shutdown().await;
}

/// The single commands keep check first (exact "already cancelled"); `--policy change-first`
/// sends the change with no read first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_commands_take_a_policy() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let requests = |sim: &RunningSimulator| -> u64 {
        sim.sim()
            .counters()
            .snapshot()
            .hits
            .iter()
            .filter(|(route, _)| route.contains("/hosted_sessions/"))
            .map(|(_, n)| n)
            .sum()
    };
    // Check first (the default): read, then cancel.
    let run = run_cli(&["--output", "json", "arta", "cancel-session", "42"], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(requests(&sim), 2);
    // The same again: already cancelled, one read, nothing sent.
    let run = run_cli(&["--output", "json", "arta", "cancel-session", "42"], &base).await;
    assert!(run.stdout.contains("already_cancelled"), "{}", run.stdout);
    assert_eq!(requests(&sim), 3);
    // Change first: the cancel alone; Arta's 200 cannot tell it was cancelled before.
    let run = run_cli(
        &[
            "--output",
            "json",
            "arta",
            "cancel-session",
            "42",
            "--policy",
            "change-first",
        ],
        &base,
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("\"cancelled\""), "{}", run.stdout);
    assert!(run.stdout.contains("not known"), "{}", run.stdout);
    assert_eq!(requests(&sim), 4);
    assert_eq!(
        sim.sim()
            .counters()
            .applied_count("arta:hosted_session:42:cancel"),
        1
    );
    sim.shutdown().await;
}

/// A plan of more invalid rows than a plan keeps (`InvalidRows::KEPT`, 1,000): stdout, the
/// summary's counts and the plan's report (CSV and JSON) still list every row, in line order,
/// the ones past the first thousand read back (fixmem: `Runner::plan` no longer holds a
/// result per invalid row).
#[tokio::test]
async fn a_plan_of_many_invalid_rows_lists_every_row() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut csv = String::from("account,target,action,items,until\n");
    for i in 0..1500 {
        csv.push_str(&format!("arta,{i},explode,,\n"));
    }
    csv.push_str(&format!("arta,{},cancel,,\n", demo::SESSION_NEW));
    std::fs::write(&path, &csv).unwrap();
    let f = path.to_str().unwrap();
    let plan = run_cli(&["--output", "json", "bulk", f, "--plan"], &base).await;
    let listed = rows(&plan.stdout);
    assert_eq!(listed.len(), 1501, "{}", plan.stderr);
    assert_eq!(
        listed.keys().copied().collect::<Vec<_>>(),
        (2..=1502).collect::<Vec<u64>>()
    );
    assert!(
        listed
            .values()
            .take(1500)
            .all(|r| r["outcome"] == "invalid"),
        "{listed:?}"
    );
    let summary: Value = serde_json::from_str(plan.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["counts"]["invalid"], 1500, "{summary}");
    assert_eq!(summary["predictions"]["invalid"], 1500, "{summary}");
    let report = std::fs::read_to_string(dir.path().join("rows.csv.plan.csv")).unwrap();
    assert_eq!(report.lines().count(), 1502, "{report}");
    assert!(report.lines().nth(1500).unwrap().starts_with("1501,"));
    // The JSON report: the same rows as one array.
    let json = dir.path().join("plan.json");
    let plan = run_cli(
        &[
            "--output",
            "json",
            "bulk",
            f,
            "--plan",
            "--report",
            json.to_str().unwrap(),
        ],
        &base,
    )
    .await;
    let array: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap())
        .unwrap_or_else(|e| {
            panic!("{e}: {}", plan.stderr);
        });
    assert_eq!(array.len(), 1501);
    assert_eq!(array[1499]["line"], 1501);
    no_changes(&running);
    running.shutdown().await;
}

// break6: `--plan --report FILE.json` is written by `rescind::bulk::write_rows_json`: the same
// text as a vector of the rows, and an error that cannot be written said as for a CSV report.

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
