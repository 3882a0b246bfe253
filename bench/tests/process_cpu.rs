//! `process_cpu` sums the CPU time of the live threads: in its own test binary, so that no
//! other test's thread ends between the two readings and takes its time out of the sum.

use std::time::{Duration, Instant};

use rescind_bench::measure::{process_cpu, process_cpu_of};

#[test]
fn process_cpu_grows_with_work() {
    let before = process_cpu().expect("Linux has /proc/self/task/*/schedstat");
    let mut x = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(30) {
        x = std::hint::black_box(x.wrapping_add(1));
    }
    let after = process_cpu().unwrap();
    assert!(
        after >= before + Duration::from_millis(10),
        "{before:?} -> {after:?}"
    );
    assert!(process_cpu_of(std::process::id()).unwrap() >= after);
}
