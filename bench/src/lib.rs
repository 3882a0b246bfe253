//! Benchmarks of the rescind SDK, each side by side with a baseline measured in the same run:
//! bare `reqwest` for the end-to-end figures, `serde_json::Value` for decoding.
//!
//! Run them with `cargo xtask bench` (the whole report, release build) or
//! `cargo xtask bench --smoke` (a few calls of each, to check that they run; what CI does).
//! BENCHMARKS.md at the root of the repository has the figures, the machine and the method.
//!
//! - [`server`]: the minimal local server the end-to-end figures talk to;
//! - [`workload`]: the same cancels made through rescind and with bare reqwest;
//! - [`bulk`]: the bulk runner on many rows against the simulator, journal and all;
//! - [`decode`]: the decode figures;
//! - [`fixtures`]: the bodies, built from the providers' documented examples;
//! - [`measure`]: timing, medians and peak memory.

#![forbid(unsafe_code)]

pub mod bulk;
pub mod decode;
pub mod fixtures;
pub mod measure;
pub mod server;
pub mod workload;
