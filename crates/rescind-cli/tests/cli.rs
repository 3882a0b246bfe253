//! The `rescind` binary end to end against the simulator: every subcommand, both outputs,
//! every exit code, a missing variable, `demo` and `sim`.
//!
//! Each test starts its own simulator in-process (clock pinned on the demo day) and runs the
//! binary with a cleared environment plus only the variables the case needs. The binary runs
//! on a blocking thread so that the simulator keeps serving on the runtime's workers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW, demo as arta};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use serde_json::Value;

const DI_USER: &str = rescind_sim::di::DEMO_USER.0;
const DI_PASSWORD: &str = rescind_sim::di::DEMO_USER.1;
const SKIPPAY_USER: &str = rescind_sim::skippay::DEMO_PARTNER.0;
const SKIPPAY_PASSWORD: &str = rescind_sim::skippay::DEMO_PARTNER.1;

/// Environment variables for a run.
type Env = Vec<(String, String)>;

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The JSON objects of `--output json`, one per line.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{self:?}"))
            })
            .collect()
    }

    /// The one JSON object of `--output json`.
    fn json(&self) -> Value {
        let mut lines = self.json_lines();
        assert_eq!(lines.len(), 1, "one JSON object expected: {self:?}");
        lines.remove(0)
    }

    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code: {self:?}");
        self
    }

    /// Everything printed, for `contains` checks.
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Values that must never be printed: secrets passed in variables or flags.
fn secrets_of(args: &[&str], env: &[(String, String)]) -> Vec<String> {
    let mut secrets: Vec<String> = env
        .iter()
        .filter(|(k, _)| k.ends_with("_API_KEY") || k.ends_with("_PASSWORD"))
        .map(|(_, v)| v.clone())
        .collect();
    for pair in args.windows(2) {
        if pair[0] == "--api-key" || pair[0] == "--password" {
            secrets.push(pair[1].to_string());
        }
    }
    // Very short values could appear by chance (`x` in any word).
    secrets.retain(|s| s.len() >= 8);
    secrets
}

/// Runs `rescind ARGS` with only `env` set; checks what every run must satisfy: no panic, no
/// backtrace, no secret printed, an exit code of the documented range.
async fn rescind(args: &[&str], env: &[(String, String)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
    cmd.env_clear()
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the blocking task ran")
        .expect("the binary started");
    let run = Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    };
    assert!((0..=6).contains(&run.code), "{args:?}: {run:?}");
    for needle in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!run.all().contains(needle), "{args:?}: {run:?}");
    }
    for secret in secrets_of(args, env) {
        assert!(
            !run.all().contains(&secret),
            "{args:?} printed a secret: {run:?}"
        );
    }
    run
}

/// A simulator with the demo data set and its clock on the demo day.
async fn simulator() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().expect("DEMO_NOW parses")))
        .start()
        .await
        .expect("the simulator starts")
}

fn vars(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn arta_env(sim: &RunningSimulator) -> Env {
    vars(&[
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", &sim.base_url()),
    ])
}

fn di_env(sim: &RunningSimulator) -> Env {
    vars(&[
        ("DI_USERNAME", DI_USER),
        ("DI_PASSWORD", DI_PASSWORD),
        ("DI_BASE_URL", &sim.base_url()),
    ])
}

fn skippay_env(sim: &RunningSimulator) -> Env {
    vars(&[
        ("SKIPPAY_USERNAME", SKIPPAY_USER),
        ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
        ("SKIPPAY_BASE_URL", &sim.base_url()),
    ])
}

fn applied(sim: &RunningSimulator, key: &str) -> u64 {
    sim.sim().counters().applied_count(key)
}

fn hits(sim: &RunningSimulator, route: &str) -> u64 {
    sim.sim().counters().hit_count(route)
}

/// The simulator's whole state as JSON (the seed file's format).
fn state(sim: &RunningSimulator) -> Value {
    serde_json::to_value(sim.sim().world()).expect("the state serializes")
}

fn find<'a>(list: &'a Value, key: &str, id: &Value) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|x| &x[key] == id)
        .unwrap_or_else(|| panic!("no {key} = {id}"))
}

fn session_status(sim: &RunningSimulator, id: u64) -> String {
    let s = state(sim);
    find(&s["arta"]["hosted_sessions"], "id", &id.into())["status"]
        .as_str()
        .expect("a status")
        .to_string()
}

fn shipment_exceptions(sim: &RunningSimulator, id: &str) -> Vec<Value> {
    let s = state(sim);
    find(&s["arta"]["shipments"], "id", &id.into())["exceptions"]
        .as_array()
        .expect("exceptions")
        .clone()
}

fn di_status(sim: &RunningSimulator, shipment: &str) -> String {
    let s = state(sim);
    find(&s["di"]["orders"], "shipmentId", &shipment.into())["ediStatus"]
        .as_str()
        .expect("an ediStatus")
        .to_string()
}

fn skippay_order_state(sim: &RunningSimulator, application: &str) -> String {
    let s = state(sim);
    find(&s["skippay"]["applications"], "id", &application.into())["order"]["state"]
        .as_str()
        .expect("an order state")
        .to_string()
}

/// The one table row of a single-result command: its cells, split on runs of blanks.
fn table_row(run: &Run) -> Vec<String> {
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 2, "a header and one row: {run:?}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["provider", "target", "outcome", "request", "id", "detail"],
        "{run:?}"
    );
    lines[1].split_whitespace().map(str::to_owned).collect()
}

/// The fields every JSON result row has, whatever its outcome.
fn assert_row_fields(row: &Value) {
    for field in ["provider", "target", "outcome", "request_id", "exit_code"] {
        assert!(row.get(field).is_some(), "`{field}` missing: {row}");
    }
    assert!(
        row["provider"].is_string() && row["target"].is_string(),
        "{row}"
    );
    assert!(
        row["outcome"].is_string() && row["exit_code"].is_u64(),
        "{row}"
    );
    assert!(
        row["request_id"].is_null() || row["request_id"].is_string(),
        "{row}"
    );
}

// ---------------------------------------------------------------------------------------------
// demo

const DEMO_STEPS: [(&str, &str); 8] = [
    ("cancel a hosted session", "cancelled"),
    ("hold a shipment until a date", "held"),
    (
        "a hold past the 30-day window is refused before sending",
        "invalid",
    ),
    ("cancel a booked parcel order", "cancelled"),
    ("an order already in transit is refused", "refused"),
    ("cancel one item of an order", "partially_cancelled"),
    ("then cancel the rest of that order", "cancelled"),
    (
        "cancel a session that is already cancelled",
        "already_cancelled",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_every_step_and_exits_0() {
    let run = rescind(&["demo"], &[]).await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(
        run.stdout
            .contains("Arta, Di and Skip Pay simulated at http://127.0.0.1:"),
        "{run:?}"
    );
    for (step, outcome) in DEMO_STEPS {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(step))
            .unwrap_or_else(|| panic!("step `{step}` missing: {run:?}"));
        assert!(
            line.split_whitespace().any(|w| w == outcome),
            "step `{step}` should read {outcome}: {line}"
        );
    }
    assert!(
        run.stdout.contains("Every stop ended as expected"),
        "{run:?}"
    );
    // Request ids of Arta (`Fsim...`) are shown.
    assert!(run.stdout.contains("Fsim"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_json_is_one_object_per_step_with_stable_fields() {
    let run = rescind(&["demo", "--output", "json"], &[]).await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");
    let rows = run.json_lines();
    assert_eq!(rows.len(), DEMO_STEPS.len(), "{run:?}");
    for (row, (step, outcome)) in rows.iter().zip(DEMO_STEPS) {
        assert_row_fields(row);
        assert_eq!(row["step"], step, "{row}");
        assert_eq!(row["outcome"], outcome, "{row}");
        let expected_code = match outcome {
            "invalid" => 2,
            "refused" => 1,
            _ => 0,
        };
        assert_eq!(row["exit_code"], expected_code, "{row}");
    }
    let providers: Vec<&str> = rows
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(
        providers,
        [
            "arta", "arta", "arta", "di", "di", "skippay", "skippay", "arta"
        ]
    );
    assert_eq!(rows[0]["target"], "42");
    assert_eq!(rows[1]["until"], "2026-12-01");
    assert_eq!(rows[2]["sent"], "not_sent");
    assert!(rows[0]["request_id"].as_str().unwrap().starts_with("Fsim"));
}

// ---------------------------------------------------------------------------------------------
// arta

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_cancel_session_then_again_is_already_cancelled() {
    let sim = simulator().await;
    let env = arta_env(&sim);

    let run = rescind(&["arta", "cancel-session", "42"], &env).await;
    run.assert_code(0);
    let row = table_row(&run);
    assert_eq!(row[..3], ["arta", "42", "cancelled"], "{run:?}");
    assert!(row[3].starts_with("Fsim"), "a request id: {run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    assert_eq!(session_status(&sim, 42), "cancelled");
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);

    let run = rescind(&["arta", "cancel-session", "42", "--output", "json"], &env).await;
    run.assert_code(0);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["provider"], "arta");
    assert_eq!(row["target"], "42");
    assert_eq!(row["outcome"], "already_cancelled");
    assert_eq!(row["exit_code"], 0);
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("already cancelled")
    );
    // Nothing was sent the second time.
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);
    assert_eq!(hits(&sim, "PATCH /hosted_sessions/42/cancel"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_cancel_session_json_output() {
    let sim = simulator().await;
    let run = rescind(
        &["--output", "json", "arta", "cancel-session", "42"],
        &arta_env(&sim),
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "cancelled");
    assert!(row["request_id"].as_str().unwrap().starts_with("Fsim"));
    assert!(row["sent"].is_null(), "`sent` is null on success: {row}");
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_hold_without_and_with_until() {
    let sim = simulator().await;
    let env = arta_env(&sim);

    // An undated hold is accepted whatever the shipment's age.
    let run = rescind(&["arta", "hold", arta::PENDING_OLD], &env).await;
    run.assert_code(0);
    let row = table_row(&run);
    assert_eq!(row[..3], ["arta", arta::PENDING_OLD, "held"], "{run:?}");
    assert_eq!(
        applied(&sim, &format!("arta:shipment:{}:hold", arta::PENDING_OLD)),
        1
    );

    let run = rescind(
        &["arta", "hold", arta::CONFIRMED, "--until", "2026-12-01"],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = table_row(&run);
    assert_eq!(
        row[..5],
        ["arta", arta::CONFIRMED, "held", "until", "2026-12-01"],
        "{run:?}"
    );
    assert_eq!(
        applied(&sim, &format!("arta:shipment:{}:hold", arta::CONFIRMED)),
        1
    );
    let exceptions = shipment_exceptions(&sim, arta::CONFIRMED);
    assert!(
        exceptions
            .iter()
            .any(|e| e["type"] == "requested_hold_to_collect" && e["hold_until"] == "2026-12-01"),
        "{exceptions:?}"
    );

    let run = rescind(
        &[
            "arta",
            "hold",
            arta::PENDING,
            "--until",
            "2026-12-20",
            "--output",
            "json",
        ],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "held");
    assert_eq!(row["until"], "2026-12-20");
    assert_eq!(row["target"], arta::PENDING);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_hold_of_a_held_shipment_sends_nothing() {
    let sim = simulator().await;
    let run = rescind(
        &["arta", "hold", arta::HELD, "--until", "2026-12-10"],
        &arta_env(&sim),
    )
    .await;
    run.assert_code(0);
    assert!(run.stdout.contains("already on hold"), "{run:?}");
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_show_session_and_shipment_in_both_outputs() {
    let sim = simulator().await;
    let env = arta_env(&sim);

    let run = rescind(&["arta", "show-session", "44"], &env).await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");
    for (key, value) in [
        ("id", "44"),
        ("status", "closed"),
        ("shortcode", "DEMO-R3TW8N"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [key, value]),
            "`{key} {value}` missing: {run:?}"
        );
    }
    assert!(
        run.stdout.lines().any(|l| l.starts_with("request id")
            && l.split_whitespace().last().unwrap().starts_with("Fsim")),
        "{run:?}"
    );

    let run = rescind(&["--output", "json", "arta", "show-session", "42"], &env).await;
    run.assert_code(0);
    let session = run.json();
    assert_eq!(session["id"], 42);
    assert_eq!(session["status"], "new");
    assert_eq!(session["shortcode"], "DEMO-B49SVZ");

    let run = rescind(&["arta", "show-shipment", arta::PENDING], &env).await;
    run.assert_code(0);
    for (key, value) in [
        ("id", arta::PENDING),
        ("status", "pending"),
        ("exceptions", "1"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [key, value]),
            "`{key} {value}` missing: {run:?}"
        );
    }

    let run = rescind(
        &["arta", "show-shipment", arta::HELD, "--output", "json"],
        &env,
    )
    .await;
    run.assert_code(0);
    let shipment = run.json();
    assert_eq!(shipment["id"], arta::HELD);
    assert_eq!(shipment["status"], "confirmed");
    assert!(
        shipment["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == arta::HELD_EXCEPTION),
        "{shipment}"
    );
    // Reading changes nothing.
    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

// ---------------------------------------------------------------------------------------------
// di

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn di_cancel_bare_and_with_prefix() {
    let sim = simulator().await;
    let env = di_env(&sim);

    let run = rescind(&["di", "cancel", "70724760000000101"], &env).await;
    run.assert_code(0);
    let row = table_row(&run);
    assert_eq!(
        row[..3],
        ["di", "70724760000000101", "cancelled"],
        "{run:?}"
    );
    assert_eq!(di_status(&sim, "70724760000000101"), "CANCELLED");
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);

    let run = rescind(
        &["di", "cancel", "(401)70724760000000105", "--output", "json"],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["provider"], "di");
    assert_eq!(row["target"], "70724760000000105");
    assert_eq!(row["outcome"], "cancelled");
    assert_eq!(row["exit_code"], 0);
    assert_eq!(di_status(&sim, "70724760000000105"), "CANCELLED");
    assert_eq!(applied(&sim, "di:order:70724760000000105:cancel"), 1);

    // Again: already cancelled, exit 0, nothing sent.
    let run = rescind(&["di", "cancel", "70724760000000101"], &env).await;
    run.assert_code(0);
    assert_eq!(table_row(&run)[2], "already_cancelled", "{run:?}");
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);
    assert_eq!(
        hits(
            &sim,
            "DELETE /ws/json/parcel/booking/v-1/order/cancel/70724760000000101"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn di_show_in_both_outputs() {
    let sim = simulator().await;
    let env = di_env(&sim);

    let run = rescind(&["di", "show", "(401)70724760000000105"], &env).await;
    run.assert_code(0);
    for (key, value) in [
        ("shipment", "70724760000000105"),
        ("status", "EXPORT_OK"),
        ("pick-up", "true"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [key, value]),
            "`{key} {value}` missing: {run:?}"
        );
    }

    let run = rescind(
        &["di", "show", "70724760000000101", "--output", "json"],
        &env,
    )
    .await;
    run.assert_code(0);
    let order = run.json();
    assert_eq!(order["shipmentId"], "70724760000000101");
    assert_eq!(order["ediStatus"], "EXPORT_OK");
    assert_eq!(order["desiredDeliveryDate"], "2099-06-15");
    assert_eq!(
        order["items"][0]["trackingReference"],
        "00370724760000000101"
    );
    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

// ---------------------------------------------------------------------------------------------
// skippay

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skippay_cancel_items_then_the_rest() {
    let sim = simulator().await;
    let env = skippay_env(&sim);

    let run = rescind(
        &[
            "skippay",
            "cancel",
            "11200a0ee1",
            "--item",
            "code=CASE-3,quantity=1",
        ],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = table_row(&run);
    assert_eq!(
        row[..3],
        ["skippay", "11200a0ee1", "partially_cancelled"],
        "{run:?}"
    );
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:reduce"), 1);
    assert_eq!(skippay_order_state(&sim, "11200a0ee1"), "PROCESSING");

    // Two items at once, by different identifiers, whole.
    let run = rescind(
        &[
            "--output",
            "json",
            "skippay",
            "cancel",
            "11200a0ee1",
            "--item",
            "code=CABLE-M",
            "--item",
            "ean=888462064002",
        ],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "partially_cancelled");
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CABLE-M:cancel"), 1);
    assert_eq!(
        applied(&sim, "skippay:item:11200a0ee1/EXC4677-1a:cancel"),
        1
    );

    let run = rescind(&["skippay", "cancel", "11200a0ee1"], &env).await;
    run.assert_code(0);
    assert_eq!(table_row(&run)[..3], ["skippay", "11200a0ee1", "cancelled"]);
    assert_eq!(skippay_order_state(&sim, "11200a0ee1"), "CANCELLED");
    assert_eq!(applied(&sim, "skippay:order:11200a0ee1:cancel"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skippay_cancel_whole_json_and_already_cancelled() {
    let sim = simulator().await;
    let env = skippay_env(&sim);

    let run = rescind(
        &["skippay", "cancel", "11200a0ee2", "--output", "json"],
        &env,
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["provider"], "skippay");
    assert_eq!(row["target"], "11200a0ee2");
    assert_eq!(row["outcome"], "cancelled");
    assert_eq!(skippay_order_state(&sim, "11200a0ee2"), "CANCELLED");
    assert_eq!(applied(&sim, "skippay:order:11200a0ee2:cancel"), 1);

    let run = rescind(&["skippay", "cancel", "11200a0ee6"], &env).await;
    run.assert_code(0);
    assert_eq!(table_row(&run)[2], "already_cancelled", "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skippay_show_in_both_outputs() {
    let sim = simulator().await;
    let env = skippay_env(&sim);

    let run = rescind(&["skippay", "show", "11200a0ee1"], &env).await;
    run.assert_code(0);
    assert!(run.stdout.contains("application  11200a0ee1"), "{run:?}");
    assert!(run.stdout.contains("READY"), "{run:?}");
    assert!(run.stdout.contains("CASE-3 x3 PROCESSING"), "{run:?}");
    assert!(run.stdout.contains("CABLE-M x2.5 PROCESSING"), "{run:?}");

    let run = rescind(&["skippay", "show", "11200a0ee6", "--output", "json"], &env).await;
    run.assert_code(0);
    let app = run.json();
    assert_eq!(app["id"], "11200a0ee6");
    assert_eq!(app["state"], "CANCELLED");
    assert_eq!(app["order"]["state"], "CANCELLED");
    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

// ---------------------------------------------------------------------------------------------
// exit 1: refused by the provider's rules

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_exit_1_and_send_nothing() {
    let sim = simulator().await;

    let run = rescind(&["di", "cancel", "(401)70724760000000102"], &di_env(&sim)).await;
    run.assert_code(1);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("in transit"), "{run:?}");
    assert!(
        run.stderr
            .contains("hint: the provider's rules refuse this now; nothing was changed"),
        "{run:?}"
    );
    assert_eq!(
        run.stderr.lines().count(),
        2,
        "one line plus a hint: {run:?}"
    );
    assert_eq!(di_status(&sim, "70724760000000102"), "EXPORT_OK");
    assert_eq!(
        hits(
            &sim,
            "DELETE /ws/json/parcel/booking/v-1/order/cancel/70724760000000102"
        ),
        0
    );

    let run = rescind(
        &["arta", "hold", arta::IN_TRANSIT, "--output", "json"],
        &arta_env(&sim),
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.is_empty(), "json errors go to stdout: {run:?}");
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "refused");
    assert_eq!(row["exit_code"], 1);
    assert_eq!(row["sent"], "not_sent");
    assert!(
        row["detail"].as_str().unwrap().contains("in_transit"),
        "{row}"
    );
    assert!(row["hint"].as_str().unwrap().contains("refuse"), "{row}");
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 0);

    let run = rescind(&["skippay", "cancel", "11200a0ee5"], &skippay_env(&sim)).await;
    run.assert_code(1);
    assert!(run.stderr.contains("REJECTED"), "{run:?}");
    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

/// A `closed` hosted session (booked: Arta answers 422) is refused by Arta's rules: exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arta_cancel_of_a_closed_session_is_refused() {
    let sim = simulator().await;
    let run = rescind(&["arta", "cancel-session", "44"], &arta_env(&sim)).await;
    run.assert_code(1);
    assert!(run.stderr.contains("closed"), "{run:?}");
    assert_eq!(session_status(&sim, 44), "closed");
}

// ---------------------------------------------------------------------------------------------
// exit 2: bad usage or input

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_usage_exits_2_before_sending() {
    let sim = simulator().await;
    let arta = arta_env(&sim);
    let skippay = skippay_env(&sim);

    // clap's own errors.
    for args in [
        &["arta", "cancel-session", "42", "--bogus"][..],
        &["--output", "xml", "demo"],
        &["arta", "cancel-session"],
        &["nope"],
    ] {
        let run = rescind(args, &arta).await;
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
    }

    // The CLI's own checks: one line naming what is wrong, nothing sent.
    let cases: [(&[&str], &Env, &str); 7] = [
        (
            &["arta", "cancel-session", "abc"],
            &arta,
            "hosted session id",
        ),
        (
            &["arta", "show-session", "x1"],
            &arta,
            "`x1` must be a hosted session's number",
        ),
        (
            &["arta", "hold", arta::CONFIRMED, "--until", "2026-13-01"],
            &arta,
            "`2026-13-01` must be a date as YYYY-MM-DD",
        ),
        (
            &["arta", "hold", arta::CONFIRMED, "--until", "tomorrow"],
            &arta,
            "`tomorrow` must be a date",
        ),
        (
            &[
                "skippay",
                "cancel",
                "11200a0ee1",
                "--item",
                "code=CASE-3,quantity=two",
            ],
            &skippay,
            "--item #1` quantity `two` is not a decimal number",
        ),
        (
            &[
                "skippay",
                "cancel",
                "11200a0ee1",
                "--item",
                "code=CASE-3",
                "--item",
                "colour=red",
            ],
            &skippay,
            "--item #2` `colour` is not one of",
        ),
        (
            &["skippay", "cancel", "11200a0ee1", "--item", "quantity=1"],
            &skippay,
            "needs at least one of code, ean, name, type",
        ),
    ];
    for (args, env, needle) in cases {
        let run = rescind(args, env).await;
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {run:?}");
    }

    // A hold past the 30-day window is refused before sending.
    let run = rescind(
        &[
            "arta",
            "hold",
            arta::CONFIRMED,
            "--until",
            "2027-01-15",
            "--output",
            "json",
        ],
        &arta,
    )
    .await;
    run.assert_code(2);
    let row = run.json();
    assert_eq!(row["outcome"], "invalid");
    assert_eq!(row["sent"], "not_sent");

    // An item that matches nothing in the order.
    let run = rescind(
        &["skippay", "cancel", "11200a0ee1", "--item", "code=NOPE"],
        &skippay,
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("matches no item"), "{run:?}");

    assert!(sim.sim().counters().snapshot().applied.is_empty());
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 0);
    assert_eq!(
        hits(
            &sim,
            "PUT /financing/v1/applications/11200a0ee1/order/cancel"
        ),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_variable_is_one_line_naming_it() {
    let sim = simulator().await;
    let base = sim.base_url();
    let cases: [(&[&str], Env, &str); 6] = [
        // Nothing at all.
        (&["arta", "cancel-session", "42"], vec![], "ARTA_API_KEY"),
        (
            &["arta", "show-session", "42"],
            vars(&[("ARTA_BASE_URL", &base)]),
            "ARTA_API_KEY",
        ),
        (
            &["di", "cancel", "70724760000000101"],
            vars(&[("DI_USERNAME", DI_USER), ("DI_BASE_URL", &base)]),
            "DI_PASSWORD",
        ),
        (
            &["di", "show", "70724760000000101"],
            vars(&[("DI_USERNAME", DI_USER), ("DI_PASSWORD", DI_PASSWORD)]),
            "DI_ENV",
        ),
        (
            &["skippay", "cancel", "11200a0ee2"],
            vars(&[
                ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
                ("SKIPPAY_BASE_URL", &base),
            ]),
            "SKIPPAY_USERNAME",
        ),
        (
            &["skippay", "show", "11200a0ee2"],
            vec![],
            "SKIPPAY_USERNAME",
        ),
    ];
    for (args, env, var) in cases {
        let run = rescind(args, &env).await;
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(var),
            "{args:?} should name {var}: {run:?}"
        );
    }

    // DI_ENV must be one of two words.
    let run = rescind(
        &["di", "show", "1"],
        &vars(&[
            ("DI_USERNAME", DI_USER),
            ("DI_PASSWORD", DI_PASSWORD),
            ("DI_ENV", "staging"),
        ]),
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("DI_ENV must be `test` or `production`"),
        "{run:?}"
    );

    // In JSON, the same error is a row.
    let run = rescind(&["--output", "json", "arta", "cancel-session", "42"], &[]).await;
    run.assert_code(2);
    let row = run.json();
    assert_eq!(row["outcome"], "invalid");
    assert!(
        row["detail"].as_str().unwrap().contains("ARTA_API_KEY"),
        "{row}"
    );

    // Flags stand in for the variables.
    let run = rescind(
        &[
            "arta",
            "--api-key",
            DEMO_API_KEY,
            "--base-url",
            &base,
            "cancel-session",
            "42",
        ],
        &[],
    )
    .await;
    run.assert_code(0);
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 1);
    assert_eq!(
        sim.sim().counters().snapshot().applied.len(),
        1,
        "nothing else was changed"
    );
}

// ---------------------------------------------------------------------------------------------
// exit 3: authentication or permission

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_exit_3_and_are_never_printed() {
    let sim = simulator().await;
    let base = sim.base_url();

    let wrong_key = "sim_arta_WRONG_key_9f8e7d6c5b4a";
    let run = rescind(
        &["arta", "cancel-session", "42"],
        &vars(&[("ARTA_API_KEY", wrong_key), ("ARTA_BASE_URL", &base)]),
    )
    .await;
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("Arta refused the credentials (HTTP 401"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("hint: check the arta credentials"),
        "{run:?}"
    );

    let wrong_password = "not-the-very-very-long-password";
    let run = rescind(
        &["--output", "json", "di", "cancel", "70724760000000101"],
        &vars(&[
            ("DI_USERNAME", DI_USER),
            ("DI_PASSWORD", wrong_password),
            ("DI_BASE_URL", &base),
        ]),
    )
    .await;
    run.assert_code(3);
    let row = run.json();
    assert_eq!(row["outcome"], "unauthorized");
    assert_eq!(row["exit_code"], 3);

    // Skip Pay, the password given as a flag.
    let run = rescind(
        &[
            "skippay",
            "--username",
            SKIPPAY_USER,
            "--password",
            "eShopWrongSecretPassword",
            "--base-url",
            &base,
            "cancel",
            "11200a0ee2",
        ],
        &[],
    )
    .await;
    run.assert_code(3);
    assert!(
        run.stderr.contains("hint: check the skippay credentials"),
        "{run:?}"
    );

    // Permission: another shop's Di order.
    let run = rescind(&["di", "cancel", "70724760000000108"], &di_env(&sim)).await;
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("Di does not let this account act on order 70724760000000108 (HTTP 403"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("hint: the account may not act on this target"),
        "{run:?}"
    );

    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_never_printed_on_success_or_failure() {
    let sim = simulator().await;
    let base = sim.base_url();
    // `rescind()` checks every run for the values of *_API_KEY, *_PASSWORD, --api-key and
    // --password; these runs cover both outputs, successes and each kind of failure.
    let runs: [(&[&str], Env); 8] = [
        (&["arta", "show-session", "42"], arta_env(&sim)),
        (
            &["--output", "json", "arta", "show-session", "42"],
            arta_env(&sim),
        ),
        (
            &["--output", "json", "arta", "cancel-session", "999"],
            arta_env(&sim),
        ),
        (
            &[
                "arta",
                "--api-key",
                "sim_arta_flag_secret_123456",
                "--base-url",
                &base,
                "show-session",
                "42",
            ],
            vec![],
        ),
        (&["di", "show", "70724760000000101"], di_env(&sim)),
        (
            &["--output", "json", "di", "cancel", "70724760000000103"],
            di_env(&sim),
        ),
        (
            &[
                "--output",
                "json",
                "skippay",
                "cancel",
                "11200a0ee1",
                "--item",
                "code=CASE-3,quantity=9",
            ],
            skippay_env(&sim),
        ),
        (
            &["skippay", "show", "11200a0ee1"],
            vars(&[
                ("SKIPPAY_USERNAME", SKIPPAY_USER),
                ("SKIPPAY_BASE_URL", &base),
            ]),
        ),
    ];
    for (args, env) in &runs {
        let run = rescind(args, env).await;
        // And the demo's well-known secrets, whichever run.
        for secret in [DEMO_API_KEY, DI_PASSWORD, SKIPPAY_PASSWORD] {
            assert!(!run.all().contains(secret), "{args:?}: {run:?}");
        }
    }
    // A password with an unusual spelling, in a variable, on a connection refused.
    let run = rescind(
        &["skippay", "cancel", "11200a0ee2"],
        &vars(&[
            ("SKIPPAY_USERNAME", SKIPPAY_USER),
            ("SKIPPAY_PASSWORD", "p@ss w0rd \"quoted\" secret"),
            ("SKIPPAY_BASE_URL", "http://127.0.0.1:1"),
        ]),
    )
    .await;
    run.assert_code(5);
}

// ---------------------------------------------------------------------------------------------
// exit 4: not found

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_targets_exit_4() {
    let sim = simulator().await;
    let cases: [(&[&str], Env); 6] = [
        (&["arta", "cancel-session", "999"], arta_env(&sim)),
        (&["arta", "show-session", "999"], arta_env(&sim)),
        (
            &["arta", "show-shipment", "no-such-shipment"],
            arta_env(&sim),
        ),
        (&["arta", "hold", "no-such-shipment"], arta_env(&sim)),
        (&["di", "cancel", "70724769999999999"], di_env(&sim)),
        (&["skippay", "show", "11200a0eff"], skippay_env(&sim)),
    ];
    for (args, env) in &cases {
        let run = rescind(args, env).await;
        run.assert_code(4);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
        // In the user's words: "Arta has no hosted session 999 (HTTP 404, request id ...)".
        assert!(run.stderr.contains(" has no "), "{args:?}: {run:?}");
        assert!(run.stderr.contains("(HTTP 404"), "{args:?}: {run:?}");
    }
    let run = rescind(
        &["skippay", "cancel", "11200a0eff", "--output", "json"],
        &skippay_env(&sim),
    )
    .await;
    run.assert_code(4);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "not_found");
    assert_eq!(row["exit_code"], 4);
    assert!(sim.sim().counters().snapshot().applied.is_empty());
}

// ---------------------------------------------------------------------------------------------
// exit 5: failure after retries

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failing_every_attempt_of_a_change_exits_6_and_says_what_to_check() {
    // A 5xx proves nothing about a change: the session is read back (unchanged), and since the
    // transport already sent the idempotent cancel 3 times, it is not sent again.
    let sim = simulator().await;
    let unavailable = FaultAction::status(503);
    sim.sim()
        .faults()
        .add(FaultRule::new("/hosted_sessions/*/cancel", unavailable.clone()).method("PATCH"));
    let run = rescind(&["arta", "cancel-session", "42"], &arta_env(&sim)).await;
    run.assert_code(6);
    assert!(run.stderr.contains("503"), "{run:?}");
    assert!(!run.stderr.contains("nothing was changed"), "{run:?}");
    assert!(
        run.stderr.contains(
            "hint: the change may have been applied: check with `rescind arta show-session 42` before trying again"
        ),
        "{run:?}"
    );
    assert_eq!(hits(&sim, "PATCH /hosted_sessions/42/cancel"), 3);
    assert_eq!(applied(&sim, "arta:hosted_session:42:cancel"), 0);
    assert_eq!(session_status(&sim, 42), "new");

    sim.sim().faults().add(
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/order/cancel/*",
            unavailable.clone(),
        )
        .method("DELETE"),
    );
    let run = rescind(
        &["--output", "json", "di", "cancel", "70724760000000101"],
        &di_env(&sim),
    )
    .await;
    run.assert_code(6);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "unknown");
    assert_eq!(row["exit_code"], 6);
    assert_eq!(row["sent"], "maybe_sent");
    assert_eq!(row["observed_before"]["state"], "EXPORT_OK", "{row}");
    assert_eq!(row["observed_before"]["cancelled"], false, "{row}");
    assert_eq!(
        hits(
            &sim,
            "DELETE /ws/json/parcel/booking/v-1/order/cancel/70724760000000101"
        ),
        3
    );
    assert_eq!(di_status(&sim, "70724760000000101"), "EXPORT_OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_failing_every_attempt_exits_5() {
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/details/*",
            FaultAction::status(503),
        )
        .method("GET"),
    );
    let run = rescind(&["di", "show", "70724760000000101"], &di_env(&sim)).await;
    run.assert_code(5);
    assert!(
        run.stderr
            .contains("hint: Di answered with an error; try again later"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_exits_5() {
    // A port nothing listens on: bind one, then free it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = rescind(
        &["arta", "cancel-session", "42"],
        &vars(&[("ARTA_API_KEY", DEMO_API_KEY), ("ARTA_BASE_URL", &url)]),
    )
    .await;
    run.assert_code(5);
    assert!(run.stderr.contains("nothing was sent"), "{run:?}");
    assert!(
        run.stderr
            .contains("hint: nothing was sent; try again later"),
        "{run:?}"
    );

    let run = rescind(
        &["--output", "json", "di", "show", "70724760000000101"],
        &vars(&[
            ("DI_USERNAME", DI_USER),
            ("DI_PASSWORD", DI_PASSWORD),
            ("DI_BASE_URL", &url),
        ]),
    )
    .await;
    run.assert_code(5);
    let row = run.json();
    assert_eq!(row["outcome"], "failed");
    assert_eq!(row["sent"], "not_sent");
}

// ---------------------------------------------------------------------------------------------
// exit 6: outcome unknown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_hold_answer_is_settled_by_reading_back() {
    // The hold is applied, then the connection drops: the client reads the shipment back,
    // finds the new hold and reports it (exit 0), without posting a second one.
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new("/shipment_exceptions", FaultAction::Drop)
            .method("POST")
            .after_apply(),
    );
    let run = rescind(
        &["arta", "hold", arta::CONFIRMED, "--until", "2026-12-01"],
        &arta_env(&sim),
    )
    .await;
    run.assert_code(0);
    assert!(run.stdout.contains("held until 2026-12-01"), "{run:?}");
    assert!(
        run.stdout
            .contains("reading the shipment back showed the hold"),
        "{run:?}"
    );
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 1);
    assert_eq!(
        applied(&sim, &format!("arta:shipment:{}:hold", arta::CONFIRMED)),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_that_may_have_been_sent_exits_6_and_says_what_to_check() {
    // The connection drops before an answer and the read-back shows no hold (yet): the hold
    // may still appear, so the outcome stays unknown and the POST is not sent again.
    let sim = simulator().await;
    sim.sim()
        .faults()
        .add(FaultRule::new("/shipment_exceptions", FaultAction::Drop).method("POST"));
    let env = arta_env(&sim);

    let run = rescind(&["arta", "hold", arta::CONFIRMED], &env).await;
    run.assert_code(6);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr
            .contains("no new requested_hold_to_collect exception yet; it may still appear"),
        "{run:?}"
    );
    assert_eq!(
        run.stderr.lines().count(),
        2,
        "one line plus a hint: {run:?}"
    );
    let hint = format!(
        "hint: the change may have been applied: check with `rescind arta show-shipment {}` before trying again",
        arta::CONFIRMED
    );
    assert!(run.stderr.contains(&hint), "{run:?}");
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 1);

    let run = rescind(&["--output", "json", "arta", "hold", arta::CONFIRMED], &env).await;
    run.assert_code(6);
    let row = run.json();
    assert_row_fields(&row);
    assert_eq!(row["outcome"], "unknown");
    assert_eq!(row["sent"], "maybe_sent");
    assert_eq!(row["exit_code"], 6);
    assert!(
        row["hint"]
            .as_str()
            .unwrap()
            .contains(&format!("rescind arta show-shipment {}", arta::CONFIRMED)),
        "{row}"
    );
    assert_eq!(
        hits(&sim, "POST /shipment_exceptions"),
        2,
        "one POST per run"
    );
    assert_eq!(
        applied(&sim, &format!("arta:shipment:{}:hold", arta::CONFIRMED)),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_cancel_whose_answer_was_lost_is_settled_by_reading_back() {
    // A cancel with a quantity is not idempotent: applied, answer lost, never re-sent; the
    // application read back shows one piece fewer, so the outcome is known (exit 0).
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::Drop,
        )
        .method("PUT")
        .after_apply(),
    );
    let run = rescind(
        &[
            "--output",
            "json",
            "skippay",
            "cancel",
            "11200a0ee1",
            "--item",
            "code=CASE-3,quantity=1",
        ],
        &skippay_env(&sim),
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_eq!(row["outcome"], "partially_cancelled", "{row}");
    assert_eq!(row["settled_by"], "read_back", "{row}");
    assert_eq!(
        hits(
            &sim,
            "PUT /financing/v1/applications/11200a0ee1/order/cancel"
        ),
        1
    );
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:reduce"), 1);
}

/// The first scenario: a 500 after the quantity cancel was applied. It used to say
/// "nothing was changed; try again later", and following that cancelled twice. Now the
/// answer proves nothing, the read-back shows the change, and the outcome is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_after_a_quantity_cancel_was_applied_is_never_applied_twice() {
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::status(500),
        )
        .method("PUT")
        .after_apply()
        .times(1),
    );
    let args = [
        "--output",
        "json",
        "skippay",
        "cancel",
        "11200a0ee1",
        "--item",
        "code=CASE-3,quantity=1",
    ];
    let run = rescind(&args, &skippay_env(&sim)).await;
    run.assert_code(0);
    let row = run.json();
    assert_eq!(row["outcome"], "partially_cancelled", "{row}");
    assert_eq!(row["settled_by"], "read_back", "{row}");
    assert!(row["hint"].is_null(), "{row}");
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:reduce"), 1);
    assert_eq!(
        hits(
            &sim,
            "PUT /financing/v1/applications/11200a0ee1/order/cancel"
        ),
        1
    );
}

/// The same 500 before anything was applied: the read-back shows the item unchanged, but a
/// quantity cancel is not sent again (it may still land): exit 6, a hint to check with
/// `show`, the reading from before in the JSON. Following the hint literally (show, then
/// cancel again since nothing changed) cancels once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unproven_quantity_cancel_hints_at_show_and_following_it_cancels_once() {
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*/order/cancel",
            FaultAction::status(500),
        )
        .method("PUT")
        .times(1),
    );
    let env = skippay_env(&sim);
    let args = [
        "--output",
        "json",
        "skippay",
        "cancel",
        "11200a0ee1",
        "--item",
        "code=CASE-3,quantity=1",
    ];
    let run = rescind(&args, &env).await;
    run.assert_code(6);
    let row = run.json();
    assert_eq!(row["outcome"], "unknown", "{row}");
    assert_eq!(row["sent"], "maybe_sent", "{row}");
    assert_eq!(
        row["hint"],
        "the change may have been applied: check with `rescind skippay show 11200a0ee1` before trying again"
    );
    let before = &row["observed_before"];
    assert_eq!(before["target"], "11200a0ee1", "{row}");
    assert_eq!(before["items"][0]["label"], "CASE-3", "{row}");
    let quantity_before: f64 = match &before["items"][0]["quantity"] {
        Value::String(q) => q.parse().expect("a decimal"),
        other => other.as_f64().expect("a quantity"),
    };
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:reduce"), 0);

    // The hint, literally: show the application; it reads as before, so cancel again.
    let show = rescind(&["--output", "json", "skippay", "show", "11200a0ee1"], &env).await;
    show.assert_code(0);
    let case = show.json()["order"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "CASE-3" && i["state"] != "CANCELLED")
        .cloned()
        .expect("CASE-3 still active");
    assert_eq!(case["quantity"].as_f64(), Some(quantity_before), "{case}");
    let run = rescind(&args, &env).await;
    run.assert_code(0);
    assert_eq!(applied(&sim, "skippay:item:11200a0ee1/CASE-3:reduce"), 1);
}

/// The second scenario: Di's cancel answered with malformed JSON, not applied. It used
/// to be reported `cancelled` (exit 0) while the order was still EXPORT_OK. Now the answer
/// proves nothing, the order reads back unchanged, and the idempotent cancel is sent once
/// more: the order is cancelled once, and the outcome says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_di_answer_not_applied_is_never_reported_done_falsely() {
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/order/cancel/*",
            FaultAction::MalformedJson,
        )
        .method("DELETE")
        .times(1),
    );
    let run = rescind(
        &["--output", "json", "di", "cancel", "70724760000000101"],
        &di_env(&sim),
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_eq!(row["outcome"], "cancelled", "{row}");
    assert!(
        row["detail"].as_str().unwrap().contains("sent once more"),
        "{row}"
    );
    assert_eq!(di_status(&sim, "70724760000000101"), "CANCELLED");
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);
    assert_eq!(
        hits(
            &sim,
            "DELETE /ws/json/parcel/booking/v-1/order/cancel/70724760000000101"
        ),
        2
    );
}

/// Malformed JSON after the cancel was applied: the read-back shows CANCELLED, nothing is sent
/// again, and the outcome is marked as settled by reading back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_di_answer_after_the_cancel_is_settled_by_reading_back() {
    let sim = simulator().await;
    sim.sim().faults().add(
        FaultRule::new(
            "/ws/json/parcel/booking/v-1/order/cancel/*",
            FaultAction::MalformedJson,
        )
        .method("DELETE")
        .after_apply()
        .times(1),
    );
    let run = rescind(
        &["--output", "json", "di", "cancel", "70724760000000101"],
        &di_env(&sim),
    )
    .await;
    run.assert_code(0);
    let row = run.json();
    assert_eq!(row["outcome"], "cancelled", "{row}");
    assert_eq!(row["settled_by"], "read_back", "{row}");
    assert_eq!(applied(&sim, "di:order:70724760000000101:cancel"), 1);
    assert_eq!(
        hits(
            &sim,
            "DELETE /ws/json/parcel/booking/v-1/order/cancel/70724760000000101"
        ),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// rescind sim

/// Kills the child on every path out of the test.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sim_serves_in_the_foreground() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_rescind"))
            .env_clear()
            .args(["sim", "--addr", &addr])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rescind sim starts"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("rescind sim prints its URL");
    assert!(
        line.contains(&format!("listening on http://{addr}")),
        "{line:?}"
    );
    // The banner ends with the variables that point a client at it, ready to paste.
    let mut exports = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
        if let Some(export) = line.strip_prefix("export ") {
            exports.push(export.to_string());
        }
        if line.starts_with("export SKIPPAY_PASSWORD=") {
            break;
        }
    }
    let expected: Vec<String> = rescind_sim::demo_env(&format!("http://{addr}"))
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    assert_eq!(exports, expected);

    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /__sim/state HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"api_keys\""), "{response}");
    assert!(response.contains("11200a0ee1"), "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_with_a_missing_seed_file_exits_2() {
    let run = rescind(
        &[
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            "/no/such/seed.json",
        ],
        &[],
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("cannot read the seed file"), "{run:?}");
}
