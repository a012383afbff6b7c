//! Behaviour tests for `pg` (local scopes): docs/semantics.md §8.1, cases of §8.3.
//!
//! Ported from OTP's `lib/kernel/test/pg_SUITE.erl` (cases `pg`, `single`,
//! `process_owner_check`, `leave_exit_race`, `errors`) and the monitor behaviour of
//! `lib/kernel/src/pg.erl` (§8.3 case 7). The cross-node cases (§8.3 case 5) come
//! with distribution. Each test names its source case.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{reordered_maps, run, wait_forever};
use tether::kernel::pg::{self, Change, Leave, PgError, PgEvent};
use tether::otp::supervisor::SupervisorStartError;
use tether::{Down, ExitReason, Node, Pid, Term, receive, receive_select};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Starts a scope with a fresh name.
async fn scope() -> &'static str {
    let name: &'static str =
        format!("pg_test_scope_{}", NEXT.fetch_add(1, Ordering::Relaxed)).leak();
    pg::start_link_scope(name).await.unwrap();
    name
}

async fn down(mref: tether::Reference) -> ExitReason {
    let m = receive_select(move |m| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    });
    m.await.downcast::<Down>().unwrap().reason
}

fn g(name: &str) -> Term {
    Term::atom(name)
}

fn sorted(mut v: Vec<Term>) -> Vec<Term> {
    v.sort_by_key(|t| format!("{t:?}"));
    v
}

/// §8.3 case 1, `pg_SUITE:pg`: join self, read back, leave ⇒ everything empty.
#[test]
fn pg() {
    run(async {
        let s = scope().await;
        let me = tether::self_pid();
        pg::join(s, g("group"), &[me]).await.unwrap();
        assert_eq!(pg::get_members(s, g("group")), vec![me]);
        assert_eq!(pg::get_local_members(s, g("group")), vec![me]);
        assert_eq!(pg::which_groups(s), vec![g("group")]);
        assert_eq!(pg::which_local_groups(s), vec![g("group")]);
        assert_eq!(pg::leave(s, g("group"), &[me]).await, Ok(Leave::Left));
        assert_eq!(pg::get_members(s, g("group")), Vec::<Pid>::new());
        assert_eq!(pg::which_groups(s), Vec::<Term>::new());
        assert_eq!(pg::which_local_groups(s), Vec::<Term>::new());
    })
}

/// §8.3 case 2, `pg_SUITE:single`: the multiset rules, `not_joined`, and removal
/// of an exited member.
#[test]
fn single() {
    run(async {
        let s = scope().await;
        let me = tether::self_pid();
        pg::join(s, g("group"), &[me]).await.unwrap();
        pg::join(s, g("group"), &[me, me]).await.unwrap();
        assert_eq!(pg::get_members(s, g("group")), vec![me, me, me]);
        assert_eq!(
            pg::leave(s, g("missing"), &[me]).await,
            Ok(Leave::NotJoined)
        );
        assert_eq!(pg::leave(s, g("group"), &[me, me]).await, Ok(Leave::Left));
        assert_eq!(pg::get_members(s, g("group")), vec![me]);
        assert_eq!(pg::leave(s, g("group"), &[me]).await, Ok(Leave::Left));
        assert_eq!(pg::which_groups(s), Vec::<Term>::new());
        // A joined process that exits is removed, from every group.
        let (p, mref) = tether::spawn_monitor(wait_forever());
        pg::join(s, g("a"), &[p, p]).await.unwrap();
        pg::join(s, g("b"), &[p]).await.unwrap();
        assert_eq!(sorted(pg::which_groups(s)), vec![g("a"), g("b")]);
        tether::exit(p, ExitReason::Kill);
        down(mref).await;
        // A call orders us after the scope handled the DOWN.
        let _ = pg::monitor_scope(s).await.unwrap();
        assert_eq!(pg::get_members(s, g("a")), Vec::<Pid>::new());
        assert_eq!(pg::which_groups(s), Vec::<Term>::new());
    })
}

/// §8.3 case 3, `pg_SUITE:process_owner_check`: only local pids may join.
#[test]
fn process_owner_check() {
    run(async {
        let s = scope().await;
        let remote = Pid::new(Node::intern("elsewhere@host").unwrap(), 1, 0, 1);
        let me = tether::self_pid();
        assert_eq!(
            pg::join(s, g("g"), &[remote]).await,
            Err(PgError::NoLocal(remote))
        );
        assert_eq!(
            pg::join(s, g("g"), &[me, remote]).await,
            Err(PgError::NoLocal(remote))
        );
        assert_eq!(
            pg::leave(s, g("g"), &[remote]).await,
            Err(PgError::NoLocal(remote))
        );
        assert_eq!(pg::get_members(s, g("g")), Vec::<Pid>::new());
    })
}

/// §8.3 case 4, `pg_SUITE:leave_exit_race`: joining and leaving with pids that are
/// already dead does not crash the scope.
#[test]
fn leave_exit_race() {
    run(async {
        let s = scope().await;
        let scope_pid = tether::whereis(s).unwrap();
        for _ in 0..50 {
            let (p, mref) = tether::spawn_monitor(async {});
            down(mref).await;
            pg::join(s, g("g"), &[p]).await.unwrap();
            let _ = pg::leave(s, g("g"), &[p]).await.unwrap();
        }
        let (p, mref) = tether::spawn_monitor(async {});
        down(mref).await;
        pg::join(s, g("dead"), &[p]).await.unwrap();
        let _ = pg::monitor_scope(s).await.unwrap(); // DOWN noproc handled by now
        assert_eq!(pg::get_members(s, g("dead")), Vec::<Pid>::new());
        assert!(tether::is_alive(scope_pid));
    })
}

/// §8.3 case 6, `pg_SUITE:errors`: an unknown message crashes the scope with
/// `badarg`; reads of a dead or unknown scope are empty (PG5).
#[test]
fn errors() {
    run(async {
        tether::trap_exit(true);
        let s = scope().await;
        let me = tether::self_pid();
        pg::join(s, g("g"), &[me]).await.unwrap();
        let scope_pid = tether::whereis(s).unwrap();
        let mref = tether::monitor(scope_pid);
        tether::send(scope_pid, "garbage").unwrap();
        assert_eq!(down(mref).await, ExitReason::from("badarg"));
        assert_eq!(pg::get_members(s, g("g")), Vec::<Pid>::new());
        assert_eq!(pg::which_groups("never_started_scope"), Vec::<Term>::new());
        assert!(matches!(
            pg::join("never_started_scope", g("g"), &[me]).await,
            Err(PgError::Call(_))
        ));
    })
}

/// §8.3 case 7, pg monitors (derived from `pg.erl`): `monitor(S, g)` ⇒ `{Ref, []}`;
/// join ⇒ a join event; exit ⇒ a leave event; after `demonitor`, nothing.
#[test]
fn monitor_group() {
    run(async {
        let s = scope().await;
        let (r, members) = pg::monitor(s, g("g")).await.unwrap();
        assert_eq!(members, Vec::<Pid>::new());
        let (p, mref) = tether::spawn_monitor(wait_forever());
        pg::join(s, g("g"), &[p]).await.unwrap();
        pg::join(s, g("other"), &[p]).await.unwrap(); // not announced to this monitor
        let ev: PgEvent = receive().await;
        assert_eq!(
            ev,
            PgEvent {
                reference: r,
                change: Change::Join,
                group: g("g"),
                pids: vec![p]
            }
        );
        tether::exit(p, ExitReason::Kill);
        down(mref).await;
        let ev: PgEvent = receive().await;
        assert_eq!(
            ev,
            PgEvent {
                reference: r,
                change: Change::Leave,
                group: g("g"),
                pids: vec![p]
            }
        );
        assert_eq!(pg::demonitor(s, r).await, Ok(true));
        assert_eq!(pg::demonitor(s, r).await, Ok(false));
        pg::join(s, g("g"), &[tether::self_pid()]).await.unwrap();
        let _ = pg::monitor_scope(s).await.unwrap();
        let late = tether::receive_timeout::<PgEvent>(std::time::Duration::ZERO).await;
        assert_eq!(late, None);
    })
}

/// PG7, `pg:monitor_scope/1`: the current groups, then every change; demonitor
/// flushes notifications already queued; a dead subscriber's monitors go.
#[test]
fn monitor_scope() {
    run(async {
        let s = scope().await;
        let me = tether::self_pid();
        pg::join(s, g("a"), &[me]).await.unwrap();
        let (r, groups) = pg::monitor_scope(s).await.unwrap();
        assert_eq!(groups, vec![(g("a"), vec![me])]);
        pg::join(s, g("b"), &[me]).await.unwrap();
        pg::leave(s, g("a"), &[me]).await.unwrap();
        let ev: PgEvent = receive().await;
        assert_eq!((ev.change, ev.group), (Change::Join, g("b")));
        let ev: PgEvent = receive().await;
        assert_eq!((ev.change, ev.group), (Change::Leave, g("a")));
        pg::join(s, g("c"), &[me]).await.unwrap(); // queued, then flushed
        assert_eq!(pg::demonitor(s, r).await, Ok(true));
        assert_eq!(
            tether::receive_timeout::<PgEvent>(std::time::Duration::ZERO).await,
            None
        );
        // A subscriber that dies is dropped, and the scope carries on.
        let (sub, mref) = tether::spawn_monitor(async move {
            let _ = pg::monitor_scope(s).await.unwrap();
        });
        down(mref).await;
        pg::join(s, g("d"), &[me]).await.unwrap();
        assert!(!tether::is_alive(sub));
        assert_eq!(pg::get_members(s, g("d")), vec![me]);
    })
}

/// PG1: the default scope is `pg`; a second scope of the same name is refused.
#[test]
fn default_scope() {
    run(async {
        let pid = pg::start_link().await.unwrap();
        assert_eq!(tether::whereis(pg::DEFAULT_SCOPE), Some(pid));
        assert_eq!(
            pg::start_link().await,
            Err(SupervisorStartError::AlreadyStarted(pid))
        );
        let me = tether::self_pid();
        pg::join(pg::DEFAULT_SCOPE, Term::Int(42), &[me])
            .await
            .unwrap();
        assert_eq!(pg::get_members(pg::DEFAULT_SCOPE, Term::Int(42)), vec![me]);
        assert_eq!(
            pg::get_members(pg::DEFAULT_SCOPE, Term::Float(42.0)),
            Vec::<Pid>::new()
        );
    })
}

/// Group names compare with `=:=` (as `pg`'s ETS table does): a map group found under
/// one order of its pairs is the same group under any other, nested maps included,
/// while `1` and `1.0` stay two groups.
#[test]
fn map_groups_compare_whatever_their_order() {
    run(async {
        let s = scope().await;
        let me = tether::self_pid();
        let (a, b) = reordered_maps();
        pg::join(s, a.clone(), &[me]).await.unwrap();
        assert_eq!(pg::get_members(s, &b), vec![me]);
        assert_eq!(pg::get_local_members(s, &b), vec![me]);
        let (_r, members) = pg::monitor(s, b.clone()).await.unwrap();
        assert_eq!(members, vec![me]);
        pg::join(s, b.clone(), &[me]).await.unwrap();
        assert_eq!(pg::get_members(s, &a), vec![me, me]);
        assert_eq!(pg::which_groups(s).len(), 1);
        assert_eq!(pg::leave(s, b.clone(), &[me]).await, Ok(Leave::Left));
        assert_eq!(pg::leave(s, a.clone(), &[me]).await, Ok(Leave::Left));
        assert_eq!(pg::get_members(s, &b), Vec::<Pid>::new());
        assert_eq!(pg::which_groups(s), Vec::<Term>::new());

        pg::join(s, Term::Int(1), &[me]).await.unwrap();
        assert_eq!(pg::get_members(s, Term::Float(1.0)), Vec::<Pid>::new());
    })
}
