//! A producer from any iterator (Elixir's `GenStage.from_enumerable/2`).
//!
//! The iterator is pulled only as far as consumers ask: `handle_demand(n)` takes at
//! most `n` items. When it runs out, the producer queues an info behind the events it
//! still buffers ([`async_info`](super::async_info)) and stops with `normal` once
//! that info comes back, so consumers get every item first; their subscriptions then
//! end with `{down, normal}` (or `{cancel, normal}`), which stops `permanent` ones.
//! An iterator that blocks blocks the producer: use it for iterators that compute or
//! read quickly.

use tether_term::Pid;

use super::client::{Stage, start_link};
use super::result::{Emit, Init};
use super::wire::Event;
use super::{DemandMode, GenStage, async_info};
use crate::otp::gen_server::{ServerStartError, StartOpts};
use crate::{ExitReason, Message, self_pid};

/// The producer [`from_iter`] starts.
pub struct IterProducer<E: Event> {
    items: Option<Box<dyn Iterator<Item = E> + Send>>,
}

/// The message the producer sends itself when the iterator is exhausted.
struct Exhausted(Pid);

/// The arguments of an [`IterProducer`]: the items and the demand mode.
pub struct IterArgs<E> {
    items: Box<dyn Iterator<Item = E> + Send>,
    demand: DemandMode,
}

impl<E: Event> GenStage for IterProducer<E> {
    type Args = IterArgs<E>;
    type In = ();
    type Out = E;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(args: IterArgs<E>) -> Init<Self> {
        Init::producer(IterProducer {
            items: Some(args.items),
        })
        .demand(args.demand)
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<E> {
        let Some(items) = &mut self.items else {
            return Emit::none();
        };
        let mut events = Vec::new();
        while (events.len() as u64) < demand {
            match items.next() {
                Some(e) => events.push(e),
                None => {
                    self.items = None;
                    async_info(self_pid(), Exhausted(self_pid()));
                    break;
                }
            }
        }
        Emit::events(events)
    }

    async fn handle_info(&mut self, m: Message) -> Emit<E> {
        match m.downcast::<Exhausted>() {
            Ok(Exhausted(me)) if me == self_pid() => Emit::stop(ExitReason::Normal),
            _ => Emit::none(),
        }
    }
}

/// Starts a producer, linked to the caller, that emits the items of `items` as
/// consumers ask for them, then stops with `normal` (Elixir's
/// `GenStage.from_enumerable/2`). With [`DemandMode::Accumulate`] it waits for
/// [`set_demand`](super::set_demand) before emitting (subscribe every consumer
/// first).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, DemandMode, SubscribeOpts};
///
/// Runtime::new().unwrap().block_on(async {
///     let producer = gen_stage::from_iter(1..=5i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
///     let mut events = gen_stage::stream::<i64>([(producer.pid().into(), SubscribeOpts::new())]);
///     let mut got = Vec::new();
///     while let Some(e) = events.next().await {
///         got.push(e);
///     }
///     assert_eq!(got, [1, 2, 3, 4, 5]);
/// });
/// ```
pub async fn from_iter<I>(
    items: I,
    demand: DemandMode,
    opts: StartOpts,
) -> Result<Stage<IterProducer<I::Item>>, ServerStartError>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Event,
{
    let args = IterArgs {
        items: Box::new(items.into_iter()),
        demand,
    };
    start_link::<IterProducer<I::Item>>(args, opts).await
}
