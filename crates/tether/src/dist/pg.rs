//! `pg`: process groups, in OTP's own protocol, so that Tether and BEAM members of a
//! scope see each other. Works on a node that is not distributed too (groups are then
//! local).
//!
//! A *scope* is a process registered under the scope's name (OTP's default scope is
//! `pg`; [`start`] any atom) owning a membership table that readers query without
//! asking the process ([`get_members`], [`get_local_members`], [`which_groups`],
//! [`which_local_groups`]). Groups are any terms; a group with no members does not
//! exist; membership is a multiset (join twice, leave twice). Only local pids join
//! (`{nolocal, Pid}` otherwise); a member that exits leaves every group.
//!
//! ## The overlay (OTP 23+'s pg protocol)
//!
//! Same-named scopes on visible nodes form an overlay:
//!
//! - at start, and on each visible nodeup, a scope sends `{discover, Self}` to
//!   `{Scope, Node}`;
//! - on `{discover, Peer}` it casts `{sync, Self, [{Group, LocalPids}]}` to `Peer`,
//!   and if `Peer` is new, monitors it and discovers it back;
//! - on `{sync, Peer, Groups}` (a `$gen_cast`) it replaces what it knew of `Peer`'s
//!   members;
//! - local changes go to every known peer as `{join, Self, Group, Pids}` and
//!   `{leave, Self, Pids, Groups}`; updates from a scope it does not know are ignored;
//! - the DOWN of a peer scope (it exited, or its node went down) removes all of its
//!   members.
//!
//! Monitors (OTP 25.1's `monitor_scope/1`, `monitor/2`) receive
//! `{Ref, join | leave, Group, Pids}` terms.
//!
//! Malformed messages from peers are logged and dropped (OTP's scope would crash on
//! them and lose its local membership).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock, RwLock};

use tether_term::order::OrdTerm;
use tether_term::{Atom, Node, Pid, Reference, Term};
use tokio::sync::oneshot;

use crate::dist::{NodeEvent, NodeKind};
use crate::{Down, Message, SpawnOpts};

#[derive(Default, Debug, Clone)]
struct Members {
    all: Vec<Pid>,
    local: Vec<Pid>,
}

type Table = Arc<RwLock<BTreeMap<OrdTerm, Members>>>;

/// Groups and their members, as `monitor_scope` returns them.
pub type Groups = Vec<(Term, Vec<Pid>)>;

static SCOPES: LazyLock<RwLock<HashMap<Atom, Table>>> = LazyLock::new(Default::default);

fn table(scope: &str) -> Option<Table> {
    SCOPES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&Atom::new(scope))
        .cloned()
}

/// Why a scope could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// A process is already registered under the scope's name.
    AlreadyStarted(Option<Pid>),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::AlreadyStarted(p) => write!(f, "already_started: {p:?}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Why a join or leave failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PgError {
    /// A pid is not local (`{nolocal, Pid}`).
    NoLocal(Pid),
    /// The scope is not running.
    NoScope(Atom),
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgError::NoLocal(p) => write!(f, "{{nolocal, {p}}}"),
            PgError::NoScope(s) => write!(f, "no scope {s}"),
        }
    }
}

impl std::error::Error for PgError {}

/// Requests from the local API.
enum Request {
    Join {
        group: Term,
        pids: Vec<Pid>,
        reply: oneshot::Sender<()>,
    },
    Leave {
        group: Term,
        pids: Vec<Pid>,
        reply: oneshot::Sender<bool>,
    },
    MonitorScope {
        pid: Pid,
        reply: oneshot::Sender<(Reference, Groups)>,
    },
    MonitorGroup {
        pid: Pid,
        group: Term,
        reply: oneshot::Sender<(Reference, Vec<Pid>)>,
    },
    Demonitor {
        reference: Reference,
        reply: oneshot::Sender<bool>,
    },
}

/// Starts scope `scope` (OTP's `pg:start/1`; [`start`]`("pg")` is `pg:start_link/0`'s
/// default scope), unlinked.
///
/// # Panics
///
/// Outside a Tether runtime.
pub fn start(scope: &str) -> Result<Pid, StartError> {
    start_opts(scope, SpawnOpts::new())
}

/// [`start`], linked to the caller.
pub fn start_link(scope: &str) -> Result<Pid, StartError> {
    start_opts(scope, SpawnOpts::new().link())
}

fn start_opts(scope: &str, opts: SpawnOpts) -> Result<Pid, StartError> {
    let name = Atom::new(scope);
    if let Some(p) = crate::whereis(scope) {
        return Err(StartError::AlreadyStarted(Some(p)));
    }
    let t: Table = Arc::default();
    {
        let mut scopes = SCOPES.write().unwrap_or_else(|e| e.into_inner());
        if scopes.contains_key(&name) {
            return Err(StartError::AlreadyStarted(crate::whereis(scope)));
        }
        scopes.insert(name.clone(), t.clone());
    }
    let n2 = name.clone();
    // Registered at spawn, so the scope is usable as soon as this returns.
    let spawned = opts.name(name).spawn(Scope::new(n2, t).run());
    Ok(spawned.pid)
}

async fn request<T>(
    scope: &str,
    make: impl FnOnce(oneshot::Sender<T>) -> Request,
) -> Result<T, PgError> {
    let (tx, rx) = oneshot::channel();
    let none = || PgError::NoScope(Atom::new(scope));
    crate::send(scope, make(tx)).map_err(|_| none())?;
    rx.await.map_err(|_| none())
}

fn ensure_local(pids: &[Pid]) -> Result<(), PgError> {
    match pids.iter().find(|p| !p.node.is_local()) {
        Some(p) => Err(PgError::NoLocal(*p)),
        None => Ok(()),
    }
}

/// `pg:join(Scope, Group, Pids)`: the pids (local ones only) join the group, once
/// more each.
pub async fn join(scope: &str, group: impl Into<Term>, pids: &[Pid]) -> Result<(), PgError> {
    ensure_local(pids)?;
    let (group, pids) = (group.into(), pids.to_vec());
    request(scope, |reply| Request::Join { group, pids, reply }).await
}

/// `pg:leave(Scope, Group, Pids)`: `Ok(true)` (`ok`), `Ok(false)` (`not_joined`: none
/// of the pids was a member).
pub async fn leave(scope: &str, group: impl Into<Term>, pids: &[Pid]) -> Result<bool, PgError> {
    ensure_local(pids)?;
    let (group, pids) = (group.into(), pids.to_vec());
    request(scope, |reply| Request::Leave { group, pids, reply }).await
}

/// `pg:get_members(Scope, Group)`: members on every node of the overlay (a local
/// read; `[]` for an unknown group or scope).
pub fn get_members(scope: &str, group: &Term) -> Vec<Pid> {
    read(scope, group, |m| m.all.clone())
}

/// `pg:get_local_members(Scope, Group)`.
pub fn get_local_members(scope: &str, group: &Term) -> Vec<Pid> {
    read(scope, group, |m| m.local.clone())
}

fn read(scope: &str, group: &Term, f: impl Fn(&Members) -> Vec<Pid>) -> Vec<Pid> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let t = t.read().unwrap_or_else(|e| e.into_inner());
    t.get(&OrdTerm(group.clone())).map(f).unwrap_or_default()
}

/// `pg:which_groups(Scope)`.
pub fn which_groups(scope: &str) -> Vec<Term> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let t = t.read().unwrap_or_else(|e| e.into_inner());
    t.keys().map(|k| k.0.clone()).collect()
}

/// `pg:which_local_groups(Scope)`.
pub fn which_local_groups(scope: &str) -> Vec<Term> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let t = t.read().unwrap_or_else(|e| e.into_inner());
    t.iter()
        .filter(|(_, m)| !m.local.is_empty())
        .map(|(k, _)| k.0.clone())
        .collect()
}

/// `pg:monitor_scope(Scope)`: the current groups, and `{Ref, join | leave, Group,
/// Pids}` terms for every later change, until [`demonitor`] or the caller exits.
///
/// # Panics
///
/// Outside a process.
pub async fn monitor_scope(scope: &str) -> Result<(Reference, Groups), PgError> {
    let pid = crate::self_pid();
    request(scope, |reply| Request::MonitorScope { pid, reply }).await
}

/// `pg:monitor(Scope, Group)`: the group's members, then its changes.
pub async fn monitor(
    scope: &str,
    group: impl Into<Term>,
) -> Result<(Reference, Vec<Pid>), PgError> {
    let (pid, group) = (crate::self_pid(), group.into());
    request(scope, |reply| Request::MonitorGroup { pid, group, reply }).await
}

/// `pg:demonitor(Scope, Ref)`: `true` (`ok`) and pending notifications flushed, or
/// `false` for an unknown reference.
pub async fn demonitor(scope: &str, reference: Reference) -> bool {
    let ok = request(scope, |reply| Request::Demonitor { reference, reply })
        .await
        .unwrap_or(false);
    if ok {
        while crate::receive_select_timeout(std::time::Duration::ZERO, |m: &Message| {
            matches!(m.downcast_ref::<Term>().and_then(Term::as_tuple),
                Some([Term::Ref(r), verb, _, _]) if *r == reference && (verb.is_atom("join") || verb.is_atom("leave")))
        })
        .await
        .is_some()
        {}
    }
    ok
}

/// `Pids -- Remove`: removes one occurrence per element of `remove`.
fn subtract(from: &[Pid], remove: &[Pid]) -> Vec<Pid> {
    let mut out = from.to_vec();
    for r in remove {
        if let Some(i) = out.iter().position(|p| p == r) {
            out.remove(i);
        }
    }
    out
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

fn pids_term(pids: &[Pid]) -> Term {
    Term::list(pids.iter().map(|p| Term::Pid(*p)))
}

struct Scope {
    name: Atom,
    table: Table,
    local: HashMap<Pid, (Reference, Vec<Term>)>,
    remote: HashMap<Pid, (Reference, BTreeMap<OrdTerm, Vec<Pid>>)>,
    scope_monitors: HashMap<Reference, Pid>,
    group_monitors: HashMap<Reference, (Pid, Term)>,
    monitored_groups: BTreeMap<OrdTerm, Vec<(Pid, Reference)>>,
}

/// Removes the scope's table when the scope process ends, however it ends.
struct TableGuard(Atom, Table);

impl Drop for TableGuard {
    fn drop(&mut self) {
        let mut s = SCOPES.write().unwrap_or_else(|e| e.into_inner());
        if s.get(&self.0).is_some_and(|t| Arc::ptr_eq(t, &self.1)) {
            s.remove(&self.0);
        }
    }
}

impl Scope {
    fn new(name: Atom, table: Table) -> Scope {
        Scope {
            name,
            table,
            local: HashMap::new(),
            remote: HashMap::new(),
            scope_monitors: HashMap::new(),
            group_monitors: HashMap::new(),
            monitored_groups: BTreeMap::new(),
        }
    }

    async fn run(mut self) {
        let _guard = TableGuard(self.name.clone(), self.table.clone());
        if crate::dist::monitor_nodes(true, false).is_ok() {
            for n in crate::dist::nodes(NodeKind::Visible) {
                self.discover(n);
            }
        }
        loop {
            let m = crate::receive_any().await;
            self.handle(m);
        }
    }

    fn discover(&self, node: Node) {
        let msg = Term::tuple([Term::atom("discover"), Term::Pid(crate::self_pid())]);
        let _ = crate::send((self.name.clone(), node), msg);
    }

    fn broadcast(&self, msg: Term) {
        for peer in self.remote.keys() {
            let _ = crate::send(*peer, msg.clone());
        }
    }

    fn handle(&mut self, m: Message) {
        let m = match m.downcast::<Request>() {
            Ok(r) => return self.request(r),
            Err(m) => m,
        };
        let m = match m.downcast::<NodeEvent>() {
            Ok(NodeEvent::Up(n)) => return self.discover(n),
            Ok(NodeEvent::Down(_)) => return,
            Err(m) => m,
        };
        let m = match m.downcast::<Down>() {
            Ok(d) => return self.down(d),
            Err(m) => m,
        };
        match m.downcast::<Term>() {
            Ok(t) => {
                if !self.term(&t) {
                    tracing::warn!(scope = %self.name, msg = %t, "pg: malformed or unexpected message dropped");
                }
            }
            Err(m) => {
                tracing::warn!(scope = %self.name, msg = ?m, "pg: unexpected message dropped")
            }
        }
    }

    fn request(&mut self, r: Request) {
        match r {
            Request::Join { group, pids, reply } => {
                for p in &pids {
                    match self.local.get_mut(p) {
                        Some((_, groups)) => groups.insert(0, group.clone()),
                        None => {
                            let mref = crate::monitor(*p);
                            self.local.insert(*p, (mref, vec![group.clone()]));
                        }
                    }
                }
                self.update(&group, |m| {
                    m.all.splice(0..0, pids.iter().copied());
                    m.local.splice(0..0, pids.iter().copied());
                });
                self.notify(&group, "join", &pids);
                self.broadcast(Term::tuple([
                    Term::atom("join"),
                    Term::Pid(crate::self_pid()),
                    group,
                    pids_term(&pids),
                ]));
                let _ = reply.send(());
            }
            Request::Leave { group, pids, reply } => {
                let mut changed = false;
                for p in &pids {
                    let Some((mref, groups)) = self.local.get_mut(p) else {
                        continue;
                    };
                    let Some(i) = groups.iter().position(|g| g.exact_eq(&group)) else {
                        continue;
                    };
                    changed = true;
                    groups.remove(i);
                    if groups.is_empty() {
                        crate::demonitor(*mref);
                        self.local.remove(p);
                    }
                }
                if changed {
                    self.leave_local_update(&group, &pids);
                    self.broadcast(Term::tuple([
                        Term::atom("leave"),
                        Term::Pid(crate::self_pid()),
                        pids_term(&pids),
                        Term::list([group]),
                    ]));
                }
                let _ = reply.send(changed);
            }
            Request::MonitorScope { pid, reply } => {
                let groups = {
                    let t = self.table.read().unwrap_or_else(|e| e.into_inner());
                    t.iter()
                        .map(|(k, m)| (k.0.clone(), m.all.clone()))
                        .collect()
                };
                let mref = crate::monitor(pid);
                self.scope_monitors.insert(mref, pid);
                let _ = reply.send((mref, groups));
            }
            Request::MonitorGroup { pid, group, reply } => {
                let members = get_members(self.name.as_str(), &group);
                let mref = crate::monitor(pid);
                self.monitored_groups
                    .entry(OrdTerm(group.clone()))
                    .or_default()
                    .insert(0, (pid, mref));
                self.group_monitors.insert(mref, (pid, group));
                let _ = reply.send((mref, members));
            }
            Request::Demonitor { reference, reply } => {
                let known = self.scope_monitors.contains_key(&reference)
                    || self.group_monitors.contains_key(&reference);
                if known {
                    crate::demonitor(reference);
                    self.drop_monitor(reference);
                }
                let _ = reply.send(known);
            }
        }
    }

    fn update(&self, group: &Term, f: impl FnOnce(&mut Members)) {
        let mut t = self.table.write().unwrap_or_else(|e| e.into_inner());
        let key = OrdTerm(group.clone());
        let m = t.entry(key.clone()).or_default();
        f(m);
        if m.all.is_empty() && m.local.is_empty() {
            t.remove(&key);
        }
    }

    fn leave_local_update(&self, group: &Term, pids: &[Pid]) {
        let exists = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&OrdTerm(group.clone()));
        if !exists {
            return;
        }
        self.update(group, |m| {
            m.all = subtract(&m.all, pids);
            m.local = if m.all.is_empty() {
                Vec::new()
            } else {
                subtract(&m.local, pids)
            };
        });
        self.notify(group, "leave", pids);
    }

    fn leave_remote_update(&self, pids: &[Pid], groups: &[Term]) {
        for g in groups {
            let exists = self
                .table
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(&OrdTerm(g.clone()));
            if !exists {
                continue;
            }
            self.update(g, |m| m.all = subtract(&m.all, pids));
            self.notify(g, "leave", pids);
        }
    }

    fn join_remote_update(&self, group: &Term, pids: &[Pid]) {
        self.update(group, |m| {
            m.all.splice(0..0, pids.iter().copied());
        });
        self.notify(group, "join", pids);
    }

    fn notify(&self, group: &Term, verb: &str, pids: &[Pid]) {
        let msg = |r: Reference| {
            Term::tuple([
                Term::Ref(r),
                Term::atom(verb),
                group.clone(),
                pids_term(pids),
            ])
        };
        for (r, p) in &self.scope_monitors {
            let _ = crate::send(*p, msg(*r));
        }
        if let Some(list) = self.monitored_groups.get(&OrdTerm(group.clone())) {
            for (p, r) in list {
                let _ = crate::send(*p, msg(*r));
            }
        }
    }

    fn drop_monitor(&mut self, r: Reference) {
        if self.scope_monitors.remove(&r).is_some() {
            return;
        }
        if let Some((p, g)) = self.group_monitors.remove(&r) {
            let key = OrdTerm(g);
            if let Some(list) = self.monitored_groups.get_mut(&key) {
                list.retain(|(q, s)| !(*q == p && *s == r));
                if list.is_empty() {
                    self.monitored_groups.remove(&key);
                }
            }
        }
    }

    fn down(&mut self, d: Down) {
        let pid = match d.object {
            crate::Monitored::Pid(p) => p,
            _ => return self.drop_monitor(d.reference),
        };
        if let Some((mref, groups)) = self.local.get(&pid).cloned()
            && mref == d.reference
        {
            self.local.remove(&pid);
            for g in &groups {
                self.leave_local_update(g, &[pid]);
            }
            self.broadcast(Term::tuple([
                Term::atom("leave"),
                Term::Pid(crate::self_pid()),
                Term::Pid(pid),
                Term::list(groups),
            ]));
            return;
        }
        if let Some((mref, _)) = self.remote.get(&pid)
            && *mref == d.reference
        {
            let (_, groups) = self.remote.remove(&pid).expect("present");
            for (g, pids) in groups {
                self.leave_remote_update(&pids, &[g.0]);
            }
            return;
        }
        self.drop_monitor(d.reference);
    }

    /// A term from a peer scope. Returns false for a malformed one.
    fn term(&mut self, t: &Term) -> bool {
        match t.as_tuple() {
            Some([k, Term::Pid(peer)]) if k.is_atom("discover") => {
                let mine: Vec<(Term, Vec<Pid>)> = {
                    let mut by_group: BTreeMap<OrdTerm, Vec<Pid>> = BTreeMap::new();
                    for (p, (_, groups)) in &self.local {
                        for g in groups {
                            by_group
                                .entry(OrdTerm(g.clone()))
                                .or_default()
                                .insert(0, *p);
                        }
                    }
                    by_group.into_iter().map(|(g, ps)| (g.0, ps)).collect()
                };
                let groups = Term::list(
                    mine.into_iter()
                        .map(|(g, ps)| Term::tuple([g, pids_term(&ps)])),
                );
                let sync = Term::tuple([Term::atom("sync"), Term::Pid(crate::self_pid()), groups]);
                let _ = crate::send(*peer, Term::tuple([Term::atom("$gen_cast"), sync]));
                if !self.remote.contains_key(peer) {
                    let mref = crate::monitor(*peer);
                    let _ = crate::send(
                        *peer,
                        Term::tuple([Term::atom("discover"), Term::Pid(crate::self_pid())]),
                    );
                    self.remote.insert(*peer, (mref, BTreeMap::new()));
                }
                true
            }
            Some([k, cast]) if k.is_atom("$gen_cast") => match cast.as_tuple() {
                Some([s, Term::Pid(peer), groups]) if s.is_atom("sync") => {
                    let Some(list) = groups.as_list() else {
                        return false;
                    };
                    let mut parsed = Vec::with_capacity(list.len());
                    for e in list {
                        match e.as_tuple() {
                            Some([g, ps]) => match pids_of(ps) {
                                Some(ps) => parsed.push((g.clone(), ps)),
                                None => return false,
                            },
                            _ => return false,
                        }
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
                if let Some((_, groups)) = self.remote.get_mut(peer) {
                    groups
                        .entry(OrdTerm(group.clone()))
                        .or_default()
                        .splice(0..0, pids.iter().copied());
                    self.join_remote_update(group, &pids);
                }
                true
            }
            Some([k, Term::Pid(peer), pids, groups]) if k.is_atom("leave") => {
                let Some(pids) = pids_of(pids) else {
                    return false;
                };
                let Some(groups) = groups.as_list() else {
                    return false;
                };
                let groups = groups.to_vec();
                if let Some((_, map)) = self.remote.get_mut(peer) {
                    for g in &groups {
                        let key = OrdTerm(g.clone());
                        if let Some(v) = map.get_mut(&key) {
                            *v = subtract(v, &pids);
                            if v.is_empty() {
                                map.remove(&key);
                            }
                        }
                    }
                    self.leave_remote_update(&pids, &groups);
                }
                true
            }
            _ => false,
        }
    }

    fn sync(&mut self, peer: Pid, groups: Vec<(Term, Vec<Pid>)>) {
        let (mref, mut old) = match self.remote.remove(&peer) {
            Some(x) => x,
            None => (crate::monitor(peer), BTreeMap::new()),
        };
        for (g, pids) in &groups {
            match old.remove(&OrdTerm(g.clone())) {
                Some(o) if o == *pids => {}
                Some(o) => self.update(g, |m| {
                    let mut all = pids.clone();
                    all.extend(subtract(&m.all, &o));
                    m.all = all;
                }),
                None => self.join_remote_update(g, pids),
            }
        }
        for (g, pids) in old {
            self.leave_remote_update(&pids, &[g.0]);
        }
        let map = groups.into_iter().map(|(g, p)| (OrdTerm(g), p)).collect();
        self.remote.insert(peer, (mref, map));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtract_removes_one_occurrence_each() {
        let p = |n| Pid::new(Node::local(), n, 0, 0);
        assert_eq!(subtract(&[p(1), p(2), p(1)], &[p(1)]), vec![p(2), p(1)]);
        assert_eq!(subtract(&[p(1)], &[p(3)]), vec![p(1)]);
        assert_eq!(pids_of(&Term::atom("x")), None);
        assert_eq!(
            pids_of(&Term::list([Term::Pid(p(1)), Term::atom("x")])),
            None
        );
        assert_eq!(pids_of(&Term::Pid(p(1))), Some(vec![p(1)]));
    }
}
