//! Which runtime this thread serves.
//!
//! As tokio finds its runtime through a thread-local handle, Tether code finds its
//! [`RuntimeState`] (process table, names, timers, the node) through a thread-local
//! pointer. A runtime sets it on each of its threads when the thread starts (worker
//! and blocking-pool threads alike), and [`enter`] sets it for the length of a guard
//! on any other thread (`Runtime::block_on`, dropping a runtime). The same moments
//! set tether-term's local node ([`Node::enter_local`]), so pids made here are this
//! runtime's, and bind the thread's slot of the runtime's activity counters
//! (`stats`).
//!
//! Reading the pointer is one thread-local load, so the hot paths (send, receive,
//! spawn) pay nothing for runtime-scoped state beyond what a process-wide static cost.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;

use tether_term::{LocalNodeGuard, Node};

use super::state::RuntimeState;
use super::stats::{self, Bound};

thread_local! {
    /// The runtime of this thread, or null. Non-null only while an `Arc` that keeps
    /// it alive is held by [`OWNED`] or by a live [`Enter`] guard of this thread.
    static CURRENT: Cell<*const RuntimeState> = const { Cell::new(ptr::null()) };
    /// The reference a runtime's own thread holds for its whole life.
    static OWNED: RefCell<Option<(Arc<RuntimeState>, LocalNodeGuard, Bound)>> = const { RefCell::new(None) };
}

/// Makes `rt` this thread's runtime for the rest of the thread's life (a runtime's
/// `on_thread_start`).
pub(crate) fn adopt_thread(rt: Arc<RuntimeState>) {
    CURRENT.with(|c| c.set(Arc::as_ptr(&rt)));
    let node = Node::enter_local(rt.node);
    let slot = stats::bind(&rt);
    OWNED.with(|o| *o.borrow_mut() = Some((rt, node, slot)));
}

/// Undoes [`adopt_thread`] (a runtime's `on_thread_stop`).
pub(crate) fn release_thread() {
    CURRENT.with(|c| c.set(ptr::null()));
    let owned = OWNED.with(|o| o.borrow_mut().take());
    drop(owned);
}

/// Restores the previous runtime of this thread when dropped.
pub(crate) struct Enter {
    prev: *const RuntimeState,
    _slot: Bound,
    _node: LocalNodeGuard,
    _rt: Arc<RuntimeState>,
}

/// Makes `rt` this thread's runtime until the guard is dropped.
pub(crate) fn enter(rt: &Arc<RuntimeState>) -> Enter {
    let prev = CURRENT.with(|c| c.replace(Arc::as_ptr(rt)));
    Enter {
        prev,
        _slot: stats::bind(rt),
        _node: Node::enter_local(rt.node),
        _rt: rt.clone(),
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Runs `f` with this thread's runtime, or returns `None` on a thread that serves none.
#[inline]
pub(crate) fn try_with<R>(f: impl FnOnce(&RuntimeState) -> R) -> Option<R> {
    let p = CURRENT.with(Cell::get);
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer was set from an `Arc<RuntimeState>` that this thread
    // keeps alive for as long as the pointer is set: by `OWNED` (cleared together with
    // the pointer in `release_thread`) or by the `Enter` guard that set it (whose drop
    // restores the previous pointer, itself kept alive by its own owner, guards being
    // dropped in reverse order). The pointer is thread-local and `RuntimeState` is
    // only accessed through shared references.
    Some(f(unsafe { &*p }))
}

/// Runs `f` with this thread's runtime.
///
/// # Panics
///
/// On a thread that serves no Tether runtime.
#[inline]
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&RuntimeState) -> R) -> R {
    match try_with(f) {
        Some(r) => r,
        None => outside(),
    }
}

#[cold]
#[track_caller]
fn outside() -> ! {
    panic!("this function must be called inside a Tether runtime (tether::Runtime)")
}
