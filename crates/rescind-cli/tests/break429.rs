//! The CLI against 429s (break429): a single cancel in a 429 storm with `--timeout 2s`,
//! `--retries 0` with two 429s, and a Di login answered 429 while `--timeout` allows waiting
//! (`--retries`' help: "A 429 (too many requests) is not a failed attempt: it is waited out
//! until `--timeout`, whatever this says"). Exit codes, messages and times are printed
//! (`--nocapture`).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use rescind_sim::{FaultAction, FaultRule, Operation, RunningSimulator, Simulator, demo_env};

async fn run(args: &[&str], base: &str) -> (Output, Duration) {
    let (args, base): (Vec<String>, String) =
        (args.iter().map(|s| s.to_string()).collect(), base.into());
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.args(&args).env_clear().envs(demo_env(&base));
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let started = Instant::now();
        let out = cmd.output().unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

fn requests(running: &RunningSimulator, op: Operation) -> (u64, u64) {
    let c = running.sim().counters().snapshot().get(op);
    (c.requests(), c.rate_limited())
}

fn show(what: &str, out: &Output, elapsed: Duration) {
    eprintln!(
        "{what}: exit {:?} in {elapsed:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_cancel_in_a_429_storm_with_timeout_2s_ends_rate_limited_in_time() {
    let running = Simulator::new().start().await.unwrap();
    for op in [Operation::ArtaGetSession, Operation::ArtaCancelSession] {
        running
            .sim()
            .faults()
            .add(FaultRule::on(op, FaultAction::status(429)));
    }
    let (out, elapsed) = run(
        &["arta", "cancel-session", "42", "--timeout", "2s"],
        &running.base_url(),
    )
    .await;
    show("cancel-session 42 --timeout 2s, 429 storm", &out, elapsed);
    let reads = requests(&running, Operation::ArtaGetSession);
    let cancels = requests(&running, Operation::ArtaCancelSession);
    eprintln!("reads (requests, 429s) {reads:?}, cancels {cancels:?}");
    // "transport or provider failure after retries"; nothing changed.
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("429"), "{stderr}");
    // A command may make more than one call: each at most 2 s, and the process ends.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_0_still_waits_out_two_429s() {
    let running = Simulator::new().start().await.unwrap();
    running
        .sim()
        .faults()
        .add(FaultRule::on(Operation::ArtaCancelSession, FaultAction::status(429)).times(2));
    let (out, elapsed) = run(
        &["arta", "cancel-session", "42", "--retries", "0"],
        &running.base_url(),
    )
    .await;
    show("cancel-session 42 --retries 0, two 429s", &out, elapsed);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(requests(&running, Operation::ArtaCancelSession), (3, 2));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_di_login_answering_429_is_waited_out_until_timeout() {
    let running = Simulator::new().start().await.unwrap();
    running
        .sim()
        .faults()
        .add(FaultRule::on(Operation::DiLogin, FaultAction::status(429)).times(4));
    let (out, elapsed) = run(
        &["di", "cancel", "70724760000000101", "--timeout", "20s"],
        &running.base_url(),
    )
    .await;
    show("di cancel --timeout 20s, login 429 x4", &out, elapsed);
    eprintln!(
        "logins (requests, 429s) {:?}",
        requests(&running, Operation::DiLogin)
    );
    assert_eq!(out.status.code(), Some(0));
    running.shutdown().await;
}
