//! Tether ↔ Tether: this test binary's node against a second node in a child OS
//! process (see `interop/child.rs`), through the same scenarios as against `erl`;
//! and a BEAM node watching a Tether node die.

mod interop;

use std::time::Duration;

use interop::child::{Child, ChildSpec, child_main};
use interop::node::{T, beam, eval, eventually, eventually_some, me, node, run, term};
use interop::race::{Arena, Winner, race};
use tether::dist::{self, ErpcError, NodeEvent};
use tether::{Atom, Down, Exit, ExitReason, Pid, Term};

/// Not a test of its own: the entry point of child nodes (returns at once otherwise).
/// Ignored in a normal run, where it would only return: `interop/child.rs` runs it
/// with `--include-ignored`.
#[test]
#[ignore = "the entry point of child nodes, run by interop/child.rs"]
fn child_node() {
    child_main();
}

async fn whereis(child: tether::Node, name: &str) -> Pid {
    try_whereis(child, name)
        .await
        .unwrap_or_else(|| panic!("{name} not registered"))
}

async fn try_whereis(child: tether::Node, name: &str) -> Option<Pid> {
    let r = dist::erpc::call(child, "erlang", "whereis", vec![Term::atom(name)], T)
        .await
        .unwrap();
    r.as_pid()
}

#[test]
fn ping_echo_kv_and_types() {
    run(async {
        let c = Child::start(ChildSpec::default()).await;
        let n = c.node;
        let req = Term::tuple([Term::atom("is_auth"), Term::atom("x")]);
        assert_eq!(
            dist::call(("net_kernel", n), req, T).await,
            Ok(Term::atom("yes"))
        );
        let me_pid = tether::self_pid();
        let t = term(
            "{ok, [1,2,3], #{{a,1} => <<\"x\">>}, 1180591620717411303424, -3.5, 'ünï', [1|2], <<5:3>>, \"abc\", {}, #{}}",
        );
        let tuple300 = Term::Tuple((0..300).map(Term::from).collect());
        let big = Term::binary(vec![42u8; 1 << 20]);
        for m in [
            t,
            tuple300,
            big,
            Term::Pid(me_pid),
            Term::Ref(tether::make_ref()),
        ] {
            tether::send(("echo", n), Term::tuple([Term::Pid(me_pid), m.clone()])).unwrap();
            assert_eq!(tether::receive_timeout::<Term>(T).await, Some(m));
        }
        let kv = ("kv", n);
        assert_eq!(
            dist::call(kv, term("{put, k, 1}"), T).await,
            Ok(Term::atom("ok"))
        );
        tether::send(("kv", n), term("{'$gen_cast', {put, k2, 2}}")).unwrap();
        assert_eq!(
            dist::call(kv, term("{get, k2}"), T).await,
            Ok(term("{ok, 2}"))
        );
        assert_eq!(
            dist::call(kv, term("{get, nope}"), T).await,
            Ok(Term::atom("error"))
        );
        assert_eq!(
            dist::call(("nosuch", n), Term::nil(), T).await,
            Err(dist::CallError::NoProc)
        );
    });
}

#[test]
fn links_monitors_exits_and_restarts() {
    run(async {
        let c = Child::start(ChildSpec::default()).await;
        let n = c.node;
        tether::trap_exit(true);
        let echo = whereis(n, "echo").await;
        tether::link(echo).unwrap();
        let r = tether::monitor(echo);
        let rn = tether::monitor((Atom::new("kv"), n));
        tether::exit(echo, ExitReason::Kill);
        let e: Exit = tether::receive_timeout(T).await.unwrap();
        assert_eq!(
            e,
            Exit {
                from: echo,
                reason: ExitReason::Killed
            }
        );
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!((d.reference, d.reason), (r, ExitReason::Killed));
        // The demo supervisor restarts echo under the same name.
        let echo2 = eventually_some("echo is restarted", || async {
            try_whereis(n, "echo").await.filter(|p| *p != echo)
        })
        .await;
        // Unlink, then a kill is not seen.
        tether::link(echo2).unwrap();
        tether::unlink(echo2);
        tether::exit(echo2, ExitReason::from("bye"));
        // An absence: watched for a while, not awaited.
        assert_eq!(
            tether::receive_timeout::<Exit>(Duration::from_millis(500)).await,
            None
        );
        // kv, monitored by name, dies: the DOWN names {kv, Node}.
        let kv = whereis(n, "kv").await;
        tether::exit(kv, ExitReason::from("stop_it"));
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!(
            (d.reference, d.object, d.reason),
            (
                rn,
                tether::Monitored::Name(Atom::new("kv"), n),
                ExitReason::from("stop_it")
            )
        );
        // The demo supervisor restarts kv too.
        eventually("kv is restarted", || async {
            try_whereis(n, "kv").await.is_some_and(|p| p != kv)
        })
        .await;
        whereis(n, "tether_demo_sup").await;
        // Dead pid: noproc for link and monitor.
        tether::link(echo).unwrap();
        let e: Exit = tether::receive_timeout(T).await.unwrap();
        assert_eq!(e.reason, ExitReason::Noproc);
        tether::monitor(echo);
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!(d.reason, ExitReason::Noproc);
    });
}

#[test]
fn rpc_and_erpc_both_ways() {
    run(async {
        let c = Child::start(ChildSpec::default()).await;
        let n = c.node;
        assert_eq!(
            dist::rpc::call(n, "tether", "ping", vec![], T).await,
            Ok(Term::atom("pong"))
        );
        assert_eq!(
            dist::erpc::call(n, "erlang", "node", vec![], T).await,
            Ok(Term::Atom(n.name()))
        );
        assert_eq!(
            dist::erpc::call(n, "os", "cmd", vec![Term::charlist("ls")], T).await,
            Err(ErpcError::Spawn(Term::atom("notsup")))
        );
        let r = dist::rpc::call(n, "os", "cmd", vec![Term::charlist("ls")], T).await;
        assert_eq!(r, Err(dist::RpcError::BadRpc(Term::atom("notsup"))));
        // The child calls back into us.
        node().rpc().register_sync("parent", "double", 1, |a| {
            Ok(Term::from(a[0].as_i64().unwrap() * 2))
        });
        let args = vec![
            Term::Atom(node().name().as_str().into()),
            Term::atom("parent"),
            Term::atom("double"),
            term("[21]"),
        ];
        assert_eq!(
            dist::erpc::call(n, "relay", "erpc", args, T).await,
            Ok(Term::from(42))
        );
    });
}

#[test]
fn killing_a_tether_node_gives_noconnection_and_nodedown() {
    run(async {
        let c = Child::start(ChildSpec::default()).await;
        let n = c.node;
        // A BEAM node watches the child too.
        let (mut b, bn) = beam("watcher").await;
        let code = format!(
            "true = net_kernel:connect_node('{n}'), register(nd, spawn(fun() -> monitor_node('{n}', true), receive {{nodedown, N}} -> io:format(\"nodedown ~p~n\", [N]) end end)), ok."
        );
        assert_eq!(eval(bn, &code).await, Term::atom("ok"));
        tether::trap_exit(true);
        let echo = whereis(n, "echo").await;
        tether::link(echo).unwrap();
        let r = tether::monitor((Atom::new("kv"), n));
        dist::monitor_node(n, true).unwrap();
        c.kill().await;
        let e: Exit = tether::receive_timeout(T).await.unwrap();
        assert_eq!(
            e,
            Exit {
                from: echo,
                reason: ExitReason::Noconnection
            }
        );
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!((d.reference, d.reason), (r, ExitReason::Noconnection));
        assert_eq!(
            tether::receive_timeout::<NodeEvent>(T).await,
            Some(NodeEvent::Down(n))
        );
        b.wait_line("nodedown", T).await;
        let _ = me();
    });
}

#[test]
fn wrong_cookie_is_refused() {
    run(async {
        let c = Child::start(ChildSpec {
            cookie: Some("other".into()),
            ..Default::default()
        })
        .await;
        let r = dist::call(("net_kernel", c.node), Term::atom("x"), T).await;
        assert_eq!(r, Err(dist::CallError::NodeDown(c.node)));
    });
}

/// We and a child node dial each other at once (both attempts held until both are
/// pending, see `interop/race.rs`): the node with the greater name answers `nok`,
/// the other `ok_simultaneous`, and the greater node's own connection stays.
async fn simultaneous_connect(prefix: &str, winner: Winner) {
    let mut arena = Arena::new().await;
    let go = std::env::temp_dir().join(interop::unique("go"));
    let mut c = Child::start(ChildSpec {
        ping: Some(node().name().to_string()),
        go_file: Some(go.display().to_string()),
        prefix: Some(prefix.into()),
        epmd_port: Some(arena.epmd_port()),
        ..Default::default()
    })
    .await;
    let sname = c.node.name().as_str().split('@').next().unwrap().to_owned();
    let (mut to_child, _child_here) = arena.gate_peer(&sname).await;
    race(c.node, winner, &mut arena, &mut to_child, || {
        std::fs::write(&go, b"go").unwrap()
    })
    .await;
    let line = c.wait_line("child ping=", T).await;
    let _ = std::fs::remove_file(&go);
    assert!(line.contains("Ok(Atom(yes))"), "{line}");
    let req = Term::tuple([Term::atom("is_auth"), Term::atom("x")]);
    assert_eq!(
        dist::call(("net_kernel", c.node), req, T).await,
        Ok(Term::atom("yes"))
    );
}

/// "child…" < "tether…": our attempt wins.
#[test]
fn simultaneous_connect_greater_name_wins_we_win() {
    run(simultaneous_connect("child", Winner::Us));
}

/// "zchild…" > "tether…": the child's attempt wins.
#[test]
fn simultaneous_connect_greater_name_wins_child_wins() {
    run(simultaneous_connect("zchild", Winner::Peer));
}
