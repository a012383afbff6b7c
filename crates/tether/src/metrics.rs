//! Prometheus metrics: the runtime's own, and the application's through the
//! [`metrics`](https://docs.rs/metrics) crate.
//!
//! [`render_prometheus`] writes the runtime's figures in Prometheus' text exposition
//! format (version 0.0.4), each sample labelled with the node's name so that several
//! nodes in one OS process, or one scrape config over a cluster, stay apart:
//!
//! | metric | type | what |
//! |---|---|---|
//! | `tether_processes` | gauge | live processes |
//! | `tether_max_message_queue_len` | gauge | the longest message queue |
//! | `tether_spawns_total` | counter | processes spawned |
//! | `tether_process_exits_total` | counter | processes ended |
//! | `tether_process_abnormal_exits_total` | counter | ... with a reason other than `normal` or `shutdown` |
//! | `tether_messages_sent_total` | counter | messages sent, local and remote |
//! | `tether_supervisor_restarts_total` | counter | children restarted by supervisors |
//! | `tether_memory_bytes{kind="total"\|"processes"}` | gauge | resident set; Tether's estimate for its processes |
//! | `tether_run_queue` | gauge | tasks in the runtime's global queue |
//! | `tether_worker_threads` | gauge | tokio worker threads |
//! | `tether_uptime_seconds` | gauge | since the runtime was built |
//! | `tether_dist_connections` | gauge | connections to other nodes |
//! | `tether_dist_messages_in_total{peer}`, `..._out_total{peer}` | counter | control messages per peer |
//! | `tether_dist_bytes_in_total{peer}`, `..._out_total{peer}` | counter | bytes per peer |
//! | `tether_dist_limit_hits_total{limit}` | counter | peers disconnected or refused for exceeding a limit, per limit (`frame_size`, `message_size`, `fragments_in_flight`, `depth`, `input_size`, `decompressed_size`, `node_table`, `pending_handshakes`, `connection_rate`; see SECURITY.md) |
//!
//! The counters come from [`introspect::system`] (kept on
//! the hot paths at the cost of a per-thread store; see
//! [`Builder::metrics`](crate::Builder::metrics)); the rest is read when scraped.
//!
//! With the cargo feature `metrics`, `install` makes a Prometheus recorder the
//! program's [`metrics`](https://docs.rs/metrics) recorder, so the application's own
//! `metrics::counter!`, `gauge!` and `histogram!` appear after the runtime's in
//! [`render_prometheus`] (and so on the observer's `/metrics`).

use std::fmt::Write as _;

use crate::introspect;

/// The runtime's metrics (and, after `install` of the `metrics` feature, the
/// application's) in Prometheus' text format. Call it from a process or a thread of the runtime.
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     tether::spawn(async {});
///     let text = tether::metrics::render_prometheus();
///     assert!(text.contains("# TYPE tether_spawns_total counter"));
///     assert!(text.contains("tether_processes{node=\"nonode@nohost\"}"));
/// });
/// ```
pub fn render_prometheus() -> String {
    let sys = introspect::system();
    let conns = introspect::connections();
    let mut out = String::with_capacity(4096);
    let node = escape(sys.node.as_str());
    let n = format!("node=\"{node}\"");
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    };
    let one = |v: f64| [(n.clone(), v)];
    let c = sys.counters;
    family(
        "tether_processes",
        "gauge",
        "Live processes.",
        &one(sys.process_count as f64),
    );
    family(
        "tether_max_message_queue_len",
        "gauge",
        "The longest message queue of any process.",
        &one(sys.max_message_queue_len as f64),
    );
    family(
        "tether_spawns_total",
        "counter",
        "Processes spawned.",
        &one(c.spawns as f64),
    );
    family(
        "tether_process_exits_total",
        "counter",
        "Processes that ended.",
        &one(c.exits as f64),
    );
    family(
        "tether_process_abnormal_exits_total",
        "counter",
        "Processes that ended with a reason other than normal or shutdown.",
        &one(c.abnormal_exits as f64),
    );
    family(
        "tether_messages_sent_total",
        "counter",
        "Messages sent to local and remote processes.",
        &one(c.messages_sent as f64),
    );
    family(
        "tether_supervisor_restarts_total",
        "counter",
        "Children restarted by supervisors.",
        &one(c.supervisor_restarts as f64),
    );
    family(
        "tether_memory_bytes",
        "gauge",
        "Resident set of the OS process (total) and Tether's estimate for its processes.",
        &[
            (format!("{n},kind=\"total\""), sys.memory.total as f64),
            (
                format!("{n},kind=\"processes\""),
                sys.memory.processes as f64,
            ),
        ],
    );
    family(
        "tether_run_queue",
        "gauge",
        "Tasks in the runtime's global queue.",
        &one(sys.run_queue as f64),
    );
    family(
        "tether_worker_threads",
        "gauge",
        "Worker threads.",
        &one(sys.worker_threads as f64),
    );
    family(
        "tether_uptime_seconds",
        "gauge",
        "Time since the runtime was built.",
        &one(sys.uptime.as_secs_f64()),
    );
    family(
        "tether_dist_connections",
        "gauge",
        "Connections to other nodes.",
        &one(conns.len() as f64),
    );
    let per_peer = |f: fn(&introspect::ConnectionInfo) -> u64| -> Vec<(String, f64)> {
        conns
            .iter()
            .map(|c| {
                (
                    format!("{n},peer=\"{}\"", escape(c.peer.as_str())),
                    f(c) as f64,
                )
            })
            .collect()
    };
    family(
        "tether_dist_messages_in_total",
        "counter",
        "Control messages received from a peer.",
        &per_peer(|c| c.messages_in),
    );
    family(
        "tether_dist_messages_out_total",
        "counter",
        "Control messages sent to a peer.",
        &per_peer(|c| c.messages_out),
    );
    family(
        "tether_dist_bytes_in_total",
        "counter",
        "Bytes received from a peer.",
        &per_peer(|c| c.bytes_in),
    );
    family(
        "tether_dist_bytes_out_total",
        "counter",
        "Bytes sent to a peer.",
        &per_peer(|c| c.bytes_out),
    );
    let hits = crate::dist::node::inner()
        .map(|node| node.limit_hits.snapshot())
        .unwrap_or_else(|| crate::dist::limits::LimitHits::default().snapshot());
    let hits: Vec<(String, f64)> = hits
        .into_iter()
        .map(|(limit, count)| (format!("{n},limit=\"{limit}\""), count as f64))
        .collect();
    family(
        "tether_dist_limit_hits_total",
        "counter",
        "Peers disconnected or refused for exceeding a distribution limit.",
        &hits,
    );
    #[cfg(feature = "metrics")]
    if let Some(handle) = recorder::HANDLE.get() {
        out.push_str(&handle.render());
    }
    out
}

/// A label value escaped as the text format wants (`\`, `"` and newlines).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(feature = "metrics")]
pub use recorder::{InstallError, install};

#[cfg(feature = "metrics")]
mod recorder {
    use std::sync::OnceLock;

    use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

    pub(super) static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

    /// Why [`install`] failed.
    #[derive(Debug)]
    pub struct InstallError(String);

    impl std::fmt::Display for InstallError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot install the Prometheus recorder: {}", self.0)
        }
    }

    impl std::error::Error for InstallError {}

    /// Makes a Prometheus recorder the program's `metrics` recorder, so that the
    /// application's `metrics::counter!`, `gauge!` and `histogram!` are rendered by
    /// [`render_prometheus`](super::render_prometheus) after the runtime's own.
    /// Idempotent; fails if the program installed another recorder first (then
    /// export the application's metrics with that one).
    ///
    /// ```
    /// tether::metrics::install().unwrap();
    /// metrics::counter!("orders_total").increment(3);
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let text = tether::metrics::render_prometheus();
    ///     assert!(text.contains("orders_total 3"));
    /// });
    /// ```
    pub fn install() -> Result<(), InstallError> {
        if HANDLE.get().is_some() {
            return Ok(());
        }
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).map_err(|e| InstallError(e.to_string()))?;
        let _ = HANDLE.set(handle);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
