//! `global` across a mixed cluster: this binary's visible Tether node with real OTP 25
//! nodes (and Tether child nodes), docs/distribution.md §6.4 and docs/semantics.md §8.2.
//!
//! Each test starts its own BEAM peers (and children), so names are unique per test;
//! the peers of concurrently running tests join one cluster through `global`'s mesh
//! building. The scenarios run one at a time ([`one_at_a_time`]): they kill nodes and
//! heal partitions, and with OTP 25's `prevent_overlapping_partitions` a node killed
//! by one scenario makes `global` disconnect nodes that another one is using.

mod interop;

use interop::child::{Child, child_main};
use interop::node::{
    T, beam, beam_with, eval, eventually, eventually_some, me, node, one_at_a_time, run, sleeper,
    term, visible,
};
use interop::{Beam, BeamSpec, unique};
use tether::kernel::global::{self, Global, LockId};
use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts, Timeout};
use tether::otp::supervisor::{Strategy, Supervisor, count_children};
use tether::{Dest, Exit, ExitReason, Node, Term};

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

async fn beam_where(b: Node, name: &str) -> Term {
    eval(b, &format!("global:whereis_name('{name}').")).await
}

/// Syncs `global` on each BEAM node and here; checks it is prompt.
async fn sync_all(beams: &[Node]) {
    for &b in beams {
        let ms = eval(b, "{T, ok} = timer:tc(fun global:sync/0), T div 1000.").await;
        assert!(
            ms.as_i64().unwrap() < 10_000,
            "global:sync() on {b} took {ms} ms"
        );
    }
    tokio::time::timeout(T, global::sync())
        .await
        .expect("global::sync() here");
}

#[test]
fn sync_returns_promptly_with_a_visible_tether_node() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("gsync").await;
        let (_b2, n2) = beam("gsync").await;
        sync_all(&[n1, n2]).await;
        // The BEAM nodes see us as visible, and global connected them to each other.
        let seen = eval(n1, &format!("lists:member({}, nodes()).", me())).await;
        assert_eq!(seen, atom("true"));
        eventually("global's new_nodes/in_sync connects the peers", || async {
            eval(n1, &format!("lists:member('{n2}', nodes()).")).await == atom("true")
        })
        .await;
        let synced = eval(n2, &format!("lists:member({}, gen_server:call(global_name_server, get_synced)) orelse lists:member({}, [N || {{N, _}} <- gen_server:call(global_name_server, get_known)]).", me(), me())).await;
        assert_eq!(synced, atom("true"));
    });
}

#[test]
fn names_registered_on_either_side_are_seen_everywhere() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("gnames").await;
        let (_b2, n2) = beam("gnames").await;
        sync_all(&[n1, n2]).await;
        let tname = unique("tname");
        let p = sleeper();
        assert!(global::register_name(atom(&tname), p).await);
        assert_eq!(global::whereis_name(atom(&tname)), Some(p));
        for b in [n1, n2] {
            assert_eq!(beam_where(b, &tname).await, Term::Pid(p));
        }
        assert!(
            eval(n1, "global:registered_names().")
                .await
                .as_list()
                .unwrap()
                .contains(&atom(&tname))
        );
        // Taken: no, from both sides; a pid gets one name.
        assert!(!global::register_name(atom(&tname), sleeper()).await);
        let other = unique("other");
        assert!(!global::register_name(atom(&other), p).await);
        let r = eval(
            n2,
            &format!("global:register_name('{tname}', spawn(fun() -> ok end))."),
        )
        .await;
        assert_eq!(r, atom("no"));

        // Registered on a BEAM node, seen here and on the other BEAM node.
        let bname = unique("bname");
        let bp = eval(n1, &format!("P = spawn(fun() -> receive stop -> ok end end), yes = global:register_name('{bname}', P), P.")).await;
        let bp = bp.as_pid().unwrap();
        assert_eq!(global::whereis_name(atom(&bname)), Some(bp));
        assert_eq!(beam_where(n2, &bname).await, Term::Pid(bp));
        assert!(global::registered_names().contains(&atom(&bname)));

        // unregister from Tether: gone everywhere.
        global::unregister_name(atom(&tname)).await;
        assert_eq!(global::whereis_name(atom(&tname)), None);
        assert_eq!(beam_where(n1, &tname).await, atom("undefined"));
        // re_register moves a name.
        let q = sleeper();
        assert!(global::re_register_name(atom(&bname), q).await);
        assert_eq!(beam_where(n2, &bname).await, Term::Pid(q));
        // send/2 from Tether.
        assert_eq!(
            global::send(atom(&unique("nobody")), atom("x")),
            Err(atom("x"))
        );
    });
}

#[test]
fn names_vanish_when_the_owner_dies_or_its_node_is_killed() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("gdown").await;
        let (b2, n2) = beam("gdown").await;
        sync_all(&[n1, n2]).await;
        // A Tether owner dies.
        let tname = unique("tdies");
        let p = sleeper();
        assert!(global::register_name(atom(&tname), p).await);
        assert_eq!(beam_where(n1, &tname).await, Term::Pid(p));
        tether::exit(p, ExitReason::Kill);
        eventually(
            "a dead Tether owner's name vanishes on the BEAM nodes",
            || async {
                beam_where(n1, &tname).await == atom("undefined")
                    && beam_where(n2, &tname).await == atom("undefined")
            },
        )
        .await;
        assert_eq!(global::whereis_name(atom(&tname)), None);
        // A BEAM owner dies.
        let bname = unique("bdies");
        let bp = eval(n1, &format!("P = spawn(fun() -> receive stop -> ok end end), yes = global:register_name('{bname}', P), P.")).await;
        assert_eq!(global::whereis_name(atom(&bname)), bp.as_pid());
        tether::send(bp.as_pid().unwrap(), atom("stop")).unwrap();
        eventually("a dead BEAM owner's name vanishes here", || async {
            global::whereis_name(atom(&bname)).is_none()
        })
        .await;
        // A node is killed: its names vanish here and on the other BEAM node.
        let kname = unique("killed");
        let kp = eval(n2, &format!("P = spawn(fun() -> receive after infinity -> ok end end), yes = global:register_name('{kname}', P), P.")).await;
        assert_eq!(global::whereis_name(atom(&kname)), kp.as_pid());
        assert_eq!(beam_where(n1, &kname).await, kp);
        b2.kill().await;
        eventually("a killed node's names vanish here", || async {
            global::whereis_name(atom(&kname)).is_none()
        })
        .await;
        eventually("... and on the other BEAM node", || async {
            beam_where(n1, &kname).await == atom("undefined")
        })
        .await;
        // global still works afterwards.
        let after = unique("after");
        assert!(global::register_name(atom(&after), sleeper()).await);
        assert!(beam_where(n1, &after).await.as_pid().is_some());
    });
}

/// A Tether GenServer speaking terms, so BEAM callers can reach it.
struct Counter(i64);

impl GenServer for Counter {
    type Args = i64;
    type Call = Term;
    type Cast = Term;
    type Reply = Term;
    type Continue = ();

    async fn init(n: i64) -> Init<Self> {
        Init::ok(Counter(n))
    }

    async fn handle_call(&mut self, req: Term, _: &ReplyTo<Term>) -> CallResult<Self> {
        match req.as_tuple() {
            Some([k, Term::Int(d)]) if k.is_atom("add") => {
                self.0 += d;
                CallResult::reply(Term::from(self.0))
            }
            _ => CallResult::reply(Term::tuple([
                atom("tether_node"),
                Term::Atom(Node::local().name()),
            ])),
        }
    }

    fn decode_call(request: &Term) -> Option<Term> {
        Some(request.clone())
    }
    fn decode_cast(request: &Term) -> Option<Term> {
        Some(request.clone())
    }
    fn encode_reply(reply: &Term) -> Option<Term> {
        Some(reply.clone())
    }
    fn encode_call(request: &Term) -> Option<Term> {
        Some(request.clone())
    }
    fn decode_reply(reply: &Term) -> Option<Term> {
        Some(reply.clone())
    }
}

#[test]
fn gen_server_calls_through_global_names_both_ways() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("gcall").await;
        sync_all(&[n1]).await;
        // A Tether GenServer started under {global, Name}; an Erlang caller reaches it.
        let name = unique("counter");
        let srv = gen_server::start::<Counter>(10, StartOpts::new().via(Global::new(atom(&name))))
            .await
            .unwrap();
        assert_eq!(global::whereis_name(atom(&name)), Some(srv.pid()));
        let r = eval(
            n1,
            &format!("gen_server:call({{global, '{name}'}}, {{add, 5}})."),
        )
        .await;
        assert_eq!(r, Term::from(15));
        // A second start under the same global name: already_started.
        let again =
            gen_server::start::<Counter>(0, StartOpts::new().via(Global::new(atom(&name)))).await;
        assert!(format!("{again:?}").contains("AlreadyStarted"), "{again:?}");
        // An Erlang gen_server registered globally, called from Tether.
        let ename = unique("erlsrv");
        let code = format!(
            "P = spawn(fun L() -> receive {{'$gen_call', From, Req}} -> gen_server:reply(From, {{erl, node(), Req}}), L() end end), \
             yes = global:register_name('{ename}', P), P."
        );
        let ep = eval(n1, &code).await.as_pid().unwrap();
        let r = gen_server::call::<Counter>(
            Dest::via(Global::new(atom(&ename))),
            atom("hello"),
            Timeout::from(T),
        )
        .await
        .unwrap();
        assert_eq!(
            r,
            Term::tuple([atom("erl"), Term::Atom(ep.node.name()), atom("hello")])
        );
        // An unknown global name: noproc, at once.
        let r = gen_server::call::<Counter>(
            Dest::via(Global::new(atom("nobody_here"))),
            atom("x"),
            Timeout::from(T),
        )
        .await;
        assert!(r.unwrap_err().is_noproc());
        // Elixir-style: a BEAM node calls the Tether server via {:global, name} (the
        // same gen:call path) after it moved to a new pid.
        tether::exit(srv.pid(), ExitReason::Kill);
        eventually("the dead server's name is gone", || async {
            beam_where(n1, &name).await == atom("undefined")
        })
        .await;
        let srv2 =
            gen_server::start::<Counter>(100, StartOpts::new().via(Global::new(atom(&name))))
                .await
                .unwrap();
        let r = eval(
            n1,
            &format!("gen_server:call({{global, '{name}'}}, {{add, 1}})."),
        )
        .await;
        assert_eq!(r, Term::from(101));
        let _ = srv2;
        // A global name names a Supervisor as well (one `Via` for every behaviour).
        let sname = unique("gsup");
        let sup = Supervisor::new(Strategy::OneForOne)
            .via(Global::new(atom(&sname)))
            .start_link()
            .await
            .unwrap();
        assert_eq!(global::whereis_name(atom(&sname)), Some(sup));
        let counts = count_children(Dest::via(Global::new(atom(&sname))))
            .await
            .unwrap();
        assert_eq!(counts.specs, 0);
        assert_eq!(beam_where(n1, &sname).await, Term::Pid(sup));
    });
}

#[test]
fn locks_and_trans_are_shared_with_beam_nodes() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("glock").await;
        sync_all(&[n1]).await;
        let res = unique("res");
        let me_pid = tether::self_pid();
        let id = LockId::new(atom(&res), Term::Pid(me_pid));
        assert!(global::set_lock(&id, None, Some(0)).await);
        // Held: a BEAM requester with another id cannot take it.
        let r = eval(
            n1,
            &format!("global:set_lock({{'{res}', self()}}, [node() | nodes()], 0)."),
        )
        .await;
        assert_eq!(r, atom("false"));
        let r = eval(
            n1,
            &format!("global:trans({{'{res}', self()}}, fun() -> ran end, [node() | nodes()], 0)."),
        )
        .await;
        assert_eq!(r, atom("aborted"));
        global::del_lock(&id, None).await;
        let r = eval(
            n1,
            &format!("global:trans({{'{res}', self()}}, fun() -> ran end, [node() | nodes()], 0)."),
        )
        .await;
        assert_eq!(r, atom("ran"));
        // A BEAM process holds it: our trans aborts; when it dies, the lock is released.
        let holder = eval(n1, &format!(
            "Me = self(), P = spawn(fun() -> true = global:set_lock({{'{res}', self()}}, [node() | nodes()], 0), Me ! locked, receive stop -> ok end end), receive locked -> P end."
        )).await;
        let r = global::trans(&id, None, Some(0), || async { 1 }).await;
        assert_eq!(r, None);
        tether::send(holder.as_pid().unwrap(), atom("stop")).unwrap();
        let got = eventually_some("the dead holder's lock is released", || async {
            global::trans(&id, None, Some(0), || async { 2 }).await
        })
        .await;
        assert_eq!(got, 2);
    });
}

/// Starts an `erl` node that registers `name` before it connects to anyone, so it
/// forms a partition of its own; it joins when first contacted.
async fn isolated_beam(prefix: &str, name: &str) -> (Beam, Node, String) {
    let eval_code = format!(
        "P = spawn(fun() -> receive after infinity -> ok end end), yes = global:register_name('{name}', P), \
         io:format(\"registered ~p~n\", [P]), {}",
        interop::node::AGENT
    );
    let spec = BeamSpec::erl(
        prefix,
        interop::node::COOKIE,
        Some(interop::node::epmd_port()),
        &eval_code,
    );
    let mut b = Beam::start(&spec);
    let line = b.wait_line("registered", T).await;
    b.wait_line("agent ready", T).await;
    let n = Node::intern(&b.node).unwrap();
    let pid = line.trim_start_matches("registered ").trim().to_owned();
    (b, n, pid)
}

#[test]
fn a_conflict_after_partitions_meet_is_resolved_as_otp_does() {
    let _one = one_at_a_time();
    visible();
    run(async {
        // Partition A: this Tether node and a BEAM node, sharing `name` (a Tether pid).
        let (_b1, n1) = beam("gconf").await;
        sync_all(&[n1]).await;
        // "a…" sorts before "tether…": the isolated BEAM node's pid wins and ours is
        // killed; "z…" sorts after: ours wins and the BEAM pid is killed.
        for (prefix, beam_wins) in [("aaconf", true), ("zzconf", false)] {
            let name = unique("conflict");
            tether::trap_exit(true);
            let ours = tether::spawn_link(async {
                let _: Term = tether::receive().await;
            });
            assert!(global::register_name(atom(&name), ours).await);
            assert_eq!(beam_where(n1, &name).await, Term::Pid(ours));
            // Partition B: a lone BEAM node that registered the same name.
            let (_b2, n2, theirs) = isolated_beam(prefix, &name).await;
            // Heal: the first message connects the partitions; sync everywhere.
            sync_all(&[n2, n1]).await;
            // Every node ends with the same single owner (the joins that `sync`
            // waited for may still be passing on their `new_nodes` ops).
            let winner = eventually_some("all nodes agree on one owner", || async {
                let here = global::whereis_name(atom(&name))?;
                let agree = beam_where(n1, &name).await.as_pid() == Some(here)
                    && beam_where(n2, &name).await.as_pid() == Some(here);
                agree.then_some(here)
            })
            .await;
            if beam_wins {
                assert_eq!(winner.node, n2, "the pid on the lower node name is kept");
                let e: Exit = tether::receive_timeout(T)
                    .await
                    .expect("our process was killed");
                assert_eq!((e.from, e.reason), (ours, ExitReason::Killed));
            } else {
                assert_eq!(winner, ours);
                let alive =
                    eval(n2, &format!("is_process_alive(list_to_pid(\"{theirs}\")).")).await;
                assert_eq!(alive, atom("false"), "the BEAM pid was killed");
                tether::exit(ours, ExitReason::Kill);
                let _: Option<Exit> = tether::receive_timeout(T).await;
            }
        }
    });
}

#[test]
fn tether_nodes_only() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let c1 = Child::start_visible().await;
        let c2 = Child::start_visible().await;
        let call = |n: Node, f: &'static str, args: Vec<Term>| async move {
            tether::dist::erpc::call(n, "global", f, args, T)
                .await
                .unwrap()
        };
        // Connect to both; global joins and meshes the children.
        assert!(tether::dist::connect_node(c1.node).await);
        assert!(tether::dist::connect_node(c2.node).await);
        tokio::time::timeout(T, global::sync()).await.unwrap();
        // A name registered here is found on both children.
        let name = unique("tt");
        let p = sleeper();
        assert!(global::register_name(atom(&name), p).await);
        for c in [c1.node, c2.node] {
            eventually(&format!("the name is seen on {c}"), || async {
                call(c, "whereis_name", vec![atom(&name)]).await == Term::Pid(p)
            })
            .await;
        }
        // The demo `kv` of each child is registered as {kv, Node}.
        for c in [c1.node, c2.node] {
            let key = Term::tuple([atom("kv"), Term::Atom(c.name())]);
            eventually("the child's kv is registered globally", || {
                let key = key.clone();
                async move { global::whereis_name(&key).is_some_and(|k| k.node == c) }
            })
            .await;
        }
        // A name of a child is seen here; killing the child removes it.
        let key = Term::tuple([atom("kv"), Term::Atom(c2.node.name())]);
        let kv2 = global::whereis_name(&key).unwrap();
        let r = tether::dist::call(kv2, term("{put, a, 1}"), T).await;
        assert_eq!(r, Ok(atom("ok")));
        let r = gen_server::call::<Counter>(
            Dest::via(Global::new(key.clone())),
            term("{get, a}"),
            Timeout::from(T),
        )
        .await;
        assert_eq!(r.unwrap(), term("{ok, 1}"));
        c2.kill().await;
        eventually("the killed child's names vanish", || {
            let key = key.clone();
            async move { global::whereis_name(&key).is_none() }
        })
        .await;
        // Owner death.
        tether::exit(p, ExitReason::Kill);
        eventually("a dead owner's name vanishes on the child", || {
            let name = name.clone();
            async move { call(c1.node, "whereis_name", vec![atom(&name)]).await == atom("undefined") }
        })
        .await;
        let _ = (node(), beam_with);
    });
}

#[test]
fn malformed_global_messages_are_dropped() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let (_b1, n1) = beam("gbad").await;
        sync_all(&[n1]).await;
        let name = unique("keep");
        let p = sleeper();
        assert!(global::register_name(atom(&name), p).await);
        // Garbage casts, calls and plain messages at our name server, from a peer.
        let code = format!(
            "T = {{global_name_server, {me}}}, \
             [gen_server:cast(T, M) || M <- [garbage, {{init_connect, bad, notanode, x}}, {{init_connect, {{8, 1}}, 'x@y', notalocker}}, \
                {{exchange, notanode, x, y, z}}, {{exchange, node(), notalist, [], 1}}, {{exchange, node(), [{{'{name}', notapid, m}}], [], 1}}, \
                {{resolved, node(), notops, [], unused, [], 1}}, {{new_nodes, node(), [{{insert, bad}}], [], notalist, []}}, \
                {{new_nodes, node(), [{{delete, '{name}'}}], [], [42], []}}, {{in_sync, 42, true}}, {{lock_set, notapid, true, [], 1}}, {{}}]], \
             [T ! M || M <- [garbage, {{init_connect_ack, 42, 1, 2}}, {{cancel_connect, node(), notmytag}}, {{lost_connection, a, b, c, d}}, \
                {{remove_connection, 42}}, {{whereis, '{name}', notafrom}}]], \
             R1 = catch gen_server:call(T, {{set_lock, notatuple}}, 500), \
             R2 = catch gen_server:call(T, {{unknown, call}}, 500), \
             {{element(1, R1), element(1, R2)}}.",
            me = me()
        );
        let r = eval(n1, &code).await;
        assert_eq!(
            r,
            Term::tuple([atom("EXIT"), atom("EXIT")]),
            "malformed calls get no answer (OTP: noreply)"
        );
        // The garbage left n1 before the calls that timed out. Our name server has
        // handled it once its mailbox is empty (an absence of effect cannot be
        // awaited; this bounds it).
        eventually("our name server has handled the garbage", || async {
            tether::whereis("global_name_server")
                .and_then(tether::process_info)
                .is_some_and(|i| i.message_queue_len == 0)
        })
        .await;
        // The table is untouched and global still works both ways.
        assert_eq!(global::whereis_name(atom(&name)), Some(p));
        assert!(
            !global::registered_names()
                .iter()
                .any(|n| n.is_atom("notapid"))
        );
        assert_eq!(beam_where(n1, &name).await, Term::Pid(p));
        let more = unique("more");
        assert!(global::register_name(atom(&more), sleeper()).await);
        assert!(beam_where(n1, &more).await.as_pid().is_some());
        let ms = eval(n1, "{T, ok} = timer:tc(fun global:sync/0), T div 1000.").await;
        assert!(ms.as_i64().unwrap() < 10_000);
    });
}

#[test]
fn elixir_calls_a_tether_gen_server_by_global_name_and_back() {
    let _one = one_at_a_time();
    visible();
    run(async {
        let name = unique("exglobal");
        let srv = gen_server::start::<Counter>(40, StartOpts::new().via(Global::new(atom(&name))))
            .await
            .unwrap();
        let ename = unique("exsrv");
        let script = format!(
            r#"
defmodule Echo do
  use GenServer
  def init(x), do: {{:ok, x}}
  def handle_call(req, _from, s), do: {{:reply, {{:elixir, req}}, s}}
end
true = Node.connect(:{me})
:ok = :global.sync()
IO.puts("call=#{{inspect(GenServer.call({{:global, :{name}}}, {{:add, 2}}))}}")
{{:ok, _}} = GenServer.start(Echo, nil, name: {{:global, :{ename}}})
IO.puts("registered")
Process.sleep(:infinity)
"#,
            me = me()
        );
        let spec = BeamSpec {
            sname: unique("exg"),
            cookie: interop::node::COOKIE.into(),
            epmd_port: Some(interop::node::epmd_port()),
            eval: script,
            elixir: true,
            args: vec![],
        };
        let mut ex = Beam::start(&spec);
        assert_eq!(ex.wait_line("call=", T).await, "call=42");
        ex.wait_line("registered", T).await;
        let r = gen_server::call::<Counter>(
            Dest::via(Global::new(atom(&ename))),
            atom("hi"),
            Timeout::from(T),
        )
        .await
        .unwrap();
        assert_eq!(r, Term::tuple([atom("elixir"), atom("hi")]));
        let _ = srv;
    });
}

/// Each kernel service of this node killed in turn while a BEAM peer is connected:
/// `kernel_sup` restarts it, and the cluster sees no difference. `global`'s names
/// (registered on either side) are as they were and new ones travel both ways; the
/// restarted `pg` scope finds the BEAM's group members again; `net_kernel` answers
/// pings and `rex` rpc calls.
#[test]
fn kernel_services_restart_and_resync_with_a_beam_peer() {
    let _one = one_at_a_time();
    visible();
    run(async {
        use tether::kernel::pg;
        let (_b, n) = beam("gkernel").await;
        sync_all(&[n]).await;
        let spawn_beam = "P = spawn(fun() -> receive stop -> ok end end)";
        let tname = unique("tk");
        let p = sleeper();
        assert!(global::register_name(atom(&tname), p).await);
        let bname = unique("bk");
        let code = format!("{spawn_beam}, yes = global:register_name('{bname}', P), P.");
        let bp = eval(n, &code).await.as_pid().unwrap();
        eval(
            n,
            "case pg:start(pg) of {ok, _} -> ok; {error, {already_started, _}} -> ok end.",
        )
        .await;
        let group = unique("kgroup");
        let code = format!("{spawn_beam}, ok = pg:join(pg, '{group}', P), P.");
        let member = eval(n, &code).await.as_pid().unwrap();
        eventually("the BEAM's pg member is seen here", || async {
            pg::get_members("pg", atom(&group)).contains(&member)
        })
        .await;

        for service in ["net_kernel", "rex", "global_name_server", "pg"] {
            let old = tether::whereis(service).unwrap_or_else(|| panic!("{service} runs"));
            tether::exit(old, ExitReason::Kill);
            eventually(&format!("{service} restarted"), || async {
                tether::whereis(service).is_some_and(|p| p != old)
            })
            .await;
        }

        assert_eq!(
            eval(n, &format!("net_adm:ping({}).", me())).await,
            atom("pong")
        );
        let r = eval(n, &format!("rpc:call({}, erlang, node, []).", me())).await;
        assert_eq!(r, Term::atom(node().name().as_str()));

        // global: the names of both sides are where they were...
        assert_eq!(global::whereis_name(atom(&bname)), Some(bp));
        assert_eq!(beam_where(n, &tname).await, Term::Pid(p));
        sync_all(&[n]).await;
        // ...and new ones travel both ways.
        let tname2 = unique("tk2");
        let p2 = sleeper();
        assert!(global::register_name(atom(&tname2), p2).await);
        assert_eq!(beam_where(n, &tname2).await, Term::Pid(p2));
        let bname2 = unique("bk2");
        let code = format!("{spawn_beam}, yes = global:register_name('{bname2}', P), P.");
        let bp2 = eval(n, &code).await.as_pid().unwrap();
        assert_eq!(global::whereis_name(atom(&bname2)), Some(bp2));

        // pg: the restarted scope discovered the BEAM's again...
        eventually("the BEAM's pg member is seen again", || async {
            pg::get_members("pg", atom(&group)).contains(&member)
        })
        .await;
        // ...and a member joined here reaches the BEAM.
        let q = sleeper();
        pg::join("pg", atom(&group), &[q]).await.unwrap();
        eventually("the BEAM sees the member joined here", || async {
            let t = eval(n, &format!("pg:get_members(pg, '{group}').")).await;
            t.as_list().is_some_and(|l| l.contains(&Term::Pid(q)))
        })
        .await;
    });
}
