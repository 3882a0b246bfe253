//! libFuzzer target: see [`rescind_fuzz::arta`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rescind_fuzz::arta(data));
