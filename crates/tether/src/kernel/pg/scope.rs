//! The scope process: applies joins and leaves to the table, monitors members and
//! subscribers, and sends the join/leave notifications. What it learns from and tells
//! its peers on other nodes is in `sync.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use tether_term::{Atom, Pid, Reference, Term};

use super::{Change, Leave, PgEvent, ScopeMsg, ScopeTable};
use crate::Down;
use crate::otp::TermKey;

/// A local member: its monitor and the groups it joined (with repeats).
pub(super) struct Member {
    monitor: Reference,
    pub(super) groups: Vec<TermKey>,
}

/// A subscriber's monitor: on the whole scope, or on one group.
struct Subscription {
    pid: Pid,
    group: Option<TermKey>,
}

/// A peer scope on another node: our monitor on it and the members it announced.
pub(super) struct Peer {
    pub(super) monitor: Reference,
    pub(super) groups: HashMap<TermKey, Vec<Pid>>,
}

pub(crate) struct Scope {
    pub(super) name: Atom,
    table: Arc<ScopeTable>,
    pub(super) local: HashMap<Pid, Member>,
    member_monitors: HashMap<Reference, Pid>,
    subscribers: HashMap<Reference, Subscription>,
    /// Our monitor on each subscriber, and how many subscriptions it holds.
    subscriber_monitors: HashMap<Pid, (Reference, usize)>,
    pub(super) peers: HashMap<Pid, Peer>,
}

impl Scope {
    pub(crate) fn new(name: Atom, table: Arc<ScopeTable>) -> Scope {
        Scope {
            name,
            table,
            local: HashMap::new(),
            member_monitors: HashMap::new(),
            subscribers: HashMap::new(),
            subscriber_monitors: HashMap::new(),
            peers: HashMap::new(),
        }
    }

    pub(crate) async fn serve(mut self) -> ! {
        // Visible nodes, now and as they come (an undistributed runtime has none).
        let _ = crate::dist::monitor_nodes(true, false);
        for node in crate::dist::nodes(crate::dist::NodeKind::Visible) {
            self.discover(node);
        }
        loop {
            let m = crate::receive_any().await;
            let m = match m.downcast::<crate::dist::NodeEvent>() {
                Ok(crate::dist::NodeEvent::Up(node)) => {
                    self.discover(node);
                    continue;
                }
                // The peer scope's DOWN (noconnection) does the cleanup.
                Ok(crate::dist::NodeEvent::Down(_)) => continue,
                Err(m) => m,
            };
            let m = match m.downcast::<ScopeMsg>() {
                Ok(msg) => {
                    self.handle(msg);
                    continue;
                }
                Err(m) => m,
            };
            let m = match m.downcast::<Down>() {
                Ok(d) => {
                    self.down(d);
                    continue;
                }
                Err(m) => m,
            };
            match m.downcast::<Term>() {
                Ok(t) => {
                    if !self.peer_term(&t) {
                        crate::runtime::logger::report_warn!(scope = %self.name, msg = %t, "pg: malformed or unexpected message dropped");
                    }
                }
                // pg_SUITE:errors: any other value crashes the scope with badarg.
                Err(m) => {
                    crate::runtime::logger::report_error!(message = ?m, "pg scope received an unexpected message");
                    crate::exit_self(crate::ExitReason::from("badarg"))
                }
            }
        }
    }

    fn handle(&mut self, msg: ScopeMsg) {
        match msg {
            ScopeMsg::Join(group, pids, r) => {
                for &pid in &pids {
                    let member = self.local.entry(pid).or_insert_with(|| {
                        let monitor = crate::monitor(pid);
                        Member {
                            monitor,
                            groups: Vec::new(),
                        }
                    });
                    self.member_monitors.insert(member.monitor, pid);
                    member.groups.push(group.clone());
                }
                self.add_to_table(&group, &pids, true);
                self.broadcast_join(&group, &pids);
                self.notify(Change::Join, &group, pids);
                r.reply(())
            }
            ScopeMsg::Leave(group, pids, r) => {
                let mut left = Vec::new();
                for pid in pids {
                    let Some(member) = self.local.get_mut(&pid) else {
                        continue;
                    };
                    let Some(i) = member.groups.iter().position(|g| *g == group) else {
                        continue;
                    };
                    member.groups.swap_remove(i);
                    if member.groups.is_empty() {
                        let m = self.local.remove(&pid).expect("present");
                        self.member_monitors.remove(&m.monitor);
                        crate::demonitor_flush(m.monitor);
                    }
                    left.push(pid);
                }
                if left.is_empty() {
                    return r.reply(Leave::NotJoined);
                }
                self.remove_from_table(&group, &left);
                self.broadcast_leave(&left, vec![group.0.clone()]);
                self.notify(Change::Leave, &group, left);
                r.reply(Leave::Left)
            }
            ScopeMsg::MonitorScope(pid, r) => {
                let reference = self.subscribe(pid, None);
                let groups = self.table.groups.read().unwrap_or_else(|e| e.into_inner());
                let all = groups
                    .iter()
                    .map(|(k, g)| (k.0.clone(), g.all.clone()))
                    .collect();
                r.reply((reference, all))
            }
            ScopeMsg::MonitorGroup(pid, group, r) => {
                let members = self.members(&group);
                let reference = self.subscribe(pid, Some(group));
                r.reply((reference, members))
            }
            ScopeMsg::Demonitor(reference, r) => {
                let found = match self.subscribers.remove(&reference) {
                    Some(s) => {
                        self.unsubscribe_pid(s.pid);
                        true
                    }
                    None => false,
                };
                r.reply(found)
            }
        }
    }

    fn members(&self, group: &TermKey) -> Vec<Pid> {
        let groups = self.table.groups.read().unwrap_or_else(|e| e.into_inner());
        groups.get(group).map(|g| g.all.clone()).unwrap_or_default()
    }

    fn subscribe(&mut self, pid: Pid, group: Option<TermKey>) -> Reference {
        let reference = crate::make_ref();
        self.subscribers
            .insert(reference, Subscription { pid, group });
        let e = self
            .subscriber_monitors
            .entry(pid)
            .or_insert_with(|| (crate::monitor(pid), 0));
        e.1 += 1;
        reference
    }

    fn unsubscribe_pid(&mut self, pid: Pid) {
        if let Some(e) = self.subscriber_monitors.get_mut(&pid) {
            e.1 -= 1;
            if e.1 == 0 {
                crate::demonitor_flush(e.0);
                self.subscriber_monitors.remove(&pid);
            }
        }
    }

    /// Adds `pids` to `group` (and to its local members if they are ours).
    pub(super) fn add_to_table(&self, group: &TermKey, pids: &[Pid], local: bool) {
        let mut groups = self.table.groups.write().unwrap_or_else(|e| e.into_inner());
        let g = groups.entry(group.clone()).or_default();
        g.all.extend_from_slice(pids);
        if local {
            g.local.extend_from_slice(pids);
        }
    }

    /// Removes one occurrence of each of `pids` from `group`; drops the group if
    /// it becomes empty (PG5).
    pub(super) fn remove_from_table(&self, group: &TermKey, pids: &[Pid]) {
        let mut groups = self.table.groups.write().unwrap_or_else(|e| e.into_inner());
        let Some(g) = groups.get_mut(group) else {
            return;
        };
        for pid in pids {
            if let Some(i) = g.all.iter().position(|p| p == pid) {
                g.all.remove(i);
            }
            if let Some(i) = g.local.iter().position(|p| p == pid) {
                g.local.remove(i);
            }
        }
        if g.all.is_empty() {
            groups.remove(group);
        }
    }

    fn down(&mut self, d: Down) {
        if let Some(pid) = self.member_monitors.remove(&d.reference) {
            // A member exited: it leaves every group, all occurrences (PG4).
            let Some(member) = self.local.remove(&pid) else {
                return;
            };
            // Peers drop one occurrence per group listed, so repeats stay in.
            let groups = member.groups.iter().map(|g| g.0.clone()).collect();
            self.broadcast_leave(&[pid], groups);
            let mut per_group: Vec<(TermKey, Vec<Pid>)> = Vec::new();
            for g in member.groups {
                match per_group.iter_mut().find(|(k, _)| *k == g) {
                    Some((_, pids)) => pids.push(pid),
                    None => per_group.push((g, vec![pid])),
                }
            }
            for (g, pids) in per_group {
                self.remove_from_table(&g, &pids);
                self.notify(Change::Leave, &g, pids);
            }
            return;
        }
        if self.peer_down(d.reference) {
            return;
        }
        // A subscriber exited: its monitors go (PG7).
        let gone: Option<Pid> = self
            .subscriber_monitors
            .iter()
            .find(|(_, (r, _))| *r == d.reference)
            .map(|(p, _)| *p);
        if let Some(pid) = gone {
            self.subscriber_monitors.remove(&pid);
            self.subscribers.retain(|_, s| s.pid != pid);
        }
    }

    pub(super) fn notify(&self, change: Change, group: &TermKey, pids: Vec<Pid>) {
        for (reference, s) in &self.subscribers {
            if s.group.as_ref().is_none_or(|g| g == group) {
                let event = PgEvent {
                    reference: *reference,
                    change,
                    group: group.0.clone(),
                    pids: pids.clone(),
                };
                let _ = crate::send(s.pid, event);
            }
        }
    }
}
