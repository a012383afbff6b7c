//! The dispatchers, driven directly through the `Dispatcher` trait, ported from
//! Elixir's GenStage 1.3.2 `test/gen_stage/demand_dispatcher_test.exs`,
//! `broadcast_dispatcher_test.exs` and `partition_dispatcher_test.exs` (Apache 2.0).
//! Each test names the case it comes from. The test process plays every consumer:
//! events a dispatcher sends arrive in its mailbox.
//!
//! The Elixir cases also compare the dispatchers' internal state tuples; these ports
//! check what is observable instead: the demand each callback returns, the events
//! left over, and the messages sent. Partition cases that rely on
//! `:erlang.phash2/2` routing use an explicit hash with the same routing.
//!
//! Not applicable: partition "errors if the :hash function returns a bad value" (a
//! Rust hash returns `Option<(E, Term)>`; a partition it names that does not exist
//! is `partition_raises_on_unknown_partition`) and "errors on init" (the
//! constructors take the partitions, so none missing; names without a hash are
//! accepted, and events then routed to no partition are logged and dropped).

mod common;
#[path = "gen_stage/logs.rs"]
mod logs;

use std::time::Duration;

use common::run;
use tether::otp::gen_stage::{
    BroadcastDispatcher, DemandDispatcher, Dispatcher, PartitionDispatcher, SubscribeOpts,
    Subscription,
};
use tether::{Message, Reference, Term};

fn sub(tag: Reference) -> Subscription {
    Subscription::new(tether::self_pid(), tag)
}

fn no_opts() -> SubscribeOpts {
    SubscribeOpts::new()
}

/// The events of the `$gen_consumer` message for `tag` already in the mailbox.
async fn received(tag: Reference) -> Option<Vec<Term>> {
    let is_for = move |m: &Message| {
        m.to_term().is_some_and(|t| {
            matches!(t.as_tuple(), Some([k, from, Term::List(_)])
                if k.is_atom("$gen_consumer")
                    && from.as_tuple().is_some_and(|f| f.get(1) == Some(&Term::Ref(tag))))
        })
    };
    let m = tether::receive_select_timeout(Duration::ZERO, is_for).await?;
    match m.to_term()?.as_tuple()? {
        [_, _, Term::List(events)] => Some(events.clone()),
        _ => None,
    }
}

fn ints(v: &[i64]) -> Vec<Term> {
    v.iter().map(|i| Term::Int(*i)).collect()
}

fn atoms(s: &str) -> Vec<Term> {
    s.split(' ').map(Term::atom).collect()
}

// ---- demand_dispatcher_test.exs ---------------------------------------------------------

#[test]
fn demand_subscribes_asks_and_cancels() {
    run(async {
        let mut d = DemandDispatcher::new();
        let s = sub(tether::make_ref());
        assert_eq!(Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s), Ok(0));
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 10, &s), 10);
        // Cancelling leaves the demand of 10 pending...
        assert_eq!(Dispatcher::<Term>::cancel(&mut d, &s), 0);
        // ...so the next subscriber's asks are served from it.
        assert_eq!(Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s), Ok(0));
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 5, &s), 0);
        assert_eq!(Dispatcher::<Term>::cancel(&mut d, &s), 0);
        // With no consumers everything is left over.
        assert_eq!(d.dispatch(atoms("a b c")), atoms("a b c"));
    });
}

#[test]
fn demand_subscribes_twice_asks_twice_and_cancel_one() {
    run(async {
        let mut d = DemandDispatcher::new();
        let (s1, s2) = (sub(tether::make_ref()), sub(tether::make_ref()));
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s1).unwrap();
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 3, &s1), 3);
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s2).unwrap();
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 3, &s2), 3);
        assert_eq!(Dispatcher::<Term>::cancel(&mut d, &s1), 0);
        assert_eq!(d.dispatch(atoms("a b c d e")), atoms("d e"));
        assert_eq!(received(s2.tag()).await, Some(atoms("a b c")));
    });
}

#[test]
fn demand_subscribes_asks_and_dispatches() {
    run(async {
        let mut d = DemandDispatcher::new();
        let s = sub(tether::make_ref());
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s).unwrap();
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 3, &s), 3);
        assert_eq!(d.dispatch(atoms("a")), vec![]);
        assert_eq!(received(s.tag()).await, Some(atoms("a")));
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 3, &s), 3);
        assert_eq!(d.dispatch(atoms("b c d e f g h")), atoms("g h"));
        assert_eq!(received(s.tag()).await, Some(atoms("b c d e f")));
        assert_eq!(d.dispatch(atoms("i j")), atoms("i j"));
        assert_eq!(received(s.tag()).await, None);
    });
}

#[test]
fn demand_subscribes_asks_and_dispatches_to_multiple_consumers() {
    run(async {
        let mut d = DemandDispatcher::new();
        let (s1, s2) = (sub(tether::make_ref()), sub(tether::make_ref()));
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s1).unwrap();
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s2).unwrap();
        Dispatcher::<Term>::ask(&mut d, 3, &s1);
        Dispatcher::<Term>::ask(&mut d, 2, &s2);
        // One batch fits all: the highest demand first.
        assert_eq!(d.dispatch(atoms("a b c d e")), vec![]);
        assert_eq!(received(s1.tag()).await, Some(atoms("a b c")));
        assert_eq!(received(s2.tag()).await, Some(atoms("d e")));
        assert_eq!(d.dispatch(atoms("a b c")), atoms("a b c"));
        // Two batches with left over.
        Dispatcher::<Term>::ask(&mut d, 3, &s1);
        Dispatcher::<Term>::ask(&mut d, 3, &s2);
        assert_eq!(d.dispatch(atoms("a b")), vec![]);
        assert_eq!(received(s1.tag()).await, Some(atoms("a b")));
        assert_eq!(d.dispatch(atoms("c d")), vec![]);
        assert_eq!(received(s2.tag()).await, Some(atoms("c d")));
        // Eliminate the left-over.
        assert_eq!(d.dispatch(atoms("e f g")), atoms("g"));
        assert_eq!(received(s1.tag()).await, Some(atoms("e")));
        assert_eq!(received(s2.tag()).await, Some(atoms("f")));
    });
}

#[test]
fn demand_subscribes_asks_and_dispatches_to_multiple_consumers_with_shuffled_demands() {
    run(async {
        let mut d = DemandDispatcher::new().shuffle_demands_on_first_dispatch(true);
        let (s1, s2) = (sub(tether::make_ref()), sub(tether::make_ref()));
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s1).unwrap();
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s2).unwrap();
        Dispatcher::<Term>::ask(&mut d, 3, &s1);
        Dispatcher::<Term>::ask(&mut d, 2, &s2);
        assert_eq!(d.dispatch(atoms("a b c d e")), vec![]);
        let (e1, e2) = (received(s1.tag()).await, received(s2.tag()).await);
        let in_order = (e1.clone(), e2.clone()) == (Some(atoms("a b c")), Some(atoms("d e")));
        let shuffled = (e1.clone(), e2.clone()) == (Some(atoms("c d e")), Some(atoms("a b")));
        assert!(in_order || shuffled, "{e1:?} {e2:?}");
    });
}

#[test]
fn demand_subscribes_and_cancels() {
    run(async {
        let mut d = DemandDispatcher::new();
        let s = sub(tether::make_ref());
        assert_eq!(Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s), Ok(0));
        assert_eq!(Dispatcher::<Term>::cancel(&mut d, &s), 0);
        // Nothing was asked, nothing is pending: everything is left over.
        assert_eq!(d.dispatch(atoms("a")), atoms("a"));
        assert_eq!(received(s.tag()).await, None);
    });
}

#[test]
fn demand_subscribes_asks_multiple_consumers() {
    run(async {
        let mut d = DemandDispatcher::new();
        let (s1, s2, s3) = (
            sub(tether::make_ref()),
            sub(tether::make_ref()),
            sub(tether::make_ref()),
        );
        for s in [&s1, &s2, &s3] {
            assert_eq!(Dispatcher::<Term>::subscribe(&mut d, &no_opts(), s), Ok(0));
        }
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 4, &s1), 4);
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 2, &s2), 2);
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 3, &s3), 3);
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 2, &s3), 2);
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 4, &s2), 4);
        // Demands now: s2 6, s3 5, s1 4; the highest is served first.
        let events: Vec<Term> = (1..=15).map(Term::Int).collect();
        assert_eq!(d.dispatch(events), vec![]);
        assert_eq!(received(s2.tag()).await, Some(ints(&[1, 2, 3, 4, 5, 6])));
        assert_eq!(received(s3.tag()).await, Some(ints(&[7, 8, 9, 10, 11])));
        assert_eq!(received(s1.tag()).await, Some(ints(&[12, 13, 14, 15])));
    });
}

#[test]
fn demand_warns_on_demand_mismatch() {
    logs::capture();
    run(async {
        let mut d = DemandDispatcher::new().max_demand(3);
        let (s1, s2) = (sub(tether::make_ref()), sub(tether::make_ref()));
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s1).unwrap();
        Dispatcher::<Term>::subscribe(&mut d, &no_opts(), &s2).unwrap();
        assert_eq!(Dispatcher::<Term>::ask(&mut d, 4, &s2), 4);
        assert!(logs::logged(&format!(
            "GenStage producer DemandDispatcher expects a maximum demand of 3. \
             Using different maximum demands will overload greedy consumers. \
             Got demand for 4 events from {:?}",
            s2.dest()
        )));
    });
}

#[test]
fn demand_delivers_info_to_current_process() {
    run(async {
        let mut d = DemandDispatcher::new();
        Dispatcher::<Term>::info(&mut d, Message::new(Term::atom("hello")));
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

// ---- broadcast_dispatcher_test.exs ------------------------------------------------------

/// A process that forwards what it receives to the test process (as `spawn_forwarder`
/// does): the broadcast dispatcher allows one subscription per process.
fn forwarder() -> tether::Pid {
    let parent = tether::self_pid();
    tether::spawn(async move {
        loop {
            let m = tether::receive_any().await;
            let _ = tether::send_message(parent, m);
        }
    })
}

async fn wait_for(tag: Reference) -> Vec<Term> {
    common::eventually_some("the events", || async move { received(tag).await }).await
}

#[test]
fn broadcast_subscribes_asks_and_dispatches_to_multiple_consumers() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        let s3 = Subscription::new(forwarder(), tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s1), Ok(0));
        assert_eq!(d.subscribe(&no_opts(), &s2), Ok(0));
        assert_eq!(d.ask(3, &s1), 0);
        assert_eq!(d.ask(2, &s2), 2, "the smallest demand goes upstream");
        // One batch fits all.
        assert_eq!(d.dispatch(atoms("a b")), vec![]);
        assert_eq!(wait_for(s1.tag()).await, atoms("a b"));
        assert_eq!(wait_for(s2.tag()).await, atoms("a b"));
        // A batch with left-over.
        assert_eq!(d.ask(2, &s2), 1);
        assert_eq!(d.dispatch(atoms("c d")), atoms("d"));
        assert_eq!(wait_for(s1.tag()).await, atoms("c"));
        assert_eq!(wait_for(s2.tag()).await, atoms("c"));
        // A batch with no demand.
        assert_eq!(d.dispatch(atoms("d")), atoms("d"));
        // A late subscriber.
        assert_eq!(d.ask(1, &s1), 1);
        assert_eq!(d.subscribe(&no_opts(), &s3), Ok(0));
        assert_eq!(d.dispatch(atoms("d e")), atoms("d e"));
        // Even out.
        assert_eq!(d.ask(2, &s1), 0);
        assert_eq!(d.ask(2, &s2), 0);
        assert_eq!(d.ask(3, &s3), 2);
        assert_eq!(d.dispatch(atoms("d e f")), vec![]);
        for s in [&s1, &s2, &s3] {
            assert_eq!(wait_for(s.tag()).await, atoms("d e f"));
        }
    });
}

#[test]
fn broadcast_subscribes_asks_cancels_and_dispatcher_reuses_events_for_another_subscriber() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        d.subscribe(&no_opts(), &s1).unwrap();
        assert_eq!(d.ask(10, &s1), 10);
        assert_eq!(d.cancel(&s1), 0);
        d.subscribe(&no_opts(), &s2).unwrap();
        assert_eq!(d.ask(5, &s2), 0, "already requested upstream");
        assert_eq!(d.dispatch(atoms("a b c")), vec![]);
        assert_eq!(wait_for(s2.tag()).await, atoms("a b c"));
    });
}

#[test]
fn broadcast_cancels_blocking_subscriber_while_there_is_already_a_requested_demand() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        d.subscribe(&no_opts(), &s1).unwrap();
        assert_eq!(d.ask(10, &s1), 10);
        d.subscribe(&no_opts(), &s2).unwrap();
        assert_eq!(d.ask(5, &s1), 0);
        assert_eq!(d.cancel(&s2), 5);
    });
}

#[test]
fn broadcast_subscribing_with_a_selector_function() {
    run(async {
        let mut d = BroadcastDispatcher::<String>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        let pre = SubscribeOpts::new().selector(|k: &String| k.starts_with("pre"));
        let pref = SubscribeOpts::new().selector(|k: &String| k.starts_with("pref"));
        d.subscribe(&pre, &s1).unwrap();
        d.subscribe(&pref, &s2).unwrap();
        assert_eq!(d.ask(4, &s2), 0);
        assert_eq!(d.ask(4, &s1), 4);
        let events: Vec<String> = ["pref-1234", "pref-5678", "pre0000", "foo0000"]
            .map(String::from)
            .to_vec();
        assert_eq!(d.dispatch(events), Vec::<String>::new());
        let strs = |v: &[&str]| v.iter().map(|s| Term::from(*s)).collect::<Vec<_>>();
        assert_eq!(
            wait_for(s1.tag()).await,
            strs(&["pref-1234", "pref-5678", "pre0000"])
        );
        assert_eq!(wait_for(s2.tag()).await, strs(&["pref-1234", "pref-5678"]));
        // The rejected events are asked again, on each consumer's behalf, through the
        // producer's (here: the test process's) own mailbox.
        for (s, n) in [(&s1, 1), (&s2, 2)] {
            let ask = Term::tuple([
                Term::atom("$gen_producer"),
                Term::tuple([Term::Pid(s.pid().unwrap()), Term::Ref(s.tag())]),
                Term::tuple([Term::atom("ask"), Term::Int(n)]),
            ]);
            let got = tether::receive_select_timeout(Duration::ZERO, move |m: &Message| {
                m.to_term().as_ref() == Some(&ask)
            })
            .await;
            assert!(got.is_some(), "re-ask of {n}");
        }
    });
}

#[test]
fn broadcast_subscribes_and_cancels() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s = sub(tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s), Ok(0));
        assert_eq!(d.cancel(&s), 0);
        // The process may subscribe again once cancelled.
        assert_eq!(d.subscribe(&no_opts(), &sub(tether::make_ref())), Ok(0));
    });
}

#[test]
fn broadcast_subscribes_asks_and_cancels() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s = sub(tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s), Ok(0));
        assert_eq!(d.ask(10, &s), 10);
        assert_eq!(d.cancel(&s), 0);
        // With no consumers everything is left over.
        assert_eq!(d.dispatch(ints(&[1, 2, 3])), ints(&[1, 2, 3]));
        assert_eq!(received(s.tag()).await, None);
    });
}

#[test]
fn broadcast_multiple_subscriptions_with_early_demand() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = sub(tether::make_ref());
        let s2 = Subscription::new(tether::spawn(async {}), tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s1), Ok(0));
        assert_eq!(d.ask(10, &s1), 10);
        assert_eq!(d.subscribe(&no_opts(), &s2), Ok(0));
        assert_eq!(d.cancel(&s1), 0);
        // The 10 asked for s1 are already requested upstream: s2's ask adds nothing.
        assert_eq!(d.ask(10, &s2), 0);
    });
}

#[test]
fn broadcast_multiple_subscriptions_with_late_demand() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = sub(tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s1), Ok(0));
        assert_eq!(d.subscribe(&no_opts(), &s2), Ok(0));
        // s2 has not asked: nothing goes upstream yet.
        assert_eq!(d.ask(10, &s1), 0);
        // Cancelling s2 unblocks s1's demand.
        assert_eq!(d.cancel(&s2), 10);
        assert_eq!(d.ask(10, &s1), 10);
    });
}

#[test]
fn broadcast_subscribes_asks_dispatches_and_repeats() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        assert_eq!(d.subscribe(&no_opts(), &s1), Ok(0));
        assert_eq!(d.ask(10, &s1), 10);
        assert_eq!(d.dispatch(atoms("a b c")), vec![]);
        assert_eq!(wait_for(s1.tag()).await, atoms("a b c"));
        assert_eq!(d.subscribe(&no_opts(), &s2), Ok(0));
        assert_eq!(d.ask(20, &s2), 0, "the 7 still due to s1 are requested");
        assert_eq!(d.dispatch(atoms("d e f g h i j")), vec![]);
        assert_eq!(wait_for(s1.tag()).await, atoms("d e f g h i j"));
        assert_eq!(wait_for(s2.tag()).await, atoms("d e f g h i j"));
    });
}

#[test]
fn broadcast_delivers_info_to_current_process() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let s1 = Subscription::new(forwarder(), tether::make_ref());
        let s2 = Subscription::new(forwarder(), tether::make_ref());
        d.subscribe(&no_opts(), &s1).unwrap();
        d.subscribe(&no_opts(), &s2).unwrap();
        assert_eq!(d.ask(3, &s1), 0);
        d.info(Message::new(Term::atom("hello")));
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

#[test]
fn broadcast_subscribing_is_idempotent() {
    run(async {
        let mut d = BroadcastDispatcher::<Term>::new();
        let me = tether::self_pid();
        d.subscribe(&no_opts(), &Subscription::new(me, tether::make_ref()))
            .unwrap();
        let again = d.subscribe(&no_opts(), &Subscription::new(me, tether::make_ref()));
        assert_eq!(again, Err(tether::ExitReason::from("already_subscribed")));
    });
}

// ---- partition_dispatcher_test.exs ------------------------------------------------------

fn by_parity() -> PartitionDispatcher<i64> {
    PartitionDispatcher::with_names([Term::atom("odd"), Term::atom("even")])
        .hash(|e: i64| Some((e, Term::atom(if e % 2 == 0 { "even" } else { "odd" }))))
}

fn part(name: Term) -> SubscribeOpts {
    SubscribeOpts::new().partition(name)
}

#[test]
fn partition_subscribes_asks_and_cancels() {
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(2);
        let s = sub(tether::make_ref());
        assert_eq!(d.subscribe(&part(Term::Int(0)), &s), Ok(0));
        assert_eq!(d.ask(10, &s), 10);
        assert_eq!(d.cancel(&s), 0);
        // Subscribe again: the pending demand is used first.
        assert_eq!(d.subscribe(&part(Term::Int(1)), &s), Ok(0));
        assert_eq!(d.ask(5, &s), 0);
        assert_eq!(d.cancel(&s), 0);
        // With no consumers, events are queued in their partitions.
        assert_eq!(d.dispatch(vec![0, 1, 2, 3]), Vec::<i64>::new());
    });
}

#[test]
fn partition_subscribes_asks_and_dispatches() {
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(1);
        let s = sub(tether::make_ref());
        d.subscribe(&part(Term::Int(0)), &s).unwrap();
        assert_eq!(d.ask(3, &s), 3);
        assert_eq!(d.dispatch(vec![1]), Vec::<i64>::new());
        assert_eq!(received(s.tag()).await, Some(ints(&[1])));
        assert_eq!(d.ask(3, &s), 3);
        assert_eq!(d.dispatch(vec![2, 5, 6, 7, 8, 9, 11]), vec![9, 11]);
        assert_eq!(received(s.tag()).await, Some(ints(&[2, 5, 6, 7, 8])));
    });
}

#[test]
fn partition_subscribes_asks_and_dispatches_to_custom_partitions() {
    run(async {
        let mut d = by_parity();
        let s = sub(tether::make_ref());
        d.subscribe(&part(Term::atom("odd")), &s).unwrap();
        assert_eq!(d.ask(3, &s), 3);
        assert_eq!(d.dispatch(vec![1]), Vec::<i64>::new());
        assert_eq!(received(s.tag()).await, Some(ints(&[1])));
        assert_eq!(d.ask(3, &s), 3);
        assert_eq!(d.dispatch(vec![5, 7, 9, 11, 13, 15, 17]), vec![15, 17]);
        assert_eq!(received(s.tag()).await, Some(ints(&[5, 7, 9, 11, 13])));
    });
}

#[test]
fn partition_subscribes_asks_and_dispatches_to_partitions_or_none() {
    run(async {
        let mut d = PartitionDispatcher::<i64>::with_names([Term::atom("odd"), Term::atom("even")])
            .hash(|e: i64| match e {
                e if e % 3 == 0 => None,
                e if e % 2 == 0 => Some((e, Term::atom("even"))),
                e => Some((e, Term::atom("odd"))),
            });
        let (even, odd) = (sub(tether::make_ref()), sub(tether::make_ref()));
        d.subscribe(&part(Term::atom("even")), &even).unwrap();
        d.subscribe(&part(Term::atom("odd")), &odd).unwrap();
        assert_eq!(d.ask(4, &even), 4);
        assert_eq!(d.ask(4, &odd), 4);
        assert_eq!(d.dispatch((1..=12).collect()), vec![12]);
        assert_eq!(received(even.tag()).await, Some(ints(&[2, 4, 8, 10])));
        assert_eq!(received(odd.tag()).await, Some(ints(&[1, 5, 7, 11])));
    });
}

/// Routes the events of the Elixir cases as `:erlang.phash2(e, 2)` does there: the
/// even/odd split of these cases' numbers is {1, 2, 5, 6, 7} → 0, {8, 9} → 1.
fn elixir_routing() -> PartitionDispatcher<i64> {
    PartitionDispatcher::new(2).hash(|e: i64| {
        let p = if [1, 2, 5, 6, 7].contains(&e) { 0 } else { 1 };
        Some((e, Term::Int(p)))
    })
}

#[test]
fn partition_buffers_events_before_subscription() {
    run(async {
        let mut d = elixir_routing();
        let s1 = sub(tether::make_ref());
        d.subscribe(&part(Term::Int(1)), &s1).unwrap();
        assert_eq!(d.ask(5, &s1), 5);
        assert_eq!(d.dispatch(vec![1, 2, 5, 6, 7]), Vec::<i64>::new());
        assert_eq!(received(s1.tag()).await, None, "all for partition 0");
        assert_eq!(d.dispatch(vec![8, 9]), vec![8, 9], "no demand left");
        // A consumer of partition 0 gets the queued events as soon as it asks.
        let s0 = sub(tether::make_ref());
        d.subscribe(&part(Term::Int(0)), &s0).unwrap();
        assert_eq!(d.ask(5, &s0), 5);
        assert_eq!(received(s0.tag()).await, Some(ints(&[1, 2, 5, 6, 7])));
    });
}

#[test]
fn partition_buffers_events_after_subscription() {
    run(async {
        let mut d = elixir_routing();
        let (s0, s1) = (sub(tether::make_ref()), sub(tether::make_ref()));
        d.subscribe(&part(Term::Int(0)), &s0).unwrap();
        assert_eq!(d.ask(5, &s0), 5);
        d.subscribe(&part(Term::Int(1)), &s1).unwrap();
        assert_eq!(d.ask(5, &s1), 5);
        // All events to partition 0: half of them are queued there.
        assert_eq!(d.dispatch(vec![1, 2]), Vec::<i64>::new());
        assert_eq!(d.dispatch(vec![5, 6, 7, 1, 2, 5, 6, 7]), Vec::<i64>::new());
        assert_eq!(received(s0.tag()).await, Some(ints(&[1, 2])));
        assert_eq!(received(s0.tag()).await, Some(ints(&[5, 6, 7])));
        assert_eq!(d.ask(5, &s0), 5);
        assert_eq!(received(s0.tag()).await, Some(ints(&[1, 2, 5, 6, 7])));
    });
}

#[test]
fn partition_subscribes_asks_and_cancels_with_buffer() {
    run(async {
        let mut d = elixir_routing();
        let (s0, s1) = (sub(tether::make_ref()), sub(tether::make_ref()));
        d.subscribe(&part(Term::Int(1)), &s1).unwrap();
        assert_eq!(d.ask(5, &s1), 5);
        d.subscribe(&part(Term::Int(0)), &s0).unwrap();
        assert_eq!(d.dispatch(vec![1, 2, 5, 6, 7]), Vec::<i64>::new());
        assert_eq!(received(s0.tag()).await, None);
        // The info does not count as an event; cancelling gives the 5 queued events
        // back as demand and releases the info.
        d.info(Message::new(Term::atom("hello")));
        assert_eq!(d.cancel(&s0), 5);
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

#[test]
fn partition_delivers_info_to_current_process() {
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(2);
        let (s0, s1) = (sub(tether::make_ref()), sub(tether::make_ref()));
        assert_eq!(d.subscribe(&part(Term::Int(0)), &s0), Ok(0));
        assert_eq!(d.subscribe(&part(Term::Int(1)), &s1), Ok(0));
        assert_eq!(d.ask(3, &s1), 3);
        d.info(Message::new(Term::atom("hello")));
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

#[test]
fn partition_does_not_queue_info_for_non_existing_consumers() {
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(2);
        d.info(Message::new(Term::atom("hello")));
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

#[test]
fn partition_queues_info_to_backed_up_consumers() {
    run(async {
        let mut d = elixir_routing();
        let (s0, s1) = (sub(tether::make_ref()), sub(tether::make_ref()));
        d.subscribe(&part(Term::Int(0)), &s0).unwrap();
        d.subscribe(&part(Term::Int(1)), &s1).unwrap();
        assert_eq!(d.ask(3, &s1), 3);
        assert_eq!(d.dispatch(vec![1, 2, 5]), Vec::<i64>::new());
        d.info(Message::new(Term::atom("hello")));
        assert_eq!(tether::receive_timeout::<Term>(Duration::ZERO).await, None);
        assert_eq!(d.ask(5, &s0), 5);
        let m: Term = tether::receive_timeout(Duration::ZERO).await.unwrap();
        assert_eq!(m, Term::atom("hello"));
    });
}

#[test]
fn partition_errors_on_subscribe() {
    // Elixir raises; Tether refuses the subscription with `{bad_opts, Message}`.
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(2);
        let s = sub(tether::make_ref());
        let bad = |r: Result<u64, tether::ExitReason>| matches!(r.unwrap_err().to_term().as_tuple(), Some([k, _]) if k.is_atom("bad_opts"));
        assert!(bad(d.subscribe(&no_opts(), &s)), "no partition");
        assert!(
            bad(d.subscribe(&part(Term::Int(7)), &s)),
            "unknown partition"
        );
        d.subscribe(&part(Term::Int(0)), &s).unwrap();
        let other = sub(tether::make_ref());
        assert!(bad(d.subscribe(&part(Term::Int(0)), &other)), "taken");
    });
}

#[test]
fn partition_raises_on_unknown_partition() {
    // Elixir raises; Tether logs and discards the event.
    run(async {
        let mut d = PartitionDispatcher::<i64>::new(1).hash(|e| Some((e, Term::atom("oops"))));
        let s = sub(tether::make_ref());
        d.subscribe(&part(Term::Int(0)), &s).unwrap();
        d.ask(5, &s);
        assert_eq!(d.dispatch(vec![1, 2]), Vec::<i64>::new());
        assert_eq!(received(s.tag()).await, None);
    });
}
