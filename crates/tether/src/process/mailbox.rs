//! Receiving: typed and selective receive with timeouts (SEMANTICS §2.2).
//!
//! The mailbox is the process-private queue of messages drained from the inbox and
//! not yet received. A receive scans it front to back and takes the *first message*
//! that matches (R1: message order beats clause order), leaving the others where they
//! are (R2). If nothing matches it waits, and when woken scans only the messages that
//! arrived since (it remembers how far it got), so a long queue of unrelated messages
//! is not rescanned on every arrival.
//!
//! A timeout starts when the receive starts; non-matching messages do not extend it
//! (R4). A zero timeout scans what is there once and never waits.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::{Message, current};

/// A pending selective receive; see [`receive_select`].
pub struct Receive<F> {
    matches: F,
    scanned: usize,
    deadline: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<F: FnMut(&Message) -> bool + Unpin> Future for Receive<F> {
    type Output = Option<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        let found = current::with(|p| {
            let mut st = p.state();
            p.drain(&mut st);
            if st.pending_exit.is_some() {
                return None; // the process task ends us at once
            }
            let start = this.scanned.min(st.mailbox.len());
            let hit = st
                .mailbox
                .iter()
                .skip(start)
                .position(|m| (this.matches)(m));
            match hit {
                Some(i) => st.mailbox.remove(start + i),
                None => {
                    this.scanned = st.mailbox.len();
                    None
                }
            }
        });
        if let Some(m) = found {
            return Poll::Ready(Some(m));
        }
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        if deadline <= Instant::now() {
            return Poll::Ready(None);
        }
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
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
pub fn receive_select<F: FnMut(&Message) -> bool + Unpin>(
    matches: F,
) -> impl Future<Output = Message> {
    let r = Receive {
        matches,
        scanned: 0,
        deadline: None,
        sleep: None,
    };
    async move {
        r.await
            .expect("a receive without timeout only ends with a message")
    }
}

/// [`receive_select`] with a timeout: `None` if nothing matched in time.
/// `Duration::ZERO` looks at what is already there and never waits.
pub fn receive_select_timeout<F: FnMut(&Message) -> bool + Unpin>(
    timeout: Duration,
    matches: F,
) -> Receive<F> {
    Receive {
        matches,
        scanned: 0,
        deadline: Some(Instant::now() + timeout),
        sleep: None,
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
pub async fn receive<T: Send + 'static>() -> T {
    let m = receive_select(|m: &Message| m.is::<T>()).await;
    m.downcast::<T>()
        .unwrap_or_else(|_| unreachable!("matched on type"))
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
pub async fn receive_timeout<T: Send + 'static>(timeout: Duration) -> Option<T> {
    let m = receive_select_timeout(timeout, |m: &Message| m.is::<T>()).await?;
    Some(
        m.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("matched on type")),
    )
}

/// Waits for any message.
pub async fn receive_any() -> Message {
    receive_select(|_: &Message| true).await
}

/// Sleeps without touching the mailbox (Erlang's `receive after T -> ok end`).
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await
}

/// The messages in the calling process's mailbox, as a count (drained signals
/// included).
pub fn mailbox_len() -> usize {
    current::with(|p| {
        let mut st = p.state();
        p.drain(&mut st);
        st.mailbox.len()
    })
}
