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
    Some(if v.len() % 2 == 0 {
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

/// What a measuring child process reports on its last line of output:
/// `calls=N elapsed_ns=T peak_kib=M`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Timed calls.
    pub calls: u64,
    /// Their total time.
    pub elapsed: Duration,
    /// The child's peak resident memory in KiB (0 where unknown).
    pub peak_kib: u64,
}

impl Sample {
    /// The line the child prints.
    pub fn to_line(&self) -> String {
        format!(
            "calls={} elapsed_ns={} peak_kib={}",
            self.calls,
            self.elapsed.as_nanos(),
            self.peak_kib
        )
    }

    /// Reads a line printed by [`Sample::to_line`].
    pub fn parse(line: &str) -> Option<Sample> {
        let mut calls = None;
        let mut elapsed = None;
        let mut peak = None;
        for part in line.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            match k {
                "calls" => calls = v.parse().ok(),
                "elapsed_ns" => elapsed = v.parse::<u64>().ok().map(Duration::from_nanos),
                "peak_kib" => peak = v.parse().ok(),
                _ => return None,
            }
        }
        Some(Sample {
            calls: calls?,
            elapsed: elapsed?,
            peak_kib: peak?,
        })
    }

    /// Microseconds per call.
    pub fn micros_per_call(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.calls.max(1) as f64
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
            peak_kib: 20_480,
        };
        assert_eq!(Sample::parse(&s.to_line()), Some(s));
        assert_eq!(Sample::parse("calls=1 elapsed_ns=x peak_kib=1"), None);
        assert_eq!(Sample::parse("calls=1 other=2"), None);
        assert!((s.per_second() - 8100.0).abs() < 1.0);
    }

    #[test]
    fn vm_hwm_is_read_from_a_status_text() {
        let text = "Name:\tx\nVmPeak:\t  99 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(text), Some(12345));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }
}
