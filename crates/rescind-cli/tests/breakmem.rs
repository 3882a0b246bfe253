//! Issue 17 seen by a new user (breakmem): `rescind bulk` on an input with more invalid rows
//! than a run keeps (1,000), interleaved with valid ones, killed with SIGKILL mid-run and run
//! again with the same journal until done. Every run lists every invalid row once, in line
//! order (stderr, JSON rows, report file), counts them per reason, changes every valid target
//! exactly once, and leaves no temporary file next to the input, killed or not.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rescind_sim::fleet::{Fleet, application_id as app_id, di_number, session_id, shipment_id};
use rescind_sim::{Simulator, demo_env};
use serde_json::Value;

const FLEET: Fleet = Fleet {
    arta_sessions: 60,
    arta_shipments: 45,
    di_orders: 90,
    skippay_whole: 60,
    skippay_items: 45,
};

/// Four invalid rows of four reasons after each valid row: (the text, the invalid lines).
fn rows() -> (String, Vec<u64>) {
    let fleet = FLEET.rows_csv();
    let mut lines = fleet.lines();
    let mut text = format!("{}\n", lines.next().unwrap());
    let mut invalid = Vec::new();
    let mut line = 1u64;
    for (i, row) in lines.enumerate() {
        text.push_str(row);
        text.push('\n');
        line += 1;
        for bad in [
            format!("arta,{},explode,,", 900_000 + i),
            format!("nobody,{},cancel,,", 900_000 + i),
            format!("arta,{},hold,,2026-02-30", 800_000 + i),
            format!("di,not-a-number-{i},cancel,,"),
        ] {
            text.push_str(&bad);
            text.push('\n');
            line += 1;
            invalid.push(line);
        }
    }
    (text, invalid)
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn rescind(args: &[&str], base: &str, kill_after: Option<Duration>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
    cmd.args(args).env_clear().envs(demo_env(base));
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    match kill_after {
        Some(delay) => {
            let mut child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill(); // SIGKILL on Unix
            let status = child.wait().unwrap();
            Run {
                code: status.code(),
                stdout: String::new(),
                stderr: String::new(),
            }
        }
        None => {
            let out = cmd.output().unwrap();
            Run {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The only files a run may leave: the input, its journal (and its lock) and its report.
fn only_run_files(dir: &Path) {
    for name in listing(dir) {
        assert!(
            ["rows.csv", "rows.csv.journal.jsonl", "rows.csv.report.csv"].contains(&name.as_str())
                || name.starts_with("rows.csv.journal.jsonl."),
            "a file left next to the input: {name} ({:?})",
            listing(dir)
        );
    }
}

/// The lines an output lists as `rows.csv: line N: ...` (stderr).
fn stderr_lines(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("rows.csv: line ")?.1;
            rest.split_once(':')?.0.parse().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_past_the_first_thousand_survive_sigkill_and_reruns() {
    let sim = Simulator::new().seed(FLEET.world()).start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    let (text, invalid) = rows();
    assert_eq!(invalid.len(), 1200);
    std::fs::write(&input, text).unwrap();
    let file = input.to_str().unwrap().to_string();

    let mut killed = 0;
    for _ in 0..4 {
        let delay = Duration::from_millis(fastrand::u64(30..400));
        let (b, f) = (base.clone(), file.clone());
        let run = tokio::task::spawn_blocking(move || rescind(&["bulk", &f], &b, Some(delay)))
            .await
            .unwrap();
        if run.code.is_none() {
            killed += 1;
        }
        only_run_files(dir.path());
    }
    eprintln!("killed {killed} of 4 runs");

    // Runs to the end (exit 2: invalid rows), with every row listed each time.
    let mut last = None;
    for _ in 0..3 {
        let (b, f) = (base.clone(), file.clone());
        let run = tokio::task::spawn_blocking(move || {
            rescind(
                &["--output", "json", "bulk", &f, "--in-flight-horizon", "1s"],
                &b,
                None,
            )
        })
        .await
        .unwrap();
        only_run_files(dir.path());
        assert_eq!(stderr_lines(&run.stderr), invalid, "{}", run.stderr);
        assert!(
            run.stderr.contains("1200 invalid row(s), by reason:"),
            "{}",
            run.stderr
        );
        let done = run.code == Some(2)
            && run
                .stdout
                .lines()
                .last()
                .is_some_and(|l| l.contains("\"done\":300"));
        last = Some(run);
        if done {
            break;
        }
    }
    let run = last.unwrap();
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = &rows.last().unwrap()["summary"];
    assert_eq!(summary["counts"]["invalid"], 1200, "{summary}");
    assert_eq!(summary["counts"]["done"], 300, "{summary}");
    let rows = &rows[..rows.len() - 1];
    let all: Vec<u64> = rows.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "rows in line order");
    let bad: Vec<u64> = rows
        .iter()
        .filter(|r| r["outcome"] == "invalid")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, invalid);

    // The report file: the 1,200 invalid rows, in line order, nothing else.
    let report = std::fs::read_to_string(dir.path().join("rows.csv.report.csv")).unwrap();
    let report_lines: Vec<u64> = report
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(report_lines, invalid);

    // Every valid target changed exactly once, killed runs included.
    let counters = sim.sim().counters().snapshot();
    let f = FLEET;
    let mut keys = Vec::new();
    keys.extend(
        (0..f.arta_sessions).map(|i| format!("arta:hosted_session:{}:cancel", session_id(i))),
    );
    keys.extend((0..f.arta_shipments).map(|i| format!("arta:shipment:{}:hold", shipment_id(i))));
    keys.extend((0..f.di_orders).map(|i| format!("di:order:{}:cancel", di_number(i))));
    keys.extend((0..f.skippay_whole).map(|i| format!("skippay:order:{}:cancel", app_id(i))));
    keys.extend(
        (f.skippay_whole..f.skippay_whole + f.skippay_items)
            .map(|i| format!("skippay:item:{}/CASE-3:reduce", app_id(i))),
    );
    for key in keys {
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    let twice: Vec<_> = counters.applied.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "changed more than once: {twice:?}");
    sim.shutdown().await;
}
