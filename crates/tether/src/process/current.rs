//! Which process is running on this thread.
//!
//! The process task sets a thread-local pointer to its [`ProcessShared`] for the
//! duration of each poll, the way tokio's task-locals work. Process functions such as
//! [`self_pid`](crate::self_pid) and [`receive`](crate::receive) read it, so user code
//! needs no context argument, just as Erlang code calls `self()`.

use std::cell::Cell;
use std::ptr;
use std::sync::Arc;

use super::core::ProcessShared;

thread_local! {
    static CURRENT: Cell<*const Arc<ProcessShared>> = const { Cell::new(ptr::null()) };
}

/// Restores the previous current process when dropped (also on unwind).
pub(crate) struct Enter {
    prev: *const Arc<ProcessShared>,
}

/// Makes `p` the current process until the guard is dropped.
pub(crate) fn enter(p: &Arc<ProcessShared>) -> Enter {
    let prev = CURRENT.with(|c| c.replace(p as *const Arc<ProcessShared>));
    Enter { prev }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Runs `f` with the current process, or returns `None` outside any process.
pub(crate) fn try_with<R>(f: impl FnOnce(&ProcessShared) -> R) -> Option<R> {
    try_with_arc(|p| f(p))
}

/// [`try_with`], with the process's `Arc` (to clone it).
pub(crate) fn try_with_arc<R>(f: impl FnOnce(&Arc<ProcessShared>) -> R) -> Option<R> {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer was set by `enter` from a `&Arc<ProcessShared>` that
    // the process task keeps in place (it is a field of the task's pinned future) for
    // as long as the `Enter` guard lives, and the guard restores the previous value
    // before the poll returns. The pointer is thread-local, so it is only read on the
    // thread that polls the task, while that poll is in progress. The `Arc` is only
    // ever accessed through shared references.
    Some(f(unsafe { &*p }))
}

/// [`with`], with the process's `Arc` (to clone it).
#[track_caller]
pub(crate) fn with_arc<R>(f: impl FnOnce(&Arc<ProcessShared>) -> R) -> R {
    try_with_arc(f).expect("this function must be called from inside a Tether process")
}

/// Runs `f` with the current process; panics outside a process.
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&ProcessShared) -> R) -> R {
    try_with(f).expect("this function must be called from inside a Tether process")
}

/// Whether this thread is polling a process right now.
pub(crate) fn in_process() -> bool {
    CURRENT.with(|c| !c.get().is_null())
}
