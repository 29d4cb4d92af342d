//! Shared pieces of the benchmark tools (see `BENCHMARKS.md` and `benches/run`).
