//! Maintainer tasks for the rescind workspace, run as `cargo xtask <task>`.
//!
//! - `ci`: the whole quality gate (what `.ci/run` runs after the README's test command).
//! - `snapshots [--accept]`: the insta snapshot tests; fails on pending or unreferenced
//!   snapshots, `--accept` accepts the pending ones after you have read them.
//! - `public-api [--accept]`: the public API of every published library crate (rustdoc JSON on
//!   the stable toolchain) against the snapshots in `xtask/public-api/`, and the public
//!   dependency policy (see [`public_api`]); `--accept` writes the snapshots after review.
//! - `deny`: cargo-deny's bans, licenses, sources and advisories checks.
//! - `fuzz [--seconds N] [--replay]`: every fuzz target for N seconds (see [`fuzz`]).
//! - `publish [--metadata-only]`: the crates.io metadata and package contents of every
//!   published crate, then `cargo publish --workspace --dry-run --locked` (see [`publish`]).
//! - `bench [--smoke] [--skip-build-cost]`: the benchmark report (crate `rescind-bench`, see
//!   BENCHMARKS.md): every figure with its ratio to the baseline measured in the same run,
//!   then the build cost of each provider crate. `--smoke` runs a few calls of each in a debug
//!   build to check that they run (what `ci` does); `--skip-build-cost` skips the clean release
//!   builds, which take minutes.
//!
//! Standard library only, so that the gate compiles in seconds.

use std::collections::BTreeSet;
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod fuzz;
mod json;
mod public_api;
mod publish;

const USAGE: &str = "usage: cargo xtask <ci | snapshots [--accept] | public-api [--accept] | deny | fuzz [--seconds N] [--replay] | publish [--metadata-only] | bench [--smoke] [--skip-build-cost]>";

/// `cargo xtask --help`: the usage and one line per task.
const HELP: &str = "Maintainer tasks for the rescind workspace.

usage: cargo xtask <TASK>

tasks:
  ci                                the whole quality gate (what .ci/run runs)
  snapshots [--accept]              the insta snapshot tests; --accept accepts pending ones
  public-api [--accept]             the public API of each published library crate against
                                    xtask/public-api/, and the public dependency policy
  deny                              cargo-deny: bans, licenses, sources, advisories
  fuzz [--seconds N] [--replay]     every fuzz target for N seconds, or replay the corpus
  publish [--metadata-only]         crates.io metadata of the published crates, then
                                    cargo publish --workspace --dry-run --locked
  bench [--smoke] [--skip-build-cost]
                                    the benchmark report (see BENCHMARKS.md)
  help, -h, --help                  this text";

/// The crates whose build cost `bench` reports: each provider crate alone, then the facade.
const BUILD_COST_CRATES: &[&str] = &["rescind-arta", "rescind-di", "rescind-skippay", "rescind"];

/// The crates whose clean release build `bench` times (the facade's is their union).
const BUILD_TIME_CRATES: &[&str] = &["rescind-arta", "rescind-di", "rescind-skippay"];

/// The provider features of the facade; each must build alone.
const PROVIDER_FEATURES: &[&str] = &["arta", "di", "skippay"];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the task `args` names; `--help` is a success, like any CLI's.
fn dispatch(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("snapshots") => snapshots(args.iter().any(|a| a == "--accept")),
        Some("deny") => deny(),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("public-api") => public_api::public_api(args.iter().any(|a| a == "--accept")),
        Some("publish") => publish::publish(args.iter().any(|a| a == "--metadata-only")),
        Some("bench") => bench(
            args.iter().any(|a| a == "--smoke"),
            args.iter().any(|a| a == "--skip-build-cost"),
        ),
        Some("-h" | "--help" | "help") => {
            println!("{HELP}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

/// The workspace root: the parent of this crate's directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A cargo command run from the workspace root, in the environment the user ran
/// `cargo xtask` in.
///
/// `cargo run` gives xtask its own package's variables (`CARGO_MANIFEST_DIR=…/xtask`,
/// `CARGO_PKG_NAME=xtask`, …). A nested cargo would pass them on, and build scripts that watch
/// them (ring's `rerun-if-env-changed=CARGO_PKG_NAME`, among others) would see a change from
/// the README's plain `cargo test`: ring, rustls, reqwest and every crate of ours would be built
/// a second time, doubling the build's time and its size on disk. CI's run on c4d8a4b ran out
/// of disk that way (the linker died with SIGBUS).
fn cargo() -> Command {
    cargo_in(&root())
}

/// [`cargo()`] run from `dir` instead of the workspace root.
fn cargo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir);
    for (name, _) in env::vars_os() {
        if set_by_cargo_run(&name.to_string_lossy()) {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// The variables `cargo run` sets for the program it runs (the Cargo book, "Environment
/// variables Cargo sets for crates"), which a nested cargo must not inherit.
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || name.starts_with("CARGO_BIN_EXE_")
        || matches!(
            name,
            "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// Runs a command, echoing it, and fails with its description if it fails.
fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("\n==> {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn ci() -> Result<(), String> {
    run("format", cargo().args(["fmt", "--all", "--check"]))?;
    run(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // The tests run once, through the snapshot check, which also catches pending and
    // unreferenced snapshots.
    snapshots(false)?;
    run(
        "rustdoc",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    public_api::public_api(false)?;
    run(
        "facade without providers",
        cargo().args([
            "check",
            "--locked",
            "-p",
            "rescind",
            "--no-default-features",
        ]),
    )?;
    for feature in PROVIDER_FEATURES {
        run(
            &format!("facade with `{feature}` alone"),
            cargo().args([
                "check",
                "--locked",
                "-p",
                "rescind",
                "--no-default-features",
                "--features",
                feature,
            ]),
        )?;
    }
    deny()?;
    // Metadata first (seconds), then the dry run, which packages each published crate and
    // builds it as crates.io would, in the workspace's target dir.
    publish::publish(false)?;
    bench(true, true)?;
    eprintln!("\nxtask ci: all checks passed");
    Ok(())
}

fn snapshots(accept: bool) -> Result<(), String> {
    let root = root();
    let refs = root.join("target").join("insta-references.txt");
    std::fs::create_dir_all(root.join("target")).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&refs);
    // On CI a mismatch fails without writing anything; locally it writes `.snap.new` files
    // to review.
    let update = if env::var_os("CI").is_some() {
        "no"
    } else {
        "new"
    };
    let tests = run(
        "tests (with snapshot references recorded)",
        cargo()
            .args(["test", "--workspace", "--locked"])
            .env("INSTA_UPDATE", update)
            .env("INSTA_SNAPSHOT_REFERENCES_FILE", &refs),
    );

    let mut all = Vec::new();
    collect_files(&root.join("crates"), &mut all);
    let pending: Vec<&PathBuf> = all
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".snap.new"))
        .collect();

    if accept {
        for p in &pending {
            let target = PathBuf::from(p.to_string_lossy().trim_end_matches(".new"));
            std::fs::rename(p, &target).map_err(|e| format!("accepting {}: {e}", p.display()))?;
            eprintln!("accepted {}", target.display());
        }
        return if pending.is_empty() {
            tests
        } else {
            eprintln!(
                "accepted {} snapshot(s); run `cargo xtask snapshots` again",
                pending.len()
            );
            Ok(())
        };
    }

    let referenced: BTreeSet<PathBuf> = std::fs::read_to_string(&refs)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| canonical(Path::new(l.trim())))
        .collect();
    let unreferenced: Vec<&PathBuf> = all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .filter(|p| !referenced.contains(&canonical(p)))
        .collect();

    let mut problems = Vec::new();
    if !pending.is_empty() {
        problems.push(format!(
            "pending snapshots (read them, then `cargo xtask snapshots --accept`):\n{}",
            list(&pending)
        ));
    }
    if tests.is_ok() && !unreferenced.is_empty() {
        problems.push(format!(
            "snapshot files no test refers to (delete them or restore their test):\n{}",
            list(&unreferenced)
        ));
    }
    tests?;
    if problems.is_empty() {
        eprintln!(
            "snapshots: {} referenced, none pending or unreferenced",
            referenced.len()
        );
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn deny() -> Result<(), String> {
    run(
        "cargo deny: bans, licenses, sources",
        cargo().args(["deny", "--locked", "check", "bans", "licenses", "sources"]),
    )?;
    // Advisories: the online database where the network allows, else the snapshot that
    // ../shared ships (cargo-deny reads it from the same folder name it would clone into).
    let db_dir = root().join("target").join("advisory-dbs");
    eprintln!("\n==> fetch the advisory database");
    if cargo()
        .args(["deny", "--locked", "fetch", "db"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return run(
            "cargo deny: advisories (online database)",
            cargo().args(["deny", "--locked", "check", "advisories"]),
        );
    }
    let tool = root().join("../shared/tools/advisory-db");
    if !tool.exists() {
        return Err(
            "the advisory database could not be fetched and no snapshot is available (../shared/tools/advisory-db)"
                .into(),
        );
    }
    eprintln!("advisory database unreachable: using the snapshot in ../shared/advisory-db");
    run(
        "prepare the advisory database snapshot",
        Command::new("bash").arg(&tool).arg(&db_dir),
    )?;
    run(
        "cargo deny: advisories (offline snapshot)",
        cargo().args(["deny", "--locked", "--offline", "check", "advisories"]),
    )
}

fn bench(smoke: bool, skip_build_cost: bool) -> Result<(), String> {
    if smoke {
        run(
            "benchmarks, smoke mode (checks that they run; the numbers mean nothing)",
            cargo().args([
                "run",
                "--locked",
                "-q",
                "-p",
                "rescind-bench",
                "--",
                "--smoke",
            ]),
        )?;
    } else {
        run(
            "benchmarks (release build; a few minutes: the bulk section runs 10,000 Arta cancels at a test key's limits, 500 a scaled minute of 1 s)",
            cargo().args(["run", "--locked", "--release", "-q", "-p", "rescind-bench"]),
        )?;
        run(
            "decode micro-benchmarks (divan)",
            cargo().args([
                "bench",
                "--locked",
                "-p",
                "rescind-bench",
                "--bench",
                "decode",
            ]),
        )?;
    }
    build_cost(smoke || skip_build_cost)
}

/// Prints how many crates each provider crate pulls in (itself included, normal dependencies
/// only) and, unless `counts_only`, its clean release build time alone in a fresh target dir.
fn build_cost(counts_only: bool) -> Result<(), String> {
    eprintln!("\n==> build cost");
    let mut rows = Vec::new();
    for krate in BUILD_COST_CRATES {
        let out = cargo()
            .args([
                "tree", "--locked", "-p", krate, "-e", "normal", "--prefix", "none",
            ])
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
        if !out.status.success() {
            return Err(format!("cargo tree -p {krate} failed ({})", out.status));
        }
        let crates = count_crates(&String::from_utf8_lossy(&out.stdout));
        let time = if counts_only || !BUILD_TIME_CRATES.contains(krate) {
            "not measured".to_string()
        } else {
            let dir =
                env::temp_dir().join(format!("rescind-build-cost-{}-{krate}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let start = std::time::Instant::now();
            let built = run(
                &format!("clean release build of {krate} alone"),
                cargo()
                    .args([
                        "build",
                        "--locked",
                        "--release",
                        "-q",
                        "-p",
                        krate,
                        "--target-dir",
                    ])
                    .arg(&dir),
            );
            let secs = start.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&dir);
            built?;
            format!("{secs:.0} s")
        };
        rows.push(format!("| {krate} | {crates} | {time} |"));
    }
    println!("\n| crate | crates in its tree (itself included) | clean release build alone |");
    println!("|---|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// The distinct packages in `cargo tree --prefix none` output (`(*)` marks a repeat).
fn count_crates(tree: &str) -> usize {
    tree.lines()
        .map(|l| l.trim_end_matches("(*)").trim())
        .filter(|l| !l.is_empty())
        .collect::<BTreeSet<_>>()
        .len()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn list(paths: &[&PathBuf]) -> String {
    let root = root();
    paths
        .iter()
        .map(|p| format!("  {}", p.strip_prefix(&root).unwrap_or(p).display()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_a_success_and_names_every_task() {
        for flag in ["--help", "-h", "help"] {
            assert_eq!(dispatch(&[flag.to_string()]), Ok(()), "{flag}");
        }
        for task in ["ci", "snapshots", "deny", "fuzz", "publish", "bench"] {
            assert!(HELP.contains(&format!("\n  {task}")), "{task} in:\n{HELP}");
        }
    }

    #[test]
    fn a_nested_cargo_drops_what_cargo_run_set_and_keeps_the_users_settings() {
        for set in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_LINKS",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "CARGO_BIN_EXE_rescind",
            "OUT_DIR",
        ] {
            assert!(set_by_cargo_run(set), "{set} must not reach a nested cargo");
        }
        for kept in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_TERM_COLOR",
            "CARGO_INCREMENTAL",
            "CARGO_PROFILE_DEV_DEBUG",
            "CARGO_BUILD_JOBS",
            "RUSTFLAGS",
        ] {
            assert!(
                !set_by_cargo_run(kept),
                "{kept} is the user's and must be kept"
            );
        }
        // The command itself: run under `cargo test`, this process has CARGO_PKG_NAME set.
        let cmd = cargo();
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert!(removed.iter().any(|n| n == "CARGO_PKG_NAME"), "{removed:?}");
        assert!(
            removed.iter().any(|n| n == "CARGO_MANIFEST_DIR"),
            "{removed:?}"
        );
    }

    #[test]
    fn no_task_or_an_unknown_one_is_an_error() {
        assert_eq!(dispatch(&[]), Err(USAGE.to_string()));
        assert_eq!(dispatch(&["nope".to_string()]), Err(USAGE.to_string()));
    }
}
