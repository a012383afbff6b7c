//! Fairness: what sending and receiving cost in tokio's cooperative budget.
//!
//! The BEAM keeps a busy process from holding a scheduler by counting *reductions*:
//! every operation costs some, and a process that has spent its share is scheduled out.
//! A send costs more when the receiver's queue is long (the *send penalty*), so a fast
//! producer cannot outrun its consumer forever: it is slowed down instead of the queue
//! growing without end.
//!
//! Tether runs on tokio, which cannot preempt a task; its equivalent of reductions is
//! the cooperative budget (128 units per task poll): once a task has spent it, tokio
//! resources it awaits report "not ready" and the task yields to the others on its
//! worker. The rule:
//!
//! * **Every send and every receive costs budget**: one unit per
//!   [`OPS_PER_UNIT`] operations, counted per worker thread (cheap, and bounded for
//!   every process the thread runs). A receive that finds the budget spent yields
//!   before taking a message.
//! * **A send to a long queue costs more** (the send penalty): when the receiver has
//!   at least [`PENALTY_FROM`] messages queued (drained or not, as `process_info`
//!   counts them), the send costs one more unit per [`PENALTY_STEP`] messages, so from
//!   `128 × PENALTY_STEP` queued messages every send spends the whole budget. The
//!   sender's next receive (or other tokio await) then yields, and the receiver gets
//!   its turn.
//!
//! A send itself never blocks and never fails for a long queue (docs/semantics.md §1.1
//! S9: "send never blocks" is the local contract), so the slow-down takes effect at the
//! sender's next await: a process that sends in a loop without awaiting anything is
//! not preempted (tokio cannot), exactly as a tokio task that never awaits is not.

use std::cell::Cell;
use std::task::{Context, Poll, Waker};

/// Sends and receives per unit of cooperative budget.
pub(crate) const OPS_PER_UNIT: u32 = 16;
/// Queue length from which a send pays the penalty.
pub(crate) const PENALTY_FROM: u32 = 1024;
/// Queued messages per extra unit of budget a send costs.
pub(crate) const PENALTY_STEP: u32 = 256;

/// In [`OPS`]: the task being polled has no budget left (a penalised send found it
/// spent), so further penalties in this poll cost nothing to charge.
const SPENT: u32 = 1 << 31;

thread_local! {
    /// Operations on this worker thread, for [`OPS_PER_UNIT`], and the [`SPENT`] flag.
    static OPS: Cell<u32> = const { Cell::new(0) };
}

/// Counts an operation in `v`: the new value, and whether it completes a unit.
fn tick(v: u32) -> (u32, bool) {
    let ops = v.wrapping_add(1) & (SPENT - 1);
    (ops | (v & SPENT), ops % OPS_PER_UNIT == 0)
}

/// Whether this receive should be charged a unit of cooperative budget (the receive
/// does it, so that it can yield).
pub(crate) fn receive_due() -> bool {
    OPS.with(|c| {
        let (v, due) = tick(c.get());
        c.set(v);
        due
    })
}

/// A process task starts or ends a poll: tokio gives each poll a fresh budget.
pub(crate) fn poll_boundary() {
    OPS.with(|c| c.set(c.get() & !SPENT));
}

/// Charges a send to a receiver with `queued` messages (this one included).
#[inline]
pub(crate) fn charge_send(queued: u32) {
    OPS.with(|c| {
        let (mut v, due) = tick(c.get());
        let mut units = u32::from(due);
        if queued >= PENALTY_FROM {
            units += queued / PENALTY_STEP;
            // Make the sender's next receive look at the budget.
            v |= OPS_PER_UNIT - 1;
        }
        if units > 0 && v & SPENT == 0 && !spend(units) {
            v |= SPENT;
        }
        c.set(v);
    })
}

/// Spends what is left of the current task's cooperative budget, and makes the next
/// receive look at it: the process yields at its next await ([`super::suspend`]).
pub(crate) fn exhaust() {
    OPS.with(|c| {
        let mut v = c.get() | (OPS_PER_UNIT - 1);
        if v & SPENT == 0 && !spend(128) {
            v |= SPENT;
        }
        c.set(v);
    })
}

/// Spends `units` of the current task's cooperative budget (all that is left, if
/// fewer); whether any is left. Outside a tokio task there is no budget, and this
/// does nothing.
#[cold]
fn spend(units: u32) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..units.min(128) {
        match tokio::task::coop::poll_proceed(&mut cx) {
            Poll::Ready(restore) => restore.made_progress(),
            Poll::Pending => return false,
        }
    }
    tokio::task::coop::has_budget_remaining()
}
