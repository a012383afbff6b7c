//! Where the observer's data comes from: the one file that knows the runtime's
//! introspection API. Everything else in the observer works on the views defined in
//! [`super::view`].
//!
//! Functions here run on the runtime's threads (the HTTP tasks are tokio tasks on its
//! workers). The ones that need a calling process (supervisor and `sys` calls) run in
//! a short-lived helper process ([`in_process`]).

use std::time::{Duration, Instant};

use tether_term::{Node, Pid};

use super::view::{
    ConnectionView, MonitorView, ProcessDetail, ProcessPage, ProcessQuery, ProcessRow, SortKey,
    SystemView, TreeView,
};
use crate::ExitReason;
use crate::otp::supervisor::{ChildPid, ChildType, TreeNode, supervision_tree};
use crate::process::{ProcessInfo, Status};

/// How long the process page waits for a GenServer's state.
const STATE_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a walk of the supervision trees may take.
const TREE_TIMEOUT: Duration = Duration::from_secs(5);

/// When the observer's source was first asked (the stand-in's uptime origin).
fn started() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The system panel's figures now.
pub(crate) fn system() -> SystemView {
    let metrics = tokio::runtime::Handle::current().metrics();
    let infos = crate::all_process_info();
    SystemView {
        node: Node::local().name().to_string(),
        uptime_secs: started().elapsed().as_secs(),
        worker_threads: metrics.num_workers(),
        process_count: infos.len(),
        memory_rss: rss_bytes(),
        memory_processes: infos.iter().map(|i| i.memory as u64).sum(),
        run_queue: metrics.global_queue_depth(),
        spawns_total: None,
        messages_sent_total: None,
        messages_received_total: infos.iter().map(|i| i.messages_received).sum(),
        restarts_total: None,
    }
}

/// The OS process's resident memory, from `/proc/self/statm` (0 where there is none).
fn rss_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// One page of the process table.
pub(crate) fn processes(q: &ProcessQuery) -> ProcessPage {
    let mut rows: Vec<ProcessRow> = crate::all_process_info()
        .into_iter()
        .map(|i| row(&i))
        .filter(|r| q.matches(r))
        .collect();
    let total = rows.len();
    let key = |r: &ProcessRow| match q.sort {
        SortKey::Reductions => r.reductions,
        SortKey::Memory => r.memory,
        SortKey::MessageQueueLen => r.message_queue_len,
        SortKey::Pid => 0,
    };
    rows.sort_by(|a, b| {
        let o = key(a).cmp(&key(b)).then(a.sort_pid.cmp(&b.sort_pid));
        if q.descending { o.reverse() } else { o }
    });
    let rows = rows.into_iter().skip(q.offset).take(q.limit).collect();
    ProcessPage {
        total,
        offset: q.offset,
        rows,
    }
}

fn row(i: &ProcessInfo) -> ProcessRow {
    ProcessRow {
        pid: i.pid.to_string(),
        sort_pid: (i.pid.id, i.pid.serial),
        registered_name: i.registered_name.as_ref().map(|a| a.to_string()),
        initial_call: None,
        reductions: i.messages_received,
        memory: i.memory as u64,
        message_queue_len: i.message_queue_len as u64,
        status: status_name(i.pid, i.status),
    }
}

fn status_name(_pid: Pid, s: Status) -> &'static str {
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
    let row = row(&i);
    let state = if !is_gen_server(&row) {
        Err("not a GenServer".to_string())
    } else {
        gen_server_state(pid).await
    };
    Some(ProcessDetail {
        row,
        links: i.links.iter().map(Pid::to_string).collect(),
        monitors: i
            .monitors
            .iter()
            .map(|(r, m)| MonitorView {
                reference: r.to_string(),
                target: format!("{m:?}"),
            })
            .collect(),
        monitored_by: i.monitored_by.iter().map(Pid::to_string).collect(),
        trap_exit: i.trap_exit,
        state: state.as_ref().ok().cloned(),
        state_note: state.err(),
    })
}

/// Whether `row` is a GenServer, whose state may be asked for: a `sys` request sent to
/// any other process would stay in its mailbox for good.
fn is_gen_server(row: &ProcessRow) -> bool {
    row.initial_call
        .as_deref()
        .is_some_and(|c| c.contains("gen_server"))
}

/// A GenServer's state (`sys:get_state/1`), waiting at most [`STATE_TIMEOUT`].
async fn gen_server_state(pid: Pid) -> Result<String, String> {
    in_process(async move {
        match tokio::time::timeout(STATE_TIMEOUT, crate::gen_server::sys::get_state(pid)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no answer within 500 ms".into()),
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

/// The supervision trees: the kernel's and every root supervisor's.
pub(crate) async fn supervision_trees() -> Vec<TreeView> {
    let walk = in_process(async {
        let mut roots = crate::otp::supervisor::roots::roots();
        roots.reverse(); // oldest first
        if let Some(k) = crate::whereis(crate::kernel::KERNEL_SUP) {
            roots.retain(|p| *p != k);
            roots.insert(0, k);
        }
        let mut out = Vec::new();
        for root in roots {
            if let Ok(Ok(t)) = tokio::time::timeout(TREE_TIMEOUT, supervision_tree(root)).await {
                out.push(tree(&t));
            }
        }
        out
    });
    walk.await.unwrap_or_default()
}

fn tree(t: &TreeNode) -> TreeView {
    let pid = match t.pid {
        ChildPid::Pid(p) => Some(p),
        _ => None,
    };
    let name = pid
        .and_then(crate::process_info)
        .and_then(|i| i.registered_name)
        .map(|a| a.to_string());
    TreeView {
        id: t.id.clone(),
        pid: pid.map(|p| p.to_string()),
        name,
        supervisor: t.child_type == ChildType::Supervisor,
        restarts: None,
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
    let Some(node) = crate::dist::DistNode::get() else {
        return Vec::new();
    };
    node.0
        .table
        .conns()
        .into_iter()
        .map(|c| ConnectionView {
            peer: c.peer.to_string(),
            flags: c.flags.names().join(" "),
            hidden: c.hidden,
            tls: node.is_tls(),
            since: None,
            messages_in: None,
            messages_out: None,
            bytes_in: None,
            bytes_out: None,
        })
        .collect()
}

/// The `/metrics` text.
pub(crate) fn metrics() -> String {
    let s = system();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, v: u64| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
        ));
    };
    gauge(
        "tether_processes",
        "Live processes.",
        s.process_count as u64,
    );
    gauge(
        "tether_dist_connections",
        "Distribution connections.",
        connections().len() as u64,
    );
    out
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
        .map_err(|_| ExitReason::from("observer helper ended"))
}
