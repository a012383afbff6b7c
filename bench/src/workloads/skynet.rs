//! Skynet: a tree of processes, fan-out 10, down to 1 M leaves; each leaf sends its
//! number to its parent, each parent sums its children's and reports up. Reported in
//! milliseconds for the whole tree. Check: the root sum is 0 + 1 + … + (leaves − 1).

use std::pin::Pin;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The skynet workload.
pub const WORKLOAD: Workload = Workload {
    name: "skynet",
    title: "skynet, 1 M leaves, fan-out 10",
    metrics: &[Metric {
        key: "ms_total",
        label: "skynet 1M: whole tree",
        unit: "ms",
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

const DIV: u64 = 10;

fn leaves(p: &Params) -> u64 {
    p.size(1_000_000, 100_000)
}

fn finish(t: Instant, leaves: u64, sum: u64) -> Figures {
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(sum, leaves * (leaves - 1) / 2, "skynet sum");
    vec![("ms_total", ms)]
}

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;

fn tether_node(parent: tether::Pid, num: u64, size: u64) -> BoxFut {
    Box::pin(async move {
        if size == 1 {
            tether::send(parent, num).unwrap();
            return;
        }
        let me = tether::self_pid();
        let sub = size / DIV;
        for i in 0..DIV {
            tether::spawn(tether_node(me, num + i * sub, sub));
        }
        let mut sum = 0;
        for _ in 0..DIV {
            sum += tether::receive::<u64>().await;
        }
        tether::send(parent, sum).unwrap();
    })
}

fn tether(p: &Params) -> Figures {
    let leaves = leaves(p);
    rt::tether(p.threads).block_on(async move {
        let t = Instant::now();
        tether::spawn(tether_node(tether::self_pid(), 0, leaves));
        let sum: u64 = tether::receive().await;
        finish(t, leaves, sum)
    })
}

fn tokio_node(parent: UnboundedSender<u64>, num: u64, size: u64) -> BoxFut {
    Box::pin(async move {
        if size == 1 {
            let _ = parent.send(num);
            return;
        }
        let (tx, mut rx) = unbounded_channel();
        let sub = size / DIV;
        for i in 0..DIV {
            tokio::spawn(tokio_node(tx.clone(), num + i * sub, sub));
        }
        let mut sum = 0;
        for _ in 0..DIV {
            sum += rx.recv().await.unwrap();
        }
        let _ = parent.send(sum);
    })
}

fn tokio(p: &Params) -> Figures {
    let leaves = leaves(p);
    rt::block_on_tokio(p.threads, async move {
        let t = Instant::now();
        let (tx, mut rx) = unbounded_channel();
        tokio::spawn(tokio_node(tx, 0, leaves));
        finish(t, leaves, rx.recv().await.unwrap())
    })
}

/// Where a framework node reports its sum.
enum Parent<R> {
    Node(R),
    Driver(UnboundedSender<u64>),
}

/// A framework node's state.
struct Node<R> {
    parent: Parent<R>,
    num: u64,
    size: u64,
    sum: u64,
    waiting: u64,
}

impl<R> Node<R> {
    fn new(parent: Parent<R>, num: u64, size: u64) -> Node<R> {
        Node {
            parent,
            num,
            size,
            sum: 0,
            waiting: DIV,
        }
    }

    /// Children's `(num, size)`.
    fn children(&self) -> impl Iterator<Item = (u64, u64)> + use<R> {
        let (num, sub) = (self.num, self.size / DIV);
        (0..DIV).map(move |i| (num + i * sub, sub))
    }

    /// Adds a child's sum; `Some(total)` once all children have reported.
    fn add(&mut self, v: u64) -> Option<u64> {
        self.sum += v;
        self.waiting -= 1;
        (self.waiting == 0).then_some(self.sum)
    }

    fn report(&self, v: u64, send: impl FnOnce(&R, u64)) {
        match &self.parent {
            Parent::Node(r) => send(r, v),
            Parent::Driver(tx) => tx.send(v).unwrap(),
        }
    }
}

struct RactorNode;

type RactorState = Node<ractor::ActorRef<u64>>;

impl ractor::Actor for RactorNode {
    type Msg = u64;
    type State = RactorState;
    type Arguments = RactorState;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<u64>,
        s: RactorState,
    ) -> Result<RactorState, ractor::ActorProcessingErr> {
        Ok(s)
    }

    async fn post_start(
        &self,
        me: ractor::ActorRef<u64>,
        s: &mut RactorState,
    ) -> Result<(), ractor::ActorProcessingErr> {
        if s.size == 1 {
            s.report(s.num, |r, v| r.send_message(v).unwrap());
            me.stop(None);
            return Ok(());
        }
        for (num, size) in s.children() {
            let child = Node::new(Parent::Node(me.clone()), num, size);
            ractor::Actor::spawn(None, RactorNode, child).await?;
        }
        Ok(())
    }

    async fn handle(
        &self,
        me: ractor::ActorRef<u64>,
        v: u64,
        s: &mut RactorState,
    ) -> Result<(), ractor::ActorProcessingErr> {
        if let Some(sum) = s.add(v) {
            s.report(sum, |r, v| r.send_message(v).unwrap());
            me.stop(None);
        }
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let leaves = leaves(p);
    rt::block_on_tokio(p.threads, async move {
        let t = Instant::now();
        let (tx, mut rx) = unbounded_channel();
        let root = Node::new(Parent::Driver(tx), 0, leaves);
        ractor::Actor::spawn(None, RactorNode, root)
            .await
            .expect("spawn");
        finish(t, leaves, rx.recv().await.unwrap())
    })
}

struct KameoNode(Node<kameo::actor::ActorRef<KameoNode>>);

impl kameo::Actor for KameoNode {
    type Args = Self;
    type Error = kameo::error::Infallible;

    async fn on_start(s: Self, me: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        use kameo::actor::Spawn;
        if s.0.size == 1 {
            s.0.report(s.0.num, |r, v| r.tell(v).try_send().unwrap());
            me.kill();
            return Ok(s);
        }
        for (num, size) in s.0.children() {
            let child = KameoNode(Node::new(Parent::Node(me.clone()), num, size));
            KameoNode::spawn_with_mailbox(child, kameo::mailbox::unbounded());
        }
        Ok(s)
    }
}

impl kameo::message::Message<u64> for KameoNode {
    type Reply = ();

    async fn handle(&mut self, v: u64, ctx: &mut kameo::message::Context<Self, ()>) {
        if let Some(sum) = self.0.add(v) {
            self.0.report(sum, |r, v| r.tell(v).try_send().unwrap());
            ctx.stop();
        }
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let leaves = leaves(p);
    rt::block_on_tokio(p.threads, async move {
        let t = Instant::now();
        let (tx, mut rx) = unbounded_channel();
        let root = KameoNode(Node::new(Parent::Driver(tx), 0, leaves));
        let _root = KameoNode::spawn_with_mailbox(root, kameo::mailbox::unbounded());
        finish(t, leaves, rx.recv().await.unwrap())
    })
}

struct Sum(u64);

impl actix::Message for Sum {
    type Result = ();
}

struct ActixNode(Node<actix::Addr<ActixNode>>);

impl actix::Actor for ActixNode {
    type Context = actix::Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        use actix::{ActorContext, AsyncContext};
        if self.0.size == 1 {
            self.0.report(self.0.num, |r, v| r.do_send(Sum(v)));
            ctx.stop();
            return;
        }
        for (num, size) in self.0.children() {
            ActixNode(Node::new(Parent::Node(ctx.address()), num, size)).start();
        }
    }
}

impl actix::Handler<Sum> for ActixNode {
    type Result = ();

    fn handle(&mut self, Sum(v): Sum, ctx: &mut Self::Context) {
        use actix::ActorContext;
        if let Some(sum) = self.0.add(v) {
            self.0.report(sum, |r, v| r.do_send(Sum(v)));
            ctx.stop();
        }
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let leaves = leaves(p);
    rt::actix(async move {
        let t = Instant::now();
        let (tx, mut rx) = unbounded_channel();
        let _root = ActixNode(Node::new(Parent::Driver(tx), 0, leaves)).start();
        finish(t, leaves, rx.recv().await.unwrap())
    })
}
