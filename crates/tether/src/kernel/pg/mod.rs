//! Process groups (OTP 23+ `pg`, docs/semantics.md §8.1), local scopes.
//!
//! A **scope** is a process registered under the scope's name (default `pg`) plus a
//! shared table of the same name. Processes join and leave named groups through the
//! scope process (so every change is ordered, monitored and announced), while
//! [`get_members`], [`get_local_members`] and [`which_groups`] read the table
//! directly — a read lock, no message — just as pg reads its ETS table.
//!
//! ```text
//!   join/leave/monitor ──call──▶ scope process ──writes──▶ ScopeTable (RwLock)
//!                                 │ monitors members        ▲
//!                                 │ and subscribers         │ get_members (read)
//!                                 ▼                         │
//!                   {Ref, join|leave, Group, Pids} ──▶ subscribers
//! ```
//!
//! Membership is a multiset (PG3): joining twice puts the pid in the group twice,
//! and each leave removes one occurrence per pid listed. A member that exits is
//! removed from every group (PG4). Empty groups do not exist (PG5). Group names are
//! any terms, told apart by `=:=` as ETS keys are ([`TermKey`]): `1` and `1.0` are
//! two groups, and a map names one group whatever the order of its pairs.
//!
//! **Local and across nodes, one implementation.** As OTP's `pg` is a kernel module
//! that works on a lone node and in a cluster, so is this one. Each table entry keeps
//! `all` members and `local` members; the scope keeps its local members (with their
//! monitors) apart from its *peers* — same-named scopes on other visible nodes, Tether
//! or BEAM — and the members they announced. The peer protocol of OTP 23+ lives in
//! `sync.rs`: `{discover, Scope}` on start and on each visible nodeup
//! (dist calls this module's nodeup hook), `$gen_cast` `{sync, Scope, Groups}`
//! replies, `{join, ..}`/`{leave, ..}` broadcasts, and dropping a peer's members on
//! its DOWN (PG8). On a node that is not distributed there are simply no peers.
//!
//! Rust values a scope does not understand crash it with `badarg`, as in
//! `pg_SUITE:errors`; malformed *terms* from peers are logged and dropped instead, so
//! a remote node cannot take a scope (and its local membership) down.
//!
//! ```
//! use tether::{kernel::pg, Term};
//! tether::Runtime::new().unwrap().block_on(async {
//!     pg::start_link_scope("doc_scope").await.unwrap();
//!     let me = tether::self_pid();
//!     pg::join("doc_scope", Term::atom("g"), &[me, me]).await.unwrap();
//!     assert_eq!(pg::get_members("doc_scope", &Term::atom("g")), vec![me, me]);
//!     pg::leave("doc_scope", Term::atom("g"), &[me]).await.unwrap();
//!     assert_eq!(pg::get_members("doc_scope", &Term::atom("g")), vec![me]);
//! });
//! ```

mod scope;
mod sync;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use tether_term::{Atom, Pid, Reference, Term};

use self::scope::Scope;
use crate::Dest;
use crate::Message;
use crate::kernel::NameTerm;
use crate::otp::call::{ReplyTo, call};
use crate::otp::server_ref::StartName;
use crate::otp::start::{self, Started};
use crate::otp::{CallError, TermKey};

pub use crate::otp::supervisor::SupervisorStartError;

/// The default scope's name.
pub const DEFAULT_SCOPE: &str = "pg";

/// Why a pg call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum PgError {
    /// Only local processes can join or leave (`{nolocal, Pid}`).
    NoLocal(Pid),
    /// The scope is not running, or died during the call.
    Call(CallError),
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgError::NoLocal(p) => write!(f, "{p} is not a local process"),
            PgError::Call(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PgError {}

impl From<CallError> for PgError {
    fn from(e: CallError) -> PgError {
        PgError::Call(e)
    }
}

/// What [`leave`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leave {
    /// At least one of the pids left the group (`ok`).
    Left,
    /// None of them was a member (`not_joined`).
    NotJoined,
}

/// Join or leave, in a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Pids joined the group.
    Join,
    /// Pids left it (or exited).
    Leave,
}

/// A monitor notification: `{Ref, join | leave, Group, Pids}` (PG7).
#[derive(Clone, Debug, PartialEq)]
pub struct PgEvent {
    /// The monitor's reference.
    pub reference: Reference,
    /// Join or leave.
    pub change: Change,
    /// The group.
    pub group: Term,
    /// The pids that joined or left.
    pub pids: Vec<Pid>,
}

#[derive(Default)]
pub(crate) struct Group {
    pub(crate) all: Vec<Pid>,
    pub(crate) local: Vec<Pid>,
}

/// The table of one scope: what readers see.
pub(crate) struct ScopeTable {
    pub(crate) pid: Pid,
    pub(crate) groups: RwLock<HashMap<TermKey, Group>>,
}

/// The runtime's pg scopes (a runtime service): each scope's table.
#[derive(Default)]
pub(crate) struct Scopes {
    pub(crate) tables: RwLock<HashMap<Atom, Arc<ScopeTable>>>,
}

pub(crate) fn scopes() -> Arc<Scopes> {
    crate::runtime::state::service::<Scopes>()
}

/// The live scope's table (a dead scope's table is ignored, as its ETS would be gone).
fn table(scope: &str) -> Option<Arc<ScopeTable>> {
    let t = scopes()
        .tables
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(scope)
        .cloned()?;
    (crate::whereis(scope) == Some(t.pid)).then_some(t)
}

/// Groups and their members, as [`monitor_scope`] returns them.
pub type Groups = Vec<(Term, Vec<Pid>)>;

/// Messages the scope process handles (peers talk to it in terms, see `sync.rs`).
pub(crate) enum ScopeMsg {
    Join(TermKey, Vec<Pid>, ReplyTo<()>),
    Leave(TermKey, Vec<Pid>, ReplyTo<Leave>),
    MonitorScope(Pid, ReplyTo<(Reference, Groups)>),
    MonitorGroup(Pid, TermKey, ReplyTo<(Reference, Vec<Pid>)>),
    Demonitor(Reference, ReplyTo<bool>),
}

/// Starts the default scope `pg`, linked to the caller.
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// let scope = pg::start_link().await.unwrap();
/// assert_eq!(tether::whereis("pg"), Some(scope));
/// pg::join("pg", "workers", &[tether::self_pid()]).await.unwrap();
/// assert_eq!(pg::get_members("pg", "workers"), [tether::self_pid()]);
/// # });
/// ```
pub async fn start_link() -> Result<Pid, SupervisorStartError> {
    start_link_scope(DEFAULT_SCOPE).await
}

/// Starts a scope, registered under `scope`, linked to the caller (`pg:start_link/1`).
/// A second scope with the same name gives [`SupervisorStartError::AlreadyStarted`].
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::otp::supervisor::SupervisorStartError;
/// let scope = pg::start_link_scope("rooms").await.unwrap();
/// assert_eq!(tether::whereis("rooms"), Some(scope));
/// let again = pg::start_link_scope("rooms").await;
/// assert_eq!(again, Err(SupervisorStartError::AlreadyStarted(scope)));
/// # });
/// ```
pub async fn start_link_scope(scope: impl Into<Atom>) -> Result<Pid, SupervisorStartError> {
    let scope = scope.into();
    let name = Some(StartName::Local(scope.clone()));
    let scope_name = scope.clone();
    let started = start::start_link(
        name,
        move |ack: start::Ack<SupervisorStartError>| async move {
            crate::trap_exit(false); // pg scopes do not trap exits
            let table = Arc::new(ScopeTable {
                pid: crate::self_pid(),
                groups: RwLock::default(),
            });
            scopes()
                .tables
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(scope, table.clone());
            ack.ok();
            Scope::new(scope_name, table).serve().await
        },
    )
    .await;
    match started {
        Started::Ok(pid) => Ok(pid),
        Started::Failed(e) => Err(e),
        Started::Name(e) => Err(SupervisorStartError::from_name(e)),
        Started::Died(r) => Err(SupervisorStartError::Init(r)),
    }
}

/// Starts a scope registered under `scope`, not linked to the caller (`pg:start/1`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// let scope = pg::start("standalone").await.unwrap();
/// assert_eq!(tether::whereis("standalone"), Some(scope));
/// // Not linked: the caller's links do not hold the scope.
/// assert!(!tether::process_info(tether::self_pid()).unwrap().links.contains(&scope));
/// # });
/// ```
pub async fn start(scope: impl Into<Atom>) -> Result<Pid, SupervisorStartError> {
    let pid = start_link_scope(scope).await?;
    crate::unlink(pid);
    Ok(pid)
}

fn check_local(pids: &[Pid]) -> Result<(), PgError> {
    match pids.iter().find(|p| !p.is_local()) {
        Some(p) => Err(PgError::NoLocal(*p)),
        None => Ok(()),
    }
}

/// Adds `pids` to `group` in `scope` (`pg:join/3`); joining twice means two entries
/// (PG3). Only local pids (PG2); dead ones are removed again at once.
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "lobby", &[me]).await.unwrap();
/// pg::join("chat", "lobby", &[me]).await.unwrap(); // twice: two entries
/// assert_eq!(pg::get_members("chat", "lobby"), [me, me]);
/// # });
/// ```
pub async fn join(scope: &str, group: impl NameTerm, pids: &[Pid]) -> Result<(), PgError> {
    check_local(pids)?;
    let (group, pids) = (TermKey(group.name_term()), pids.to_vec());
    Ok(call(&Dest::from(scope), |r| ScopeMsg::Join(group, pids, r), None).await?)
}

/// Removes one occurrence of each of `pids` from `group` (`pg:leave/3`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "lobby", &[me]).await.unwrap();
/// assert_eq!(pg::leave("chat", "lobby", &[me]).await.unwrap(), pg::Leave::Left);
/// assert_eq!(pg::leave("chat", "lobby", &[me]).await.unwrap(), pg::Leave::NotJoined);
/// assert!(pg::get_members("chat", "lobby").is_empty());
/// # });
/// ```
pub async fn leave(scope: &str, group: impl NameTerm, pids: &[Pid]) -> Result<Leave, PgError> {
    check_local(pids)?;
    let (group, pids) = (TermKey(group.name_term()), pids.to_vec());
    Ok(call(
        &Dest::from(scope),
        |r| ScopeMsg::Leave(group, pids, r),
        None,
    )
    .await?)
}

/// All members of `group`, with repeats, in no guaranteed order; `[]` for an
/// unknown group or scope (PG5, PG6). Reads the table; no message.
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// let other = tether::spawn(std::future::pending());
/// pg::join("chat", "lobby", &[me, other]).await.unwrap();
/// let members = pg::get_members("chat", "lobby");
/// assert_eq!(members.len(), 2);
/// assert!(members.contains(&me) && members.contains(&other));
/// assert!(pg::get_members("chat", "nobody_here").is_empty());
/// # });
/// ```
pub fn get_members(scope: &str, group: impl NameTerm) -> Vec<Pid> {
    read_group(scope, &group.name_term(), |g| g.all.clone())
}

/// The members of `group` on this node.
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "lobby", &[me]).await.unwrap();
/// // Without other nodes, all members are local.
/// assert_eq!(pg::get_local_members("chat", "lobby"), pg::get_members("chat", "lobby"));
/// # });
/// ```
pub fn get_local_members(scope: &str, group: impl NameTerm) -> Vec<Pid> {
    read_group(scope, &group.name_term(), |g| g.local.clone())
}

fn read_group(scope: &str, group: &Term, f: impl Fn(&Group) -> Vec<Pid>) -> Vec<Pid> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let groups = t.groups.read().unwrap_or_else(|e| e.into_inner());
    groups
        .get(&TermKey(group.clone()))
        .map(f)
        .unwrap_or_default()
}

/// The groups with members (`pg:which_groups/1`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "a", &[me]).await.unwrap();
/// pg::join("chat", Term::tuple([Term::atom("room"), Term::from(1)]), &[me]).await.unwrap();
/// let groups = pg::which_groups("chat");
/// assert_eq!(groups.len(), 2);
/// assert!(groups.contains(&Term::atom("a")));
/// # });
/// ```
pub fn which_groups(scope: &str) -> Vec<Term> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let groups = t.groups.read().unwrap_or_else(|e| e.into_inner());
    groups.keys().map(|k| k.0.clone()).collect()
}

/// The groups with local members (`pg:which_local_groups/1`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "a", &[me]).await.unwrap();
/// assert_eq!(pg::which_local_groups("chat"), [Term::atom("a")]);
/// # });
/// ```
pub fn which_local_groups(scope: &str) -> Vec<Term> {
    let Some(t) = table(scope) else {
        return Vec::new();
    };
    let groups = t.groups.read().unwrap_or_else(|e| e.into_inner());
    groups
        .iter()
        .filter(|(_, g)| !g.local.is_empty())
        .map(|(k, _)| k.0.clone())
        .collect()
}

/// Subscribes the caller to every join and leave in `scope`; returns the reference
/// of the [`PgEvent`]s to come and the current groups (`pg:monitor_scope/1`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// pg::join("chat", "a", &[me]).await.unwrap();
/// let (r, groups) = pg::monitor_scope("chat").await.unwrap();
/// assert_eq!(groups, vec![(Term::atom("a"), vec![me])]);
/// pg::join("chat", "b", &[me]).await.unwrap();
/// let ev: pg::PgEvent = tether::receive().await;
/// assert_eq!((ev.reference, ev.change, ev.group), (r, pg::Change::Join, Term::atom("b")));
/// # });
/// ```
pub async fn monitor_scope(scope: &str) -> Result<(Reference, Groups), PgError> {
    let me = crate::self_pid();
    Ok(call(&Dest::from(scope), |r| ScopeMsg::MonitorScope(me, r), None).await?)
}

/// Subscribes the caller to joins and leaves of `group`; returns the reference and
/// the current members (`pg:monitor/2`).
///
/// ```
/// use tether::{kernel::pg, Term};
/// tether::Runtime::new().unwrap().block_on(async {
///     pg::start_link_scope("doc_monitor").await.unwrap();
///     let (r, members) = pg::monitor("doc_monitor", Term::atom("g")).await.unwrap();
///     assert!(members.is_empty());
///     pg::join("doc_monitor", Term::atom("g"), &[tether::self_pid()]).await.unwrap();
///     let ev: pg::PgEvent = tether::receive().await;
///     assert_eq!((ev.reference, ev.change), (r, pg::Change::Join));
/// });
/// ```
pub async fn monitor(scope: &str, group: impl NameTerm) -> Result<(Reference, Vec<Pid>), PgError> {
    let me = crate::self_pid();
    let group = TermKey(group.name_term());
    Ok(call(
        &Dest::from(scope),
        |r| ScopeMsg::MonitorGroup(me, group, r),
        None,
    )
    .await?)
}

/// Cancels a [`monitor`] or [`monitor_scope`] and drops its pending notifications
/// from the caller's mailbox; `false` if the reference is unknown (`pg:demonitor/2`).
///
/// ```
/// # use tether::{kernel::pg, Term};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # pg::start_link_scope("chat").await.unwrap();
/// let me = tether::self_pid();
/// let (r, _) = pg::monitor_scope("chat").await.unwrap();
/// pg::join("chat", "a", &[me]).await.unwrap(); // an event is on its way
/// assert!(pg::demonitor("chat", r).await.unwrap());
/// // ... and was dropped from the mailbox with the subscription.
/// let none = tether::receive_timeout::<pg::PgEvent>(std::time::Duration::from_millis(20)).await;
/// assert!(none.is_none());
/// assert!(!pg::demonitor("chat", r).await.unwrap());
/// # });
/// ```
pub async fn demonitor(scope: &str, reference: Reference) -> Result<bool, PgError> {
    let found = call(
        &Dest::from(scope),
        |r| ScopeMsg::Demonitor(reference, r),
        None,
    )
    .await?;
    let ours = move |m: &Message| {
        m.downcast_ref::<PgEvent>()
            .is_some_and(|e| e.reference == reference)
    };
    while crate::receive_select_timeout(std::time::Duration::ZERO, ours)
        .await
        .is_some()
    {}
    Ok(found)
}
