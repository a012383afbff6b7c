//! Timers: `send_after`, `cancel_timer`, `read_timer` (docs/semantics.md §2.3).
//!
//! Each timer is a small tokio task sleeping until its deadline, plus an entry in a
//! sharded table (one per runtime) keyed by the timer's reference. Whoever removes the entry first wins:
//! the task (then it delivers the message) or `cancel_timer` (then it aborts the task
//! and reports the time left). A timer aimed at a local pid is also recorded in that
//! process, whose exit cancels it (T2), so `cancel_timer` answers `None` afterwards.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tether_term::Reference;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::Dest;
use super::send::deliver;
use super::table;
use super::{Message, alias, current, route};
use crate::runtime::context;

const SHARDS: usize = 16;

struct Entry {
    deadline: Instant,
    task: Option<AbortHandle>,
}

/// A runtime's pending timers, sharded by reference.
pub(crate) struct Timers {
    shards: Box<[Mutex<HashMap<Reference, Entry>>]>,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

/// Runs `f` on the shard of this thread's runtime's timers that holds `r`.
fn with_shard<R>(r: &Reference, f: impl FnOnce(&mut HashMap<Reference, Entry>) -> R) -> R {
    context::with(|rt| {
        let shard = &rt.timers.shards[r.words()[0] as usize % SHARDS];
        f(&mut shard.lock().unwrap_or_else(|e| e.into_inner()))
    })
}

fn take(r: &Reference) -> Option<Entry> {
    with_shard(r, |map| map.remove(r))
}

/// Sends `msg` to `dest` after `delay` (Erlang's `erlang:send_after/3`); returns the
/// timer's reference.
///
/// A timer to a local pid is cancelled if that process ends first. A timer to a name
/// resolves the name when it fires and silently drops the message if it is free.
///
/// ```
/// use std::time::Duration;
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let t = tether::send_after(Duration::from_secs(60), tether::self_pid(), "later");
///     assert!(tether::read_timer(t).unwrap() > Duration::from_secs(59));
///     assert!(tether::cancel_timer(t).is_some());
///     assert_eq!(tether::cancel_timer(t), None);
///     tether::send_after(Duration::from_millis(5), tether::self_pid(), "soon");
///     assert_eq!(tether::receive::<&str>().await, "soon");
/// });
/// ```
pub fn send_after<T: Send + 'static>(delay: Duration, dest: impl Into<Dest>, msg: T) -> Reference {
    send_message_after(delay, dest.into(), Message::new(msg))
}

/// [`send_after`] for an already built [`Message`].
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Dest, Message};
/// tether::send_message_after(Duration::from_millis(10), Dest::from(tether::self_pid()), Message::new("tick"));
/// assert_eq!(tether::receive::<&str>().await, "tick");
/// # });
/// ```
pub fn send_message_after(delay: Duration, dest: Dest, msg: Message) -> Reference {
    let r = alias::make_ref();
    let deadline = Instant::now() + delay;
    let from = current::try_with(|p| p.pid).unwrap_or_else(route::nobody);
    if let Dest::Pid(pid) = &dest
        && pid.node.is_local()
    {
        let alive = table::with(*pid, |p| {
            let mut st = p.state();
            if p.is_closed() {
                return false;
            }
            st.rel().timers.insert(r);
            true
        });
        if alive != Some(true) {
            return r; // T2: a timer to a dead process never fires
        }
    }
    with_shard(&r, |map| {
        map.insert(
            r,
            Entry {
                deadline,
                task: None,
            },
        );
        let handle = tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            if take(&r).is_some() {
                if let Dest::Pid(pid) = &dest {
                    forget(*pid, r);
                }
                let _ = deliver(from, dest, msg);
            }
        });
        if let Some(e) = map.get_mut(&r) {
            e.task = Some(handle.abort_handle());
        }
    });
    r
}

fn forget(pid: tether_term::Pid, r: Reference) {
    table::with(pid, |p| {
        if let Some(rel) = p.state().rel.as_mut() {
            rel.timers.remove(&r);
        }
    });
}

/// Cancels a timer (Erlang's `erlang:cancel_timer/1`): the time that was left, or
/// `None` if it already fired, was cancelled, or never was a timer. `None` does not
/// say whether the message has been received yet.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let t = tether::send_after(Duration::from_secs(10), tether::self_pid(), "late");
/// let left = tether::cancel_timer(t).unwrap();
/// assert!(left <= Duration::from_secs(10));
/// assert_eq!(tether::cancel_timer(t), None); // already cancelled
/// # });
/// ```
pub fn cancel_timer(timer: Reference) -> Option<Duration> {
    let e = take(&timer)?;
    if let Some(t) = e.task {
        t.abort();
    }
    if let Some(me) = current::try_with(|p| p.pid) {
        forget(me, timer);
    }
    Some(e.deadline.saturating_duration_since(Instant::now()))
}

/// The time left on a timer (Erlang's `erlang:read_timer/1`), or `None`.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let t = tether::send_after(Duration::from_secs(10), tether::self_pid(), "later");
/// assert!(tether::read_timer(t).unwrap() > Duration::from_secs(5));
/// tether::cancel_timer(t);
/// assert_eq!(tether::read_timer(t), None);
/// # });
/// ```
pub fn read_timer(timer: Reference) -> Option<Duration> {
    with_shard(&timer, |map| {
        map.get(&timer)
            .map(|e| e.deadline.saturating_duration_since(Instant::now()))
    })
}

/// Cancels a timer whose target process is exiting.
pub(crate) fn cancel_for_exit(timer: Reference) {
    if let Some(Entry { task: Some(t), .. }) = take(&timer) {
        t.abort();
    }
}
