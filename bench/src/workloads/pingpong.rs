//! Ping-pong: the driver and one process bounce a counter 1 M times (one round trip =
//! two messages). Check: every reply carries the value that was sent.
//!
//! On Tether and the BEAM the driver is itself a process; on the Rust frameworks it is
//! a task that receives on a tokio channel (their actors cannot be awaited from
//! outside otherwise, short of request/reply, which is the `call` workload).

use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The ping-pong workload.
pub const WORKLOAD: Workload = Workload {
    name: "pingpong",
    title: "ping-pong, 1 M round trips",
    metrics: &[Metric {
        key: "ns_per_roundtrip",
        label: "ping-pong: per round trip",
        unit: "ns",
    }],
    rust: &[
        (System::Tether, tether),
        (System::TetherMetricsOff, tether_metrics_off),
        (System::Ractor, ractor),
        (System::Kameo, kameo),
        (System::Actix, actix),
        (System::Tokio, tokio),
    ],
    beam: true,
    na_note: "",
};

fn rounds(p: &Params) -> u64 {
    p.size(1_000_000, 100_000)
}

async fn drive(rounds: u64, rx: &mut UnboundedReceiver<u64>, ping: impl Fn(u64)) -> Figures {
    let t = Instant::now();
    for i in (0..rounds).rev() {
        ping(i);
        assert_eq!(rx.recv().await, Some(i), "pong value");
    }
    vec![(
        "ns_per_roundtrip",
        t.elapsed().as_nanos() as f64 / rounds as f64,
    )]
}

fn tether(p: &Params) -> Figures {
    run_tether(p, true)
}

fn tether_metrics_off(p: &Params) -> Figures {
    run_tether(p, false)
}

fn run_tether(p: &Params, metrics: bool) -> Figures {
    let rounds = rounds(p);
    rt::tether_metrics(p.threads, metrics).block_on(async move {
        let me = tether::self_pid();
        let ponger = tether::spawn(async move {
            loop {
                let n: u64 = tether::receive().await;
                tether::send(me, n).unwrap();
                if n == 0 {
                    return;
                }
            }
        });
        let t = Instant::now();
        for i in (0..rounds).rev() {
            tether::send(ponger, i).unwrap();
            let back: u64 = tether::receive().await;
            assert_eq!(back, i, "pong value");
        }
        vec![(
            "ns_per_roundtrip",
            t.elapsed().as_nanos() as f64 / rounds as f64,
        )]
    })
}

fn tokio(p: &Params) -> Figures {
    let rounds = rounds(p);
    rt::block_on_tokio(p.threads, async move {
        let (back_tx, mut back_rx) = unbounded_channel::<u64>();
        let (tx, mut rx) = unbounded_channel::<u64>();
        tokio::spawn(async move {
            while let Some(n) = rx.recv().await {
                let _ = back_tx.send(n);
            }
        });
        drive(rounds, &mut back_rx, |i| tx.send(i).unwrap()).await
    })
}

struct RactorPonger;

impl ractor::Actor for RactorPonger {
    type Msg = u64;
    type State = UnboundedSender<u64>;
    type Arguments = UnboundedSender<u64>;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<u64>,
        back: Self::Arguments,
    ) -> Result<Self::State, ractor::ActorProcessingErr> {
        Ok(back)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<u64>,
        n: u64,
        back: &mut Self::State,
    ) -> Result<(), ractor::ActorProcessingErr> {
        back.send(n)?;
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let rounds = rounds(p);
    rt::block_on_tokio(p.threads, async move {
        let (back_tx, mut back_rx) = unbounded_channel::<u64>();
        let (a, _) = ractor::Actor::spawn(None, RactorPonger, back_tx)
            .await
            .expect("spawn");
        drive(rounds, &mut back_rx, |i| a.send_message(i).unwrap()).await
    })
}

struct KameoPonger(UnboundedSender<u64>);

impl kameo::Actor for KameoPonger {
    type Args = Self;
    type Error = kameo::error::Infallible;

    async fn on_start(s: Self, _: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        Ok(s)
    }
}

impl kameo::message::Message<u64> for KameoPonger {
    type Reply = ();

    async fn handle(&mut self, n: u64, _: &mut kameo::message::Context<Self, ()>) {
        self.0.send(n).unwrap();
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let rounds = rounds(p);
    rt::block_on_tokio(p.threads, async move {
        let (back_tx, mut back_rx) = unbounded_channel::<u64>();
        let a = KameoPonger::spawn_with_mailbox(KameoPonger(back_tx), kameo::mailbox::unbounded());
        drive(rounds, &mut back_rx, |i| a.tell(i).try_send().unwrap()).await
    })
}

struct Ping(u64);

impl actix::Message for Ping {
    type Result = ();
}

struct ActixPonger(UnboundedSender<u64>);

impl actix::Actor for ActixPonger {
    type Context = actix::Context<Self>;
}

impl actix::Handler<Ping> for ActixPonger {
    type Result = ();

    fn handle(&mut self, Ping(n): Ping, _: &mut Self::Context) {
        self.0.send(n).unwrap();
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let rounds = rounds(p);
    rt::actix(async move {
        let (back_tx, mut back_rx) = unbounded_channel::<u64>();
        let a = ActixPonger(back_tx).start();
        drive(rounds, &mut back_rx, |i| a.do_send(Ping(i))).await
    })
}
