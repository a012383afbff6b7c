//! Suspending a process until a busy resource drains: the BEAM's *busy port*.
//!
//! On the BEAM a process that sends to a busy distribution port (one whose queue is
//! over `+zdbbl`) is suspended until the port drains. A Tether send is a plain
//! function and cannot wait, so the suspension takes effect at the sender's next
//! await, as the cooperative budget's slow-down does ([`super::budget`]):
//!
//! 1. the send, finding the resource busy, calls [`suspend_on`] with its [`Gate`];
//!    this records the gate for the process being polled on this thread and spends
//!    the rest of the task's cooperative budget, so that the process's next `receive`
//!    (or other tokio await) yields;
//! 2. when the process's future returns `Pending`, the process task takes the gate
//!    ([`take`]) and, before it polls the future again, waits for [`Gate::poll_open`].
//!    It still handles signals meanwhile: a suspended process can be killed.
//!
//! A process that sends in a loop without ever awaiting is not suspended (tokio
//! cannot preempt it); neither is code outside a process (a plain tokio task, another
//! thread): the send itself never blocks.

use std::cell::RefCell;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{budget, current};

/// Something a process can be suspended on.
pub(crate) trait Gate: Send + Sync {
    /// Ready when the process may run again; otherwise `cx`'s waker is woken later.
    fn poll_open(&self, cx: &mut Context<'_>) -> Poll<()>;
}

thread_local! {
    /// The gate the process being polled on this thread must wait for.
    static PENDING: RefCell<Option<Arc<dyn Gate>>> = const { RefCell::new(None) };
}

/// Suspends the current process on `gate` at its next await (see the module docs).
/// Outside a process it does nothing.
pub(crate) fn suspend_on(gate: Arc<dyn Gate>) {
    if current::in_process() {
        PENDING.with(|p| *p.borrow_mut() = Some(gate));
        budget::exhaust();
    }
}

/// The gate recorded during the poll that just ended, if any.
pub(crate) fn take() -> Option<Arc<dyn Gate>> {
    PENDING.with(|p| p.borrow_mut().take())
}
