//! Ring: 10 k processes pass a token round and round, 1 M hops in all. Each node adds
//! one to the token and forwards it; the last node hands it back to the driver, which
//! starts the next lap. Check: the token comes back exactly `hops` (= laps × n).

use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The ring workload.
pub const WORKLOAD: Workload = Workload {
    name: "ring",
    title: "ring of 10 k processes, 1 M hops",
    metrics: &[Metric {
        key: "ns_per_hop",
        label: "ring 10k × 1M hops: per hop",
        unit: "ns",
    }],
    rust: &[
        (System::Tether, tether),
        (System::Ractor, ractor),
        (System::Kameo, kameo),
        (System::Actix, actix),
        (System::Tokio, tokio),
    ],
    beam: true,
    elixir_libs: &[],
    na_note: "",
};

fn sizes(p: &Params) -> (usize, u64) {
    let (n, hops) = p.size((10_000, 1_000_000), (1_000, 100_000));
    assert_eq!(hops % n as u64, 0);
    (n, hops)
}

/// The driver's side for the Rust frameworks: inject, collect each lap, re-inject.
async fn drive(hops: u64, rx: &mut UnboundedReceiver<u64>, inject: impl Fn(u64)) -> Figures {
    let t = Instant::now();
    let mut hop = 0;
    inject(hop);
    while hop < hops {
        hop = rx.recv().await.expect("ring token");
        if hop < hops {
            inject(hop);
        }
    }
    finish(t, hop, hops)
}

fn finish(t: Instant, hop: u64, hops: u64) -> Figures {
    let ns = t.elapsed().as_nanos() as f64 / hop as f64;
    assert_eq!(hop, hops, "token hop count");
    vec![("ns_per_hop", ns)]
}

fn tether(p: &Params) -> Figures {
    let (n, hops) = sizes(p);
    rt::tether(p.threads).block_on(async move {
        let mut next = tether::self_pid();
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            let to = next;
            next = tether::spawn(async move {
                loop {
                    let hop: u64 = tether::receive().await;
                    if hop == u64::MAX {
                        return;
                    }
                    tether::send(to, hop + 1).unwrap();
                }
            });
            all.push(next);
        }
        let first = next;
        let t = Instant::now();
        let mut hop = 0u64;
        tether::send(first, hop).unwrap();
        while hop < hops {
            hop = tether::receive::<u64>().await;
            if hop < hops {
                tether::send(first, hop).unwrap();
            }
        }
        let figures = finish(t, hop, hops);
        for p in all {
            tether::send(p, u64::MAX).unwrap();
        }
        figures
    })
}

fn tokio(p: &Params) -> Figures {
    let (n, hops) = sizes(p);
    rt::block_on_tokio(p.threads, async move {
        let (main_tx, mut main_rx) = unbounded_channel::<u64>();
        let mut next = main_tx;
        for _ in 0..n {
            let (tx, mut rx) = unbounded_channel::<u64>();
            let to = next;
            tokio::spawn(async move {
                while let Some(h) = rx.recv().await {
                    let _ = to.send(h + 1);
                }
            });
            next = tx;
        }
        drive(hops, &mut main_rx, |h| next.send(h).unwrap()).await
    })
}

/// Where a framework's ring node forwards to.
enum Next<R> {
    Node(R),
    Driver(UnboundedSender<u64>),
}

struct RactorNode;

impl ractor::Actor for RactorNode {
    type Msg = u64;
    type State = Next<ractor::ActorRef<u64>>;
    type Arguments = Next<ractor::ActorRef<u64>>;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<u64>,
        next: Self::Arguments,
    ) -> Result<Self::State, ractor::ActorProcessingErr> {
        Ok(next)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<u64>,
        hop: u64,
        next: &mut Self::State,
    ) -> Result<(), ractor::ActorProcessingErr> {
        match next {
            Next::Node(a) => a.send_message(hop + 1)?,
            Next::Driver(tx) => tx.send(hop + 1)?,
        }
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let (n, hops) = sizes(p);
    rt::block_on_tokio(p.threads, async move {
        let (main_tx, mut main_rx) = unbounded_channel::<u64>();
        let mut next = Next::Driver(main_tx);
        for _ in 0..n {
            let (a, _) = ractor::Actor::spawn(None, RactorNode, next)
                .await
                .expect("spawn");
            next = Next::Node(a);
        }
        let Next::Node(first) = next else { panic!() };
        drive(hops, &mut main_rx, |h| first.send_message(h).unwrap()).await
    })
}

struct KameoNode(Next<kameo::actor::ActorRef<KameoNode>>);

impl kameo::Actor for KameoNode {
    type Args = Self;
    type Error = kameo::error::Infallible;

    async fn on_start(s: Self, _: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        Ok(s)
    }
}

impl kameo::message::Message<u64> for KameoNode {
    type Reply = ();

    async fn handle(&mut self, hop: u64, _: &mut kameo::message::Context<Self, ()>) {
        match &self.0 {
            Next::Node(a) => a.tell(hop + 1).try_send().unwrap(),
            Next::Driver(tx) => tx.send(hop + 1).unwrap(),
        }
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let (n, hops) = sizes(p);
    rt::block_on_tokio(p.threads, async move {
        let (main_tx, mut main_rx) = unbounded_channel::<u64>();
        let mut next = Next::Driver(main_tx);
        for _ in 0..n {
            let node = KameoNode(next);
            next = Next::Node(KameoNode::spawn_with_mailbox(
                node,
                kameo::mailbox::unbounded(),
            ));
        }
        let Next::Node(first) = next else { panic!() };
        drive(hops, &mut main_rx, |h| first.tell(h).try_send().unwrap()).await
    })
}

struct Hop(u64);

impl actix::Message for Hop {
    type Result = ();
}

struct ActixNode(Next<actix::Addr<ActixNode>>);

impl actix::Actor for ActixNode {
    type Context = actix::Context<Self>;
}

impl actix::Handler<Hop> for ActixNode {
    type Result = ();

    fn handle(&mut self, Hop(hop): Hop, _: &mut Self::Context) {
        match &self.0 {
            Next::Node(a) => a.do_send(Hop(hop + 1)),
            Next::Driver(tx) => tx.send(hop + 1).unwrap(),
        }
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let (n, hops) = sizes(p);
    rt::actix(async move {
        let (main_tx, mut main_rx) = unbounded_channel::<u64>();
        let mut next = Next::Driver(main_tx);
        for _ in 0..n {
            next = Next::Node(ActixNode(next).start());
        }
        let Next::Node(first) = next else { panic!() };
        drive(hops, &mut main_rx, |h| first.do_send(Hop(h))).await
    })
}
