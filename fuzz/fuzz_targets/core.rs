//! libFuzzer target: see [`rescind_fuzz::core`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rescind_fuzz::core(data));
