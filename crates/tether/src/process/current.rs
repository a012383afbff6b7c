//! Which process is running on this thread.
//!
//! The process task sets a thread-local pointer to its [`ProcessShared`] for the
//! duration of each poll, the way tokio's task-locals work. Process functions such as
//! [`self_pid`](crate::self_pid) and [`receive`](crate::receive) read it, so user code
//! needs no context argument, just as Erlang code calls `self()`.

use std::cell::Cell;
use std::ptr;

use super::core::ProcessShared;

thread_local! {
    static CURRENT: Cell<*const ProcessShared> = const { Cell::new(ptr::null()) };
}

/// Restores the previous current process when dropped (also on unwind).
pub(crate) struct Enter {
    prev: *const ProcessShared,
}

/// Makes `p` the current process until the guard is dropped.
pub(crate) fn enter(p: &ProcessShared) -> Enter {
    let prev = CURRENT.with(|c| c.replace(p as *const ProcessShared));
    Enter { prev }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Runs `f` with the current process, or returns `None` outside any process.
pub(crate) fn try_with<R>(f: impl FnOnce(&ProcessShared) -> R) -> Option<R> {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer was set by `enter` from a `&ProcessShared` that the
    // process task keeps alive (it owns an `Arc`) for as long as the `Enter` guard
    // lives, and the guard restores the previous value before the poll returns. The
    // pointer is thread-local, so it is only read on the thread that polls the task,
    // while that poll is in progress. `ProcessShared` is only ever accessed through
    // shared references.
    Some(f(unsafe { &*p }))
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
