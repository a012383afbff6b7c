//! Call round trip: one client calls one server in a loop; the server adds the request
//! to a counter and replies with the total. Tether: `gen_server` call; BEAM:
//! `gen_server:call`; ractor: `call!` (RpcReplyPort); kameo: `ask`; actix: `send`;
//! tokio: a request carrying a `oneshot` reply over an mpsc channel.
//! Check: every reply is the running total.

use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The call workload.
pub const WORKLOAD: Workload = Workload {
    name: "call",
    title: "request/reply round trip (gen_server:call and equivalents)",
    metrics: &[Metric {
        key: "ns_per_call",
        label: "call round trip",
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

fn calls(p: &Params) -> u64 {
    p.size(500_000, 50_000)
}

/// Warms up with a tenth of the calls, then times `calls` calls; checks every reply.
async fn drive<F: Future<Output = u64>>(calls: u64, call: impl Fn() -> F) -> Figures {
    let warm = calls / 10;
    for i in 1..=warm {
        assert_eq!(call().await, i, "reply");
    }
    let t = Instant::now();
    for i in 1..=calls {
        assert_eq!(call().await, warm + i, "reply");
    }
    vec![("ns_per_call", t.elapsed().as_nanos() as f64 / calls as f64)]
}

struct Counter(u64);

impl tether::GenServer for Counter {
    type Args = ();
    type Call = u64;
    type Cast = ();
    type Reply = u64;
    type Continue = ();

    async fn init(_: ()) -> tether::gen_server::Init<Self> {
        tether::gen_server::Init::ok(Counter(0))
    }

    async fn handle_call(
        &mut self,
        n: u64,
        _: &tether::gen_server::ReplyTo<u64>,
    ) -> tether::gen_server::CallResult<Self> {
        self.0 += n;
        tether::gen_server::CallResult::reply(self.0)
    }
}

fn tether(p: &Params) -> Figures {
    use tether::gen_server::{self, StartOpts};
    let calls = calls(p);
    rt::tether(p.threads).block_on(async move {
        let server = gen_server::start::<Counter>((), StartOpts::new())
            .await
            .expect("start");
        drive(calls, || async move { server.call(1).await.expect("call") }).await
    })
}

type Request = (u64, oneshot::Sender<u64>);

fn tokio(p: &Params) -> Figures {
    let calls = calls(p);
    rt::block_on_tokio(p.threads, async move {
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        tokio::spawn(async move {
            let mut total = 0;
            while let Some((n, reply)) = rx.recv().await {
                total += n;
                let _ = reply.send(total);
            }
        });
        drive(calls, || {
            let (rtx, rrx) = oneshot::channel();
            tx.send((1, rtx)).unwrap();
            async move { rrx.await.expect("reply") }
        })
        .await
    })
}

enum RactorMsg {
    Add(u64, ractor::RpcReplyPort<u64>),
}

struct RactorCounter;

impl ractor::Actor for RactorCounter {
    type Msg = RactorMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        _: (),
    ) -> Result<u64, ractor::ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        RactorMsg::Add(n, reply): RactorMsg,
        total: &mut u64,
    ) -> Result<(), ractor::ActorProcessingErr> {
        *total += n;
        reply.send(*total)?;
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let calls = calls(p);
    rt::block_on_tokio(p.threads, async move {
        let (a, _) = ractor::Actor::spawn(None, RactorCounter, ())
            .await
            .expect("spawn");
        drive(calls, || {
            let a = a.clone();
            async move { ractor::call!(a, RactorMsg::Add, 1).expect("call") }
        })
        .await
    })
}

struct KameoCounter(u64);

impl kameo::Actor for KameoCounter {
    type Args = Self;
    type Error = kameo::error::Infallible;

    async fn on_start(s: Self, _: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        Ok(s)
    }
}

struct Add(u64);

impl kameo::message::Message<Add> for KameoCounter {
    type Reply = u64;

    async fn handle(&mut self, Add(n): Add, _: &mut kameo::message::Context<Self, u64>) -> u64 {
        self.0 += n;
        self.0
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let calls = calls(p);
    rt::block_on_tokio(p.threads, async move {
        let a = KameoCounter::spawn(KameoCounter(0));
        drive(calls, || {
            let a = a.clone();
            async move { a.ask(Add(1)).await.expect("ask") }
        })
        .await
    })
}

impl actix::Message for Add {
    type Result = u64;
}

struct ActixCounter(u64);

impl actix::Actor for ActixCounter {
    type Context = actix::Context<Self>;
}

impl actix::Handler<Add> for ActixCounter {
    type Result = u64;

    fn handle(&mut self, Add(n): Add, _: &mut Self::Context) -> u64 {
        self.0 += n;
        self.0
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let calls = calls(p);
    rt::actix(async move {
        let a = ActixCounter(0).start();
        drive(calls, || {
            let a = a.clone();
            async move { a.send(Add(1)).await.expect("send") }
        })
        .await
    })
}
