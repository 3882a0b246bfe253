//! libFuzzer target: see [`rescind_fuzz::di`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rescind_fuzz::di(data));
