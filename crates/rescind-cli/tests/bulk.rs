//! `rescind bulk` end to end against the simulator: 1,000 mixed rows across the three
//! providers with faults injected, the process killed with SIGKILL at random points and rerun
//! until done; then every target changed exactly once, and the journal, the report and the
//! simulator agree. Also: a malformed input, a damaged journal and a journal from another input
//! are clear errors and nothing is sent.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rescind_sim::fleet::{Fleet, application_id as app_id, di_number, session_id, shipment_id};
use rescind_sim::{FaultAction, FaultRule, RunningSimulator, Simulator, World, demo_env};
use serde_json::Value;

/// The 1,000 targets: 200 Arta sessions, 150 Arta shipments, 300 Di orders, 200 Skip Pay
/// whole cancels and 150 Skip Pay item cancels.
const FLEET: Fleet = Fleet {
    arta_sessions: 200,
    arta_shipments: 150,
    di_orders: 300,
    skippay_whole: 200,
    skippay_items: 150,
};
const ARTA_SESSIONS: usize = FLEET.arta_sessions;
const ARTA_SHIPMENTS: usize = FLEET.arta_shipments;
const DI_ORDERS: usize = FLEET.di_orders;
const SKIPPAY_WHOLE: usize = FLEET.skippay_whole;
const SKIPPAY_ITEMS: usize = FLEET.skippay_items;

fn world() -> World {
    FLEET.world()
}

/// 1,000 rows, interleaved across providers.
fn rows_csv() -> String {
    FLEET.rows_csv()
}

struct Run {
    /// `None` when killed.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `rescind ARGS` (blocking); kills it with SIGKILL after `kill_after` if given.
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

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// The faults of the killed runs; with `late`, also requests kept by the simulator and applied
/// after the client gave up ("applied late": the test lands them between runs, or a run later).
fn inject_faults(sim: &RunningSimulator, late: bool) {
    let faults = sim.sim().faults();
    if late {
        // First, so that their share is taken before the other rules of the same paths.
        faults.add(
            FaultRule::new(
                "/financing/v1/applications/*/order/cancel",
                FaultAction::Drop,
            )
            .apply_late()
            .fraction(0.05),
        );
        faults.add(
            FaultRule::new("/shipment_exceptions", FaultAction::Drop)
                .method("POST")
                .apply_late()
                .fraction(0.05),
        );
    }
    let status = |s: u16| FaultAction::status(s);
    let rules = [
        FaultRule::new("/hosted_sessions/*", status(503))
            .method("GET")
            .fraction(0.03),
        FaultRule::new("/hosted_sessions/*/cancel", status(502)).fraction(0.05),
        FaultRule::new("/hosted_sessions/*/cancel", FaultAction::Drop)
            .after_apply()
            .fraction(0.05),
        FaultRule::new("/shipments/*", status(503))
            .method("GET")
            .fraction(0.03),
        FaultRule::new("/shipment_exceptions", FaultAction::Drop).fraction(0.05),
        FaultRule::new("/shipment_exceptions", FaultAction::Drop)
            .after_apply()
            .fraction(0.05),
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/order/cancel/*",
            FaultAction::status_with_retry_after(429, std::time::Duration::from_secs(0)),
        )
        .fraction(0.05),
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/order/cancel/*",
            FaultAction::Drop,
        )
        .after_apply()
        .fraction(0.05),
        FaultRule::new("/ws/json/parcel/booking/v-1/details/*", status(500)).fraction(0.03),
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::Drop,
        )
        .fraction(0.05),
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::Drop,
        )
        .after_apply()
        .fraction(0.05),
        FaultRule::new("/financing/v1/applications/*/order/cancel", status(500)).fraction(0.03),
        FaultRule::new("/financing/v1/applications/*", status(503))
            .method("GET")
            .fraction(0.03),
    ];
    for rule in rules {
        faults.add(rule);
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rows_killed_and_rerun_change_every_target_exactly_once() {
    let sim = Simulator::new().seed(world()).start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let input: PathBuf = dir.path().join("rows.csv");
    std::fs::write(&input, rows_csv()).unwrap();
    let file = input.to_str().unwrap().to_string();
    inject_faults(&sim, true);

    // Killed at random points, several times, with the default in-flight horizon (5 minutes):
    // a Skip Pay item cancel or an Arta hold whose answer was lost is not sent again by the
    // next runs while it may still land. Held requests land between runs, or stay held
    // through the next run (which reads their targets back unchanged) and land after it.
    let mut killed = 0;
    let mut landed = 0;
    for round in 0..5 {
        let delay = Duration::from_millis(fastrand::u64(30..500));
        let (b, f) = (base.clone(), file.clone());
        let started = std::time::Instant::now();
        let run = blocking(move || rescind(&["bulk", &f], &b, Some(delay))).await;
        if run.code.is_none() {
            killed += 1;
        }
        if round % 2 == 1 || fastrand::bool() {
            landed += sim.sim().apply_all_held().await.len();
        }
        eprintln!("run: {:?} after {:?}", run.code, started.elapsed());
    }
    assert!(
        killed >= 3,
        "the process should have been killed mid-run: {killed}"
    );
    landed += sim.sim().apply_all_held().await.len();

    // One full run with the faults still on (but none held: a run that waited 1 s for a
    // request still held would send it again, which the horizon is there to prevent), then
    // without, until every row is done.
    sim.sim().faults().clear();
    inject_faults(&sim, false);
    let mut last = None;
    for attempt in 0..6 {
        if attempt == 1 {
            sim.sim().faults().clear();
        }
        let (b, f) = (base.clone(), file.clone());
        let started = std::time::Instant::now();
        let run = blocking(move || {
            rescind(
                &["--output", "json", "bulk", &f, "--in-flight-horizon", "1s"],
                &b,
                None,
            )
        })
        .await;
        eprintln!("full run: {:?} in {:?}", run.code, started.elapsed());
        let done = run.code == Some(0);
        last = Some(run);
        if done {
            break;
        }
    }
    let run = last.unwrap();
    assert_eq!(
        run.code,
        Some(0),
        "never finished: {}\n{}",
        run.stdout,
        run.stderr
    );

    // Every target changed exactly once.
    let counters = sim.sim().counters().snapshot();
    for i in 0..ARTA_SESSIONS {
        let key = format!("arta:hosted_session:{}:cancel", session_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    for i in 0..ARTA_SHIPMENTS {
        let key = format!("arta:shipment:{}:hold", shipment_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    for i in 0..DI_ORDERS {
        let key = format!("di:order:{}:cancel", di_number(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    for i in 0..SKIPPAY_WHOLE {
        let key = format!("skippay:order:{}:cancel", app_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    for i in SKIPPAY_WHOLE..SKIPPAY_WHOLE + SKIPPAY_ITEMS {
        let key = format!("skippay:item:{}/CASE-3:reduce", app_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    let twice: Vec<_> = counters.applied.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "changed more than once: {twice:?}");

    // The simulator's state says the same: 3 cases become 1, each shipment has one hold.
    let world = serde_json::to_value(sim.sim().world()).unwrap();
    for app in world["skippay"]["applications"].as_array().unwrap() {
        let id = app["id"].as_str().unwrap();
        if let Some(i) = id.strip_prefix("bulk").map(|n| n.parse::<usize>().unwrap())
            && i >= SKIPPAY_WHOLE
        {
            let case = app["order"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|it| it["code"] == "CASE-3")
                .unwrap();
            assert_eq!(case["quantity"].as_f64(), Some(1.0), "{id}");
        }
    }
    for s in world["arta"]["shipments"].as_array().unwrap() {
        if s["id"].as_str().unwrap().starts_with("00000000-") {
            let holds = s["exceptions"].as_array().unwrap().len();
            assert_eq!(holds, 1, "{}", s["id"]);
        }
    }

    // The last run's output and the journal agree: every row done, none for a person.
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["counts"]["done"], 1000, "{summary}");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(lines.len(), 1001);
    let report = std::fs::read_to_string(dir.path().join("rows.csv.report.csv")).unwrap();
    assert_eq!(report.lines().count(), 1, "only the header: {report}");
    let journal = read_lines(&dir.path().join("rows.csv.journal.jsonl"));
    assert_eq!(journal[0]["record"], "header");
    let mut last_outcome = std::collections::BTreeMap::new();
    for r in &journal[1..] {
        if r["record"] == "outcome" {
            last_outcome.insert(
                r["line"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap().to_string(),
            );
        }
    }
    assert_eq!(last_outcome.len(), 1000);
    assert!(
        last_outcome.values().all(|o| o == "done"),
        "{last_outcome:?}"
    );
    let read_back = journal
        .iter()
        .filter(|r| r["settled_by"] == "read_back")
        .count();
    eprintln!(
        "killed {killed} times; {landed} requests applied late; {} journal records; {read_back} rows settled by reading back",
        journal.len()
    );
    sim.shutdown().await;
}

/// Requests the simulator received, by route.
fn hits(sim: &RunningSimulator) -> u64 {
    sim.sim().counters().snapshot().hits.values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_and_journals_are_clear_errors_and_send_nothing() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "account,target,action\narta,42,cancel\n").unwrap();
    let malformed = dir.path().join("malformed.csv");
    std::fs::write(&malformed, "who,what\narta,42\n").unwrap();
    let bad_row = dir.path().join("bad_row.jsonl");
    std::fs::write(
        &bad_row,
        "{\"account\":\"arta\",\"target\":\"42\",\"action\":\"cancel\"}\n{\"account\":\"arta\",\"target\":\"43\",\"action\":\"explode\"}\n",
    )
    .unwrap();
    let damaged = dir.path().join("damaged.jsonl");
    std::fs::write(&damaged, "{\"record\":\"header\"\nnot json at all\n{}\n").unwrap();
    // A version 1 journal made for another file (version 1 bound a journal to its file).
    let foreign = dir.path().join("foreign.jsonl");
    std::fs::write(
        &foreign,
        "{\"record\":\"header\",\"version\":1,\"input\":\"other.csv\",\"input_sha256\":\"00ff\"}\n",
    )
    .unwrap();
    sim.sim().counters().reset();
    // A journal another run has open (and so locked) for the same input.
    let in_use = dir.path().join("in_use.jsonl");
    let held = std::fs::File::create(&in_use).unwrap();
    held.try_lock().unwrap();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                good.display().to_string(),
                "--journal".into(),
                foreign.display().to_string(),
            ],
            "journal version 1",
        ),
        (
            vec![malformed.display().to_string()],
            "unknown column `who`",
        ),
        (
            vec![bad_row.display().to_string(), "--strict".into()],
            "line 2: `action` `explode`",
        ),
        (
            vec![
                good.display().to_string(),
                "--journal".into(),
                damaged.display().to_string(),
            ],
            "not a journal record",
        ),
        (
            vec![
                good.display().to_string(),
                "--journal".into(),
                in_use.display().to_string(),
            ],
            "in use by another run",
        ),
        (
            vec![
                good.display().to_string(),
                "--journal".into(),
                dir.path().join("no/such/dir/j.jsonl").display().to_string(),
            ],
            "journal",
        ),
    ];
    for (args, needle) in cases {
        let b = base.clone();
        let mut all = vec!["bulk".to_string()];
        all.extend(args.clone());
        let run = blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            rescind(&refs, &b, None)
        })
        .await;
        assert_eq!(run.code, Some(2), "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was sent"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(hits(&sim), 0, "{args:?}: something was sent");
    }

    drop(held);

    // Without --strict, the good row goes and the bad one is reported with its line.
    let (b, f) = (base.clone(), bad_row.clone());
    let run = blocking(move || rescind(&["bulk", f.to_str().unwrap()], &b, None)).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("line 2"), "{}", run.stdout);
    assert!(run.stdout.contains("done 1"), "{}", run.stdout);
    let report = std::fs::read_to_string(dir.path().join("bad_row.jsonl.report.csv")).unwrap();
    assert!(report.contains("2,,arta,43,explode,invalid"), "{report}");
    sim.shutdown().await;
}

/// Sends SIGINT (what Ctrl-C sends) to a child process.
fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -INT failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_sending_lets_requests_in_flight_finish_and_journals_them() {
    let sim = Simulator::new().seed(world()).start().await.unwrap();
    let base = sim.base_url();
    // Every Arta cancel is slow, so that requests are in flight when Ctrl-C comes.
    sim.sim().faults().add(
        FaultRule::delay("/hosted_sessions/*/cancel", Duration::from_millis(300)).method("PATCH"),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, rows_csv()).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let (file, journal_arg) = (
        input.to_str().unwrap().to_string(),
        journal.to_str().unwrap().to_string(),
    );

    let (b, f, j) = (base.clone(), file.clone(), journal_arg.clone());
    let run = blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.args(["bulk", &f, "--journal", &j])
            .env_clear()
            .envs(demo_env(&b))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(700));
        interrupt(child.id());
        child.wait_with_output().unwrap()
    })
    .await;
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopping"), "{stderr}");

    // Every request that was sent has its outcome in the journal: none was abandoned.
    let records = read_lines(&journal);
    let intents: std::collections::BTreeSet<i64> = records
        .iter()
        .filter(|r| r["record"] == "intent")
        .filter_map(|r| r["line"].as_i64())
        .collect();
    let outcomes: std::collections::BTreeSet<i64> = records
        .iter()
        .filter(|r| r["record"] == "outcome")
        .filter_map(|r| r["line"].as_i64())
        .collect();
    assert!(!intents.is_empty(), "the run should have started sending");
    let abandoned: Vec<_> = intents.difference(&outcomes).collect();
    assert!(
        abandoned.is_empty(),
        "intents without outcome: {abandoned:?}"
    );
    let rows = rows_csv().lines().count() - 1;
    assert!(
        intents.len() < rows,
        "Ctrl-C should have stopped the run before the end"
    );

    // The rerun finishes the rest, and nothing is changed twice.
    sim.sim().faults().clear();
    let (b, f, j) = (base.clone(), file.clone(), journal_arg.clone());
    let rerun = blocking(move || rescind(&["bulk", &f, "--journal", &j], &b, None)).await;
    assert_eq!(rerun.code, Some(0), "{}\n{}", rerun.stdout, rerun.stderr);
    let twice: Vec<_> = sim
        .sim()
        .counters()
        .snapshot()
        .applied
        .into_iter()
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(twice.is_empty(), "changed more than once: {twice:?}");
}

/// Runs `rescind ARGS` against `base` from a blocking thread.
async fn run_cli(args: &[&str], base: &str) -> Run {
    let (args, base): (Vec<String>, String) =
        (args.iter().map(|s| s.to_string()).collect(), base.into());
    blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        rescind(&refs, &base, None)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_sends_nothing_when_any_row_breaks_a_provider_rule() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    // The strict.csv: a valid Arta cancel, then a Skip Pay quantity of 0.
    for quantity in ["0", "-1", "0.001", "1.2345"] {
        let file = dir.path().join(format!("strict{quantity}.csv"));
        std::fs::write(
            &file,
            format!(
                "account,target,action,items,until\narta,42,cancel,,\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity={quantity}\",\n"
            ),
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let run = run_cli(&["bulk", f, "--strict"], &base).await;
        assert_eq!(
            run.code,
            Some(2),
            "{quantity}: {}{}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains("line 3") && run.stderr.contains("quantity"),
            "{quantity}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
        assert_eq!(hits(&sim), 0, "{quantity}: a request reached the simulator");

        // Without --strict the bad row is reported (before anything is sent, on stderr), and
        // the good one goes; nothing reaches Skip Pay.
        let run = run_cli(&["--output", "json", "bulk", f], &base).await;
        assert_eq!(
            run.code,
            Some(2),
            "{quantity}: {}{}",
            run.stdout,
            run.stderr
        );
        assert!(run.stderr.contains("line 3"), "{}", run.stderr);
        let rows: Vec<Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows[0]["outcome"], "done", "{}", run.stdout);
        assert_eq!(rows[1]["line"], 3, "{}", run.stdout);
        assert_eq!(rows[1]["outcome"], "invalid", "{}", run.stdout);
        let counters = sim.sim().counters().snapshot();
        assert!(
            counters.hits.keys().all(|k| !k.contains("/financing/")),
            "{quantity}: {counters:?}"
        );
        sim.sim().counters().reset();
    }
    sim.shutdown().await;
}

fn applied(sim: &RunningSimulator, key: &str) -> u64 {
    sim.sim().counters().applied_count(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_file_resumes_and_a_changed_quantity_is_not_sent_twice() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    let f = file.to_str().unwrap();
    let item = "skippay:item:11200a0ee1/CASE-3:reduce";
    std::fs::write(
        &file,
        "account,target,action,items,until\r\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=1\",\r\n",
    )
    .unwrap();
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(applied(&sim, item), 1);

    // A row appended (and the file now with LF): the rerun sends it alone and says what was
    // already done, and when.
    std::fs::write(
        &file,
        "account,target,action,items,until\nskippay,11200a0ee1,cancel_items,\"quantity=1, code=CASE-3\",\ndi,70724760000000101,cancel,,\n",
    )
    .unwrap();
    let run = run_cli(&["--output", "json", "bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("1 row already done in this journal on 20"),
        "{}",
        run.stderr
    );
    assert_eq!(applied(&sim, item), 1);
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);

    // The quantity edited: refused for a person, with the way to send it, and nothing sent.
    std::fs::write(
        &file,
        "account,target,action,items,until\ndi,70724760000000101,cancel,,\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=2\",\n",
    )
    .unwrap();
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("conflict 1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("--resend-changed skippay:11200a0ee1"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("another journal"), "{}", run.stdout);
    assert_eq!(applied(&sim, item), 1, "not cancelled a second time");
    let report = std::fs::read_to_string(dir.path().join("rows.csv.report.csv")).unwrap();
    assert!(
        report.contains("3,,skippay,11200a0ee1,cancel_items,conflict"),
        "{report}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_journal_record_or_header_is_recovered_by_the_next_run() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    let f = file.to_str().unwrap();
    std::fs::write(&file, "account,target,action\narta,42,cancel\n").unwrap();
    let journal = dir.path().join("rows.csv.journal.jsonl");

    // A header cut short by a crash: the first run writes it again and goes on.
    std::fs::write(&journal, b"{\"record\":\"header\",\"vers").unwrap();
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);

    // A last record cut inside a multi-byte character: dropped; the rerun sends nothing.
    let whole = std::fs::read(&journal).unwrap();
    let torn = "{\"record\":\"outcome\",\"line\":2,\"detail\":\"Zrušeno Č".as_bytes();
    let cut = torn.len() - 1; // inside `Č`
    let mut bytes = whole.clone();
    bytes.extend_from_slice(&torn[..cut]);
    std::fs::write(&journal, &bytes).unwrap();
    sim.sim().counters().reset();
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("1 row already done"), "{}", run.stderr);
    assert_eq!(hits(&sim), 0, "nothing sent, nothing even read");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        whole,
        "the torn bytes are gone"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_ends_the_accounts_rows_at_once_and_a_rerun_with_the_right_key_sends_them() {
    let fleet = Fleet {
        arta_sessions: 30,
        arta_shipments: 0,
        di_orders: 0,
        skippay_whole: 0,
        skippay_items: 0,
    };
    let sim = Simulator::new().seed(fleet.world()).start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    std::fs::write(&file, fleet.rows_csv()).unwrap();
    let f = file.to_str().unwrap().to_string();

    let (b, args) = (base.clone(), f.clone());
    let run = blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.args(["bulk", &args, "--concurrency", "2"])
            .env_clear()
            .envs(demo_env(&b))
            .env("ARTA_API_KEY", "wrong-key");
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        cmd.output().unwrap()
    })
    .await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("failed 30"), "{stdout}");
    assert!(stdout.contains("fix its credentials"), "{stdout}");
    assert!(
        !stdout.contains("wrong-key"),
        "no secret in the output: {stdout}"
    );
    // At most one refused call per row in flight, not one per row.
    assert!(
        hits(&sim) <= 2,
        "{:?}",
        sim.sim().counters().snapshot().hits
    );

    let run = run_cli(&["bulk", &f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    for i in 0..30 {
        let key = format!("arta:hosted_session:{}:cancel", session_id(i));
        assert_eq!(applied(&sim, &key), 1, "{key}");
    }
    sim.shutdown().await;
}

/// A Skip Pay item cancel (quantity 1 of CASE-3's 3) whose request the simulator keeps
/// ("applied late"): the client's connection drops, and the change lands when the test says.
async fn late_item_cancel() -> (RunningSimulator, tempfile::TempDir, String) {
    let sim = Simulator::new().start().await.unwrap();
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
        "account,target,action,items\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=1\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap().to_string();
    (sim, dir, f)
}

const LATE_ITEM: &str = "skippay:item:11200a0ee1/CASE-3:reduce";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_late_with_a_horizon_of_zero_shows_the_double_it_prevents() {
    let (sim, _dir, f) = late_item_cancel().await;
    let run = run_cli(&["bulk", &f, "--in-flight-horizon", "0s"], &sim.base_url()).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(applied(&sim, LATE_ITEM), 1, "sent again at once");
    assert_eq!(sim.sim().apply_all_held().await.len(), 1);
    assert_eq!(
        applied(&sim, LATE_ITEM),
        2,
        "the double: both requests applied"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_late_while_the_run_waits_is_applied_once() {
    let (sim, _dir, f) = late_item_cancel().await;
    let base = sim.base_url();
    // The run waits for the row in flight (a short horizon, for the test's sake; the default
    // is 5 minutes). When its progress says so, the change lands.
    let (waiting_tx, waiting_rx) = tokio::sync::oneshot::channel();
    let run = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.args(["--output", "json", "bulk", &f, "--in-flight-horizon", "10s"])
            .env_clear()
            .envs(demo_env(&base))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut waiting_tx = Some(waiting_tx);
        let mut text = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("waiting for 1 row")
                && let Some(tx) = waiting_tx.take()
            {
                let _ = tx.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: text,
        }
    });
    tokio::time::timeout(Duration::from_secs(60), waiting_rx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        applied(&sim, LATE_ITEM),
        0,
        "read back unchanged, not sent again"
    );
    assert_eq!(sim.sim().apply_all_held().await.len(), 1);
    let run = run.await.unwrap();
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let row: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["settled_by"], "read_back", "{row}");
    assert_eq!(applied(&sim, LATE_ITEM), 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_late_after_a_run_that_did_not_wait_is_decided_by_the_rerun() {
    let (sim, dir, f) = late_item_cancel().await;
    let base = sim.base_url();
    let args = [
        "--output",
        "json",
        "bulk",
        &f,
        "--in-flight-horizon",
        "1s",
        "--no-wait",
    ];
    let run = run_cli(&args, &base).await;
    assert_eq!(run.code, Some(6), "{}{}", run.stdout, run.stderr);
    let row: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["outcome"], "pending", "{row}");
    let decide_after: rescind::core::jiff::Timestamp =
        row["decide_after"].as_str().unwrap().parse().unwrap();
    let report = std::fs::read_to_string(dir.path().join("rows.csv.report.csv")).unwrap();
    assert!(report.contains(",pending,"), "{report}");
    assert!(report.contains(&decide_after.to_string()), "{report}");
    assert_eq!(applied(&sim, LATE_ITEM), 0);

    // The change lands; after its time, the rerun reads it back and sends nothing.
    assert_eq!(sim.sim().apply_all_held().await.len(), 1);
    let wait = decide_after.duration_since(rescind::core::jiff::Timestamp::now());
    if let Ok(wait) = Duration::try_from(wait) {
        tokio::time::sleep(wait + Duration::from_millis(50)).await;
    }
    let hits_before = hits(&sim);
    let run = run_cli(&args, &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let row: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["settled_by"], "read_back", "{row}");
    assert_eq!(applied(&sim, LATE_ITEM), 1);
    let snapshot = sim.sim().counters().snapshot();
    assert!(
        snapshot
            .hits
            .get("PUT /financing/v1/applications/11200a0ee1/order/cancel")
            .is_some_and(|n| *n == 1),
        "sent once, never again: {:?} ({hits_before} before the rerun)",
        snapshot.hits
    );
    sim.shutdown().await;
}

/// A row with 2 MB of text (a pasted blob in the target, another in the action): invalid
/// before anything is sent, like any row that breaks a rule needing no network; `--strict`
/// sends nothing, and the messages, the journal and the report stay small (the value is
/// shortened where it is shown, never echoed whole).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_with_megabytes_of_text_is_invalid_before_sending_and_not_echoed() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob.csv");
    let blob = "a".repeat(2_000_000);
    std::fs::write(
        &file,
        format!(
            "account,target,action,items,until\nskippay,{blob},cancel,,\narta,42,cancel,,\narta,43,{blob},,\n"
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let run = run_cli(&["bulk", f, "--strict"], &base).await;
    assert_eq!(
        run.code,
        Some(2),
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(
        run.stderr.contains("line 2") && run.stderr.contains("line 4"),
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(run.stderr.len() + run.stdout.len() < 10_000, "echoed");
    assert_eq!(hits(&sim), 0, "a request reached the simulator");

    let run = run_cli(&["--output", "json", "bulk", f], &base).await;
    assert_eq!(
        run.code,
        Some(2),
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(run.stderr.len() + run.stdout.len() < 10_000, "echoed");
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r.get("line").is_some())
        .collect();
    let outcome = |line: u64| {
        rows.iter()
            .find(|r| r["line"] == line)
            .map(|r| r["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(outcome(2).as_deref(), Some("invalid"), "{}", run.stdout);
    assert_eq!(outcome(3).as_deref(), Some("done"), "{}", run.stdout);
    assert_eq!(outcome(4).as_deref(), Some("invalid"), "{}", run.stdout);
    let counters = sim.sim().counters().snapshot();
    assert!(
        counters.hits.keys().all(|k| !k.contains("/financing/")),
        "{counters:?}"
    );
    for name in ["blob.csv.report.csv", "blob.csv.journal.jsonl"] {
        let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert!(len < 10_000, "{name}: {len} bytes");
    }
    sim.shutdown().await;
}

/// An empty input (no bytes, a byte order mark alone, blank lines) says that it is empty, not
/// that a column is missing; a header alone says it has no rows. Nothing is sent, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_input_says_it_is_empty() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.csv", b"", "is empty"),
        ("bom.csv", b"\xef\xbb\xbf", "is empty"),
        ("blank.csv", b"\r\n\r\n", "is empty"),
        ("empty.jsonl", b"\n", "is empty"),
        (
            "header.csv",
            b"account,target,action,items,until\r\n",
            "has no rows",
        ),
    ];
    for (name, bytes, says) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let run = run_cli(&["bulk", file.to_str().unwrap()], &base).await;
        assert_eq!(run.code, Some(2), "{name}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
        assert!(!run.stderr.contains("column"), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was sent"),
            "{name}: {}",
            run.stderr
        );
    }
    assert_eq!(hits(&sim), 0);
    sim.shutdown().await;
}

/// `--report` or `--journal` naming the input, or the report naming the journal (spelled
/// differently: `./` and `dir/../`): refused before anything is sent or written, the input and
/// the journal untouched. Before, the report overwrote the input (the operator's rows lost), or
/// the journal (a rerun then found it "damaged"), and a journal named like the input was called
/// "damaged" with the advice to repair its line 1 by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_or_journal_on_the_input_or_on_each_other_is_refused() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    let rows = "account,target,action\narta,42,cancel\n";
    std::fs::write(d.join("rows.csv"), rows).unwrap();
    let input = d.join("rows.csv");
    let input = input.to_str().unwrap();
    let same_input = format!("{}/sub/../rows.csv", d.display());
    let journal = d.join("j.jsonl");
    let journal = journal.to_str().unwrap();
    let same_journal = format!("{}/./j.jsonl", d.display());
    let cases: [&[&str]; 4] = [
        &["bulk", input, "--report", &same_input],
        &["bulk", input, "--journal", &same_input],
        &[
            "bulk",
            input,
            "--journal",
            journal,
            "--report",
            &same_journal,
        ],
        &[
            "bulk",
            input,
            "--report",
            &format!("{}.journal.jsonl", same_input),
        ],
    ];
    for args in cases {
        let run = run_cli(args, &base).await;
        assert_eq!(run.code, Some(2), "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
        assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
        assert_eq!(std::fs::read_to_string(d.join("rows.csv")).unwrap(), rows);
        assert!(!d.join("j.jsonl").exists(), "{args:?}");
        assert!(!d.join("rows.csv.journal.jsonl").exists(), "{args:?}");
    }
    assert_eq!(hits(&sim), 0);

    // A journal with records: a rerun whose report names it leaves it whole.
    let run = run_cli(&["bulk", input, "--journal", journal], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let before = std::fs::read(d.join("j.jsonl")).unwrap();
    let run = run_cli(
        &[
            "bulk",
            input,
            "--journal",
            journal,
            "--report",
            &same_journal,
        ],
        &base,
    )
    .await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert_eq!(std::fs::read(d.join("j.jsonl")).unwrap(), before);
    let run = run_cli(&["bulk", input, "--journal", journal], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);
    sim.shutdown().await;
}

/// An item cancel whose answer is lost (the simulator keeps it, "applied late"), then the row
/// edited (quantity 1 to 2): the conflict says the earlier change may still land, and even
/// named with `--resend-changed` the edited row is not sent while it may (pending, with the
/// time), so that the late landing and the further change never both apply unseen. After the
/// horizon (here 0s on the last run) the named row is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_row_is_not_resent_while_the_earlier_change_may_still_land() {
    let (sim, dir, f) = late_item_cancel().await;
    let base = sim.base_url();
    let run = run_cli(&["bulk", &f, "--no-wait"], &base).await;
    assert_eq!(run.code, Some(6), "{}{}", run.stdout, run.stderr);
    std::fs::write(
        dir.path().join("rows.csv"),
        "account,target,action,items\nskippay,11200a0ee1,cancel_items,\"code=CASE-3,quantity=2\"\n",
    )
    .unwrap();
    let run = run_cli(&["bulk", &f, "--no-wait"], &base).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("may still land until"),
        "{}",
        run.stdout
    );

    let named = [
        "--output",
        "json",
        "bulk",
        &f,
        "--no-wait",
        "--resend-changed",
        "skippay:11200a0ee1",
    ];
    let run = run_cli(&named, &base).await;
    assert_eq!(run.code, Some(6), "{}{}", run.stdout, run.stderr);
    let row: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["outcome"], "pending", "{row}");
    assert!(row["decide_after"].is_string(), "{row}");
    let puts = || {
        sim.sim()
            .counters()
            .snapshot()
            .hits
            .get("PUT /financing/v1/applications/11200a0ee1/order/cancel")
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(
        puts(),
        1,
        "the edited row was sent while the first may land"
    );

    // The first change lands; after the horizon, the named row is sent once.
    assert_eq!(sim.sim().apply_all_held().await.len(), 1);
    let mut after = named.to_vec();
    after.extend(["--in-flight-horizon", "0s"]);
    let run = run_cli(&after, &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(puts(), 2);
    // 1 of the 3, then the 2 left: the item is cancelled whole.
    assert_eq!(applied(&sim, LATE_ITEM), 1);
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:cancel"), 1);
    sim.shutdown().await;
}

/// JSON Lines with the target as an integer (`"target": 42`, as Arta's API writes session
/// ids): sent, and one target with `"42"` (a rerun in the other spelling sends nothing). A
/// target with a fraction is invalid with a message naming `target`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_lines_target_may_be_an_integer() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.jsonl");
    let f = file.to_str().unwrap();
    std::fs::write(
        &file,
        "{\"account\":\"arta\",\"target\":42,\"action\":\"cancel\"}\r\n{\"account\":\"di\",\"target\":70724760000000101,\"action\":\"cancel\"}\r\n{\"account\":\"arta\",\"target\":44.5,\"action\":\"cancel\"}\r\n",
    )
    .unwrap();
    let run = run_cli(&["--output", "json", "bulk", f], &base).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r.get("line").is_some())
        .collect();
    let row = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap().clone();
    assert_eq!(row(1)["outcome"], "done", "{}", run.stdout);
    assert_eq!(row(1)["target"], "42", "{}", run.stdout);
    assert_eq!(row(2)["outcome"], "done", "{}", run.stdout);
    assert_eq!(row(2)["target"], "70724760000000101", "{}", run.stdout);
    assert_eq!(row(3)["outcome"], "invalid", "{}", run.stdout);
    assert!(
        row(3)["detail"].as_str().unwrap().contains("`target`"),
        "{}",
        run.stdout
    );
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);

    std::fs::write(
        &file,
        "{\"account\":\"arta\",\"target\":\"42\",\"action\":\"cancel\"}\n{\"account\":\"di\",\"target\":\"70724760000000101\",\"action\":\"cancel\"}\n",
    )
    .unwrap();
    let hits_before = hits(&sim);
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("2 rows already done"), "{}", run.stderr);
    assert_eq!(hits(&sim), hits_before, "a request for rows already done");
    sim.shutdown().await;
}

/// The progress line's rate counts the rows finished by this run, not the rows an earlier run
/// finished: a rerun of 300 rows done plus one row answered in 2.5 s showed "301/301 rows
/// (120.4/s)", a throughput that never happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_rate_of_a_rerun_counts_only_its_own_rows() {
    let fleet = Fleet {
        arta_sessions: 301,
        arta_shipments: 0,
        di_orders: 0,
        skippay_whole: 0,
        skippay_items: 0,
    };
    let sim = Simulator::new().seed(fleet.world()).start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.csv");
    let f = file.to_str().unwrap();
    let rows = |n: usize| {
        let mut text = String::from("account,target,action\n");
        for i in 0..n {
            text.push_str(&format!("arta,{},cancel\n", session_id(i)));
        }
        text
    };
    std::fs::write(&file, rows(300)).unwrap();
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);

    std::fs::write(&file, rows(301)).unwrap();
    // Bulk goes change first: the row's one request is its cancel.
    sim.sim().faults().add(
        FaultRule::delay(
            format!("/hosted_sessions/{}/cancel", session_id(300)),
            Duration::from_millis(2500),
        )
        .method("PATCH")
        .times(1),
    );
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("301/301 rows ("))
        .unwrap_or_else(|| panic!("no progress line: {}", run.stderr));
    let rate: f64 = line["301/301 rows (".len()..]
        .split("/s)")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rate < 10.0, "one row in 2.5 s or more: {line}");
    sim.shutdown().await;
}

/// Issue 17: more invalid rows than a run keeps in memory (`InvalidRows::KEPT`, 1,000): the
/// CLI still lists every one (stderr before sending, the JSON rows, the report file) and
/// counts every one, with or without `--strict`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_row_is_listed_past_the_ones_kept_in_memory() {
    let sim = Simulator::new().start().await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    let bad = 1_200u64;
    let mut text = String::from("account,target,action,items,until\narta,42,cancel,,\n");
    for i in 0..bad {
        text.push_str(&format!("arta,{},explode,,\n", 1000 + i));
    }
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let listed = |stderr: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(": line ") && l.contains("`explode`"))
            .count() as u64
    };

    let run = run_cli(&["bulk", f, "--strict"], &base).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(listed(&run.stderr), bad);
    assert!(
        run.stderr
            .contains(&format!("{bad} invalid row(s) and --strict")),
        "{}",
        run.stderr
    );
    let by_reason = format!(
        "{bad} invalid row(s), by reason:\n  {bad} × `action` `…` must be cancel, cancel_items or hold\n"
    );
    assert!(run.stderr.contains(&by_reason), "{}", run.stderr);
    assert_eq!(hits(&sim), 0);

    let run = run_cli(&["--output", "json", "bulk", f], &base).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(listed(&run.stderr), bad);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, rows) = lines.split_last().unwrap();
    assert_eq!(rows.len() as u64, bad + 1, "a JSON row per row");
    assert_eq!(rows[0]["outcome"], "done");
    assert_eq!(rows.last().unwrap()["line"], bad + 2);
    assert_eq!(rows.last().unwrap()["outcome"], "invalid");
    assert_eq!(summary["summary"]["counts"]["invalid"], bad);
    let report = std::fs::read_to_string(dir.path().join("bad.csv.report.csv")).unwrap();
    assert_eq!(
        report.lines().count() as u64,
        bad + 1,
        "a header and a line per row"
    );

    // The table counts them all too (the journal says line 2 is done: not sent again).
    let run = run_cli(&["bulk", f], &base).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("{bad} row(s) need a person")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("... and {} more in the report", bad - 10)),
        "{}",
        run.stdout
    );
    sim.shutdown().await;
}
