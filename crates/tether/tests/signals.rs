//! Behaviour tests for signals, links, monitors and aliases: docs/semantics.md §1.
//!
//! Ported from the cases listed in docs/semantics.md §1.9, which come from OTP's
//! `erts/emulator/test/process_SUITE.erl`, `monitor_SUITE.erl`,
//! `lib/stdlib/test/gen_server_SUITE.erl` and Elixir's `process_test.exs`.
//! Each test names its source case.

mod common;

use std::time::Duration;

use common::{assert_no_message, assert_none_sent_before, eventually, flush, run, wait_forever};
use tether::{
    AliasMode, Down, Exit, ExitReason, Monitored, Node, SpawnOpts, Status, Term, receive,
};

fn links_of(p: tether::Pid) -> Vec<tether::Pid> {
    tether::process_info(p).map_or_else(Vec::new, |i| i.links)
}

fn waiting(p: tether::Pid) -> bool {
    tether::process_info(p).is_some_and(|i| i.status == Status::Waiting)
}

/// §1.9 case 1, `process_SUITE:t_exit_2_other_normal`.
#[test]
fn t_exit_2_other_normal() {
    run(async {
        tether::trap_exit(true);
        let p = tether::spawn_link(wait_forever());
        tether::exit(p, ExitReason::Normal);
        // Our signals reach p in the order sent (S2): had the `normal` exit killed p,
        // its EXIT would say `normal`; it says the reason of the next signal.
        tether::exit(p, "next".into());
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: p,
                reason: "next".into()
            },
            "a normal exit signal from another process killed p"
        );
    })
}

/// §1.9 case 2, `process_SUITE:normal_suicide_exit`.
#[test]
fn normal_suicide_exit() {
    run(async {
        tether::trap_exit(true);
        let p = tether::spawn_link(async {
            tether::exit(tether::self_pid(), ExitReason::Normal);
            wait_forever().await
        });
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: p,
                reason: ExitReason::Normal
            }
        );
        assert!(!tether::is_alive(p));
    })
}

/// §1.9 case 3, `process_SUITE:self_exit`.
#[test]
fn self_exit() {
    run(async {
        let parent = tether::self_pid();
        tether::spawn(async move {
            tether::trap_exit(true);
            let big = ExitReason::from_term(Term::tuple([Term::atom("big"), Term::Int(1 << 40)]));
            tether::exit(tether::self_pid(), big.clone());
            let e: Exit = receive().await;
            assert_eq!(
                e,
                Exit {
                    from: tether::self_pid(),
                    reason: big
                }
            );
            tether::send(parent, "still running").unwrap();
        });
        assert_eq!(receive::<&str>().await, "still running");
    })
}

/// §1.9 case 4, `process_SUITE:t_exit_2_catch`: an exit signal is not an exception,
/// so catching around `exit(self(), die)` does not help.
#[test]
fn t_exit_2_catch() {
    run(async {
        let (p, _) = tether::spawn_monitor(async {
            let caught =
                std::panic::catch_unwind(|| tether::exit(tether::self_pid(), "die".into()));
            assert!(caught.is_ok());
            wait_forever().await
        });
        let d: Down = receive().await;
        assert_eq!(d.object, Monitored::Pid(p));
        assert_eq!(d.reason, ExitReason::from("die"));
    })
}

/// §1.9 case 5, `process_SUITE:exit_twice`: the first fatal reason wins.
#[test]
fn exit_twice() {
    run(async {
        let (low, _) = tether::spawn_monitor(wait_forever());
        tether::exit(low, "first".into());
        tether::exit(low, "second".into());
        let d: Down = receive().await;
        assert_eq!(d.reason, ExitReason::from("first"));
    })
}

/// §1.9 case 6: `exit(B, kill)` reaches linked trappers as `killed`.
#[test]
fn kill_is_converted_to_killed() {
    run(async {
        tether::trap_exit(true);
        let b = tether::spawn_link(wait_forever());
        tether::exit(b, ExitReason::Kill);
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: b,
                reason: ExitReason::Killed
            }
        );
    })
}

/// §1.9 case 6, variant: a process that exits with `kill` itself propagates `kill`,
/// which is trappable over the link.
#[test]
fn own_kill_reason_is_trappable() {
    run(async {
        tether::trap_exit(true);
        let b = tether::spawn_link(async { tether::exit_self(ExitReason::Kill) });
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: b,
                reason: ExitReason::Kill
            }
        );
        assert!(tether::is_alive(tether::self_pid()));
    })
}

/// §1.3 row 2: a non-trapping process linked to one that exits with `kill` dies with
/// `kill` (not converted).
#[test]
fn link_kill_kills_non_trapper_with_kill() {
    run(async {
        let (middle, _) = tether::spawn_monitor(async {
            tether::spawn_link(async { tether::exit_self(ExitReason::Kill) });
            wait_forever().await
        });
        let d: Down = receive().await;
        assert_eq!(d.object, Monitored::Pid(middle));
        assert_eq!(d.reason, ExitReason::Kill);
    })
}

/// §1.3 rows 3–4: `killed` and other reasons propagate along a chain of links.
#[test]
fn abnormal_exit_propagates_along_links() {
    run(async {
        let parent = tether::self_pid();
        let (a, _) = tether::spawn_monitor(async move {
            let b = tether::spawn_link(async move {
                let c = tether::spawn_link(wait_forever());
                tether::send(parent, c).unwrap();
                wait_forever().await
            });
            let _ = b;
            wait_forever().await
        });
        let c: tether::Pid = receive().await;
        tether::exit(c, ExitReason::Kill);
        let d: Down = receive().await;
        assert_eq!(d.object, Monitored::Pid(a));
        assert_eq!(d.reason, ExitReason::Killed);
    })
}

/// §1.3 row 1: a normal exit over a link is ignored by a non-trapping process.
#[test]
fn normal_exit_over_link_is_ignored() {
    run(async {
        let (p, _) = tether::spawn_monitor(async {
            let child = tether::spawn_link(async {});
            // Handling the child's exit signal removes the link; were it fatal, we
            // would die `normal` right then.
            eventually(
                "the linked child's normal exit signal is handled",
                || async { !tether::is_alive(child) && links_of(tether::self_pid()).is_empty() },
            )
            .await;
            tether::exit_self("survived".into())
        });
        let _ = p;
        let d: Down = receive().await;
        assert_eq!(d.reason, ExitReason::from("survived"));
    })
}

/// §1.3 row 5: after `unlink`, the old partner's death has no effect.
#[test]
fn unlinked_exit_is_dropped() {
    run(async {
        tether::trap_exit(true);
        let p = tether::spawn_link(async {
            let _ = receive::<()>().await;
            tether::exit_self("bye".into())
        });
        tether::unlink(p);
        let r = tether::monitor(p);
        tether::send(p, ()).unwrap();
        let d: Down = receive().await;
        assert_eq!(d.reference, r);
        assert_no_message::<Exit>("an EXIT from an unlinked process").await;
    })
}

/// §1.9 case 7: linking to a dead local pid.
#[test]
fn link_to_dead_pid() {
    run(async {
        let (dead, _) = tether::spawn_monitor(async {});
        let _: Down = receive().await;
        assert_eq!(tether::link(dead), Err(tether::NoProc(dead)));
        tether::trap_exit(true);
        assert_eq!(tether::link(dead), Ok(()));
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: dead,
                reason: ExitReason::Noproc
            }
        );
    })
}

/// §1.4 L1: linking twice or to oneself is a no-op.
#[test]
fn link_is_idempotent() {
    run(async {
        let p = tether::spawn(wait_forever());
        tether::link(p).unwrap();
        tether::link(p).unwrap();
        tether::link(tether::self_pid()).unwrap();
        let me = tether::self_pid();
        assert_eq!(links_of(me), vec![p]);
        eventually("p has handled our link signals", || async {
            links_of(p) == vec![me]
        })
        .await;
        tether::unlink(p);
        tether::unlink(p);
        assert!(links_of(me).is_empty());
        eventually("p has handled our unlink signals", || async {
            links_of(p).is_empty()
        })
        .await;
        tether::exit(p, ExitReason::Kill);
    })
}

/// §1.9 case 8, `monitor_SUITE:mon_1`.
#[test]
fn mon_1() {
    run(async {
        // normal exit
        let p = tether::spawn(async {
            let _ = receive::<()>().await;
        });
        let r = tether::monitor(p);
        tether::send(p, ()).unwrap();
        let d: Down = receive().await;
        assert_eq!((d.reference, d.reason), (r, ExitReason::Normal));

        // exit(P, frop)
        let p = tether::spawn(wait_forever());
        let r = tether::monitor(p);
        tether::exit(p, "frop".into());
        let d: Down = receive().await;
        assert_eq!(
            (d.reference, d.object, d.reason),
            (r, Monitored::Pid(p), "frop".into())
        );

        // a dead pid
        let r = tether::monitor(p);
        let d: Down = receive().await;
        assert_eq!((d.reference, d.reason), (r, ExitReason::Noproc));

        // by name
        let p = tether::spawn(wait_forever());
        tether::register("jeeves", p).unwrap();
        let r = tether::monitor("jeeves");
        tether::exit(p, "frop".into());
        let d: Down = receive().await;
        assert_eq!(d.reference, r);
        assert_eq!(d.object, Monitored::Name("jeeves".into(), Node::local()));
        assert_eq!(d.reason, ExitReason::from("frop"));

        // an unregistered name
        let r = tether::monitor("jeeves");
        let d: Down = receive().await;
        assert_eq!(d.reference, r);
        assert_eq!(d.object, Monitored::Name("jeeves".into(), Node::local()));
        assert_eq!(d.reason, ExitReason::Noproc);
    })
}

/// §1.5 M2: monitors stack.
#[test]
fn monitors_stack() {
    run(async {
        let p = tether::spawn(wait_forever());
        let refs: Vec<_> = (0..3).map(|_| tether::monitor(p)).collect();
        tether::exit(p, ExitReason::Kill);
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(receive::<Down>().await.reference);
        }
        got.sort_by_key(|r| r.words().to_vec());
        let mut want = refs.clone();
        want.sort_by_key(|r| r.words().to_vec());
        assert_eq!(got, want);
        assert_no_message::<Down>("a fourth DOWN for three monitors").await;
    })
}

/// §1.9 case 9, `monitor_SUITE:demon_2`.
#[test]
fn demon_2() {
    run(async {
        let p = tether::spawn(async {
            let _ = receive::<()>().await;
        });
        let r = tether::monitor(p);
        assert!(tether::demonitor(r));
        assert!(tether::demonitor(r));
        tether::send(p, ()).unwrap();
        assert_no_message::<Down>("a DOWN after demonitor").await;
        // Monitoring oneself is allowed and never fires (M7).
        let me = tether::monitor(tether::self_pid());
        assert!(tether::demonitor(me));
        assert!(tether::demonitor(me));
    })
}

/// §1.9 case 10, `monitor_SUITE:demonitor_flush`.
#[test]
fn demonitor_flush() {
    run(async {
        let p = tether::spawn(wait_forever());
        let m1 = tether::monitor(p);
        let m2 = tether::monitor(p);
        let m3 = tether::monitor(p);
        let m4 = tether::monitor(p);
        assert!(tether::demonitor_flush(m1));
        tether::exit(p, ExitReason::Kill);
        eventually("the DOWNs of m2, m3 and m4 are in the mailbox", || async {
            tether::mailbox_len() == 3
        })
        .await;
        assert!(tether::demonitor_flush(m3));
        assert!(tether::demonitor(m4));
        let downs: Vec<_> = flush()
            .await
            .into_iter()
            .filter_map(|m| m.downcast::<Down>().ok())
            .map(|d| d.reference)
            .collect();
        assert!(downs.contains(&m2) && downs.contains(&m4), "{downs:?}");
        assert!(!downs.contains(&m1) && !downs.contains(&m3));
    })
}

/// §1.9 case 11, `monitor_SUITE:local_remove_monitor`.
#[test]
fn local_remove_monitor() {
    run(async {
        let p = tether::spawn(wait_forever());
        let r = tether::monitor(p);
        assert!(tether::demonitor_info(r, false));
        tether::exit(p, ExitReason::Kill);
        assert_no_message::<Down>("a DOWN after demonitor").await;

        let p = tether::spawn(wait_forever());
        let r = tether::monitor(p);
        tether::exit(p, ExitReason::Kill);
        eventually("the DOWN is in the mailbox", || async {
            tether::mailbox_len() == 1
        })
        .await;
        assert!(!tether::demonitor_info(r, false));
        let d: Down = receive().await;
        assert_eq!(d.reference, r);
    })
}

/// §1.9 case 12, Elixir `process_test.exs: "simple alias + unalias flow"`.
#[test]
fn simple_alias_unalias_flow() {
    run(async {
        let me = tether::self_pid();
        // Answers to the alias, then says so to the pid: by S2, a reply that got
        // through would arrive before "sent".
        let server = tether::spawn(async move {
            loop {
                let to: tether::Reference = receive().await;
                tether::send(to, "reply").unwrap();
                tether::send(me, "sent").unwrap();
            }
        });
        let a = tether::alias(AliasMode::Explicit);
        tether::send(server, a).unwrap();
        assert_eq!(receive::<&str>().await, "reply");
        assert_eq!(receive::<&str>().await, "sent");
        assert!(tether::unalias(a));
        assert!(!tether::unalias(a));
        tether::send(server, a).unwrap();
        assert_eq!(
            receive::<&str>().await,
            "sent",
            "a reply through an unaliased alias"
        );
        tether::exit(server, ExitReason::Kill);
    })
}

/// Elixir `process_test.exs: "with :reply option when aliasing"`.
#[test]
fn alias_with_reply_mode() {
    run(async {
        let a = tether::alias(AliasMode::Reply);
        tether::send(a, 1u8).unwrap();
        tether::send(a, 2u8).unwrap();
        assert_eq!(receive::<u8>().await, 1);
        assert_none_sent_before::<u8>("a second message through a reply alias").await;
    })
}

/// §1.9 case 13, `gen_server_SUITE:reply_by_alias_with_payload` (the process-level
/// part): a monitor that is also an alias takes replies until the monitor goes.
#[test]
fn reply_by_alias_with_payload() {
    run(async {
        let me = tether::self_pid();
        let server = tether::spawn(async move {
            let to: tether::Reference = receive().await;
            tether::send(to, ("payload", 42u32)).unwrap();
            tether::send(to, ("late", 0u32)).unwrap();
            // By S2, "late" would arrive before this if it got through.
            tether::send(me, "sent").unwrap();
            wait_forever().await
        });
        let a = tether::monitor_alias(server, AliasMode::ReplyDemonitor);
        tether::send(server, a).unwrap();
        assert_eq!(receive::<(&str, u32)>().await, ("payload", 42));
        assert_eq!(receive::<&str>().await, "sent");
        // The first reply deactivated the alias and removed the monitor.
        assert_eq!(
            tether::receive_timeout::<(&str, u32)>(Duration::ZERO).await,
            None,
            "a second reply through a reply_demonitor alias"
        );
        tether::exit(server, ExitReason::Kill);
        assert_no_message::<Down>("a DOWN of a monitor removed by the reply").await;
    })
}

/// §1.5 M8, §1.7 A3 `demonitor` mode: the monitor's reference is an alias until the
/// monitor is removed by `demonitor`.
#[test]
fn monitor_alias_is_deactivated_by_demonitor() {
    run(async {
        let server = tether::spawn(wait_forever());
        let a = tether::monitor_alias(server, AliasMode::Demonitor);
        tether::send(a, 1u32).unwrap();
        assert_eq!(receive::<u32>().await, 1);
        tether::send(a, 2u32).unwrap();
        assert_eq!(
            receive::<u32>().await,
            2,
            "a demonitor alias takes many messages"
        );
        assert!(tether::demonitor(a));
        tether::send(a, 3u32).unwrap();
        assert_none_sent_before::<u32>("a message through a demonitored alias").await;
        tether::exit(server, ExitReason::Kill);
        assert_no_message::<Down>("a DOWN after demonitor").await;
    })
}

/// §1.7 A3: a monitor's DOWN deactivates its `demonitor`-mode alias too.
#[test]
fn monitor_alias_is_deactivated_by_down() {
    run(async {
        let server = tether::spawn(wait_forever());
        let a = tether::monitor_alias(server, AliasMode::Demonitor);
        tether::exit(server, ExitReason::Kill);
        let down: Down = receive().await;
        assert_eq!((down.reference, down.reason), (a, ExitReason::Killed));
        tether::send(a, 1u32).unwrap();
        assert_none_sent_before::<u32>("a message through the alias of a fired monitor").await;
    })
}

/// §1.7 A3: `unalias` deactivates a monitor's alias and leaves the monitor; an
/// `explicit_unalias` alias outlives its monitor.
#[test]
fn monitor_alias_unalias_and_explicit_mode() {
    run(async {
        let server = tether::spawn(wait_forever());
        let a = tether::monitor_alias(server, AliasMode::Demonitor);
        assert!(tether::unalias(a));
        assert!(!tether::unalias(a));
        tether::send(a, 1u32).unwrap();
        assert_none_sent_before::<u32>("a message through an unaliased alias").await;
        let b = tether::monitor_alias(server, AliasMode::Explicit);
        assert!(tether::demonitor(b));
        tether::send(b, 2u32).unwrap();
        assert_eq!(
            receive::<u32>().await,
            2,
            "explicit alias survives demonitor"
        );
        tether::exit(server, ExitReason::Kill);
        let down: Down = receive().await;
        assert_eq!(down.reference, a, "unalias kept the monitor");
        assert_no_message::<Down>("a DOWN after demonitor").await;
        assert!(tether::unalias(b));
        tether::send(b, 3u32).unwrap();
        assert_none_sent_before::<u32>("a message through an unaliased alias").await;
    })
}

/// §1.9 case 14 (from S2): a message followed by an exit signal from the same sender
/// arrive in that order.
#[test]
fn message_then_exit_signal_keep_order() {
    run(async {
        let parent = tether::self_pid();
        let b = tether::spawn(async move {
            tether::trap_exit(true);
            tether::send(parent, "ready").unwrap();
            // Both are queued before either is received, so their order is the
            // queue's, not that of our receives.
            eventually("the message and the exit signal have arrived", || async {
                tether::mailbox_len() == 2
            })
            .await;
            let first = tether::receive_any().await;
            let second = tether::receive_any().await;
            let ok = first.downcast_ref::<&str>() == Some(&"m1")
                && second
                    .downcast_ref::<Exit>()
                    .is_some_and(|e| e.reason == "foo".into());
            tether::send(parent, ok).unwrap();
        });
        assert_eq!(receive::<&str>().await, "ready");
        tether::send(b, "m1").unwrap();
        tether::exit(b, "foo".into());
        assert!(receive::<bool>().await);
    })
}

/// §1.1 S2 over many messages: one sender's messages arrive in send order.
#[test]
fn per_sender_order_is_kept() {
    run(async {
        let parent = tether::self_pid();
        for s in 0..4u32 {
            tether::spawn(async move {
                for i in 0..1000u32 {
                    tether::send(parent, (s, i)).unwrap();
                }
            });
        }
        let mut next = [0u32; 4];
        for _ in 0..4000 {
            let (s, i) = receive::<(u32, u32)>().await;
            assert_eq!(i, next[s as usize]);
            next[s as usize] += 1;
        }
    })
}

/// A panic is an exit: it becomes the reason, carries the message, travels over
/// links and monitors, and the runtime carries on.
#[test]
fn panic_becomes_exit_reason() {
    run(async {
        tether::trap_exit(true);
        let p = tether::spawn_link(async {
            panic!("something broke");
        });
        let e: Exit = receive().await;
        assert_eq!(e.from, p);
        match e.reason {
            ExitReason::Panic(msg) => assert!(msg.contains("something broke")),
            other => panic!("unexpected reason {other:?}"),
        }
        // The runtime still works.
        let (_, r) = tether::spawn_monitor(async {});
        assert_eq!(receive::<Down>().await.reference, r);
    })
}

/// A kill reaches a process that is awaiting something other than its mailbox, and
/// its future is dropped (destructors run).
#[test]
fn kill_reaches_a_busy_process() {
    run(async {
        struct Notify(tether::Pid);
        impl Drop for Notify {
            fn drop(&mut self) {
                let _ = tether::send(self.0, "dropped");
            }
        }
        let parent = tether::self_pid();
        let (p, _) = tether::spawn_monitor(async move {
            let _guard = Notify(parent);
            // Busy with something that is not its mailbox.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        eventually("the process is parked in its sleep", || async {
            waiting(p)
        })
        .await;
        tether::exit(p, ExitReason::Kill);
        assert_eq!(receive::<&str>().await, "dropped");
        assert_eq!(receive::<Down>().await.reason, ExitReason::Killed);
    })
}

/// A kill also reaches a process blocked on a socket read.
#[test]
fn kill_reaches_a_process_reading_a_socket() {
    run(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (p, _) = tether::spawn_monitor(async move {
            use tokio::io::AsyncReadExt;
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; 1];
            let _ = s.read(&mut buf).await;
        });
        let (_conn, _) = listener.accept().await.unwrap();
        eventually("the process is parked on the socket", || async {
            waiting(p)
        })
        .await;
        tether::exit(p, ExitReason::Kill);
        assert_eq!(receive::<Down>().await.reason, ExitReason::Killed);
    })
}

/// `exit_self` ends the process with the reason, as Erlang's `exit/1`.
#[test]
fn exit_self_is_an_exit_not_a_crash() {
    run(async {
        let (_, r) = tether::spawn_monitor(async {
            if true {
                tether::exit_self(ExitReason::ShutdownWith(std::sync::Arc::new(Term::atom(
                    "done",
                ))));
            }
        });
        let d: Down = receive().await;
        assert_eq!(d.reference, r);
        assert_eq!(
            d.reason.to_term(),
            Term::tuple([Term::atom("shutdown"), Term::atom("done")])
        );
        assert!(d.reason.is_clean());
    })
}

/// §1.8 PF2/L5: spawn_link and trap_exit from the start.
#[test]
fn spawn_options_link_and_trap_exit() {
    run(async {
        let parent = tether::self_pid();
        let s = SpawnOpts::new().link().trap_exit().spawn(async move {
            let e: Exit = receive().await;
            tether::send(parent, e).unwrap();
        });
        // At once, maybe before the process first runs: it traps from its spawn on.
        tether::exit(s.pid, "please".into());
        let e: Exit = receive().await;
        assert_eq!(e.reason, ExitReason::from("please"));
        assert_eq!(e.from, parent);
    })
}

/// A dirty process may block its thread and is still a process.
#[test]
fn dirty_process_may_block() {
    run(async {
        let parent = tether::self_pid();
        let s = SpawnOpts::new().dirty().monitor().spawn(async move {
            // Blocks its thread: what a dirty process may do.
            std::thread::sleep(Duration::from_millis(50));
            let n: u32 = receive().await;
            tether::send(parent, n + 1).unwrap();
        });
        tether::send(s.pid, 1u32).unwrap();
        assert_eq!(receive::<u32>().await, 2);
        assert_eq!(receive::<Down>().await.reason, ExitReason::Normal);
        assert!(tether::process_info(s.pid).is_none());
    })
}

/// S7: `exit(P, kill)` then `is_alive(P)` is false at once.
#[test]
fn is_alive_sees_pending_kill() {
    run(async {
        let p = tether::spawn(wait_forever());
        assert!(tether::is_alive(p));
        tether::exit(p, ExitReason::Kill);
        assert!(!tether::is_alive(p));
    })
}
