//! The stable fuzz runner (`cargo run --release --no-default-features --features replay --bin replay`): replays the seed corpus (and any files under `--corpus DIR`)
//! through every target, then, for `--seconds N`, feeds each target mutated corpus entries
//! (random byte edits and JSON tokens, `rescind_core::testing::mutate`). Needs no nightly and
//! no libFuzzer; it finds what random mutation finds, without coverage guidance.
//!
//! `replay [--seconds N] [--target NAME] [--corpus DIR] [--write-corpus DIR]`
//!
//! `--write-corpus DIR` writes the seeds as `DIR/<target>/seed-<n>` (for cargo-fuzz) and exits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut seconds = 0u64;
    let mut only: Option<String> = None;
    let mut corpus: Option<PathBuf> = None;
    let mut write: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds")),
            "--target" => only = Some(value()),
            "--corpus" => corpus = Some(value().into()),
            "--write-corpus" => write = Some(value().into()),
            other => usage(other),
        }
    }
    let targets: Vec<_> = rescind_fuzz::TARGETS
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    if targets.is_empty() {
        usage("--target");
    }
    if let Some(dir) = write {
        for (name, _) in &targets {
            let dir = dir.join(name);
            std::fs::create_dir_all(&dir).expect("corpus directory");
            for (i, seed) in rescind_fuzz::seeds(name).iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), seed).expect("corpus file");
            }
        }
        return;
    }
    for (name, run) in targets {
        let mut inputs = rescind_fuzz::seeds(name);
        if let Some(dir) = &corpus
            && let Ok(entries) = std::fs::read_dir(dir.join(name))
        {
            inputs.extend(
                entries
                    .flatten()
                    .filter_map(|e| std::fs::read(e.path()).ok()),
            );
        }
        for input in &inputs {
            run(input);
        }
        let mut mutated = 0u64;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < deadline {
            let base = &inputs[fastrand::usize(..inputs.len())];
            let edits: Vec<(u8, usize, u8)> = (0..fastrand::usize(1..8))
                .map(|_| (fastrand::u8(..), fastrand::usize(..), fastrand::u8(..)))
                .collect();
            let input = rescind_core::testing::mutate::bytes(base, &edits);
            let outcome = std::panic::catch_unwind(|| run(&input));
            if outcome.is_err() {
                let path = std::env::temp_dir().join(format!("rescind-fuzz-{name}-crash"));
                let _ = std::fs::write(&path, &input);
                eprintln!("{name}: crash; input written to {}", path.display());
                std::process::exit(1);
            }
            mutated += 1;
        }
        println!(
            "{name}: {} corpus inputs, {mutated} mutated inputs, no crash",
            inputs.len()
        );
    }
}

fn usage(bad: &str) -> ! {
    eprintln!(
        "replay: bad argument `{bad}`\nusage: replay [--seconds N] [--target NAME] [--corpus DIR] [--write-corpus DIR]"
    );
    std::process::exit(2)
}
