//! The `rescind` binary as an operator tool: a closed pipe, tables that fit, exit codes in
//! `--help`, `-v`/`RUST_LOG`, `--timeout`/`--retries` and the retry line, completions and the
//! man page, `sim --addr`, redacted capability tokens, the same JSON fields on every row, and
//! secrets read from a file or standard input.
//!
//! Each test starts its own simulator in-process (clock pinned on the demo day) and runs the
//! binary on a blocking thread with a cleared environment plus the variables the case needs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use serde_json::Value;

const SKIPPAY_USER: &str = rescind_sim::skippay::DEMO_PARTNER.0;
const SKIPPAY_PASSWORD: &str = rescind_sim::skippay::DEMO_PARTNER.1;

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code: {self:?}");
        self
    }

    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `rescind ARGS` with only `env` set and `stdin` as its standard input; checks that it
/// did not panic and exited with a documented code.
async fn rescind_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
    cmd.env_clear()
        .args(args)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let input = stdin.map(str::to_owned);
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the binary starts");
        if let Some(text) = input {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
        child.wait_with_output()
    })
    .await
    .expect("the blocking task ran")
    .expect("the binary ran");
    let run = Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    };
    assert!((0..=6).contains(&run.code), "{args:?}: {run:?}");
    for needle in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!run.all().contains(needle), "{args:?}: {run:?}");
    }
    run
}

async fn rescind(args: &[&str], env: &[(&str, &str)]) -> Run {
    rescind_with(args, env, None).await
}

async fn simulator() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().expect("DEMO_NOW parses")))
        .start()
        .await
        .expect("the simulator starts")
}

fn hits(sim: &RunningSimulator, route: &str) -> u64 {
    sim.sim().counters().hit_count(route)
}

/// The first Arta hosted session's private token in the demo data.
fn private_token(sim: &RunningSimulator, id: u64) -> String {
    let state = serde_json::to_value(sim.sim().world()).unwrap();
    state["arta"]["hosted_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .and_then(|s| s["private_token"].as_str())
        .expect("the demo session has a private token")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// a closed pipe

/// Runs `rescind ARGS` with its stdout read by `reader` (which may stop early and close it),
/// and returns the exit code and stderr.
fn run_with_reader(args: &[&str], reader: impl FnOnce(std::process::ChildStdout)) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rescind"))
        .env_clear()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    reader(child.stdout.take().unwrap());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed"), stderr)
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `rescind demo | head -1`: the first line read, then the pipe closed while the tour runs.
    let (code, stderr) = run_with_reader(&["demo"], |stdout| {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(line.starts_with("rescind demo:"), "{line:?}");
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");

    // Closed before the first byte: every write fails, and the command still ends as it would.
    for args in [
        &["demo"][..],
        &["demo", "--output", "json"],
        &["completions", "bash"],
        &["man"],
    ] {
        let (code, stderr) = run_with_reader(args, drop);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("failed printing"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_stderr_is_not_a_panic_either() {
    // A usage error is written to stderr; with stderr closed it is dropped, and the exit code
    // is still 2 (a panic would exit 101).
    let mut child = Command::new(env!("CARGO_BIN_EXE_rescind"))
        .env_clear()
        .args(["sim", "--addr", "localhost"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// tables

fn assert_no_trailing_blanks(text: &str) {
    for line in text.lines() {
        assert_eq!(line, line.trim_end(), "a trailing blank in {line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_at_80_columns_has_no_line_over_80() {
    for (args, env) in [
        (&["demo"][..], &[("COLUMNS", "80")][..]),
        (&["demo", "--width", "80"], &[]),
        (&["demo", "--width", "60"], &[("COLUMNS", "200")]),
    ] {
        let width: usize = if args.contains(&"60") { 60 } else { 80 };
        let run = rescind(args, env).await;
        run.assert_code(0);
        for line in run.stdout.lines() {
            assert!(
                line.chars().count() <= width,
                "{args:?}: a line of {} columns: {line:?}",
                line.chars().count()
            );
        }
        assert_no_trailing_blanks(&run.stdout);
        // Nothing was cut: every step, and the long refusal's last words, are there.
        let joined = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        for step in [
            "cancel a hosted session",
            "an order already in transit is refused",
            "cancel a session that is already cancelled",
        ] {
            assert!(
                joined.contains(step),
                "{args:?}: `{step}` missing:\n{}",
                run.stdout
            );
        }
        assert!(
            joined.contains("customer service to stop it"),
            "{}",
            run.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wide_enough_table_wraps_only_the_detail_column() {
    let run = rescind(&["demo", "--width", "200"], &[]).await;
    run.assert_code(0);
    assert_no_trailing_blanks(&run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let header = lines
        .iter()
        .find(|l| l.starts_with("step"))
        .expect("a header");
    let detail_at = header.find("detail").expect("a detail column");
    assert!(lines.iter().all(|l| l.chars().count() <= 200));
    // The refusal's detail goes on over more than one line, each starting in the detail column.
    let refusal = lines
        .iter()
        .position(|l| l.starts_with("an order already in transit is refused"))
        .expect("the refusal's row");
    let continuation = lines[refusal + 1];
    assert!(
        continuation[..detail_at].trim().is_empty() && !continuation[detail_at..].is_empty(),
        "{continuation:?}\n{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_pipe_tables_are_plain_aligned_columns() {
    let run = rescind(&["demo"], &[]).await;
    run.assert_code(0);
    assert_no_trailing_blanks(&run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("step"))
        .expect("a header");
    let outcome_at = lines[header].find("outcome").unwrap();
    let rows = &lines[header + 1..header + 9];
    for row in rows {
        // One line per row, never wrapped, each column where its header is.
        let cell = row[outcome_at..].split_whitespace().next().unwrap();
        assert!(
            [
                "cancelled",
                "held",
                "invalid",
                "refused",
                "partially_cancelled",
                "already_cancelled"
            ]
            .contains(&cell),
            "{row:?}"
        );
        assert!(row[..outcome_at].ends_with("  "), "{row:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// help, completions, man page

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_the_exit_codes_and_the_concurrency_limit() {
    for flag in ["--help", "-h"] {
        let run = rescind(&[flag], &[]).await;
        run.assert_code(0);
        assert!(run.stdout.contains("Exit codes:"), "{run:?}");
        for code in [
            "    0  done",
            "    1  refused",
            "    2  bad usage",
            "    3  auth",
            "    4  not found",
            "    5  transport",
            "    6  outcome unknown",
            "  130  stopped by Ctrl-C",
        ] {
            assert!(
                run.stdout.contains(code),
                "`{code}` missing: {}",
                run.stdout
            );
        }
    }
    let run = rescind(&["bulk", "--help"], &[]).await;
    run.assert_code(0);
    assert!(run.stdout.contains("1 to 256"), "{}", run.stdout);
    let run = rescind(&["arta", "--help"], &[]).await;
    for flag in [
        "--timeout",
        "--retries",
        "--api-key-file",
        "--show-private",
        "--verbose",
    ] {
        assert!(
            run.stdout.contains(flag),
            "`{flag}` missing: {}",
            run.stdout
        );
    }
}

const SUBCOMMANDS: [&str; 8] = [
    "demo",
    "sim",
    "bulk",
    "arta",
    "di",
    "skippay",
    "completions",
    "man",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_are_generated_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = rescind(&["completions", shell], &[]).await;
        run.assert_code(0);
        assert!(run.stderr.is_empty(), "{shell}: {run:?}");
        for name in
            SUBCOMMANDS
                .iter()
                .chain(&["cancel-session", "show-shipment", "output", "timeout"])
        {
            assert!(run.stdout.contains(name), "{shell}: `{name}` missing");
        }
    }
    let run = rescind(&["completions", "bash"], &[]).await;
    assert!(
        run.stdout.contains("complete -F _rescind"),
        "{}",
        run.stdout
    );
    let run = rescind(&["completions", "zsh"], &[]).await;
    assert!(run.stdout.starts_with("#compdef rescind"), "{}", run.stdout);
    let run = rescind(&["completions", "fish"], &[]).await;
    assert!(run.stdout.contains("complete -c rescind"), "{}", run.stdout);
    let run = rescind(&["completions", "tcsh"], &[]).await;
    run.assert_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_man_page_parses_and_names_every_subcommand() {
    let run = rescind(&["man"], &[]).await;
    run.assert_code(0);
    let page = &run.stdout;
    // roff: every line is a request (`.XX ...`), a comment, or text; the title comes first
    // among the requests.
    let requests: Vec<&str> = page
        .lines()
        .filter(|l| l.starts_with('.') || l.starts_with('\''))
        .collect();
    let th = requests
        .iter()
        .find(|l| l.starts_with(".TH "))
        .expect("a .TH title line");
    let words: Vec<&str> = th.split_whitespace().collect();
    assert_eq!(&words[1..3], ["rescind", "1"], "{th}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS"] {
        assert!(
            requests.iter().any(|l| *l == format!(".SH {section}")),
            "section {section} missing:\n{page}"
        );
    }
    let text = page.replace("\\-", "-");
    for name in SUBCOMMANDS {
        assert!(
            text.contains(&format!("rescind-{name}(1)")),
            "subcommand {name} missing:\n{page}"
        );
    }
    assert!(text.contains("Exit codes:"), "{page}");
    // Every request is a known roff macro, and every font change is closed.
    for request in requests {
        let name = request[1..].split_whitespace().next().unwrap_or_default();
        assert!(
            [
                "TH", "SH", "TP", "PP", "IP", "RS", "RE", "B", "I", "BR", "IR", "br", "nf", "fi",
                "ie", "el", "\\\"", "sp"
            ]
            .contains(&name),
            "unknown request {request:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// tracing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbosity_and_rust_log_show_what_it_does_on_stderr() {
    let sim = simulator().await;
    let base = sim.base_url();
    let env = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
    ];

    let quiet = rescind(&["arta", "show-session", "42"], &env).await;
    quiet.assert_code(0);
    assert!(quiet.stderr.is_empty(), "silent by default: {quiet:?}");

    let v = rescind(&["-v", "arta", "show-session", "42"], &env).await;
    v.assert_code(0);
    assert!(v.stderr.contains("rescind.call"), "{v:?}");

    // -vv: the call's span opens and closes (with its duration), on stderr only.
    let vv = rescind(&["arta", "show-session", "42", "-vv"], &env).await;
    vv.assert_code(0);
    assert!(vv.stderr.contains("rescind.call{"), "{vv:?}");
    assert!(vv.stderr.contains("close"), "span close events: {vv:?}");
    assert!(vv.stderr.contains("time.busy"), "{vv:?}");
    assert!(
        vv.stderr.contains("operation=\"get_hosted_session\""),
        "{vv:?}"
    );
    // Logs never go to stdout (the request ids differ from run to run, the rest does not).
    let without_ids = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("request id"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        without_ids(&vv.stdout),
        without_ids(&quiet.stdout),
        "{vv:?}"
    );

    let env_log = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
        ("RUST_LOG", "rescind_core=trace"),
    ];
    let traced = rescind(&["arta", "show-session", "42"], &env_log).await;
    traced.assert_code(0);
    assert!(traced.stderr.contains("TRACE"), "{traced:?}");
    assert!(traced.stderr.contains("sending"), "{traced:?}");
    for run in [&v, &vv, &traced] {
        assert!(
            !run.all().contains(DEMO_API_KEY),
            "the key was logged: {run:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --retries, --timeout, the retry line, messages

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_announced_on_stderr_and_the_503_is_explained() {
    let sim = simulator().await;
    let base = sim.base_url();
    sim.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*",
            FaultAction::status_with_retry_after(503, std::time::Duration::from_secs(1)),
        )
        .method("GET"),
    );
    let env = [
        ("SKIPPAY_USERNAME", SKIPPAY_USER),
        ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
        ("SKIPPAY_BASE_URL", base.as_str()),
    ];
    let run = rescind(&["skippay", "show", "11200a0ee1", "--retries", "2"], &env).await;
    run.assert_code(5);
    assert!(
        run.stderr
            .contains("Skip Pay answered 503; retrying in 1 s, attempt 2 of 3"),
        "{run:?}"
    );
    assert!(run.stderr.contains("attempt 3 of 3"), "{run:?}");
    assert_eq!(hits(&sim, "GET /financing/v1/applications/11200a0ee1"), 3);
    // What the provider said comes first, then its Retry-After.
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .expect("an error line");
    assert!(
        error.starts_with("error: Skip Pay is unavailable (HTTP 503"),
        "{error}"
    );
    assert!(
        error.contains("wait 1 s before trying again (Retry-After)"),
        "{error}"
    );

    // --retries 0: one attempt, no retry line.
    let run = rescind(&["skippay", "show", "11200a0ee2", "--retries", "0"], &env).await;
    run.assert_code(5);
    assert!(!run.stderr.contains("retrying"), "{run:?}");
    assert_eq!(hits(&sim, "GET /financing/v1/applications/11200a0ee2"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_never_resend_a_request_that_is_not_idempotent() {
    let sim = simulator().await;
    let base = sim.base_url();
    // Arta's hold is `POST /shipment_exceptions`: not idempotent (a second one is a second
    // exception).
    sim.sim()
        .faults()
        .add(FaultRule::new("/shipment_exceptions", FaultAction::status(503)).method("POST"));
    let env = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
    ];
    let run = rescind(
        &[
            "arta",
            "hold",
            rescind_sim::arta::demo::PENDING,
            "--retries",
            "10",
        ],
        &env,
    )
    .await;
    // A 503 proves nothing about a change: the outcome is unknown (exit 6), never resent.
    assert_eq!(run.code, 6, "{run:?}");
    assert_eq!(hits(&sim, "POST /shipment_exceptions"), 1, "{run:?}");
    assert!(!run.stderr.contains("retrying"), "{run:?}");
    // Two reads, each answered at once: the one before the hold, and the read-back that
    // settles the unproven answer (it shows no new hold, so the outcome stays unknown).
    assert_eq!(
        hits(
            &sim,
            &format!("GET /shipments/{}", rescind_sim::arta::demo::PENDING)
        ),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_bounds_the_call() {
    let sim = simulator().await;
    let base = sim.base_url();
    // Every read of session 42 answers after 60 s: far past the --timeout.
    sim.sim()
        .faults()
        .add(FaultRule::delay("/hosted_sessions/42", Duration::from_secs(60)).method("GET"));
    let env = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
    ];
    let started = std::time::Instant::now();
    let run = rescind(
        &[
            "arta",
            "show-session",
            "42",
            "--timeout",
            "1s",
            "--retries",
            "3",
        ],
        &env,
    )
    .await;
    // A generous bound (a loaded machine): well under the 60 s the simulator waits, and under
    // the 90 s of the default timeout.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!([5, 6].contains(&run.code), "{run:?}");
    assert!(
        run.stderr.contains("Arta did not answer in time"),
        "{run:?}"
    );

    let run = rescind(&["arta", "show-session", "42", "--timeout", "soon"], &env).await;
    run.assert_code(2);
    assert!(run.stderr.contains("not a duration"), "{run:?}");
    let run = rescind(&["arta", "show-session", "42", "--retries", "11"], &env).await;
    run.assert_code(2);
}

// ---------------------------------------------------------------------------------------------
// sim --addr

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_in_use_is_a_usage_error_naming_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = rescind(&["sim", "--addr", &addr], &[]).await;
    run.assert_code(2);
    assert!(run.stderr.contains(&addr), "{run:?}");
    assert!(run.stderr.contains("in use"), "{run:?}");
    let run = rescind(&["sim", "--addr", "localhost"], &[]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("HOST:PORT"), "{run:?}");
    let run = rescind(&["sim", "--addr", "no-such-host.invalid:8480"], &[]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("no-such-host.invalid:8480"), "{run:?}");
}

/// Kills the child on every path out of the test.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sim_accepts_a_host_name() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_rescind"))
            .env_clear()
            .args(["sim", "--addr", &format!("localhost:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rescind sim starts"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("rescind sim prints its URL");
    assert!(
        line.contains(&format!("listening on http://127.0.0.1:{port}")),
        "{line:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// capability tokens

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capability_tokens_are_redacted_unless_asked_for() {
    let sim = simulator().await;
    let base = sim.base_url();
    let token = private_token(&sim, 42);
    let env = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
    ];

    for args in [
        &["arta", "show-session", "42"][..],
        &["arta", "show-session", "42", "--output", "json"],
        &["arta", "show-session", "42", "-vv"],
    ] {
        let run = rescind(args, &env).await;
        run.assert_code(0);
        assert!(
            !run.all().contains(&token),
            "{args:?} showed the token: {run:?}"
        );
        assert!(run.stdout.contains("<redacted"), "{args:?}: {run:?}");
    }
    let json: Value = serde_json::from_str(
        rescind(&["arta", "show-session", "42", "--output", "json"], &env)
            .await
            .stdout
            .trim(),
    )
    .unwrap();
    assert!(
        json["private_token"]
            .as_str()
            .unwrap()
            .starts_with("<redacted")
    );
    assert!(json["url"].as_str().unwrap().starts_with("<redacted"));
    assert_eq!(
        json["shortcode"], "DEMO-B49SVZ",
        "the rest is shown: {json}"
    );

    let shown = rescind(&["arta", "show-session", "42", "--show-private"], &env).await;
    assert!(
        shown
            .stdout
            .contains(&format!("https://book.arta.io/b/42/{token}")),
        "{shown:?}"
    );
    let shown = rescind(
        &[
            "--show-private",
            "--output",
            "json",
            "arta",
            "show-session",
            "42",
        ],
        &env,
    )
    .await;
    assert!(shown.stdout.contains(&token), "{shown:?}");

    let env = [
        ("SKIPPAY_USERNAME", SKIPPAY_USER),
        ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
        ("SKIPPAY_BASE_URL", base.as_str()),
    ];
    let run = rescind(&["skippay", "show", "11200a0ee1", "--output", "json"], &env).await;
    run.assert_code(0);
    assert!(!run.stdout.contains("gateway.skippay"), "{run:?}");
    let json: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert!(
        json["gatewayRedirectUrl"]
            .as_str()
            .unwrap()
            .starts_with("<redacted")
    );
    let run = rescind(
        &[
            "skippay",
            "show",
            "11200a0ee1",
            "--output",
            "json",
            "--show-private",
        ],
        &env,
    )
    .await;
    assert!(run.stdout.contains("gateway.skippay"), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// JSON rows

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_row_has_the_same_fields() {
    let run = rescind(&["demo", "--output", "json"], &[]).await;
    run.assert_code(0);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 8);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let expected = keys(&rows[0]);
    for field in [
        "sent",
        "until",
        "detail",
        "request_id",
        "hint",
        "step",
        "exit_code",
    ] {
        assert!(
            expected.contains(&field.to_string()),
            "{field}: {expected:?}"
        );
    }
    for row in &rows {
        assert_eq!(keys(row), expected, "{row}");
    }
    let cancelled = &rows[0];
    assert_eq!(cancelled["outcome"], "cancelled");
    assert!(cancelled["until"].is_null() && cancelled["sent"].is_null());
    let held = &rows[1];
    assert_eq!(held["until"], "2026-12-01");
}

// ---------------------------------------------------------------------------------------------
// secrets

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_come_from_a_file_or_stdin_and_flags_warn() {
    let sim = simulator().await;
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("arta.key");
    std::fs::write(&key_file, format!("{DEMO_API_KEY}\n")).unwrap();
    let key_path = key_file.to_str().unwrap();
    let env = [("ARTA_BASE_URL", base.as_str())];

    let run = rescind(
        &["arta", "--api-key-file", key_path, "show-session", "42"],
        &env,
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "no warning for a file: {run:?}");

    let run = rescind_with(
        &["arta", "show-session", "42", "--api-key-file", "-"],
        &env,
        Some(&format!("{DEMO_API_KEY}\n")),
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");

    let run = rescind(
        &["arta", "--api-key", DEMO_API_KEY, "show-session", "42"],
        &env,
    )
    .await;
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("warning: --api-key puts the secret in your shell's history"),
        "{run:?}"
    );
    assert!(!run.all().contains(DEMO_API_KEY), "{run:?}");

    let run = rescind_with(
        &[
            "skippay",
            "--username",
            SKIPPAY_USER,
            "--password-file",
            "-",
            "show",
            "11200a0ee1",
        ],
        &[("SKIPPAY_BASE_URL", base.as_str())],
        Some(SKIPPAY_PASSWORD),
    )
    .await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:?}");

    let run = rescind(
        &[
            "arta",
            "--api-key-file",
            "/no/such/file",
            "show-session",
            "42",
        ],
        &env,
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("--api-key-file /no/such/file"),
        "{run:?}"
    );
    let run = rescind(
        &[
            "arta",
            "--api-key",
            "x",
            "--api-key-file",
            key_path,
            "show-session",
            "42",
        ],
        &env,
    )
    .await;
    run.assert_code(2);
}

/// A 503 is an answer: the hint must not say the provider "failed to answer" (the error line
/// already gives the status and the Retry-After). A read, so that `sent` is `answered` whatever
/// a change's read-back decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_hint_says_the_provider_answered() {
    let sim = simulator().await;
    let base = sim.base_url();
    sim.sim().faults().add(
        FaultRule::new(
            "/hosted_sessions/*",
            FaultAction::status_with_retry_after(503, std::time::Duration::from_secs(30)),
        )
        .method("GET"),
    );
    let env = [
        ("ARTA_API_KEY", DEMO_API_KEY),
        ("ARTA_BASE_URL", base.as_str()),
    ];
    let run = rescind(&["arta", "show-session", "42", "--retries", "0"], &env).await;
    run.assert_code(5);
    let hint = run
        .stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .expect("a hint line");
    assert_eq!(
        hint, "hint: Arta answered with an error; try again later",
        "{run:?}"
    );

    let run = rescind(
        &[
            "arta",
            "show-session",
            "42",
            "--retries",
            "0",
            "--output",
            "json",
        ],
        &env,
    )
    .await;
    run.assert_code(5);
    let row: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON row");
    assert_eq!(row["sent"], "answered", "{row}");
    assert_eq!(
        row["hint"], "Arta answered with an error; try again later",
        "{row}"
    );
}

/// An item selector that matches nothing is refused before anything is sent, and the error
/// line names the provider as every other provider's input error does (`error: Arta: invalid
/// input: ...`), not a bare "invalid input" the operator must attribute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmatched_skippay_item_names_the_provider() {
    let sim = simulator().await;
    let base = sim.base_url();
    let env = [
        ("SKIPPAY_USERNAME", SKIPPAY_USER),
        ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
        ("SKIPPAY_BASE_URL", base.as_str()),
    ];
    let run = rescind(
        &[
            "skippay",
            "cancel",
            "11200a0ee1",
            "--item",
            "code=NOPE,quantity=1",
        ],
        &env,
    )
    .await;
    run.assert_code(2);
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .expect("an error line");
    assert!(
        error.starts_with("error: Skip Pay: invalid input: `items[0]` matches no item"),
        "{error}"
    );
    assert!(error.ends_with("(nothing was sent)"), "{error}");
}
