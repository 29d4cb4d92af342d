//! Shared pieces of the benchmark tools (see `BENCHMARKS.md` and `benches/run`).
//!
//! - [`raw`]: the raw axum baselines served by `rawserver` (rows 1 to 3 of the table).

pub mod raw;
