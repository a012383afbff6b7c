//! Introspection: `process_info` and the list of processes, for tools and the observer.

use std::collections::VecDeque;
use std::mem::size_of;

use tether_term::{Atom, Pid, Reference};

use super::core::{ProcessShared, Status};
use super::table;
use super::{Message, Monitored};

/// A snapshot of one process (Erlang's `process_info/1`).
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    /// The process.
    pub pid: Pid,
    /// Whether it is running, runnable, waiting or exiting.
    pub status: Status,
    /// Messages queued and not yet received (signals not yet handled included).
    pub message_queue_len: usize,
    /// Linked processes.
    pub links: Vec<Pid>,
    /// Monitors it holds: reference and target.
    pub monitors: Vec<(Reference, Monitored)>,
    /// Processes monitoring it.
    pub monitored_by: Vec<Pid>,
    /// Its registered name.
    pub registered_name: Option<Atom>,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// Whether it runs on the blocking pool.
    pub dirty: bool,
    /// Estimated bytes held by the process (runtime structures and queues; not the
    /// heap data its future owns).
    pub memory: usize,
    /// Messages received into its mailbox so far.
    pub messages_received: u64,
}

/// A snapshot of process `pid`, or `None` if it is not a live local process.
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     tether::send(tether::self_pid(), 1u8).unwrap();
///     let info = tether::process_info(tether::self_pid()).unwrap();
///     assert_eq!(info.message_queue_len, 1);
///     assert_eq!(info.registered_name, None);
/// });
/// ```
pub fn process_info(pid: Pid) -> Option<ProcessInfo> {
    let p = table::get(pid)?;
    Some(snapshot(&p))
}

fn snapshot(p: &ProcessShared) -> ProcessInfo {
    let inbox_len = p.inbox_len();
    let st = p.state();
    let (links, monitors, monitored_by, rel_bytes) = match &st.rel {
        Some(rel) => (
            rel.links.iter().copied().collect(),
            rel.monitors()
                .map(|(r, m)| (*r, m.object.clone()))
                .collect(),
            rel.monitored_by.values().map(|(p, _)| *p).collect(),
            (rel.links.capacity() * size_of::<Pid>())
                + (rel.refs.capacity() + rel.monitored_by.capacity()) * 64
                + 256,
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), 0),
    };
    let memory = size_of::<ProcessShared>()
        + TASK_OVERHEAD
        + st.mailbox.capacity() * size_of::<Message>()
        + (st.mailbox.len() + inbox_len) * 32
        + rel_bytes
        + size_of::<VecDeque<Message>>();
    ProcessInfo {
        pid: p.pid,
        status: p.status(),
        message_queue_len: st.mailbox.len() + inbox_len,
        links,
        monitors,
        monitored_by,
        registered_name: st.name().cloned(),
        trap_exit: st.trap_exit,
        dirty: p.dirty,
        memory,
        messages_received: st.received,
    }
}

/// Bytes of the tokio task cell that carries an idle process (measured with a counting
/// allocator: tokio aligns task cells to 128 bytes, and an idle process's fits in two).
const TASK_OVERHEAD: usize = 256;

/// Every live local process (Erlang's `processes/0`).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     assert!(tether::processes().contains(&tether::self_pid()));
/// });
/// ```
pub fn processes() -> Vec<Pid> {
    table::all().iter().map(|p| p.pid).collect()
}

/// The number of live local processes.
pub fn process_count() -> usize {
    table::len()
}

/// Every live local process with whether it traps exits, read without snapshots
/// (for stopping a runtime with a million processes).
pub(crate) fn processes_trapping() -> Vec<(Pid, bool)> {
    table::all()
        .iter()
        .map(|p| (p.pid, p.traps_exits()))
        .collect()
}

/// Snapshots of every live local process.
pub fn all_process_info() -> Vec<ProcessInfo> {
    table::all().iter().map(|p| snapshot(p)).collect()
}
