//! The runtime's activity counters: spawns, exits, messages sent, supervisor restarts.
//!
//! They feed `tether::introspect::system`, the Prometheus metrics and the observer, so
//! they are counted on the hottest paths (every send) and must cost next to nothing.
//! A shared atomic would be a `lock`-prefixed instruction on a cache line that every
//! worker fights over. Instead each thread that serves the runtime gets a *slot* of
//! its own for as long as it serves it ([`bind`], called where the thread's runtime
//! is set, see `context`): a set of counters that only that thread writes, with a
//! plain load and store (no read-modify-write, no contention). Readers sum the slots;
//! a slot a thread gave back keeps its counts and is reused by the next thread, so
//! the number of slots stays the number of threads that served the runtime at once.
//!
//! Counting can be switched off ([`Builder::metrics`](crate::runtime::Builder::metrics)):
//! then no slot is bound and each count is one thread-local load and a branch.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::state::RuntimeState;

/// One thread's counters. Written only by the thread it is bound to, and alone on its
/// cache lines (two, for the adjacent-line prefetcher), so that two threads' counting
/// never shares a line.
#[derive(Default)]
#[repr(align(128))]
pub(crate) struct Slot {
    spawns: AtomicU64,
    exits: AtomicU64,
    abnormal_exits: AtomicU64,
    messages: AtomicU64,
    restarts: AtomicU64,
}

/// Totals since the runtime started (see [`Stats::totals`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub spawns: u64,
    pub exits: u64,
    pub abnormal_exits: u64,
    pub messages: u64,
    pub restarts: u64,
}

/// A runtime's counters (a field of `RuntimeState`).
pub(crate) struct Stats {
    enabled: AtomicBool,
    started: Instant,
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    all: Vec<Arc<Slot>>,
    free: Vec<Arc<Slot>>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            enabled: AtomicBool::new(true),
            started: Instant::now(),
            slots: Mutex::default(),
        }
    }
}

impl Stats {
    /// Turns counting on or off for threads bound from now on (set before the
    /// runtime's threads start).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// When the runtime was built.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The sums over every slot.
    pub fn totals(&self) -> Totals {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let mut t = Totals::default();
        for s in &slots.all {
            let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
            t.spawns += get(&s.spawns);
            t.exits += get(&s.exits);
            t.abnormal_exits += get(&s.abnormal_exits);
            t.messages += get(&s.messages);
            t.restarts += get(&s.restarts);
        }
        t
    }

    fn take_slot(&self) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slots.free.pop() {
            return s;
        }
        let s = Arc::new(Slot::default());
        slots.all.push(s.clone());
        s
    }

    fn give_back(&self, slot: Arc<Slot>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.free.push(slot);
    }
}

thread_local! {
    /// The slot bound to this thread, or null. Non-null only while the [`Bound`] that
    /// set it is alive on this thread.
    static SLOT: Cell<*const Slot> = const { Cell::new(ptr::null()) };
}

/// This thread's slot of one runtime's counters; gives it back when dropped and
/// restores the slot bound before (runtimes can be entered inside one another).
pub(crate) struct Bound {
    stats: Option<(Arc<Slot>, Arc<RuntimeState>)>,
    prev: *const Slot,
}

/// Binds a slot of `rt`'s counters to this thread until the guard drops (none if
/// counting is off).
pub(crate) fn bind(rt: &Arc<RuntimeState>) -> Bound {
    let prev = SLOT.with(Cell::get);
    if !rt.stats.enabled() {
        SLOT.with(|c| c.set(ptr::null()));
        return Bound { stats: None, prev };
    }
    let slot = rt.stats.take_slot();
    SLOT.with(|c| c.set(Arc::as_ptr(&slot)));
    Bound {
        stats: Some((slot, rt.clone())),
        prev,
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        SLOT.with(|c| c.set(self.prev));
        if let Some((slot, rt)) = self.stats.take() {
            rt.stats.give_back(slot);
        }
    }
}

#[inline]
fn bump(field: impl FnOnce(&Slot) -> &AtomicU64) {
    let p = SLOT.with(Cell::get);
    if p.is_null() {
        return;
    }
    // SAFETY: a non-null pointer was set by a live `Bound` of this thread, which holds
    // the `Arc<Slot>` it points into (a `Bound`'s drop resets the pointer before
    // releasing its `Arc`, and guards drop in reverse order).
    let a = field(unsafe { &*p });
    // Only this thread writes the slot while it is bound (a slot is taken out of the
    // free list under the mutex, which orders it after the previous owner's writes),
    // so a plain load and store cannot lose a count.
    a.store(a.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

/// Counts a spawned process.
#[inline]
pub(crate) fn spawned() {
    bump(|s| &s.spawns);
}

/// Counts a process exit, and whether it was abnormal (not `normal` or `shutdown`).
#[inline]
pub(crate) fn exited(abnormal: bool) {
    bump(|s| &s.exits);
    if abnormal {
        bump(|s| &s.abnormal_exits);
    }
}

/// Counts a message sent (local or remote).
#[inline]
pub(crate) fn message_sent() {
    bump(|s| &s.messages);
}

/// Counts a child restarted by a supervisor.
#[inline]
pub(crate) fn restarted() {
    bump(|s| &s.restarts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_totals_survive_threads() {
        let rt = Arc::new(RuntimeState::new().unwrap());
        std::thread::scope(|s| {
            for _ in 0..4 {
                let rt = rt.clone();
                s.spawn(move || {
                    let _b = bind(&rt);
                    for _ in 0..1000 {
                        message_sent();
                    }
                    spawned();
                    exited(true);
                });
            }
        });
        let t = rt.stats.totals();
        assert_eq!(t.messages, 4000);
        assert_eq!((t.spawns, t.exits, t.abnormal_exits), (4, 4, 4));
        // Sequential binds reuse one slot.
        let before = rt.stats.slots.lock().unwrap().all.len();
        for _ in 0..10 {
            let _b = bind(&rt);
            restarted();
        }
        assert!(rt.stats.slots.lock().unwrap().all.len() <= before.max(1));
        assert_eq!(rt.stats.totals().restarts, 10);
    }

    #[test]
    fn off_counts_nothing_and_nesting_restores() {
        let on = Arc::new(RuntimeState::new().unwrap());
        let off = Arc::new(RuntimeState::new().unwrap());
        off.stats.set_enabled(false);
        let _a = bind(&on);
        message_sent();
        {
            let _b = bind(&off);
            message_sent();
        }
        message_sent();
        assert_eq!(on.stats.totals().messages, 2);
        assert_eq!(off.stats.totals().messages, 0);
    }
}
