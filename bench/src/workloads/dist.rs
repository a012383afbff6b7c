//! Two nodes on loopback: placeholder row, to be filled in by the distribution work
//! (Tether↔Tether and BEAM↔BEAM round trips over Erlang distribution).

use super::{Metric, Workload};

/// The two-node workload (no implementations yet: every column "n/a").
pub const WORKLOAD: Workload = Workload {
    name: "dist",
    title: "two nodes on loopback, remote round trip (to be added)",
    metrics: &[Metric {
        key: "ns_per_roundtrip",
        label: "2 nodes, remote round trip",
        unit: "ns",
    }],
    rust: &[],
    beam: false,
    na_note: "not implemented yet (added with the distribution work); the Rust frameworks have no Erlang-distribution peer",
};
