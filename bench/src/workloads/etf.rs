//! ETF encode/decode: the figures come from `bench/term` (tether-term against the
//! `eetf` crate and the BEAM on the same terms), a workspace of its own so that `eetf`
//! stays out of the main build; this row points there.

use super::{Metric, Workload};

/// The ETF workload (no implementations yet: every column "n/a").
pub const WORKLOAD: Workload = Workload {
    name: "etf",
    title: "ETF encode/decode (see bench/term)",
    metrics: &[Metric {
        key: "ns_per_roundtrip",
        label: "ETF encode+decode",
        unit: "ns",
    }],
    rust: &[],
    beam: false,
    elixir_libs: &[],
    na_note: "measured by bench/term (its own workspace, to keep eetf out of the main build): tether-term against the eetf crate and the BEAM's term_to_binary/binary_to_term on the same terms; the actor frameworks have no ETF codec",
};
