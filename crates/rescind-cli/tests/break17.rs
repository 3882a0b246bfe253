//! Issue 17 seen by a new user (break17): under `--policy change-first` a whole cancel's
//! outcome may not tell "cancelled now" from "cancelled before"; a script reading
//! `--output json` must be able to see that without parsing the English detail. Every row
//! carries `already_cancelled_before`: `true`, `false`, or `null` when it is not known (change
//! first, where the provider answers both the same) or does not apply (errors, holds).

use std::process::Command;

use rescind_sim::{Simulator, demo_env};
use serde_json::Value;

async fn run_json(args: &[&str], base: &str) -> (Option<i32>, Value) {
    let (args, base): (Vec<String>, String) =
        (args.iter().map(|s| s.to_string()).collect(), base.into());
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rescind"));
        cmd.arg("--output")
            .arg("json")
            .args(&args)
            .env_clear()
            .envs(demo_env(&base));
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let row = stdout
            .lines()
            .find_map(|l| serde_json::from_str::<Value>(l).ok())
            .unwrap_or_else(|| panic!("no JSON row: {stdout}"));
        (out.status.code(), row)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rows_say_whether_the_target_was_already_cancelled_before() {
    let cases: [(&[&str], Value); 7] = [
        // Check first knows.
        (&["arta", "cancel-session", "42"], Value::Bool(false)),
        (&["arta", "cancel-session", "43"], Value::Bool(true)),
        // Change first: Arta answers 200 either way.
        (
            &["arta", "cancel-session", "43", "--policy", "change-first"],
            Value::Null,
        ),
        (
            &["arta", "cancel-session", "42", "--policy", "change-first"],
            Value::Null,
        ),
        // Di refuses a cancelled order itself: change first stays exact.
        (
            &[
                "di",
                "cancel",
                "70724760000000104",
                "--policy",
                "change-first",
            ],
            Value::Bool(true),
        ),
        (
            &[
                "di",
                "cancel",
                "70724760000000101",
                "--policy",
                "change-first",
            ],
            Value::Bool(false),
        ),
        // An error: does not apply.
        (&["arta", "cancel-session", "44"], Value::Null),
    ];
    for (args, want) in cases {
        let sim = Simulator::new().start().await.unwrap();
        let (code, row) = run_json(args, &sim.base_url()).await;
        assert!(
            row.as_object()
                .is_some_and(|o| o.contains_key("already_cancelled_before")),
            "{args:?}: {row}"
        );
        assert_eq!(row["already_cancelled_before"], want, "{args:?}: {row}");
        assert!(code.is_some(), "{args:?}");
        sim.shutdown().await;
    }
}
