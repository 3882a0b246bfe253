//! No secret leaks, anywhere: one run against the simulator with every provider, successes
//! and auth failures (wrong key, wrong passwords, tokens expiring mid-run and renewed), that
//! captures every tracing event (SDK and simulator, TRACE and up), the Display and Debug of
//! every error, outcome and client, and the CLI's stdout and stderr, then asserts that no API
//! key, password or issued token appears in any of it.
//!
//! Its own test binary: it captures tracing (see `rescind_core::testing::CapturedLogs`).

use std::process::{Command, Stdio};
use std::time::Duration;

use rescind::core::testing::CapturedLogs;
use rescind::{CancelRequest, Canceller};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, Simulator};

const DI_USER: &str = rescind_sim::di::DEMO_USER.0;
const DI_PASSWORD: &str = rescind_sim::di::DEMO_USER.1;
const SKIPPAY_USER: &str = rescind_sim::skippay::DEMO_PARTNER.0;
const SKIPPAY_PASSWORD: &str = rescind_sim::skippay::DEMO_PARTNER.1;
const WRONG_KEY: &str = "sim_arta_wrong_key_5f4e3d2c1b0a";
const WRONG_PASSWORD: &str = "wrong-password-9a8b7c6d";

/// Runs the binary with tracing at trace level for every target (`RUST_LOG=trace`, so its
/// stderr holds every event and span of the SDK), or with `-vvv` when `args` has it.
async fn cli(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
    cmd.env_clear()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    if !args.contains(&"-vvv") {
        cmd.env("RUST_LOG", "trace");
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    // The command line itself is not part of the output: it holds `--api-key`.
    format!(
        "$ rescind {}\nexit {:?}\n{}\n{}\n",
        args.first().unwrap_or(&""),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn no_key_password_or_token_in_logs_errors_or_cli_output() {
    let logs = CapturedLogs::start();
    let mut world = rescind_sim::World::demo();
    world.di.token_lifetime_seconds = 300;
    world.skippay.token_lifetime_seconds = 300;
    let running = Simulator::new()
        .seed(world)
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base = running.base_url();
    let config = || {
        rescind::core::TransportConfig::default()
            .with_retry(
                rescind::core::retry::RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
            .with_attempt_timeout(Duration::from_secs(10))
    };
    let arta = |key: &str| {
        rescind::arta::Client::builder()
            .api_key(key)
            .base_url(&base)
            .config(config())
            .build()
            .unwrap()
    };
    let di = |password: &str| {
        rescind::di::Client::builder()
            .base_url(&base)
            .credentials(rescind::di::Credentials::new(DI_USER, password))
            .config(config())
            .build()
            .unwrap()
    };
    let skippay = |password: &str| {
        rescind::skippay::Client::builder()
            .base_url(&base)
            .credentials(rescind::skippay::Credentials::new(SKIPPAY_USER, password))
            .configure(|_| config())
            .build()
            .unwrap()
    };
    let clients: Vec<(Box<dyn Canceller>, &str)> = vec![
        (Box::new(arta(DEMO_API_KEY)), "42"),
        (Box::new(arta(WRONG_KEY)), "42"),
        (Box::new(di(DI_PASSWORD)), "70724760000000101"),
        (Box::new(di(WRONG_PASSWORD)), "70724760000000101"),
        (Box::new(skippay(SKIPPAY_PASSWORD)), "11200a0ee1"),
        (Box::new(skippay(WRONG_PASSWORD)), "11200a0ee1"),
    ];
    let mut shown = String::new();
    for round in 0..2 {
        for (client, target) in &clients {
            shown += &format!("{client:?}\n");
            match client.cancel(CancelRequest::whole(*target)).await {
                Ok(outcome) => shown += &format!("{outcome:?}\n"),
                Err(err) => shown += &format!("{err}\n{err:?}\n{:?}\n", err.body()),
            }
        }
        // Past the tokens' lifetime: the second round logs in again after a 401.
        if round == 0 {
            running
                .sim()
                .clock()
                .advance(rescind::core::jiff::SignedDuration::from_secs(301));
        }
    }
    // The CLI, with good and bad secrets in variables and flags.
    let b = base.as_str();
    shown += &cli(
        &["arta", "cancel-session", "43"],
        &[("ARTA_API_KEY", DEMO_API_KEY), ("ARTA_BASE_URL", b)],
    )
    .await;
    shown += &cli(
        &[
            "arta",
            "--api-key",
            WRONG_KEY,
            "--base-url",
            b,
            "show-session",
            "42",
        ],
        &[],
    )
    .await;
    // -vvv: every span opening and closing, with its fields.
    shown += &cli(
        &[
            "-vvv",
            "arta",
            "--api-key",
            WRONG_KEY,
            "--base-url",
            b,
            "cancel-session",
            "42",
        ],
        &[],
    )
    .await;
    shown += &cli(
        &["-vvv", "skippay", "show", "11200a0ee1"],
        &[
            ("SKIPPAY_USERNAME", SKIPPAY_USER),
            ("SKIPPAY_PASSWORD", SKIPPAY_PASSWORD),
            ("SKIPPAY_BASE_URL", b),
        ],
    )
    .await;
    for (password, output) in [(DI_PASSWORD, "table"), (WRONG_PASSWORD, "json")] {
        shown += &cli(
            &["--output", output, "di", "show", "70724760000000104"],
            &[
                ("DI_USERNAME", DI_USER),
                ("DI_PASSWORD", password),
                ("DI_BASE_URL", b),
            ],
        )
        .await;
        shown += &cli(
            &["--output", output, "skippay", "show", "11200a0ee2"],
            &[
                ("SKIPPAY_USERNAME", SKIPPAY_USER),
                ("SKIPPAY_PASSWORD", password),
                ("SKIPPAY_BASE_URL", b),
            ],
        )
        .await;
    }

    // Every token the simulator issued.
    let world = running.sim().world();
    let mut secrets: Vec<String> = vec![
        DEMO_API_KEY.into(),
        WRONG_KEY.into(),
        DI_PASSWORD.into(),
        SKIPPAY_PASSWORD.into(),
        WRONG_PASSWORD.into(),
    ];
    let di_tokens: Vec<String> = world.di.tokens.iter().map(|t| t.token.clone()).collect();
    assert!(di_tokens.len() >= 3, "{di_tokens:?}");
    for token in &di_tokens {
        secrets.push(token.clone());
        // The JWT's payload and signature alone are secret enough.
        secrets.extend(token.split('.').skip(1).map(str::to_owned));
    }
    let skippay_tokens: Vec<String> = world.skippay.tokens.keys().cloned().collect();
    assert!(!skippay_tokens.is_empty());
    secrets.extend(skippay_tokens);
    running.shutdown().await;

    let logs = logs.text();
    assert!(logs.contains("rescind.call"), "tracing was captured");
    assert!(logs.contains("401"), "the auth failures were logged");
    assert!(
        shown.contains("exit Some(3)"),
        "the CLI's auth failures ran: {shown}"
    );
    // The CLI's own logs were there to search: its calls' spans, at trace level.
    assert!(
        shown.contains("rescind.call{") && shown.contains("TRACE"),
        "the CLI logged at trace level: {shown}"
    );
    assert!(shown.contains("time.busy"), "-vvv showed spans: {shown}");
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret in the logs: {secret}"
        );
        assert!(
            !shown.contains(secret.as_str()),
            "a secret shown: {secret}\n{shown}"
        );
    }
}
