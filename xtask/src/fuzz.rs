//! `cargo xtask fuzz [--seconds N] [--replay]`: runs every fuzz target of `fuzz/` for N seconds
//! (default 60), the corpus seeded from the providers' fixtures.
//!
//! With cargo-fuzz installed, the targets run under libFuzzer. cargo-fuzz wants a nightly
//! toolchain; on stable it works with `RUSTC_BOOTSTRAP=1` and no sanitizer (`-s none`), which
//! is what this task does. Where that cannot build (no cargo-fuzz, no C++ compiler for
//! libFuzzer, a toolchain that refuses), or with `--replay`, it runs the stable runner instead
//! (`fuzz/src/bin/replay.rs`: the corpus, then random mutations of it, without coverage
//! guidance) and says so. A crash fails the task either way.

use std::process::Command;

use crate::{root, run};

/// The fuzz targets (`fuzz/fuzz_targets/<name>.rs`).
const TARGETS: &[&str] = &["arta", "di", "skippay", "core"];

pub fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds: u64 = 60;
    let mut replay_only = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a number")?
            }
            "--replay" => replay_only = true,
            other => return Err(format!("fuzz: unknown argument `{other}`")),
        }
    }
    let fuzz_dir = root().join("fuzz");
    let in_fuzz = |args: &[&str]| {
        let mut cmd = crate::cargo_in(&fuzz_dir);
        cmd.args(args);
        cmd
    };

    // The stable runner: also writes the seed corpus for libFuzzer.
    run(
        "fuzz: build the stable runner",
        &mut in_fuzz(&[
            "build",
            "--release",
            "--no-default-features",
            "--features",
            "replay",
            "--bin",
            "replay",
        ]),
    )?;
    let replay = fuzz_dir.join("target/release/replay");
    run(
        "fuzz: seed the corpus from the fixtures",
        Command::new(&replay)
            .args(["--write-corpus", "corpus"])
            .current_dir(&fuzz_dir),
    )?;

    let libfuzzer = !replay_only
        && in_fuzz(&["fuzz", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
        && run(
            "fuzz: build the libFuzzer targets (cargo-fuzz, RUSTC_BOOTSTRAP=1, no sanitizer)",
            in_fuzz(&["fuzz", "build", "-s", "none"]).env("RUSTC_BOOTSTRAP", "1"),
        )
        .is_ok();
    if libfuzzer {
        for target in TARGETS {
            let max_time = format!("-max_total_time={seconds}");
            let corpus = format!("corpus/{target}");
            run(
                &format!("fuzz: {target} under libFuzzer for {seconds} s"),
                in_fuzz(&[
                    "fuzz", "run", "-s", "none", target, &corpus, "--", &max_time,
                ])
                .env("RUSTC_BOOTSTRAP", "1"),
            )?;
        }
        eprintln!(
            "fuzz: libFuzzer, {} targets × {seconds} s, no crash",
            TARGETS.len()
        );
        return Ok(());
    }
    if !replay_only {
        eprintln!(
            "fuzz: libFuzzer is not available here (cargo-fuzz missing, or it cannot build on this toolchain): running the stable replay runner instead"
        );
    }
    run(
        &format!("fuzz: stable runner, each target {seconds} s"),
        Command::new(&replay)
            .args(["--seconds", &seconds.to_string(), "--corpus", "corpus"])
            .current_dir(&fuzz_dir),
    )
}
