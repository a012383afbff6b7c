//! `pg` across a mixed cluster (docs/distribution.md §6.5, docs/semantics.md §8.1): this binary's
//! visible Tether node, real OTP 25 nodes running the default scope `pg`, and Tether
//! child nodes; plus the local semantics of a scope.

mod interop;

use interop::child::{Child, child_main};
use interop::node::{
    T, beam, eval, eventually, eventually_some, me, one_at_a_time, run, sleeper, visible,
};
use interop::unique;
use tether::kernel::pg::{self, Change, Leave, PgError, PgEvent};
use tether::otp::CallError;
use tether::{ExitReason, Node, Pid, Term};

/// Not a test of its own: the entry point of child nodes.
/// Ignored in a normal run, where it would only return: `interop/child.rs` runs it
/// with `--include-ignored`.
#[test]
#[ignore = "the entry point of child nodes, run by interop/child.rs"]
fn child_node() {
    child_main();
}

fn atom(s: &str) -> Term {
    Term::atom(s)
}

/// A BEAM node with the agent and the default `pg` scope, connected to us.
async fn pg_beam(prefix: &str) -> (interop::Beam, Node) {
    let (b, n) = beam(prefix).await;
    let r = eval(
        n,
        "case pg:start(pg) of {ok, _} -> ok; {error, {already_started, _}} -> ok end.",
    )
    .await;
    assert_eq!(r, atom("ok"));
    (b, n)
}

async fn beam_members(b: Node, group: &str) -> Vec<Pid> {
    let t = eval(b, &format!("pg:get_members(pg, '{group}').")).await;
    t.as_list()
        .unwrap()
        .iter()
        .map(|p| p.as_pid().unwrap())
        .collect()
}

fn sorted(mut v: Vec<Pid>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|p| p.to_string()).collect();
    s.sort();
    s
}

#[test]
fn joins_are_seen_on_the_other_side_both_ways() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = pg_beam("pgjoin").await;
        let (_b2, n2) = pg_beam("pgjoin").await;
        let g = unique("grp");
        // Tether members, seen by both BEAM nodes.
        let (p1, p2) = (sleeper(), sleeper());
        pg::join("pg", atom(&g), &[p1]).await.unwrap();
        pg::join("pg", atom(&g), &[p2, p2]).await.unwrap();
        for b in [n1, n2] {
            eventually("Tether members seen on a BEAM node", || async {
                sorted(beam_members(b, &g).await) == sorted(vec![p1, p2, p2])
            })
            .await;
        }
        // BEAM members, seen here.
        let bp = eval(
            n1,
            &format!(
                "P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(pg, '{g}', P), P."
            ),
        )
        .await;
        let bp = bp.as_pid().unwrap();
        eventually("a BEAM member seen here", || async {
            pg::get_members("pg", atom(&g)).contains(&bp)
        })
        .await;
        assert_eq!(
            sorted(pg::get_local_members("pg", atom(&g))),
            sorted(vec![p1, p2, p2])
        );
        assert!(pg::which_groups("pg").contains(&atom(&g)));
        assert!(pg::which_local_groups("pg").contains(&atom(&g)));
        let local_on_beam = eval(n1, &format!("pg:get_local_members(pg, '{g}').")).await;
        assert_eq!(local_on_beam, Term::list([Term::Pid(bp)]));
        // The demo kv of this node is in group kv, seen from BEAM.
        let kv = tether::whereis("kv").unwrap();
        eventually("our kv in group kv on BEAM", || async {
            beam_members(n2, "kv").await.contains(&kv)
        })
        .await;
        // Leave here: gone there. A multiset: p2 leaves once, stays once.
        assert_eq!(pg::leave("pg", atom(&g), &[p1, p2]).await, Ok(Leave::Left));
        assert_eq!(
            pg::leave("pg", atom(&g), &[p1]).await,
            Ok(Leave::NotJoined),
            "not_joined"
        );
        eventually("leaves seen on BEAM", || async {
            sorted(beam_members(n2, &g).await) == sorted(vec![p2, bp])
        })
        .await;
        // A BEAM member that exits vanishes here; a Tether one that exits vanishes there.
        tether::send(bp, atom("stop")).unwrap();
        eventually("exited BEAM member gone here", || async {
            !pg::get_members("pg", atom(&g)).contains(&bp)
        })
        .await;
        tether::exit(p2, ExitReason::Kill);
        eventually("exited Tether member gone there", || async {
            beam_members(n1, &g).await.is_empty()
        })
        .await;
        eventually("empty group does not exist", || async {
            !pg::which_groups("pg").contains(&atom(&g))
        })
        .await;
        // Remote pids cannot join.
        assert_eq!(
            pg::join("pg", atom(&g), &[bp]).await,
            Err(PgError::NoLocal(bp))
        );
    });
}

#[test]
fn members_of_a_killed_node_vanish() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = pg_beam("pgkill").await;
        let (b2, n2) = pg_beam("pgkill").await;
        let g = unique("kgrp");
        let bp = eval(n2, &format!("P = spawn(fun() -> receive after infinity -> ok end end), ok = pg:join(pg, '{g}', P), P.")).await;
        let bp = bp.as_pid().unwrap();
        eventually("seen here", || async {
            pg::get_members("pg", atom(&g)) == vec![bp]
        })
        .await;
        b2.kill().await;
        eventually("members of the killed BEAM node vanish here", || async {
            pg::get_members("pg", atom(&g)).is_empty()
        })
        .await;
        // A killed Tether child: its kv member vanishes on the BEAM node.
        let c = Child::start_visible().await;
        assert!(tether::dist::connect_node(c.node).await);
        let r = eval(n1, &format!("net_kernel:connect_node('{}').", c.node)).await;
        assert_eq!(r, atom("true"));
        let ckv = eventually_kv(c.node).await;
        eventually("child's kv seen on BEAM", || async {
            beam_members(n1, "kv").await.contains(&ckv)
        })
        .await;
        c.kill().await;
        eventually("killed child's kv gone on BEAM", || async {
            !beam_members(n1, "kv").await.contains(&ckv)
        })
        .await;
        eventually("... and here", || async {
            !pg::get_members("pg", atom("kv")).contains(&ckv)
        })
        .await;
        let _ = n2;
    });
}

/// The kv of `node`, once it shows in group `kv` here.
async fn eventually_kv(node: Node) -> Pid {
    eventually_some(&format!("the kv of {node} in group kv"), || async {
        pg::get_members("pg", atom("kv"))
            .into_iter()
            .find(|p| p.node == node)
    })
    .await
}

/// The next notification about group `g`. The scope monitor also sees other tests'
/// groups (tests in this binary share the node), so select on the group.
async fn for_group(g: &str, what: &str) -> PgEvent {
    let group = atom(g);
    let m = tether::receive_select_timeout(T, move |m| {
        m.downcast_ref::<PgEvent>()
            .is_some_and(|e| e.group == group)
    })
    .await
    .unwrap_or_else(|| panic!("{what}"));
    m.downcast::<PgEvent>().unwrap()
}

#[test]
fn monitors_see_remote_joins_and_leaves() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = pg_beam("pgmon").await;
        let g = unique("mgrp");
        let (r, members) = pg::monitor("pg", atom(&g)).await.unwrap();
        assert!(members.is_empty());
        let (rs, _) = pg::monitor_scope("pg").await.unwrap();
        let bp = eval(
            n1,
            &format!(
                "P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(pg, '{g}', P), P."
            ),
        )
        .await;
        let want = |r: tether::Reference, change: Change| PgEvent {
            reference: r,
            change,
            group: atom(&g),
            pids: vec![bp.as_pid().unwrap()],
        };
        let mut got = Vec::new();
        for _ in 0..2 {
            got.push(for_group(&g, "a join notification").await);
        }
        assert!(
            got.contains(&want(r, Change::Join)) && got.contains(&want(rs, Change::Join)),
            "{got:?}"
        );
        tether::send(bp.as_pid().unwrap(), atom("stop")).unwrap();
        let mut got = Vec::new();
        for _ in 0..2 {
            got.push(for_group(&g, "a leave notification").await);
        }
        assert!(
            got.contains(&want(r, Change::Leave)) && got.contains(&want(rs, Change::Leave)),
            "{got:?}"
        );
        assert_eq!(pg::demonitor("pg", r).await, Ok(true));
        assert_eq!(pg::demonitor("pg", rs).await, Ok(true));
        assert_eq!(pg::demonitor("pg", r).await, Ok(false));
        // A BEAM monitor sees a Tether join.
        let w = unique("watcher");
        let code = format!(
            "Me = self(), W = spawn(fun() -> {{Ref, []}} = pg:monitor(pg, '{g}x'), Me ! ready, \
             receive {{From, get}} -> receive {{Ref, join, G, Pids}} -> From ! {{G, Pids}} after 10000 -> From ! timeout end end end), \
             register('{w}', W), receive ready -> ok end."
        );
        assert_eq!(eval(n1, &code).await, atom("ok"));
        let p = sleeper();
        pg::join("pg", atom(&format!("{g}x")), &[p]).await.unwrap();
        let seen = eval(
            n1,
            &format!("'{w}' ! {{self(), get}}, receive R -> R after 15000 -> none end."),
        )
        .await;
        assert_eq!(
            seen,
            Term::tuple([atom(&format!("{g}x")), Term::list([Term::Pid(p)])])
        );
    });
}

/// Group names compare with `=:=`, maps as sets of pairs: a group named by a map of 41
/// keys, which erts sends in its hash order rather than term order, is the group this
/// node names with the same map built in term order, both ways.
#[test]
fn a_map_group_is_one_group_whatever_order_its_pairs_travel_in() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b, n) = pg_beam("pgmap").await;
        let g = unique("mgrp");
        let group = Term::map(
            std::iter::once((atom("tag"), atom(&g)))
                .chain((1..=40).map(|k| (Term::from(k), Term::from(k)))),
        );
        let beam_group =
            format!("G = maps:from_list([{{tag, '{g}'}} | [{{K, K}} || K <- lists:seq(1, 40)]])");
        let bp = eval(
            n,
            &format!(
                "{beam_group}, P = spawn(fun() -> receive stop -> ok end end), \
                 ok = pg:join(pg, G, P), P."
            ),
        )
        .await;
        let bp = bp.as_pid().unwrap();
        eventually("a BEAM member of a map group seen here", || async {
            pg::get_members("pg", &group) == vec![bp]
        })
        .await;
        let received = pg::which_groups("pg")
            .into_iter()
            .find(|t| *t == group)
            .unwrap();
        assert_ne!(
            format!("{received:?}"),
            format!("{group:?}"),
            "erts sent the pairs in another order"
        );
        let p = sleeper();
        pg::join("pg", group.clone(), &[p]).await.unwrap();
        assert_eq!(sorted(pg::get_members("pg", &group)), sorted(vec![bp, p]));
        eventually("a Tether member of the map group seen on BEAM", || async {
            let t = eval(n, &format!("{beam_group}, pg:get_members(pg, G).")).await;
            let pids = t.as_list().unwrap().iter().map(|p| p.as_pid().unwrap());
            sorted(pids.collect()) == sorted(vec![bp, p])
        })
        .await;
        tether::send(bp, atom("stop")).unwrap();
        tether::exit(p, ExitReason::Kill);
    });
}

#[test]
fn tether_nodes_only() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let c1 = Child::start_visible().await;
        let c2 = Child::start_visible().await;
        assert!(tether::dist::connect_node(c1.node).await);
        assert!(tether::dist::connect_node(c2.node).await);
        let k1 = eventually_kv(c1.node).await;
        let k2 = eventually_kv(c2.node).await;
        assert!(pg::get_members("pg", atom("kv")).contains(&tether::whereis("kv").unwrap()));
        let g = unique("tg");
        let p = sleeper();
        pg::join("pg", atom(&g), &[p]).await.unwrap();
        assert_eq!(pg::get_members("pg", atom(&g)), vec![p]);
        c1.kill().await;
        eventually("killed child's member vanishes", || async {
            !pg::get_members("pg", atom("kv")).contains(&k1)
        })
        .await;
        assert!(pg::get_members("pg", atom("kv")).contains(&k2));
    });
}

#[test]
fn malformed_pg_messages_are_dropped() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = pg_beam("pgbad").await;
        let g = unique("bgrp");
        let p = sleeper();
        pg::join("pg", atom(&g), &[p]).await.unwrap();
        eventually("seen there", || async {
            beam_members(n1, &g).await == vec![p]
        })
        .await;
        // Garbage from a peer: dropped, nothing changes.
        let code = format!(
            "T = {}, [{{pg, T}} ! M || M <- [garbage, {{discover, notapid}}, {{join, self(), '{g}', [notapid]}}, \
             {{leave, self(), notapids, ['{g}']}}, {{'$gen_cast', {{sync, self(), notalist}}}}, \
             {{'$gen_cast', {{sync, self(), [{{'{g}', [x]}}]}}}}, {{join, whereis(pg), '{g}', [notapid]}}, {{}}]], ok.",
            me()
        );
        assert_eq!(eval(n1, &code).await, atom("ok"));
        // Nothing to wait for but the garbage itself being handled: our scope server
        // has taken in what n1 sent once its mailbox is empty (an absence of effect
        // cannot be awaited; this bounds it).
        eventually("our pg scope has handled the garbage", || async {
            tether::whereis("pg")
                .and_then(tether::process_info)
                .is_some_and(|i| i.message_queue_len == 0)
        })
        .await;
        assert_eq!(pg::get_members("pg", atom(&g)), vec![p]);
        let q = sleeper();
        pg::join("pg", atom(&g), &[q]).await.unwrap();
        eventually("still works", || async {
            sorted(beam_members(n1, &g).await) == sorted(vec![p, q])
        })
        .await;
    });
}

#[test]
fn local_scope_semantics() {
    run(async {
        let scope = unique("scope");
        let sp = pg::start(scope.as_str()).await.unwrap();
        assert_eq!(
            pg::start(scope.as_str()).await,
            Err(pg::SupervisorStartError::AlreadyStarted(sp))
        );
        let me_pid = tether::self_pid();
        let g = atom("g");
        pg::join(&scope, g.clone(), &[me_pid]).await.unwrap();
        pg::join(&scope, g.clone(), &[me_pid, me_pid])
            .await
            .unwrap();
        assert_eq!(pg::get_members(&scope, &g), vec![me_pid; 3]);
        assert_eq!(
            pg::leave(&scope, atom("missing"), &[me_pid]).await,
            Ok(Leave::NotJoined)
        );
        assert_eq!(
            pg::leave(&scope, g.clone(), &[me_pid, me_pid]).await,
            Ok(Leave::Left)
        );
        assert_eq!(pg::get_members(&scope, &g), vec![me_pid]);
        assert_eq!(
            pg::leave(&scope, g.clone(), &[me_pid]).await,
            Ok(Leave::Left)
        );
        assert!(pg::which_groups(&scope).is_empty());
        // A member that exits leaves every group.
        let p = sleeper();
        pg::join(&scope, atom("a"), &[p]).await.unwrap();
        pg::join(&scope, atom("b"), &[p]).await.unwrap();
        tether::exit(p, ExitReason::Kill);
        eventually("exited member removed", || async {
            pg::which_groups(&scope).is_empty()
        })
        .await;
        assert!(pg::get_members("no_such_scope", &g).is_empty());
        assert_eq!(
            pg::join("no_such_scope", g.clone(), &[me_pid]).await,
            Err(PgError::Call(CallError::NoProc))
        );
    });
}
