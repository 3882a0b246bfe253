//! The decode figures with divan's statistics: `cargo bench -p rescind-bench --bench decode`.
//! The same cases as `rescind_bench::decode` (which `cargo xtask bench` summarises).

#![forbid(unsafe_code)]

use divan::Bencher;
use divan::counter::BytesCount;
use rescind_bench::decode::{self, Case};

fn main() {
    divan::main();
}

fn case(i: usize) -> Case {
    decode::cases().swap_remove(i)
}

const CASES: [usize; 2] = [0, 1];

/// The provider crate's response reader (what a call pays).
#[divan::bench(args = CASES)]
fn rescind_reader(bencher: Bencher, i: usize) {
    let c = case(i);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| (c.sdk)(divan::black_box(&c.response)));
}

/// `serde_json::from_slice` into the typed model.
#[divan::bench(args = CASES)]
fn typed(bencher: Bencher, i: usize) {
    let c = case(i);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| (c.typed)(divan::black_box(&c.response.body)));
}

/// `serde_json::from_slice` into a `serde_json::Value` (the baseline).
#[divan::bench(args = CASES)]
fn value(bencher: Bencher, i: usize) {
    let c = case(i);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| decode::value(divan::black_box(&c.response.body)));
}
