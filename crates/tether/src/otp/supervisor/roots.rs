//! The supervision roots of a runtime: the supervisors that no supervisor started.
//!
//! OTP stops a node (`init:stop/0`) application by application, each by telling its
//! top supervisor `shutdown`, which stops its children in reverse start order, each
//! within its shutdown time; what is left is killed. A Tether runtime has no
//! applications, so it keeps the next best thing: every running supervisor (plain
//! and dynamic) with the process that started it. A supervisor started by a process
//! that is not a supervisor is a *root*; stopping a runtime stops the roots, newest
//! first (see `runtime::shutdown`).
//!
//! The kernel's keeper registers as a parent ([`adopt`]), so `kernel_sup` is not a
//! root: the kernel stops after the application, as OTP's kernel application does.

use std::collections::HashMap;
use std::sync::Mutex;

use tether_term::Pid;

/// The runtime's supervisors (a runtime service).
#[derive(Default)]
pub(crate) struct Roots(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    next: u64,
    /// Supervisor (or adopted parent) → its record.
    parents: HashMap<Pid, Record>,
}

struct Record {
    /// Start order.
    seq: u64,
    /// Started by a process that is not a supervisor (nor adopted).
    root: bool,
    /// The process that started it.
    parent: Pid,
    kind: Kind,
}

/// What a process in [`Roots`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A [`Supervisor`](crate::Supervisor).
    Supervisor,
    /// A [`DynamicSupervisor`](crate::DynamicSupervisor).
    Dynamic,
    /// A parent whose supervisors are not roots (the kernel's keeper).
    Adopted,
}

fn record(kind: Kind, parent: Pid) -> Entry {
    let me = crate::self_pid();
    let roots = crate::runtime::state::service::<Roots>();
    let mut inner = roots.0.lock().unwrap_or_else(|e| e.into_inner());
    let root = kind != Kind::Adopted && !inner.parents.contains_key(&parent);
    inner.next += 1;
    let seq = inner.next;
    inner.parents.insert(
        me,
        Record {
            seq,
            root,
            parent,
            kind,
        },
    );
    Entry(me)
}

/// Records the calling supervisor process of `kind`, started by `parent`, until the
/// guard drops (when the supervisor's process ends).
pub(crate) fn enter(kind: Kind, parent: Pid) -> Entry {
    record(kind, parent)
}

/// Records the calling process as a parent whose supervisors are not roots, until
/// the guard drops.
pub(crate) fn adopt() -> Entry {
    record(Kind::Adopted, crate::self_pid())
}

/// The root supervisors still running, newest first.
pub(crate) fn roots() -> Vec<Pid> {
    let roots = crate::runtime::state::service::<Roots>();
    let inner = roots.0.lock().unwrap_or_else(|e| e.into_inner());
    let mut found: Vec<(u64, Pid)> = inner
        .parents
        .iter()
        .filter(|(_, r)| r.root)
        .map(|(pid, r)| (r.seq, *pid))
        .collect();
    found.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    found.into_iter().map(|(_, pid)| pid).collect()
}

/// The tops of the supervision trees, oldest first: the roots and the supervisors of
/// adopted parents (the kernel's `kernel_sup`).
pub(crate) fn tops() -> Vec<Pid> {
    let roots = crate::runtime::state::service::<Roots>();
    let inner = roots.0.lock().unwrap_or_else(|e| e.into_inner());
    let adopted = |p: &Pid| {
        inner
            .parents
            .get(p)
            .is_some_and(|r| r.kind == Kind::Adopted)
    };
    let mut found: Vec<(u64, Pid)> = inner
        .parents
        .iter()
        .filter(|(_, r)| r.kind != Kind::Adopted && (r.root || adopted(&r.parent)))
        .map(|(pid, r)| (r.seq, *pid))
        .collect();
    found.sort_unstable_by_key(|(seq, _)| *seq);
    found.into_iter().map(|(_, pid)| pid).collect()
}

/// A supervisor's (or adopted parent's) place in [`Roots`]; dropped when its
/// process ends.
pub(crate) struct Entry(Pid);

impl Drop for Entry {
    fn drop(&mut self) {
        // The process may end while its runtime is being dropped: reach the
        // runtime only if this thread still has it.
        let _ = crate::runtime::context::try_with(|rt| {
            let roots = rt.service::<Roots>();
            let mut inner = roots.0.lock().unwrap_or_else(|e| e.into_inner());
            inner.parents.remove(&self.0);
        });
    }
}
