//! The decode figures with divan's statistics: `cargo bench -p rescind-bench --bench decode`.
//! The same cases as `rescind_bench::decode` (which `cargo xtask bench` summarises).

#![forbid(unsafe_code)]

use divan::Bencher;
use divan::counter::BytesCount;
use rescind_bench::decode::{self, Case};

fn main() {
    divan::main();
}

/// The cases of `decode::cases()`, in its order.
const CASES: [&str; 2] = ["skippay_order_200_items", "arta_session_50_objects"];

fn case(name: &str) -> Case {
    let i = CASES.iter().position(|c| *c == name).unwrap_or(0);
    decode::cases().swap_remove(i)
}

/// The provider crate's response reader (what a call pays).
#[divan::bench(args = CASES)]
fn rescind_reader(bencher: Bencher, name: &str) {
    let c = case(name);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| (c.sdk)(divan::black_box(&c.response)));
}

/// `serde_json::from_slice` into the typed model.
#[divan::bench(args = CASES)]
fn typed(bencher: Bencher, name: &str) {
    let c = case(name);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| (c.typed)(divan::black_box(&c.response.body)));
}

/// `serde_json::from_slice` into a `serde_json::Value` (the baseline).
#[divan::bench(args = CASES)]
fn value(bencher: Bencher, name: &str) {
    let c = case(name);
    bencher
        .counter(BytesCount::new(c.response.body.len()))
        .bench(|| decode::value(divan::black_box(&c.response.body)));
}
