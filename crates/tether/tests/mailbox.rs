//! Behaviour tests for send, receive and timers: docs/semantics.md §2.
//!
//! Ported from the cases of docs/semantics.md §2.4 (Erlang's expressions reference,
//! `process_SUITE`, Elixir's `process_test.exs`). Each test names its source case.

mod common;

use std::time::{Duration, Instant};

use common::{flush, ready_now, run, wait_forever};
use tether::{Message, SendErrorKind, receive, receive_select, receive_select_timeout};

fn is<T: PartialEq + Unpin + 'static>(v: T) -> impl FnMut(&Message) -> bool + Unpin {
    move |m| m.downcast_ref::<T>() == Some(&v)
}

/// §2.4 case 1: selective receive leaves the other messages in order.
#[test]
fn selective_receive_order() {
    run(async {
        let me = tether::self_pid();
        for c in ['a', 'b', 'c'] {
            tether::send(me, c).unwrap();
        }
        receive_select(is('c')).await;
        let rest: Vec<char> = flush()
            .await
            .into_iter()
            .map(|m| m.downcast::<char>().unwrap())
            .collect();
        assert_eq!(rest, ['a', 'b']);
    })
}

/// §2.4 case 2: the first *message* that matches any clause wins, not the first clause.
#[test]
fn message_order_beats_clause_order() {
    run(async {
        let me = tether::self_pid();
        tether::send(me, 'x').unwrap();
        tether::send(me, 'y').unwrap();
        // "receive y -> 1; x -> 2 end"
        let m = receive_select(|m| matches!(m.downcast_ref::<char>(), Some('y') | Some('x'))).await;
        let result = match m.downcast::<char>().unwrap() {
            'y' => 1,
            _ => 2,
        };
        assert_eq!(result, 2);
    })
}

/// §2.4 case 3: `after 0` never waits (it completes on its first poll); it takes a
/// matching message if one is there.
#[test]
fn after_zero() {
    run(async {
        let r = ready_now(receive_select_timeout(Duration::ZERO, |_| true));
        assert!(r.expect("after 0 completed at once").is_none());
        tether::send(tether::self_pid(), 5u8).unwrap();
        let m = ready_now(receive_select_timeout(Duration::ZERO, is(5u8)));
        let m = m.expect("after 0 completed at once");
        assert_eq!(m.unwrap().downcast::<u8>().unwrap(), 5);
    })
}

/// §2.4 case 4: non-matching traffic does not extend a receive timeout.
#[test]
fn junk_does_not_extend_timeout() {
    run(async {
        let me = tether::self_pid();
        let junk = tether::spawn(async move {
            loop {
                tether::send(me, "junk").unwrap();
                // Paces the junk: a message every 10 ms while the receive waits.
                tether::sleep(Duration::from_millis(10)).await;
            }
        });
        // Were the timeout restarted by each junk message, it would never expire, and
        // this "never" would be received instead.
        let sentinel = tether::send_after(Duration::from_secs(5), me, "never");
        let t = Instant::now();
        let got = receive_select_timeout(Duration::from_millis(100), is("never")).await;
        assert!(
            got.is_none(),
            "the timeout was extended by non-matching messages"
        );
        // A timer never fires early.
        assert!(
            t.elapsed() >= Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );
        tether::cancel_timer(sentinel);
        tether::exit(junk, tether::ExitReason::Kill);
    })
}

/// §2.4 case 5: sending to an unregistered name fails; to a dead pid it does not.
#[test]
fn send_to_unregistered_name_and_dead_pid() {
    run(async {
        let err = tether::send("not_registered_anywhere", 1u32).unwrap_err();
        assert_eq!(
            err.kind,
            SendErrorKind::NotRegistered("not_registered_anywhere".into())
        );
        assert_eq!(err.message, 1);
        let (dead, _) = tether::spawn_monitor(async {});
        let _: tether::Down = receive().await;
        assert!(tether::send(dead, 1u32).is_ok());
        // `{Name, node()}` for the local node behaves like the local name (X3).
        let err = tether::send(("not_registered_anywhere", tether::Node::local()), 1u32);
        assert!(err.is_err());
    })
}

/// §2.4 case 6, `process_SUITE:process_info_other_msg`: one sender's messages are
/// queued in send order.
#[test]
fn process_info_other_msg() {
    run(async {
        let receiver = tether::spawn(wait_forever());
        for i in 0..100u32 {
            tether::send(receiver, i).unwrap();
        }
        // The count includes signals not yet handled: no need to wait for the receiver.
        let info = tether::process_info(receiver).unwrap();
        assert_eq!(info.message_queue_len, 100);
        tether::exit(receiver, tether::ExitReason::Kill);
    })
}

/// §2.4 case 7, Elixir `process_test.exs: "send_after/3 returns a timer reference
/// that can be read or cancelled"`.
#[test]
fn send_after_read_and_cancel() {
    run(async {
        let me = tether::self_pid();
        let t = tether::send_after(Duration::from_millis(500), me, "cancelled");
        let left = tether::read_timer(t).unwrap();
        assert!(left <= Duration::from_millis(500) && left > Duration::ZERO);
        let left = tether::cancel_timer(t).unwrap();
        assert!(left <= Duration::from_millis(500));
        assert_eq!(tether::read_timer(t), None);
        assert_eq!(tether::cancel_timer(t), None);
        // A timer due after the cancelled one's time comes first: that one never fired.
        tether::send_after(Duration::from_millis(600), me, "after it");
        assert_eq!(receive::<&str>().await, "after it");

        let t = tether::send_after(Duration::from_millis(1), tether::self_pid(), "now");
        assert_eq!(receive::<&str>().await, "now");
        assert_eq!(tether::read_timer(t), None);
        assert_eq!(tether::cancel_timer(t), None);
    })
}

/// §2.4 case 8: a timer to a pid that dies never fires; cancel afterwards is `None`.
#[test]
fn send_after_to_process_that_dies() {
    run(async {
        let (p, _) = tether::spawn_monitor(async {
            let _ = receive::<()>().await;
        });
        let t = tether::send_after(Duration::from_millis(200), p, "tick");
        tether::send(p, ()).unwrap();
        let _: tether::Down = receive().await;
        assert_eq!(tether::cancel_timer(t), None);
    })
}

/// §2.3 T2: a timer to a name resolves the name when it fires.
#[test]
fn send_after_to_name_resolves_at_expiry() {
    run(async {
        let me = tether::self_pid();
        // The name exists only after the timer was set (well before it fires).
        tether::send_after(Duration::from_millis(200), "timer_target_late", "hello");
        tether::register("timer_target_late", me).unwrap();
        assert_eq!(receive::<&str>().await, "hello");
        tether::unregister("timer_target_late").unwrap();
    })
}

/// Sending never blocks: a flood to a process that never receives.
#[test]
fn send_never_blocks() {
    run(async {
        let sink = tether::spawn(wait_forever());
        for i in 0..100_000u32 {
            tether::send(sink, i).unwrap();
        }
        // All of them were queued, none lost, while the receiver never received.
        let queued = tether::process_info(sink).unwrap().message_queue_len;
        assert_eq!(queued, 100_000);
        tether::exit(sink, tether::ExitReason::Kill);
    })
}

/// Messages can carry pids and be any Rust value; they are moved, not copied.
#[test]
fn messages_are_moved() {
    run(async {
        let data = std::sync::Arc::new(vec![1u8; 1024]);
        let weak = std::sync::Arc::downgrade(&data);
        tether::send(tether::self_pid(), data).unwrap();
        let back: std::sync::Arc<Vec<u8>> = receive().await;
        assert_eq!(std::sync::Arc::strong_count(&back), 1);
        drop(back);
        assert!(weak.upgrade().is_none());
    })
}

/// A process working through a long mailbox still lets others run: each receive costs
/// cooperative budget, as each BEAM operation costs reductions. On one worker thread,
/// another process gets to run while the busy one still has most of its queue left.
#[test]
fn busy_receiver_yields_to_others() {
    let rt = tether::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        const N: u64 = 200_000;
        let parent = tether::self_pid();
        let busy = tether::spawn(async move {
            let _go: &str = receive().await;
            tether::send(parent, "started").unwrap();
            for _ in 0..N {
                let _: u64 = receive().await;
            }
        });
        for i in 0..N {
            tether::send(busy, i).unwrap();
        }
        tether::send(busy, "go").unwrap();
        assert_eq!(receive::<&str>().await, "started");
        // We only run again once the busy process has yielded the (single) worker.
        tether::spawn(async move {
            tether::send(parent, "others still run").unwrap();
        });
        assert_eq!(receive::<&str>().await, "others still run");
        let left = tether::process_info(busy).map_or(0, |i| i.message_queue_len);
        assert!(
            left > 0,
            "the busy process ran to the end before anyone else ran"
        );
        tether::exit(busy, tether::ExitReason::Kill);
    })
}

/// §2.1 X5, the send penalty: a send to a process with a long queue spends the
/// sender's cooperative budget (its next await yields); sends to a short queue cost
/// only a unit now and then. Checked through tokio's budget, not by timing.
#[test]
fn send_to_a_long_queue_spends_the_senders_budget() {
    run(async {
        let parent = tether::self_pid();
        tether::spawn(async move {
            let short = tether::spawn(wait_forever());
            for i in 0..100u32 {
                tether::send(short, i).unwrap();
            }
            let after_short = tokio::task::coop::has_budget_remaining();
            let long = tether::spawn(wait_forever());
            for i in 0..40_000u32 {
                tether::send(long, i).unwrap();
            }
            let after_long = tokio::task::coop::has_budget_remaining();
            tether::send(parent, (after_short, after_long)).unwrap();
            tether::exit(short, tether::ExitReason::Kill);
            tether::exit(long, tether::ExitReason::Kill);
        });
        assert_eq!(receive::<(bool, bool)>().await, (true, false));
    })
}

/// §2.1 X4 and §1.1 S2 under load, on two worker threads: two processes each send
/// many numbered messages and then an exit signal to one receiver that traps exits.
/// Every message arrives exactly once, each sender's in its order, and each sender's
/// exit signal after all of its messages.
#[test]
fn two_senders_every_message_once_and_in_order() {
    const PER: u64 = 50_000;
    let rt = tether::Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let parent = tether::self_pid();
        let sink = tether::spawn(async move {
            tether::trap_exit(true);
            let mut next = [0u64; 2];
            let mut exits = 0;
            while exits < 2 {
                let m = tether::receive_any().await;
                let m = match m.downcast::<(usize, u64)>() {
                    Ok((s, i)) => {
                        assert_eq!(i, next[s], "sender {s} out of order");
                        next[s] += 1;
                        continue;
                    }
                    Err(m) => m,
                };
                let exit = m.downcast::<tether::Exit>().expect("a message or an exit");
                let s: usize = if exit.reason == "done_0".into() { 0 } else { 1 };
                assert_eq!(next[s], PER, "sender {s}'s exit overtook its messages");
                exits += 1;
            }
            tether::send(parent, next).unwrap();
        });
        for s in 0..2usize {
            tether::spawn(async move {
                for i in 0..PER {
                    tether::send(sink, (s, i)).unwrap();
                    if i % 1000 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                tether::exit(sink, format!("done_{s}").as_str().into());
            });
        }
        assert_eq!(receive::<[u64; 2]>().await, [PER, PER]);
    })
}

/// §2.2 R4 with the spare timer: a short timeout after a long one that was satisfied
/// still expires on time, a zero timeout never waits, and a long one after a short one
/// that expired still waits.
#[test]
fn timeouts_in_a_row() {
    run(async {
        let me = tether::self_pid();
        tether::send(me, 1u8).unwrap();
        assert_eq!(
            tether::receive_timeout::<u8>(Duration::from_secs(30)).await,
            Some(1)
        );
        // Had the 30 s deadline stayed in the spare timer, this u8 would come first.
        let sentinel = tether::send_after(Duration::from_secs(2), me, 7u8);
        let t = Instant::now();
        assert_eq!(
            tether::receive_timeout::<u8>(Duration::from_millis(30)).await,
            None,
            "the short timeout did not expire before a later message"
        );
        // A timer never fires early.
        assert!(
            t.elapsed() >= Duration::from_millis(30),
            "{:?}",
            t.elapsed()
        );
        assert!(tether::cancel_timer(sentinel).is_some());
        let zero = ready_now(tether::receive_timeout::<u8>(Duration::ZERO));
        assert_eq!(zero.expect("a zero timeout never waits"), None);
        assert_eq!(
            tether::receive_timeout::<u16>(Duration::from_millis(10)).await,
            None
        );
        // Sent once the short timeout has expired: the long receive must wait for it
        // rather than see the expired spare timer.
        tether::send_after(Duration::from_millis(50), me, 2u8);
        assert_eq!(
            tether::receive_timeout::<u8>(Duration::from_secs(30)).await,
            Some(2)
        );
    })
}
