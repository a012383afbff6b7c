//! BEAM tools look at a Tether node: the introspection BIFs over rpc from a real
//! `erl` node, in the shapes the BEAM answers, and Erlang's own `etop` listing a
//! Tether node's processes.

mod interop;

use interop::node::{COOKIE, T, beam, beam_with, eval, me, node, run, term};
use interop::unique;
use tether::{Pid, Term};

/// A process that never receives, so its queue only grows.
fn deaf() -> Pid {
    tether::spawn(std::future::pending())
}

fn list(t: &Term) -> Vec<Term> {
    t.as_list()
        .unwrap_or_else(|| panic!("{t} is not a list"))
        .to_vec()
}

/// `{Key, Value}` pairs of a proplist.
fn get<'a>(props: &'a [Term], key: &str) -> &'a Term {
    props
        .iter()
        .find_map(|p| match p.as_tuple() {
            Some([k, v]) if k.is_atom(key) => Some(v),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {key} in {}", Term::list(props.to_vec())))
}

#[test]
fn process_info_and_friends_answer_as_the_beam_does() {
    run(async {
        let (_b, b) = beam("introspect").await;
        let m = me();
        // A registered process with three queued messages, trapping exits, linked to
        // a second process and monitoring a third.
        let name = unique("watched");
        let partner = deaf();
        let target = deaf();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let watched = tether::spawn(async move {
            tether::trap_exit(true);
            tether::link(partner).unwrap();
            let mref = tether::monitor(target);
            tx.send(mref).unwrap();
            std::future::pending::<()>().await
        });
        tether::register(name.as_str(), watched).unwrap();
        rx.await.unwrap();
        for i in 0..3u32 {
            tether::send(watched, i).unwrap();
        }
        // The sends made it runnable (as on the BEAM, a process with new messages is
        // `runnable` until it is scheduled); wait until it has run and gone back to
        // waiting, so the status read below is not a race with the scheduler.
        while tether::process_info(watched).map(|i| i.status) != Some(tether::Status::Waiting) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }

        // processes/0 lists it; process_info/2 with a list of items.
        let code = format!(
            "P = erpc:call({m}, erlang, whereis, ['{name}']),
             Ps = rpc:call({m}, erlang, processes, []),
             Info = rpc:call({m}, erlang, process_info, [P, [registered_name, message_queue_len, links,
                 monitors, monitored_by, status, trap_exit, initial_call, current_function,
                 reductions, memory]]),
             {{lists:member(P, Ps), length(Ps), Info}}."
        );
        let got = eval(b, &code).await;
        let [member, count, info] = got.as_tuple().unwrap() else {
            panic!("{got}")
        };
        assert_eq!(*member, Term::from(true), "{got}");
        assert!(count.as_i64().unwrap() >= 4, "{got}");
        let info = list(info);
        assert_eq!(*get(&info, "registered_name"), Term::atom(&name));
        assert_eq!(*get(&info, "message_queue_len"), Term::from(3));
        assert_eq!(list(get(&info, "links")), vec![Term::Pid(partner)]);
        assert_eq!(
            list(get(&info, "monitors")),
            vec![Term::tuple([Term::atom("process"), Term::Pid(target)])]
        );
        assert_eq!(list(get(&info, "monitored_by")), Vec::<Term>::new());
        assert_eq!(*get(&info, "status"), Term::atom("waiting"));
        assert_eq!(*get(&info, "trap_exit"), Term::from(true));
        assert_eq!(*get(&info, "initial_call"), term("{erlang, apply, 2}"));
        assert!(get(&info, "reductions").as_i64().is_some());
        assert!(get(&info, "memory").as_i64().unwrap() > 0);

        // The items one at a time, an unregistered process's name, the default list,
        // and a dead pid.
        let code = format!(
            "P = erpc:call({m}, erlang, whereis, ['{name}']),
             Q = erpc:call({m}, erlang, whereis, [kv]),
             {{rpc:call({m}, erlang, process_info, [P, message_queue_len]),
               rpc:call({m}, erlang, process_info, [Q, registered_name]),
               rpc:call({m}, erlang, process_info, [Q, initial_call]),
               rpc:call({m}, erlang, process_info, [P]),
               rpc:call({m}, erlang, process_info, [P, no_such_item])}}."
        );
        let got = eval(b, &code).await;
        let [mq, kv_name, kv_call, full, bad] = got.as_tuple().unwrap() else {
            panic!("{got}")
        };
        assert_eq!(*mq, term("{message_queue_len, 3}"));
        assert_eq!(*kv_name, term("{registered_name, kv}"));
        // A GenServer reports its type as the module, with init/1.
        let [_, call] = kv_call.as_tuple().unwrap() else {
            panic!("{got}")
        };
        let [module, f, a] = call.as_tuple().unwrap() else {
            panic!("{got}")
        };
        assert!(module.as_atom().unwrap().contains("Kv"), "{got}");
        assert_eq!((f.clone(), a.clone()), (Term::atom("init"), Term::from(1)));
        let full = list(full);
        assert_eq!(*get(&full, "registered_name"), Term::atom(&name));
        assert_eq!(*get(&full, "message_queue_len"), Term::from(3));
        assert_eq!(*get(&full, "trap_exit"), Term::from(true));
        assert!(
            bad.as_tuple().is_some_and(|t| t[0].is_atom("badrpc")),
            "an unknown item is badarg, as on the BEAM: {got}"
        );

        let dead = tether::spawn(async {});
        tether::monitor(dead);
        let _: tether::Down = tether::receive_timeout(T).await.unwrap();
        let code = format!(
            "{{rpc:call({m}, erlang, process_info, [{dead}]),
               rpc:call({m}, erlang, process_info, [{dead}, status])}}.",
            dead = pid_text(dead, b).await
        );
        assert_eq!(eval(b, &code).await, term("{undefined, undefined}"));
    });
}

/// How the BEAM node `b` writes the Tether pid `p` in source code
/// (`c:pid(0, Id, Serial)` cannot name another node's pid; `list_to_pid` can).
async fn pid_text(p: Pid, b: tether::Node) -> String {
    // Ask the BEAM to print the pid it receives.
    let reg = unique("pidtext");
    eval(
        b,
        &format!(
            "register('{reg}', spawn(fun() -> receive {{F, P}} -> F ! pid_to_list(P) end end))."
        ),
    )
    .await;
    tether::send(
        (reg.as_str(), b),
        Term::tuple([Term::Pid(tether::self_pid()), Term::Pid(p)]),
    )
    .unwrap();
    let text: Term = tether::receive_timeout(T).await.unwrap();
    let chars: String = text
        .as_list()
        .unwrap()
        .iter()
        .map(|c| char::from_u32(c.as_i64().unwrap() as u32).unwrap())
        .collect();
    format!("list_to_pid(\"{chars}\")")
}

#[test]
fn system_info_memory_and_statistics() {
    run(async {
        let (_b, b) = beam("sysinfo").await;
        let m = me();
        let code = format!(
            "{{rpc:call({m}, erlang, system_info, [process_count]),
               rpc:call({m}, erlang, system_info, [schedulers]),
               rpc:call({m}, erlang, system_info, [wordsize]),
               rpc:call({m}, erlang, memory, []),
               rpc:call({m}, erlang, memory, [total]),
               rpc:call({m}, erlang, memory, [[processes, ets]]),
               rpc:call({m}, erlang, statistics, [run_queue]),
               rpc:call({m}, erlang, statistics, [wall_clock]),
               rpc:call({m}, erlang, statistics, [reductions]),
               rpc:call({m}, erlang, statistics, [runtime]),
               rpc:call({m}, erlang, registered, []),
               rpc:call({m}, erlang, system_info, [no_such_key])}}."
        );
        let got = eval(b, &code).await;
        let t = got.as_tuple().unwrap();
        assert!(t[0].as_i64().unwrap() > 5, "process_count: {got}");
        assert_eq!(t[1], Term::from(2), "the test node runs 2 workers: {got}");
        assert_eq!(t[2], Term::from(8));
        let mem = list(&t[3]);
        let total = get(&mem, "total").as_i64().unwrap();
        assert!(total > 1 << 20, "{got}");
        assert!(get(&mem, "processes").as_i64().unwrap() > 0, "{got}");
        assert!(t[4].as_i64().unwrap() > 1 << 20, "{got}");
        let two = list(&t[5]);
        assert_eq!(get(&two, "ets").as_i64(), Some(0));
        assert!(t[6].as_i64().is_some(), "{got}");
        for i in [7, 8, 9] {
            let pair = t[i].as_tuple().unwrap_or_else(|| panic!("{got}"));
            assert!(pair.len() == 2 && pair[0].as_i64().is_some(), "{got}");
        }
        assert!(list(&t[10]).contains(&Term::atom("kv")), "{got}");
        assert!(
            t[11].as_tuple().is_some_and(|x| x[0].is_atom("badrpc")),
            "{got}"
        );
    });
}

/// Where Erlang's `etop` is: the installed observer application, or the one
/// `scripts/test.sh` unpacked from Debian's erlang-observer package under `target/`.
fn etop_ebin() -> String {
    let installed = std::process::Command::new("erl")
        .args(["-noshell", "-eval"])
        .arg("io:format(\"~s\", [case code:which(etop) of non_existing -> \"\"; P -> filename:dirname(P) end]), halt().")
        .output()
        .expect("run erl");
    let dir = String::from_utf8_lossy(&installed.stdout).trim().to_owned();
    if !dir.is_empty() {
        return dir;
    }
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/erlang-observer/usr/lib/erlang/lib");
    std::fs::read_dir(&lib)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("ebin"))
        .find(|p| p.join("etop.beam").is_file())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| {
            panic!(
                "Erlang's etop is missing: run scripts/test.sh (it unpacks Debian's \
                 erlang-observer under target/), or apt-get install erlang-observer"
            )
        })
}

/// Erlang's `etop`, run on the BEAM node against the Tether node (tracing off: a
/// Tether node has no trace port), lists the Tether node's processes: its header
/// names the node and a process with a long queue heads the list sorted by `msg_q`.
#[test]
fn etop_lists_a_tether_nodes_processes() {
    run(async {
        let ebin = etop_ebin();
        let (_b, b) = beam_with("etop", COOKIE, &["-pa", &ebin]).await;
        let m = me();
        let name = unique("etop_busy");
        let busy = deaf();
        tether::register(name.as_str(), busy).unwrap();
        for i in 0..250u32 {
            tether::send(busy, i).unwrap();
        }
        // etop prints through its group leader: give it one that keeps the text.
        let code = format!(
            "Self = self(),
             Cap = spawn(fun Loop() ->
                 receive {{io_request, From, Ref, Req}} ->
                     Text = case Req of
                         {{put_chars, _, Mod, Fun, Args}} -> apply(Mod, Fun, Args);
                         {{put_chars, _, Chars}} -> Chars;
                         {{put_chars, Chars}} -> Chars;
                         _ -> []
                     end,
                     Self ! {{etop_text, unicode:characters_to_binary(Text)}},
                     From ! {{io_reply, Ref, ok}},
                     Loop()
                 end end),
             spawn(fun() -> group_leader(Cap, self()),
                 etop:start([{{node, {m}}}, {{output, text}}, {{tracing, off}}, {{interval, 1}},
                             {{lines, 5}}, {{sort, msg_q}}]) end),
             timer:sleep(2500),
             etop:stop(),
             Collect = fun C(Acc) -> receive {{etop_text, B}} -> C([B | Acc]) after 1000 -> lists:reverse(Acc) end end,
             iolist_to_binary(Collect([]))."
        );
        let got = eval(b, &code).await;
        let text = String::from_utf8(got.as_binary().unwrap().to_vec()).unwrap();
        let bare = node().name().to_string();
        assert!(
            text.contains(&bare),
            "etop's header names the node:\n{text}"
        );
        let first_row = text
            .lines()
            .skip_while(|l| !l.contains("Pid"))
            .skip(1)
            .find(|l| !l.trim().is_empty() && !l.starts_with(['=', '-']))
            .unwrap_or_else(|| panic!("no process rows:\n{text}"));
        assert!(
            first_row.contains(&name) && first_row.contains("250"),
            "the busiest queue first (sorted by msg_q):\n{text}"
        );
    });
}
