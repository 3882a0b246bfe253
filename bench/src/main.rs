//! `rescind-bench`: the benchmark report. Run it through `cargo xtask bench [--smoke]`.
//!
//! - `rescind-bench [--smoke]`: runs every figure and prints the table (Markdown);
//! - `rescind-bench serve`: the minimal server (prints `addr=..`; stops when stdin closes);
//! - `rescind-bench measure WORKLOAD BASE_URL WARMUP CALLS CONCURRENCY`: one measurement in
//!   its own process, so that its peak memory is its own; prints a `Sample` line.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use rescind_bench::measure::{self, Sample};
use rescind_bench::workload::{self, Caller, Workload};
use rescind_bench::{decode, server};

const USAGE: &str =
    "usage: rescind-bench [--smoke] | serve | measure WORKLOAD BASE_URL WARMUP CALLS CONCURRENCY";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => report(false),
        Some("--smoke") => report(true),
        Some("serve") => serve(),
        Some("measure") => measure_child(&args[1..]),
        Some(_) => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rescind-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the runtime: {e}"))
}

fn serve() -> Result<(), String> {
    let rt = runtime()?;
    let addr = rt
        .block_on(server::start())
        .map_err(|e| format!("could not bind loopback: {e}"))?;
    println!("addr={addr}");
    // Serve until the parent closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

fn measure_child(args: &[String]) -> Result<(), String> {
    let [name, base, warmup, calls, concurrency] = args else {
        return Err(USAGE.to_string());
    };
    let workload = Workload::from_name(name).ok_or_else(|| format!("no workload `{name}`"))?;
    let number = |what: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("{what} must be a number, not `{v}`"))
    };
    let (warmup, calls) = (number("WARMUP", warmup)?, number("CALLS", calls)?);
    let concurrency =
        usize::try_from(number("CONCURRENCY", concurrency)?.max(1)).map_err(|e| e.to_string())?;
    let rt = runtime()?;
    let (elapsed, cpu) = rt.block_on(async {
        let caller = Caller::new(workload, base, concurrency)?;
        workload::run(&caller, warmup, calls, concurrency).await
    })?;
    let sample = Sample {
        calls,
        elapsed,
        cpu,
        peak_kib: measure::peak_rss_kib().unwrap_or(0),
    };
    println!("{}", sample.to_line());
    Ok(())
}

/// How much of everything to run.
struct Plan {
    smoke: bool,
    repeats: usize,
    sequential: u64,
    throughput: u64,
    concurrency: usize,
    ceiling: u64,
    ceiling_concurrency: usize,
    decode_samples: usize,
    decode_time: Duration,
}

impl Plan {
    fn new(smoke: bool) -> Plan {
        if smoke {
            Plan {
                smoke,
                repeats: 1,
                sequential: 20,
                throughput: 200,
                concurrency: 64,
                ceiling: 400,
                ceiling_concurrency: 256,
                decode_samples: 1,
                decode_time: Duration::from_millis(1),
            }
        } else {
            Plan {
                smoke,
                repeats: 9,
                sequential: 3_000,
                throughput: 10_000,
                concurrency: 64,
                ceiling: 40_000,
                ceiling_concurrency: 256,
                decode_samples: 11,
                decode_time: Duration::from_millis(100),
            }
        }
    }
}

/// The server child; closing its stdin (on drop) stops it.
struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn start() -> Result<ServerProcess, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start the server: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
        }
        let addr = line
            .trim()
            .strip_prefix("addr=")
            .ok_or_else(|| format!("the server said `{}`", line.trim()))?;
        Ok(ServerProcess {
            base: format!("http://{addr}"),
            child,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Runs one measurement in its own process; returns it with the server's CPU time per call
/// (warm-up included) in microseconds, 0 where unknown.
fn measure_in_child(
    server: &ServerProcess,
    workload: Workload,
    warmup: u64,
    calls: u64,
    concurrency: usize,
) -> Result<(Sample, f64), String> {
    let pid = server.child.id();
    let before = measure::process_cpu_of(pid);
    let sample = measure_child_process(&server.base, workload, warmup, calls, concurrency)?;
    let server_cpu = match (before, measure::process_cpu_of(pid)) {
        (Some(b), Some(a)) => a.saturating_sub(b).as_secs_f64() * 1e6 / (warmup + calls) as f64,
        _ => 0.0,
    };
    Ok((sample, server_cpu))
}

fn measure_child_process(
    base: &str,
    workload: Workload,
    warmup: u64,
    calls: u64,
    concurrency: usize,
) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([
            "measure",
            workload.name(),
            base,
            &warmup.to_string(),
            &calls.to_string(),
            &concurrency.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start a measurement: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the `{}` measurement failed ({})",
            workload.name(),
            out.status
        ));
    }
    text.lines()
        .last()
        .and_then(Sample::parse)
        .ok_or_else(|| format!("the `{}` measurement printed `{text}`", workload.name()))
}

/// Runs `workloads` `repeats` times, interleaved (A B A B ..) so that drift in the machine's
/// load falls on both, and returns each one's samples.
/// Also returns the median of the server's CPU time per call, over all runs, in µs.
fn interleaved(
    plan: &Plan,
    server: &ServerProcess,
    workloads: &[Workload],
    calls: u64,
    concurrency: usize,
) -> Result<(Vec<Vec<Sample>>, f64), String> {
    let warmup = (calls / 10).clamp(1, 500);
    let mut all = vec![Vec::new(); workloads.len()];
    let mut server_cpu = Vec::new();
    for _ in 0..plan.repeats {
        for (i, w) in workloads.iter().enumerate() {
            let (sample, cpu) = measure_in_child(server, *w, warmup, calls, concurrency)?;
            all[i].push(sample);
            server_cpu.push(cpu);
        }
    }
    Ok((all, measure::median(&server_cpu).unwrap_or(0.0)))
}

fn med(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    measure::median(&samples.iter().map(f).collect::<Vec<_>>()).unwrap_or(0.0)
}

/// The median of the ratios of runs made back to back (ours_i / theirs_i): steadier than the
/// ratio of medians when the machine's load drifts during the run.
fn paired_ratio(ours: &[Sample], theirs: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    let ratios: Vec<f64> = ours.iter().zip(theirs).map(|(a, b)| f(a) / f(b)).collect();
    measure::median(&ratios).unwrap_or(0.0)
}

/// Every run's figure, in the order they ran.
fn spread(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> String {
    samples
        .iter()
        .map(|s| format!("{:.0}", f(s)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The client process's CPU time per cancel, ours against the baseline: the overhead with
/// less of the noise of a shared machine than wall time has.
fn cpu_row(figure: &str, samples: &[Vec<Sample>]) {
    let (ours, theirs) = (
        med(&samples[0], Sample::cpu_micros_per_call),
        med(&samples[1], Sample::cpu_micros_per_call),
    );
    println!(
        "| {figure}: client CPU time per cancel, µs | {ours:.1} | {theirs:.1} | {:.3} | reported |",
        paired_ratio(&samples[0], &samples[1], Sample::cpu_micros_per_call)
    );
    eprintln!(
        "  runs (CPU µs/cancel): rescind [{}], reqwest [{}]",
        spread(&samples[0], Sample::cpu_micros_per_call),
        spread(&samples[1], Sample::cpu_micros_per_call)
    );
}

/// Instructions per sequential cancel, counted by valgrind's callgrind: the one figure here
/// that other processes on the machine cannot move. The difference between a run of 400 and a
/// run of 200 cancels, divided by 200, so that start-up and warm-up cancel out.
fn instructions_row(base: &str) -> Result<(), String> {
    let Some(valgrind) = find_on_path("valgrind") else {
        println!(
            "| per-call: instructions per cancel (callgrind) | valgrind not found | | | reported |"
        );
        return Ok(());
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let count = |w: Workload, calls: u64| -> Result<f64, String> {
        let out = Command::new(&valgrind)
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&exe)
            .args(["measure", w.name(), base, "10", &calls.to_string(), "1"])
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("valgrind: {e}"))?;
        let text = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("valgrind failed ({}): {text}", out.status));
        }
        measure::parse_callgrind_total(&text)
            .map(|n| n as f64)
            .ok_or_else(|| format!("no instruction count in valgrind's output: {text}"))
    };
    let per_call =
        |w: Workload| -> Result<f64, String> { Ok((count(w, 400)? - count(w, 200)?) / 200.0) };
    let (ours, theirs) = (per_call(Workload::Client)?, per_call(Workload::Reqwest)?);
    println!(
        "| per-call: instructions per cancel (callgrind, thousands) | {:.0} | {:.0} | {:.3} | reported |",
        ours / 1e3,
        theirs / 1e3,
        ours / theirs
    );
    Ok(())
}

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn report(smoke: bool) -> Result<(), String> {
    let plan = Plan::new(smoke);
    if plan.smoke {
        println!(
            "(smoke mode: a few calls of each, to check that the benchmarks run; the numbers mean nothing)\n"
        );
    }
    let server = ServerProcess::start()?;
    let base = server.base.clone();
    eprintln!("minimal server at {base}");
    let base = base.as_str();

    println!("| figure | rescind | baseline | ratio | target |");
    // Medians of the runs; a ratio is the median of the ratios of runs made back to back.
    println!("|---|---:|---:|---:|---|");

    // Per-call overhead: sequential cancels, client vs bare reqwest.
    let (seq, _) = interleaved(
        &plan,
        &server,
        &[
            Workload::Client,
            Workload::Reqwest,
            Workload::ReqwestTimeout,
        ],
        plan.sequential,
        1,
    )?;
    let (ours, theirs) = (
        med(&seq[0], Sample::micros_per_call),
        med(&seq[1], Sample::micros_per_call),
    );
    let ratio = paired_ratio(&seq[0], &seq[1], Sample::micros_per_call);
    println!(
        "| per-call: {} sequential cancels (GET + PATCH), µs per cancel | {ours:.1} | {theirs:.1} | {ratio:.3} | ≤ 1.05 {} |",
        plan.sequential,
        verdict(ratio <= 1.05)
    );
    eprintln!(
        "  runs (µs/cancel): rescind [{}], reqwest [{}]",
        spread(&seq[0], Sample::micros_per_call),
        spread(&seq[1], Sample::micros_per_call)
    );
    let like = med(&seq[2], Sample::micros_per_call);
    println!(
        "| per-call: the same, baseline with rescind's 30 s per-request timeout (like for like), µs per cancel | {ours:.1} | {like:.1} | {:.3} | ≤ 1.05 {} |",
        paired_ratio(&seq[0], &seq[2], Sample::micros_per_call),
        verdict(paired_ratio(&seq[0], &seq[2], Sample::micros_per_call) <= 1.05)
    );
    eprintln!(
        "  runs (µs/cancel): reqwest with a timeout [{}]",
        spread(&seq[2], Sample::micros_per_call)
    );
    cpu_row("per-call", &seq);
    if !plan.smoke {
        instructions_row(base)?;
    }

    // Throughput through the facade vs bare reqwest, same concurrency; peak memory.
    let (tput, server_cpu) = interleaved(
        &plan,
        &server,
        &[Workload::Facade, Workload::Reqwest],
        plan.throughput,
        plan.concurrency,
    )?;
    let (ours, theirs) = (
        med(&tput[0], Sample::per_second),
        med(&tput[1], Sample::per_second),
    );
    let ratio = paired_ratio(&tput[0], &tput[1], Sample::per_second);
    println!(
        "| throughput: {} cancels at concurrency {} through the facade, cancels/s | {ours:.0} | {theirs:.0} | {ratio:.3} | ≥ 0.95 {} |",
        plan.throughput,
        plan.concurrency,
        verdict(ratio >= 0.95)
    );
    eprintln!(
        "  runs (cancels/s): facade [{}], reqwest [{}]",
        spread(&tput[0], Sample::per_second),
        spread(&tput[1], Sample::per_second)
    );
    cpu_row("throughput", &tput);
    let mib = |s: &Sample| s.peak_kib as f64 / 1024.0;
    let (ours, theirs) = (med(&tput[0], mib), med(&tput[1], mib));
    println!(
        "| peak memory of the throughput process (VmHWM), MiB | {ours:.1} | {theirs:.1} | {:.3} | reported |",
        ours / theirs
    );

    // The server's own ceiling, with the cheapest client.
    let (ceiling, _) = interleaved(
        &plan,
        &server,
        &[Workload::Ceiling],
        plan.ceiling,
        plan.ceiling_concurrency,
    )?;
    let reads = med(&ceiling[0], Sample::per_second);
    let needed = 2.0 * med(&tput[1], Sample::per_second);
    println!(
        "| server ceiling: reads/s at concurrency {} (bare reqwest, body not decoded) vs requests/s the throughput baseline needed | {reads:.0} | {needed:.0} | {:.2} | reported |",
        plan.ceiling_concurrency,
        reads / needed
    );
    let client_cpu = med(&tput[1], Sample::cpu_micros_per_call);
    println!(
        "| server CPU per cancel in the throughput runs vs the bare reqwest client's, µs | {server_cpu:.1} | {client_cpu:.1} | {:.2} | reported |",
        server_cpu / client_cpu
    );
    drop(server);

    // Decode.
    for case in decode::cases() {
        let f = decode::measure(&case, plan.decode_samples, plan.decode_time)?;
        println!(
            "| decode: {} ({} KB), MB/s: rescind reader (plain typed {:.0}) vs `serde_json::Value` | {:.0} | {:.0} | {:.2} | reported |",
            case.name,
            f.bytes / 1000,
            f.typed,
            f.sdk,
            f.value,
            f.sdk / f.value
        );
    }
    Ok(())
}
