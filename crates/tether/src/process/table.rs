//! The process table: every live local process, by pid. Each runtime has one (in
//! its `RuntimeState`); the free functions here act on the current thread's runtime.
//!
//! Sharded so that no lock is global: a pid's `id` holds its shard in the low bits and
//! its slot in the shard above them; its `serial` is the slot's generation, so a pid
//! never names a later process that reuses the slot. A lookup read-locks one shard;
//! a spawn write-locks one shard, chosen per thread so that two threads spawning at
//! once rarely meet.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use slab::Slab;
use tether_term::{Node, Pid};

use super::core::ProcessShared;
use crate::runtime::context;

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

struct Shard {
    slots: Slab<Arc<ProcessShared>>,
    next_serial: u32,
}

pub(crate) struct Table {
    /// The node whose processes this table holds.
    node: Node,
    shards: Box<[RwLock<Shard>]>,
    live: AtomicUsize,
}

/// Runs `f` on the live local process `pid` of this thread's runtime, if there is one.
#[inline]
pub(crate) fn with<R>(pid: Pid, f: impl FnOnce(&Arc<ProcessShared>) -> R) -> Option<R> {
    context::with(|rt| rt.table.with(pid, f))
}

/// The live local process `pid`, if there is one.
pub(crate) fn get(pid: Pid) -> Option<Arc<ProcessShared>> {
    with(pid, Arc::clone)
}

/// Inserts a new process into this thread's runtime (see [`Table::insert`]).
pub(crate) fn insert(make: impl FnOnce(Pid) -> ProcessShared) -> Arc<ProcessShared> {
    context::with(|rt| rt.table.insert(make))
}

/// Removes `pid` from this thread's runtime's table.
pub(crate) fn remove(pid: Pid) {
    context::with(|rt| rt.table.remove(pid))
}

/// Every live process of this thread's runtime.
pub(crate) fn all() -> Vec<Arc<ProcessShared>> {
    context::with(|rt| rt.table.all())
}

/// Calls `f` on every live process of this thread's runtime (see
/// [`Table::for_each`]).
pub(crate) fn for_each(f: impl FnMut(&ProcessShared)) {
    context::with(|rt| rt.table.for_each(f))
}

/// How many processes this thread's runtime has.
pub(crate) fn len() -> usize {
    context::with(|rt| rt.table.len())
}

fn home_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static HOME: Cell<usize> = Cell::new(NEXT.fetch_add(7, Ordering::Relaxed));
    }
    HOME.with(|h| {
        let s = h.get();
        // Rotate a little so one thread's spawns spread over a few shards.
        h.set(s.wrapping_add(SHARDS + 1));
        s % SHARDS
    })
}

impl Table {
    pub fn new(node: Node) -> Table {
        Table {
            node,
            shards: (0..SHARDS)
                .map(|_| {
                    RwLock::new(Shard {
                        slots: Slab::new(),
                        next_serial: 0,
                    })
                })
                .collect(),
            live: AtomicUsize::new(0),
        }
    }

    /// Inserts a process built by `make` for its freshly allocated pid.
    pub fn insert(&self, make: impl FnOnce(Pid) -> ProcessShared) -> Arc<ProcessShared> {
        let s = home_shard();
        let mut guard = self.shards[s].write().unwrap_or_else(|e| e.into_inner());
        let shard = &mut *guard;
        let entry = shard.slots.vacant_entry();
        let slot = entry.key();
        assert!(slot < (1 << (32 - SHARD_BITS)), "process table full");
        let serial = shard.next_serial;
        let id = ((slot as u32) << SHARD_BITS) | s as u32;
        let pid = Pid::new(self.node, id, serial, 0);
        let process = Arc::new(make(pid));
        entry.insert(process.clone());
        shard.next_serial = serial.wrapping_add(1);
        drop(guard);
        self.live.fetch_add(1, Ordering::Relaxed);
        process
    }

    /// Runs `f` on the live local process `pid`, if there is one.
    pub fn with<R>(&self, pid: Pid, f: impl FnOnce(&Arc<ProcessShared>) -> R) -> Option<R> {
        if pid.node != self.node || pid.creation != 0 {
            return None;
        }
        let s = (pid.id as usize) & (SHARDS - 1);
        let slot = (pid.id >> SHARD_BITS) as usize;
        let shard = self.shards[s].read().unwrap_or_else(|e| e.into_inner());
        match shard.slots.get(slot) {
            Some(p) if p.pid == pid => Some(f(p)),
            _ => None,
        }
    }

    pub fn remove(&self, pid: Pid) {
        let s = (pid.id as usize) & (SHARDS - 1);
        let slot = (pid.id >> SHARD_BITS) as usize;
        let mut shard = self.shards[s].write().unwrap_or_else(|e| e.into_inner());
        if shard.slots.get(slot).is_some_and(|p| p.pid == pid) {
            shard.slots.remove(slot);
            drop(shard);
            self.live.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Every live process, shard by shard (a snapshot, not atomic across shards).
    pub fn all(&self) -> Vec<Arc<ProcessShared>> {
        let mut out = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            let shard = shard.read().unwrap_or_else(|e| e.into_inner());
            out.extend(shard.slots.iter().map(|(_, p)| p.clone()));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Calls `f` on every live process, shard by shard. A shard's processes are
    /// copied out (their `Arc`s, into one reused buffer) and its lock released
    /// before `f` runs, so `f` may take a process's own lock: holding a shard lock
    /// there could wait on a process that waits on that shard.
    pub fn for_each(&self, mut f: impl FnMut(&ProcessShared)) {
        let mut buf: Vec<Arc<ProcessShared>> = Vec::new();
        for shard in self.shards.iter() {
            {
                let shard = shard.read().unwrap_or_else(|e| e.into_inner());
                buf.extend(shard.slots.iter().map(|(_, p)| p.clone()));
            }
            for p in buf.drain(..) {
                f(&p);
            }
        }
    }
}
