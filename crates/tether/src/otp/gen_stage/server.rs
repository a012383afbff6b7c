//! The GenServer that runs a stage: it holds the user's stage and the protocol's
//! bookkeeping, and routes every message.
//!
//! ```text
//!   $gen_call / local call ──▶ handle_call ──▶ control request │ user handle_call
//!   $gen_cast / local cast ──▶ handle_cast ──▶ control request │ user handle_cast
//!   anything else ──────────▶ handle_info ──▶ ControlCall / ControlCast (local control)
//!                                           ▶ Down of a producer / of a consumer
//!                                           ▶ $gen_producer (producer.rs) / $gen_consumer (consumer.rs)
//!                                           ▶ user handle_info
//! ```
//!
//! Internally every step returns `Res`: `Err(reason)` stops the stage.

use std::collections::{HashMap, VecDeque};

use tether_term::{Pid, Reference, Term};

use super::GenStage;
use super::buffer::Buffer;
use super::control::{Control, ControlCall, ControlCast, ControlReply};
use super::dispatcher::Dispatcher;
use super::opts::{BufferKeep, CancelMode, DemandMode};
use super::result::{CallResult as StageCallResult, Emit, InitKind, Kind};
use super::wire::{self, Incoming, Subscription};
use crate::otp::gen_server::{CallResult, CastResult, GenServer, Init, ReplyTo};
use crate::{Down, ExitReason, Message, self_pid};

pub(crate) type Res = Result<(), ExitReason>;

/// A request to a stage's GenServer: the user's, or a control request from
/// another node.
pub(crate) enum StageCall<S: GenStage> {
    User(S::Call),
    Control(Control),
}

pub(crate) enum StageCast<S: GenStage> {
    User(S::Cast),
    Control(Control),
}

/// Accumulated demand and dispatches, replayed in order when the producer switches
/// to forward mode.
pub(crate) enum Accumulated<E> {
    Demand(u64),
    Dispatch(Vec<E>),
}

/// A subscription to a producer, consumer side.
pub(crate) struct Upstream {
    pub sub: Subscription,
    pub cancel: CancelMode,
    /// `None`: manual demand; else `(pending, min, max)`.
    pub demand: Option<(u64, u64, u64)>,
}

/// What waits in a producer_consumer's queue for downstream demand.
pub(crate) enum Queued<E> {
    Events(Vec<E>, usize, Reference),
    Info(Message),
    Cancel(CancelMode, super::Cancel, Subscription),
}

pub(crate) struct StageServer<S: GenStage> {
    pub state: S,
    pub kind: Kind,
    // Producer side.
    pub dispatcher: Box<dyn Dispatcher<S::Out>>,
    pub buffer: Buffer<S::Out>,
    pub keep: BufferKeep,
    /// `Some`: accumulate mode.
    pub accumulated: Option<Vec<Accumulated<S::Out>>>,
    /// Consumer tag → (consumer pid, our monitor of it).
    pub consumers: HashMap<Reference, (Pid, Reference)>,
    /// Our monitor of a consumer → its tag.
    pub monitors: HashMap<Reference, Reference>,
    // Consumer side: tag (our monitor of the producer) → subscription.
    pub producers: HashMap<Reference, Upstream>,
    // Producer_consumer: incoming work and the downstream demand.
    pub queue: VecDeque<Queued<S::In>>,
    pub pc_demand: u64,
    /// A user call's reply to send once `terminate` has run.
    pub stop_reply: Option<(ReplyTo<S::Reply>, S::Reply)>,
}

/// A local user call (local callers reach `handle_call` without the GenServer's
/// typed call, so the reply is an `S::Reply` value).
pub(crate) struct UserCall<S: GenStage> {
    pub from: ReplyTo<S::Reply>,
    pub request: S::Call,
}

/// A local user cast.
pub(crate) struct UserCast<S: GenStage>(pub S::Cast);

fn bad_opts(msg: &str) -> ExitReason {
    ExitReason::from_term(Term::tuple([Term::atom("bad_opts"), Term::from(msg)]))
}

/// This process's registered name, or its pid (GenStage's `self_name`).
pub(crate) fn self_name() -> String {
    let me = self_pid();
    crate::process_info(me)
        .and_then(|i| i.registered_name)
        .map_or_else(|| me.to_string(), |n| n.to_string())
}

impl<S: GenStage> StageServer<S> {
    /// Applies a callback's [`Emit`]: dispatches its events or stops.
    pub(crate) fn emitted(&mut self, e: Emit<S::Out>) -> Res {
        match e {
            Emit::Events(events) => {
                self.dispatch_events(events);
                Ok(())
            }
            Emit::Stop(r) => Err(r),
        }
    }

    /// Runs a control request; returns the reply (none if the stage stops without
    /// one) and whether to stop.
    async fn control(&mut self, req: Control) -> (Option<ControlReply>, Res) {
        match req {
            Control::Subscribe { current, to, opts } => {
                self.consumer_subscribe(current, to, opts).await
            }
            Control::Demand => (
                Some(ControlReply::Demand(if self.accumulated.is_some() {
                    DemandMode::Accumulate
                } else {
                    DemandMode::Forward
                })),
                Ok(()),
            ),
            Control::SetDemand(mode) => (Some(ControlReply::Ok), self.set_demand(mode).await),
            Control::Info(msg) => {
                self.producer_info(msg);
                (Some(ControlReply::Ok), Ok(()))
            }
            Control::EstimateBufferedCount => {
                if self.kind == Kind::Consumer {
                    crate::runtime::logger::report_error!(
                        "Buffered count can only be requested for producers, GenStage {} is a consumer",
                        self_name()
                    );
                    return (Some(ControlReply::Count(0)), Ok(()));
                }
                (Some(ControlReply::Count(self.buffer.len())), Ok(()))
            }
        }
    }

    async fn on_down(&mut self, d: Down) -> Res {
        if self.producers.contains_key(&d.reference) {
            return self
                .consumer_cancel(d.reference, super::Cancel::Down(d.reason))
                .await;
        }
        if let Some(tag) = self.monitors.get(&d.reference).copied() {
            return self
                .producer_cancel(tag, super::Cancel::Down(d.reason))
                .await;
        }
        let e = self.state.handle_info(Message::new(d)).await;
        self.emitted(e)
    }

    /// A user call, from a local caller or (retyped) from another node.
    async fn user_call(&mut self, req: S::Call, from: ReplyTo<S::Reply>) -> Res {
        match self.state.handle_call(req, &from).await {
            StageCallResult::Reply(reply, events) => {
                self.dispatch_events(events);
                from.reply(reply);
                Ok(())
            }
            StageCallResult::NoReply(events) => {
                self.dispatch_events(events);
                Ok(())
            }
            StageCallResult::Stop(r, reply) => {
                self.stop_reply = reply.map(|rep| (from, rep));
                Err(r)
            }
        }
    }

    async fn info(&mut self, m: Message) -> Res {
        let m = match m.downcast::<UserCall<S>>() {
            Ok(UserCall { from, request }) => return self.user_call(request, from).await,
            Err(m) => m,
        };
        let m = match m.downcast::<UserCast<S>>() {
            Ok(UserCast(request)) => {
                let e = self.state.handle_cast(request).await;
                return self.emitted(e);
            }
            Err(m) => m,
        };
        let m = match m.downcast::<ControlCall>() {
            Ok(ControlCall { from, request }) => {
                let (reply, res) = self.control(request).await;
                if let Some(r) = reply {
                    from.reply(r);
                }
                return res;
            }
            Err(m) => m,
        };
        let m = match m.downcast::<ControlCast>() {
            Ok(ControlCast(request)) => return self.control(request).await.1,
            Err(m) => m,
        };
        let m = match m.downcast::<Down>() {
            Ok(d) => return self.on_down(d).await,
            Err(m) => m,
        };
        match wire::classify::<S::In>(m) {
            Incoming::Producer(p) => self.on_producer_msg(p).await,
            Incoming::Consumer(c) => self.on_consumer_msg(c).await,
            Incoming::Malformed(t) => {
                crate::runtime::logger::report_error!(
                    stage = %self_name(),
                    message = %t,
                    "GenStage received a malformed protocol message; dropped"
                );
                Ok(())
            }
            Incoming::Other(m) => {
                let e = self.state.handle_info(m).await;
                self.emitted(e)
            }
        }
    }
}

fn cast_result<S: GenStage>(r: Res) -> CastResult<StageServer<S>> {
    match r {
        Ok(()) => CastResult::noreply(),
        Err(reason) => CastResult::stop(reason),
    }
}

impl<S: GenStage> GenServer for StageServer<S> {
    type Args = S::Args;
    type Call = StageCall<S>;
    type Cast = StageCast<S>;
    /// Only control requests are answered through the GenServer; user calls reply
    /// through a retyped `ReplyTo` (see `user_call`).
    type Reply = ControlReply;
    type Continue = ();

    async fn init(args: S::Args) -> Init<Self> {
        let (state, kind, mut opts) = match S::init(args).await.0 {
            InitKind::Ignore => return Init::Ignore,
            InitKind::Stop(r) => return Init::Stop(r),
            InitKind::Stage { state, kind, opts } => (state, kind, opts),
        };
        if let Err(msg) = opts.check(kind) {
            return Init::Stop(bad_opts(&msg));
        }
        let default_size = if kind == Kind::Producer {
            Some(10_000)
        } else {
            None
        };
        let mut stage = StageServer {
            state,
            kind,
            dispatcher: opts.take_dispatcher(),
            buffer: Buffer::new(opts.buffer_size.unwrap_or(default_size)),
            keep: opts.buffer_keep.unwrap_or_default(),
            accumulated: (opts.demand == Some(DemandMode::Accumulate)).then(Vec::new),
            consumers: HashMap::new(),
            monitors: HashMap::new(),
            producers: HashMap::new(),
            queue: VecDeque::new(),
            pc_demand: 0,
            stop_reply: None,
        };
        for (to, sub_opts) in std::mem::take(&mut opts.subscribe_to) {
            if let (_, Err(r)) = stage.consumer_subscribe(None, to, sub_opts).await {
                return Init::Stop(r);
            }
        }
        Init::ok(stage)
    }

    async fn handle_call(
        &mut self,
        request: StageCall<S>,
        from: &ReplyTo<ControlReply>,
    ) -> CallResult<Self> {
        match request {
            StageCall::Control(c) => match self.control(c).await {
                (Some(reply), Ok(())) => CallResult::reply(reply),
                (None, Ok(())) => CallResult::noreply(),
                (Some(reply), Err(r)) => CallResult::stop_reply(r, reply),
                (None, Err(r)) => CallResult::stop(r),
            },
            StageCall::User(req) => {
                let from = from.retype::<S::Reply>(S::encode_reply);
                match self.user_call(req, from).await {
                    Ok(()) => CallResult::noreply(),
                    Err(r) => CallResult::stop(r),
                }
            }
        }
    }

    async fn handle_cast(&mut self, request: StageCast<S>) -> CastResult<Self> {
        let r = match request {
            StageCast::Control(c) => self.control(c).await.1,
            StageCast::User(req) => {
                let e = self.state.handle_cast(req).await;
                self.emitted(e)
            }
        };
        cast_result(r)
    }

    async fn handle_info(&mut self, message: Message) -> CastResult<Self> {
        let r = self.info(message).await;
        cast_result(r)
    }

    async fn terminate(&mut self, reason: &ExitReason) {
        self.state.terminate(reason).await;
        if let Some((to, reply)) = self.stop_reply.take() {
            to.reply(reply);
        }
    }

    fn format_status(&self) -> String {
        format!(
            "GenStage {} ({:?}; {} consumers, {} producers, {} buffered)",
            std::any::type_name::<S>(),
            self.kind,
            self.consumers.len(),
            self.producers.len(),
            self.buffer.len()
        )
    }

    fn decode_call(request: &Term) -> Option<StageCall<S>> {
        Control::from_term(request, false)
            .map(StageCall::Control)
            .or_else(|| S::decode_call(request).map(StageCall::User))
    }

    fn decode_cast(request: &Term) -> Option<StageCast<S>> {
        Control::from_term(request, true)
            .map(StageCast::Control)
            .or_else(|| S::decode_cast(request).map(StageCast::User))
    }

    fn encode_reply(reply: &ControlReply) -> Option<Term> {
        Some(reply.to_term())
    }
}
