//! ETF encode/decode: placeholder row, to be filled in by the tether-term work
//! (a Tether implementation, `erlang/tb_etf.erl`, and the Rust peers' serde codecs).

use super::{Metric, Workload};

/// The ETF workload (no implementations yet: every column "n/a").
pub const WORKLOAD: Workload = Workload {
    name: "etf",
    title: "ETF encode/decode (to be added)",
    metrics: &[Metric {
        key: "ns_per_roundtrip",
        label: "ETF encode+decode",
        unit: "ns",
    }],
    rust: &[],
    beam: false,
    na_note: "not implemented yet (added with the term codec work)",
};
