//! `process_cpu` sums the CPU time of the live threads: in its own test binary, so that no
//! other test's thread ends between the two readings and takes its time out of the sum.

use std::time::{Duration, Instant};

use rescind_bench::measure::{process_cpu, process_cpu_of};

#[test]
fn process_cpu_grows_with_work() {
    let before = process_cpu().expect("Linux has /proc/self/task/*/schedstat");
    // Work until the thread has had 10 ms of CPU by its own clock, or 20 s have passed: on a
    // loaded machine 30 ms of wall time can be far less CPU, so the loop is bounded by wall
    // time only as a guard; a `process_cpu` that does not grow fails at the guard.
    let mut x = 0u64;
    let start = Instant::now();
    let mut after = process_cpu().unwrap();
    while after < before + Duration::from_millis(10) && start.elapsed() < Duration::from_secs(20) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        after = process_cpu().unwrap();
    }
    assert!(
        after >= before + Duration::from_millis(10),
        "{before:?} -> {after:?}"
    );
    assert!(process_cpu_of(std::process::id()).unwrap() >= after);
}
