//! libFuzzer target: see [`rescind_fuzz::skippay`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rescind_fuzz::skippay(data));
