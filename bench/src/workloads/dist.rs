//! Two nodes on loopback: the row that stands for the two-node section in the main
//! table. The measurements themselves (Tether↔Tether, Tether↔BEAM, BEAM↔BEAM over
//! Erlang distribution) are made by `crate::dist`, which `--all` and `dist` run after
//! the single-node workloads.

use super::{Metric, Workload};

/// The two-node workload's row (every column "n/a": see the two-node section).
pub const WORKLOAD: Workload = Workload {
    name: "dist",
    title: "two nodes on loopback (reported in its own section)",
    metrics: &[Metric {
        key: "ns_per_roundtrip",
        label: "2 nodes, remote round trip",
        unit: "ns",
    }],
    rust: &[],
    beam: false,
    elixir_libs: &[],
    na_note: "measured in the two-node section below (Tether and the BEAM only); the Rust frameworks have no Erlang-distribution peer",
};
