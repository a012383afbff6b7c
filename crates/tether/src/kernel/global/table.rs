//! The name table and the lock table of `global`.
//!
//! Both live behind one process-wide lock so that readers on any thread
//! ([`whereis`](super::whereis_name), [`registered_names`](super::registered_names),
//! the locker's `can_set_lock`) see a consistent view, while only the name server
//! process writes. They mirror OTP's ETS tables `global_names` (name → pid, resolve
//! method, monitor), `global_pid_names` (pid → names), `global_locks`
//! (resource → requester and holders) and `global_pid_ids` (monitor → resources).
//!
//! Names and resources are arbitrary terms compared exactly (`=:=`), as in an ETS
//! `set` table.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use tether_term::order::OrdTerm;
use tether_term::{Node, Pid, Reference, Term};

use crate::runtime::state::service;

/// One registered name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NameEntry {
    /// The owner.
    pub pid: Pid,
    /// The resolve method (an Erlang fun, normally `fun global:random_exit_name/3`).
    pub method: Term,
    /// The name server's monitor of the owner.
    pub mref: Reference,
}

/// One held lock: a resource, the requester id every holder used, and the holders.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lock {
    /// `LockRequesterId`.
    pub requester: Term,
    /// Holders and the name server's monitor of each.
    pub holders: Vec<(Pid, Reference)>,
}

/// Both tables.
#[derive(Default, Debug)]
pub(crate) struct Tables {
    names: BTreeMap<OrdTerm, NameEntry>,
    name_refs: HashMap<Reference, OrdTerm>,
    pid_names: HashMap<Pid, Vec<OrdTerm>>,
    locks: BTreeMap<OrdTerm, Lock>,
    lock_refs: HashMap<Reference, Vec<OrdTerm>>,
    /// The name server's known nodes (with their protocol versions) and synced
    /// nodes, kept here so that a restarted server resumes with them.
    pub membership: (HashMap<Node, u32>, Vec<Node>),
}

/// The runtime's global tables (a runtime service).
#[derive(Default)]
struct GlobalTables(RwLock<Tables>);

/// Runs `f` on this runtime's tables, read-locked.
pub(crate) fn read<R>(f: impl FnOnce(&Tables) -> R) -> R {
    let tables = service::<GlobalTables>();
    let guard = tables.0.read().unwrap_or_else(|e| e.into_inner());
    f(&guard)
}

/// Runs `f` on this runtime's tables, write-locked.
pub(crate) fn write<R>(f: impl FnOnce(&mut Tables) -> R) -> R {
    let tables = service::<GlobalTables>();
    let mut guard = tables.0.write().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// What `can_set_lock` answers.
#[derive(Debug, PartialEq)]
pub(crate) enum CanLock {
    /// Free, or held with the same requester id (these are its holders).
    Yes(Vec<(Pid, Reference)>),
    /// Held with another requester id.
    No,
}

impl Tables {
    /// Gives every name owner and lock holder a new monitor made by `monitor`: a
    /// restarted name server keeps the runtime's tables, but the monitors of its
    /// predecessor died with it.
    pub fn remonitor(&mut self, mut monitor: impl FnMut(Pid) -> Reference) {
        self.name_refs.clear();
        for (key, e) in self.names.iter_mut() {
            e.mref = monitor(e.pid);
            self.name_refs.insert(e.mref, key.clone());
        }
        self.lock_refs.clear();
        for (key, l) in self.locks.iter_mut() {
            for (pid, mref) in l.holders.iter_mut() {
                *mref = monitor(*pid);
                self.lock_refs.entry(*mref).or_default().push(key.clone());
            }
        }
    }

    /// The entry for a name.
    pub fn name(&self, name: &Term) -> Option<&NameEntry> {
        self.names.get(&OrdTerm(name.clone()))
    }

    /// Every `(name, pid, method)`, the list exchanged with a new peer.
    pub fn all_names(&self) -> Vec<(Term, Pid, Term)> {
        self.names
            .iter()
            .map(|(k, e)| (k.0.clone(), e.pid, e.method.clone()))
            .collect()
    }

    /// Every name.
    pub fn names(&self) -> Vec<Term> {
        self.names.keys().map(|k| k.0.clone()).collect()
    }

    /// The names `pid` holds.
    pub fn names_of(&self, pid: Pid) -> Vec<Term> {
        self.pid_names
            .get(&pid)
            .map(|v| v.iter().map(|k| k.0.clone()).collect())
            .unwrap_or_default()
    }

    /// Inserts (or replaces) a name.
    pub fn insert_name(&mut self, name: Term, entry: NameEntry) {
        let key = OrdTerm(name);
        self.remove_name(&key.0);
        self.name_refs.insert(entry.mref, key.clone());
        self.pid_names
            .entry(entry.pid)
            .or_default()
            .push(key.clone());
        self.names.insert(key, entry);
    }

    /// Removes a name, returning its entry.
    pub fn remove_name(&mut self, name: &Term) -> Option<NameEntry> {
        let key = OrdTerm(name.clone());
        let e = self.names.remove(&key)?;
        self.name_refs.remove(&e.mref);
        if let Some(v) = self.pid_names.get_mut(&e.pid) {
            v.retain(|k| *k != key);
            if v.is_empty() {
                self.pid_names.remove(&e.pid);
            }
        }
        Some(e)
    }

    /// The name whose owner's monitor is `mref`.
    pub fn name_by_ref(&self, mref: &Reference) -> Option<Term> {
        self.name_refs.get(mref).map(|k| k.0.clone())
    }

    /// Whether `resource` is locked.
    pub fn is_locked(&self, resource: &Term) -> bool {
        self.locks.contains_key(&OrdTerm(resource.clone()))
    }

    /// The lock on `resource`.
    pub fn lock(&self, resource: &Term) -> Option<&Lock> {
        self.locks.get(&OrdTerm(resource.clone()))
    }

    /// OTP's `can_set_lock({ResourceId, LockRequesterId})`.
    pub fn can_set_lock(&self, resource: &Term, requester: &Term) -> CanLock {
        match self.lock(resource) {
            Some(l) if l.requester.exact_eq(requester) => CanLock::Yes(l.holders.clone()),
            Some(_) => CanLock::No,
            None => CanLock::Yes(Vec::new()),
        }
    }

    /// Adds a holder (the lock is created if free).
    pub fn add_holder(&mut self, resource: Term, requester: Term, pid: Pid, mref: Reference) {
        let key = OrdTerm(resource);
        self.lock_refs.entry(mref).or_default().push(key.clone());
        let l = self.locks.entry(key).or_insert(Lock {
            requester,
            holders: Vec::new(),
        });
        l.holders.insert(0, (pid, mref));
    }

    /// Removes `pid` from the holders of `resource`, deleting the lock when it was the
    /// only one (OTP's `remove_lock`). Returns the removed holder's monitor and whether
    /// the lock is gone.
    pub fn remove_holder(&mut self, resource: &Term, pid: Pid) -> (Option<Reference>, bool) {
        let key = OrdTerm(resource.clone());
        let Some(l) = self.locks.get_mut(&key) else {
            return (None, false);
        };
        let Some(i) = l.holders.iter().position(|(p, _)| *p == pid) else {
            return (None, false);
        };
        let (_, mref) = l.holders.remove(i);
        if let Some(v) = self.lock_refs.get_mut(&mref) {
            v.retain(|k| *k != key);
            if v.is_empty() {
                self.lock_refs.remove(&mref);
            }
        }
        let gone = l.holders.is_empty();
        if gone {
            self.locks.remove(&key);
        }
        (Some(mref), gone)
    }

    /// The locks a monitor guards: `(resource, holder)`.
    pub fn locks_by_ref(&self, mref: &Reference) -> Vec<(Term, Pid)> {
        let Some(keys) = self.lock_refs.get(mref) else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|k| {
                let l = self.locks.get(k)?;
                let (p, _) = l.holders.iter().find(|(_, r)| r == mref)?;
                Some((k.0.clone(), *p))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_term::Node;

    fn pid(n: u32) -> Pid {
        Pid::new(Node::local(), n, 0, 0)
    }
    fn r(n: u32) -> Reference {
        Reference::new(Node::local(), 0, &[n, 0, 0])
    }

    #[test]
    fn names_and_locks() {
        let mut t = Tables::default();
        let m = Term::export("global", "random_exit_name", 3);
        t.insert_name(
            Term::atom("a"),
            NameEntry {
                pid: pid(1),
                method: m.clone(),
                mref: r(1),
            },
        );
        t.insert_name(
            Term::from(1),
            NameEntry {
                pid: pid(1),
                method: m.clone(),
                mref: r(2),
            },
        );
        assert_eq!(t.names_of(pid(1)).len(), 2);
        assert!(t.name(&Term::Float(1.0)).is_none(), "exact comparison");
        assert_eq!(t.name_by_ref(&r(2)), Some(Term::from(1)));
        t.insert_name(
            Term::atom("a"),
            NameEntry {
                pid: pid(2),
                method: m,
                mref: r(3),
            },
        );
        assert_eq!(t.names_of(pid(1)), vec![Term::from(1)]);
        assert_eq!(t.name_by_ref(&r(1)), None);
        assert!(t.remove_name(&Term::atom("a")).is_some());
        assert!(t.names_of(pid(2)).is_empty());

        let g = Term::atom("global");
        let req = Term::atom("me");
        assert_eq!(t.can_set_lock(&g, &req), CanLock::Yes(vec![]));
        t.add_holder(g.clone(), req.clone(), pid(1), r(10));
        t.add_holder(g.clone(), req.clone(), pid(2), r(11));
        assert_eq!(t.can_set_lock(&g, &Term::atom("other")), CanLock::No);
        assert_eq!(t.locks_by_ref(&r(11)), vec![(g.clone(), pid(2))]);
        assert_eq!(t.remove_holder(&g, pid(1)), (Some(r(10)), false));
        assert_eq!(t.remove_holder(&g, pid(1)), (None, false));
        assert_eq!(t.remove_holder(&g, pid(2)), (Some(r(11)), true));
        assert!(!t.is_locked(&g));
    }
}
