//! The workloads. Each file defines one [`Workload`]: its figures ([`Metric`]s), the
//! Rust systems that implement it and the BEAM module (`bench/erlang/tb_NAME.erl`).
//!
//! To add a workload: write `workloads/NAME.rs` with `pub const WORKLOAD: Workload`,
//! add `mod NAME;` and `&NAME::WORKLOAD` to [`ALL`] below, and (for the BEAM) write
//! `erlang/tb_NAME.erl` exporting `main(Quick :: boolean())` that prints the same
//! `KEY VALUE UNIT` lines (list in `elixir_libs` any Elixir library it calls, such as
//! GenStage). Every implementation must check its own result and panic /
//! crash if it is wrong, so that a broken implementation cannot report a figure.
//! A system missing from `rust` (or `beam: false`) is shown as "n/a".

mod call;
mod dist;
mod etf;
mod fanin;
mod gen_stage;
mod pingpong;
mod restart;
mod ring;
mod skynet;
mod spawn;

use crate::system::System;

/// Every workload, in table order. One line per workload.
pub static ALL: &[&Workload] = &[
    &spawn::WORKLOAD,
    &ring::WORKLOAD,
    &pingpong::WORKLOAD,
    &call::WORKLOAD,
    &fanin::WORKLOAD,
    &skynet::WORKLOAD,
    &gen_stage::WORKLOAD,
    &restart::WORKLOAD,
    &etf::WORKLOAD,
    &dist::WORKLOAD,
];

/// Looks a workload up by name.
pub fn find(name: &str) -> Option<&'static Workload> {
    ALL.iter().copied().find(|w| w.name == name)
}

/// What a worker is asked to do.
pub struct Params {
    /// Worker threads (tokio `worker_threads`, BEAM `+S`).
    pub threads: usize,
    /// Smaller sizes for the smoke test.
    pub quick: bool,
}

impl Params {
    /// `full` normally, `quick` under `--quick`.
    pub fn size<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

/// Figures a worker reports: `(metric key, value)`.
pub type Figures = Vec<(&'static str, f64)>;

/// One Rust implementation of a workload.
pub type RunFn = fn(&Params) -> Figures;

/// One reported figure. Every metric is a cost (lower is better), so a ratio
/// peer ÷ Tether above 1 means Tether is ahead.
pub struct Metric {
    /// Key on the worker's output lines, e.g. `ns_per_hop`.
    pub key: &'static str,
    /// Row label in the table.
    pub label: &'static str,
    /// Unit.
    pub unit: &'static str,
}

/// A workload and its implementations.
pub struct Workload {
    /// Command-line name, e.g. `ring`.
    pub name: &'static str,
    /// One-line description with the sizes.
    pub title: &'static str,
    /// The figures it reports.
    pub metrics: &'static [Metric],
    /// Rust implementations; a system not listed is "n/a".
    pub rust: &'static [(System, RunFn)],
    /// Whether `bench/erlang/tb_NAME.erl` exists.
    pub beam: bool,
    /// Elixir sources the BEAM side needs (folders, relative to the repository's
    /// root), compiled with `elixirc` next to the Erlang modules; its `erl` then also
    /// gets Elixir's own libraries on the code path.
    pub elixir_libs: &'static [&'static str],
    /// Why some systems are "n/a" (shown under the table).
    pub na_note: &'static str,
}

impl Workload {
    /// The Rust implementation for `system`, if any.
    pub fn rust_impl(&self, system: System) -> Option<RunFn> {
        self.rust
            .iter()
            .find(|(s, _)| *s == system)
            .map(|(_, f)| *f)
    }

    /// Whether `system` can run this workload.
    pub fn supports(&self, system: System) -> bool {
        if system == System::Beam {
            self.beam
        } else {
            self.rust_impl(system).is_some()
        }
    }

    /// The metric with key `key`.
    pub fn metric(&self, key: &str) -> Option<&'static Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }
}
