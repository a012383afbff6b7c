//! One partition: its table (read by anyone, written by registrants and its owner)
//! and its owner process (links to registrants, cleans up after them).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tether_term::Pid;

use super::Inner;
use crate::otp::call::ReplyTo;
use crate::{Exit, SpawnOpts};

/// A partition's entries, indexed both ways.
pub(crate) struct Table<K, V> {
    /// Entries by key, in registration order.
    pub keys: HashMap<K, Vec<(Pid, V)>>,
    /// The keys of each registrant (one per entry, so duplicates repeat).
    pub pids: HashMap<Pid, Vec<K>>,
}

pub(crate) struct Partition<K, V> {
    table: RwLock<Table<K, V>>,
    owner: RwLock<Option<Pid>>,
}

/// Asks a partition owner to answer once it has handled what it received before.
pub(crate) struct Sync(pub ReplyTo<()>);

impl<K: Eq + Hash + Clone, V> Partition<K, V> {
    pub(crate) fn new() -> Partition<K, V> {
        Partition {
            table: RwLock::new(Table {
                keys: HashMap::new(),
                pids: HashMap::new(),
            }),
            owner: RwLock::new(None),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Table<K, V>> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Table<K, V>> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn owner(&self) -> Pid {
        self.owner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .expect("partition started")
    }

    /// Deletes every entry of `pid` (the owner, on its `'EXIT'`).
    fn cleanup(&self, pid: Pid) {
        let mut t = self.write();
        let Some(keys) = t.pids.remove(&pid) else {
            return;
        };
        for k in keys {
            if let Some(entries) = t.keys.get_mut(&k) {
                entries.retain(|(p, _)| *p != pid);
                if entries.is_empty() {
                    t.keys.remove(&k);
                }
            }
        }
    }
}

impl<K, V> Table<K, V>
where
    K: Eq + Hash + Clone,
{
    /// Removes `pid`'s entries under `key` matching `pred`; returns how many, and
    /// whether `pid` has no entries left in this partition.
    pub(crate) fn remove(&mut self, key: &K, pid: Pid, pred: impl Fn(&V) -> bool) -> (usize, bool) {
        let mut removed = 0;
        if let Some(entries) = self.keys.get_mut(key) {
            let before = entries.len();
            entries.retain(|(p, v)| *p != pid || !pred(v));
            removed = before - entries.len();
            if entries.is_empty() {
                self.keys.remove(key);
            }
        }
        if let Some(keys) = self.pids.get_mut(&pid) {
            for _ in 0..removed {
                if let Some(i) = keys.iter().position(|k| k == key) {
                    keys.swap_remove(i);
                }
            }
            if keys.is_empty() {
                self.pids.remove(&pid);
            }
        }
        (removed, !self.pids.contains_key(&pid))
    }
}

/// Spawns the owner of partition `i`, linked to the calling supervisor. A restarted
/// owner starts from an empty table: its registrants were linked to the old one.
pub(crate) fn start_owner<K, V>(inner: Arc<Inner<K, V>>, i: usize) -> Pid
where
    K: Eq + Hash + Clone + Send + std::marker::Sync + 'static,
    V: Send + std::marker::Sync + 'static,
{
    let sup = crate::self_pid();
    let part_inner = inner.clone();
    let pid = SpawnOpts::new()
        .link()
        .trap_exit()
        .spawn(async move {
            let partition = &part_inner.partitions[i];
            loop {
                let m = crate::receive_any().await;
                let m = match m.downcast::<Exit>() {
                    Ok(e) if e.from == sup => crate::exit_self(e.reason),
                    Ok(e) => {
                        partition.cleanup(e.from);
                        continue;
                    }
                    Err(m) => m,
                };
                if let Ok(Sync(r)) = m.downcast::<Sync>() {
                    r.reply(());
                }
            }
        })
        .pid;
    let p = &inner.partitions[i];
    {
        let mut t = p.write();
        t.keys.clear();
        t.pids.clear();
    }
    *p.owner.write().unwrap_or_else(|e| e.into_inner()) = Some(pid);
    pid
}
