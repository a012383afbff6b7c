//! Tether ↔ real `erl` (OTP 25) in the connected phase, both directions:
//! docs/distribution.md §9 (b)–(e) and §10's scenarios.
//!
//! Each test starts its own `erl` peer running the test agent (see
//! `interop/node.rs`) and drives the BEAM side by evaluating Erlang code there.

mod interop;

use std::time::Duration;

use interop::node::{
    AGENT, COOKIE, T, beam, beam_with, epmd_port, eval, eventually, me, node, run, term, try_eval,
};
use interop::race::{Arena, Winner, race};
use interop::{Beam, BeamSpec, unique};
use tether::dist::epmd::EpmdClient;
use tether::dist::{self, ErpcError, Exception, NodeEvent, RpcError};
use tether::{Down, Exit, ExitReason, Monitored, Pid, Term};

/// How long a test watches for a signal that must not come (an absence cannot be
/// awaited, only bounded).
const QUIET: Duration = Duration::from_millis(500);

/// A Tether process registered as `name` that exits with `reason` on any message.
fn stoppable(name: &str, reason: &'static str) -> Pid {
    let p = tether::spawn(async move {
        let _: Term = tether::receive().await;
        tether::exit_self(ExitReason::from(reason));
    });
    tether::register(name, p).unwrap();
    p
}

/// A BEAM process that exits with `bye` when sent `die`.
async fn beam_dier(b: tether::Node) -> Pid {
    eval(b, "spawn(fun() -> receive die -> exit(bye) end end).")
        .await
        .as_pid()
        .unwrap()
}

#[test]
fn echo_both_ways_by_name_and_pid() {
    run(async {
        let (_b, b) = beam("echo").await;
        let r = eval(
            b,
            &format!(
                "{{echo, {}}} ! {{self(), hello}}, receive M -> M after 5000 -> timeout end.",
                me()
            ),
        )
        .await;
        assert_eq!(r, Term::atom("hello"));
        let becho = eval(b, "register(becho, spawn(fun L() -> receive {F, M} -> F ! M, L() end end)), whereis(becho).").await;
        let me_pid = tether::self_pid();
        tether::send(
            ("becho", b),
            Term::tuple([Term::Pid(me_pid), Term::atom("by_name")]),
        )
        .unwrap();
        assert_eq!(
            tether::receive_timeout::<Term>(T).await,
            Some(Term::atom("by_name"))
        );
        tether::send(
            becho.as_pid().unwrap(),
            Term::tuple([Term::Pid(me_pid), Term::atom("by_pid")]),
        )
        .unwrap();
        assert_eq!(
            tether::receive_timeout::<Term>(T).await,
            Some(Term::atom("by_pid"))
        );
        // The erl node registered with the EPMD this Tether node serves.
        assert!(node().serves_epmd());
        let names = EpmdClient::new(([127, 0, 0, 1], epmd_port()).into())
            .names()
            .await
            .unwrap();
        assert!(
            names
                .iter()
                .any(|(n, _)| b.name().as_str().starts_with(n.as_str())),
            "{names:?}"
        );
    });
}

const ALL_TYPES: &str = r#"[
    atom, 'ünïcödé', '', true, 0, 255, 256, -1, 2147483647, -2147483648, 1 bsl 70, -(1 bsl 70), 1 bsl 1000,
    3.14, -0.0, 1.0e300, <<>>, <<"bin">>, <<1:3>>, <<255, 7:5>>, self(), hd(erlang:ports()), make_ref(),
    alias(), fun(X) -> X end, fun lists:map/2, list_to_tuple(lists:seq(1, 300)), {}, [], #{},
    #{{k, 1} => v, [1] => #{a => b}, <<"x">> => 1.5}, maps:from_list([{N, N} || N <- lists:seq(1, 40)]),
    [1 | 2], "charlist", [{a, 1}, {b, 2}], lists:seq(1, 70000), {nested, [{deep, #{k => [1, {2, <<3>>}]}}]}
]"#;

#[test]
fn every_etf_type_round_trips_through_echo() {
    run(async {
        let (_b, b) = beam("etf").await;
        let code = format!(
            "T = {ALL_TYPES}, {{echo, {}}} ! {{self(), T}}, receive R -> {{R =:= T, length(R)}} after 10000 -> timeout end.",
            me()
        );
        let r = eval(b, &code).await;
        assert_eq!(r.as_tuple().unwrap()[0], Term::atom("true"), "{r}");
        // Terms built in Rust survive a trip through a BEAM echo.
        eval(
            b,
            "register(becho, spawn(fun L() -> receive {F, M} -> F ! M, L() end end)).",
        )
        .await;
        let t = term(
            "{ok, [1,2,3], #{{a,1} => <<\"x\">>}, 1180591620717411303424, -3.5, 'ünï', [1|2], <<5:3>>, \"abc\"}",
        );
        tether::send(
            ("becho", b),
            Term::tuple([Term::Pid(tether::self_pid()), t.clone()]),
        )
        .unwrap();
        assert_eq!(tether::receive_timeout::<Term>(T).await, Some(t));
    });
}

#[test]
fn a_one_megabyte_binary_is_echoed_both_ways() {
    run(async {
        let (_b, b) = beam("big").await;
        let code = format!(
            "B = crypto:strong_rand_bytes(1048576), {{echo, {}}} ! {{self(), B}}, receive R -> R =:= B after 10000 -> timeout end.",
            me()
        );
        assert_eq!(eval(b, &code).await, Term::atom("true"));
        eval(
            b,
            "register(becho, spawn(fun L() -> receive {F, M} -> F ! M, L() end end)).",
        )
        .await;
        let big = Term::binary(
            (0..1_048_576u32)
                .map(|i| (i * 7) as u8)
                .collect::<Vec<u8>>(),
        );
        tether::send(
            ("becho", b),
            Term::tuple([Term::Pid(tether::self_pid()), big.clone()]),
        )
        .unwrap();
        assert_eq!(tether::receive_timeout::<Term>(T).await, Some(big));
    });
}

/// Tether's outgoing atom cache, as erl reads it: thousands of messages that repeat
/// some atoms (cached entries) and rotate others through the 2048 slots (new entries
/// replacing old ones), messages with more atoms than a header holds and a long atom
/// (2-byte lengths), and fragmented messages whose first fragment carries the cache
/// section. erl echoes everything back; every value must come back equal.
#[test]
fn erl_reads_tethers_atom_cache() {
    run(async {
        let (_b, b) = beam("acache").await;
        eval(
            b,
            "register(becho, spawn(fun L() -> receive {F, M} -> F ! M, L() end end)).",
        )
        .await;
        let me_pid = Term::Pid(tether::self_pid());
        let long = Term::atom(&"\u{fc}".repeat(200));
        let many = |n: usize, k: usize| {
            Term::List(
                (0..n)
                    .map(|i| Term::atom(&format!("many_{k}_{i}")))
                    .collect(),
            )
        };
        let mut sent = Vec::new();
        for i in 0..3000i64 {
            let msg = match i % 500 {
                7 => Term::tuple([Term::atom("many"), many(300, i as usize % 3), long.clone()]),
                8 => Term::tuple([
                    Term::atom("big"),
                    many(400, 9),
                    Term::binary(vec![(i % 251) as u8; 200_000]),
                    long.clone(),
                ]),
                _ => Term::tuple([
                    Term::atom("seq"),
                    Term::from(i),
                    Term::atom(&format!("rotating_{}", i % 2500)),
                    Term::List(vec![Term::atom("ok"), Term::atom("error")]),
                    me_pid.clone(),
                ]),
            };
            tether::send(("becho", b), Term::tuple([me_pid.clone(), msg.clone()])).unwrap();
            sent.push(msg);
            if sent.len() == 500 {
                for m in sent.drain(..) {
                    assert_eq!(tether::receive_timeout::<Term>(T).await, Some(m));
                }
            }
        }
        // The connection is still up and in step.
        assert_eq!(eval(b, "ok.").await, Term::atom("ok"));
    });
}

#[test]
fn gen_server_call_and_cast_from_erl_to_kv() {
    run(async {
        let (_b, b) = beam("kv").await;
        let m = me();
        // F: a bad request; G: keys match exactly, as map keys ({k, 1.0} is not {k, 1}).
        let code = format!(
            "S = {{kv, {m}}}, A = gen_server:call(S, {{put, {{k, 1}}, <<\"v\">>}}), B = gen_server:call(S, {{get, {{k, 1}}}}),
             gen_server:cast(S, {{put, k2, 2}}), C = gen_server:call(S, {{get, k2}}), ok = gen_server:call(S, {{delete, k2}}),
             D = gen_server:call(S, {{get, k2}}),
             E = try gen_server:call({{nosuch, {m}}}, x, 3000) catch exit:{{Reason, _}} -> Reason end,
             F = gen_server:call(S, {{bogus, 1}}), G = gen_server:call(S, {{get, {{k, 1.0}}}}),
             {{A, B, C, D, E, F, G}}."
        );
        assert_eq!(
            eval(b, &code).await,
            term(
                "{ok, {ok, <<\"v\">>}, {ok, 2}, error, noproc, {error, {bad_request, {bogus, 1}}}, error}"
            )
        );
    });
}

#[test]
fn tether_calls_a_beam_gen_server_and_sees_noproc() {
    run(async {
        let (_b, b) = beam("call").await;
        // application_controller is a gen_server on every node.
        let r = dist::call(
            ("application_controller", b),
            Term::atom("which_applications"),
            T,
        )
        .await
        .unwrap();
        assert!(
            r.as_list().is_some_and(|l| l
                .iter()
                .any(|a| a.as_tuple().is_some_and(|t| t[0].is_atom("kernel")))),
            "{r}"
        );
        let r = dist::call(("nosuch", b), Term::atom("x"), T).await;
        assert_eq!(r, Err(dist::CallError::NoProc));
    });
}

#[test]
fn links_exits_and_unlink_tether_side() {
    run(async {
        let (_b, b) = beam("linkt").await;
        tether::trap_exit(true);
        // Link to a BEAM process that exits: the reason arrives.
        let p = beam_dier(b).await;
        tether::link(p).unwrap();
        tether::send(p, Term::atom("die")).unwrap();
        let e: Exit = tether::receive_timeout(T)
            .await
            .expect("exit from the BEAM process");
        assert_eq!(
            e,
            Exit {
                from: p,
                reason: ExitReason::from("bye")
            }
        );
        // Unlink (UNLINK_ID + ack), then the exit no longer reaches us.
        let p = beam_dier(b).await;
        tether::link(p).unwrap();
        eventually("the BEAM process has our link", || async {
            beam_links(p, b).await == Term::from(1)
        })
        .await;
        tether::unlink(p);
        eventually("the BEAM process has dropped our link", || async {
            beam_links(p, b).await == Term::from(0)
        })
        .await;
        tether::send(p, Term::atom("die")).unwrap();
        assert_eq!(tether::receive_timeout::<Exit>(QUIET).await, None);
        // Link to a dead BEAM process: noproc.
        tether::link(p).unwrap();
        let e: Exit = tether::receive_timeout(T).await.expect("noproc");
        assert_eq!(e.reason, ExitReason::Noproc);
        // exit/2 to a BEAM process, seen through a monitor.
        let p = beam_dier(b).await;
        let r = tether::monitor(p);
        tether::exit(p, ExitReason::Kill);
        let d: Down = tether::receive_timeout(T).await.expect("down");
        assert_eq!((d.reference, d.reason), (r, ExitReason::Killed));
        // Monitoring a dead pid and a missing name: noproc.
        tether::monitor(p);
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!(d.reason, ExitReason::Noproc);
        let r = tether::monitor((tether::Atom::new("nosuch"), b));
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!(d.reference, r);
        assert_eq!(d.object, Monitored::Name(tether::Atom::new("nosuch"), b));
        assert_eq!(d.reason, ExitReason::Noproc);
    });
}

/// How many links the BEAM process `p` has (asked from the BEAM itself).
async fn beam_links(p: Pid, b: tether::Node) -> Term {
    let r = tether::make_ref();
    eval(b, "catch register(linkinfo, spawn(fun L() -> receive {F, R, P} -> {links, Ls} = process_info(P, links), F ! {R, length(Ls)}, L() end end)).").await;
    tether::send(
        ("linkinfo", b),
        Term::tuple([Term::Pid(tether::self_pid()), Term::Ref(r), Term::Pid(p)]),
    )
    .unwrap();
    let m = tether::receive_select_timeout(T, |m: &tether::Message| {
        matches!(m.downcast_ref::<Term>().and_then(Term::as_tuple), Some([Term::Ref(x), _]) if *x == r)
    })
    .await
    .unwrap();
    m.downcast::<Term>().unwrap().as_tuple().unwrap()[1].clone()
}

#[test]
fn links_monitors_and_exits_beam_side() {
    run(async {
        let (_b, b) = beam("linkb").await;
        let m = me();
        // BEAM links to a Tether process that then dies with `boom`.
        let name = unique("victim");
        stoppable(&name, "boom");
        let code = format!(
            "process_flag(trap_exit, true), P = erpc:call({m}, erlang, whereis, ['{name}']), link(P), P ! stop,
             receive {{'EXIT', P, R}} -> R after 5000 -> timeout end."
        );
        assert_eq!(eval(b, &code).await, Term::atom("boom"));
        // Monitor by name: the DOWN names {Name, Node}.
        let name = unique("watched");
        stoppable(&name, "bang");
        let code = format!(
            "Ref = monitor(process, {{'{name}', {m}}}), {{'{name}', {m}}} ! stop,
             receive {{'DOWN', Ref, process, Obj, R}} -> {{Obj, R}} after 5000 -> timeout end."
        );
        assert_eq!(
            eval(b, &code).await,
            term(&format!("{{{{'{name}', {m}}}, bang}}"))
        );
        // Monitor of a missing name: noproc at once.
        let code = format!(
            "Ref = monitor(process, {{nosuch, {m}}}), receive {{'DOWN', Ref, _, _, R}} -> R after 5000 -> timeout end."
        );
        assert_eq!(eval(b, &code).await, Term::atom("noproc"));
        // exit/2 from the BEAM kills a Tether process we monitor.
        let (p, r) = tether::spawn_monitor(std::future::pending::<()>());
        let pname = unique("killme");
        tether::register(pname.as_str(), p).unwrap();
        eval(
            b,
            &format!("exit(erpc:call({m}, erlang, whereis, ['{pname}']), kill)."),
        )
        .await;
        let d: Down = tether::receive_timeout(T).await.unwrap();
        assert_eq!((d.reference, d.reason), (r, ExitReason::Killed));
        // BEAM links, unlinks (UNLINK_ID), then the Tether process dies: no EXIT.
        let name = unique("unlinked");
        stoppable(&name, "boom");
        let code = format!(
            "process_flag(trap_exit, true), P = erpc:call({m}, erlang, whereis, ['{name}']), link(P), unlink(P), P ! stop,
             receive {{'EXIT', P, R}} -> R after 1000 -> no_exit end."
        );
        assert_eq!(eval(b, &code).await, Term::atom("no_exit"));
    });
}

#[test]
fn rpc_and_erpc_from_erl_into_tether() {
    run(async {
        let (_b, b) = beam("rpcin").await;
        let n = node();
        let rpc = n.rpc();
        rpc.register_sync("tt", "add", 2, |a| {
            Ok(Term::from(a[0].as_i64().unwrap() + a[1].as_i64().unwrap()))
        });
        rpc.register_sync("tt", "fail", 1, |a| match a[0].as_atom() {
            Some("error") => Err(Exception::Error(Term::atom("oops"))),
            Some("exit") => Err(Exception::Exit(Term::atom("gone"))),
            _ => Err(Exception::Throw(Term::atom("ball"))),
        });
        let m = me();
        let code = format!(
            "{{rpc:call({m}, tether, ping, []), erpc:call({m}, erlang, node, []), rpc:call({m}, tt, add, [2, 3]),
              rpc:call({m}, os, cmd, [\"ls\"]), catch erpc:call({m}, os, cmd, [\"ls\"]),
              try erpc:call({m}, tt, fail, [error]) catch error:E1 -> {{error, E1}} end,
              try erpc:call({m}, tt, fail, [exit]) catch exit:E2 -> {{exit, E2}} end,
              try erpc:call({m}, tt, fail, [throw]) catch throw:E3 -> {{throw, E3}} end,
              gen_server:call({{rex, {m}}}, {{call, tt, add, [1, 1], user}}),
              begin {{rex, {m}}} ! {{self(), {{call, tt, add, [4, 4], user}}}}, receive {{rex, X}} -> X after 5000 -> timeout end end}}."
        );
        let expect = format!(
            "{{pong, {m}, 5, {{badrpc, notsup}}, {{'EXIT', {{{{erpc, notsup}}, []}}}}, {{error, {{exception, oops, []}}}}, {{exit, {{exception, gone}}}}, {{throw, ball}}, 2, 8}}"
        );
        let got = eval(b, &code).await;
        // erpc re-raises remote errors as `{exception, Reason, Stack}` and exits as
        // `{exception, Reason}`. `catch` adds a stack trace we do not spell out.
        let (g, e) = (
            got.as_tuple().unwrap().to_vec(),
            term(&expect).as_tuple().unwrap().to_vec(),
        );
        for i in [0, 1, 2, 3, 5, 6, 7, 8, 9] {
            assert_eq!(g[i], e[i], "element {i} of {got}");
        }
        let caught = g[4].as_tuple().unwrap();
        assert_eq!(
            caught[1].as_tuple().unwrap()[0],
            term("{erpc, notsup}"),
            "{got}"
        );
    });
}

#[test]
fn rpc_and_erpc_from_tether_into_erl() {
    run(async {
        let (_b, b) = beam("rpcout").await;
        let r = dist::rpc::call(b, "lists", "reverse", vec![term("[1,2,3]")], T).await;
        assert_eq!(r, Ok(term("[3,2,1]")));
        let r = dist::rpc::call(b, "nosuch", "fn", vec![], T).await;
        assert!(
            matches!(r, Err(RpcError::BadRpc(ref t)) if t.as_tuple().is_some_and(|t| t[0].is_atom("EXIT"))),
            "{r:?}"
        );
        let r = dist::erpc::call(b, "lists", "seq", vec![Term::from(1), Term::from(5)], T).await;
        assert_eq!(r, Ok(term("[1,2,3,4,5]")));
        let r = dist::erpc::call(b, "erlang", "binary_to_atom", vec![Term::from(1)], T).await;
        assert!(
            matches!(r, Err(ErpcError::Error(ref e, _)) if e.is_atom("badarg")),
            "{r:?}"
        );
        let r = dist::erpc::call(b, "erlang", "exit", vec![Term::atom("bye")], T).await;
        assert_eq!(r, Err(ErpcError::Exit(Term::atom("bye"))));
        let r = dist::erpc::call(b, "erlang", "throw", vec![Term::atom("t")], T).await;
        assert_eq!(r, Err(ErpcError::Throw(Term::atom("t"))));
        // io from the remote function goes to us as group leader and is answered.
        let r = dist::erpc::call(b, "io", "format", vec![Term::charlist("hi~n")], T).await;
        assert_eq!(r, Ok(Term::atom("ok")));
        let r = dist::erpc::call(
            b,
            "timer",
            "sleep",
            vec![Term::from(5000)],
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(r, Err(ErpcError::Timeout));
    });
}

#[test]
fn killing_the_beam_node_gives_noconnection() {
    run(async {
        let (beam_proc, b) = beam("victim").await;
        tether::trap_exit(true);
        let p = beam_dier(b).await;
        tether::link(p).unwrap();
        let q = beam_dier(b).await;
        let r = tether::monitor(q);
        let rn = tether::monitor((tether::Atom::new("agent"), b));
        dist::monitor_node(b, true).unwrap();
        dist::monitor_nodes(true, true).unwrap();
        beam_proc.kill().await;
        let e: Exit = tether::receive_timeout(T).await.expect("exit");
        assert_eq!(
            e,
            Exit {
                from: p,
                reason: ExitReason::Noconnection
            }
        );
        let mut downs = Vec::new();
        for _ in 0..2 {
            let d: Down = tether::receive_timeout(T).await.expect("down");
            assert_eq!(d.reason, ExitReason::Noconnection);
            downs.push(d.reference);
        }
        downs.sort_by_key(|r| r.words().to_vec());
        let mut want = vec![r, rn];
        want.sort_by_key(|r| r.words().to_vec());
        assert_eq!(downs, want);
        // One `nodedown` from monitor_node and one from monitor_nodes. The node is
        // shared with the other tests of this file, whose BEAM nodes come and go
        // meanwhile: monitor_nodes reports those too, so look only at `b`'s.
        for _ in 0..2 {
            let about_b = move |m: &tether::Message| {
                m.downcast_ref::<NodeEvent>() == Some(&NodeEvent::Down(b))
            };
            let got = tether::receive_select_timeout(T, about_b).await;
            assert!(got.is_some(), "no nodedown for {b}");
        }
        dist::monitor_nodes(false, true).unwrap();
        assert!(!dist::nodes(dist::NodeKind::Connected).contains(&b));
    });
}

#[test]
fn wrong_cookie_is_refused_both_ways() {
    run(async {
        let (_b, b) = beam_with("badcookie", "not_the_cookie", &[]).await;
        let r = dist::call(("net_kernel", b), Term::atom("x"), T).await;
        assert_eq!(r, Err(dist::CallError::NodeDown(b)));
        let code = format!(
            "io:format(\"ping=~p~n\", [net_adm:ping({})]), receive after infinity -> ok end.",
            me()
        );
        let mut p = Beam::start(&BeamSpec::erl(
            "badpinger",
            "also_wrong",
            Some(epmd_port()),
            &code,
        ));
        let line = p.wait_line("ping=", T).await;
        assert!(line.contains("pang"), "{line}");
        // A per-node cookie override makes it work.
        node().cookies().set_for(
            b.name().as_str(),
            tether::dist::Cookie::new("not_the_cookie").unwrap(),
        );
        let req = Term::tuple([Term::atom("is_auth"), Term::atom("x")]);
        assert_eq!(
            dist::call(("net_kernel", b), req, T).await,
            Ok(Term::atom("yes"))
        );
    });
}

/// We and `erl` dial each other at once (both attempts held until both are pending,
/// see `interop/race.rs`): the node with the greater name answers `nok`, the other
/// `ok_simultaneous`, and the greater node's own connection is the one that stays.
/// erl also says which of its sockets carries the connection.
async fn simultaneous_connect(prefix: &str, winner: Winner) {
    let mut arena = Arena::new().await;
    let go = std::env::temp_dir().join(unique("go"));
    // Pings us once the go file exists, and runs the agent meanwhile.
    let code = format!(
        "Go = \"{}\", W = fun L() -> case filelib:is_file(Go) of true -> ok; false -> timer:sleep(1), L() end end, \
         spawn(fun() -> W(), io:format(\"ping=~p~n\", [net_adm:ping({})]) end), {AGENT}",
        go.display(),
        me()
    );
    let spec = BeamSpec::erl(prefix, COOKIE, Some(arena.epmd_port()), &code);
    let mut p = Beam::start(&spec);
    p.wait_line("agent ready", T).await;
    let b = tether::Node::intern(&p.node).unwrap();
    let (mut to_erl, _erl_here) = arena.gate_peer(&spec.sname).await;
    race(b, winner, &mut arena, &mut to_erl, || {
        std::fs::write(&go, b"go").unwrap()
    })
    .await;
    let line = p.wait_line("ping=", T).await;
    let _ = std::fs::remove_file(&go);
    assert!(line.contains("pong"), "{line}");
    // erl's view of the surviving connection: it accepted it (its local port is its
    // listen port) exactly when we dialed it.
    let erl_accepted = eval(
        b,
        &format!(
            "{{_, S}} = lists:keyfind({}, 1, erlang:system_info(dist_ctrl)), \
             {{ok, {{_, Local}}}} = inet:sockname(S), {{ok, Names}} = net_adm:names(), \
             {{_, Listen}} = lists:keyfind(\"{}\", 1, Names), Local =:= Listen.",
            me(),
            spec.sname
        ),
    )
    .await;
    assert_eq!(
        erl_accepted,
        Term::atom(if winner == Winner::Us {
            "true"
        } else {
            "false"
        }),
        "which side dialed the surviving connection"
    );
}

/// "simul…" < "tether…": our attempt wins.
#[test]
fn simultaneous_connect_greater_name_wins_we_win() {
    run(simultaneous_connect("simul", Winner::Us));
}

/// "zsimul…" > "tether…": erl's attempt wins.
#[test]
fn simultaneous_connect_greater_name_wins_erl_wins() {
    run(simultaneous_connect("zsimul", Winner::Peer));
}

#[test]
fn try_eval_reports_exceptions() {
    run(async {
        let (_b, b) = beam("exc").await;
        assert!(try_eval(b, "error(x).").await.is_err());
    });
}
