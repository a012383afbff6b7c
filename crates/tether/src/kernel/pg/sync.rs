//! The overlay: OTP 23+'s pg protocol between same-named scopes on visible nodes, so
//! that Tether and BEAM members of a scope see each other.
//!
//! - at start, and on each visible nodeup (the distribution layer calls
//!   [`node_up`]), a scope sends `{discover, Self}` to `{Scope, Node}`;
//! - on `{discover, Peer}` it casts `{sync, Self, [{Group, LocalPids}]}` to `Peer`,
//!   and if `Peer` is new, monitors it and discovers it back;
//! - on `{sync, Peer, Groups}` (a `$gen_cast`) it replaces what it knew of `Peer`'s
//!   members;
//! - local changes go to every known peer as `{join, Self, Group, Pids}` and
//!   `{leave, Self, Pids, Groups}`; updates from a scope it does not know are ignored;
//! - the DOWN of a peer scope (it exited, or its node went down) removes all of its
//!   members (PG8).
//!
//! A malformed term makes [`Scope::peer_term`] return `false`; the scope logs and
//! drops it.

use std::collections::HashMap;

use tether_term::{Node, Pid, Reference, Term};

use super::Change;
use super::scope::{Peer, Scope};
use crate::otp::TermKey;

fn pids_term(pids: &[Pid]) -> Term {
    Term::list(pids.iter().map(|p| Term::Pid(*p)))
}

/// A pid or a list of pids from a peer.
fn pids_of(t: &Term) -> Option<Vec<Pid>> {
    match t {
        Term::Pid(p) => Some(vec![*p]),
        Term::List(l) => l.iter().map(Term::as_pid).collect(),
        _ if t.is_nil() => Some(Vec::new()),
        _ => None,
    }
}

/// `Pids -- Remove`: removes one occurrence per element of `remove`.
fn subtract(from: &mut Vec<Pid>, remove: &[Pid]) {
    for r in remove {
        if let Some(i) = from.iter().position(|p| p == r) {
            from.remove(i);
        }
    }
}

impl Scope {
    pub(super) fn discover(&self, node: Node) {
        let msg = Term::tuple([Term::atom("discover"), Term::Pid(crate::self_pid())]);
        let _ = crate::send((self.name.clone(), node), msg);
    }

    fn broadcast(&self, msg: Term) {
        for peer in self.peers.keys() {
            let _ = crate::send(*peer, msg.clone());
        }
    }

    pub(super) fn broadcast_join(&self, group: &TermKey, pids: &[Pid]) {
        if self.peers.is_empty() {
            return;
        }
        self.broadcast(Term::tuple([
            Term::atom("join"),
            Term::Pid(crate::self_pid()),
            group.0.clone(),
            pids_term(pids),
        ]));
    }

    pub(super) fn broadcast_leave(&self, pids: &[Pid], groups: Vec<Term>) {
        if self.peers.is_empty() {
            return;
        }
        self.broadcast(Term::tuple([
            Term::atom("leave"),
            Term::Pid(crate::self_pid()),
            pids_term(pids),
            Term::list(groups),
        ]));
    }

    /// A DOWN for one of our peers: all its members leave. `false` if `reference`
    /// is not a peer monitor.
    pub(super) fn peer_down(&mut self, reference: Reference) -> bool {
        let Some(pid) = self
            .peers
            .iter()
            .find(|(_, p)| p.monitor == reference)
            .map(|(pid, _)| *pid)
        else {
            return false;
        };
        let peer = self.peers.remove(&pid).expect("present");
        for (g, pids) in peer.groups {
            self.remote_leave(&g, pids);
        }
        true
    }

    fn remote_join(&self, group: &TermKey, pids: Vec<Pid>) {
        self.add_to_table(group, &pids, false);
        self.notify(Change::Join, group, pids);
    }

    fn remote_leave(&self, group: &TermKey, pids: Vec<Pid>) {
        self.remove_from_table(group, &pids);
        self.notify(Change::Leave, group, pids);
    }

    /// A term from a peer scope. Returns false for a malformed one.
    pub(super) fn peer_term(&mut self, t: &Term) -> bool {
        match t.as_tuple() {
            Some([k, Term::Pid(peer)]) if k.is_atom("discover") => {
                self.discovered(*peer);
                true
            }
            Some([k, cast]) if k.is_atom("$gen_cast") => match cast.as_tuple() {
                Some([s, Term::Pid(peer), groups]) if s.is_atom("sync") => {
                    let Some(list) = groups.as_list() else {
                        return false;
                    };
                    let mut parsed = HashMap::with_capacity(list.len());
                    for e in list {
                        let Some([g, ps]) = e.as_tuple() else {
                            return false;
                        };
                        let Some(ps) = pids_of(ps) else {
                            return false;
                        };
                        parsed.insert(TermKey(g.clone()), ps);
                    }
                    self.sync(*peer, parsed);
                    true
                }
                _ => false,
            },
            Some([k, Term::Pid(peer), group, pids]) if k.is_atom("join") => {
                let Some(pids) = pids_of(pids) else {
                    return false;
                };
                let group = TermKey(group.clone());
                if let Some(p) = self.peers.get_mut(peer) {
                    p.groups
                        .entry(group.clone())
                        .or_default()
                        .extend_from_slice(&pids);
                    self.remote_join(&group, pids);
                }
                true
            }
            Some([k, Term::Pid(peer), pids, groups]) if k.is_atom("leave") => {
                let (Some(pids), Some(groups)) = (pids_of(pids), groups.as_list()) else {
                    return false;
                };
                let groups: Vec<TermKey> = groups.iter().cloned().map(TermKey).collect();
                if let Some(p) = self.peers.get_mut(peer) {
                    for g in &groups {
                        if let Some(v) = p.groups.get_mut(g) {
                            subtract(v, &pids);
                            if v.is_empty() {
                                p.groups.remove(g);
                            }
                        }
                    }
                    for g in &groups {
                        self.remote_leave(g, pids.clone());
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// `{discover, Peer}`: send it our local groups, and discover it back if new.
    fn discovered(&mut self, peer: Pid) {
        let mut mine: HashMap<&TermKey, Vec<Pid>> = HashMap::new();
        for (pid, m) in &self.local {
            for g in &m.groups {
                mine.entry(g).or_default().push(*pid);
            }
        }
        let groups = Term::list(
            mine.into_iter()
                .map(|(g, ps)| Term::tuple([g.0.clone(), pids_term(&ps)])),
        );
        let me = Term::Pid(crate::self_pid());
        let sync = Term::tuple([Term::atom("sync"), me.clone(), groups]);
        let _ = crate::send(peer, Term::tuple([Term::atom("$gen_cast"), sync]));
        if let std::collections::hash_map::Entry::Vacant(e) = self.peers.entry(peer) {
            let monitor = crate::monitor(peer);
            let _ = crate::send(peer, Term::tuple([Term::atom("discover"), me]));
            e.insert(Peer {
                monitor,
                groups: HashMap::new(),
            });
        }
    }

    /// `{sync, Peer, Groups}`: what `Peer` has now replaces what we knew of it.
    fn sync(&mut self, peer: Pid, groups: HashMap<TermKey, Vec<Pid>>) {
        let (monitor, mut old) = match self.peers.remove(&peer) {
            Some(p) => (p.monitor, p.groups),
            None => (crate::monitor(peer), HashMap::new()),
        };
        for (g, pids) in &groups {
            match old.remove(g) {
                Some(o) if o == *pids => {}
                Some(o) => {
                    self.remove_from_table(g, &o);
                    self.add_to_table(g, pids, false);
                }
                None => self.remote_join(g, pids.clone()),
            }
        }
        for (g, pids) in old {
            self.remote_leave(&g, pids);
        }
        self.peers.insert(peer, Peer { monitor, groups });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtract_removes_one_occurrence_each() {
        let p = |n| Pid::new(Node::local(), n, 0, 0);
        let mut v = vec![p(1), p(2), p(1)];
        subtract(&mut v, &[p(1)]);
        assert_eq!(v, vec![p(2), p(1)]);
        assert_eq!(pids_of(&Term::atom("x")), None);
        assert_eq!(
            pids_of(&Term::list([Term::Pid(p(1)), Term::atom("x")])),
            None
        );
        assert_eq!(pids_of(&Term::Pid(p(1))), Some(vec![p(1)]));
    }
}
