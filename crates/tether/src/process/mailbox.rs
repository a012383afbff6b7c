//! Receiving: typed and selective receive with timeouts (docs/semantics.md §2.2).
//!
//! The mailbox is the process-private queue of messages drained from the inbox and
//! not yet received. A receive scans it front to back and takes the *first message*
//! that matches (R1: message order beats clause order), leaving the others where they
//! are (R2). If nothing matches it waits, and when woken scans only the messages that
//! arrived since (it remembers how far it got), so a long queue of unrelated messages
//! is not rescanned on every arrival.
//!
//! A receive does not touch the inbox itself: the process task drains it before each
//! poll of the user's future, and polls again when new signals arrive before it
//! parks (see `task.rs`), so a receive sees every message without taking the inbox
//! lock.
//!
//! A timeout starts when the receive starts; non-matching messages do not extend it
//! (R4). A zero timeout scans what is there once and never waits.
//!
//! ## The timer
//!
//! A receive with a timeout that has to wait arms a tokio [`Sleep`]; when it fires the
//! receive looks once more at everything that has arrived (draining the inbox) and
//! gives up. Nothing else reads the clock: a receive is never early, and at most a
//! timer tick late.
//!
//! Every gen_server call is such a receive (5 s by default), and registering a fresh
//! timer each time (allocate, insert into tokio's wheel under its lock, remove on
//! drop) cost more than the rest of the wait. So each process keeps **one spare
//! timer** in its state: a receive borrows it and hands it back when it is dropped,
//! still registered. A spare due before the receive's deadline is used as it is (when
//! it fires, the receive re-arms it for its own deadline and waits on), so
//! back-to-back calls neither touch tokio's wheel nor even re-arm the timer: one
//! re-arm per timeout period, not per call; nor is it polled again while it has not
//! fired and would wake the same waker. The price is one
//! spurious wake-up of the process when a spare timer's last deadline passes while it
//! is idle; a spurious poll is harmless, as the `Future` contract allows. Receives
//! that overlap in one process (a `select!` over two) make their own timers.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::{Message, budget, current};

/// A pending selective receive; see [`receive_select`].
pub struct Receive<F> {
    matches: F,
    scanned: usize,
    deadline: Option<Instant>,
    /// The deadline has passed (a zero timeout starts so).
    expired: bool,
    /// The timer, once the receive has had to wait (borrowed from the process's
    /// spare, see the module docs), and whether it is set for this receive yet.
    /// Boxed, like the process's spare: both slots stay one word, which keeps every
    /// waiting process (and its task cell) small.
    timer: Option<Box<SpareTimer>>,
    armed: bool,
}

/// A timer and the waker it was last polled with.
pub(crate) struct SpareTimer {
    sleep: Pin<Box<Sleep>>,
    /// While the timer has not fired, it wakes this waker: polling it again with the
    /// same waker would change nothing, so that poll is skipped.
    waker: Option<Waker>,
}

impl SpareTimer {
    /// Sets a new deadline. The timer may have fired since it was last polled, which
    /// used up its waker: it must be polled again.
    fn reset(&mut self, deadline: Instant) {
        self.sleep.as_mut().reset(deadline);
        self.waker = None;
    }
}

impl<F> Receive<F> {
    fn new(matches: F, scanned: usize, timeout: Option<Duration>) -> Self {
        Receive {
            matches,
            scanned,
            deadline: timeout.map(|t| Instant::now() + t),
            expired: timeout.is_some_and(|t| t.is_zero()),
            timer: None,
            armed: false,
        }
    }
}

impl<F> Drop for Receive<F> {
    fn drop(&mut self) {
        // A receive that ended without a message, or was dropped while waiting: hand
        // the timer back as the process's spare (still registered: re-arming it later
        // is cheap). Outside the process, or if there is a spare already, it is
        // simply dropped.
        if let Some(timer) = self.timer.take() {
            let rest = current::try_with(|p| {
                let mut st = p.state();
                match st.spare_timer {
                    None => {
                        st.spare_timer = Some(timer);
                        None
                    }
                    Some(_) => Some(timer),
                }
            });
            drop(rest);
        }
    }
}

impl<F: FnMut(&Message) -> bool + Unpin> Future for Receive<F> {
    type Output = Option<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        // Receiving costs tokio's cooperative budget, the way BEAM operations cost
        // reductions: a process with a full mailbox yields to others now and then
        // instead of holding its worker thread (see `budget.rs` for the rule).
        let coop = if budget::receive_due() {
            Some(std::task::ready!(tokio::task::coop::poll_proceed(cx)))
        } else {
            None
        };
        // On expiry, look once more at everything that has arrived, so that `after 0`
        // sees messages sent just before it.
        let found = this.scan(this.expired);
        if found.is_some() || this.expired {
            if let (Some(c), true) = (coop, found.is_some()) {
                c.made_progress();
            }
            return Poll::Ready(found);
        }
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        // The scan lent us the process's spare timer, if it had one.
        let timer = this.timer.get_or_insert_with(|| {
            Box::new(SpareTimer {
                sleep: Box::pin(tokio::time::sleep_until(deadline)),
                waker: None,
            })
        });
        if !this.armed {
            this.armed = true;
            // A spare due no later than us can stay as it is: if it fires first, it
            // is re-armed below.
            if timer.sleep.deadline() > deadline {
                timer.reset(deadline);
            }
        }
        loop {
            let same_waker = timer
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()));
            if same_waker && !timer.sleep.is_elapsed() {
                return Poll::Pending; // it will wake us
            }
            if timer.sleep.as_mut().poll(cx).is_pending() {
                if !same_waker {
                    timer.waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            // Firing used up the waker it held.
            timer.waker = None;
            if timer.sleep.deadline() >= deadline || Instant::now() >= deadline {
                this.expired = true;
                return Poll::Ready(this.scan(true));
            }
            // A borrowed spare that was due before us: wait on.
            timer.reset(deadline);
        }
    }
}

impl<F: FnMut(&Message) -> bool + Unpin> Receive<F> {
    /// Takes the first matching message not scanned yet, draining the inbox first if
    /// `drain` is set. While the state is locked anyway, it borrows the process's
    /// spare timer when this receive will have to wait, and gives it back when it
    /// is done.
    fn scan(&mut self, drain: bool) -> Option<Message> {
        current::with(|p| {
            let mut st = p.state();
            if drain {
                p.drain(&mut st);
            }
            if st.pending_exit.is_some() {
                return None; // the process task ends us at once
            }
            let start = self.scanned.min(st.mailbox.len());
            let hit = st
                .mailbox
                .iter()
                .skip(start)
                .position(|m| (self.matches)(m));
            match hit {
                Some(i) => {
                    if self.timer.is_some() && st.spare_timer.is_none() {
                        st.spare_timer = self.timer.take();
                    }
                    match start + i {
                        0 => st.mailbox.pop_front(),
                        i => st.mailbox.remove(i),
                    }
                }
                None => {
                    self.scanned = st.mailbox.len();
                    if self.deadline.is_some() && self.timer.is_none() && !drain {
                        self.timer = st.spare_timer.take();
                    }
                    None
                }
            }
        })
    }
}

/// A receive without timeout; see [`receive_select`].
pub struct ReceiveSelect<F>(Receive<F>);

impl<F: FnMut(&Message) -> bool + Unpin> Future for ReceiveSelect<F> {
    type Output = Message;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Message> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Some(m)) => Poll::Ready(m),
            Poll::Ready(None) => unreachable!("a receive without timeout only ends with a message"),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Waits for the first message for which `matches` returns true, and takes it
/// (Erlang's `receive` with patterns). Other messages stay queued, in order.
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let me = tether::self_pid();
///     for x in [1u32, 2, 3] {
///         tether::send(me, x).unwrap();
///     }
///     let m = tether::receive_select(|m| m.downcast_ref::<u32>() == Some(&3)).await;
///     assert_eq!(m.downcast::<u32>().unwrap(), 3);
///     assert_eq!(tether::receive::<u32>().await, 1); // 1 and 2 kept their order
/// });
/// ```
pub fn receive_select<F: FnMut(&Message) -> bool + Unpin>(matches: F) -> ReceiveSelect<F> {
    ReceiveSelect(Receive::new(matches, 0, None))
}

/// [`receive_select`] with a timeout: `None` if nothing matched in time.
/// `Duration::ZERO` looks at what is already there and never waits.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// tether::send(tether::self_pid(), "noise").unwrap();
/// tether::send(tether::self_pid(), 7u32).unwrap();
/// // Take the u32, leave the rest queued.
/// let m = tether::receive_select_timeout(Duration::from_millis(100), |m| m.is::<u32>()).await;
/// assert_eq!(m.unwrap().downcast::<u32>().unwrap(), 7);
/// let none = tether::receive_select_timeout(Duration::from_millis(10), |m| m.is::<u32>()).await;
/// assert!(none.is_none());
/// assert_eq!(tether::mailbox_len(), 1);
/// # });
/// ```
pub fn receive_select_timeout<F: FnMut(&Message) -> bool + Unpin>(
    timeout: Duration,
    matches: F,
) -> Receive<F> {
    Receive::new(matches, 0, Some(timeout))
}

type TypeMatch = fn(&Message) -> bool;

fn is_a<T: 'static>(m: &Message) -> bool {
    m.is::<T>()
}

/// A typed receive; see [`receive`] and [`receive_timeout`].
pub struct ReceiveAs<T> {
    inner: Receive<TypeMatch>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> ReceiveAs<T> {
    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match Pin::new(&mut self.inner).poll(cx) {
            Poll::Ready(Some(m)) => Poll::Ready(Some(
                m.downcast::<T>()
                    .unwrap_or_else(|_| unreachable!("matched on type")),
            )),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The future of [`receive`].
pub struct ReceiveNext<T>(ReceiveAs<T>);

impl<T: Send + 'static> Future for ReceiveNext<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.poll_inner(cx) {
            Poll::Ready(Some(v)) => Poll::Ready(v),
            Poll::Ready(None) => unreachable!("a receive without timeout only ends with a message"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Send + 'static> Future for ReceiveAs<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_inner(cx)
    }
}

/// Waits for the next message of type `T` (skipping, and keeping, other messages).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     tether::send(tether::self_pid(), "text").unwrap();
///     tether::send(tether::self_pid(), 7i32).unwrap();
///     assert_eq!(tether::receive::<i32>().await, 7);
///     assert_eq!(tether::receive::<&str>().await, "text");
/// });
/// ```
pub fn receive<T: Send + 'static>() -> ReceiveNext<T> {
    let inner = Receive::new(is_a::<T> as TypeMatch, 0, None);
    ReceiveNext(ReceiveAs {
        inner,
        _type: PhantomData,
    })
}

/// Waits up to `timeout` for a message of type `T`.
///
/// ```
/// use std::time::Duration;
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     assert_eq!(tether::receive_timeout::<u8>(Duration::ZERO).await, None);
/// });
/// ```
pub fn receive_timeout<T: Send + 'static>(timeout: Duration) -> ReceiveAs<T> {
    let inner = receive_select_timeout(timeout, is_a::<T> as TypeMatch);
    ReceiveAs {
        inner,
        _type: PhantomData,
    }
}

/// A mark in the calling process's mailbox: the number of messages already in it.
///
/// Used with [`receive_select_after`] for Erlang's *ref-receive optimisation*: a
/// process that makes a fresh reference (a call's monitor, a task's alias) knows that
/// no message already queued can carry it, so the reply wait skips them. Only valid
/// while the process does not take messages out of its mailbox before the receive
/// that uses the mark (a receive removes from anywhere; the mark would then be too
/// far and could skip a new message).
pub(crate) fn mailbox_mark() -> usize {
    current::with(|p| {
        let mut st = p.state();
        p.drain(&mut st);
        st.mailbox.len()
    })
}

/// [`receive_select_timeout`] that starts scanning at `mark` (see [`mailbox_mark`]);
/// `None` waits forever.
pub(crate) fn receive_select_after<F: FnMut(&Message) -> bool + Unpin>(
    mark: usize,
    timeout: Option<Duration>,
    matches: F,
) -> Receive<F> {
    Receive::new(matches, mark, timeout)
}

/// Releases the spare capacity of the calling process's mailbox (what a gen_server
/// `hibernate` can do here: there is no heap to compact, but a burst of messages may
/// have left large buffers behind).
pub(crate) fn shrink_mailbox() {
    current::with(|p| p.state().shrink());
}

/// Waits for any message.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// tether::send(tether::self_pid(), 1.5f64).unwrap();
/// let m = tether::receive_any().await;
/// assert_eq!(m.type_name(), "f64");
/// assert_eq!(m.downcast::<f64>().unwrap(), 1.5);
/// # });
/// ```
pub async fn receive_any() -> Message {
    receive_select(|_: &Message| true).await
}

/// Sleeps without touching the mailbox (Erlang's `receive after T -> ok end`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let t0 = std::time::Instant::now();
/// tether::sleep(Duration::from_millis(20)).await;
/// assert!(t0.elapsed() >= Duration::from_millis(20));
/// # });
/// ```
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await
}

/// The messages in the calling process's mailbox, as a count (drained signals
/// included).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// assert_eq!(tether::mailbox_len(), 0);
/// tether::send(tether::self_pid(), ()).unwrap();
/// tether::send(tether::self_pid(), ()).unwrap();
/// assert_eq!(tether::mailbox_len(), 2);
/// # });
/// ```
pub fn mailbox_len() -> usize {
    current::with(|p| {
        let mut st = p.state();
        p.drain(&mut st);
        st.mailbox.len()
    })
}
