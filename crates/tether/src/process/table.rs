//! The process table: every live local process, by pid.
//!
//! Sharded so that no lock is global: a pid's `id` holds its shard in the low bits and
//! its slot in the shard above them; its `serial` is the slot's generation, so a pid
//! never names a later process that reuses the slot. A lookup read-locks one shard;
//! a spawn write-locks one shard, chosen per thread so that two threads spawning at
//! once rarely meet.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use slab::Slab;
use tether_term::{Node, Pid};

use super::core::ProcessShared;

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

struct Shard {
    slots: Slab<Arc<ProcessShared>>,
    next_serial: u32,
}

pub(crate) struct Table {
    shards: Box<[RwLock<Shard>]>,
    live: AtomicUsize,
}

pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        shards: (0..SHARDS)
            .map(|_| {
                RwLock::new(Shard {
                    slots: Slab::new(),
                    next_serial: 0,
                })
            })
            .collect(),
        live: AtomicUsize::new(0),
    })
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
        let pid = Pid::new(Node::local(), id, serial, 0);
        let process = Arc::new(make(pid));
        entry.insert(process.clone());
        shard.next_serial = serial.wrapping_add(1);
        drop(guard);
        self.live.fetch_add(1, Ordering::Relaxed);
        process
    }

    /// Runs `f` on the live local process `pid`, if there is one.
    pub fn with<R>(&self, pid: Pid, f: impl FnOnce(&Arc<ProcessShared>) -> R) -> Option<R> {
        if !pid.node.is_local() || pid.creation != 0 {
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

    pub fn get(&self, pid: Pid) -> Option<Arc<ProcessShared>> {
        self.with(pid, Arc::clone)
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
}
