//! Looking inside a running node: what the observer, the metrics and BEAM tools see.
//!
//! Everything here reads the current thread's runtime without stopping it, the way
//! Erlang's `observer_backend` reads a node:
//!
//! | question | function | Erlang |
//! |---|---|---|
//! | the node as a whole | [`system`] | `system_info/1`, `statistics/1`, `memory/0` |
//! | one page of the process table | [`processes`] | `processes/0` + `process_info/2` |
//! | one process | [`process_info`](crate::process_info) | `process_info/1` |
//! | the supervision trees | [`supervision_trees`] | `supervisor:which_children/1`, walked |
//! | the connections to other nodes | [`connections`] | `net_kernel:nodes_info/0` |
//!
//! The activity counters ([`Counters`]: spawns, exits, messages, restarts) are kept by
//! the runtime on the hot paths at the cost of a per-thread store each (see
//! [`Builder::metrics`](crate::Builder::metrics)). The process table is read one
//! process at a time, each under its own lock for a moment, so a page of a table of a
//! million processes costs a pass over the million but never stops any of them.

mod connections;
mod processes;
mod tree;

pub use connections::{ConnectionInfo, connections};
pub use processes::{ProcessPage, ProcessQuery, ProcessRow, SortKey, processes};
pub use tree::supervision_trees;

use std::time::Duration;

use tether_term::Atom;

use crate::runtime::context;

/// Cumulative activity counts since the runtime started.
///
/// Zero when the runtime was built with [`Builder::metrics(false)`](crate::Builder::metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Processes spawned.
    pub spawns: u64,
    /// Processes that ended, for any reason.
    pub exits: u64,
    /// Processes that ended with a reason other than `normal` or `shutdown`.
    pub abnormal_exits: u64,
    /// Messages sent, to local and remote processes (whether or not they arrived).
    pub messages_sent: u64,
    /// Children restarted by supervisors (static and dynamic).
    pub supervisor_restarts: u64,
}

/// Memory, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// The OS process's resident set (`/proc/self/statm`; 0 where unavailable). Shared
    /// by every runtime in the OS process.
    pub total: u64,
    /// Tether's estimate of what its processes hold (the sum of
    /// [`ProcessInfo::memory`](crate::ProcessInfo::memory)); the user futures' own
    /// data is not seen.
    pub processes: u64,
}

/// The node as a whole (see [`system`]).
#[derive(Clone, Debug)]
pub struct SystemInfo {
    /// This node's name (`nonode@nohost` until it is distributed).
    pub node: Atom,
    /// Time since the runtime was built.
    pub uptime: Duration,
    /// Tokio worker threads (Erlang's schedulers).
    pub worker_threads: usize,
    /// Live processes.
    pub process_count: usize,
    /// The longest message queue of any process (0 with none).
    pub max_message_queue_len: usize,
    /// Memory.
    pub memory: Memory,
    /// Tasks waiting in the runtime's global queue (Erlang's `run_queue`; tasks in
    /// the workers' local queues are not visible without tokio's unstable metrics).
    pub run_queue: usize,
    /// Cumulative counts.
    pub counters: Counters,
    /// Whether the counters are kept (see [`Counters`]).
    pub metrics_enabled: bool,
}

/// The node as a whole: name, uptime, threads, processes, memory and activity.
///
/// It walks the process table (for the memory estimate): O(processes).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     tether::spawn(async {});
///     let sys = tether::introspect::system();
///     assert!(sys.process_count >= 1);
///     assert!(sys.counters.spawns >= 1);
///     assert!(sys.worker_threads >= 1);
/// });
/// ```
pub fn system() -> SystemInfo {
    let (mut count, mut processes, mut longest) = (0usize, 0u64, 0usize);
    crate::process::info::for_each_summary(|s| {
        count += 1;
        processes += s.memory as u64;
        longest = longest.max(s.message_queue_len);
    });
    let Quick {
        uptime,
        metrics_enabled,
        counters,
        worker_threads,
        run_queue,
    } = quick();
    SystemInfo {
        node: tether_term::Node::local().name(),
        uptime,
        worker_threads,
        process_count: count,
        max_message_queue_len: longest,
        memory: Memory {
            total: resident_bytes(),
            processes,
        },
        run_queue,
        counters,
        metrics_enabled,
    }
}

/// The figures of [`SystemInfo`] that need no walk of the process table (for
/// callers that want only these, such as the rpc introspection).
pub(crate) struct Quick {
    pub uptime: Duration,
    pub metrics_enabled: bool,
    pub counters: Counters,
    pub worker_threads: usize,
    pub run_queue: usize,
}

pub(crate) fn quick() -> Quick {
    let (uptime, metrics_enabled, t) = context::with(|rt| {
        (
            rt.stats.started().elapsed(),
            rt.stats.enabled(),
            rt.stats.totals(),
        )
    });
    let (worker_threads, run_queue) = match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            let m = h.metrics();
            (m.num_workers(), m.global_queue_depth())
        }
        Err(_) => (0, 0),
    };
    Quick {
        uptime,
        metrics_enabled,
        counters: Counters {
            spawns: t.spawns,
            exits: t.exits,
            abnormal_exits: t.abnormal_exits,
            messages_sent: t.messages,
            supervisor_restarts: t.restarts,
        },
        worker_threads,
        run_queue,
    }
}

/// The OS process's resident set size, from `/proc/self/statm` (0 if unreadable).
pub(crate) fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
