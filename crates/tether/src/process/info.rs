//! Introspection: `process_info` and the list of processes, for tools and the observer.

use std::collections::VecDeque;
use std::mem::size_of;

use tether_term::{Atom, Pid, Reference};

use super::core::{ProcessShared, State, Status};
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
    /// Messages received into its mailbox so far. Tether's stand-in for the BEAM's
    /// reductions (which count units of work): what the observer sorts "busy" by, and
    /// what `process_info(Pid, reductions)` answers over rpc.
    pub messages_received: u64,
    /// What the process was started to run (Erlang's `initial_call`).
    pub initial_call: InitialCall,
}

/// What a process was started to run, as Erlang's `{Module, Function, Arity}`.
///
/// The OTP behaviours set it: a [`GenServer`](crate::otp::gen_server::GenServer)
/// reports `{TypeName, init, 1}` with its Rust type name as the module (as a
/// `gen_server` reports its callback module through `proc_lib`), a supervisor
/// `{supervisor, init, 1}` and a DynamicSupervisor `{dynamic_supervisor, init, 1}`.
/// A process spawned from a plain future reports `{erlang, apply, 2}`, as the BEAM
/// does for `spawn(Fun)`.
///
/// ```
/// use tether::{InitialCall, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     let info = tether::process_info(tether::self_pid()).unwrap();
///     assert_eq!(info.initial_call, InitialCall::APPLY);
///     assert_eq!(info.initial_call.to_string(), "erlang:apply/2");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InitialCall {
    /// The module (for a GenServer, its Rust type name).
    pub module: &'static str,
    /// The function.
    pub function: &'static str,
    /// The arity.
    pub arity: u8,
}

impl InitialCall {
    /// `erlang:apply/2`: a process spawned from a plain future.
    pub const APPLY: InitialCall = InitialCall {
        module: "erlang",
        function: "apply",
        arity: 2,
    };

    /// `{module, function, arity}` as an Erlang term.
    ///
    /// ```
    /// use tether::InitialCall;
    /// assert_eq!(InitialCall::APPLY.to_term().to_string(), "{erlang,apply,2}");
    /// ```
    pub fn to_term(&self) -> tether_term::Term {
        use tether_term::Term;
        Term::tuple([
            Term::atom(self.module),
            Term::atom(self.function),
            Term::Int(i64::from(self.arity)),
        ])
    }
}

impl std::fmt::Display for InitialCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.module, self.function, self.arity)
    }
}

/// Records what the calling process runs (see [`InitialCall`]).
pub(crate) fn set_initial_call(call: InitialCall) {
    super::current::with(|p| p.state().rel().initial_call = Some(call));
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

/// The estimated bytes held by a process (see [`ProcessInfo::memory`]).
fn memory(st: &State, inbox_len: usize) -> usize {
    let rel_bytes = st.rel.as_ref().map_or(0, |rel| {
        (rel.links.capacity() * size_of::<Pid>())
            + (rel.refs.capacity() + rel.monitored_by.capacity()) * 64
            + 256
    });
    size_of::<ProcessShared>()
        + TASK_OVERHEAD
        + st.mailbox.capacity() * size_of::<Message>()
        + (st.mailbox.len() + inbox_len) * 32
        + rel_bytes
        + size_of::<VecDeque<Message>>()
}

fn initial_call(st: &State) -> InitialCall {
    st.rel
        .as_ref()
        .and_then(|r| r.initial_call)
        .unwrap_or(InitialCall::APPLY)
}

/// The few figures of a process that a process table shows, read under its lock
/// once, without copying its links and monitors (see `introspect::processes`).
pub(crate) struct Summary {
    pub pid: Pid,
    pub status: Status,
    pub registered_name: Option<Atom>,
    pub initial_call: InitialCall,
    pub messages_received: u64,
    pub memory: usize,
    pub message_queue_len: usize,
}

/// Calls `f` with a [`Summary`] of every live local process, one at a time (no
/// table-sized allocation: a walk over a million processes keeps what it needs).
pub(crate) fn for_each_summary(mut f: impl FnMut(Summary)) {
    table::for_each(|p| {
        // Under the state lock, which every drain holds: no message is counted both
        // in the inbox and in the mailbox.
        let st = p.state();
        let inbox_len = p.inbox_len();
        let s = Summary {
            pid: p.pid,
            status: p.status(),
            registered_name: st.name().cloned(),
            initial_call: initial_call(&st),
            messages_received: st.received,
            memory: memory(&st, inbox_len),
            message_queue_len: st.mailbox.len() + inbox_len,
        };
        drop(st);
        f(s)
    });
}

fn snapshot(p: &ProcessShared) -> ProcessInfo {
    // Under the state lock (see `for_each_summary`).
    let st = p.state();
    let inbox_len = p.inbox_len();
    let initial_call = initial_call(&st);
    let (links, monitors, monitored_by) = match &st.rel {
        Some(rel) => (
            rel.links.iter().copied().collect(),
            rel.monitors()
                .map(|(r, m)| (*r, m.object.clone()))
                .collect(),
            rel.monitored_by.values().map(|(p, _)| *p).collect(),
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let memory = memory(&st, inbox_len);
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
        initial_call,
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
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let before = tether::process_count();
/// let p = tether::spawn(std::future::pending());
/// assert_eq!(tether::process_count(), before + 1);
/// tether::exit(p, tether::ExitReason::Kill);
/// # });
/// ```
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
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// tether::register("named_one", tether::spawn(std::future::pending())).unwrap();
/// let infos = tether::all_process_info();
/// assert!(infos.iter().any(|i| i.registered_name.as_ref().map(|a| a.as_str()) == Some("named_one")));
/// # });
/// ```
pub fn all_process_info() -> Vec<ProcessInfo> {
    table::all().iter().map(|p| snapshot(p)).collect()
}
