//! Where the observer's data comes from: the one file that knows the runtime's
//! introspection API ([`crate::introspect`], [`crate::process_info`],
//! [`crate::metrics`]). Everything else in the observer works on the views of
//! [`super::view`].
//!
//! Functions here run on the runtime's threads (the HTTP tasks are tokio tasks on its
//! workers). The ones that need a calling process (supervisor and `sys` calls) run in
//! a short-lived helper process ([`in_process`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tether_term::Pid;

use super::view::{
    ConnectionView, MonitorView, ProcessDetail, ProcessPage, ProcessQuery, ProcessRow, SortKey,
    SystemView, TreeView,
};
use crate::ExitReason;
use crate::introspect;
use crate::otp::supervisor::{ChildPid, ChildType, TreeNode};
use crate::process::{InitialCall, Monitored, Status};

/// How long the process page waits for a GenServer's state.
const STATE_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a walk of the supervision trees may take.
const TREE_TIMEOUT: Duration = Duration::from_secs(5);

/// The system panel's figures now.
pub(crate) fn system() -> SystemView {
    let s = introspect::system();
    let counter = |v: u64| s.metrics_enabled.then_some(v);
    SystemView {
        node: s.node.to_string(),
        uptime_secs: s.uptime.as_secs(),
        worker_threads: s.worker_threads,
        process_count: s.process_count,
        max_message_queue_len: s.max_message_queue_len,
        memory_rss: s.memory.total,
        memory_processes: s.memory.processes,
        run_queue: s.run_queue,
        spawns_total: counter(s.counters.spawns),
        exits_total: counter(s.counters.exits),
        messages_sent_total: counter(s.counters.messages_sent),
        restarts_total: counter(s.counters.supervisor_restarts),
    }
}

/// One page of the process table, sorted, searched and paged by the runtime.
pub(crate) fn processes(q: &ProcessQuery) -> ProcessPage {
    let page = introspect::processes(&introspect::ProcessQuery {
        sort: match q.sort {
            SortKey::Pid => introspect::SortKey::Pid,
            SortKey::Name => introspect::SortKey::Name,
            SortKey::Reductions => introspect::SortKey::Reductions,
            SortKey::Memory => introspect::SortKey::Memory,
            SortKey::MessageQueueLen => introspect::SortKey::MessageQueueLen,
        },
        descending: q.descending,
        offset: q.offset,
        limit: q.limit,
        search: q.search.clone(),
    });
    ProcessPage {
        total: page.total,
        offset: q.offset,
        rows: page
            .rows
            .into_iter()
            .map(|r| ProcessRow {
                pid: r.pid.to_string(),
                registered_name: r.registered_name.map(|a| a.to_string()),
                initial_call: Some(r.initial_call.to_string()),
                reductions: r.reductions,
                memory: r.memory as u64,
                message_queue_len: r.message_queue_len as u64,
                status: status_name(r.status),
            })
            .collect(),
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Running => "running",
        Status::Runnable => "runnable",
        Status::Waiting => "waiting",
        Status::Exiting => "exiting",
    }
}

/// The process page of `pid`, or `None` if it is not alive.
pub(crate) async fn process(pid: Pid) -> Option<ProcessDetail> {
    let i = crate::process_info(pid)?;
    let state = if is_gen_server(&i.initial_call) {
        gen_server_state(pid).await
    } else {
        Err("not a GenServer".to_string())
    };
    Some(ProcessDetail {
        row: ProcessRow {
            pid: i.pid.to_string(),
            registered_name: i.registered_name.as_ref().map(|a| a.to_string()),
            initial_call: Some(i.initial_call.to_string()),
            reductions: i.messages_received,
            memory: i.memory as u64,
            message_queue_len: i.message_queue_len as u64,
            status: status_name(i.status),
        },
        links: i.links.iter().map(Pid::to_string).collect(),
        monitors: i
            .monitors
            .iter()
            .map(|(r, m)| MonitorView {
                reference: r.to_string(),
                target: match m {
                    Monitored::Pid(p) => p.to_string(),
                    Monitored::Name(name, node) => format!("{{{name}, {node}}}"),
                },
            })
            .collect(),
        monitored_by: i.monitored_by.iter().map(Pid::to_string).collect(),
        trap_exit: i.trap_exit,
        state: state.as_ref().ok().cloned(),
        state_note: state.err(),
    })
}

/// Whether a process started as `call` is a GenServer, whose state may be asked for: a
/// GenServer reports `{TypeName, init, 1}`, and so do the supervisors, with the
/// modules `supervisor` and `dynamic_supervisor`, which do not answer `sys`
/// requests. A `sys` request sent to any other process would stay in its mailbox for
/// good, so none is sent.
fn is_gen_server(call: &InitialCall) -> bool {
    call.function == "init"
        && call.arity == 1
        && !matches!(call.module, "supervisor" | "dynamic_supervisor")
}

/// A GenServer's state (`sys:get_state/1`), waiting at most [`STATE_TIMEOUT`].
async fn gen_server_state(pid: Pid) -> Result<String, String> {
    in_process(async move {
        match tokio::time::timeout(STATE_TIMEOUT, crate::gen_server::sys::get_state(pid)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {STATE_TIMEOUT:?}")),
        }
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()))
}

/// Kills `pid` (`exit(Pid, kill)`); `false` if it was not alive.
pub(crate) fn kill(pid: Pid) -> bool {
    if crate::process_info(pid).is_none() {
        return false;
    }
    crate::exit(pid, ExitReason::Kill);
    true
}

/// The supervision trees: the kernel's and the application's.
pub(crate) async fn supervision_trees() -> Vec<TreeView> {
    let walk = in_process(async {
        tokio::time::timeout(TREE_TIMEOUT, introspect::supervision_trees()).await
    });
    match walk.await {
        Ok(Ok(trees)) => trees.iter().map(tree).collect(),
        _ => Vec::new(),
    }
}

fn tree(t: &TreeNode) -> TreeView {
    TreeView {
        id: t.id.clone(),
        pid: match t.pid {
            ChildPid::Pid(p) => Some(p.to_string()),
            _ => None,
        },
        name: t.registered_name.as_ref().map(|a| a.to_string()),
        supervisor: t.child_type == ChildType::Supervisor,
        restarts: t.restarts,
        state: match t.pid {
            ChildPid::Pid(_) => "running",
            ChildPid::Restarting => "restarting",
            ChildPid::Undefined => "undefined",
        },
        children: t.children.iter().map(tree).collect(),
    }
}

/// The node's connections.
pub(crate) fn connections() -> Vec<ConnectionView> {
    introspect::connections()
        .into_iter()
        .map(|c| ConnectionView {
            peer: c.peer.to_string(),
            flags: c.flags.names().join(" "),
            hidden: c.hidden,
            tls: c.tls,
            since: c
                .since
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            messages_in: c.messages_in,
            messages_out: c.messages_out,
            bytes_in: c.bytes_in,
            bytes_out: c.bytes_out,
        })
        .collect()
}

/// The `/metrics` text.
pub(crate) fn metrics() -> String {
    crate::metrics::render_prometheus()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Runs `fut` in a short-lived Tether process (for the calls that need a caller), and
/// returns its result, or why the helper ended without one.
pub(crate) async fn in_process<T, F>(fut: F) -> Result<T, ExitReason>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    crate::spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.await
        .map_err(|_| ExitReason::from("the observer's helper process ended without an answer"))
}
