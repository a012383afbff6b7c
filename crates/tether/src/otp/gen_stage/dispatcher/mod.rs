//! Dispatchers: how a producer shares demand and events among its consumers
//! (GenStage's `GenStage.Dispatcher` behaviour).
//!
//! A producer owns one dispatcher. The stage calls it when a consumer subscribes,
//! asks or cancels, and the dispatcher answers with the demand the producer should
//! now serve (what reaches `handle_demand`); the stage hands it the events to send,
//! and it sends what it can and returns the rest, which the producer buffers.
//!
//! | Dispatcher | Elixir | Events go to |
//! |---|---|---|
//! | [`DemandDispatcher`] (default) | `GenStage.DemandDispatcher` | the consumer with the highest outstanding demand |
//! | [`BroadcastDispatcher`] | `GenStage.BroadcastDispatcher` | every consumer (optionally filtered by a selector), at the pace of the slowest |
//! | [`PartitionDispatcher`] | `GenStage.PartitionDispatcher` | the one consumer of the event's partition |

mod broadcast;
mod demand;
mod partition;

pub use broadcast::BroadcastDispatcher;
pub use demand::DemandDispatcher;
pub use partition::{PartitionDispatcher, PartitionHash};

use super::opts::SubscribeOpts;
use super::wire::Subscription;
use crate::{ExitReason, Message, self_pid, send_message};

/// A dispatcher: the producer side of the demand protocol, pluggable (GenStage's
/// `GenStage.Dispatcher` behaviour). Every callback runs inside the producer's
/// process.
///
/// The numbers returned by [`subscribe`](Dispatcher::subscribe),
/// [`cancel`](Dispatcher::cancel) and [`ask`](Dispatcher::ask) are demand for the
/// producer: the stage serves it from its buffer first, then from `handle_demand`.
///
/// A dispatcher that sends every event to the first consumer that subscribed, and
/// asks for exactly what that consumer asks:
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::gen_stage::{Dispatcher, Event, SubscribeOpts, Subscription};
///
/// #[derive(Default)]
/// struct First { to: Option<(Subscription, u64)> }
///
/// impl<E: Event> Dispatcher<E> for First {
///     fn subscribe(&mut self, _: &SubscribeOpts, c: &Subscription) -> Result<u64, ExitReason> {
///         if self.to.is_some() { return Err(ExitReason::from("taken")); }
///         self.to = Some((c.clone(), 0));
///         Ok(0)
///     }
///     fn cancel(&mut self, _: &Subscription) -> u64 { self.to = None; 0 }
///     fn ask(&mut self, n: u64, _: &Subscription) -> u64 {
///         if let Some((_, d)) = &mut self.to { *d += n }
///         n
///     }
///     fn dispatch(&mut self, mut events: Vec<E>) -> Vec<E> {
///         let Some((c, d)) = &mut self.to else { return events };
///         let now: Vec<E> = events.drain(..events.len().min(*d as usize)).collect();
///         *d -= now.len() as u64;
///         if !now.is_empty() { c.send_events(now) }
///         events // the producer buffers the rest
///     }
/// }
/// ```
pub trait Dispatcher<E>: Send + 'static {
    /// A consumer subscribed with `opts`; returns the demand to serve now (usually
    /// 0), or a reason to refuse the subscription (the consumer is then cancelled
    /// with it).
    ///
    /// ```
    /// # use tether::otp::gen_stage::{DemandDispatcher, Dispatcher, SubscribeOpts, Subscription};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Driving the default dispatcher by hand, as a producer does.
    /// let mut d = DemandDispatcher::new();
    /// let consumer = Subscription::new(tether::self_pid(), tether::make_ref());
    /// assert_eq!(Dispatcher::<i64>::subscribe(&mut d, &SubscribeOpts::new(), &consumer), Ok(0));
    /// # });
    /// ```
    fn subscribe(
        &mut self,
        opts: &SubscribeOpts,
        consumer: &Subscription,
    ) -> Result<u64, ExitReason>;

    /// A consumer cancelled or went down; returns the demand to serve now.
    ///
    /// ```
    /// # use tether::otp::gen_stage::{DemandDispatcher, Dispatcher, SubscribeOpts, Subscription};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Driving the default dispatcher by hand, as a producer does.
    /// let mut d = DemandDispatcher::new();
    /// let consumer = Subscription::new(tether::self_pid(), tether::make_ref());
    /// Dispatcher::<i64>::subscribe(&mut d, &SubscribeOpts::new(), &consumer).unwrap();
    /// assert_eq!(Dispatcher::<i64>::cancel(&mut d, &consumer), 0); // no demand was pending
    /// # });
    /// ```
    fn cancel(&mut self, consumer: &Subscription) -> u64;

    /// A consumer asked for `demand` (> 0) more events; returns the demand to serve
    /// now.
    ///
    /// ```
    /// # use tether::otp::gen_stage::{DemandDispatcher, Dispatcher, SubscribeOpts, Subscription};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Driving the default dispatcher by hand, as a producer does.
    /// let mut d = DemandDispatcher::new();
    /// let consumer = Subscription::new(tether::self_pid(), tether::make_ref());
    /// Dispatcher::<i64>::subscribe(&mut d, &SubscribeOpts::new(), &consumer).unwrap();
    /// assert_eq!(Dispatcher::<i64>::ask(&mut d, 3, &consumer), 3); // ask upstream for 3
    /// # });
    /// ```
    fn ask(&mut self, demand: u64, consumer: &Subscription) -> u64;

    /// Sends what it can of `events` (never empty) to consumers; returns the events it
    /// could not send yet, which the producer buffers. It may be given more events
    /// than were asked for.
    ///
    /// ```
    /// # use tether::otp::gen_stage::{DemandDispatcher, Dispatcher, SubscribeOpts, Subscription};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Driving the default dispatcher by hand, as a producer does.
    /// let mut d = DemandDispatcher::new();
    /// let consumer = Subscription::new(tether::self_pid(), tether::make_ref());
    /// Dispatcher::<i64>::subscribe(&mut d, &SubscribeOpts::new(), &consumer).unwrap();
    /// Dispatcher::<i64>::ask(&mut d, 3, &consumer);
    /// // 3 go to the consumer; the producer buffers the 4th.
    /// assert_eq!(d.dispatch(vec![1, 2, 3, 4]), [4]);
    /// # });
    /// ```
    fn dispatch(&mut self, events: Vec<E>) -> Vec<E>;

    /// An info queued with `sync_info` / `async_info` is due: deliver it to the
    /// producer's `handle_info` once the events dispatched before it have gone out.
    /// The default sends it to the producer at once.
    ///
    /// ```
    /// # use tether::otp::gen_stage::{DemandDispatcher, Dispatcher, SubscribeOpts, Subscription};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Driving the default dispatcher by hand, as a producer does.
    /// let mut d = DemandDispatcher::new();
    /// let consumer = Subscription::new(tether::self_pid(), tether::make_ref());
    /// use tether::Message;
    /// Dispatcher::<i64>::info(&mut d, Message::new("due"));
    /// assert_eq!(tether::receive::<&str>().await, "due"); // nothing was waiting ahead of it
    /// # });
    /// ```
    fn info(&mut self, msg: Message) {
        let _ = send_message(self_pid(), msg);
    }
}
