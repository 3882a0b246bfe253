//! Timing, medians and peak memory.

use std::time::{Duration, Instant};

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// This process's peak resident memory in KiB (`VmHWM` in `/proc/self/status`); `None` where
/// there is no such file (not Linux).
pub fn peak_rss_kib() -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Reads the `VmHWM:` line of a `/proc/<pid>/status` text.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The CPU time of every live thread of this process, summed (the first field of each
/// `/proc/self/task/*/schedstat`, in nanoseconds); `None` where there is no such file.
/// Unlike wall time, it does not grow while other processes hold the cores.
pub fn process_cpu() -> Option<Duration> {
    cpu_of("/proc/self")
}

/// [`process_cpu`] of another process (a child), by its id.
pub fn process_cpu_of(pid: u32) -> Option<Duration> {
    cpu_of(&format!("/proc/{pid}"))
}

fn cpu_of(proc_dir: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    for task in std::fs::read_dir(format!("{proc_dir}/task"))
        .ok()?
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The instruction count in callgrind's closing lines (`==PID== Collected : N`).
pub fn parse_callgrind_total(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

/// What a measuring child process reports on its last line of output:
/// `calls=N elapsed_ns=T cpu_ns=C peak_kib=M`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Timed calls.
    pub calls: u64,
    /// Their total time.
    pub elapsed: Duration,
    /// The measuring process's CPU time over the timed calls (zero where unknown).
    pub cpu: Duration,
    /// The child's peak resident memory in KiB (0 where unknown).
    pub peak_kib: u64,
}

impl Sample {
    /// The line the child prints.
    pub fn to_line(&self) -> String {
        format!(
            "calls={} elapsed_ns={} cpu_ns={} peak_kib={}",
            self.calls,
            self.elapsed.as_nanos(),
            self.cpu.as_nanos(),
            self.peak_kib
        )
    }

    /// Reads a line printed by [`Sample::to_line`].
    pub fn parse(line: &str) -> Option<Sample> {
        let mut calls = None;
        let mut elapsed = None;
        let mut cpu = None;
        let mut peak = None;
        for part in line.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            match k {
                "calls" => calls = v.parse().ok(),
                "elapsed_ns" => elapsed = v.parse::<u64>().ok().map(Duration::from_nanos),
                "cpu_ns" => cpu = v.parse::<u64>().ok().map(Duration::from_nanos),
                "peak_kib" => peak = v.parse().ok(),
                _ => return None,
            }
        }
        Some(Sample {
            calls: calls?,
            elapsed: elapsed?,
            cpu: cpu?,
            peak_kib: peak?,
        })
    }

    /// Microseconds per call.
    pub fn micros_per_call(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }

    /// Microseconds of the process's CPU time per call.
    pub fn cpu_micros_per_call(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }

    /// Calls per second.
    pub fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `f` in batches until `min_time` has passed (and at least once), and returns the
/// time of one run, averaged over the batch.
pub fn time_per_iter<R>(min_time: Duration, mut f: impl FnMut() -> R) -> Duration {
    let mut iters: u64 = 0;
    let start = Instant::now();
    loop {
        std::hint::black_box(f());
        iters += 1;
        let elapsed = start.elapsed();
        if elapsed >= min_time {
            return elapsed / u32::try_from(iters).unwrap_or(u32::MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn sample_line_round_trips() {
        let s = Sample {
            calls: 10_000,
            elapsed: Duration::from_nanos(1_234_567_890),
            cpu: Duration::from_nanos(2_000_000_000),
            peak_kib: 20_480,
        };
        assert_eq!(Sample::parse(&s.to_line()), Some(s));
        assert_eq!(Sample::parse("calls=1 elapsed_ns=x peak_kib=1"), None);
        assert_eq!(Sample::parse("calls=1 other=2"), None);
        assert!((s.per_second() - 8100.0).abs() < 1.0);
        assert!((s.cpu_micros_per_call() - 200.0).abs() < 1e-9);
    }

    #[test]
    fn vm_hwm_is_read_from_a_status_text() {
        let text = "Name:\tx\nVmPeak:\t  99 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(text), Some(12345));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn callgrind_total_is_read() {
        let text = "==31708== Events    : Ir\n==31708== Collected : 676074782\n==31708==\n";
        assert_eq!(parse_callgrind_total(text), Some(676_074_782));
        assert_eq!(parse_callgrind_total("==1== nothing"), None);
    }
}
