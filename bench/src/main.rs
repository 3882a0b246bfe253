//! `rescind-bench`: the benchmark report. Run it through `cargo xtask bench [--smoke]`.
//!
//! - `rescind-bench [--smoke] [--only SECTION]`: runs every figure (or one section's:
//!   `per-call`, `throughput`, `calls` (Di's and Skip Pay's), `bulk`, `decode`) and prints
//!   the table (Markdown);
//! - `rescind-bench serve`: the minimal server (prints `addr=..`; stops when stdin closes);
//! - `rescind-bench measure WORKLOAD BASE_URL WARMUP CALLS CONCURRENCY [current-thread]`: one
//!   measurement in its own process, so that its peak memory is its own, on tokio's
//!   multi-thread runtime or its current-thread one; prints a `Sample` line;
//! - `rescind-bench alternate BASE_URL BLOCKS CALLS_PER_BLOCK FLAVOR [SET]`: the per-call figure
//!   in one process: rescind's client, bare reqwest and bare reqwest with a timeout in
//!   alternating blocks of sequential calls, of Arta's cancel (default) or of the set `di`,
//!   `skippay` (change-first), `di-check` or `skippay-check` (check-first); prints each one's
//!   time per block;
//! - `rescind-bench sim ROWS`: the simulator seeded for ROWS bulk rows (prints `addr=..`;
//!   stops when stdin closes);
//! - `rescind-bench sim-limits ROWS MINUTE_MS`: the simulator with ROWS Arta hosted sessions
//!   at a test key's documented limits, with a minute of MINUTE_MS;
//! - `rescind-bench bulk BASE_URL INPUT MODE JOURNAL_DIR [MINUTE_MS]`: one bulk run in its own
//!   process (modes `runner`, `direct`, `ceiling`, `limits`); prints a `BulkSample` line;
//! - `rescind-bench routes BASE_URL ROWS REQUESTS`: the simulator's ceiling on each route a
//!   bulk run uses, in its own process; prints one `rps=..` line per route;
//! - `rescind-bench memory INPUT stream|read`: a strict run's validation of INPUT in its own
//!   process; prints a `MemorySample` line.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use rescind_bench::bulk::{self, BulkSample, MemorySample, Mode};
use rescind_bench::measure::{self, Sample};
use rescind_bench::workload::{self, Caller, Workload};
use rescind_bench::{decode, server};

const USAGE: &str = "usage: rescind-bench [--smoke] [--only per-call|throughput|calls|bulk|decode] | serve | measure WORKLOAD BASE_URL WARMUP CALLS CONCURRENCY [current-thread] | alternate BASE_URL BLOCKS CALLS_PER_BLOCK FLAVOR [arta|di|skippay|di-check|skippay-check] | sim ROWS | sim-limits ROWS MINUTE_MS | bulk BASE_URL INPUT MODE JOURNAL_DIR [MINUTE_MS] | routes BASE_URL ROWS REQUESTS | memory INPUT stream|read";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => report(false, None),
        Some(flag) if flag.starts_with("--") => report_flags(&args),
        Some("serve") => serve(),
        Some("measure") => measure_child(&args[1..]),
        Some("alternate") => alternate_child(&args[1..]),
        Some("sim") => sim(&args[1..]),
        Some("bulk") => bulk_child(&args[1..]),
        Some("sim-limits") => sim_limits(&args[1..]),
        Some("memory") => memory_child(&args[1..]),
        Some("routes") => routes_child(&args[1..]),
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

/// `[--smoke] [--only SECTION]`, in any order.
fn report_flags(args: &[String]) -> Result<(), String> {
    let (mut smoke, mut only) = (false, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--only" => only = Some(args.next().ok_or("--only needs a section")?.as_str()),
            _ => return Err(USAGE.to_string()),
        }
    }
    report(smoke, only)
}

/// Which tokio runtime a measuring child runs its calls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// The multi-thread runtime (`#[tokio::main]`'s default).
    MultiThread,
    /// The current-thread runtime: every task on the calling thread, so no hand-offs between
    /// worker threads, whose timing varies from run to run (sequential calls only).
    CurrentThread,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::MultiThread => "multi-thread",
            Flavor::CurrentThread => "current-thread",
        }
    }

    fn runtime(self) -> Result<tokio::runtime::Runtime, String> {
        match self {
            Flavor::MultiThread => runtime(),
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the runtime: {e}")),
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

fn sim(args: &[String]) -> Result<(), String> {
    let [rows] = args else {
        return Err(USAGE.to_string());
    };
    let rows: usize = rows
        .parse()
        .map_err(|_| format!("ROWS must be a number, not `{rows}`"))?;
    let rt = runtime()?;
    let sim = rt
        .block_on(bulk::start_simulator(rows))
        .map_err(|e| format!("could not start the simulator: {e}"))?;
    println!("addr={}", sim.addr());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    rt.block_on(sim.shutdown());
    Ok(())
}

/// The calls one pair of figures (per-call, throughput) compares.
#[derive(Debug, Clone, Copy)]
struct CallSet {
    /// Its name on the `alternate` child's command line.
    name: &'static str,
    /// What one call is, in the figures' text.
    what: &'static str,
    /// The three sequential callers of the per-call figure: rescind's client, bare reqwest,
    /// bare reqwest with rescind's per-request timeout.
    per_call: [Workload; 3],
    /// The two callers of the throughput figure: rescind, bare reqwest.
    throughput: [Workload; 2],
}

/// An Arta hosted-session cancel under check-first (the section `per-call`/`throughput`).
const ARTA: CallSet = CallSet {
    name: "arta",
    what: "sequential cancels (GET + PATCH)",
    per_call: [
        Workload::Client,
        Workload::Reqwest,
        Workload::ReqwestTimeout,
    ],
    throughput: [Workload::Facade, Workload::Reqwest],
};

/// A Di whole cancel under change-first: one `DELETE` (the section `calls`).
const DI: CallSet = CallSet {
    name: "di",
    what: "Di whole cancels, change-first (1 DELETE; login once, untimed)",
    per_call: [
        Workload::DiClient,
        Workload::DiReqwest,
        Workload::DiReqwestTimeout,
    ],
    throughput: [Workload::DiClient, Workload::DiReqwest],
};

/// A Skip Pay whole cancel of a READY application under change-first: one order cancel (the
/// section `calls`).
const SKIPPAY: CallSet = CallSet {
    name: "skippay",
    what: "Skip Pay whole cancels, change-first (1 PUT order/cancel; login once, untimed)",
    per_call: [
        Workload::SkipPayClient,
        Workload::SkipPayReqwest,
        Workload::SkipPayReqwestTimeout,
    ],
    throughput: [Workload::SkipPayClient, Workload::SkipPayReqwest],
};

/// A Di whole cancel under check-first: the order read, then the `DELETE` (the section
/// `calls`, per-call figure only).
const DI_CHECK: CallSet = CallSet {
    name: "di-check",
    what: "Di whole cancels, check-first (GET details + DELETE; login once, untimed)",
    per_call: [
        Workload::DiClientCheckFirst,
        Workload::DiReqwestCheckFirst,
        Workload::DiReqwestCheckFirstTimeout,
    ],
    throughput: [Workload::DiClientCheckFirst, Workload::DiReqwestCheckFirst],
};

/// A Skip Pay whole cancel of a READY application under check-first: the application read,
/// then the order cancel (the section `calls`, per-call figure only).
const SKIPPAY_CHECK: CallSet = CallSet {
    name: "skippay-check",
    what: "Skip Pay whole cancels, check-first (GET application + PUT order/cancel; login once, untimed)",
    per_call: [
        Workload::SkipPayClientCheckFirst,
        Workload::SkipPayReqwestCheckFirst,
        Workload::SkipPayReqwestCheckFirstTimeout,
    ],
    throughput: [
        Workload::SkipPayClientCheckFirst,
        Workload::SkipPayReqwestCheckFirst,
    ],
};

fn call_set(name: &str) -> Result<CallSet, String> {
    [ARTA, DI, SKIPPAY, DI_CHECK, SKIPPAY_CHECK]
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no call set `{name}` (arta, di, skippay, di-check, skippay-check)"))
}

fn alternate_child(args: &[String]) -> Result<(), String> {
    let (base, blocks, per_block, flavor, set) = match args {
        [base, blocks, per_block, flavor] => (base, blocks, per_block, flavor, ARTA),
        [base, blocks, per_block, flavor, set] => (base, blocks, per_block, flavor, call_set(set)?),
        _ => return Err(USAGE.to_string()),
    };
    let flavor = [Flavor::CurrentThread, Flavor::MultiThread]
        .into_iter()
        .find(|f| f.name() == flavor)
        .ok_or_else(|| format!("no runtime `{flavor}`"))?;
    let blocks: usize = blocks.parse().map_err(|_| format!("BLOCKS: `{blocks}`"))?;
    let per_block: u64 = per_block
        .parse()
        .map_err(|_| format!("CALLS_PER_BLOCK: `{per_block}`"))?;
    let times = flavor.runtime()?.block_on(async {
        let callers = set
            .per_call
            .iter()
            .map(|w| Caller::new(*w, base, 1))
            .collect::<Result<Vec<_>, _>>()?;
        workload::alternating(&callers, per_block.min(200), blocks, per_block).await
    })?;
    for (w, t) in set.per_call.iter().zip(times) {
        let ns: Vec<String> = t
            .iter()
            .map(|(wall, cpu)| format!("{},{}", wall.as_nanos(), cpu.as_nanos()))
            .collect();
        println!("{} {}", w.name(), ns.join(" "));
    }
    Ok(())
}

fn bulk_child(args: &[String]) -> Result<(), String> {
    let (base, input, mode, dir, minute) = match args {
        [base, input, mode, dir] => (base, input, mode, dir, "60000"),
        [base, input, mode, dir, minute] => (base, input, mode, dir, minute.as_str()),
        _ => return Err(USAGE.to_string()),
    };
    let mode = Mode::from_name(mode).ok_or_else(|| format!("no bulk mode `{mode}`"))?;
    let minute_ms: u64 = minute
        .parse()
        .map_err(|_| format!("MINUTE_MS must be a number, not `{minute}`"))?;
    let sample = runtime()?.block_on(bulk::run(
        base,
        std::path::Path::new(input),
        mode,
        std::path::Path::new(dir),
        minute_ms,
    ))?;
    println!("{}", sample.to_line());
    Ok(())
}

fn sim_limits(args: &[String]) -> Result<(), String> {
    let [rows, minute] = args else {
        return Err(USAGE.to_string());
    };
    let rows: usize = rows
        .parse()
        .map_err(|_| format!("ROWS must be a number, not `{rows}`"))?;
    let minute_ms: u64 = minute
        .parse()
        .map_err(|_| format!("MINUTE_MS must be a number, not `{minute}`"))?;
    let rt = runtime()?;
    let sim = rt
        .block_on(bulk::start_limits_simulator(rows, minute_ms))
        .map_err(|e| format!("could not start the simulator: {e}"))?;
    println!("addr={}", sim.addr());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    rt.block_on(sim.shutdown());
    Ok(())
}

fn routes_child(args: &[String]) -> Result<(), String> {
    let [base, rows, requests] = args else {
        return Err(USAGE.to_string());
    };
    let rows: usize = rows.parse().map_err(|_| format!("ROWS: `{rows}`"))?;
    let requests: u64 = requests
        .parse()
        .map_err(|_| format!("REQUESTS: `{requests}`"))?;
    for rps in runtime()?.block_on(bulk::route_ceilings(base, rows, requests))? {
        println!("rps={rps}");
    }
    Ok(())
}

fn memory_child(args: &[String]) -> Result<(), String> {
    let [input, how] = args else {
        return Err(USAGE.to_string());
    };
    let streamed = match how.as_str() {
        "stream" => true,
        "read" => false,
        other => return Err(format!("`{other}`: stream or read")),
    };
    let sample = bulk::validate(std::path::Path::new(input), streamed)?;
    println!("{}", sample.to_line());
    Ok(())
}

fn measure_child(args: &[String]) -> Result<(), String> {
    let (flavor, args) = match args {
        [rest @ .., last] if last == Flavor::CurrentThread.name() => (Flavor::CurrentThread, rest),
        [rest @ .., last] if last == Flavor::MultiThread.name() => (Flavor::MultiThread, rest),
        _ => (Flavor::MultiThread, args),
    };
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
    let rt = flavor.runtime()?;
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
    /// Processes per runtime flavor for the per-call figure.
    per_call_repeats: usize,
    /// Blocks per process, and calls per block, for the per-call figure.
    per_call_blocks: usize,
    per_block: u64,
    throughput: u64,
    concurrency: usize,
    ceiling: u64,
    ceiling_concurrency: usize,
    decode_samples: usize,
    decode_time: Duration,
    bulk_rows: usize,
    bulk_repeats: usize,
    /// Rows of the Arta run at a test key's limits, and the simulator's minute for it.
    limits_rows: usize,
    limits_minute_ms: u64,
    /// The size of the memory figure's input.
    memory_bytes: usize,
}

impl Plan {
    fn new(smoke: bool) -> Plan {
        if smoke {
            Plan {
                smoke,
                repeats: 1,
                per_call_repeats: 1,
                per_call_blocks: 2,
                per_block: 5,
                throughput: 200,
                concurrency: 64,
                ceiling: 400,
                ceiling_concurrency: 256,
                decode_samples: 1,
                decode_time: Duration::from_millis(1),
                bulk_rows: 60,
                bulk_repeats: 1,
                limits_rows: 100,
                limits_minute_ms: 1_000,
                memory_bytes: 200_000,
            }
        } else {
            Plan {
                smoke,
                repeats: 9,
                per_call_repeats: 3,
                per_call_blocks: 40,
                per_block: 100,
                throughput: 10_000,
                concurrency: 64,
                ceiling: 40_000,
                ceiling_concurrency: 256,
                decode_samples: 11,
                decode_time: Duration::from_millis(100),
                bulk_rows: 10_000,
                bulk_repeats: 5,
                limits_rows: 10_000,
                limits_minute_ms: 1_000,
                memory_bytes: 50_000_000,
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
    /// Starts `rescind-bench ARGS` (`serve`, or `sim ROWS`) and reads the address it prints.
    fn start(args: &[&str]) -> Result<ServerProcess, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(args)
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
    flavor: Flavor,
    workload: Workload,
    warmup: u64,
    calls: u64,
    concurrency: usize,
) -> Result<(Sample, f64), String> {
    let pid = server.child.id();
    let before = measure::process_cpu_of(pid);
    let sample = measure_child_process(&server.base, flavor, workload, warmup, calls, concurrency)?;
    let server_cpu = match (before, measure::process_cpu_of(pid)) {
        (Some(b), Some(a)) => a.saturating_sub(b).as_secs_f64() * 1e6 / (warmup + calls) as f64,
        _ => 0.0,
    };
    Ok((sample, server_cpu))
}

/// Runs `rescind-bench ARGS` (a measuring child; its stderr goes to ours) and returns its
/// stdout; `what` names it in errors.
fn run_child(args: &[&str], what: &str) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start the {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!("the {what} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn measure_child_process(
    base: &str,
    flavor: Flavor,
    workload: Workload,
    warmup: u64,
    calls: u64,
    concurrency: usize,
) -> Result<Sample, String> {
    let what = format!("`{}` measurement", workload.name());
    let text = run_child(
        &[
            "measure",
            workload.name(),
            base,
            &warmup.to_string(),
            &calls.to_string(),
            &concurrency.to_string(),
            flavor.name(),
        ],
        &what,
    )?;
    text.lines()
        .last()
        .and_then(Sample::parse)
        .ok_or_else(|| format!("the `{}` measurement printed `{text}`", workload.name()))
}

/// Runs `workloads` `repeats` times, interleaved (A B A B ..) so that drift in the machine's
/// load falls on both, and returns each one's samples.
/// Also returns the median of the server's CPU time per call, over all runs, in µs.
fn interleaved(
    repeats: usize,
    server: &ServerProcess,
    flavor: Flavor,
    workloads: &[Workload],
    calls: u64,
    concurrency: usize,
) -> Result<(Vec<Vec<Sample>>, f64), String> {
    let warmup = (calls / 10).clamp(1, 500);
    let mut all = vec![Vec::new(); workloads.len()];
    let mut server_cpu = Vec::new();
    for _ in 0..repeats {
        for (i, w) in workloads.iter().enumerate() {
            let (sample, cpu) = measure_in_child(server, flavor, *w, warmup, calls, concurrency)?;
            all[i].push(sample);
            server_cpu.push(cpu);
        }
    }
    Ok((all, measure::median(&server_cpu).unwrap_or(0.0)))
}

/// The median of `f` over the runs.
fn med<T>(samples: &[T], f: impl Fn(&T) -> f64) -> f64 {
    measure::median(&samples.iter().map(f).collect::<Vec<_>>()).unwrap_or(0.0)
}

/// The median of the ratios of runs made back to back (ours_i / theirs_i): steadier than the
/// ratio of medians when the machine's load drifts during the run.
fn paired_ratio<T>(ours: &[T], theirs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    let ratios: Vec<f64> = ours.iter().zip(theirs).map(|(a, b)| f(a) / f(b)).collect();
    measure::median(&ratios).unwrap_or(0.0)
}

/// Every run's figure, in the order they ran.
fn spread<T>(samples: &[T], f: impl Fn(&T) -> f64) -> String {
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

/// The parts of the report, to run one alone (`--only NAME`).
/// `calls`: the per-call and throughput figures of a Di and a Skip Pay cancel (change-first),
/// and the per-call figure of each under check-first.
const SECTIONS: [&str; 5] = ["per-call", "throughput", "calls", "bulk", "decode"];

fn report(smoke: bool, only: Option<&str>) -> Result<(), String> {
    if let Some(name) = only
        && !SECTIONS.contains(&name)
    {
        return Err(format!(
            "no section `{name}` (sections: {})",
            SECTIONS.join(", ")
        ));
    }
    let run = |name: &str| only.is_none_or(|o| o == name);
    let plan = Plan::new(smoke);
    if plan.smoke {
        println!(
            "(smoke mode: a few calls of each, to check that the benchmarks run; the numbers mean nothing)\n"
        );
    }
    println!("| figure | rescind | baseline | ratio | target |");
    // Medians of the runs; a ratio is the median of the ratios of runs made back to back.
    println!("|---|---:|---:|---:|---|");
    if run("per-call") || run("throughput") || run("calls") {
        let server = ServerProcess::start(&["serve"])?;
        eprintln!("minimal server at {}", server.base);
        if run("per-call") {
            per_call(&plan, &server, ARTA)?;
        }
        if run("throughput") {
            throughput(&plan, &server)?;
        }
        if run("calls") {
            for set in [DI, SKIPPAY] {
                per_call(&plan, &server, set)?;
                throughput_of(&plan, &server, set)?;
            }
            // Check-first (read + change): the per-call figure.
            for set in [DI_CHECK, SKIPPAY_CHECK] {
                per_call(&plan, &server, set)?;
            }
        }
    }
    if run("bulk") {
        bulk_rows(&plan)?;
    }
    if run("decode") {
        decode_rows(&plan)?;
    }
    Ok(())
}

/// Per-call overhead: sequential cancels, client vs bare reqwest.
fn per_call(plan: &Plan, server: &ServerProcess, set: CallSet) -> Result<(), String> {
    // Sequential calls on both runtimes: the current-thread one keeps every task on one
    // thread, so the figure is not blurred by hand-offs between worker threads.
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        let f = flavor.name();
        // Per caller (the set's order), every block of every process: (wall, CPU) per call, µs.
        let mut blocks: Vec<Vec<(f64, f64)>> = vec![Vec::new(); set.per_call.len()];
        for _ in 0..plan.per_call_repeats {
            for (i, b) in alternate_in_child(server, flavor, plan, set)?
                .into_iter()
                .enumerate()
            {
                blocks[i].extend(b);
            }
        }
        let per_call = |i: usize, cpu: bool| {
            let v: Vec<f64> = blocks[i]
                .iter()
                .map(|(w, c)| if cpu { *c } else { *w })
                .collect();
            measure::median(&v).unwrap_or(0.0)
        };
        let ratio = |i: usize, j: usize, cpu: bool| {
            let v: Vec<f64> = blocks[i]
                .iter()
                .zip(&blocks[j])
                .map(|(a, b)| if cpu { a.1 / b.1 } else { a.0 / b.0 })
                .collect();
            measure::median(&v).unwrap_or(0.0)
        };
        let n = blocks[0].len();
        let (r, like) = (ratio(0, 1, false), ratio(0, 2, false));
        println!(
            "| per-call ({f} runtime): {}, µs per cancel; {n} blocks of {} | {:.1} | {:.1} | {r:.3} | ≤ 1.05 {} |",
            set.what,
            plan.per_block,
            per_call(0, false),
            per_call(1, false),
            verdict(r <= 1.05)
        );
        println!(
            "| per-call ({f}, {}): the same, baseline with rescind's 30 s per-request timeout (like for like) | {:.1} | {:.1} | {like:.3} | ≤ 1.05 {} |",
            set.name,
            per_call(0, false),
            per_call(2, false),
            verdict(like <= 1.05)
        );
        println!(
            "| per-call ({f}, {}): client CPU time per cancel, µs | {:.1} | {:.1} | {:.3} | reported |",
            set.name,
            per_call(0, true),
            per_call(1, true),
            ratio(0, 1, true)
        );
        let spread = |i: usize| {
            let v: Vec<f64> = blocks[i].iter().map(|b| b.0).collect();
            let mut v = v;
            v.sort_by(f64::total_cmp);
            let q = |p: f64| {
                v.get(((v.len() as f64 - 1.0) * p) as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            format!("{:.0}/{:.0}/{:.0}", q(0.1), q(0.5), q(0.9))
        };
        eprintln!(
            "  {f}, {}: µs per cancel over blocks, p10/p50/p90: rescind {}, reqwest {}, reqwest with a timeout {}",
            set.name,
            spread(0),
            spread(1),
            spread(2)
        );
    }
    if !plan.smoke && set.name == ARTA.name {
        instructions_row(&server.base)?;
    }
    Ok(())
}

/// Runs `alternate` in its own process: per caller of the set's `per_call`, each block's wall
/// and CPU time per call, in µs.
fn alternate_in_child(
    server: &ServerProcess,
    flavor: Flavor,
    plan: &Plan,
    set: CallSet,
) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let text = run_child(
        &[
            "alternate",
            &server.base,
            &plan.per_call_blocks.to_string(),
            &plan.per_block.to_string(),
            flavor.name(),
            set.name,
        ],
        "per-call measurement",
    )?;
    let per_call = plan.per_block as f64;
    set.per_call
        .iter()
        .map(|w| {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix(w.name())?.strip_prefix(' '))
                .ok_or_else(|| format!("no `{}` line in `{text}`", w.name()))?;
            line.split_whitespace()
                .map(|pair| {
                    let (wall, cpu) = pair.split_once(',').ok_or("a block is `wall,cpu`")?;
                    let ns = |v: &str| v.parse::<f64>().map_err(|e| e.to_string());
                    Ok((ns(wall)? / 1e3 / per_call, ns(cpu)? / 1e3 / per_call))
                })
                .collect()
        })
        .collect()
}

/// Throughput through the facade vs bare reqwest, same concurrency; peak memory; the server's
/// own ceiling.
fn throughput(plan: &Plan, server: &ServerProcess) -> Result<(), String> {
    let (tput, server_cpu) = interleaved(
        plan.repeats,
        server,
        Flavor::MultiThread,
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
        plan.repeats,
        server,
        Flavor::MultiThread,
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
    Ok(())
}

/// Throughput of a set other than Arta's: rescind's client (change-first) vs bare reqwest
/// sending the same request, same concurrency; client CPU time; peak memory.
fn throughput_of(plan: &Plan, server: &ServerProcess, set: CallSet) -> Result<(), String> {
    // The third caller: bare reqwest with rescind's per-request timeout (like for like, as
    // in the per-call figure: a timer per request is part of what rescind does).
    let (tput, server_cpu) = interleaved(
        plan.repeats,
        server,
        Flavor::MultiThread,
        &[set.throughput[0], set.throughput[1], set.per_call[2]],
        plan.throughput,
        plan.concurrency,
    )?;
    let (ours, theirs) = (
        med(&tput[0], Sample::per_second),
        med(&tput[1], Sample::per_second),
    );
    let ratio = paired_ratio(&tput[0], &tput[1], Sample::per_second);
    println!(
        "| throughput ({}): {} cancels at concurrency {} through the client, cancels/s | {ours:.0} | {theirs:.0} | {ratio:.3} | ≥ 0.95 {} |",
        set.what,
        plan.throughput,
        plan.concurrency,
        verdict(ratio >= 0.95)
    );
    let like = med(&tput[2], Sample::per_second);
    let like_ratio = paired_ratio(&tput[0], &tput[2], Sample::per_second);
    println!(
        "| throughput ({}): the same, baseline with rescind's per-request timeout (like for like) | {ours:.0} | {like:.0} | {like_ratio:.3} | ≥ 0.95 {} |",
        set.name,
        verdict(like_ratio >= 0.95)
    );
    eprintln!(
        "  {} runs (cancels/s): rescind [{}], reqwest [{}], reqwest with a timeout [{}]",
        set.name,
        spread(&tput[0], Sample::per_second),
        spread(&tput[1], Sample::per_second),
        spread(&tput[2], Sample::per_second)
    );
    cpu_row(&format!("throughput ({})", set.name), &tput);
    let mib = |s: &Sample| s.peak_kib as f64 / 1024.0;
    let (ours, theirs) = (med(&tput[0], mib), med(&tput[1], mib));
    println!(
        "| peak memory of the throughput process ({}), MiB | {ours:.1} | {theirs:.1} | {:.3} | reported |",
        set.name,
        ours / theirs
    );
    let client_cpu = med(&tput[1], Sample::cpu_micros_per_call);
    println!(
        "| server CPU per cancel in the {} throughput runs vs the bare reqwest client's, µs | {server_cpu:.1} | {client_cpu:.1} | {:.2} | reported |",
        set.name,
        server_cpu / client_cpu
    );
    Ok(())
}

/// Typed decode vs `serde_json::Value`.
fn decode_rows(plan: &Plan) -> Result<(), String> {
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

/// One bulk run in its own process; returns it with the simulator's CPU time over the run.
fn bulk_in_child(
    sim: &ServerProcess,
    input: &std::path::Path,
    mode: Mode,
    dir: &std::path::Path,
    minute_ms: u64,
) -> Result<(BulkSample, Duration), String> {
    let pid = sim.child.id();
    let before = measure::process_cpu_of(pid);
    let what = format!("`{}` bulk run", mode.name());
    let text = run_child(
        &[
            "bulk",
            &sim.base,
            &input.to_string_lossy(),
            mode.name(),
            &dir.to_string_lossy(),
            &minute_ms.to_string(),
        ],
        &what,
    )?;
    let sim_cpu = match (before, measure::process_cpu_of(pid)) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => Duration::ZERO,
    };
    let sample = text
        .lines()
        .last()
        .and_then(BulkSample::parse)
        .ok_or_else(|| format!("the `{}` bulk run printed `{text}`", mode.name()))?;
    Ok((sample, sim_cpu))
}

/// The bulk figures: the runner with its journal on disk, on tmpfs (fsyncs nearly free) and
/// the plain loop over the registry, interleaved, against the simulator in its own process;
/// then the simulator's ceiling.
fn bulk_rows(plan: &Plan) -> Result<(), String> {
    let rows = plan.bulk_rows;
    let disk = std::env::temp_dir().join(format!("rescind-bench-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&disk).map_err(|e| format!("{}: {e}", disk.display()))?;
    let input = disk.join("rows.csv");
    bulk::write_input(&input, rows).map_err(|e| format!("{}: {e}", input.display()))?;
    let shm = std::path::Path::new("/dev/shm");
    let tmpfs = shm.is_dir().then(|| shm.to_path_buf());
    let sim = ServerProcess::start(&["sim", &rows.to_string()])?;
    eprintln!("simulator at {} seeded for {rows} rows", sim.base);

    let (mut on_disk, mut on_tmpfs, mut direct) = (Vec::new(), Vec::new(), Vec::new());
    let mut sim_cpu_per_row = Vec::new();
    for _ in 0..plan.bulk_repeats {
        let (s, cpu) = bulk_in_child(&sim, &input, Mode::Runner, &disk, 0)?;
        sim_cpu_per_row.push(cpu.as_secs_f64() * 1e6 / s.rows as f64);
        on_disk.push(s);
        if let Some(dir) = &tmpfs {
            on_tmpfs.push(bulk_in_child(&sim, &input, Mode::Runner, dir, 0)?.0);
        }
        direct.push(bulk_in_child(&sim, &input, Mode::Direct, &disk, 0)?.0);
    }
    let (ceiling, _) = bulk_in_child(&sim, &input, Mode::Ceiling, &disk, 0)?;
    let route_requests = if plan.smoke { 200 } else { 20_000 };
    let routes = run_child(
        &[
            "routes",
            &sim.base,
            &rows.to_string(),
            &route_requests.to_string(),
        ],
        "per-route ceiling",
    );
    drop(sim);
    let _ = std::fs::remove_dir_all(&disk);

    let rps = BulkSample::rows_per_second;
    eprintln!(
        "  runs (rows/s): runner, journal on disk [{}], on tmpfs [{}], direct [{}]",
        spread(&on_disk, rps),
        spread(&on_tmpfs, rps),
        spread(&direct, rps)
    );
    let per_row = |s: &BulkSample| s.requests as f64 / s.rows as f64;
    let ratio = paired_ratio(&on_disk, &direct, rps);
    let (runner_per_row, loop_per_row) = (med(&on_disk, per_row), med(&direct, per_row));
    // Like for like only when both send the same requests (bulk::direct mirrors the runner's
    // requests per row; a change to the runner's reads must be made there too).
    let same_requests = (runner_per_row - loop_per_row).abs() <= 0.02 * loop_per_row;
    println!(
        "| **bulk, crash safety**: {rows} rows, 3 providers, `bulk::Runner` with its journal on disk, rows/s, vs a plain loop without a journal sending the same requests per row (runner {runner_per_row:.2}, loop {loop_per_row:.2}), same per-account concurrency, no rate limit | {:.0} | {:.0} | **{ratio:.3}** | ≥ 0.85: **{}** |",
        med(&on_disk, rps),
        med(&direct, rps),
        if same_requests {
            verdict(ratio >= 0.85)
        } else {
            "not like for like (the loop's requests differ from the runner's)"
        }
    );
    for (i, action) in bulk::ACTIONS.iter().enumerate() {
        let values: Vec<f64> = on_disk
            .iter()
            .filter_map(|s| s.requests_per_row(i))
            .collect();
        let Some(value) = measure::median(&values) else {
            continue;
        };
        let target = if matches!(i, 1 | 4) { 2.05 } else { 1.05 };
        println!(
            "| **bulk, requests per row**: {action}, {rows}-row mixed file, no faults, logins apart (simulator's counters) | {value:.3} | | | ≤ {target}: **{}** |",
            verdict(value <= target)
        );
    }
    let syncs = med(&on_disk, |s| s.syncs as f64);
    let sync_s = med(&on_disk, |s| s.sync_time.as_secs_f64());
    println!(
        "| bulk: the journal's fsyncs in the on-disk run: {syncs:.0} fsyncs, {sync_s:.2} s, µs per fsync; share of the run's wall time | {:.0} | | {:.3} | reported |",
        med(&on_disk, |s| s.sync_time.as_secs_f64() * 1e6
            / s.syncs.max(1) as f64),
        med(&on_disk, BulkSample::sync_share)
    );
    if tmpfs.is_some() {
        println!(
            "| bulk: the same run with the journal on tmpfs (fsyncs nearly free), rows/s, vs on disk | {:.0} | {:.0} | {:.3} | reported |",
            med(&on_tmpfs, rps),
            med(&on_disk, rps),
            paired_ratio(&on_tmpfs, &on_disk, rps)
        );
    }
    let mib = |s: &BulkSample| s.peak_kib as f64 / 1024.0;
    println!(
        "| bulk: peak memory of the process (VmHWM), MiB, runner vs direct | {:.1} | {:.1} | {:.3} | reported |",
        med(&on_disk, mib),
        med(&direct, mib),
        med(&on_disk, mib) / med(&direct, mib)
    );
    println!(
        "| bulk: client CPU time per row, µs, runner vs direct | {:.0} | {:.0} | {:.3} | reported |",
        med(&on_disk, |s| s.cpu.as_secs_f64() * 1e6 / s.rows as f64),
        med(&direct, |s| s.cpu.as_secs_f64() * 1e6 / s.rows as f64),
        paired_ratio(&on_disk, &direct, |s| s.cpu.as_secs_f64() / s.rows as f64)
    );
    let needed = med(&on_disk, BulkSample::requests_per_second);
    println!(
        "| bulk: simulator ceiling: reads/s at concurrency {} (bare reqwest) vs requests/s the on-disk runner made ({:.1} per row) | {:.0} | {needed:.0} | {:.2} | reported |",
        bulk::CEILING_CONCURRENCY,
        med(&on_disk, |s| s.requests as f64 / s.rows as f64),
        ceiling.requests_per_second(),
        ceiling.requests_per_second() / needed
    );
    let route_rps: Vec<f64> = routes?
        .lines()
        .filter_map(|l| l.strip_prefix("rps=")?.parse().ok())
        .collect();
    for (route, rps) in bulk::ROUTES.iter().zip(&route_rps) {
        let ratio = rps / needed;
        println!(
            "| **bulk, simulator ceiling** on `{route}`: requests/s at concurrency {} (bare reqwest, {route_requests} requests on fleet targets) vs requests/s the on-disk runner made on all routes together (15 + 8 + 8 rows in flight) | {rps:.0} | {needed:.0} | **{ratio:.2}** | ≥ 3: **{}** |",
            bulk::CEILING_CONCURRENCY,
            verdict(ratio >= 3.0)
        );
    }
    println!(
        "| bulk: simulator CPU per row vs the runner's, µs | {:.0} | {:.0} | {:.2} | reported |",
        measure::median(&sim_cpu_per_row).unwrap_or(0.0),
        med(&on_disk, |s| s.cpu.as_secs_f64() * 1e6 / s.rows as f64),
        measure::median(&sim_cpu_per_row).unwrap_or(0.0)
            / med(&on_disk, |s| s.cpu.as_secs_f64() * 1e6 / s.rows as f64)
    );
    limits_row(plan)?;
    memory_row(plan)
}

/// The Arta run at a test key's documented limits (10 calls at once, 500 a minute), the
/// minute scaled to `limits_minute_ms` in the simulator and in the client's pacing: time vs
/// N rows / limit, and the 429s.
fn limits_row(plan: &Plan) -> Result<(), String> {
    let (rows, minute_ms) = (plan.limits_rows, plan.limits_minute_ms);
    let dir = std::env::temp_dir().join(format!("rescind-bench-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let input = dir.join("arta.csv");
    bulk::write_limits_input(&input, rows).map_err(|e| format!("{}: {e}", input.display()))?;
    let sim = ServerProcess::start(&["sim-limits", &rows.to_string(), &minute_ms.to_string()])?;
    let run = bulk_in_child(&sim, &input, Mode::Limits, &dir, minute_ms);
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    let (s, _) = run?;
    let ideal = rows as f64 / f64::from(bulk::TEST_KEY_PER_MINUTE) * minute_ms as f64 / 1000.0;
    let ratio = s.elapsed.as_secs_f64() / ideal;
    println!(
        "| **bulk at Arta's limits**: {rows} Arta cancels, test key (10 at once, 500 a minute; a minute scaled to {minute_ms} ms in the simulator and the client's pacing), s, vs N / limit ({:.2} requests per row, {} answers 429) | {:.2} | {ideal:.2} | **{ratio:.3}** | ≤ 1.05 with 0 429s: **{}** |",
        s.requests as f64 / s.rows as f64,
        s.throttled,
        s.elapsed.as_secs_f64(),
        verdict(ratio <= 1.05 && s.throttled == 0)
    );
    Ok(())
}

/// The memory figure: a strict run's validation of a large input (an invalid last row), each
/// way in its own process.
fn memory_row(plan: &Plan) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("rescind-bench-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let input = dir.join("large.csv");
    let written = bulk::write_large_input(&input, plan.memory_bytes);
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let child = |how: &str| -> Result<MemorySample, String> {
        let text = run_child(
            &["memory", &input.to_string_lossy(), how],
            &format!("`{how}` validation"),
        )?;
        text.lines()
            .last()
            .and_then(MemorySample::parse)
            .ok_or_else(|| format!("the `{how}` validation printed `{text}`"))
    };
    let result = written
        .map_err(|e| format!("{}: {e}", input.display()))
        .and_then(|rows| Ok((rows, child("stream")?, child("read")?)));
    // The same size, every row invalid (issue 17: memory must not grow with the bad rows).
    let bad_input = dir.join("all-invalid.csv");
    let bad = result.and_then(|r| {
        let rows = bulk::write_all_invalid_input(&bad_input, plan.memory_bytes)
            .map_err(|e| format!("{}: {e}", bad_input.display()))?;
        let size = std::fs::metadata(&bad_input).map(|m| m.len()).unwrap_or(0);
        let text = run_child(
            &["memory", &bad_input.to_string_lossy(), "stream"],
            "`stream` validation of the all-invalid input",
        )?;
        let sample = text
            .lines()
            .last()
            .and_then(MemorySample::parse)
            .ok_or_else(|| format!("the all-invalid validation printed `{text}`"))?;
        Ok((r, (rows, size, sample)))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let ((rows, streamed, whole), (bad_rows, bad_size, bad)) = bad?;
    let mib = |s: &MemorySample| s.peak_kib as f64 / 1024.0;
    println!(
        "| **bulk, memory**: `--strict` on a {:.1} MB input ({rows} rows, the last invalid): peak resident memory (VmHWM), MiB, streamed (`Input::stream`) vs rows kept (`Input::read`); {:.2} s vs {:.2} s | {:.1} | {:.1} | {:.3} | < 100 MiB: **{}** |",
        size as f64 / 1e6,
        streamed.elapsed.as_secs_f64(),
        whole.elapsed.as_secs_f64(),
        mib(&streamed),
        mib(&whole),
        mib(&streamed) / mib(&whole),
        verdict(mib(&streamed) < 100.0)
    );
    println!(
        "| **bulk, memory, invalid rows**: `--strict` on a {:.1} MB input whose {bad_rows} rows are all invalid, streamed: peak resident memory (VmHWM), MiB (the first 1,000 invalid rows kept, the others counted and spilled to a temporary file); {:.2} s | {:.1} | | | < 100 MiB: **{}** |",
        bad_size as f64 / 1e6,
        bad.elapsed.as_secs_f64(),
        mib(&bad),
        verdict(mib(&bad) < 100.0 && bad.invalid as usize == bad_rows)
    );
    Ok(())
}
